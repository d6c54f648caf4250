package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shuan-dev/shuan/catalog"
	"github.com/shuan-dev/shuan/scan/fixture"
)

// enterprises are the demo's enterprise keys, in order.
var enterprises = []string{"steel", "icfab", "auto", "textile"}

func col(name, typ, cat, gen string) fixture.Column {
	return fixture.Column{Name: name, Type: typ, Category: cat, Gen: gen}
}

// Factories are the sample factory databases, one per demo enterprise: a few
// tables the industry's rule pack grades important, and an ordinary one.
func Factories() map[string]*fixture.Spec {
	id := col("id", "id", "tech", "seq")
	staff := fixture.Table{Name: "hr_yuangong", Category: "mgmt.hr_finance", Columns: []fixture.Column{id,
		col("xm", "str(32)", "mgmt.hr_finance", "name"), col("sjh", "str(20)", "mgmt.hr_finance", "mobile")}}
	return map[string]*fixture.Spec{
		"steel": {Tables: []fixture.Table{
			{Name: "steel_grade_spec", Category: "rd.design", Columns: []fixture.Column{id, col("grade_code", "str(32)", "rd.design", "code:Q###@"),
				col("recipe", "str(64)", "rd.design", "code:C:0.##%;Mn:1.##%"), col("alloy_ratio", "num", "rd.design", "float:0:5:2")}},
			{Name: "converter_plc", Category: "prod.control", Columns: []fixture.Column{id, col("interlock", "str(32)", "prod.control", "enum:ON|OFF"),
				col("gas_pressure", "num", "prod.control", "float:0:5:2"), col("setpoint", "num", "prod.control", "float:1200:1700:1")}},
			staff}},
		"icfab": {Tables: []fixture.Table{
			{Name: "litho_recipe", Category: "prod.process", Columns: []fixture.Column{id, col("wafer_lot", "str(32)", "prod.process", "code:LOT-####"),
				col("dose", "num", "prod.process", "float:20:40:1"), col("focus", "num", "prod.process", "float:-1:1:3")}},
			{Name: "cp_test_result", Category: "rd.test", Columns: []fixture.Column{id, col("wafer_id", "str(32)", "rd.test", "code:W####"),
				col("sort_yield", "num", "rd.test", "float:80:99:2")}},
			{Name: "tapeout_db", Category: "rd.design", Columns: []fixture.Column{id, col("gds_path", "str(128)", "rd.design", "path"),
				col("mask_layer", "int", "rd.design", "int:1:60")}},
			staff}},
		"auto": {Tables: []fixture.Table{
			{Name: "charging_station_status", Category: "prod.condition", Columns: []fixture.Column{id, col("station_code", "str(32)", "prod.condition", "code:CS-####"),
				col("power_kw", "num", "prod.condition", "float:30:180:1"), col("charging_state", "str(16)", "prod.condition", "enum:idle|charging|fault")}},
			{Name: "adas_capture", Category: "prod.log", Columns: []fixture.Column{id, col("exterior_video", "str(128)", "prod.log", "path"),
				col("plate", "str(16)", "prod.log", "plate"), col("captured_at", "ts", "prod.log", "ts")}},
			staff}},
		"textile": {Tables: []fixture.Table{
			{Name: "aramid_trial", Category: "rd.test", Columns: []fixture.Column{id, col("draw_ratio", "num", "rd.test", "float:2:8:2"),
				col("fiber_strength", "num", "rd.test", "float:2:5:2")}},
			{Name: "carbon_fiber_spinning", Category: "prod.process", Columns: []fixture.Column{id, col("carbonization_temp", "num", "prod.process", "float:1000:1500:0"),
				col("tension", "num", "prod.process", "float:1:9:2")}},
			staff}},
	}
}

// filingFields fill what a scan cannot know, as the enterprise's data
// security officer would.
func filingFields(name string, e catalog.Entry) []string {
	f := []string{"source=本企业生产经营活动中产生", "system=" + name + "生产管理系统",
		"purpose=生产工艺控制与质量管理", "method=收集、存储、使用、加工", "scope=企业内部生产、研发部门",
		"owner=王建国", "department=数据安全管理办公室", "sharing=无", "cross_border=无",
		"security=访问控制、SM4加密存储、操作审计、异地容灾备份", "storage_bytes=" + fmt.Sprint(e.Records*512)}
	if e.Description == "" {
		f = append(f, "description="+e.Name+"（由数据分类分级扫描识别）")
	}
	return f
}

func (d *Federation) catalogShow(ctx context.Context, key string) (catalog.Version, error) {
	var v catalog.Version
	out, err := d.shuan(ctx, "", "catalog", "show", "--data", d.nodes[key].dir, "--json")
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal([]byte(out), &v)
}

// scanFactories writes each enterprise's factory database and scans it
// through the binary, as an operator would.
func (d *Federation) scanFactories(ctx context.Context) error {
	industry := map[string]string{}
	for _, s := range Nodes() {
		industry[s.Key] = s.Industry
	}
	for _, k := range enterprises {
		db := filepath.Join(d.o.Dir, k+"-factory.db")
		os.Remove(db)
		spec := Factories()[k]
		if err := fixture.WriteSQLite(db, spec, spec.Data(400, 2026)); err != nil {
			return err
		}
		out := filepath.Join(d.o.Dir, k+"-scan.json")
		if _, err := d.shuan(ctx, "", "scan", "sqlite:"+db, "--industry", industry[k], "--format", "json", "-o", out); err != nil {
			return err
		}
	}
	return nil
}

// buildCatalogs builds each catalog as the editor, completes its entries,
// checks that the editor may not approve it, and approves it as the reviewer.
func (d *Federation) buildCatalogs(ctx context.Context) error {
	for _, k := range enterprises {
		n := d.nodes[k]
		for _, u := range [][2]string{{"editor", "officer"}, {"reviewer", "reviewer"}} {
			if _, err := d.shuan(ctx, Password+"\n", "user", "add", "--data", n.dir, "--name", u[0], "--role", u[1], "--password-stdin"); err != nil {
				return err
			}
		}
		if _, err := d.shuan(ctx, "", "catalog", "build", "--data", n.dir, "--from", filepath.Join(d.o.Dir, k+"-scan.json"), "--as", "editor"); err != nil {
			return err
		}
		v, err := d.catalogShow(ctx, k)
		if err != nil {
			return err
		}
		if len(v.Entries) < 2 {
			return fmt.Errorf("%s: catalog has %d entries from its scan, want at least 2", k, len(v.Entries))
		}
		for _, e := range v.Entries {
			args := append([]string{"catalog", "set", "--data", n.dir, "--id", e.ID, "--as", "editor"}, filingFields(n.Name, e)...)
			if _, err := d.shuan(ctx, "", args...); err != nil {
				return err
			}
		}
		if _, err := d.shuan(ctx, "", "catalog", "approve", "--data", n.dir, "--as", "editor"); err == nil {
			return fmt.Errorf("%s: the editor approved their own catalog", k)
		}
		if _, err := d.shuan(ctx, "", "catalog", "approve", "--data", n.dir, "--as", "reviewer"); err != nil {
			return err
		}
	}
	return nil
}

type filingDoc struct {
	catalog.Filing
	Overdue bool `json:"overdue"`
	Proof   struct {
		Verified           bool `json:"verified"`
		AcceptanceVerified bool `json:"acceptance_verified"`
	} `json:"proof"`
}

func (d *Federation) filings(ctx context.Context, key string) ([]filingDoc, error) {
	out, err := d.shuan(ctx, "", "filing", "list", "--data", d.nodes[key].dir, "--json")
	if err != nil {
		return nil, err
	}
	var fs []filingDoc
	return fs, json.Unmarshal([]byte(out), &fs)
}

// waitFiling waits until node key holds filing id in status.
func (d *Federation) waitFiling(ctx context.Context, key, id, status string) error {
	return eventually(ctx, func() error {
		fs, err := d.filings(ctx, key)
		if err != nil {
			return err
		}
		for _, f := range fs {
			if f.ID == id {
				if f.Status != status {
					return fmt.Errorf("filing %s is %s at %s, want %s", id, f.Status, key, status)
				}
				return nil
			}
		}
		return fmt.Errorf("filing %s not yet at %s", id, key)
	})
}

func (d *Federation) submitFilings(ctx context.Context) error {
	d.filingIDs = map[string]string{}
	for _, k := range enterprises {
		out, err := d.shuan(ctx, "", "filing", "submit", "--data", d.nodes[k].dir, "--as", "editor")
		if err != nil {
			return err
		}
		d.filingIDs[k] = strings.TrimSpace(out)
	}
	for _, k := range enterprises {
		if err := d.waitFiling(ctx, d.nodes[k].Parent, d.filingIDs[k], catalog.Submitted); err != nil {
			return err
		}
	}
	// Each province sees its own enterprises' filings and no others.
	for _, p := range []string{"jiangsu", "guangdong"} {
		fs, err := d.filings(ctx, p)
		if err != nil {
			return err
		}
		for _, f := range fs {
			if !strings.HasPrefix(f.Region, map[string]string{"jiangsu": "32", "guangdong": "44"}[p]) {
				return fmt.Errorf("%s holds a filing of %s (%s)", p, f.EnterpriseName, f.Region)
			}
		}
		if len(fs) != 2 {
			return fmt.Errorf("%s holds %d filings, want 2", p, len(fs))
		}
	}
	return nil
}

func (d *Federation) returnFiling(ctx context.Context) error {
	v, err := d.catalogShow(ctx, "steel")
	if err != nil {
		return err
	}
	if _, err := d.shuan(ctx, "", "filing", "review", "--data", d.nodes["jiangsu"].dir, "--id", d.filingIDs["steel"], "--start"); err != nil {
		return err
	}
	if _, err := d.shuan(ctx, "", "filing", "review", "--data", d.nodes["jiangsu"].dir, "--id", d.filingIDs["steel"], "--return",
		"--comment", "请补充安全保护措施的具体内容", "--entry", v.Entries[0].ID, "--comment", "安全保护措施需写明密钥管理方式和备份频次"); err != nil {
		return err
	}
	if err := d.waitFiling(ctx, "steel", d.filingIDs["steel"], catalog.Returned); err != nil {
		return err
	}
	fs, err := d.filings(ctx, "steel")
	if err != nil {
		return err
	}
	if len(fs[0].Comments) != 1 || fs[0].Comments[0].EntryID != v.Entries[0].ID {
		return fmt.Errorf("steel did not receive the per-entry comment: %+v", fs[0].Comments)
	}
	return nil
}

func (d *Federation) resubmitFiling(ctx context.Context) error {
	n := d.nodes["steel"]
	v, err := d.catalogShow(ctx, "steel")
	if err != nil {
		return err
	}
	if _, err := d.shuan(ctx, "", "catalog", "set", "--data", n.dir, "--id", v.Entries[0].ID, "--as", "editor",
		"security=访问控制、SM4加密存储（密钥由密码机管理，每年轮换）、操作审计、每日增量备份并异地容灾"); err != nil {
		return err
	}
	if _, err := d.shuan(ctx, "", "catalog", "approve", "--data", n.dir, "--as", "reviewer"); err != nil {
		return err
	}
	out, err := d.shuan(ctx, "", "catalog", "diff", "--data", n.dir, "--from", "1", "--to", "2", "--json")
	if err != nil {
		return err
	}
	var diff catalog.Diff
	if err := json.Unmarshal([]byte(out), &diff); err != nil {
		return err
	}
	if len(diff.Changed) != 1 {
		return fmt.Errorf("diff of versions 1 and 2 shows %d changed entries, want 1", len(diff.Changed))
	}
	out, err = d.shuan(ctx, "", "filing", "submit", "--data", n.dir, "--as", "editor", "--json")
	if err != nil {
		return err
	}
	var f catalog.Filing
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		return err
	}
	if f.Revises != d.filingIDs["steel"] || f.Seq != 2 {
		return fmt.Errorf("resubmission revises %q at version %d, want %s at 2", f.Revises, f.Seq, d.filingIDs["steel"])
	}
	d.filingIDs["steel"] = f.ID
	return d.waitFiling(ctx, "jiangsu", f.ID, catalog.Submitted)
}

func (d *Federation) acceptFilings(ctx context.Context) error {
	for _, k := range enterprises {
		if _, err := d.shuan(ctx, "", "filing", "review", "--data", d.nodes[d.nodes[k].Parent].dir, "--id", d.filingIDs[k], "--accept"); err != nil {
			return err
		}
	}
	for _, k := range enterprises {
		if err := d.waitFiling(ctx, k, d.filingIDs[k], catalog.Accepted); err != nil {
			return err
		}
	}
	return nil
}

type rollupDoc struct {
	Totals     catalog.Totals   `json:"totals"`
	ByIndustry []catalog.Count  `json:"by_industry"`
	Coverage   catalog.Coverage `json:"coverage"`
}

func (d *Federation) checkMinistryFilings(ctx context.Context) error {
	dir := d.nodes["ministry"].dir
	return eventually(ctx, func() error {
		for _, k := range enterprises {
			out, err := d.shuan(ctx, "", "filing", "show", "--data", dir, "--id", d.filingIDs[k], "--json")
			if err != nil {
				return err
			}
			var f filingDoc
			if err := json.Unmarshal([]byte(out), &f); err != nil {
				return err
			}
			if f.Status != catalog.Accepted {
				return fmt.Errorf("%s's filing is %s at the ministry", k, f.Status)
			}
			if !f.Proof.Verified || !f.Proof.AcceptanceVerified {
				return fmt.Errorf("%s's filing at the ministry: enterprise signature verified %v, province acceptance verified %v", k, f.Proof.Verified, f.Proof.AcceptanceVerified)
			}
		}
		out, err := d.shuan(ctx, "", "filing", "rollup", "--data", dir, "--json")
		if err != nil {
			return err
		}
		var ru rollupDoc
		if err := json.Unmarshal([]byte(out), &ru); err != nil {
			return err
		}
		if ru.Coverage.Filed != 4 || ru.Coverage.Registered != 4 {
			return fmt.Errorf("ministry coverage %d of %d, want 4 of 4", ru.Coverage.Filed, ru.Coverage.Registered)
		}
		if len(ru.ByIndustry) != 4 {
			return fmt.Errorf("ministry totals cover %d industries, want 4", len(ru.ByIndustry))
		}
		if ru.Totals.Entries < 8 {
			return fmt.Errorf("ministry totals %d entries, want at least 8", ru.Totals.Entries)
		}
		return nil
	})
}

// changeTrigger rescans the steel works after its data grew by three
// quarters: a change filing becomes due there and surfaces at the province
// and the ministry.
func (d *Federation) changeTrigger(ctx context.Context) error {
	db := filepath.Join(d.o.Dir, "steel-factory.db")
	os.Remove(db)
	spec := Factories()["steel"]
	if err := fixture.WriteSQLite(db, spec, spec.Data(700, 2026)); err != nil {
		return err
	}
	out := filepath.Join(d.o.Dir, "steel-rescan.json")
	if _, err := d.shuan(ctx, "", "scan", "sqlite:"+db, "--industry", "C31", "--format", "json", "-o", out); err != nil {
		return err
	}
	if _, err := d.shuan(ctx, "", "catalog", "build", "--data", d.nodes["steel"].dir, "--from", out, "--as", "editor"); err != nil {
		return err
	}
	return eventually(ctx, func() error {
		for _, k := range []string{"steel", "jiangsu", "ministry"} {
			o, err := d.shuan(ctx, "", "filing", "changes", "--data", d.nodes[k].dir, "--json")
			if err != nil {
				return err
			}
			var cs []catalog.ChangeDue
			if err := json.Unmarshal([]byte(o), &cs); err != nil {
				return err
			}
			if len(cs) != 1 || len(cs[0].Reasons) == 0 || cs[0].Reasons[0].Kind != catalog.TriggerScale {
				return fmt.Errorf("%s knows %d change filings due, want 1 for the scale change", k, len(cs))
			}
		}
		return nil
	})
}
