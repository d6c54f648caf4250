package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/ingest"
)

func init() {
	register(command{name: "watch", summary: "read database audit logs and syslog, print normalised events (审计日志采集)", run: runWatch})
}

func runWatch(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "watch")
	var pgaudit, pgcsv, mariadb, syslogURLs, syslogFiles, ndjson listFlag
	fs.Var(&pgaudit, "pgaudit", "PostgreSQL stderr log with pgaudit lines (repeatable)")
	prefix := fs.String("pgaudit-prefix", ingest.DefaultPrefix, "the server's log_line_prefix")
	fs.Var(&pgcsv, "pgaudit-csv", "PostgreSQL csvlog file (repeatable)")
	fs.Var(&mariadb, "mariadb-audit", "MariaDB/MySQL server_audit log file (repeatable)")
	fs.Var(&syslogURLs, "syslog", "syslog listeners: udp://HOST:PORT, tcp://HOST:PORT, tls://HOST:PORT (comma-separated)")
	fs.Var(&syslogFiles, "syslog-file", "syslog file to tail (repeatable)")
	fs.Var(&ndjson, "ndjson", "file of NDJSON events (repeatable)")
	certFile := fs.String("tls-cert", "", "certificate (PEM) for tls:// syslog listeners")
	keyFile := fs.String("tls-key", "", "private key (PEM) for tls:// syslog listeners")
	state := fs.String("state", "", "directory keeping file positions across restarts (none: read files from the start)")
	format := fs.String("format", "table", "output: table or ndjson")
	tz := fs.String("tz", "UTC", "time zone of logs whose timestamps carry none (server_audit, RFC 3164)")
	fromEnd := fs.Bool("from-end", false, "start files without a saved position at their end")
	once := fs.Bool("once", false, "read the files to their end and exit (no listeners)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: shuan watch [--pgaudit FILE] [--mariadb-audit FILE] [--syslog udp://…,tcp://…,tls://…] [--ndjson FILE] [--state DIR] [--format ndjson|table]")
		fmt.Fprintln(env.Stderr, "Follows audit logs through rotation and prints normalised events; statements are fingerprints")
		fmt.Fprintln(env.Stderr, "without literal values. Malformed lines are counted and summarised on exit.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "table" && *format != "ndjson" {
		return fmt.Errorf("%w: --format must be table or ndjson", errUsage)
	}
	if *once && len(syslogURLs) > 0 {
		return fmt.Errorf("%w: --once reads files only; drop --syslog", errUsage)
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("%w: --tz: %v", errUsage, err)
	}
	opts := ingest.Options{Location: loc, Prefix: *prefix}
	pos, err := ingest.OpenPositions(*state)
	if err != nil {
		return err
	}
	stats := &ingest.Stats{}
	var inputs []ingest.Input
	files := []struct {
		format string
		paths  []string
	}{{"pgaudit", pgaudit}, {"pgaudit_csv", pgcsv}, {"mariadb_audit", mariadb}, {"syslog", syslogFiles}, {"ndjson", ndjson}}
	for _, f := range files {
		for _, path := range f.paths {
			p, err := ingest.NewParser(f.format, opts)
			if err != nil {
				return fmt.Errorf("%w: %v", errUsage, err)
			}
			inputs = append(inputs, &ingest.Tailer{Path: path, Parser: p, Positions: pos, Stats: stats, FromEnd: *fromEnd, Once: *once})
		}
	}
	var tlsCfg *tls.Config
	if *certFile != "" || *keyFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fmt.Errorf("load tls certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	for _, u := range syslogURLs {
		l, err := ingest.Listen(u, tlsCfg, opts, stats)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "shuan watch: syslog on %s\n", l.Origin())
		inputs = append(inputs, l)
	}
	if len(inputs) == 0 {
		return fmt.Errorf("%w: no inputs (see shuan watch -h)", errUsage)
	}
	out := bufio.NewWriter(env.Stdout)
	enc := json.NewEncoder(out)
	sink := func(ctx context.Context, evs []shuan.Event) error {
		for i := range evs {
			if *format == "ndjson" {
				if err := enc.Encode(&evs[i]); err != nil {
					return err
				}
				continue
			}
			writeEventRow(out, &evs[i])
		}
		return out.Flush()
	}
	p := &ingest.Pipeline{Inputs: inputs, Sink: sink}
	err = p.Run(ctx)
	out.Flush()
	reportStats(env, stats.Snapshot())
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// writeEventRow prints one event as a table row.
func writeEventRow(w *bufio.Writer, e *shuan.Event) {
	rows := "-"
	if e.Rows >= 0 {
		rows = strconv.FormatInt(e.Rows, 10)
	}
	ok := "ok"
	if !e.Success {
		ok = "FAIL"
	}
	text := e.Statement
	if text == "" {
		text = e.Message
		if who := strings.TrimSpace(e.Host + " " + e.Program); who != "" {
			text = who + ": " + text
		}
	}
	if marks := strings.TrimSpace(e.Fields["export"] + " " + e.Fields["privileged"]); marks != "" {
		text = "[" + marks + "] " + text
	}
	text = strings.Join(strings.Fields(text), " ")
	if len(text) > 120 {
		text = text[:120] + "…"
	}
	fmt.Fprintf(w, "%s  %-13s %-12s %-15s %-12s %-12s %-4s %-28s %7s  %s\n",
		e.Time.Format("2006-01-02T15:04:05.000Z"), e.Source, cell(e.Actor, 12), cell(e.Client, 15), cell(e.Database, 12),
		cell(e.Action, 12), ok, cell(e.Object, 28), rows, text)
}

func cell(s string, n int) string {
	if s == "" {
		return "-"
	}
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

// reportStats prints the per-origin counts and malformed examples.
func reportStats(env *Env, counts []ingest.Counts) {
	for _, c := range counts {
		fmt.Fprintf(env.Stderr, "shuan watch: %s %s: %d records, %d events, %d skipped, %d malformed\n", c.Source, c.Origin, c.Records, c.Events, c.Skipped, c.Malformed)
		for _, m := range c.Examples {
			fmt.Fprintf(env.Stderr, "  malformed at line %d (offset %d): %s\n", m.Line, m.Offset, m.Error)
		}
	}
}
