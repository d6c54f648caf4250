package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/detect"
	"github.com/shuan-dev/shuan/incident"
)

// IncidentRecord is an incident as a node keeps it and as it travels up in
// an incident envelope: the correlated incident with its timeline, the
// enterprise it happened at, its reporting clocks and reports. Revision
// grows with every change the enterprise reports; a receiver keeps the
// highest revision it has seen.
type IncidentRecord struct {
	Incident incident.Incident `json:"incident"`
	Revision int64             `json:"revision"`
	NodeID   string            `json:"node_id"`
	NodeName string            `json:"node_name"`
	Region   string            `json:"region,omitempty"`
	Industry string            `json:"industry,omitempty"`
	// Clocks are the reporting deadlines (absolute times) at this revision.
	Clocks  []incident.Clock        `json:"clocks"`
	Initial incident.InitialReport  `json:"initial_report"`
	Summary *incident.SummaryReport `json:"summary_report,omitempty"`
	// Sent is when this revision was reported.
	Sent time.Time `json:"sent_at"`
}

// IncidentFilter selects incidents; zero fields select everything.
type IncidentFilter struct {
	NodeID   string
	Region   string // GB/T 2260 prefix match, trailing zero pairs are wildcards
	Industry string // prefix
	Level    string
	Status   string
	Open     bool // not summarized
	Limit    int
}

// WarningRecord is a colour-coded warning (预警) as stored at every node it
// reached.
type WarningRecord struct {
	ID         string       `json:"id"`
	Colour     string       `json:"colour"`
	Title      string       `json:"title"`
	Text       string       `json:"text"`
	Risk       string       `json:"risk,omitempty"`
	Target     shuan.Target `json:"target"`
	Origin     string       `json:"origin"`
	OriginName string       `json:"origin_name,omitempty"`
	Issued     time.Time    `json:"issued"`
	Expires    time.Time    `json:"expires,omitzero"`
}

// SaveAlert stores an alert raised at this node and reports whether it was
// new; an alert already stored (same id, e.g. a log re-read) is left as is.
func (s *Store) SaveAlert(ctx context.Context, a detect.Alert, incidentID string) (bool, error) {
	if a.ID == "" {
		return false, shuan.Errorf(shuan.EINVALID, "alert needs an id")
	}
	body, err := json.Marshal(a)
	if err != nil {
		return false, fmt.Errorf("save alert: %w", err)
	}
	res, err := s.q.ExecContext(ctx, `INSERT INTO alerts (id, at, rule, risk, severity, data_level, incident_id, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
		a.ID, tm(a.Time), a.Rule, a.Risk, a.Severity, a.DataLevel, incidentID, string(body))
	if err != nil {
		return false, fmt.Errorf("save alert %s: %w", a.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("save alert %s: %w", a.ID, err)
	}
	return n > 0, nil
}

// HasAlert reports whether an alert with id is stored.
func (s *Store) HasAlert(ctx context.Context, id string) (bool, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts WHERE id = $1`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("find alert %s: %w", id, err)
	}
	return n > 0, nil
}

// StoredAlert is an alert with the incident it joined.
type StoredAlert struct {
	detect.Alert
	IncidentID string `json:"incident_id,omitempty"`
}

// FindAlerts returns up to limit alerts (all if limit <= 0), newest first;
// risk, when not empty, selects one risk type.
func (s *Store) FindAlerts(ctx context.Context, risk string, limit int) ([]StoredAlert, error) {
	q := `SELECT body, incident_id FROM alerts`
	var args []any
	if risk != "" {
		q += ` WHERE risk = $1`
		args = append(args, risk)
	}
	q, args = withLimit(q+` ORDER BY at DESC, id DESC`, args, limit)
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find alerts: %w", err)
	}
	defer rows.Close()
	var out []StoredAlert
	for rows.Next() {
		var body, inc string
		if err := rows.Scan(&body, &inc); err != nil {
			return nil, fmt.Errorf("find alerts: %w", err)
		}
		var a StoredAlert
		if err := json.Unmarshal([]byte(body), &a.Alert); err != nil {
			return nil, fmt.Errorf("decode alert: %w", err)
		}
		a.IncidentID = inc
		out = append(out, a)
	}
	return out, rows.Err()
}

// SaveIncident stores an incident record unless a higher revision of it is
// already stored; it reports whether it changed anything.
func (s *Store) SaveIncident(ctx context.Context, r IncidentRecord) (bool, error) {
	in := r.Incident
	if in.ID == "" || r.NodeID == "" {
		return false, shuan.Errorf(shuan.EINVALID, "incident record needs an id and a node id")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return false, fmt.Errorf("save incident: %w", err)
	}
	res, err := s.q.ExecContext(ctx, `INSERT INTO incidents (id, node_id, region, industry, level, status, revision, discovered_at, updated_at, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET level = excluded.level, status = excluded.status, revision = excluded.revision,
			updated_at = excluded.updated_at, region = excluded.region, industry = excluded.industry, body = excluded.body
		WHERE incidents.revision <= excluded.revision AND incidents.node_id = excluded.node_id`,
		in.ID, r.NodeID, r.Region, r.Industry, in.Grading.Level, string(in.Status), r.Revision, tm(in.Discovered), tm(in.Updated), string(body))
	if err != nil {
		return false, fmt.Errorf("save incident %s: %w", in.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("save incident %s: %w", in.ID, err)
	}
	return n > 0, nil
}

// FindIncident returns the incident record with id.
func (s *Store) FindIncident(ctx context.Context, id string) (IncidentRecord, error) {
	var body string
	err := s.q.QueryRowContext(ctx, `SELECT body FROM incidents WHERE id = $1`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return IncidentRecord{}, shuan.Errorf(shuan.ENOTFOUND, "incident %s not found", id)
	} else if err != nil {
		return IncidentRecord{}, fmt.Errorf("find incident %s: %w", id, err)
	}
	var r IncidentRecord
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return r, fmt.Errorf("decode incident %s: %w", id, err)
	}
	return r, nil
}

// FindIncidents returns the incidents f selects, newest first.
func (s *Store) FindIncidents(ctx context.Context, f IncidentFilter) ([]IncidentRecord, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.NodeID != "" {
		add("node_id = ?", f.NodeID)
	}
	if f.Region != "" {
		p := strings.TrimRight(f.Region, "0")
		if len(p)%2 == 1 {
			p += "0"
		}
		add("region LIKE ?", p+"%")
	}
	if f.Industry != "" {
		add("industry LIKE ?", f.Industry+"%")
	}
	if f.Level != "" {
		add("level = ?", f.Level)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Open {
		add("status <> ?", string(incident.StatusSummarized))
	}
	q := `SELECT body FROM incidents`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q, args = withLimit(q+` ORDER BY discovered_at DESC, id DESC`, args, f.Limit)
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find incidents: %w", err)
	}
	defer rows.Close()
	var out []IncidentRecord
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("find incidents: %w", err)
		}
		var r IncidentRecord
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			return nil, fmt.Errorf("decode incident: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SaveWarning stores a warning; one already stored is left unchanged.
func (s *Store) SaveWarning(ctx context.Context, w WarningRecord) error {
	if w.ID == "" {
		return shuan.Errorf(shuan.EINVALID, "warning needs an id")
	}
	body, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("save warning: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO warnings (id, origin, colour, issued_at, body) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO NOTHING`, w.ID, w.Origin, w.Colour, tm(w.Issued), string(body))
	if err != nil {
		return fmt.Errorf("save warning %s: %w", w.ID, err)
	}
	return nil
}

// FindWarnings returns up to limit warnings (all if limit <= 0), newest first.
func (s *Store) FindWarnings(ctx context.Context, limit int) ([]WarningRecord, error) {
	q, args := withLimit(`SELECT body FROM warnings ORDER BY issued_at DESC, id DESC`, nil, limit)
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find warnings: %w", err)
	}
	defer rows.Close()
	var out []WarningRecord
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("find warnings: %w", err)
		}
		var w WarningRecord
		if err := json.Unmarshal([]byte(body), &w); err != nil {
			return nil, fmt.Errorf("decode warning: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}
