package web

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/httpapi"
)

// option is one entry of a select box.
type option struct {
	Value    string
	Label    string
	Selected bool
}

// nodesData is the content of the nodes page.
type nodesData struct {
	Filter     shuan.NodeFilter
	Nodes      []shuan.Node
	Names      map[string]string // node id → name, for parent columns
	Roles      []option
	Regions    []option
	Industries []option
}

// nodeFilter reads the role, region and industry query parameters,
// ignoring values that are not codes.
func nodeFilter(r *http.Request) (shuan.NodeFilter, error) {
	q := r.URL.Query()
	f := shuan.NodeFilter{
		Role:     shuan.Role(q.Get("role")),
		Region:   strings.TrimSpace(q.Get("region")),
		Industry: strings.TrimSpace(q.Get("industry")),
	}
	if f.Role != "" && !f.Role.Valid() {
		return f, shuan.Errorf(shuan.EINVALID, "role %q is not ministry, province or enterprise", f.Role)
	}
	if f.Region != "" {
		if err := (shuan.Target{Regions: []string{f.Region}}).Validate(); err != nil {
			return f, err
		}
	}
	if f.Industry != "" {
		if err := (shuan.Target{Industries: []string{f.Industry}}).Validate(); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (s *server) nodesPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := nodeFilter(r)
	if err != nil {
		return err
	}
	all, err := s.subtree(r.Context(), rq.Self.ID, shuan.NodeFilter{})
	if err != nil {
		return err
	}
	nodes, err := s.subtree(r.Context(), rq.Self.ID, f)
	if err != nil {
		return err
	}
	sortNodes(nodes)
	d := nodesData{Filter: f, Nodes: nodes, Names: map[string]string{rq.Self.ID: rq.Self.Name}}
	for _, n := range all {
		d.Names[n.ID] = n.Name
	}
	for _, role := range []shuan.Role{shuan.RoleProvince, shuan.RoleEnterprise} {
		d.Roles = append(d.Roles, option{Value: string(role), Label: rq.Lang.T("role." + string(role)), Selected: f.Role == role})
	}
	d.Regions = regionOptions(rq.Self, all, []string{f.Region})
	d.Industries = industryOptions([]string{f.Industry})
	return s.render(w, http.StatusOK, "nodes", s.newView(r, rq, rq.Lang, "nodes", rq.Lang.T("nav.nodes"), d))
}

// sortNodes orders nodes by tier (provinces before enterprises), region
// and name.
func sortNodes(nodes []shuan.Node) {
	slices.SortFunc(nodes, func(a, b shuan.Node) int {
		return cmp.Or(cmp.Compare(tierRank(a.Role), tierRank(b.Role)), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Name, b.Name))
	})
}

// tierRank orders roles from the top of the federation down.
func tierRank(r shuan.Role) int {
	switch r {
	case shuan.RoleMinistry:
		return 0
	case shuan.RoleProvince:
		return 1
	case shuan.RoleEnterprise:
		return 2
	}
	return 3
}

// regionOptions lists the region codes worth choosing at this tier: every
// province at the ministry, and at a province its own code and the
// prefecture-level codes (first four digits) of its enterprises.
func regionOptions(self shuan.Node, nodes []shuan.Node, selected []string) []option {
	seen := map[string]bool{}
	add := func(region string, digits int) {
		if len(region) == 6 {
			if _, ok := shuan.Provinces[region[:2]]; ok {
				seen[region[:digits]+strings.Repeat("0", 6-digits)] = true
			}
		}
	}
	add(self.Region, 2)
	for _, n := range nodes {
		add(n.Region, 2)
		if self.Role == shuan.RoleProvince {
			add(n.Region, 4)
		}
	}
	if self.Role == shuan.RoleMinistry {
		for p := range shuan.Provinces {
			seen[p+"0000"] = true
		}
	}
	var opts []option
	for code := range seen {
		opts = append(opts, option{Value: code, Label: shuan.ProvinceName(code) + " " + code, Selected: slices.Contains(selected, code)})
	}
	slices.SortFunc(opts, func(a, b option) int { return cmp.Compare(a.Value, b.Value) })
	return opts
}

func industryOptions(selected []string) []option {
	var opts []option
	for code, name := range shuan.Industries {
		opts = append(opts, option{Value: code, Label: code + " " + name, Selected: slices.Contains(selected, code)})
	}
	slices.SortFunc(opts, func(a, b option) int { return cmp.Compare(a.Value, b.Value) })
	return opts
}

// nodeData is the content of one node's page.
type nodeData struct {
	Node     shuan.Node
	Parent   string
	Children []shuan.Node
}

// inTenancy finds id if it is this node or below it; anything else is
// reported as not found so the console never confirms a sibling exists.
func (s *server) inTenancy(r *http.Request, rq *request, id string) (shuan.Node, []shuan.Node, error) {
	all, err := s.subtree(r.Context(), rq.Self.ID, shuan.NodeFilter{})
	if err != nil {
		return shuan.Node{}, nil, err
	}
	if id != rq.Self.ID && !slices.ContainsFunc(all, func(n shuan.Node) bool { return n.ID == id }) {
		return shuan.Node{}, nil, shuan.Errorf(shuan.ENOTFOUND, "node %s not found", id)
	}
	n, err := s.cfg.Store.FindNode(r.Context(), id)
	if err != nil {
		return shuan.Node{}, nil, err
	}
	return n, all, nil
}

func (s *server) nodePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	n, all, err := s.inTenancy(r, rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := nodeData{Node: n}
	for _, c := range all {
		if c.ParentID == n.ID {
			d.Children = append(d.Children, c)
		}
		if c.ID == n.ParentID {
			d.Parent = c.Name
		}
	}
	if n.ParentID == rq.Self.ID {
		d.Parent = rq.Self.Name
	}
	sortNodes(d.Children)
	return s.render(w, http.StatusOK, "node", s.newView(r, rq, rq.Lang, "nodes", n.Name, d))
}

func (s *server) apiNodes(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := nodeFilter(r)
	if err != nil {
		return err
	}
	nodes, err := s.subtree(r.Context(), rq.Self.ID, f)
	if err != nil {
		return err
	}
	sortNodes(nodes)
	if nodes == nil {
		nodes = []shuan.Node{}
	}
	httpapi.JSON(w, http.StatusOK, struct {
		Self  shuan.Node   `json:"self"`
		Nodes []shuan.Node `json:"nodes"`
	}{rq.Self, nodes})
	return nil
}
