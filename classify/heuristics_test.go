package classify

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestSchemaHeuristics covers the reading of schemas that no single keyword
// explains: folded names, comments that explain abbreviations, business
// codes under key suffixes, bare timestamps, tables whose columns are
// personal information by what the table is, and identifier columns.
func TestSchemaHeuristics(t *testing.T) {
	e := mustLoad(t)
	ints := func(n int) []string {
		v := make([]string, n)
		for i := range v {
			v[i] = fmt.Sprint(i + 1)
		}
		return v
	}
	rep := func(n int, vals ...string) []string {
		var out []string
		for len(out) < n {
			out = append(out, vals...)
		}
		return out[:n]
	}
	var names []string
	for _, sur := range []string{"王", "李", "张", "刘", "陈", "杨"} {
		for _, giv := range []string{"伟", "娜", "强", "静", "磊"} {
			names = append(names, sur+giv)
		}
	}
	stamps := rep(30, "2026-03-01 08:15:00", "2026-03-02 09:30:12", "2026-03-05 17:45:59")
	dates := rep(30, "2026-03-01", "2026-03-02", "2026-04-11")
	c := func(name, typ, comment string, vals []string) Column {
		return Column{Name: name, Type: typ, Comment: comment, Values: vals}
	}
	for _, tc := range []struct {
		name  string
		table Table
		want  map[string]string // column → "category pi"
	}{
		{
			name: "PostgreSQL-folded camelCase names are split into words",
			table: Table{Name: "loomstatus", Comment: "织机实时状态", Columns: []Column{
				c("id", "bigint", "", ints(30)),
				c("updatetime", "timestamp", "", stamps),
				c("contactid", "bigint", "", ints(30)),
			}},
			want: map[string]string{"updatetime": "tech -", "contactid": "tech -"},
		},
		{
			name: "a Chinese comment explains a pinyin abbreviation (gz is 钢种, not 工资)",
			table: Table{Name: "lg_zlyl", Comment: "转炉冶炼记录", Columns: []Column{
				c("gz", "varchar", "钢种", rep(30, "Q235B", "HRB400E", "SPHC")),
				c("jbgz", "numeric", "", rep(30, "5200.00", "6100.50")),
			}},
			want: map[string]string{"gz": "prod.process -"},
		},
		{
			name: "a key suffix over business codes references an entity; over integers it is a key",
			table: Table{Name: "etch_recipe_step", Comment: "刻蚀配方步骤", Columns: []Column{
				c("step_id", "bigint", "", ints(30)),
				c("recipe_id", "varchar", "", rep(30, "ET-ABC-101", "ET-XYZ-202")),
				c("product_id", "varchar", "", rep(30, "AB1234C", "XY9876Z")),
			}},
			want: map[string]string{"step_id": "tech -", "recipe_id": "prod.process -", "product_id": "mgmt.customer_product -"},
		},
		{
			name: "bookkeeping timestamps are tech, the times of business events are not",
			table: Table{Name: "sp_mjjl", Comment: "杀菌釜杀菌记录", Columns: []Column{
				c("jlsj", "timestamp without time zone", "", stamps),
				c("sjwd", "numeric", "杀菌温度", rep(30, "121.5", "121.1")),
				c("scrq", "date", "生产日期", dates),
				c("synced_at", "timestamp", "", stamps),
				c("gxsj", "timestamp", "", stamps),
			}},
			want: map[string]string{"jlsj": "prod.process -", "scrq": "prod.process -", "synced_at": "tech -", "gxsj": "tech -"},
		},
		{
			name: "a medical-exam record is health information, except the organisations it names",
			table: Table{Name: "emp_medical_exam", Columns: []Column{
				c("exam_id", "bigint", "", ints(30)),
				c("height_cm", "integer", "", rep(30, "172", "165", "180")),
				c("color_vision", "varchar", "", rep(30, "正常", "色弱")),
				c("exam_date", "date", "", dates),
				c("exam_org", "varchar", "体检机构", rep(30, "市职业病防治院", "区人民医院")),
			}},
			want: map[string]string{"height_cm": "mgmt.hr_finance pi.health", "color_vision": "mgmt.hr_finance pi.health",
				"exam_date": "mgmt.hr_finance pi.health", "exam_id": "tech -", "exam_org": "mgmt.hr_finance -"},
		},
		{
			name: "a training record's courses and scores are employment information",
			table: Table{Name: "px_jl", Comment: "员工培训记录", Columns: []Column{
				c("kcmc", "varchar", "课程名称", rep(30, "三级安全教育", "叉车安全操作")),
				c("cj", "integer", "考试成绩", rep(30, "88", "92", "75")),
			}},
			want: map[string]string{"kcmc": "mgmt.hr_finance pi.employment", "cj": "mgmt.hr_finance pi.employment"},
		},
		{
			name: "IP and register addresses are no personal addresses; postal ones are",
			table: Table{Name: "ot_sec_event", Comment: "工控安全审计日志", Columns: []Column{
				c("source_addr", "varchar", "", rep(30, "10.1.2.3", "192.168.10.20")),
				c("dz", "varchar", "", rep(30, "DB1.DBD0", "40001", "M100.0")),
				c("home_address", "varchar", "", rep(30, "江苏省苏州市工业园区星湖街328号", "浙江省杭州市西湖区文三路90号")),
			}},
			want: map[string]string{"source_addr": "prod.log -", "dz": "prod.log -", "home_address": "prod.log pi.address"},
		},
		{
			name: "an organisation's phone and address are no personal information; its contact person's are",
			table: Table{Name: "Vendor", Columns: []Column{
				c("cVenPhone", "varchar", "", rep(30, "021-62813807", "010-84562005")),
				c("cVenAddress", "varchar", "", rep(30, "湖北省武汉市东湖高新区光谷大道77号", "上海市浦东新区张江路88号")),
				c("cVenPerson", "varchar", "", names),
				c("cVenPersonPhone", "varchar", "", rep(30, "13812345678", "13987654321")),
			}},
			want: map[string]string{"cVenPhone": "mgmt.supply_chain -", "cVenAddress": "mgmt.supply_chain -",
				"cVenPerson": "mgmt.supply_chain pi.name", "cVenPersonPhone": "mgmt.supply_chain pi.phone"},
		},
		{
			name: "a register of suppliers holds company addresses and accounts, its contacts' mobiles are personal",
			table: Table{Name: "t_BD_Supplier", Comment: "供应商档案", Columns: []Column{
				c("FRegisterAddress", "varchar", "", rep(30, "湖北省武汉市东湖高新区光谷大道77号", "上海市浦东新区张江路88号")),
				c("FBankAccount", "varchar", "", rep(30, "6222021001116245702", "6212261001000001234")),
				c("FContactMobile", "varchar", "", rep(30, "13812345678", "13987654321")),
			}},
			want: map[string]string{"FRegisterAddress": "mgmt.supply_chain -", "FBankAccount": "mgmt.supply_chain -",
				"FContactMobile": "mgmt.supply_chain pi.phone"},
		},
		{
			name: "every business column of an attendance record is employment information",
			table: Table{Name: "CHECKINOUT", Columns: []Column{
				c("CHECKTIME", "datetime", "", stamps),
				c("CHECKTYPE", "varchar", "", rep(30, "I", "O")),
			}},
			want: map[string]string{"CHECKTIME": "mgmt.hr_finance pi.employment", "CHECKTYPE": "mgmt.hr_finance pi.employment"},
		},
		{
			name: "an equipment number does not make a tightening record an asset table",
			table: Table{Name: "zp_njjl", Comment: "总装拧紧记录", Columns: []Column{
				c("njqbh", "varchar", "拧紧枪编号", rep(30, "NJQ-001", "NJQ-002")),
				c("mbnj", "numeric", "目标扭矩(N·m)", rep(30, "45.0", "60.5")),
				c("sjjd", "numeric", "实际角度", rep(30, "120.5", "98.1")),
			}},
			want: map[string]string{"njqbh": "mgmt.asset -", "mbnj": "prod.process -", "sjjd": "prod.process -"},
		},
		{
			name: "pinyin spellings of Chinese keywords are read like the characters",
			table: Table{Name: "gongyi_canshu", Columns: []Column{
				c("shebei_bianhao", "varchar", "", rep(30, "K2-AB-101", "K2-CD-202")),
				c("shebeibianhao2", "varchar", "", rep(30, "K2-AB-101", "K2-CD-202")),
				c("lxdh", "varchar", "", rep(30, "13812345678", "13987654321")),
				c("jiare_wendu", "numeric", "", rep(30, "980.5", "1010.2")),
			}},
			want: map[string]string{"shebei_bianhao": "mgmt.asset -", "lxdh": "prod.process pi.phone", "jiare_wendu": "prod.process -"},
		},
		{
			name: "a generic ledger word does not make a sharing ledger an asset table",
			table: Table{Name: "data_share_ledger", Comment: "数据对外共享台账", Columns: []Column{
				c("agreement_no", "varchar", "", rep(30, "XY-2026-001", "XY-2026-002")),
				c("recipient_uscc", "varchar", "", rep(30, "91350100M000100Y43", "91110000600037341L", "9132010013490876X8", "91440300MA5D8F2K97")),
			}},
			want: map[string]string{"agreement_no": "ext.shared -", "recipient_uscc": "ext.shared -"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := e.Classify(tc.table, Options{})
			for i, col := range tc.table.Columns {
				want, ok := tc.want[col.Name]
				if !ok {
					continue
				}
				l := tl.Columns[i]
				pi := l.PI
				if pi == "" {
					pi = "-"
				}
				if got := l.Category + " " + pi; got != want {
					t.Errorf("%s: got %s, want %s; evidence %v", col.Name, got, want, l.Evidence)
				}
			}
		})
	}
}

func TestSplitRun(t *testing.T) {
	e := mustLoad(t)
	for in, want := range map[string]string{
		"updatetime":   " update time ",
		"contactid":    " contact id ",
		"customername": " customer name ",
		"sbbh":         " sbbh ",       // too short: pinyin initials stay whole
		"qwertyuiop":   " qwertyuiop ", // no split into known words
		"gylxbm":       " gylxbm ",
	} {
		if got := e.normName(in); got != want {
			t.Errorf("normName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPolicyWordsExtend checks that a user pack's policy word lists add to
// the defaults: a province that names farmers' cooperatives as registers of
// organisations gets their addresses treated as company data.
func TestPolicyWordsExtend(t *testing.T) {
	coop := Table{Name: "hzs_dangan", Comment: "合作社档案", Columns: []Column{
		{Name: "dizhi", Comment: "地址", Values: []string{"江苏省苏州市吴江区七都镇庙港村8号", "浙江省湖州市南浔区练市镇12号", "江苏省苏州市吴江区七都镇庙港村8号"}},
	}}
	if got := mustLoad(t).Classify(coop, Options{}).Columns[0].PI; got != "pi.address" {
		t.Fatalf("default packs: PI %q, want pi.address", got)
	}
	dir := t.TempDir()
	pack := "pack: {name: province-test, version: \"1\"}\npolicy:\n  words:\n    corporate_tables: [合作社]\n"
	if err := os.WriteFile(filepath.Join(dir, "words.yaml"), []byte(pack), 0o644); err != nil {
		t.Fatal(err)
	}
	e := mustLoad(t, dir)
	if got := e.Classify(coop, Options{}).Columns[0].PI; got != "" {
		t.Fatalf("with the province's words: PI %q, want none", got)
	}
	vendor := Table{Name: "vendor", Columns: []Column{{Name: "reg_address", Values: coop.Columns[0].Values}}}
	if got := e.Classify(vendor, Options{}).Columns[0].PI; got != "" {
		t.Fatalf("default words lost when the province added its own: PI %q", got)
	}
}
