package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/shuan-dev/shuan/classify"
	"github.com/shuan-dev/shuan/scan"
	"github.com/shuan-dev/shuan/source"
	_ "github.com/shuan-dev/shuan/source/all" // every connector
)

func init() {
	register(command{name: "scan", summary: "classify and grade a database or files (数据分类分级)", run: runScan})
}

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// parseSize reads 100, 100K, 10MB, 2GiB… as bytes.
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "IB"), "B")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		case 'T':
			mult, t = 1<<40, t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return int64(v * float64(mult)), nil
}

func runScan(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "scan")
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, `Usage: shuan scan SOURCE [flags]

SOURCE is postgres://user@host:port/db[?schema=a,b], mysql://user@host:port/db,
sqlite:PATH (or a .db/.sqlite/.sqlite3 path), or a file or directory
(CSV/TSV, JSON/NDJSON, XLSX, Parquet, text). The password comes from the URL,
$SHUAN_SOURCE_PASSWORD or --password-file and is never printed.

Flags:
`)
		fs.PrintDefaults()
	}
	format := fs.String("format", "table", "output format: "+strings.Join(scan.Formats(), ", "))
	out := fs.String("o", "", "write the output to `FILE` (default stdout; required for xlsx)")
	sample := fs.Int("sample", scan.DefaultSample, "rows sampled per table (chunk size with --full)")
	full := fs.Bool("full", false, "read every row (streamed, classified chunk by chunk)")
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "tables read in parallel")
	previous := fs.String("previous", "", "previous JSON `RESULT` for an incremental rescan")
	rules := fs.String("rules", "", "rule pack `DIR` (default: the embedded packs)")
	industry := fs.String("industry", "", "industry key or GB/T 4754 code for industry rules (e.g. steel, C31)")
	var include, exclude listFlag
	fs.Var(&include, "include", "file `GLOB` to include (repeatable; * ? ** {a,b})")
	fs.Var(&exclude, "exclude", "file or directory `GLOB` to exclude (repeatable)")
	maxSize := fs.String("max-file-size", "2GiB", "skip files larger than this `SIZE` (0: no limit)")
	passwordFile := fs.String("password-file", "", "read the source password from `FILE`")
	langFlag := fs.String("lang", "zh", "language of human formats: zh or en")
	progress := fs.Bool("progress", false, "show a progress bar on stderr even when it is not a terminal")
	timeout := fs.Duration("timeout", 5*time.Minute, "limit for each statement on the source (0: none)")

	// Flags may come before or after SOURCE.
	var positional []string
	rest := args
	for {
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(positional) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: want one SOURCE, got %d", errUsage, len(positional))
	}
	loc := positional[0]
	if *langFlag != "zh" && *langFlag != "en" {
		return fmt.Errorf("%w: --lang %q: want zh or en", errUsage, *langFlag)
	}
	if *sample <= 0 {
		return fmt.Errorf("%w: --sample must be positive", errUsage)
	}
	known := false
	for _, f := range scan.Formats() {
		known = known || f == *format
	}
	if !known {
		return fmt.Errorf("%w: --format %q: want one of %s", errUsage, *format, strings.Join(scan.Formats(), ", "))
	}
	if scan.Binary(*format) && *out == "" {
		return fmt.Errorf("%w: --format %s needs -o FILE", errUsage, *format)
	}
	limit, err := parseSize(*maxSize)
	if err != nil {
		return fmt.Errorf("%w: --max-file-size: %v", errUsage, err)
	}
	password := env.Getenv("SHUAN_SOURCE_PASSWORD")
	if *passwordFile != "" {
		b, err := os.ReadFile(*passwordFile)
		if err != nil {
			return fmt.Errorf("read password file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	var prev *scan.Result
	if *previous != "" {
		if prev, err = scan.ReadResultFile(*previous); err != nil {
			return fmt.Errorf("read previous result: %w", err)
		}
	}
	var engine *classify.Engine
	if *rules != "" {
		engine, err = classify.Load(*rules)
	} else {
		engine, err = classify.Default()
	}
	if err != nil {
		return fmt.Errorf("load rule packs: %w", err)
	}
	conn, err := source.Open(ctx, loc, source.Options{
		Password:    password,
		Timeout:     *timeout,
		Conns:       max(*jobs, 1),
		Include:     include,
		Exclude:     exclude,
		MaxFileSize: limit,
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	job := &scan.Job{
		Source:     conn,
		Classifier: engine,
		Sample:     *sample,
		Full:       *full,
		Jobs:       *jobs,
		Industry:   *industry,
		Previous:   prev,
	}
	if f, ok := env.Stderr.(*os.File); *progress || (ok && term.IsTerminal(int(f.Fd()))) {
		job.Progress = env.Stderr
	}
	res, err := job.Run(ctx)
	if err != nil {
		return err
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(env.Stderr, "shuan scan: skipped %q: %s\n", s.Name, s.Reason)
	}
	var w io.Writer = env.Stdout
	var file *os.File
	if *out != "" {
		if file, err = os.Create(*out); err != nil {
			return fmt.Errorf("create output: %w", err)
		}
		w = file
	}
	werr := scan.Write(w, res, *format, scan.WriteOptions{Lang: *langFlag})
	if file != nil {
		if cerr := file.Close(); werr == nil {
			werr = cerr
		}
	}
	if werr != nil {
		return fmt.Errorf("write %s output: %w", *format, werr)
	}
	return nil
}
