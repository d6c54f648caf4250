package classify

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"
)

// benchTable is 20 columns × 1000 sampled values, a mix of PI, industrial
// content and plain business columns.
func benchTable() Table {
	r := rand.New(rand.NewSource(42))
	const n = 1000
	gen := []struct {
		name, comment string
		f             func(i int) string
	}{
		{"id", "", func(i int) string { return fmt.Sprint(i) }},
		{"xm", "姓名", func(int) string { return genName(r) }},
		{"sfzh", "身份证号", func(int) string { return genResidentID(r) }},
		{"lxdh", "联系电话", func(int) string { return genMobile(r) }},
		{"yhkh", "", func(int) string { return genBankCard(r) }},
		{"email", "", func(i int) string { return fmt.Sprintf("u%d@example.com", i) }},
		{"dz", "地址", func(i int) string { return fmt.Sprintf("江苏省南京市玄武区中山路%d号", i) }},
		{"c8", "", func(int) string { return fmt.Sprintf("%.3f", r.Float64()*1000) }},
		{"wd", "温度", func(int) string { return fmt.Sprintf("%d℃", 800+r.Intn(400)) }},
		{"yl", "压力", func(int) string { return fmt.Sprintf("%.2f MPa", r.Float64()*5) }},
		{"tag", "", func(i int) string { return fmt.Sprintf("TIC-%03d.PV", i%900+100) }},
		{"node", "", func(i int) string { return fmt.Sprintf("ns=2;s=Line1.Unit%d.PV", i) }},
		{"remark", "备注", func(i int) string { return fmt.Sprintf("第%d班次正常交接，无异常", i) }},
		{"order_no", "订单号", func(i int) string { return fmt.Sprintf("SO2024%08d", i) }},
		{"amount", "金额", func(int) string { return fmt.Sprintf("%.2f", r.Float64()*1e5) }},
		{"status", "", func(i int) string { return []string{"OPEN", "CLOSED", "HOLD"}[i%3] }},
		{"created_at", "", func(int) string { return "2024-05-01 10:00:00" }},
		{"ip", "", func(i int) string { return fmt.Sprintf("10.%d.%d.%d", i%250, i%200, i%100+1) }},
		{"csrq", "出生日期", func(int) string { return fmt.Sprintf("19%02d-%02d-%02d", 50+r.Intn(50), 1+r.Intn(12), 1+r.Intn(28)) }},
		{"F20", "", func(i int) string { return fmt.Sprintf("B%06d", i) }},
	}
	t := Table{Name: "bench_mixed", Comment: "混合基准表", Rows: 1_000_000}
	for _, g := range gen {
		t.Columns = append(t.Columns, Column{Name: g.name, Comment: g.comment, Values: repeat(n, g.f)})
	}
	return t
}

// BenchmarkClassify reports values/s for a 20 × 1000 table.
func BenchmarkClassify(b *testing.B) {
	e := mustLoad(b)
	t := benchTable()
	values := 0
	for _, c := range t.Columns {
		values += len(c.Values)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Classify(t, Options{Industry: "C31"})
	}
	b.ReportMetric(float64(values)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
}

// benchText is ~4 MB of log-like text with identifiers sprinkled in.
func benchText() []byte {
	r := rand.New(rand.NewSource(9))
	var buf bytes.Buffer
	for buf.Len() < 4<<20 {
		switch r.Intn(10) {
		case 0:
			fmt.Fprintf(&buf, "2024-05-01 10:00:%02d INFO user %s phone %s login from 10.1.%d.%d\n", r.Intn(60), genName(r), genMobile(r), r.Intn(255), r.Intn(255))
		case 1:
			fmt.Fprintf(&buf, "员工 %s 身份证 %s 工资卡 %s 已登记。\n", genName(r), genResidentID(r), genBankCard(r))
		default:
			fmt.Fprintf(&buf, "2024-05-01 10:00:%02d DEBUG furnace B1 tag TIC-%03d.PV value %.2f setpoint %d state=RUNNING batch=%d\n", r.Intn(60), r.Intn(900)+100, r.Float64()*1000, 1200, r.Intn(1e6))
		}
	}
	return buf.Bytes()
}

// BenchmarkScanText reports MB/s of free-text content scanning.
func BenchmarkScanText(b *testing.B) {
	e := mustLoad(b)
	text := benchText()
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.ScanText(text)
	}
}

// BenchmarkNameKeywords measures the Aho–Corasick name/comment matching alone.
func BenchmarkNameKeywords(b *testing.B) {
	e := mustLoad(b)
	names := []string{"sfzh", "customer_name", "mes_gl_gycs_fw", "员工联系电话", "updateTime", "plc_program_body", "F20", "热风温度设定值"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, n := range names {
			bestHits(e.nameIdx.find(normalize(n)))
		}
	}
	b.ReportMetric(float64(len(names))*float64(b.N)/b.Elapsed().Seconds(), "names/s")
}

// BenchmarkLoad compiles the embedded packs (with the pinyin spellings of
// every Chinese keyword), the start-up cost of every scan.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
