package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/detect"
	"github.com/shuan-dev/shuan/fed"
	"github.com/shuan-dev/shuan/gm"
	"github.com/shuan-dev/shuan/sqlstore"
)

// checkPack compiles one detection rule pack file on its own.
func checkPack(name string, content []byte) error {
	_, err := detect.LoadFiles(detect.Options{}, map[string][]byte{name: content})
	return err
}

// PushRulePack sends a detection rule pack down to the target nodes (ministry
// or province). The pack must compile and pass its own examples' syntax
// checks; every receiver checks its SM3 digest and compiles it again.
func (r *Runtime) PushRulePack(ctx context.Context, by shuan.User, name string, content []byte, t shuan.Target) (fed.HeldPack, error) {
	if r.Cfg.Role == shuan.RoleEnterprise {
		return fed.HeldPack{}, shuan.Errorf(shuan.EFORBIDDEN, "an enterprise node pushes no rule packs")
	}
	if by.ID != "" && !by.Role.Can(shuan.PermManageNodes) {
		return fed.HeldPack{}, shuan.Errorf(shuan.EFORBIDDEN, "user %s may not push rule packs", by.Name)
	}
	if err := t.Validate(); err != nil {
		return fed.HeldPack{}, err
	}
	eng, err := detect.LoadFiles(detect.Options{}, map[string][]byte{name: content})
	if err != nil {
		return fed.HeldPack{}, shuan.Errorf(shuan.EINVALID, "rule pack %s: %v", name, err)
	}
	for _, rep := range eng.TestExamples() {
		if !rep.OK() {
			return fed.HeldPack{}, shuan.Errorf(shuan.EINVALID, "rule pack %s: rule %s fails %d of its examples ('shuan rules test --detect DIR')", name, rep.Rule, rep.Failed)
		}
	}
	b := fed.RulePackBody{Name: name, Version: eng.Pack().Version, SM3: gm.HexSum(content), Content: content, Target: t}
	if err := fed.CheckRulePack(b); err != nil {
		return fed.HeldPack{}, err
	}
	now := r.Now().UTC()
	e, raw, err := fed.Seal(r.SignKey, r.Cfg.ID, fed.KindRulePack, b, now)
	if err != nil {
		return fed.HeldPack{}, err
	}
	held := fed.HeldPack{RulePackBody: b, Origin: r.Cfg.ID, Received: now}
	err = r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		if _, err := tx.InsertEnvelope(ctx, shuan.StoredEnvelope{ID: e.ID, Kind: e.Kind, Origin: e.Origin, IssuedAt: e.IssuedAt, Received: now, Raw: raw}); err != nil {
			return err
		}
		if err := fed.HoldRulePack(ctx, tx, held); err != nil {
			return err
		}
		if _, err := tx.AppendDown(ctx, shuan.DownItem{EnvelopeID: e.ID, Kind: e.Kind, Target: t, Raw: raw, Created: now}); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, now, actor(by), "rulepack.push", name, b.Version+" sm3="+b.SM3)
		return err
	})
	if err != nil {
		return fed.HeldPack{}, err
	}
	if r.srv != nil && r.srv.Down != nil {
		r.srv.Down.Notify()
	}
	return held, nil
}

// RulePacks returns the detection rule packs this node holds from above (or pushed itself).
func (r *Runtime) RulePacks(ctx context.Context) ([]fed.HeldPack, error) {
	return fed.HeldPacks(ctx, r.DB.Store)
}

// writeHeldPacks writes the held packs into DATA/monitor/packs for the
// detection engine and returns the directory, or "" when none are held.
func (r *Runtime) writeHeldPacks(ctx context.Context) (string, error) {
	packs, err := r.RulePacks(ctx)
	if err != nil || len(packs) == 0 {
		return "", err
	}
	dir := filepath.Join(r.Dir, "monitor", "packs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	for _, p := range packs {
		if err := writeFileAtomic(filepath.Join(dir, p.Name), p.Content, 0o600); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// rulePacksSummary says which rule packs the node runs, for heartbeats:
// the running engine's packs at a monitoring enterprise, else the packs held.
func (r *Runtime) rulePacksSummary() string {
	if st := r.monState(); st != nil {
		if eng := st.engine.Load(); eng != nil {
			p := eng.Pack()
			return fmt.Sprintf("%s %s sm3:%.12s", p.Name, p.Version, p.SM3)
		}
	}
	packs, err := r.RulePacks(context.Background())
	if err != nil || len(packs) == 0 {
		return ""
	}
	var parts []string
	for _, p := range packs {
		parts = append(parts, p.Name+"@"+p.Version)
	}
	return strings.Join(parts, ",")
}
