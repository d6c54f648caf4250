package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/catalog"
	"github.com/shuan-dev/shuan/fed"
	"github.com/shuan-dev/shuan/scan"
	"github.com/shuan-dev/shuan/sqlstore"
)

// CatalogUser resolves a console account named on the command line (the CLI
// has no login) and checks it holds perm; the empty name is the operator
// with every right, recorded as "cli".
func (r *Runtime) CatalogUser(ctx context.Context, name, perm string) (shuan.User, error) {
	if name == "" {
		return shuan.User{}, nil
	}
	u, _, err := r.DB.FindUserByName(ctx, name)
	if err != nil {
		return u, err
	}
	if u.Disabled {
		return u, shuan.Errorf(shuan.EFORBIDDEN, "user %s is disabled", name)
	}
	if perm != "" && !u.Role.Can(perm) {
		return u, shuan.Errorf(shuan.EFORBIDDEN, "user %s (%s) lacks permission %s", name, u.Role, perm)
	}
	return u, nil
}

func (r *Runtime) requireRole(role shuan.Role, what string) error {
	if r.Cfg.Role != role {
		return shuan.Errorf(shuan.EFORBIDDEN, "%s happens at %s nodes, this is a %s node", what, role, r.Cfg.Role)
	}
	return nil
}

func can(u shuan.User, perm string) error {
	if u.ID != "" && !u.Role.Can(perm) {
		return shuan.Errorf(shuan.EFORBIDDEN, "user %s lacks permission %s", u.Name, perm)
	}
	return nil
}

func editor(u shuan.User) string {
	if u.Name == "" {
		return "cli"
	}
	return u.Name
}

// draft returns the catalog's current draft, starting a new one from the
// newest approved version when there is none.
func (r *Runtime) draft(ctx context.Context, tx *sqlstore.Store, now time.Time) (catalog.Version, error) {
	cur, err := tx.FindCatalogVersion(ctx, r.Cfg.ID, 0)
	if shuan.ErrorCode(err) == shuan.ENOTFOUND {
		id, _ := uuid.NewV7()
		return catalog.Version{ID: id.String(), NodeID: r.Cfg.ID, Seq: 1, Status: catalog.Draft, Entries: []catalog.Entry{},
			Editors: []string{}, Created: now, Updated: now}, nil
	} else if err != nil {
		return cur, err
	}
	if cur.Status == catalog.Draft {
		return cur, nil
	}
	id, _ := uuid.NewV7()
	v := catalog.Version{ID: id.String(), NodeID: r.Cfg.ID, Seq: cur.Seq + 1, Status: catalog.Draft,
		Entries: slices.Clone(cur.Entries), Editors: []string{}, Created: now, Updated: now, BasedOn: cur.Seq}
	last, err := tx.FindFilings(ctx, catalog.FilingFilter{EnterpriseID: r.Cfg.ID, Limit: 1})
	if err != nil {
		return v, err
	}
	if len(last) == 1 && last[0].Status == catalog.Returned {
		v.Revises = last[0].ID
	}
	return v, nil
}

// editDraft applies fn to the draft, saves it, checks the change triggers
// and audits, in one transaction.
func (r *Runtime) editDraft(ctx context.Context, by shuan.User, action, detail string, fn func(v *catalog.Version) error) (catalog.Version, error) {
	if err := r.requireRole(shuan.RoleEnterprise, "the catalog"); err != nil {
		return catalog.Version{}, err
	}
	if err := can(by, shuan.PermEditCatalog); err != nil {
		return catalog.Version{}, err
	}
	now := r.Now().UTC()
	var v catalog.Version
	err := r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		var err error
		if v, err = r.draft(ctx, tx, now); err != nil {
			return err
		}
		if err := fn(&v); err != nil {
			return err
		}
		if err := catalog.ValidateEntries(v.Entries, false); err != nil {
			return err
		}
		v.Touch(editor(by), now)
		if err := tx.SaveCatalogVersion(ctx, v); err != nil {
			return err
		}
		if err := r.checkChanges(ctx, tx, v.Entries, now); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, now, actor(by), action, fmt.Sprintf("catalog v%d", v.Seq), detail)
		return err
	})
	r.wake()
	return v, err
}

// BuildCatalog brings the important and core tables of scan results into
// the draft catalog (nil results: the latest confirmed scan of every data
// source). Hand-edited fields of known entries are kept.
func (r *Runtime) BuildCatalog(ctx context.Context, by shuan.User, results []*scan.Result) (catalog.Version, error) {
	if results == nil {
		var err error
		if results, err = r.ConfirmedScans(ctx); err != nil {
			return catalog.Version{}, err
		}
		if len(results) == 0 {
			return catalog.Version{}, shuan.Errorf(shuan.EINVALID, "no confirmed scans yet: scan a data source first or pass --from SCAN.json")
		}
	}
	for _, res := range results {
		res.Source.Location = stripSecrets(res.Source.Location)
	}
	scanned := catalog.FromScans(results)
	return r.editDraft(ctx, by, "catalog.build", fmt.Sprintf("%d scans, %d important/core tables", len(results), len(scanned)),
		func(v *catalog.Version) error {
			v.Entries = catalog.Merge(v.Entries, scanned)
			return nil
		})
}

// stripSecrets drops a password from a source URL (user:pass@host).
func stripSecrets(loc string) string {
	scheme, rest, ok := strings.Cut(loc, "://")
	if !ok {
		return loc
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, hasPass := strings.Cut(rest[:at], ":"); hasPass {
			rest = user + rest[at:]
		}
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest = rest[:q]
	}
	return scheme + "://" + rest
}

// SetCatalogEntry changes fields of one entry of the draft, adds an entry
// (id "" or unknown, with a name) or removes it.
func (r *Runtime) SetCatalogEntry(ctx context.Context, by shuan.User, id string, fields [][2]string, remove bool) (catalog.Version, error) {
	detail := id
	if remove {
		detail += " removed"
	}
	return r.editDraft(ctx, by, "catalog.set", detail, func(v *catalog.Version) error {
		if remove {
			i := slices.IndexFunc(v.Entries, func(e catalog.Entry) bool { return e.ID == id })
			if i < 0 {
				return shuan.Errorf(shuan.ENOTFOUND, "catalog entry %s not found", id)
			}
			v.Entries = slices.Delete(v.Entries, i, i+1)
			return nil
		}
		e, ok := v.Entry(id)
		if !ok && id != "" && !slices.ContainsFunc(fields, func(f [2]string) bool { return f[0] == "name" }) {
			return shuan.Errorf(shuan.ENOTFOUND, "catalog entry %s not found (give name=… to add it)", id)
		}
		if !ok {
			if id == "" {
				u, _ := uuid.NewV7()
				id = "M" + strings.ToUpper(strings.ReplaceAll(u.String(), "-", "")[20:28])
			}
			v.Entries = append(v.Entries, catalog.Entry{ID: id, Level: shuan.LevelImportant})
			e = &v.Entries[len(v.Entries)-1]
		}
		var p []string
		for _, f := range fields {
			if f[0] == "id" {
				continue
			}
			if err := e.Set(f[0], f[1]); err != nil {
				p = append(p, err.Error())
			}
		}
		if len(p) > 0 {
			return shuan.Errorf(shuan.EINVALID, "%s", strings.Join(p, "; "))
		}
		return nil
	})
}

// ImportCatalog replaces the draft's entries with imported ones.
func (r *Runtime) ImportCatalog(ctx context.Context, by shuan.User, entries []catalog.Entry) (catalog.Version, error) {
	return r.editDraft(ctx, by, "catalog.import", fmt.Sprintf("%d entries", len(entries)), func(v *catalog.Version) error {
		v.Entries = entries
		return nil
	})
}

// ApproveCatalog approves the draft (内部审批): by must hold PermApprove and
// must not have edited it. The approved version never changes again.
func (r *Runtime) ApproveCatalog(ctx context.Context, by shuan.User, seq int) (catalog.Version, error) {
	if err := r.requireRole(shuan.RoleEnterprise, "the catalog"); err != nil {
		return catalog.Version{}, err
	}
	if by.ID == "" {
		return catalog.Version{}, shuan.Errorf(shuan.EINVALID, "approval needs a named reviewer account (--as USER)")
	}
	if err := can(by, shuan.PermApprove); err != nil {
		return catalog.Version{}, err
	}
	now := r.Now().UTC()
	var v catalog.Version
	err := r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		var err error
		if v, err = tx.FindCatalogVersion(ctx, r.Cfg.ID, seq); err != nil {
			return err
		}
		if err := v.Approve(by.Name, now); err != nil {
			return err
		}
		if err := tx.SaveCatalogVersion(ctx, v); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, now, actor(by), "catalog.approve", fmt.Sprintf("catalog v%d", v.Seq), v.SM3)
		return err
	})
	return v, err
}

// checkChanges compares the catalog with the last accepted filing and, when
// a change filing becomes due, records it and tells the province.
func (r *Runtime) checkChanges(ctx context.Context, tx *sqlstore.Store, entries []catalog.Entry, now time.Time) error {
	acc, err := tx.FindFilings(ctx, catalog.FilingFilter{EnterpriseID: r.Cfg.ID, Status: catalog.Accepted, Limit: 1})
	if err != nil || len(acc) == 0 {
		return err
	}
	cfg, _, err := tx.CatalogConfig(ctx)
	if err != nil {
		return err
	}
	trig := catalog.Triggers(acc[0].Version.Entries, entries, cfg)
	if len(trig) == 0 {
		return nil
	}
	open, err := tx.FindChangesDue(ctx, r.Cfg.ID, false)
	if err != nil {
		return err
	}
	if len(open) > 0 {
		c := open[0]
		c.Reasons = trig
		return tx.SaveChangeDue(ctx, c)
	}
	id, _ := uuid.NewV7()
	c := catalog.ChangeDue{ID: id.String(), EnterpriseID: r.Cfg.ID, Region: r.Cfg.Region, Industry: r.Cfg.Industry,
		FiledSeq: acc[0].Seq, Reasons: trig, Detected: now, Due: cfg.DueAfter(now)}
	if err := tx.SaveChangeDue(ctx, c); err != nil {
		return err
	}
	if _, err := fed.SendUp(ctx, tx, r.SignKey, r.Cfg.ID, fed.KindChangeDue, c, now); err != nil {
		return err
	}
	_, err = tx.AppendAudit(ctx, now, "system", "filing.change_due", c.ID, c.Due.Format(time.DateOnly))
	return err
}

// SubmitFiling files an approved catalog version (seq 0: the newest) with the
// province: a signed filing envelope queued upward.
func (r *Runtime) SubmitFiling(ctx context.Context, by shuan.User, seq int) (catalog.Filing, error) {
	if err := r.requireRole(shuan.RoleEnterprise, "filing"); err != nil {
		return catalog.Filing{}, err
	}
	if err := can(by, shuan.PermEditCatalog); err != nil {
		return catalog.Filing{}, err
	}
	if r.Cfg.Parent == "" {
		return catalog.Filing{}, shuan.Errorf(shuan.EINVALID, "node %s is not enrolled with a province", r.Cfg.Name)
	}
	now := r.Now().UTC()
	var f catalog.Filing
	err := r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		v, err := tx.FindCatalogVersion(ctx, r.Cfg.ID, seq)
		if err != nil {
			return err
		}
		if v.Status != catalog.Approved {
			return shuan.Errorf(shuan.ECONFLICT, "catalog version %d is a draft: approve it first", v.Seq)
		}
		prev, err := tx.FindFilings(ctx, catalog.FilingFilter{EnterpriseID: r.Cfg.ID})
		if err != nil {
			return err
		}
		sub := catalog.Submission{Version: v}
		for _, p := range prev {
			if p.Open() {
				return shuan.Errorf(shuan.ECONFLICT, "filing %s (version %d) is still %s", p.ID, p.Seq, p.Status)
			}
			if p.Seq == v.Seq && p.Status == catalog.Accepted {
				return shuan.Errorf(shuan.ECONFLICT, "catalog version %d was already accepted", v.Seq)
			}
		}
		if len(prev) > 0 && prev[0].Status == catalog.Returned {
			sub.Revises = prev[0].ID
		}
		open, err := tx.FindChangesDue(ctx, r.Cfg.ID, false)
		if err != nil {
			return err
		}
		for _, c := range open {
			sub.Change = append(sub.Change, c.Reasons...)
		}
		e, raw, err := fed.Seal(r.SignKey, r.Cfg.ID, fed.KindFiling, sub, now)
		if err != nil {
			return err
		}
		if _, err := tx.InsertEnvelope(ctx, shuan.StoredEnvelope{ID: e.ID, Kind: e.Kind, Origin: e.Origin, IssuedAt: e.IssuedAt, Received: now, Raw: raw}); err != nil {
			return err
		}
		if err := tx.Enqueue(ctx, shuan.OutboxItem{EnvelopeID: e.ID, Kind: e.Kind, Raw: raw, State: shuan.OutboxPending, NextAttempt: now, Created: now}); err != nil {
			return err
		}
		self, err := tx.FindNode(ctx, r.Cfg.ID)
		if err != nil {
			return err
		}
		f = catalog.Filing{ID: e.ID, EnterpriseID: self.ID, EnterpriseName: self.Name, USCC: r.Cfg.USCC, Region: self.Region,
			Industry: self.Industry, Seq: v.Seq, VersionID: v.ID, Revises: sub.Revises, Change: sub.Change,
			Status: catalog.Submitted, Submitted: now, Totals: v.Totals(), SM3: e.SM3, Version: v}
		if err := tx.SaveFiling(ctx, f); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, now, actor(by), "filing.submit", e.ID, fmt.Sprintf("catalog v%d", v.Seq))
		return err
	})
	r.wake()
	return f, err
}

// ReviewFiling records the province's decision on a filing and sends it down
// to the enterprise; on acceptance it forwards the enterprise's own filing
// envelope to the ministry, followed by its own signed acceptance.
func (r *Runtime) ReviewFiling(ctx context.Context, by shuan.User, rv catalog.Review) (catalog.Filing, error) {
	if err := r.requireRole(shuan.RoleProvince, "reviewing filings"); err != nil {
		return catalog.Filing{}, err
	}
	if err := can(by, shuan.PermReviewFiling); err != nil {
		return catalog.Filing{}, err
	}
	now := r.Now().UTC()
	rv.At, rv.Reviewer = now, editor(by)
	if err := rv.Validate(); err != nil {
		return catalog.Filing{}, err
	}
	var f catalog.Filing
	err := r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		var err error
		if f, err = tx.FindFiling(ctx, rv.FilingID); err != nil {
			return err
		}
		if !f.Open() {
			return shuan.Errorf(shuan.ECONFLICT, "filing %s is already %s", f.ID, f.Status)
		}
		for _, c := range rv.Comments {
			if _, ok := f.Version.Entry(c.EntryID); c.EntryID != "" && !ok {
				return shuan.Errorf(shuan.EINVALID, "filing %s has no entry %s", f.ID, c.EntryID)
			}
		}
		f.Apply(rv)
		if err := tx.SaveFiling(ctx, f); err != nil {
			return err
		}
		e, raw, err := fed.Seal(r.SignKey, r.Cfg.ID, fed.KindFilingReview, rv, now)
		if err != nil {
			return err
		}
		if _, err := tx.InsertEnvelope(ctx, shuan.StoredEnvelope{ID: e.ID, Kind: e.Kind, Origin: e.Origin, IssuedAt: e.IssuedAt, Received: now, Raw: raw}); err != nil {
			return err
		}
		if _, err := tx.AppendDown(ctx, shuan.DownItem{EnvelopeID: e.ID, Kind: e.Kind, Target: shuan.Target{Nodes: []string{f.EnterpriseID}}, Raw: raw, Created: now}); err != nil {
			return err
		}
		if rv.Decision == catalog.Accepted {
			orig, err := tx.FindEnvelope(ctx, f.ID)
			if err != nil {
				return err
			}
			if err := tx.Enqueue(ctx, shuan.OutboxItem{EnvelopeID: orig.ID, Kind: orig.Kind, Raw: orig.Raw, State: shuan.OutboxPending, NextAttempt: now, Created: now}); err != nil {
				return err
			}
			later := now.Add(time.Millisecond) // after the filing it accepts, in the outbox's order
			fa := fed.FilingAccepted{FilingID: f.ID, EnterpriseID: f.EnterpriseID, SM3: f.SM3, Review: rv,
				Due: f.Due.Format(time.RFC3339), Received: f.Submitted.Format(time.RFC3339Nano)}
			if _, err := fed.SendUp(ctx, tx, r.SignKey, r.Cfg.ID, fed.KindFilingAccepted, fa, later); err != nil {
				return err
			}
			if err := tx.ResolveChangesDue(ctx, f.EnterpriseID, f, now); err != nil {
				return err
			}
		}
		_, err = tx.AppendAudit(ctx, now, actor(by), "filing.review."+rv.Decision, f.ID, f.EnterpriseName)
		return err
	})
	if err == nil {
		if r.srv != nil && r.srv.Down != nil {
			r.srv.Down.Notify()
		}
		r.wake()
	}
	return f, err
}

// Filings returns the filings this node holds, newest first.
func (r *Runtime) Filings(ctx context.Context, f catalog.FilingFilter) ([]catalog.Filing, error) {
	return r.DB.FindFilings(ctx, f)
}

// Filing returns one filing.
func (r *Runtime) Filing(ctx context.Context, id string) (catalog.Filing, error) {
	return r.DB.FindFiling(ctx, id)
}

// FilingProof is what a node can show for a filing; see catalog.Proof.
type FilingProof = catalog.Proof

// ProveFiling verifies the stored filing envelope against the signer's
// certificate on record (and, at the ministry, the province's acceptance).
func (r *Runtime) ProveFiling(ctx context.Context, f catalog.Filing) (FilingProof, error) {
	var p FilingProof
	se, err := r.DB.FindEnvelope(ctx, f.ID)
	if shuan.ErrorCode(err) == shuan.ENOTFOUND {
		p.Problem = "the filing envelope is not stored here"
		return p, nil
	} else if err != nil {
		return p, err
	}
	n, err := r.DB.FindNode(ctx, f.EnterpriseID)
	if shuan.ErrorCode(err) == shuan.ENOTFOUND {
		p.Problem = "the enterprise is not registered here"
		return p, nil
	} else if err != nil {
		return p, err
	}
	e, err := fed.VerifyStored(se.Raw, n)
	p.SM3, p.Signature = e.SM3, e.Sig
	if err != nil {
		p.Problem = shuan.ErrorMessage(err)
	} else {
		p.Verified = e.SM3 == f.SM3
	}
	if r.Cfg.Role == shuan.RoleEnterprise {
		st, rc, err := r.DB.OutboxReceipt(ctx, f.ID)
		if err != nil {
			return p, err
		}
		p.Delivery, p.Receipt = st, string(rc)
	}
	if f.AcceptanceID != "" {
		if ae, err := r.DB.FindEnvelope(ctx, f.AcceptanceID); err == nil {
			if pn, err := r.DB.FindNode(ctx, ae.Origin); err == nil {
				_, err := fed.VerifyStored(ae.Raw, pn)
				p.AcceptanceVerified = err == nil
			}
		}
	}
	return p, nil
}

// CatalogVersions returns this node's catalog versions, newest first.
func (r *Runtime) CatalogVersions(ctx context.Context) ([]catalog.Version, error) {
	return r.DB.FindCatalogVersions(ctx, r.Cfg.ID)
}

// CatalogVersion returns version seq (0: the newest) of this node's catalog.
func (r *Runtime) CatalogVersion(ctx context.Context, seq int) (catalog.Version, error) {
	return r.DB.FindCatalogVersion(ctx, r.Cfg.ID, seq)
}

// ChangesDue returns the change filings this node knows of (all: resolved too).
func (r *Runtime) ChangesDue(ctx context.Context, all bool) ([]catalog.ChangeDue, error) {
	id := ""
	if r.Cfg.Role == shuan.RoleEnterprise {
		id = r.Cfg.ID
	}
	return r.DB.FindChangesDue(ctx, id, all)
}

// CatalogRules returns the filing configuration and calendar in force.
func (r *Runtime) CatalogRules(ctx context.Context) (catalog.Config, *catalog.Calendar, error) {
	return r.DB.CatalogConfig(ctx)
}

// Rollup summarises the accepted filings of this node's subtree.
func (r *Runtime) Rollup(ctx context.Context) (catalog.Rollup, error) {
	if r.Cfg.Role == shuan.RoleEnterprise {
		return catalog.Rollup{}, shuan.Errorf(shuan.EFORBIDDEN, "the roll-up is kept by provinces and the ministry")
	}
	fs, err := r.DB.FindFilings(ctx, catalog.FilingFilter{})
	if err != nil {
		return catalog.Rollup{}, err
	}
	ents, err := r.DB.FindNodes(ctx, shuan.NodeFilter{Under: r.Cfg.ID, Role: shuan.RoleEnterprise})
	if err != nil {
		return catalog.Rollup{}, err
	}
	ch, err := r.DB.FindChangesDue(ctx, "", true)
	if err != nil {
		return catalog.Rollup{}, err
	}
	return catalog.Roll(fs, ents, ch, r.Now()), nil
}
