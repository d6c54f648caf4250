package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/httpapi"
)

// treeNode is a node with its children, for the overview's tree.
type treeNode struct {
	shuan.Node
	Children []*treeNode `json:"children,omitempty"`
}

// counts summarise the subtree below this node.
type counts struct {
	Provinces   int `json:"provinces"`
	Enterprises int `json:"enterprises"`
	Online      int `json:"online"`
	Offline     int `json:"offline"`
	Revoked     int `json:"revoked"`
}

// chartItem is one bar of an overview chart.
type chartItem struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Value int    `json:"value"`
}

// charts is the data the overview's ECharts read from the page.
type charts struct {
	ByProvince []chartItem `json:"by_province,omitempty"`
	ByIndustry []chartItem `json:"by_industry,omitempty"`
}

// outboxHealth is the outbox summary with the oldest pending item's age
// and the envelopes that need attention.
type outboxHealth struct {
	shuan.OutboxStats
	OldestAgeSeconds int64 `json:"oldest_pending_age_seconds,omitempty"`
	// Troubled lists rejected envelopes and pending ones that failed at
	// least once, newest problems first as the store orders them.
	Troubled []shuan.OutboxItem `json:"troubled,omitempty"`
}

// troubledShown bounds the outbox items the overview lists.
const troubledShown = 5

// OldestAge is how long the oldest pending envelope has waited.
func (o outboxHealth) OldestAge() time.Duration {
	return time.Duration(o.OldestAgeSeconds) * time.Second
}

// overview is the content of the overview page and of GET /api/v1/overview.
type overview struct {
	Self shuan.Node `json:"self"`
	// Parent is this node's parent as far as this node knows it.
	Parent  *shuan.Node  `json:"parent,omitempty"`
	Counts  counts       `json:"counts"`
	Tree    *treeNode    `json:"tree"`
	Outbox  outboxHealth `json:"outbox"`
	Charts  *charts      `json:"charts,omitempty"`
	Notices []noticeRow  `json:"recent_notices"`
	// Unhandled counts notices this enterprise has not acknowledged yet.
	Unhandled int `json:"unacknowledged,omitempty"`
}

func (s *server) buildOverview(ctx context.Context, rq *request) (*overview, error) {
	nodes, err := s.subtree(ctx, rq.Self.ID, shuan.NodeFilter{})
	if err != nil {
		return nil, err
	}
	ov := &overview{Self: rq.Self, Tree: buildTree(rq.Self, nodes)}
	if rq.Self.ParentID != "" {
		p, err := s.cfg.Store.FindNode(ctx, rq.Self.ParentID)
		switch shuan.ErrorCode(err) {
		case "":
			p.CertPEM = ""
			ov.Parent = &p
		case shuan.ENOTFOUND: // enrolled, but the parent's record was never stored here
		default:
			return nil, fmt.Errorf("find parent %s: %w", rq.Self.ParentID, err)
		}
	}
	for _, n := range nodes {
		switch n.Role {
		case shuan.RoleProvince:
			ov.Counts.Provinces++
		case shuan.RoleEnterprise:
			ov.Counts.Enterprises++
		}
		switch {
		case !n.Revoked.IsZero():
			ov.Counts.Revoked++
		case n.Online(rq.Now):
			ov.Counts.Online++
		default:
			ov.Counts.Offline++
		}
	}
	st, err := s.cfg.Store.OutboxStats(ctx)
	if err != nil {
		return nil, fmt.Errorf("outbox stats: %w", err)
	}
	ov.Outbox.OutboxStats = st
	if !st.OldestPending.IsZero() {
		ov.Outbox.OldestAgeSeconds = int64(rq.Now.Sub(st.OldestPending) / time.Second)
	}
	if ov.Outbox.Troubled, err = s.troubledOutbox(ctx, st); err != nil {
		return nil, err
	}
	if rq.Self.Role != shuan.RoleEnterprise && ov.Counts.Enterprises > 0 {
		ov.Charts = enterpriseCharts(nodes, rq.Self.Role == shuan.RoleMinistry)
	}
	limit := recentNotices
	if rq.Self.Role == shuan.RoleEnterprise {
		limit = noticeLimit // to count what is still to acknowledge
	}
	rows, err := s.noticeRows(ctx, rq, nodes, limit)
	if err != nil {
		return nil, err
	}
	if rq.Self.Role == shuan.RoleEnterprise {
		for _, r := range rows {
			if r.Mine != shuan.NoticeAcked {
				ov.Unhandled++
			}
		}
	}
	ov.Notices = rows[:min(len(rows), recentNotices)]
	return ov, nil
}

// recentNotices is how many notices the overview lists.
const recentNotices = 5

// troubledOutbox returns rejected envelopes and pending ones that have
// failed at least once, without their raw bytes.
func (s *server) troubledOutbox(ctx context.Context, st shuan.OutboxStats) ([]shuan.OutboxItem, error) {
	var out []shuan.OutboxItem
	for _, state := range []string{shuan.OutboxRejected, shuan.OutboxPending} {
		if (state == shuan.OutboxRejected && st.Rejected == 0) || (state == shuan.OutboxPending && st.Pending == 0) {
			continue
		}
		items, err := s.cfg.Store.FindOutbox(ctx, state, 50)
		if err != nil {
			return nil, fmt.Errorf("find %s outbox items: %w", state, err)
		}
		for _, it := range items {
			if state == shuan.OutboxPending && it.Attempts == 0 {
				continue
			}
			it.Raw, it.Receipt = nil, nil
			out = append(out, it)
			if len(out) == troubledShown {
				return out, nil
			}
		}
	}
	return out, nil
}

// subtree returns the nodes below self matching f, never self or anything
// outside this node's tenancy.
func (s *server) subtree(ctx context.Context, selfID string, f shuan.NodeFilter) ([]shuan.Node, error) {
	f.Under = selfID
	nodes, err := s.cfg.Store.FindNodes(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("find nodes under %s: %w", selfID, err)
	}
	for i := range nodes {
		nodes[i].CertPEM = "" // lists never need certificates; keep pages and JSON small
	}
	return nodes, nil
}

// buildTree arranges nodes under self by parent id; a node whose parent is
// unknown here hangs directly below self so it is never hidden.
func buildTree(self shuan.Node, nodes []shuan.Node) *treeNode {
	root := &treeNode{Node: self}
	byID := map[string]*treeNode{self.ID: root}
	for _, n := range nodes {
		byID[n.ID] = &treeNode{Node: n}
	}
	for _, n := range nodes {
		parent, ok := byID[n.ParentID]
		if !ok || n.ParentID == n.ID {
			parent = root
		}
		parent.Children = append(parent.Children, byID[n.ID])
	}
	var sortTree func(t *treeNode)
	sortTree = func(t *treeNode) {
		slices.SortFunc(t.Children, func(a, b *treeNode) int {
			return cmp.Or(cmp.Compare(a.Region, b.Region), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
		})
		for _, c := range t.Children {
			sortTree(c)
		}
	}
	sortTree(root)
	return root
}

// enterpriseCharts counts enterprises by province (optional) and industry.
func enterpriseCharts(nodes []shuan.Node, byProvince bool) *charts {
	prov := map[string]int{}
	ind := map[string]int{}
	for _, n := range nodes {
		if n.Role != shuan.RoleEnterprise || !n.Revoked.IsZero() {
			continue
		}
		p := "—"
		if len(n.Region) >= 2 {
			p = n.Region[:2] + "0000"
		}
		prov[p]++
		ind[industryKey(n.Industry)]++
	}
	c := &charts{ByIndustry: chartItems(ind, shuan.IndustryName)}
	if byProvince {
		c.ByProvince = chartItems(prov, shuan.ProvinceName)
	}
	return c
}

// industryKey groups an industry code by its longest known prefix, so
// C3973 and C39 are distinct but C3111 counts as C31.
func industryKey(code string) string {
	if code == "" {
		return "—"
	}
	for l := len(code); l >= 3; l-- {
		if _, ok := shuan.Industries[code[:l]]; ok {
			return code[:l]
		}
	}
	return code
}

func chartItems(m map[string]int, name func(string) string) []chartItem {
	items := make([]chartItem, 0, len(m))
	for code, v := range m {
		items = append(items, chartItem{Code: code, Name: name(code), Value: v})
	}
	slices.SortFunc(items, func(a, b chartItem) int {
		return cmp.Or(cmp.Compare(b.Value, a.Value), cmp.Compare(a.Code, b.Code))
	})
	return items
}

func (s *server) overviewPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ov, err := s.buildOverview(r.Context(), rq)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "overview", s.newView(r, rq, rq.Lang, "overview", rq.Lang.T("nav.overview"), ov))
}

func (s *server) apiOverview(w http.ResponseWriter, r *http.Request, rq *request) error {
	ov, err := s.buildOverview(r.Context(), rq)
	if err != nil {
		return err
	}
	httpapi.JSON(w, http.StatusOK, ov)
	return nil
}
