package shuan

import (
	"slices"
	"strings"
	"time"
)

// Target selects the nodes a downward message is meant for. An empty target
// (All false, no lists) matches nothing; lists combine with OR.
type Target struct {
	All        bool     `json:"all,omitempty"`
	Regions    []string `json:"regions,omitempty"`    // GB/T 2260 codes; "320000" matches every 32xxxx
	Industries []string `json:"industries,omitempty"` // GB/T 4754 prefixes
	Nodes      []string `json:"nodes,omitempty"`      // node ids
}

// Matches reports whether n is in the target set.
func (t Target) Matches(n Node) bool {
	if t.All || slices.Contains(t.Nodes, n.ID) {
		return true
	}
	for _, r := range t.Regions {
		if n.Region != "" && regionCovers(r, n.Region) {
			return true
		}
	}
	for _, i := range t.Industries {
		if n.Industry != "" && strings.HasPrefix(n.Industry, i) {
			return true
		}
	}
	return false
}

// Reaches reports whether a message for t must pass through n on its way down:
// n is targeted or some descendant of n could be (a province relays to its
// enterprises when the region or industry lists could match them).
func (t Target) Reaches(n Node) bool {
	if t.Matches(n) || t.All || len(t.Industries) > 0 || len(t.Nodes) > 0 {
		return true
	}
	for _, r := range t.Regions {
		if n.Region != "" && (regionCovers(r, n.Region) || regionCovers(n.Region, r)) {
			return true
		}
	}
	return false
}

// regionCovers reports whether region code a contains b (trailing zero pairs of a are wildcards).
func regionCovers(a, b string) bool {
	p := strings.TrimRight(a, "0")
	if len(p)%2 == 1 {
		p += "0"
	}
	return strings.HasPrefix(b, p)
}

// Validate reports a target that matches nothing.
func (t Target) Validate() error {
	if !t.All && len(t.Regions) == 0 && len(t.Industries) == 0 && len(t.Nodes) == 0 {
		return Errorf(EINVALID, "target is empty: choose all, regions, industries or nodes")
	}
	for _, r := range t.Regions {
		if !reRegion.MatchString(r) {
			return Errorf(EINVALID, "target region %q is not a 6-digit GB/T 2260 code", r)
		}
	}
	for _, i := range t.Industries {
		if !reIndustry.MatchString(i) {
			return Errorf(EINVALID, "target industry %q is not a GB/T 4754 code", i)
		}
	}
	return nil
}

// Notice severities.
const (
	SeverityInfo    = "info"
	SeverityWarning = "warning"
	SeverityUrgent  = "urgent"
)

// Notice is a message sent down by the ministry or a province.
type Notice struct {
	ID       string    `json:"id"` // the carrying envelope's id
	Title    string    `json:"title"`
	Body     string    `json:"body"`
	Severity string    `json:"severity"`
	Target   Target    `json:"target"`
	Origin   string    `json:"origin"` // node id of the sender
	Created  time.Time `json:"created_at"`
}

// Validate checks a notice before it is sent.
func (n Notice) Validate() error {
	var p []string
	if t := strings.TrimSpace(n.Title); t == "" || len([]rune(t)) > 200 {
		p = append(p, "title must be 1-200 characters")
	}
	if len(n.Body) > 64<<10 {
		p = append(p, "body must be at most 64 KiB")
	}
	switch n.Severity {
	case SeverityInfo, SeverityWarning, SeverityUrgent:
	default:
		p = append(p, "severity must be info, warning or urgent, got "+quote(n.Severity))
	}
	if err := n.Target.Validate(); err != nil {
		p = append(p, ErrorMessage(err))
	}
	if len(p) > 0 {
		return Errorf(EINVALID, "%s", strings.Join(p, "; "))
	}
	return nil
}

// Notice statuses per receiving node; they only move forward.
const (
	NoticeDelivered = "delivered"
	NoticeRead      = "read"
	NoticeAcked     = "acked"
)

// NoticeRank orders statuses so that a later report never moves one back.
func NoticeRank(status string) int {
	switch status {
	case NoticeDelivered:
		return 1
	case NoticeRead:
		return 2
	case NoticeAcked:
		return 3
	}
	return 0
}

// NoticeStatus is one node's progress on one notice.
type NoticeStatus struct {
	NoticeID string    `json:"notice_id"`
	NodeID   string    `json:"node_id"`
	Status   string    `json:"status"`
	By       string    `json:"by,omitempty"` // user who read or acknowledged
	At       time.Time `json:"at"`
}
