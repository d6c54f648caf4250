package shuan

import (
	"regexp"
	"strings"
	"time"
)

// Role is a node's tier in the federation.
type Role string

// The three tiers.
const (
	RoleMinistry   Role = "ministry"
	RoleProvince   Role = "province"
	RoleEnterprise Role = "enterprise"
)

// Valid reports whether r is one of the three tiers.
func (r Role) Valid() bool {
	return r == RoleMinistry || r == RoleProvince || r == RoleEnterprise
}

// ChildRole is the role a node of role r may enrol, or "" if none.
func (r Role) ChildRole() Role {
	switch r {
	case RoleMinistry:
		return RoleProvince
	case RoleProvince:
		return RoleEnterprise
	}
	return ""
}

// Label returns the Chinese name of the tier.
func (r Role) Label() string {
	switch r {
	case RoleMinistry:
		return "部级"
	case RoleProvince:
		return "省级"
	case RoleEnterprise:
		return "企业"
	}
	return string(r)
}

// Node is one member of the federation as known to some node: itself, a
// child it enrolled, or a descendant reported upward.
type Node struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Role     Role      `json:"role"`
	Region   string    `json:"region,omitempty"`
	Industry string    `json:"industry,omitempty"`
	USCC     string    `json:"uscc,omitempty"`
	ParentID string    `json:"parent_id,omitempty"`
	CertPEM  string    `json:"cert_pem,omitempty"`
	Enrolled time.Time `json:"enrolled_at"`
	LastSeen time.Time `json:"last_seen,omitzero"`
	Health   Health    `json:"health"`
	Revoked  time.Time `json:"revoked_at,omitzero"`
	// Key marks a key enterprise (重点企业名录) at its province.
	Key bool `json:"key,omitempty"`
}

// Health is what a node last reported about itself in a heartbeat.
type Health struct {
	Version     string `json:"version,omitempty"`
	Uptime      int64  `json:"uptime_seconds,omitempty"`
	OutboxDepth int    `json:"outbox_depth"`
	// RulePacks names the detection rule packs the node runs, with versions.
	RulePacks string `json:"rule_packs,omitempty"`
}

// OfflineAfter is how long without a heartbeat before a node shows offline.
const OfflineAfter = 3 * time.Minute

// Online reports whether the node was seen within OfflineAfter of now.
func (n Node) Online(now time.Time) bool {
	return !n.LastSeen.IsZero() && now.Sub(n.LastSeen) <= OfflineAfter
}

// NodeFilter selects nodes; empty fields match everything.
type NodeFilter struct {
	Under    string // only the subtree below this node id (excluded)
	Role     Role
	Region   string // province prefix match on the 6-digit code's first 2 digits
	Industry string // prefix match
}

var (
	reRegion   = regexp.MustCompile(`^[1-8][0-9]{5}$`)
	reIndustry = regexp.MustCompile(`^[A-T][0-9]{0,4}$`)
	reName     = regexp.MustCompile(`^[^\x00-\x1f]{1,100}$`)
)

// Validate checks a node's own fields and returns every problem found.
func (n Node) Validate() error {
	var p []string
	if !n.Role.Valid() {
		p = append(p, "role must be ministry, province or enterprise, got "+quote(string(n.Role)))
	}
	if !reName.MatchString(n.Name) || strings.TrimSpace(n.Name) == "" {
		p = append(p, "name must be 1-100 printable characters")
	}
	if n.Region != "" {
		if !reRegion.MatchString(n.Region) {
			p = append(p, "region must be a 6-digit GB/T 2260 code, got "+quote(n.Region))
		} else if _, ok := Provinces[n.Region[:2]]; !ok {
			p = append(p, "region "+quote(n.Region)+" names no province (first two digits)")
		}
	}
	if n.Role == RoleProvince && n.Region == "" {
		p = append(p, "a province node needs --region")
	}
	if n.Industry != "" && !reIndustry.MatchString(n.Industry) {
		p = append(p, "industry must be a GB/T 4754 code such as C31, got "+quote(n.Industry))
	}
	if n.USCC != "" {
		if err := CheckUSCC(n.USCC); err != nil {
			p = append(p, err.Error())
		}
	}
	if len(p) > 0 {
		return Errorf(EINVALID, "%s", strings.Join(p, "; "))
	}
	return nil
}

func quote(s string) string { return `"` + s + `"` }

const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCCheck returns the GB 32100 check character for the first 17 characters.
func USCCCheck(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccChars, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * usccWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return usccChars[c], true
}

// CheckUSCC validates a unified social credit code (统一社会信用代码, GB 32100).
func CheckUSCC(code string) error {
	if len(code) != 18 {
		return Errorf(EINVALID, "uscc %q must have 18 characters", code)
	}
	want, ok := USCCCheck(code[:17])
	if !ok {
		return Errorf(EINVALID, "uscc %q has a character outside the GB 32100 set", code)
	}
	if code[17] != want {
		return Errorf(EINVALID, "uscc %q has check character %c, want %c", code, code[17], want)
	}
	return nil
}
