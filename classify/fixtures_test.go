package classify

import (
	"fmt"
	"math/rand"
)

// Realistic synthetic fixtures. Identifiers are generated with valid check
// characters; none belongs to a real person.

func genResidentID(r *rand.Rand) string {
	areas := []string{"320102", "440306", "110105", "510107", "330102", "370202", "420106"}
	s := fmt.Sprintf("%s%04d%02d%02d%03d", areas[r.Intn(len(areas))], 1960+r.Intn(45), 1+r.Intn(12), 1+r.Intn(28), r.Intn(1000))
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * idWeight(i)
	}
	return s + string("10X98765432"[sum%11])
}

func genMobile(r *rand.Rand) string {
	segs := []string{"138", "139", "186", "159", "177", "199", "133", "150"}
	return fmt.Sprintf("%s%08d", segs[r.Intn(len(segs))], r.Intn(100000000))
}

func genBankCard(r *rand.Rand) string {
	s := fmt.Sprintf("6222%014d", r.Int63n(1e14))
	for d := 0; d < 10; d++ {
		c := s + string(rune('0'+d))
		if Luhn(c) {
			return c
		}
	}
	return s
}

func genName(r *rand.Rand) string {
	sur := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗")
	given := []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")
	n := string(sur[r.Intn(len(sur))]) + string(given[r.Intn(len(given))])
	if r.Intn(2) == 0 {
		n += string(given[r.Intn(len(given))])
	}
	return n
}

func repeat(n int, f func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func hrTable(r *rand.Rand, rows int64) Table {
	n := 50
	return Table{Name: "hr_ryxx", Comment: "员工基本信息", Rows: rows, Columns: []Column{
		{Name: "id", Type: "bigint", Values: repeat(n, func(i int) string { return fmt.Sprint(i + 1) })},
		{Name: "xm", Type: "varchar", Comment: "姓名", Values: repeat(n, func(int) string { return genName(r) })},
		{Name: "sfzh", Type: "varchar", Comment: "身份证号", Values: repeat(n, func(int) string { return genResidentID(r) })},
		{Name: "lxdh", Type: "varchar", Comment: "联系电话", Values: repeat(n, func(int) string { return genMobile(r) })},
		{Name: "yhkh", Type: "varchar", Comment: "工资卡号", Values: repeat(n, func(int) string { return genBankCard(r) })},
		{Name: "jbgz", Type: "decimal", Comment: "基本工资", Values: repeat(n, func(int) string { return fmt.Sprint(5000 + r.Intn(20000)) })},
		{Name: "bm", Type: "varchar", Comment: "所属部门", Values: repeat(n, func(int) string { return "炼钢厂" })},
		{Name: "create_time", Type: "timestamp", Values: repeat(n, func(int) string { return "2024-03-01 08:00:00" })},
		{Name: "is_deleted", Type: "tinyint", Values: repeat(n, func(int) string { return "0" })},
	}}
}

func mesProcessTable(r *rand.Rand) Table {
	n := 60
	return Table{Name: "mes_gl_gycs", Comment: "高炉工艺参数", Rows: 3_000_000, Columns: []Column{
		{Name: "ID", Type: "bigint", Values: repeat(n, func(i int) string { return fmt.Sprint(i) })},
		{Name: "LC", Type: "varchar", Comment: "炉次号", Values: repeat(n, func(i int) string { return fmt.Sprintf("B1-24%05d", i) })},
		{Name: "FW", Type: "numeric", Comment: "热风温度", Values: repeat(n, func(int) string { return fmt.Sprintf("%d℃", 1150+r.Intn(100)) })},
		{Name: "FY", Type: "numeric", Comment: "热风压力", Values: repeat(n, func(int) string { return fmt.Sprintf("%.2f", 0.35+r.Float64()/10) })},
		{Name: "PMB", Type: "numeric", Comment: "喷煤比", Values: repeat(n, func(int) string { return fmt.Sprint(140 + r.Intn(40)) })},
		{Name: "X1", Type: "numeric", Comment: "", Values: repeat(n, func(int) string { return fmt.Sprintf("%.3f", r.Float64()) })},
		{Name: "PF", Type: "varchar", Comment: "配料方案", Values: repeat(n, func(int) string { return "烧结矿:75%;球团:15%;块矿:10%" })},
		{Name: "CZY", Type: "varchar", Comment: "操作员", Values: repeat(n, func(int) string { return genName(r) })},
		{Name: "GXSJ", Type: "timestamp", Comment: "更新时间", Values: repeat(n, func(int) string { return "2024-05-01 10:00:00" })},
	}}
}

func scadaTable(r *rand.Rand) Table {
	n := 40
	tags := []string{"FIC-101.PV", "TT_203", "PT101A", "LIC-2001.SP", "TIC-305.PV", "FT-102"}
	return Table{Name: "scada_point", Comment: "", Rows: -1, Columns: []Column{
		{Name: "point_id", Type: "int", Values: repeat(n, func(i int) string { return fmt.Sprint(i) })},
		{Name: "tag", Type: "varchar", Values: repeat(n, func(i int) string { return tags[i%len(tags)] })},
		{Name: "node", Type: "varchar", Values: repeat(n, func(i int) string { return fmt.Sprintf("ns=2;s=Line1.Unit%d.Value", i) })},
		{Name: "val", Type: "double", Values: repeat(n, func(int) string { return fmt.Sprintf("%.2f", r.Float64()*100) })},
		{Name: "unit_val", Type: "varchar", Values: repeat(n, func(int) string { return fmt.Sprintf("%.1f MPa", r.Float64()*5) })},
		{Name: "ts", Type: "timestamp", Values: repeat(n, func(int) string { return "2024-05-01T10:00:00Z" })},
	}}
}

func erpCustomerTable(r *rand.Rand) Table {
	n := 30
	cities := []string{"江苏省南京市玄武区中山路%d号", "上海市浦东新区张江路%d弄3号", "广东省深圳市南山区科技园路%d号"}
	return Table{Name: "erp_kh", Comment: "客户档案", Rows: 12000, Columns: []Column{
		{Name: "khbh", Comment: "客户编号", Values: repeat(n, func(i int) string { return fmt.Sprintf("KH%06d", i) })},
		{Name: "khmc", Comment: "客户名称", Values: repeat(n, func(i int) string { return fmt.Sprintf("某某机械有限公司%d", i) })},
		{Name: "tyshxydm", Comment: "统一社会信用代码", Values: repeat(n, func(i int) string {
			return []string{"91350100M000100Y43", "91110000600037341L", "9132010013490876X8"}[i%3]
		})},
		{Name: "lxr", Comment: "联系人", Values: repeat(n, func(int) string { return genName(r) })},
		{Name: "sjh", Comment: "手机号", Values: repeat(n, func(int) string { return genMobile(r) })},
		{Name: "email", Values: repeat(n, func(i int) string { return fmt.Sprintf("buyer%d@example.com.cn", i) })},
		{Name: "dz", Comment: "地址", Values: repeat(n, func(i int) string { return fmt.Sprintf(cities[i%3], i+1) })},
		{Name: "xyed", Comment: "信用额度", Values: repeat(n, func(int) string { return fmt.Sprint(r.Intn(1000000)) })},
	}}
}

func logTable() Table {
	n := 20
	return Table{Name: "sys_oper_log", Comment: "操作日志", Rows: 500000, Columns: []Column{
		{Name: "oper_id", Values: repeat(n, func(i int) string { return fmt.Sprint(i) })},
		{Name: "oper_ip", Values: repeat(n, func(i int) string { return fmt.Sprintf("10.1.%d.%d", i%255, i%200+1) })},
		{Name: "oper_name", Comment: "操作人员", Values: repeat(n, func(int) string { return "admin" })},
		{Name: "request_url", Values: repeat(n, func(int) string { return "/api/mes/recipe/save" })},
		{Name: "oper_time", Values: repeat(n, func(int) string { return "2024-05-01 10:00:00" })},
	}}
}

func userTable() Table {
	n := 10
	return Table{Name: "sys_user", Rows: 200, Columns: []Column{
		{Name: "user_id", Values: repeat(n, func(i int) string { return fmt.Sprint(i) })},
		{Name: "login_name", Values: repeat(n, func(i int) string { return fmt.Sprintf("user%d", i) })},
		{Name: "password", Values: repeat(n, func(int) string { return "$2b$12$KIXQJwZx0yqkJ7u8kTqNveCkHcK5Yk6a4w8J3PZ6Qm3bV1e0qYb9C" })},
		{Name: "F7", Comment: "", Values: repeat(n, func(i int) string {
			return "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
		})},
	}}
}

func vehicleTrackTable(r *rand.Rand) Table {
	n := 30
	return Table{Name: "vehicle_track", Comment: "车辆轨迹", Rows: 8_000_000, Columns: []Column{
		{Name: "vin", Values: repeat(n, func(i int) string { return fmt.Sprintf("LSVAU2180N%07d", i) })},
		{Name: "cph", Values: repeat(n, func(i int) string { return fmt.Sprintf([]string{"京A%05d", "沪AD%05d", "粤B·D%05d"}[i%3], i) })},
		{Name: "pos", Values: repeat(n, func(int) string { return fmt.Sprintf("%.6f,%.6f", 30+r.Float64(), 120+r.Float64()) })},
		{Name: "speed", Comment: "车速", Values: repeat(n, func(int) string { return fmt.Sprint(r.Intn(120)) })},
	}}
}

func plmTable() Table {
	n := 10
	return Table{Name: "plm_part", Comment: "零部件图档", Rows: 5000, Columns: []Column{
		{Name: "part_no", Values: repeat(n, func(i int) string { return fmt.Sprintf("P-%05d", i) })},
		{Name: "drawing_no", Comment: "图号", Values: repeat(n, func(i int) string { return fmt.Sprintf("DWG-%05d", i) })},
		{Name: "nc_program", Comment: "数控程序", Values: repeat(n, func(int) string { return "G01 X10.5 Y20.0 F300" })},
		{Name: "cad_file", Values: repeat(n, func(i int) string { return fmt.Sprintf("/vault/%d.step", i) })},
	}}
}

// idWeight is 2^(17-i) mod 11, the GB 11643 weight of position i.
func idWeight(i int) int {
	w := 1
	for k := 0; k < 17-i; k++ {
		w = w * 2 % 11
	}
	return w
}
