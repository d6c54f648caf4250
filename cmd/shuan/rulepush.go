package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/shuan-dev/shuan"
)

func init() {
	register(command{name: "rules push", summary: "send a detection rule pack down the federation (SM3-checked at every node)", run: runRulesPush})
	register(command{name: "rules held", summary: "list the detection rule packs this node holds from above", run: runRulesHeld})
}

func runRulesPush(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "rules push")
	dir := dataFlag(fs)
	file := fs.String("file", "", "rule pack YAML file (required)")
	target := fs.String("target", "all", "all | region:CODE | industry:CODE | node:ID (comma-separated)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return fmt.Errorf("%w: --file is required", errUsage)
	}
	t, err := parseTarget(*target)
	if err != nil {
		return err
	}
	content, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	p, err := r.PushRulePack(ctx, shuan.User{}, filepath.Base(*file), content, t)
	if err != nil {
		return err
	}
	if *jsonOut {
		p.Content = nil
		return writeJSON(env.Stdout, p)
	}
	fmt.Fprintf(env.Stdout, "pushed %s %s sm3 %s\n", p.Name, p.Version, p.SM3)
	return nil
}

func runRulesHeld(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "rules held")
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
	ps, err := r.RulePacks(ctx)
	if err != nil {
		return err
	}
	if *jsonOut {
		for i := range ps {
			ps[i].Content = nil
		}
		return writeJSON(env.Stdout, ps)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSM3\tFROM\tRECEIVED")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%.16s…\t%s\t%s\n", p.Name, p.Version, p.SM3, p.Origin, p.Received.Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}
