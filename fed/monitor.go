package fed

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/incident"
	"github.com/shuan-dev/shuan/sqlstore"
)

// Envelope kinds of risk monitoring and incident response (issue 5).
const (
	// KindIncident travels up from an enterprise and on to the ministry:
	// body IncidentBody, a snapshot of one incident at a revision. A
	// receiver keeps the highest revision of each incident.
	KindIncident = "incident"
	// KindWarning travels down from a province or the ministry, relayed by
	// provinces: body WarningBody, a colour-coded warning (预警).
	KindWarning = "warning"
)

func init() {
	registerKind(KindIncident, kind{version: 1, dir: up, forward: true, up: upIncident})
	registerKind(KindWarning, kind{version: 1, dir: down, down: downWarning})
}

// IncidentBody is the body of an incident envelope.
type IncidentBody = sqlstore.IncidentRecord

// WarningBody is the body of a warning envelope; the warning id is the
// envelope id.
type WarningBody struct {
	Colour  string       `json:"colour"`
	Title   string       `json:"title"`
	Text    string       `json:"text"`
	Risk    string       `json:"risk,omitempty"`
	Target  shuan.Target `json:"target"`
	Expires time.Time    `json:"expires,omitzero"`
}

// Validate reports the first problem of a warning body.
func (w WarningBody) Validate() error {
	if !slices.Contains(incident.Colours(), w.Colour) {
		return shuan.Errorf(shuan.EINVALID, "warning colour %q: want red, orange, yellow or blue", w.Colour)
	}
	if w.Title == "" || w.Text == "" {
		return shuan.Errorf(shuan.EINVALID, "a warning needs a title and a text")
	}
	return w.Target.Validate()
}

func upIncident(ctx context.Context, u Up) (bool, error) {
	tx, e, now := u.Tx, u.E, u.Now
	var b IncidentBody
	if err := strictJSON(e.Body, &b); err != nil {
		return false, shuan.Errorf(shuan.EINVALID, "incident %s: %v", e.ID, err)
	}
	if b.NodeID != e.Origin || b.Incident.ID == "" || b.Revision < 1 {
		return false, shuan.Errorf(shuan.EINVALID, "incident %s: must name its own enterprise, an incident id and a revision", e.ID)
	}
	ent, err := tx.FindNode(ctx, e.Origin)
	if err != nil {
		return false, err
	}
	if ent.Role != shuan.RoleEnterprise {
		return false, shuan.Errorf(shuan.EINVALID, "incident %s: only enterprises report incidents", e.ID)
	}
	// The node record, not the body, says where the enterprise is.
	b.NodeName, b.Region, b.Industry = ent.Name, ent.Region, ent.Industry
	changed, err := tx.SaveIncident(ctx, b)
	if err != nil {
		return false, err
	}
	if changed {
		if _, err := tx.AppendAudit(ctx, now, "node:"+e.Origin, "incident.received", b.Incident.ID,
			fmt.Sprintf("r%d %s %s", b.Revision, b.Incident.Grading.LevelZH, b.Incident.Status)); err != nil {
			return false, err
		}
	}
	// A lower revision arriving late still travels on: the next tier keeps
	// the highest one whatever the order.
	return true, nil
}

func downWarning(ctx context.Context, d Down) error {
	tx, e, now, a := d.Tx, d.E, d.Now, d.A
	var wb WarningBody
	if err := strictJSON(e.Body, &wb); err != nil {
		return shuan.Errorf(shuan.EINVALID, "warning %s: %v", e.ID, err)
	}
	if err := wb.Validate(); err != nil {
		return shuan.Errorf(shuan.EINVALID, "warning %s: %s", e.ID, shuan.ErrorMessage(err))
	}
	origin, err := tx.FindNode(ctx, e.Origin)
	if err != nil {
		return err
	}
	if err := tx.SaveWarning(ctx, sqlstore.WarningRecord{ID: e.ID, Colour: wb.Colour, Title: wb.Title, Text: wb.Text, Risk: wb.Risk,
		Target: wb.Target, Origin: e.Origin, OriginName: origin.Name, Issued: e.IssuedAt, Expires: wb.Expires}); err != nil {
		return err
	}
	if a.Relay != nil && d.Self.Role == shuan.RoleProvince {
		if err := a.Relay.PublishDown(ctx, tx, e, d.Raw, wb.Target, now); err != nil {
			return err
		}
	}
	_, err = tx.AppendAudit(ctx, now, "node:"+e.Origin, "warning.received", e.ID, incident.ColourZH(wb.Colour)+" "+wb.Title)
	return err
}
