package main

import (
	"context"
	"fmt"

	"github.com/shuan-dev/shuan/ledger"
)

func init() {
	register(command{name: "audit verify", summary: "verify a node's SM3 hash-chained audit log", run: runAuditVerify})
}

func runAuditVerify(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "audit verify")
	dir := dataFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := openNode(ctx, env, *dir)
	if err != nil {
		return err
	}
	defer r.Close()
	var after int64
	var buf []ledger.Record
	i := 0
	next := func() (ledger.Record, bool, error) {
		if i == len(buf) {
			var err error
			if buf, err = r.DB.AuditRecords(ctx, after, 1000); err != nil {
				return ledger.Record{}, false, err
			}
			i = 0
			if len(buf) == 0 {
				return ledger.Record{}, false, nil
			}
			after = buf[len(buf)-1].Seq
		}
		i++
		return buf[i-1], true, nil
	}
	n, head, err := ledger.VerifyStream(next)
	if err != nil {
		return fmt.Errorf("audit log of %s is NOT intact: %w", *dir, err)
	}
	fmt.Fprintf(env.Stdout, "audit log intact: %d records, head %s\n", n, head)
	return nil
}
