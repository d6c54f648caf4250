package main

import (
	"context"
	"io"
	"os"

	"github.com/shuan-dev/shuan/demo"
)

func init() {
	register(command{name: "demo", summary: "run the sample three-tier federation (--smoke: check it and exit)", run: runDemo})
}

func runDemo(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "demo")
	dir := fs.String("dir", "demo-data", "directory for the nodes' data (wiped first)")
	smoke := fs.Bool("smoke", false, "check every step headless and exit non-zero naming the first failure")
	verbose := fs.Bool("v", false, "show the nodes' logs")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var logw io.Writer = io.Discard
	if *verbose {
		logw = env.Stderr
	}
	return demo.Run(ctx, demo.Options{Exe: exe, Dir: *dir, Smoke: *smoke, Out: env.Stdout, Log: logw})
}
