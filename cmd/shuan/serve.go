package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/shuan-dev/shuan/node"
	"github.com/shuan-dev/shuan/web"
)

func init() {
	register(command{name: "serve", summary: "run a node: federation API, console and link to the parent", run: runServe})
}

// consoleFor builds the console handler of a node.
func consoleFor(r *node.Runtime) (http.Handler, error) {
	return web.New(web.Config{SelfID: r.Cfg.ID, Store: r.DB, Actions: r, Scans: r, Catalog: r, Monitor: r, Now: time.Now, Log: r.Log, Version: version})
}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "serve")
	dir := dataFlag(fs)
	verbose := fs.Bool("v", false, "log debug messages")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireData(*dir); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	r, err := node.Open(ctx, *dir, log)
	if err != nil {
		return err
	}
	defer r.Close()
	r.Version = version
	return r.Serve(ctx, consoleFor, func(fedAddr, consoleAddr string) {
		fmt.Fprintf(env.Stdout, "serving %s: federation https://%s console http://%s\n", r.Cfg.Name, fedAddr, consoleAddr)
	})
}
