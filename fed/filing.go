package fed

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/catalog"
)

// Envelope kinds of the catalog filing (目录备案).
const (
	// KindFiling travels up from an enterprise: body catalog.Submission. The
	// province holds it for review and, once accepted, forwards it verbatim
	// to the ministry, so the enterprise's signature verifies there too.
	KindFiling = "filing"
	// KindFilingReview travels down from the province to the one enterprise
	// that filed: body catalog.Review (under review, returned, accepted).
	KindFilingReview = "filing_review"
	// KindFilingAccepted travels up from the province to the ministry after
	// the forwarded filing: body FilingAccepted, signed by the province.
	KindFilingAccepted = "filing_accepted"
	// KindChangeDue travels up from an enterprise and on to the ministry:
	// body catalog.ChangeDue, a change filing the enterprise now owes.
	KindChangeDue = "change_due"
)

func init() {
	registerKind(KindFiling, kind{version: 1, dir: up, up: upFiling})
	registerKind(KindFilingReview, kind{version: 1, dir: down, down: downFilingReview})
	registerKind(KindFilingAccepted, kind{version: 1, dir: up, up: upFilingAccepted})
	registerKind(KindChangeDue, kind{version: 1, dir: up, forward: true, up: upChangeDue})
}

// FilingAccepted is the province's acceptance of a filing, sent to the
// ministry after the enterprise's own filing envelope.
type FilingAccepted struct {
	FilingID     string         `json:"filing_id"`
	EnterpriseID string         `json:"enterprise_id"`
	SM3          string         `json:"sm3"` // digest of the filing envelope accepted
	Review       catalog.Review `json:"review"`
	Due          string         `json:"due_at"` // RFC 3339: end of the review period at the province
	Received     string         `json:"received_at"`
}

// regionUnder reports whether region code b lies within a (trailing zero
// pairs of a are wildcards).
func regionUnder(a, b string) bool {
	p := strings.TrimRight(a, "0")
	if len(p)%2 == 1 {
		p += "0"
	}
	return strings.HasPrefix(b, p)
}

// CheckSubmission checks a filing body against the enterprise that signed it.
func CheckSubmission(sub catalog.Submission, origin string) error {
	v := sub.Version
	switch {
	case v.NodeID != origin:
		return shuan.Errorf(shuan.EINVALID, "catalog version belongs to %s, not to the filing enterprise %s", v.NodeID, origin)
	case v.Status != catalog.Approved:
		return shuan.Errorf(shuan.EINVALID, "only an approved catalog version can be filed, got %s", v.Status)
	case v.SM3 != v.Digest():
		return shuan.Errorf(shuan.EINVALID, "catalog version %d: SM3 of the entries does not match", v.Seq)
	}
	return catalog.ValidateEntries(v.Entries, true)
}

func upFiling(ctx context.Context, u Up) (bool, error) {
	tx, e, now := u.Tx, u.E, u.Now
	var sub catalog.Submission
	if err := strictJSON(e.Body, &sub); err != nil {
		return false, shuan.Errorf(shuan.EINVALID, "filing %s: %v", e.ID, err)
	}
	self, err := tx.FindNode(ctx, u.S.SelfID)
	if err != nil {
		return false, err
	}
	ent, err := tx.FindNode(ctx, e.Origin)
	if err != nil {
		return false, err
	}
	if ent.Role != shuan.RoleEnterprise {
		return false, shuan.Errorf(shuan.EINVALID, "filing %s: only enterprises file catalogs", e.ID)
	}
	if self.Role == shuan.RoleProvince && (self.Region == "" || !regionUnder(self.Region, ent.Region)) {
		return false, shuan.Errorf(shuan.EFORBIDDEN, "filing %s: enterprise %s (region %s) is not under this province (%s)", e.ID, ent.Name, ent.Region, self.Region)
	}
	if err := CheckSubmission(sub, e.Origin); err != nil {
		return false, shuan.Errorf(shuan.EINVALID, "filing %s: %s", e.ID, shuan.ErrorMessage(err))
	}
	f := catalog.Filing{ID: e.ID, EnterpriseID: ent.ID, EnterpriseName: ent.Name, USCC: ent.USCC, Region: ent.Region,
		Industry: ent.Industry, Key: ent.Key, Seq: sub.Version.Seq, VersionID: sub.Version.ID, Revises: sub.Revises,
		Change: sub.Change, Status: catalog.Submitted, Submitted: now, Totals: sub.Version.Totals(), SM3: e.SM3, Version: sub.Version}
	if self.Role == shuan.RoleProvince {
		cfg, cal, err := tx.CatalogConfig(ctx)
		if err != nil {
			return false, err
		}
		f.Due = cal.Deadline(now, cfg.ReviewDays)
	}
	if old, err := tx.FindFiling(ctx, e.ID); err == nil {
		f.Status, f.Reviewed, f.Reviewer, f.Comment, f.Comments, f.AcceptanceID = old.Status, old.Reviewed, old.Reviewer, old.Comment, old.Comments, old.AcceptanceID
	}
	if err := tx.SaveFiling(ctx, f); err != nil {
		return false, err
	}
	_, err = tx.AppendAudit(ctx, now, "node:"+e.Origin, "filing.received", e.ID, ent.Name)
	return false, err
}

func upFilingAccepted(ctx context.Context, u Up) (bool, error) {
	tx, e, now := u.Tx, u.E, u.Now
	var fa FilingAccepted
	if err := strictJSON(e.Body, &fa); err != nil {
		return false, shuan.Errorf(shuan.EINVALID, "filing_accepted %s: %v", e.ID, err)
	}
	ent, err := tx.FindNode(ctx, fa.EnterpriseID)
	if err != nil {
		return false, shuan.Errorf(shuan.EINVALID, "filing_accepted %s: unknown enterprise %s", e.ID, fa.EnterpriseID)
	}
	if ent.ParentID != e.Origin {
		return false, shuan.Errorf(shuan.EFORBIDDEN, "filing_accepted %s: %s is not the province of %s", e.ID, e.Origin, ent.Name)
	}
	f, err := tx.FindFiling(ctx, fa.FilingID)
	if shuan.ErrorCode(err) == shuan.ENOTFOUND {
		// The forwarded filing travels first; until it is here, an uncoded
		// error makes the province retry rather than be refused.
		return false, fmt.Errorf("filing_accepted %s: filing %s has not arrived yet", e.ID, fa.FilingID)
	} else if err != nil {
		return false, err
	}
	if f.SM3 != fa.SM3 || f.EnterpriseID != fa.EnterpriseID {
		return false, shuan.Errorf(shuan.EINVALID, "filing_accepted %s: does not match filing %s", e.ID, fa.FilingID)
	}
	f.Apply(fa.Review)
	f.AcceptanceID = e.ID
	if err := tx.SaveFiling(ctx, f); err != nil {
		return false, err
	}
	if err := tx.ResolveChangesDue(ctx, f.EnterpriseID, f, now); err != nil {
		return false, err
	}
	_, err = tx.AppendAudit(ctx, now, "node:"+e.Origin, "filing.accepted", f.ID, f.EnterpriseName)
	return false, err
}

func upChangeDue(ctx context.Context, u Up) (bool, error) {
	tx, e, now := u.Tx, u.E, u.Now
	var c catalog.ChangeDue
	if err := strictJSON(e.Body, &c); err != nil {
		return false, shuan.Errorf(shuan.EINVALID, "change_due %s: %v", e.ID, err)
	}
	if c.EnterpriseID != e.Origin || c.ID == "" {
		return false, shuan.Errorf(shuan.EINVALID, "change_due %s: must name its own enterprise and an id", e.ID)
	}
	ent, err := tx.FindNode(ctx, e.Origin)
	if err != nil {
		return false, err
	}
	c.Region, c.Industry = ent.Region, ent.Industry
	if err := tx.SaveChangeDue(ctx, c); err != nil {
		return false, err
	}
	_, err = tx.AppendAudit(ctx, now, "node:"+e.Origin, "filing.change_due", c.ID, c.Due.Format("2006-01-02"))
	return true, err
}

func downFilingReview(ctx context.Context, d Down) error {
	tx, e, now := d.Tx, d.E, d.Now
	var r catalog.Review
	if err := strictJSON(e.Body, &r); err != nil {
		return shuan.Errorf(shuan.EINVALID, "filing_review %s: %v", e.ID, err)
	}
	if e.Origin != d.Self.ParentID {
		return shuan.Errorf(shuan.EINVALID, "filing_review %s: only this node's province reviews its filings", e.ID)
	}
	f, err := tx.FindFiling(ctx, r.FilingID)
	if err != nil {
		if shuan.ErrorCode(err) == shuan.ENOTFOUND {
			return shuan.Errorf(shuan.EINVALID, "filing_review %s: unknown filing %s", e.ID, r.FilingID)
		}
		return err
	}
	f.Apply(r)
	if err := tx.SaveFiling(ctx, f); err != nil {
		return err
	}
	if r.Decision == catalog.Accepted {
		if err := tx.ResolveChangesDue(ctx, f.EnterpriseID, f, now); err != nil {
			return err
		}
	}
	_, err = tx.AppendAudit(ctx, now, "node:"+e.Origin, "filing."+r.Decision, f.ID, r.Comment)
	return err
}

// VerifyStored parses an envelope as stored and checks its origin's SM2
// signature against the certificate on record for n.
func VerifyStored(raw []byte, n shuan.Node) (shuan.Envelope, error) {
	e, err := Parse(raw)
	if err != nil {
		return e, err
	}
	if e.Origin != n.ID {
		return e, shuan.Errorf(shuan.EINVALID, "envelope %s was signed by %s, not %s", e.ID, e.Origin, n.ID)
	}
	pub, err := signKeyOf(&sync.Map{}, n)
	if err != nil {
		return e, err
	}
	return e, Verify(e, pub)
}
