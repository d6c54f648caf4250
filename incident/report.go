package incident

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"text/template"
	"time"
)

// DataInvolved states the kinds and quantities of data involved.
type DataInvolved struct {
	CoreKinds      []string `json:"core_kinds"`
	CoreRecords    int64    `json:"core_records"`
	ImportantKinds []string `json:"important_kinds"`
	ImportantRecs  int64    `json:"important_records"`
	PIPeople       int64    `json:"pi_people"`
	SensitivePI    int64    `json:"sensitive_pi_people"`
}

// InitialReport is the first written report (事件上报). Its headings follow
// REGULATIONS.md §6.5; the plan's annex field list is unconfirmed [U].
type InitialReport struct {
	IncidentID      string       `json:"incident_id"`
	Reporter        string       `json:"reporter"` // reporting organisation
	Contact         string       `json:"contact"`
	ReportedAt      time.Time    `json:"reported_at"`
	DiscoveredAt    time.Time    `json:"discovered_at"`
	Level           string       `json:"level"`
	LevelZH         string       `json:"level_zh"`
	Unconfirmed     bool         `json:"grading_unconfirmed"`
	Status          Status       `json:"status"`
	Title           string       `json:"title"`
	AffectedSystems []string     `json:"affected_systems"`
	Data            DataInvolved `json:"data"`
	Causes          string       `json:"causes"`
	Impact          string       `json:"impact"`
	MeasuresTaken   string       `json:"measures_taken"`
	NextSteps       string       `json:"next_steps"`
	SupportNeeded   string       `json:"support_needed"`
}

// SummaryReport is the report after handling (事件总结报告).
type SummaryReport struct {
	InitialReport
	ResolvedAt   time.Time `json:"resolved_at"`
	RootCause    string    `json:"root_cause"`
	LossCNY      float64   `json:"loss_cny"`
	OutageHours  float64   `json:"outage_hours"`
	Lessons      string    `json:"lessons"`
	Improvements string    `json:"improvements"`
	Timeline     []Step    `json:"timeline"`
}

// NewInitialReport fills the fields an incident knows; people fill the rest.
func NewInitialReport(in *Incident, reporter string, at time.Time) InitialReport {
	r := InitialReport{IncidentID: in.ID, Reporter: reporter, ReportedAt: at.UTC(), DiscoveredAt: in.Discovered,
		Level: in.Grading.Level, LevelZH: in.Grading.LevelZH, Unconfirmed: in.Grading.Unconfirmed, Status: in.Status, Title: in.Title}
	for _, d := range in.Databases {
		r.AffectedSystems = append(r.AffectedSystems, d)
	}
	r.Data.PIPeople, r.Data.SensitivePI = in.Facts.PI, in.Facts.SensitivePI
	for _, o := range in.Objects {
		switch in.Facts.DataLevel {
		case "core":
			r.Data.CoreKinds = append(r.Data.CoreKinds, o)
		case "important":
			r.Data.ImportantKinds = append(r.Data.ImportantKinds, o)
		}
	}
	r.Impact = "风险类型 risks: " + strings.Join(in.Risks, ", ")
	return r
}

// NewSummaryReport starts a summary report from an incident.
func NewSummaryReport(in *Incident, reporter string, at time.Time) SummaryReport {
	return SummaryReport{InitialReport: NewInitialReport(in, reporter, at), ResolvedAt: in.Resolved,
		LossCNY: in.Facts.LossCNY, OutageHours: in.Facts.OutageHours, Timeline: in.Timeline}
}

const reportText = `{{define "head"}}数据安全事件{{.Kind}}
事件编号：{{.R.IncidentID}}
报告单位：{{.R.Reporter}}    联系人：{{.R.Contact}}
报告时间：{{t .R.ReportedAt}}

一、事件概况
  事件名称：{{.R.Title}}
  发现时间：{{t .R.DiscoveredAt}}
  事件级别：{{.R.LevelZH}}{{if .R.Unconfirmed}}（分级依据未经官方文本核实 [U]）{{end}}
  当前状态：{{.R.Status}}
二、受影响系统
{{range .R.AffectedSystems}}  - {{.}}
{{else}}  （待填写）
{{end}}三、涉及数据的种类和数量
  核心数据：{{join .R.Data.CoreKinds}}（{{.R.Data.CoreRecords}} 条）
  重要数据：{{join .R.Data.ImportantKinds}}（{{.R.Data.ImportantRecs}} 条）
  个人信息：{{.R.Data.PIPeople}} 人；敏感个人信息：{{.R.Data.SensitivePI}} 人
四、事件原因
  {{or .R.Causes "（待填写）"}}
五、影响和危害
  {{or .R.Impact "（待填写）"}}
六、已采取的措施
  {{or .R.MeasuresTaken "（待填写）"}}
七、下一步工作
  {{or .R.NextSteps "（待填写）"}}
八、需要的支持
  {{or .R.SupportNeeded "（无）"}}
{{end}}`

const summaryText = `{{template "head" .}}九、处置结果
  消除时间：{{t .S.ResolvedAt}}
  根本原因：{{or .S.RootCause "（待填写）"}}
  直接经济损失：{{.S.LossCNY}} 元；中断时长：{{.S.OutageHours}} 小时
十、经验教训与整改措施
  {{or .S.Lessons "（待填写）"}}
  {{or .S.Improvements ""}}
十一、处置时间线
{{range .S.Timeline}}  {{t .Time}}  {{.Actor}}  {{.Kind}} {{.From}}→{{.To}}  {{.Note}}
{{end}}`

var funcs = map[string]any{
	"t": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05 (UTC+8)")
	},
	"join": func(s []string) string {
		if len(s) == 0 {
			return "无"
		}
		return strings.Join(s, "、")
	},
}

type reportData struct {
	Kind string
	R    InitialReport
	S    SummaryReport
}

func render(text string, d reportData) (string, error) {
	t, err := template.New("r").Funcs(funcs).Parse(reportText + text)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	name := "r"
	if text == "" {
		name = "head"
	}
	if err := t.ExecuteTemplate(&b, name, d); err != nil {
		return "", fmt.Errorf("render report: %w", err)
	}
	return b.String(), nil
}

// Text renders the initial report as Chinese plain text.
func (r InitialReport) Text() (string, error) {
	return render("", reportData{Kind: "初始报告", R: r})
}

// Text renders the summary report as Chinese plain text.
func (s SummaryReport) Text() (string, error) {
	return render(summaryText, reportData{Kind: "总结报告", R: s.InitialReport, S: s})
}

var htmlPage = htmltemplate.Must(htmltemplate.New("h").Parse(`<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{{.Title}}</title><body><pre>{{.Body}}</pre></body></html>`))

func toHTML(title, body string) (string, error) {
	var b bytes.Buffer
	if err := htmlPage.Execute(&b, struct{ Title, Body string }{title, body}); err != nil {
		return "", err
	}
	return b.String(), nil
}

// HTML renders the initial report as an HTML page (escaped).
func (r InitialReport) HTML() (string, error) {
	s, err := r.Text()
	if err != nil {
		return "", err
	}
	return toHTML("数据安全事件初始报告 "+r.IncidentID, s)
}

// HTML renders the summary report as an HTML page (escaped).
func (s SummaryReport) HTML() (string, error) {
	t, err := s.Text()
	if err != nil {
		return "", err
	}
	return toHTML("数据安全事件总结报告 "+s.IncidentID, t)
}
