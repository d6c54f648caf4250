// Command shuan is the single binary of the shuan platform: it runs ministry,
// province and enterprise nodes (`shuan serve`) and carries the tool library
// (`shuan scan`, `shuan rules test`, …) as subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one `shuan <noun> [verb]` entry point.
type command struct {
	// name is the noun, or "noun verb" for two-word commands.
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

var commands = map[string]command{}

// register adds a command; each command file calls it from init.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("duplicate command " + c.name)
	}
	commands[c.name] = c
}

// Env carries the process streams so commands stay testable.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// errUsage marks an error whose message is a usage hint (exit code 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	code := Run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

// Run dispatches args to a command and returns the process exit code.
func Run(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		return 0
	}
	c, rest, ok := lookup(args)
	if !ok {
		fmt.Fprintf(env.Stderr, "shuan: unknown command %q (see 'shuan help')\n", strings.Join(args[:min(2, len(args))], " "))
		return 2
	}
	if err := c.run(ctx, env, rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(env.Stderr, "shuan %s: %v\n", c.name, err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func lookup(args []string) (command, []string, bool) {
	if len(args) >= 2 {
		if c, ok := commands[args[0]+" "+args[1]]; ok {
			return c, args[2:], true
		}
	}
	c, ok := commands[args[0]]
	return c, args[1:], ok
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "shuan — industrial data security platform (工业领域数据安全)")
	fmt.Fprintln(w, "\nUsage: shuan <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-20s %s\n", n, commands[n].summary)
	}
}

// newFlags returns a FlagSet that reports errors instead of exiting.
func newFlags(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("shuan "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parseFlags parses args and turns a flag error into a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}
