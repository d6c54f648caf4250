// Package catalog is the important and core data catalog (重要数据和核心数据目录)
// and its filing (目录备案): entries built from scan results and edited by
// hand, immutable approved versions and their diffs, the change triggers
// that make a change filing due, the working-day calendar that review
// deadlines run on, the regional roll-up, and the Excel and printable forms.
// It holds no storage; sqlstore keeps what it describes.
package catalog

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/gm"
	"github.com/shuan-dev/shuan/scan"
)

// Version statuses.
const (
	Draft    = "draft"    // being edited
	Approved = "approved" // passed internal approval (内部审批); immutable
)

// Entry is one important or core data set in the catalog: a table, a group
// of tables or a file collection. It describes the data, never its content.
type Entry struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`                // 数据名称
	Description  string    `json:"description"`         // 数据描述
	Category     string    `json:"category"`            // 数据类别
	Level        string    `json:"level"`               // 数据级别: important | core
	Source       string    `json:"source"`              // 数据来源
	Records      int64     `json:"records"`             // 数据规模（条）
	StorageBytes int64     `json:"storage_bytes"`       // 数据规模（存储量）; 0 when unknown
	System       string    `json:"system"`              // 载体: 信息系统
	Database     string    `json:"database"`            // 载体: 数据库（类型）
	Location     string    `json:"location"`            // 载体: 存储位置
	Tables       []string  `json:"tables"`              // 载体: 数据表
	Purpose      string    `json:"purpose"`             // 处理目的
	Method       string    `json:"method"`              // 处理方式
	Scope        string    `json:"scope"`               // 使用范围
	Owner        string    `json:"owner"`               // 责任人
	Department   string    `json:"department"`          // 责任部门
	Sharing      string    `json:"sharing"`             // 对外共享
	CrossBorder  string    `json:"cross_border"`        // 跨境传输
	Security     string    `json:"security"`            // 安全保护措施
	Destroyed    string    `json:"destroyed,omitempty"` // 销毁记录: date and method, when destroyed
	Findings     []Finding `json:"findings,omitempty"`  // scan findings that justify the entry
	Note         string    `json:"note,omitempty"`      // free text, not filed as a field of its own
}

// Finding links an entry to the scan result that graded a table.
type Finding struct {
	Location string `json:"location"` // source location, without credentials
	Table    string `json:"table"`
	Level    string `json:"level"`
	Category string `json:"category"`
}

// String renders a finding as table@location[level/category].
func (f Finding) String() string {
	return fmt.Sprintf("%s@%s[%s/%s]", f.Table, f.Location, f.Level, f.Category)
}

var reFinding = regexp.MustCompile(`^([^@\[\]]+)@([^\[\]]*)\[([a-z]*)/([^\]]*)\]$`)

// ParseFinding reads the form String writes.
func ParseFinding(s string) (Finding, error) {
	m := reFinding.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Finding{}, fmt.Errorf("finding %q: want table@location[level/category]", s)
	}
	return Finding{Table: m[1], Location: m[2], Level: m[3], Category: m[4]}, nil
}

// Version is one version of an enterprise's catalog. A draft changes in
// place; once approved it never changes again.
type Version struct {
	ID       string    `json:"id"`
	NodeID   string    `json:"node_id"`
	Seq      int       `json:"seq"`
	Status   string    `json:"status"`
	Entries  []Entry   `json:"entries"`
	Editors  []string  `json:"editors"` // everyone who changed this version
	Created  time.Time `json:"created_at"`
	Updated  time.Time `json:"updated_at"`
	Approver string    `json:"approver,omitempty"`
	Approved time.Time `json:"approved_at,omitzero"`
	BasedOn  int       `json:"based_on,omitempty"` // seq of the version this one started from
	Revises  string    `json:"revises,omitempty"`  // id of the returned filing this version answers
	SM3      string    `json:"sm3,omitempty"`      // digest of the entries, set at approval
}

// Entry returns the entry with id.
func (v *Version) Entry(id string) (*Entry, bool) {
	for i := range v.Entries {
		if v.Entries[i].ID == id {
			return &v.Entries[i], true
		}
	}
	return nil, false
}

// Digest is the SM3 of the entries' JSON.
func (v Version) Digest() string {
	b, _ := json.Marshal(v.Entries)
	return gm.HexSum(b)
}

// Touch records an edit by user.
func (v *Version) Touch(user string, now time.Time) {
	if user != "" && !slices.Contains(v.Editors, user) {
		v.Editors = append(v.Editors, user)
	}
	v.Updated = now.UTC()
}

// Approve freezes a draft. The approver must be none of its editors and
// every entry must be complete.
func (v *Version) Approve(approver string, now time.Time) error {
	if v.Status != Draft {
		return shuan.Errorf(shuan.ECONFLICT, "catalog version %d is %s, not a draft", v.Seq, v.Status)
	}
	if approver == "" {
		return shuan.Errorf(shuan.EINVALID, "approval needs a named reviewer (--as USER)")
	}
	if slices.Contains(v.Editors, approver) {
		return shuan.Errorf(shuan.EFORBIDDEN, "%s edited catalog version %d and may not approve it: internal approval needs another reviewer", approver, v.Seq)
	}
	if len(v.Entries) == 0 {
		return shuan.Errorf(shuan.EINVALID, "catalog version %d has no entries", v.Seq)
	}
	if err := ValidateEntries(v.Entries, true); err != nil {
		return err
	}
	v.Status, v.Approver, v.Approved = Approved, approver, now.UTC()
	v.SM3 = v.Digest()
	return nil
}

// Totals sums a version's live entries.
type Totals struct {
	Entries   int   `json:"entries"`
	Core      int   `json:"core"`
	Important int   `json:"important"`
	Records   int64 `json:"records"`
	Bytes     int64 `json:"storage_bytes"`
}

// Totals counts the entries not destroyed.
func (v Version) Totals() Totals {
	var t Totals
	for _, e := range v.Entries {
		if e.Destroyed != "" {
			continue
		}
		t.Entries++
		if e.Level == shuan.LevelCore {
			t.Core++
		} else {
			t.Important++
		}
		t.Records += e.Records
		t.Bytes += e.StorageBytes
	}
	return t
}

var reCategory = regexp.MustCompile(`^[a-z]+(\.[a-z_]+)*$`)

// Problems lists what is wrong with an entry. Complete asks for every field
// the filing needs, as for approval; otherwise only the shape is checked.
func (e Entry) Problems(complete bool) []string {
	var p []string
	if strings.TrimSpace(e.ID) == "" {
		p = append(p, "id is empty")
	}
	if strings.TrimSpace(e.Name) == "" || len([]rune(e.Name)) > 200 {
		p = append(p, "name must be 1-200 characters")
	}
	if e.Level != shuan.LevelImportant && e.Level != shuan.LevelCore {
		p = append(p, fmt.Sprintf("level must be important or core, got %q", e.Level))
	}
	if e.Category == "" {
		p = append(p, "category is empty")
	} else if !reCategory.MatchString(e.Category) {
		p = append(p, fmt.Sprintf("category %q is not a taxonomy code such as prod.process", e.Category))
	}
	if e.Records < 0 || e.StorageBytes < 0 {
		p = append(p, "scale must not be negative")
	}
	if complete {
		for _, f := range []struct{ name, v string }{
			{"description", e.Description}, {"source", e.Source}, {"system", e.System}, {"purpose", e.Purpose},
			{"method", e.Method}, {"scope", e.Scope}, {"owner", e.Owner}, {"department", e.Department},
			{"sharing", e.Sharing}, {"cross_border", e.CrossBorder}, {"security", e.Security},
		} {
			if strings.TrimSpace(f.v) == "" {
				p = append(p, f.name+" is required for filing")
			}
		}
	}
	return p
}

// ValidateEntries checks every entry and that ids are unique, reporting all
// problems at once.
func ValidateEntries(es []Entry, complete bool) error {
	var p []string
	seen := map[string]bool{}
	for _, e := range es {
		for _, q := range e.Problems(complete) {
			p = append(p, fmt.Sprintf("entry %s: %s", e.ID, q))
		}
		if seen[e.ID] {
			p = append(p, fmt.Sprintf("entry %s: duplicate id", e.ID))
		}
		seen[e.ID] = true
	}
	if len(p) > 0 {
		return shuan.Errorf(shuan.EINVALID, "%s", strings.Join(p, "; "))
	}
	return nil
}

// EntryID is the stable id of the entry for a table of a source.
func EntryID(location, table string) string {
	return "D" + strings.ToUpper(gm.HexSum([]byte(location + "\x00" + table))[:8])
}

// FromScans turns the important and core tables of scan results into draft
// entries, one per table. Fields a scan cannot know stay empty.
func FromScans(results []*scan.Result) []Entry {
	var out []Entry
	for _, r := range results {
		loc := r.Source.Location
		for _, t := range r.Tables {
			if t.Level != shuan.LevelImportant && t.Level != shuan.LevelCore {
				continue
			}
			name := t.Name
			if t.Comment != "" {
				name = t.Comment
			}
			rows := max(t.Rows, 0)
			e := Entry{ID: EntryID(loc, t.Name), Name: name, Description: t.Comment, Category: t.Category, Level: t.Level,
				Records: rows, Database: r.Source.Kind, Location: loc, Tables: []string{t.Name},
				Findings: []Finding{{Location: loc, Table: t.Name, Level: t.Level, Category: t.Category}}}
			if e.Description == "" && t.Reason != "" {
				e.Description = t.Reason
			}
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Merge brings scan-built entries into a catalog: a known entry takes the
// scan's scale, level, category and findings and keeps its hand-edited
// fields; new entries are added. Entries absent from the scans stay (a scan
// of one source says nothing about the others); remove them by hand.
func Merge(cur, scanned []Entry) []Entry {
	out := slices.Clone(cur)
	for _, s := range scanned {
		found := false
		for i := range out {
			if out[i].ID == s.ID {
				e := &out[i]
				e.Records, e.Level, e.Category, e.Findings = s.Records, s.Level, s.Category, s.Findings
				if s.StorageBytes > 0 {
					e.StorageBytes = s.StorageBytes
				}
				found = true
				break
			}
		}
		if !found {
			out = append(out, s)
		}
	}
	return out
}

// Fields are the entry fields in the order of the filing form, with their
// Chinese and English headers.
var Fields = []struct{ Key, ZH, EN string }{
	{"id", "数据标识", "ID"},
	{"name", "数据名称", "Name"},
	{"description", "数据描述", "Description"},
	{"category", "数据类别", "Category"},
	{"level", "数据级别", "Level"},
	{"source", "数据来源", "Data source"},
	{"records", "数据规模（条）", "Records"},
	{"storage_bytes", "数据规模（存储量，字节）", "Storage (bytes)"},
	{"system", "载体：信息系统", "Carrier: system"},
	{"database", "载体：数据库", "Carrier: database"},
	{"location", "载体：存储位置", "Carrier: location"},
	{"tables", "载体：数据表", "Carrier: tables"},
	{"purpose", "处理目的", "Processing purpose"},
	{"method", "处理方式", "Processing method"},
	{"scope", "使用范围", "Scope of use"},
	{"owner", "责任人", "Responsible person"},
	{"department", "责任部门", "Responsible department"},
	{"sharing", "对外共享", "External sharing"},
	{"cross_border", "跨境传输", "Cross-border transfer"},
	{"security", "安全保护措施", "Security measures"},
	{"destroyed", "销毁记录", "Destruction record"},
	{"findings", "识别依据", "Findings"},
}

// Get returns a field of e as text.
func (e Entry) Get(key string) string {
	switch key {
	case "id":
		return e.ID
	case "name":
		return e.Name
	case "description":
		return e.Description
	case "category":
		return e.Category
	case "level":
		return e.Level
	case "source":
		return e.Source
	case "records":
		return strconv.FormatInt(e.Records, 10)
	case "storage_bytes":
		return strconv.FormatInt(e.StorageBytes, 10)
	case "system":
		return e.System
	case "database":
		return e.Database
	case "location":
		return e.Location
	case "tables":
		return strings.Join(e.Tables, ",")
	case "purpose":
		return e.Purpose
	case "method":
		return e.Method
	case "scope":
		return e.Scope
	case "owner":
		return e.Owner
	case "department":
		return e.Department
	case "sharing":
		return e.Sharing
	case "cross_border":
		return e.CrossBorder
	case "security":
		return e.Security
	case "destroyed":
		return e.Destroyed
	case "findings":
		s := make([]string, len(e.Findings))
		for i, f := range e.Findings {
			s[i] = f.String()
		}
		return strings.Join(s, "; ")
	case "note":
		return e.Note
	}
	return ""
}

// Set changes a field of e from text.
func (e *Entry) Set(key, v string) error {
	v = strings.TrimSpace(v)
	switch key {
	case "id":
		e.ID = v
	case "name":
		e.Name = v
	case "description":
		e.Description = v
	case "category":
		e.Category = v
	case "level":
		switch v {
		case "重要", "重要数据":
			v = shuan.LevelImportant
		case "核心", "核心数据":
			v = shuan.LevelCore
		}
		if v != shuan.LevelImportant && v != shuan.LevelCore {
			return fmt.Errorf("level must be important or core, got %q", v)
		}
		e.Level = v
	case "source":
		e.Source = v
	case "records", "storage_bytes":
		n := int64(0)
		if v != "" {
			var err error
			if n, err = strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
				return fmt.Errorf("%s must be a whole number ≥ 0, got %q", key, v)
			}
		}
		if key == "records" {
			e.Records = n
		} else {
			e.StorageBytes = n
		}
	case "system":
		e.System = v
	case "database":
		e.Database = v
	case "location":
		e.Location = v
	case "tables":
		e.Tables = nil
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				e.Tables = append(e.Tables, t)
			}
		}
	case "purpose":
		e.Purpose = v
	case "method":
		e.Method = v
	case "scope":
		e.Scope = v
	case "owner":
		e.Owner = v
	case "department":
		e.Department = v
	case "sharing":
		e.Sharing = v
	case "cross_border":
		e.CrossBorder = v
	case "security":
		e.Security = v
	case "destroyed":
		e.Destroyed = v
	case "note":
		e.Note = v
	case "findings":
		e.Findings = nil
		for _, p := range strings.Split(v, ";") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			f, err := ParseFinding(p)
			if err != nil {
				return err
			}
			e.Findings = append(e.Findings, f)
		}
	default:
		return fmt.Errorf("unknown field %q", key)
	}
	return nil
}
