package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/shuan-dev/shuan"
)

func init() {
	register(command{name: "notice send", summary: "send a notice down to all, a region, an industry or named nodes", run: runNoticeSend})
	register(command{name: "notice list", summary: "list notices with their read/acknowledged counts", run: runNoticeList})
	register(command{name: "notice ack", summary: "mark a received notice read or acknowledged", run: runNoticeAck})
}

// parseTarget reads "all", "region:320000", "industry:C31", "node:ID", comma-separated.
func parseTarget(s string) (shuan.Target, error) {
	var t shuan.Target
	for _, part := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), ":")
		switch k {
		case "all":
			t.All = true
		case "region":
			t.Regions = append(t.Regions, v)
		case "industry":
			t.Industries = append(t.Industries, v)
		case "node":
			t.Nodes = append(t.Nodes, v)
		default:
			return t, fmt.Errorf("%w: target %q: want all, region:CODE, industry:CODE or node:ID", errUsage, part)
		}
	}
	return t, t.Validate()
}

func runNoticeSend(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "notice send")
	dir := dataFlag(fs)
	title := fs.String("title", "", "title (required)")
	body := fs.String("body", "", "text")
	sev := fs.String("severity", shuan.SeverityInfo, "info | warning | urgent")
	target := fs.String("target", "all", "all | region:CODE | industry:CODE | node:ID (comma-separated)")
	jsonOut := fs.Bool("json", false, "print the notice as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	t, err := parseTarget(*target)
	if err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	n, err := r.SendNotice(ctx, shuan.User{}, shuan.Notice{Title: *title, Body: *body, Severity: *sev, Target: t})
	if err != nil {
		return err
	}
	if *jsonOut {
		return writeJSON(env.Stdout, n)
	}
	fmt.Fprintln(env.Stdout, n.ID)
	return nil
}

// NoticeRow is a notice with its status counts, as listed.
type NoticeRow struct {
	shuan.Notice
	Delivered int `json:"delivered"`
	Read      int `json:"read"`
	Acked     int `json:"acked"`
}

func runNoticeList(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "notice list")
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
	ns, err := r.DB.FindNotices(ctx, 200)
	if err != nil {
		return err
	}
	rows := make([]NoticeRow, 0, len(ns))
	for _, n := range ns {
		sts, err := r.DB.NoticeStatuses(ctx, n.ID)
		if err != nil {
			return err
		}
		row := NoticeRow{Notice: n}
		for _, s := range sts {
			switch s.Status {
			case shuan.NoticeDelivered:
				row.Delivered++
			case shuan.NoticeRead:
				row.Read++
			case shuan.NoticeAcked:
				row.Acked++
			}
		}
		rows = append(rows, row)
	}
	if *jsonOut {
		return writeJSON(env.Stdout, rows)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE\tDELIVERED\tREAD\tACKED")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\n", r.ID, r.Severity, r.Title, r.Delivered, r.Read, r.Acked)
	}
	return tw.Flush()
}

func runNoticeAck(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "notice ack")
	dir := dataFlag(fs)
	id := fs.String("id", "", "notice id (required)")
	status := fs.String("status", shuan.NoticeAcked, "read | acked")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return fmt.Errorf("%w: --id is required", errUsage)
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	return r.MarkNotice(ctx, shuan.User{}, *id, *status)
}
