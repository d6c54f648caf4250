package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/httpapi"
	"github.com/shuan-dev/shuan/i18n"
)

// noticeLimit bounds the notices one page lists.
const noticeLimit = 200

// maxNoticeForm bounds a compose form: a 64 KiB body plus the rest.
const maxNoticeForm = 256 << 10

// noticeRow is a notice with its progress across this node's subtree.
type noticeRow struct {
	shuan.Notice
	OriginName string `json:"origin_name,omitempty"`
	Received   bool   `json:"received"` // sent by an ancestor, not by this node
	Targeted   int    `json:"targeted"` // nodes below this one the target matches
	Delivered  int    `json:"delivered"`
	Read       int    `json:"read"`
	Acked      int    `json:"acked"`
	Mine       string `json:"my_status,omitempty"` // this node's own status
}

// statusRow is one node's progress on one notice.
type statusRow struct {
	NodeID   string     `json:"node_id"`
	NodeName string     `json:"node_name"`
	Role     shuan.Role `json:"role"`
	Region   string     `json:"region,omitempty"`
	Industry string     `json:"industry,omitempty"`
	Targeted bool       `json:"targeted"`
	Status   string     `json:"status,omitempty"` // "" while nothing was reported
	By       string     `json:"by,omitempty"`
	At       time.Time  `json:"at,omitzero"`
}

// names resolves node ids to names within one request.
type names struct {
	s     *server
	ctx   context.Context
	known map[string]string
}

func (s *server) names(ctx context.Context, self shuan.Node, nodes []shuan.Node) *names {
	nm := &names{s: s, ctx: ctx, known: map[string]string{self.ID: self.Name}}
	for _, n := range nodes {
		nm.known[n.ID] = n.Name
	}
	return nm
}

// of names a node; an ancestor (a notice's origin) is looked up once.
func (nm *names) of(id string) string {
	if n, ok := nm.known[id]; ok {
		return n
	}
	name := id
	if n, err := nm.s.cfg.Store.FindNode(nm.ctx, id); err == nil {
		name = n.Name
	}
	nm.known[id] = name
	return name
}

func (s *server) noticeRow(ctx context.Context, rq *request, nodes []shuan.Node, nm *names, n shuan.Notice) (noticeRow, []shuan.NoticeStatus, error) {
	row := noticeRow{Notice: n, OriginName: nm.of(n.Origin), Received: n.Origin != rq.Self.ID}
	for _, d := range nodes {
		if n.Target.Matches(d) {
			row.Targeted++
		}
	}
	sts, err := s.cfg.Store.NoticeStatuses(ctx, n.ID)
	if err != nil {
		return row, nil, fmt.Errorf("notice %s statuses: %w", n.ID, err)
	}
	below := map[string]bool{}
	for _, d := range nodes {
		below[d.ID] = true
	}
	for _, st := range sts {
		if st.NodeID == rq.Self.ID {
			row.Mine = st.Status
		}
		if !below[st.NodeID] {
			continue
		}
		rank := shuan.NoticeRank(st.Status)
		if rank >= 1 {
			row.Delivered++
		}
		if rank >= 2 {
			row.Read++
		}
		if rank >= 3 {
			row.Acked++
		}
	}
	return row, sts, nil
}

func (s *server) noticeRows(ctx context.Context, rq *request, nodes []shuan.Node, limit int) ([]noticeRow, error) {
	ns, err := s.cfg.Store.FindNotices(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("find notices: %w", err)
	}
	nm := s.names(ctx, rq.Self, nodes)
	rows := make([]noticeRow, 0, len(ns))
	for _, n := range ns {
		row, _, err := s.noticeRow(ctx, rq, nodes, nm, n)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// canCompose reports whether the user may send notices from this node.
func canCompose(rq *request) bool {
	return rq.Self.Role != shuan.RoleEnterprise && rq.User.Role.Can(shuan.PermSendNotice)
}

// canMark reports whether the user may mark notices read or acknowledged here.
func canMark(rq *request) bool {
	return rq.Self.Role == shuan.RoleEnterprise && rq.User.Role.Can(shuan.PermAckNotice)
}

// composeForm is the notice form as submitted, kept to re-show on errors.
type composeForm struct {
	Title      string
	Body       string
	Severity   string
	Mode       string // all | regions | industries | nodes
	Regions    []string
	Industries []string
	Nodes      []string
}

// noticesData is the content of the notices page.
type noticesData struct {
	Rows         []noticeRow
	CanCompose   bool
	CanMark      bool
	Form         composeForm
	Errors       []string
	Severities   []option
	RegionOpts   []option
	IndustryOpts []option
	NodeOpts     []option
}

func (s *server) noticesData(r *http.Request, rq *request, nodes []shuan.Node, f composeForm) (*noticesData, error) {
	rows, err := s.noticeRows(r.Context(), rq, nodes, noticeLimit)
	if err != nil {
		return nil, err
	}
	d := &noticesData{Rows: rows, CanCompose: canCompose(rq), CanMark: canMark(rq), Form: f}
	if d.CanCompose {
		for _, sev := range []string{shuan.SeverityInfo, shuan.SeverityWarning, shuan.SeverityUrgent} {
			d.Severities = append(d.Severities, option{Value: sev, Label: rq.Lang.T("severity." + sev), Selected: f.Severity == sev})
		}
		d.RegionOpts = regionOptions(rq.Self, nodes, f.Regions)
		d.IndustryOpts = industryOptions(f.Industries)
		sorted := slices.Clone(nodes)
		sortNodes(sorted)
		for _, n := range sorted {
			if !n.Revoked.IsZero() {
				continue
			}
			label := n.Name + " (" + rq.Lang.T("role."+string(n.Role)) + ")"
			d.NodeOpts = append(d.NodeOpts, option{Value: n.ID, Label: label, Selected: slices.Contains(f.Nodes, n.ID)})
		}
	}
	return d, nil
}

func (s *server) noticesPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	nodes, err := s.subtree(r.Context(), rq.Self.ID, shuan.NodeFilter{})
	if err != nil {
		return err
	}
	d, err := s.noticesData(r, rq, nodes, composeForm{Severity: shuan.SeverityInfo, Mode: "all"})
	if err != nil {
		return err
	}
	v := s.newView(r, rq, rq.Lang, "notices", rq.Lang.T("nav.notices"), d)
	if id := r.URL.Query().Get("sent"); id != "" {
		for _, row := range d.Rows {
			if row.ID == id {
				v.Flash = rq.Lang.T("compose.sent", row.Title)
			}
		}
	}
	return s.render(w, http.StatusOK, "notices", v)
}

// validate turns the form into a notice, with every problem described in
// the page's language.
func (f composeForm) validate(l i18n.Lang, below []shuan.Node) (shuan.Notice, []string) {
	var p []string
	n := shuan.Notice{Title: strings.TrimSpace(f.Title), Body: f.Body, Severity: f.Severity}
	switch t := []rune(n.Title); {
	case len(t) == 0:
		p = append(p, l.T("compose.err.title_required"))
	case len(t) > 200:
		p = append(p, l.T("compose.err.title_too_long", len(t)))
	}
	if len(n.Body) > 64<<10 {
		p = append(p, l.T("compose.err.body_too_long"))
	}
	switch n.Severity {
	case shuan.SeverityInfo, shuan.SeverityWarning, shuan.SeverityUrgent:
	default:
		p = append(p, l.T("compose.err.severity"))
	}
	switch f.Mode {
	case "all":
		n.Target.All = true
	case "regions":
		if len(f.Regions) == 0 {
			p = append(p, l.T("compose.err.regions_empty"))
		}
		for _, r := range f.Regions {
			if (shuan.Target{Regions: []string{r}}).Validate() != nil {
				p = append(p, l.T("compose.err.region_invalid", r))
			}
		}
		n.Target.Regions = f.Regions
	case "industries":
		if len(f.Industries) == 0 {
			p = append(p, l.T("compose.err.industries_empty"))
		}
		for _, i := range f.Industries {
			if (shuan.Target{Industries: []string{i}}).Validate() != nil {
				p = append(p, l.T("compose.err.industry_invalid", i))
			}
		}
		n.Target.Industries = f.Industries
	case "nodes":
		if len(f.Nodes) == 0 {
			p = append(p, l.T("compose.err.nodes_empty"))
		}
		for _, id := range f.Nodes {
			if !slices.ContainsFunc(below, func(b shuan.Node) bool { return b.ID == id }) {
				p = append(p, l.T("compose.err.node_unknown", id))
			}
		}
		n.Target.Nodes = f.Nodes
	default:
		p = append(p, l.T("compose.err.target_required"))
	}
	if len(p) == 0 {
		// The domain's own check is the last word; its message is English.
		if err := n.Validate(); err != nil {
			p = append(p, shuan.ErrorMessage(err))
		}
	}
	return n, p
}

func (s *server) noticeCompose(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.Self.Role == shuan.RoleEnterprise {
		return shuan.Errorf(shuan.EFORBIDDEN, "an enterprise node does not send notices")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxNoticeForm)
	if err := r.ParseForm(); err != nil {
		return shuan.Errorf(shuan.ETOOLARGE, "%s", rq.Lang.T("compose.err.form"))
	}
	f := composeForm{
		Title:      r.PostForm.Get("title"),
		Body:       strings.ReplaceAll(r.PostForm.Get("body"), "\r\n", "\n"),
		Severity:   r.PostForm.Get("severity"),
		Mode:       r.PostForm.Get("target"),
		Regions:    nonEmpty(r.PostForm["region"]),
		Industries: nonEmpty(r.PostForm["industry"]),
		Nodes:      nonEmpty(r.PostForm["node"]),
	}
	nodes, err := s.subtree(r.Context(), rq.Self.ID, shuan.NodeFilter{})
	if err != nil {
		return err
	}
	n, problems := f.validate(rq.Lang, nodes)
	if len(problems) == 0 {
		sent, err := s.cfg.Actions.SendNotice(r.Context(), rq.User, n)
		switch shuan.ErrorCode(err) {
		case "":
			http.Redirect(w, r, "/notices?sent="+url.QueryEscape(sent.ID), http.StatusSeeOther)
			return nil
		case shuan.EINVALID:
			problems = append(problems, shuan.ErrorMessage(err))
		default:
			return fmt.Errorf("send notice: %w", err)
		}
	}
	d, err := s.noticesData(r, rq, nodes, f)
	if err != nil {
		return err
	}
	d.Errors = problems
	return s.render(w, http.StatusUnprocessableEntity, "notices", s.newView(r, rq, rq.Lang, "notices", rq.Lang.T("nav.notices"), d))
}

func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// noticeDetail is the content of one notice's page and API answer.
type noticeDetail struct {
	Notice   noticeRow   `json:"notice"`
	Statuses []statusRow `json:"statuses"`
	CanMark  bool        `json:"-"`
}

func (s *server) noticeDetail(r *http.Request, rq *request) (*noticeDetail, error) {
	ctx := r.Context()
	n, err := s.cfg.Store.FindNotice(ctx, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	nodes, err := s.subtree(ctx, rq.Self.ID, shuan.NodeFilter{})
	if err != nil {
		return nil, err
	}
	row, sts, err := s.noticeRow(ctx, rq, nodes, s.names(ctx, rq.Self, nodes), n)
	if err != nil {
		return nil, err
	}
	d := &noticeDetail{Notice: row, CanMark: canMark(rq), Statuses: []statusRow{}}
	byNode := map[string]shuan.NoticeStatus{}
	for _, st := range sts {
		byNode[st.NodeID] = st
	}
	for _, b := range nodes {
		st, reported := byNode[b.ID]
		targeted := n.Target.Matches(b)
		if !targeted && !reported {
			continue
		}
		d.Statuses = append(d.Statuses, statusRow{
			NodeID: b.ID, NodeName: b.Name, Role: b.Role, Region: b.Region, Industry: b.Industry,
			Targeted: targeted, Status: st.Status, By: st.By, At: st.At,
		})
	}
	slices.SortFunc(d.Statuses, func(a, b statusRow) int {
		return cmp.Or(cmp.Compare(tierRank(a.Role), tierRank(b.Role)), cmp.Compare(a.Region, b.Region), cmp.Compare(a.NodeName, b.NodeName))
	})
	return d, nil
}

func (s *server) noticePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.noticeDetail(r, rq)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "notice", s.newView(r, rq, rq.Lang, "notices", d.Notice.Title, d))
}

func (s *server) noticeMark(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.Self.Role != shuan.RoleEnterprise {
		return shuan.Errorf(shuan.EFORBIDDEN, "only an enterprise node marks notices read or acknowledged")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return shuan.Errorf(shuan.EINVALID, "bad form")
	}
	status := r.PostForm.Get("status")
	if status != shuan.NoticeRead && status != shuan.NoticeAcked {
		return shuan.Errorf(shuan.EINVALID, "status must be %s or %s", shuan.NoticeRead, shuan.NoticeAcked)
	}
	id := r.PathValue("id")
	if _, err := s.cfg.Store.FindNotice(r.Context(), id); err != nil {
		return err
	}
	if err := s.cfg.Actions.MarkNotice(r.Context(), rq.User, id, status); err != nil {
		return fmt.Errorf("mark notice %s %s: %w", id, status, err)
	}
	back := safeNext(r.PostForm.Get("back"))
	if back == "/" {
		back = "/notices/" + url.PathEscape(id)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

func (s *server) apiNotices(w http.ResponseWriter, r *http.Request, rq *request) error {
	nodes, err := s.subtree(r.Context(), rq.Self.ID, shuan.NodeFilter{})
	if err != nil {
		return err
	}
	rows, err := s.noticeRows(r.Context(), rq, nodes, noticeLimit)
	if err != nil {
		return err
	}
	httpapi.JSON(w, http.StatusOK, struct {
		Notices []noticeRow `json:"notices"`
	}{rows})
	return nil
}

func (s *server) apiNotice(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.noticeDetail(r, rq)
	if err != nil {
		return err
	}
	httpapi.JSON(w, http.StatusOK, d)
	return nil
}
