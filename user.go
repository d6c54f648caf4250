package shuan

import (
	"regexp"
	"time"
)

// UserRole is what a console user may do on their node.
type UserRole string

// User roles.
const (
	UserAdmin    UserRole = "admin"    // manage users, nodes, tokens
	UserOfficer  UserRole = "officer"  // data security officer: operate and send
	UserReviewer UserRole = "reviewer" // review and approve
	UserAnalyst  UserRole = "analyst"  // read and analyse
	UserAuditor  UserRole = "auditor"  // read the audit log
)

// Valid reports whether r is a known user role.
func (r UserRole) Valid() bool {
	switch r {
	case UserAdmin, UserOfficer, UserReviewer, UserAnalyst, UserAuditor:
		return true
	}
	return false
}

// Permissions.
const (
	PermManageUsers = "users.manage"
	PermManageNodes = "nodes.manage"
	PermSendNotice  = "notices.send"
	PermAckNotice   = "notices.ack"
	PermReadAudit   = "audit.read"
	PermRead        = "read"
	// Enterprise data work.
	PermManageSources = "sources.manage"  // register data sources and run scans
	PermReviewLabels  = "labels.review"   // confirm or override classification labels
	PermEditCatalog   = "catalog.edit"    // edit the important/core data catalog, submit filings
	PermApprove       = "catalog.approve" // internal approval of a catalog version (内部审批)
	// Regulator work.
	PermReviewFiling = "filings.review" // accept or return filings (province)
)

var rolePerms = map[UserRole][]string{
	UserAdmin: {PermManageUsers, PermManageNodes, PermSendNotice, PermAckNotice, PermReadAudit, PermRead,
		PermManageSources, PermReviewLabels, PermEditCatalog, PermApprove, PermReviewFiling},
	UserOfficer:  {PermSendNotice, PermAckNotice, PermRead, PermManageSources, PermReviewLabels, PermEditCatalog},
	UserReviewer: {PermAckNotice, PermRead, PermReviewLabels, PermApprove, PermReviewFiling},
	UserAnalyst:  {PermRead},
	UserAuditor:  {PermReadAudit, PermRead},
}

// Can reports whether role r holds permission p.
func (r UserRole) Can(p string) bool {
	for _, q := range rolePerms[r] {
		if q == p {
			return true
		}
	}
	return false
}

// User is a local console account.
type User struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Role     UserRole  `json:"role"`
	Created  time.Time `json:"created_at"`
	Disabled bool      `json:"disabled,omitempty"`
}

var reUserName = regexp.MustCompile(`^[A-Za-z0-9_.\-@]{2,64}$`)

// Validate checks the account fields.
func (u User) Validate() error {
	if !reUserName.MatchString(u.Name) {
		return Errorf(EINVALID, "user name %q must be 2-64 of A-Z a-z 0-9 _ . - @", u.Name)
	}
	if !u.Role.Valid() {
		return Errorf(EINVALID, "user role must be admin, officer, reviewer, analyst or auditor, got %q", u.Role)
	}
	return nil
}

// Session is a logged-in console session; only the token's hash is stored.
type Session struct {
	TokenHash string    `json:"-"`
	UserID    string    `json:"user_id"`
	Created   time.Time `json:"created_at"`
	Expires   time.Time `json:"expires_at"`
}

// Token is a one-time, expiring enrolment token for a child node; only the
// secret's hash is stored.
type Token struct {
	ID         string    `json:"id"`
	SecretHash string    `json:"-"`
	Role       Role      `json:"role"` // the role the enrolled child will have
	Created    time.Time `json:"created_at"`
	Expires    time.Time `json:"expires_at"`
	Used       time.Time `json:"used_at,omitzero"`
	UsedBy     string    `json:"used_by,omitempty"` // node id
	CreatedBy  string    `json:"created_by,omitempty"`
}

// Revocation records a certificate its issuer revoked.
type Revocation struct {
	Serial string    `json:"serial"` // decimal
	NodeID string    `json:"node_id"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}
