package catalog

import (
	"sort"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
)

// Filing statuses, the same on both sides of the filing.
const (
	Submitted   = "submitted"    // sent; at the enterprise, queued until the province's receipt
	UnderReview = "under_review" // the province started its review
	Returned    = "returned"     // returned for revision with comments
	Accepted    = "accepted"     // accepted (备案通过)
)

// Submission is the body of a filing envelope: the approved version and
// what it answers. It carries the catalog's description, never data content.
type Submission struct {
	Version Version   `json:"version"`
	Revises string    `json:"revises,omitempty"` // the returned filing this one answers
	Change  []Trigger `json:"change,omitempty"`  // reasons, for a change filing
}

// Comment is a reviewer's remark on one entry ("" for the whole filing).
type Comment struct {
	EntryID string `json:"entry_id,omitempty"`
	Text    string `json:"text"`
}

// Review is the province's decision on a filing.
type Review struct {
	FilingID string    `json:"filing_id"`
	Decision string    `json:"decision"` // under_review | returned | accepted
	Comment  string    `json:"comment,omitempty"`
	Comments []Comment `json:"comments,omitempty"`
	Reviewer string    `json:"reviewer"`
	At       time.Time `json:"at"`
}

// Validate checks a decision before it is sent.
func (r Review) Validate() error {
	switch r.Decision {
	case UnderReview, Accepted:
	case Returned:
		if strings.TrimSpace(r.Comment) == "" && len(r.Comments) == 0 {
			return shuan.Errorf(shuan.EINVALID, "returning a filing needs a comment")
		}
	default:
		return shuan.Errorf(shuan.EINVALID, "decision must be under_review, returned or accepted, got %q", r.Decision)
	}
	for _, c := range r.Comments {
		if strings.TrimSpace(c.Text) == "" || len([]rune(c.Text)) > 2000 {
			return shuan.Errorf(shuan.EINVALID, "each comment needs 1-2000 characters")
		}
	}
	return nil
}

// Filing is one submission of a catalog version as kept by the enterprise
// that sent it, the province that reviews it and the ministry it rolls up to.
type Filing struct {
	ID             string    `json:"id"` // the filing envelope's id
	EnterpriseID   string    `json:"enterprise_id"`
	EnterpriseName string    `json:"enterprise_name"`
	USCC           string    `json:"uscc,omitempty"`
	Region         string    `json:"region"`
	Industry       string    `json:"industry"`
	Key            bool      `json:"key,omitempty"` // a key enterprise (重点企业)
	Seq            int       `json:"seq"`           // catalog version
	VersionID      string    `json:"version_id"`
	Revises        string    `json:"revises,omitempty"`
	Change         []Trigger `json:"change,omitempty"`
	Status         string    `json:"status"`
	Submitted      time.Time `json:"submitted_at"`
	Due            time.Time `json:"due_at,omitzero"` // end of the review period
	Reviewed       time.Time `json:"reviewed_at,omitzero"`
	Reviewer       string    `json:"reviewer,omitempty"`
	Comment        string    `json:"comment,omitempty"`
	Comments       []Comment `json:"comments,omitempty"`
	Totals         Totals    `json:"totals"`
	SM3            string    `json:"sm3"`                     // the filing envelope's SM3 digest
	AcceptanceID   string    `json:"acceptance_id,omitempty"` // at the ministry: the province's acceptance envelope
	Version        Version   `json:"version"`
}

// Proof is what a node can show for a filing: the enterprise's signature
// checked against its certificate on record, and the receipt.
type Proof struct {
	Verified  bool   `json:"verified"`
	Problem   string `json:"problem,omitempty"`
	SM3       string `json:"sm3"`
	Signature string `json:"signature"`
	// Delivery is the outbox state and Receipt the parent's signed receipt,
	// at the enterprise.
	Delivery string `json:"delivery,omitempty"`
	Receipt  string `json:"receipt,omitempty"`
	// AcceptanceVerified reports, at the ministry, that the province's
	// acceptance envelope verifies.
	AcceptanceVerified bool `json:"acceptance_verified,omitempty"`
}

// Overdue reports whether the review is late at now.
func (f Filing) Overdue(now time.Time) bool {
	return (f.Status == Submitted || f.Status == UnderReview) && !f.Due.IsZero() && now.After(f.Due)
}

// Open reports whether the filing awaits a decision.
func (f Filing) Open() bool { return f.Status == Submitted || f.Status == UnderReview }

// Apply records a decision on the filing.
func (f *Filing) Apply(r Review) {
	f.Status = r.Decision
	if r.Decision != UnderReview {
		f.Reviewed, f.Reviewer, f.Comment, f.Comments = r.At, r.Reviewer, r.Comment, r.Comments
	}
}

// FilingFilter selects filings; empty fields match everything.
type FilingFilter struct {
	EnterpriseID string
	Region       string // province prefix: "32" or a 6-digit code
	Status       string
	Limit        int
}

// Count is one row of a roll-up breakdown.
type Count struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Enterprises int    `json:"enterprises"`
	Entries     int    `json:"entries"`
	Core        int    `json:"core"`
	Important   int    `json:"important"`
	Records     int64  `json:"records"`
}

// Coverage compares the enterprises that filed with those registered.
type Coverage struct {
	Registered    int       `json:"registered"`
	Filed         int       `json:"filed"` // with an accepted filing
	KeyRegistered int       `json:"key_registered"`
	KeyFiled      int       `json:"key_filed"`
	Unfiled       []Unfiled `json:"unfiled"` // key enterprises first
}

// Unfiled is a registered enterprise without an accepted filing.
type Unfiled struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Region   string `json:"region"`
	Industry string `json:"industry"`
	Key      bool   `json:"key"`
	Status   string `json:"status,omitempty"` // of its latest filing, if any
}

// Rollup is the regional summary of accepted filings.
type Rollup struct {
	At             time.Time   `json:"at"`
	Totals         Totals      `json:"totals"`
	ByRegion       []Count     `json:"by_region"`
	ByIndustry     []Count     `json:"by_industry"`
	ByCategory     []Count     `json:"by_category"`
	Coverage       Coverage    `json:"coverage"`
	OverdueChanges []ChangeDue `json:"overdue_changes"`
	OpenChanges    int         `json:"open_changes"`
	OverdueReviews int         `json:"overdue_reviews"`
	Accepted       []Filing    `json:"accepted"` // the latest accepted filing of each enterprise, without versions' entries
}

// Latest returns each enterprise's newest filing with the given status ("" any).
func Latest(fs []Filing, status string) map[string]Filing {
	out := map[string]Filing{}
	for _, f := range fs {
		if status != "" && f.Status != status {
			continue
		}
		if cur, ok := out[f.EnterpriseID]; !ok || f.Submitted.After(cur.Submitted) {
			out[f.EnterpriseID] = f
		}
	}
	return out
}

// Roll builds the roll-up from filings, the registered enterprises and the
// change filings due, as at now.
func Roll(filings []Filing, enterprises []shuan.Node, changes []ChangeDue, now time.Time) Rollup {
	r := Rollup{At: now.UTC(), ByRegion: []Count{}, ByIndustry: []Count{}, ByCategory: []Count{},
		OverdueChanges: []ChangeDue{}, Accepted: []Filing{}}
	acc := Latest(filings, Accepted)
	any := Latest(filings, "")
	for _, f := range filings {
		if f.Overdue(now) {
			r.OverdueReviews++
		}
	}
	region, industry, category := map[string]*Count{}, map[string]*Count{}, map[string]*Count{}
	add := func(m map[string]*Count, key, name string, ent string, e Entry, seen map[string]bool) {
		c, ok := m[key]
		if !ok {
			c = &Count{Key: key, Name: name}
			m[key] = c
		}
		if !seen[key+"\x00"+ent] {
			seen[key+"\x00"+ent] = true
			c.Enterprises++
		}
		c.Entries++
		if e.Level == shuan.LevelCore {
			c.Core++
		} else {
			c.Important++
		}
		c.Records += e.Records
	}
	seen := map[string]bool{}
	ids := make([]string, 0, len(acc))
	for id := range acc {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		f := acc[id]
		t := f.Version.Totals()
		r.Totals.Entries += t.Entries
		r.Totals.Core += t.Core
		r.Totals.Important += t.Important
		r.Totals.Records += t.Records
		r.Totals.Bytes += t.Bytes
		prov := f.Region
		if len(prov) >= 2 {
			prov = prov[:2] + "0000"
		}
		ind := f.Industry
		if len(ind) > 3 {
			ind = ind[:3]
		}
		for _, e := range f.Version.Entries {
			if e.Destroyed != "" {
				continue
			}
			add(region, prov, shuan.ProvinceName(prov), id, e, seen)
			add(industry, ind, shuan.IndustryName(ind), id, e, seen)
			cat := e.Category
			if i := strings.IndexByte(cat, '.'); i > 0 {
				cat = cat[:i]
			}
			add(category, cat, CategoryName(cat), id, e, seen)
		}
		slim := f
		slim.Version.Entries = nil
		r.Accepted = append(r.Accepted, slim)
	}
	for _, m := range []struct {
		m   map[string]*Count
		out *[]Count
	}{{region, &r.ByRegion}, {industry, &r.ByIndustry}, {category, &r.ByCategory}} {
		for _, c := range m.m {
			*m.out = append(*m.out, *c)
		}
		sort.Slice(*m.out, func(i, j int) bool {
			a, b := (*m.out)[i], (*m.out)[j]
			if a.Entries != b.Entries {
				return a.Entries > b.Entries
			}
			return a.Key < b.Key
		})
	}
	cov := Coverage{Unfiled: []Unfiled{}}
	for _, n := range enterprises {
		if n.Role != shuan.RoleEnterprise || !n.Revoked.IsZero() {
			continue
		}
		cov.Registered++
		if n.Key {
			cov.KeyRegistered++
		}
		if _, ok := acc[n.ID]; ok {
			cov.Filed++
			if n.Key {
				cov.KeyFiled++
			}
			continue
		}
		u := Unfiled{ID: n.ID, Name: n.Name, Region: n.Region, Industry: n.Industry, Key: n.Key}
		if f, ok := any[n.ID]; ok {
			u.Status = f.Status
		}
		cov.Unfiled = append(cov.Unfiled, u)
	}
	sort.Slice(cov.Unfiled, func(i, j int) bool {
		a, b := cov.Unfiled[i], cov.Unfiled[j]
		if a.Key != b.Key {
			return a.Key
		}
		return a.Name < b.Name
	})
	r.Coverage = cov
	for _, c := range changes {
		if !c.Resolved.IsZero() {
			continue
		}
		r.OpenChanges++
		if c.Overdue(now) {
			r.OverdueChanges = append(r.OverdueChanges, c)
		}
	}
	return r
}

// Categories names the top-level domains of the 2020 industrial data
// classification guide (REGULATIONS.md §2.1).
var Categories = map[string]string{
	"rd": "研发数据域", "prod": "生产数据域", "om": "运维数据域", "mgmt": "管理数据域", "ext": "外部数据域",
	"platform": "平台运营数据域", "biz": "企业管理数据域", "tech": "技术数据",
}

// CategoryName names a top-level category code, or returns it.
func CategoryName(code string) string {
	if n, ok := Categories[code]; ok {
		return n
	}
	return code
}

// LevelName is the Chinese name of a data level.
func LevelName(l string) string {
	switch l {
	case shuan.LevelCore:
		return "核心数据"
	case shuan.LevelImportant:
		return "重要数据"
	case shuan.LevelGeneral:
		return "一般数据"
	}
	return l
}

// StatusName is the Chinese name of a filing or version status.
func StatusName(s string) string {
	switch s {
	case Submitted:
		return "已提交"
	case UnderReview:
		return "审核中"
	case Returned:
		return "已退回"
	case Accepted:
		return "已备案"
	case Draft:
		return "草稿"
	case Approved:
		return "已审批"
	}
	return s
}
