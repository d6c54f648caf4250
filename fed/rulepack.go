package fed

import (
	"context"
	"encoding/json"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/gm"
	"github.com/shuan-dev/shuan/sqlstore"
)

// KindRulePack carries a detection rule pack down from the ministry or a province.
const KindRulePack = "rule_pack"

// settingRulePacks indexes the rule packs a node holds; each pack is kept
// under settingRulePack+name.
const (
	settingRulePacks = "rulepacks"
	settingRulePack  = "rulepack."
)

func init() {
	registerKind(KindRulePack, kind{version: 1, dir: down, down: downRulePack})
}

// RulePackBody is a rule pack file sent down: its content travels with its
// SM3 digest, which every receiver checks before it stores the pack.
type RulePackBody struct {
	Name    string       `json:"name"` // file name, e.g. js-extra.yaml
	Version string       `json:"version"`
	SM3     string       `json:"sm3"`
	Content []byte       `json:"content"`
	Target  shuan.Target `json:"target"`
}

// HeldPack is a rule pack as a node keeps it.
type HeldPack struct {
	RulePackBody
	Origin   string    `json:"origin"`
	Received time.Time `json:"received_at"`
}

// CheckRulePack validates a pack's name and digest.
func CheckRulePack(b RulePackBody) error {
	if b.Name == "" || path.Base(b.Name) != b.Name || !strings.HasSuffix(b.Name, ".yaml") || strings.HasPrefix(b.Name, ".") {
		return shuan.Errorf(shuan.EINVALID, "rule pack name %q must be a plain file name ending in .yaml", b.Name)
	}
	if b.Version == "" {
		return shuan.Errorf(shuan.EINVALID, "rule pack %s has no version", b.Name)
	}
	if gm.HexSum(b.Content) != b.SM3 {
		return shuan.Errorf(shuan.EINVALID, "rule pack %s: SM3 of the content does not match %s (altered in transit?)", b.Name, b.SM3)
	}
	return nil
}

// HoldRulePack stores a pack (replacing one of the same name) in tx.
func HoldRulePack(ctx context.Context, tx *sqlstore.Store, p HeldPack) error {
	names, err := heldNames(ctx, tx)
	if err != nil {
		return err
	}
	if !slices.Contains(names, p.Name) {
		names = append(names, p.Name)
		slices.Sort(names)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := tx.PutSetting(ctx, settingRulePack+p.Name, string(b)); err != nil {
		return err
	}
	nb, _ := json.Marshal(names)
	return tx.PutSetting(ctx, settingRulePacks, string(nb))
}

func heldNames(ctx context.Context, s *sqlstore.Store) ([]string, error) {
	v, err := s.Setting(ctx, settingRulePacks)
	if err != nil || v == "" {
		return nil, err
	}
	var names []string
	if err := json.Unmarshal([]byte(v), &names); err != nil {
		return nil, shuan.Errorf(shuan.EINTERNAL, "rule pack index is corrupt: %v", err)
	}
	return names, nil
}

// HeldPacks returns the rule packs a node holds, by name.
func HeldPacks(ctx context.Context, s *sqlstore.Store) ([]HeldPack, error) {
	names, err := heldNames(ctx, s)
	if err != nil {
		return nil, err
	}
	out := make([]HeldPack, 0, len(names))
	for _, n := range names {
		v, err := s.Setting(ctx, settingRulePack+n)
		if err != nil {
			return nil, err
		}
		var p HeldPack
		if err := json.Unmarshal([]byte(v), &p); err != nil {
			return nil, shuan.Errorf(shuan.EINTERNAL, "rule pack %s is corrupt: %v", n, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func downRulePack(ctx context.Context, d Down) error {
	var b RulePackBody
	if err := strictJSON(d.E.Body, &b); err != nil {
		return shuan.Errorf(shuan.EINVALID, "rule_pack %s: %v", d.E.ID, err)
	}
	if err := CheckRulePack(b); err != nil {
		return err
	}
	if d.A.CheckPack != nil {
		if err := d.A.CheckPack(b.Name, b.Content); err != nil {
			return shuan.Errorf(shuan.EINVALID, "rule pack %s %s does not compile: %v", b.Name, b.Version, err)
		}
	}
	if err := HoldRulePack(ctx, d.Tx, HeldPack{RulePackBody: b, Origin: d.E.Origin, Received: d.Now}); err != nil {
		return err
	}
	if d.A.Relay != nil && d.Self.Role == shuan.RoleProvince {
		if err := d.A.Relay.PublishDown(ctx, d.Tx, d.E, d.Raw, b.Target, d.Now); err != nil {
			return err
		}
	}
	_, err := d.Tx.AppendAudit(ctx, d.Now, "node:"+d.E.Origin, "rulepack.received", b.Name, b.Version+" sm3="+b.SM3)
	return err
}
