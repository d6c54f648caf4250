package catalog

import (
	"html/template"
	"io"
	"time"

	"github.com/shuan-dev/shuan"
)

// PrintData is what the printable filing form shows.
type PrintData struct {
	Enterprise shuan.Node
	Filing     *Filing // nil when printing a version not filed
	Version    Version
	Signature  string // base64 SM2 signature of the filing envelope
	SM3        string // SM3 digest of the filing envelope
	Printed    time.Time
}

var printTmpl = template.Must(template.New("print").Funcs(template.FuncMap{
	"level":  LevelName,
	"inc":    func(i int) int { return i + 1 },
	"status": StatusName,
	"fields": func() any { return Fields },
	"get":    func(e Entry, k string) string { return e.Get(k) },
	"cst": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(Beijing).Format("2006-01-02 15:04")
	},
	"province": shuan.ProvinceName,
	"industry": shuan.IndustryName,
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>重要数据和核心数据目录备案表 · {{.Enterprise.Name}}</title>
<style>
body{font-family:"Noto Serif CJK SC","Songti SC",serif;margin:2em;color:#111}
h1{text-align:center;font-size:20pt;margin-bottom:.2em}
.sub{text-align:center;color:#444;margin-bottom:1.5em}
table{border-collapse:collapse;width:100%;margin-bottom:1.2em;font-size:10pt}
th,td{border:1px solid #333;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#eee;width:11em}
.entry{page-break-inside:avoid}
.sig{font-family:monospace;word-break:break-all;font-size:8.5pt}
@media print{body{margin:0}}
</style></head><body>
<h1>重要数据和核心数据目录备案表</h1>
<p class="sub">目录版本 {{.Version.Seq}} · {{status .Version.Status}}{{with .Filing}} · 备案状态：{{status .Status}}{{end}}</p>
<table id="filer">
<tr><th>备案单位</th><td>{{.Enterprise.Name}}</td><th>统一社会信用代码</th><td>{{.Enterprise.USCC}}</td></tr>
<tr><th>所在地区</th><td>{{province .Enterprise.Region}} {{.Enterprise.Region}}</td><th>所属行业</th><td>{{industry .Enterprise.Industry}} {{.Enterprise.Industry}}</td></tr>
<tr><th>内部审批人</th><td>{{.Version.Approver}}</td><th>审批时间</th><td>{{cst .Version.Approved}}</td></tr>
{{- with .Filing}}
<tr><th>备案编号</th><td>{{.ID}}</td><th>提交时间</th><td>{{cst .Submitted}}</td></tr>
<tr><th>审核期限</th><td>{{cst .Due}}</td><th>审核结论</th><td>{{status .Status}}{{with .Comment}}：{{.}}{{end}}</td></tr>
{{- end}}
</table>
{{range $i, $e := .Version.Entries}}
<table class="entry">
<tr><th colspan="2">第 {{inc $i}} 项 · {{$e.Name}}（{{level $e.Level}}）</th></tr>
{{- range fields}}{{if ne .Key "name"}}
<tr><th>{{.ZH}}</th><td>{{if eq .Key "level"}}{{level $e.Level}}{{else}}{{get $e .Key}}{{end}}</td></tr>
{{- end}}{{end}}
</table>
{{end}}
<table id="signature">
<tr><th>目录摘要（SM3）</th><td class="sig">{{.Version.SM3}}</td></tr>
<tr><th>备案报文摘要（SM3）</th><td class="sig" id="envelope-sm3">{{or .SM3 "—（未提交）"}}</td></tr>
<tr><th>备案单位签名（SM2）</th><td class="sig" id="envelope-sig">{{or .Signature "—（未提交）"}}</td></tr>
<tr><th>打印时间</th><td>{{cst .Printed}}</td></tr>
</table>
<p>说明：本表仅描述数据的来源、类别、级别、规模、载体、处理与保护等情况，不包含数据内容本身。</p>
</body></html>
`))

// WriteHTML writes the printable filing form.
func WriteHTML(w io.Writer, d PrintData) error { return printTmpl.Execute(w, d) }
