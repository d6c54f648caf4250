package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shuan-dev/shuan"
)

const noticeColumns = `id, title, body, severity, target, origin, created_at`

// CreateNotice stores n; a notice with the same ID already stored is left
// unchanged.
func (s *Store) CreateNotice(ctx context.Context, n shuan.Notice) error {
	if n.ID == "" {
		return shuan.Errorf(shuan.EINVALID, "notice needs an id")
	}
	target, err := json.Marshal(n.Target)
	if err != nil {
		return fmt.Errorf("create notice: encode target: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `
		INSERT INTO notices (`+noticeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO NOTHING`,
		n.ID, n.Title, n.Body, n.Severity, string(target), n.Origin, tm(n.Created))
	if err != nil {
		return fmt.Errorf("create notice %q: %w", n.ID, err)
	}
	return nil
}

// FindNotice returns the notice with the given id.
func (s *Store) FindNotice(ctx context.Context, id string) (shuan.Notice, error) {
	n, err := scanNotice(s.q.QueryRowContext(ctx, `SELECT `+noticeColumns+` FROM notices WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return shuan.Notice{}, shuan.Errorf(shuan.ENOTFOUND, "notice %q not found", id)
	} else if err != nil {
		return shuan.Notice{}, fmt.Errorf("find notice %q: %w", id, err)
	}
	return n, nil
}

// FindNotices returns up to limit notices (all if limit <= 0), newest first.
func (s *Store) FindNotices(ctx context.Context, limit int) ([]shuan.Notice, error) {
	q, args := withLimit(`SELECT `+noticeColumns+` FROM notices ORDER BY created_at DESC, id DESC`, nil, limit)
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find notices: %w", err)
	}
	defer rows.Close()
	var out []shuan.Notice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, fmt.Errorf("find notices: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find notices: %w", err)
	}
	return out, nil
}

// SetNoticeStatus records a node's progress on a notice. A status never moves
// back: a report ranked at or below the stored one (shuan.NoticeRank) changes
// nothing.
func (s *Store) SetNoticeStatus(ctx context.Context, st shuan.NoticeStatus) error {
	rank := shuan.NoticeRank(st.Status)
	if rank == 0 {
		return shuan.Errorf(shuan.EINVALID, "notice status must be delivered, read or acked, got %q", st.Status)
	}
	if st.NoticeID == "" || st.NodeID == "" {
		return shuan.Errorf(shuan.EINVALID, "notice status needs a notice id and a node id")
	}
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO notice_statuses (notice_id, node_id, status, rank, by_user, at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (notice_id, node_id) DO UPDATE SET
			status = excluded.status, rank = excluded.rank, by_user = excluded.by_user, at = excluded.at
		WHERE excluded.rank > notice_statuses.rank`,
		st.NoticeID, st.NodeID, st.Status, rank, st.By, tm(st.At))
	if err != nil {
		return fmt.Errorf("set notice status: %w", err)
	}
	return nil
}

// NoticeStatuses returns every node's status on the notice, by node id.
func (s *Store) NoticeStatuses(ctx context.Context, noticeID string) ([]shuan.NoticeStatus, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT notice_id, node_id, status, by_user, at FROM notice_statuses
		WHERE notice_id = $1 ORDER BY node_id`, noticeID)
	if err != nil {
		return nil, fmt.Errorf("notice statuses: %w", err)
	}
	defer rows.Close()
	var out []shuan.NoticeStatus
	for rows.Next() {
		var st shuan.NoticeStatus
		if err := rows.Scan(&st.NoticeID, &st.NodeID, &st.Status, &st.By, asTime(&st.At)); err != nil {
			return nil, fmt.Errorf("notice statuses: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notice statuses: %w", err)
	}
	return out, nil
}

func scanNotice(sc scanner) (shuan.Notice, error) {
	var (
		n      shuan.Notice
		target string
	)
	if err := sc.Scan(&n.ID, &n.Title, &n.Body, &n.Severity, &target, &n.Origin, asTime(&n.Created)); err != nil {
		return shuan.Notice{}, err
	}
	if err := json.Unmarshal([]byte(target), &n.Target); err != nil {
		return shuan.Notice{}, fmt.Errorf("notice %q target: %w", n.ID, err)
	}
	return n, nil
}
