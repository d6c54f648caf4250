package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/node"
)

func init() {
	register(command{name: "node init", summary: "create a node's data directory (identity, keys; root CA at the ministry)", run: runNodeInit})
	register(command{name: "node token", summary: "issue a one-time enrolment token for a child node", run: runNodeToken})
	register(command{name: "node enroll", summary: "enrol this node with its parent", run: runNodeEnroll})
	register(command{name: "node status", summary: "identity, parent, outbox and the subtree known here", run: runNodeStatus})
	register(command{name: "node revoke", summary: "revoke a child node's certificate", run: runNodeRevoke})
}

// dataFlag adds the --data flag every node command takes.
func dataFlag(fs *flag.FlagSet) *string {
	return fs.String("data", "", "node data directory (required)")
}

func requireData(dir string) error {
	if dir == "" {
		return fmt.Errorf("%w: --data DIR is required", errUsage)
	}
	return nil
}

// quietLog logs warnings and errors only, to stderr.
func quietLog(env *Env) *slog.Logger {
	return slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func openNode(ctx context.Context, env *Env, dir string) (*node.Runtime, error) {
	if err := requireData(dir); err != nil {
		return nil, err
	}
	r, err := node.Open(ctx, dir, quietLog(env))
	if err != nil {
		return nil, err
	}
	r.Version = version
	return r, nil
}

func runNodeInit(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "node init")
	dir := dataFlag(fs)
	role := fs.String("role", "", "ministry | province | enterprise (required)")
	name := fs.String("name", "", "node name, e.g. 江苏省工业和信息化厅 (required)")
	region := fs.String("region", "", "GB/T 2260 region code, e.g. 320000")
	industry := fs.String("industry", "", "GB/T 4754 industry code, e.g. C31")
	uscc := fs.String("uscc", "", "unified social credit code (enterprises)")
	listen := fs.String("listen", "127.0.0.1:7443", "federation listen address (mutual TLS)")
	console := fs.String("console", "127.0.0.1:8080", "console listen address")
	db := fs.String("db", "", "PostgreSQL URL (default: embedded SQLite in the data directory)")
	hosts := fs.String("hosts", "", "comma-separated names/addresses for the TLS certificate (default from --listen)")
	heartbeat := fs.String("heartbeat", "", "heartbeat interval (default 30s)")
	jsonOut := fs.Bool("json", false, "print the node as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireData(*dir); err != nil {
		return err
	}
	if *role == "" || *name == "" {
		return fmt.Errorf("%w: --role and --name are required", errUsage)
	}
	o := node.InitOptions{Role: shuan.Role(*role), Name: *name, Region: *region, Industry: *industry, USCC: *uscc,
		Listen: *listen, Console: *console, DB: *db}
	if *hosts != "" {
		o.Hosts = strings.Split(*hosts, ",")
	}
	n, err := node.Init(ctx, *dir, o, time.Now())
	if err != nil {
		return err
	}
	if *heartbeat != "" {
		if err := node.SetHeartbeat(*dir, *heartbeat); err != nil {
			return err
		}
	}
	if *jsonOut {
		n.CertPEM = ""
		return writeJSON(env.Stdout, n)
	}
	fmt.Fprintf(env.Stdout, "initialised %s node %q (%s) in %s\n", n.Role.Label(), n.Name, n.ID, *dir)
	if n.Role != shuan.RoleMinistry {
		fmt.Fprintln(env.Stdout, "next: get a token from the parent ('shuan node token') and run 'shuan node enroll'")
	}
	return nil
}

func runNodeToken(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "node token")
	dir := dataFlag(fs)
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token stays valid")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	tok, t, err := r.NewToken(ctx, *ttl, "cli")
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "enrolment token for one %s, valid until %s\n", t.Role, t.Expires.Local().Format(time.RFC3339))
	fmt.Fprintln(env.Stdout, tok)
	return nil
}

func runNodeEnroll(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "node enroll")
	dir := dataFlag(fs)
	parent := fs.String("parent", "", "parent federation URL, https://HOST:PORT (required)")
	token := fs.String("token", "", "one-time enrolment token from the parent (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *parent == "" || *token == "" {
		return fmt.Errorf("%w: --parent and --token are required", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := r.Enroll(ctx, *parent, *token); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "enrolled %q with %s\n", r.Cfg.Name, *parent)
	return nil
}

func runNodeStatus(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "node status")
	dir := dataFlag(fs)
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	st, err := r.Status(ctx)
	if err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, st)
	}
	now := time.Now()
	fmt.Fprintf(env.Stdout, "节点 node:   %s (%s, %s)\n", st.Self.Name, st.Self.Role.Label(), st.Self.ID)
	if st.Self.Region != "" {
		fmt.Fprintf(env.Stdout, "地区 region: %s %s\n", st.Self.Region, shuan.ProvinceName(st.Self.Region))
	}
	if st.Parent != "" {
		fmt.Fprintf(env.Stdout, "上级 parent: %s\n", st.Parent)
	}
	fmt.Fprintf(env.Stdout, "发件箱 outbox: %d pending, %d delivered, %d rejected\n", st.Outbox.Pending, st.Outbox.Delivered, st.Outbox.Rejected)
	fmt.Fprintf(env.Stdout, "下级 subtree: %d nodes\n", len(st.Subtree))
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tROLE\tREGION\tINDUSTRY\tLAST SEEN\tSTATE")
	for _, n := range st.Subtree {
		state := "offline"
		if n.Online {
			state = "online"
		}
		if !n.Revoked.IsZero() {
			state = "revoked"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\n", strings.Repeat("  ", n.Depth), n.Name, n.Role, n.Region, n.Industry, node.FormatAge(now, n.LastSeen), state)
	}
	return tw.Flush()
}

func runNodeRevoke(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "node revoke")
	dir := dataFlag(fs)
	id := fs.String("node", "", "id of the child node to revoke (required)")
	reason := fs.String("reason", "", "why (recorded in the audit log)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return fmt.Errorf("%w: --node is required", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Revoke(ctx, *id, *reason, "cli"); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "revoked %s\n", *id)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func init() {
	register(command{name: "node probe", summary: "send signed probe envelopes up to the ministry (path check)", run: runNodeProbe})
}

func runNodeProbe(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "node probe")
	dir := dataFlag(fs)
	count := fs.Int("count", 1, "how many probes")
	note := fs.String("note", "", "free text carried in each probe")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *count < 1 || *count > 100000 {
		return fmt.Errorf("%w: --count must be 1..100000", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	ids, err := r.Probe(ctx, *count, *note)
	if err != nil {
		return err
	}
	for _, id := range ids {
		fmt.Fprintln(env.Stdout, id)
	}
	return nil
}
