package node

import (
	"context"
	"strings"
	"testing"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/fed"
	"github.com/shuan-dev/shuan/gm"
)

const extraPack = `pack:
  name: js-extra
  version: 2026.11.1
  description: 江苏省补充检测规则 Jiangsu supplementary rules
sigma:
  - id: js-drop-recipe
    risk: tampering
    summary_zh: 账号 {actor} 删除配方表 {object}
    summary_en: account {actor} dropped recipe table {object}
    rule:
      title: Drop of a recipe table
      level: high
      logsource: {category: database}
      detection:
        drop:
          action: DROP
        recipe:
          object|contains: recipe
        condition: drop and recipe
    examples:
      match:
        - {action: DROP, actor: app, object: public.recipe_steel}
      no_match:
        - {action: DROP, actor: app, object: public.tmp}
`

// TestRulePackPushedDown pushes a rule pack from the ministry to Jiangsu's
// region: its enterprises hold it (digest checked), Guangdong's do not, and
// the version each enterprise runs comes back up to the ministry.
func TestRulePackPushedDown(t *testing.T) {
	ctx := context.Background()
	f := newFederation(t)
	if _, err := f.ministry.PushRulePack(ctx, shuan.User{}, "js-extra.yaml", []byte("pack: {}"), shuan.Target{All: true}); shuan.ErrorCode(err) != shuan.EINVALID {
		t.Fatalf("a pack that does not compile was accepted: %v", err)
	}
	held, err := f.ministry.PushRulePack(ctx, shuan.User{}, "js-extra.yaml", []byte(extraPack), shuan.Target{Regions: []string{"320000"}})
	if err != nil {
		t.Fatal(err)
	}
	if held.Version != "2026.11.1" || held.SM3 != gm.HexSum([]byte(extraPack)) {
		t.Fatalf("pushed pack %+v", held.RulePackBody)
	}
	for _, e := range []*tier{f.steel, f.ic} {
		waitFor(t, "rule pack at "+e.Cfg.Name, func() error {
			ps, err := e.RulePacks(ctx)
			if err != nil || len(ps) != 1 || ps[0].SM3 != held.SM3 {
				return errorf("packs %v (%v)", ps, err)
			}
			return nil
		})
	}
	waitFor(t, "the enterprises' rule pack versions at the ministry", func() error {
		for _, e := range []*tier{f.steel, f.ic} {
			n, err := f.ministry.DB.FindNode(ctx, e.Cfg.ID)
			if err != nil {
				return err
			}
			if !strings.Contains(n.Health.RulePacks, "js-extra.yaml@2026.11.1") {
				return errorf("%s reports %q", e.Cfg.Name, n.Health.RulePacks)
			}
		}
		return nil
	})
	if ps, _ := f.auto.RulePacks(ctx); len(ps) != 0 {
		t.Errorf("Guangdong enterprise holds %d packs meant for Jiangsu", len(ps))
	}
}

func TestCheckRulePack(t *testing.T) {
	good := fed.RulePackBody{Name: "a.yaml", Version: "1", Content: []byte(extraPack), SM3: gm.HexSum([]byte(extraPack))}
	if err := fed.CheckRulePack(good); err != nil {
		t.Fatal(err)
	}
	altered := good
	altered.Content = []byte(strings.Replace(extraPack, "high", "low", 1))
	if err := fed.CheckRulePack(altered); err == nil || !strings.Contains(err.Error(), "SM3") {
		t.Errorf("altered content: %v", err)
	}
	for _, name := range []string{"../x.yaml", "x.txt", ".hidden.yaml", ""} {
		b := good
		b.Name = name
		if err := fed.CheckRulePack(b); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}
