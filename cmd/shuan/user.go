package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/shuan-dev/shuan"
)

func init() {
	register(command{name: "user add", summary: "create a console account (password from stdin or generated)", run: runUserAdd})
}

func runUserAdd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "user add")
	dir := dataFlag(fs)
	name := fs.String("name", "", "login name (required)")
	role := fs.String("role", "", "admin | officer | reviewer | analyst | auditor (required)")
	stdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" || *role == "" {
		return fmt.Errorf("%w: --name and --role are required", errUsage)
	}
	pw := ""
	if *stdin {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	u, pw2, err := r.AddUser(ctx, *name, shuan.UserRole(*role), pw, "cli")
	if err != nil {
		return err
	}
	if pw == "" {
		fmt.Fprintf(env.Stderr, "created %s (%s); its password, shown once:\n", u.Name, u.Role)
		fmt.Fprintln(env.Stdout, pw2)
		return nil
	}
	fmt.Fprintf(env.Stdout, "created %s (%s)\n", u.Name, u.Role)
	return nil
}
