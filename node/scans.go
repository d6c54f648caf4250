package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/classify"
	"github.com/shuan-dev/shuan/gm"
	"github.com/shuan-dev/shuan/scan"
	"github.com/shuan-dev/shuan/source"
	_ "github.com/shuan-dev/shuan/source/all" // every connector
	"github.com/shuan-dev/shuan/sqlstore"
)

// The stored shapes of the enterprise's data work, named here for the
// console and the CLI.
type (
	// Source is a registered data source; its password is kept only sealed.
	Source = sqlstore.Source
	// SourceOptions say how a source is scanned.
	SourceOptions = sqlstore.SourceOptions
	// ScanRecord is one scan of a source.
	ScanRecord = sqlstore.ScanRecord
	// ScanFilter selects scans.
	ScanFilter = sqlstore.ScanFilter
	// ReviewLabel is a person's confirmation or override of a column's label.
	ReviewLabel = sqlstore.ReviewLabel
)

// ScanTimeout bounds a scan started from the console; a scan found still
// running after it (the process stopped) is marked failed.
const ScanTimeout = 2 * time.Hour

// statementTimeout bounds each statement a scan runs on a source.
const statementTimeout = 5 * time.Minute

// maxFileSize skips larger files in file and directory sources.
const maxFileSize = 2 << 30

// Label is the classification a person gives a column.
type Label struct {
	Category    string `json:"category"`
	PI          string `json:"pi,omitempty"`
	SensitivePI bool   `json:"sensitive_pi"`
	Level       string `json:"level"`
	SubLevel    int    `json:"sub_level,omitempty"`
}

// Validate checks the label against the taxonomy codes and levels.
func (l Label) Validate() error {
	if !slices.Contains(classify.Categories(), l.Category) {
		return shuan.Errorf(shuan.EINVALID, "category %q is not a taxonomy code", l.Category)
	}
	if l.PI != "" && !slices.Contains(classify.PITypes(), l.PI) {
		return shuan.Errorf(shuan.EINVALID, "PI type %q is not a pi.* code", l.PI)
	}
	if l.SensitivePI && l.PI == "" {
		return shuan.Errorf(shuan.EINVALID, "sensitive PI needs a PI type")
	}
	switch l.Level {
	case "core", "important":
		if l.SubLevel != 0 {
			return shuan.Errorf(shuan.EINVALID, "only general data has a sub-level")
		}
	case "general":
		if l.SubLevel < 0 || l.SubLevel > 4 {
			return shuan.Errorf(shuan.EINVALID, "sub-level must be 1-4 (or 0 for none), got %d", l.SubLevel)
		}
	default:
		return shuan.Errorf(shuan.EINVALID, "level must be core, important or general, got %q", l.Level)
	}
	return nil
}

// ScanReport is one stored scan with its source and, once done, its result
// with the labels in force (the source's reviews) merged in.
type ScanReport struct {
	Scan   ScanRecord
	Source Source
	// Result is nil unless the scan is done.
	Result *scan.Result
	// Reviews are the labels in force for the source's columns.
	Reviews []ReviewLabel
}

// sealer returns the SM4-GCM sealer keyed by the node's seal.key.
func (r *Runtime) sealer() (*gm.Sealer, error) {
	key, err := os.ReadFile(filepath.Join(r.Dir, fileSealKey))
	if err != nil {
		return nil, fmt.Errorf("read seal key: %w", err)
	}
	return gm.NewSealer(key)
}

func (r *Runtime) canManageSources(by shuan.User) error {
	if r.Cfg.Role != shuan.RoleEnterprise {
		return shuan.Errorf(shuan.EFORBIDDEN, "only an enterprise node registers data sources and runs scans")
	}
	if by.ID != "" && !by.Role.Can(shuan.PermManageSources) {
		return shuan.Errorf(shuan.EFORBIDDEN, "user %s may not manage data sources", by.Name)
	}
	return nil
}

// sourceKind names the connector a location is for, or fails for a URL
// scheme no connector reads.
func sourceKind(loc string) (string, error) {
	l := strings.ToLower(loc)
	switch {
	case strings.HasPrefix(l, "postgres://"), strings.HasPrefix(l, "postgresql://"):
		return "postgres", nil
	case strings.HasPrefix(l, "mysql://"), strings.HasPrefix(l, "mariadb://"):
		return "mysql", nil
	case strings.HasPrefix(l, "sqlite:"):
		return "sqlite", nil
	case strings.Contains(l, "://"):
		return "", shuan.Errorf(shuan.EINVALID, "unsupported source %q: use postgres://, mysql://, sqlite:PATH or a file or directory path", source.Redact(loc))
	}
	for _, ext := range []string{".db", ".sqlite", ".sqlite3"} {
		if strings.HasSuffix(l, ext) {
			return "sqlite", nil
		}
	}
	return "files", nil
}

// splitPassword removes any password from a location, returning the
// location without it and the password found.
func splitPassword(loc string) (string, string) {
	u, err := url.Parse(loc)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return loc, ""
	}
	var pw string
	if u.User != nil {
		pw, _ = u.User.Password()
	}
	if pw == "" {
		q := u.Query()
		for k, v := range q {
			if lk := strings.ToLower(k); (lk == "password" || lk == "passwd" || lk == "pass") && len(v) > 0 {
				pw = v[0]
			}
		}
	}
	return source.Redact(loc), pw
}

func validSourceName(name string) error {
	n := []rune(name)
	if strings.TrimSpace(name) != name || len(n) == 0 || len(n) > 64 {
		return shuan.Errorf(shuan.EINVALID, "data source name must be 1-64 characters without surrounding spaces")
	}
	for _, c := range n {
		if unicode.IsControl(c) {
			return shuan.Errorf(shuan.EINVALID, "data source name contains a control character")
		}
	}
	return nil
}

// AddSource registers a data source. A password — given, or found in the
// URL — is sealed with SM4-GCM under the node's key, bound to the source's
// id; it is never stored, logged or audited in the clear.
func (r *Runtime) AddSource(ctx context.Context, by shuan.User, name, location, password string, o SourceOptions) (Source, error) {
	if err := r.canManageSources(by); err != nil {
		return Source{}, err
	}
	if err := validSourceName(name); err != nil {
		return Source{}, err
	}
	location = strings.TrimSpace(location)
	if location == "" {
		return Source{}, shuan.Errorf(shuan.EINVALID, "data source needs a URL or path")
	}
	kind, err := sourceKind(location)
	if err != nil {
		return Source{}, err
	}
	clean, inURL := splitPassword(location)
	if password == "" {
		password = inURL
	}
	if kind == "sqlite" || kind == "files" {
		p := strings.TrimPrefix(clean, "sqlite:")
		if _, err := os.Stat(p); err != nil {
			return Source{}, shuan.Errorf(shuan.EINVALID, "data source path %q cannot be read: %v", p, errors.Unwrap(err))
		}
	}
	if o.Sample < 0 || o.Sample > 1_000_000 {
		return Source{}, shuan.Errorf(shuan.EINVALID, "sample must be between 0 (default) and 1000000 rows, got %d", o.Sample)
	}
	if len(o.Industry) > 32 {
		return Source{}, shuan.Errorf(shuan.EINVALID, "industry %q is too long", o.Industry)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Source{}, err
	}
	src := Source{ID: id.String(), Name: name, Kind: kind, Location: clean, Options: o,
		Created: r.Now().UTC().Truncate(time.Microsecond), CreatedBy: actor(by)}
	if password != "" {
		s, err := r.sealer()
		if err != nil {
			return Source{}, err
		}
		src.Secret = s.Seal([]byte(password), []byte(src.ID))
	}
	err = r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		if err := tx.CreateSource(ctx, src); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, src.Created, actor(by), "source.add", src.ID,
			fmt.Sprintf("%s %s %s secret=%t", src.Name, src.Kind, src.Location, src.Secret != nil))
		return err
	})
	if err != nil {
		return Source{}, err
	}
	return src, nil
}

// Sources returns the registered data sources, by name.
func (r *Runtime) Sources(ctx context.Context) ([]Source, error) { return r.DB.FindSources(ctx) }

// Source returns the data source with the given id or name.
func (r *Runtime) Source(ctx context.Context, idOrName string) (Source, error) {
	return r.DB.FindSource(ctx, idOrName)
}

// RemoveSource deletes a data source with its scans and reviews.
func (r *Runtime) RemoveSource(ctx context.Context, by shuan.User, idOrName string) error {
	if err := r.canManageSources(by); err != nil {
		return err
	}
	now := r.Now()
	return r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		src, err := tx.FindSource(ctx, idOrName)
		if err != nil {
			return err
		}
		if err := tx.DeleteSource(ctx, src.ID); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, now, actor(by), "source.remove", src.ID, src.Name)
		return err
	})
}

// Scans returns the scans f selects, newest first, without documents.
func (r *Runtime) Scans(ctx context.Context, f ScanFilter) ([]ScanRecord, error) {
	return r.DB.FindScans(ctx, f)
}

// RunScan scans a source now and returns the finished record. A scan that
// fails is recorded as failed, and its error returned with the record.
func (r *Runtime) RunScan(ctx context.Context, by shuan.User, sourceID string) (ScanRecord, error) {
	src, rec, err := r.beginScan(ctx, by, sourceID)
	if err != nil {
		return rec, err
	}
	return r.execScan(ctx, src, rec)
}

// StartScan records a scan as running and runs it in the background,
// bounded by ScanTimeout; poll the record (FindScan) for its outcome.
func (r *Runtime) StartScan(ctx context.Context, by shuan.User, sourceID string) (ScanRecord, error) {
	src, rec, err := r.beginScan(ctx, by, sourceID)
	if err != nil {
		return rec, err
	}
	go func() {
		// The request that started the scan ends long before the scan.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ScanTimeout)
		defer cancel()
		if _, err := r.execScan(sctx, src, rec); err != nil {
			r.Log.Warn("scan failed", "source", src.Name, "scan", rec.ID, "err", err)
		}
	}()
	return rec, nil
}

// beginScan records a running scan of the source, refusing a second one
// while the first runs.
func (r *Runtime) beginScan(ctx context.Context, by shuan.User, sourceID string) (Source, ScanRecord, error) {
	if err := r.canManageSources(by); err != nil {
		return Source{}, ScanRecord{}, err
	}
	now := r.Now().UTC().Truncate(time.Microsecond)
	if _, err := r.DB.FailStaleScans(ctx, now.Add(-ScanTimeout-time.Minute), now, "interrupted: the node stopped during the scan"); err != nil {
		return Source{}, ScanRecord{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Source{}, ScanRecord{}, err
	}
	var src Source
	rec := ScanRecord{ID: id.String(), Status: sqlstore.ScanRunning, Started: now, By: actor(by)}
	err = r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		var err error
		if src, err = tx.FindSource(ctx, sourceID); err != nil {
			return err
		}
		rec.SourceID = src.ID
		running, err := tx.FindScans(ctx, ScanFilter{SourceID: src.ID, Status: sqlstore.ScanRunning, Limit: 1})
		if err != nil {
			return err
		}
		if len(running) > 0 {
			return shuan.Errorf(shuan.ECONFLICT, "a scan of %s is already running (started %s)", src.Name, running[0].Started.Format(time.RFC3339))
		}
		if err := tx.CreateScan(ctx, rec); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, now, actor(by), "scan.run", rec.ID, src.Name)
		return err
	})
	if err != nil {
		return Source{}, ScanRecord{}, err
	}
	return src, rec, nil
}

// execScan runs a recorded scan and records its outcome.
func (r *Runtime) execScan(ctx context.Context, src Source, rec ScanRecord) (ScanRecord, error) {
	res, password, err := r.scanSource(ctx, src)
	rec.Finished = r.Now().UTC().Truncate(time.Microsecond)
	detail := ""
	if err != nil {
		msg := err.Error()
		if password != "" {
			msg = strings.ReplaceAll(msg, password, "******")
		}
		rec.Status, rec.Error = sqlstore.ScanFailed, msg
		detail = "failed: " + msg
		err = shuan.Errorf(shuan.EINVALID, "scan %s: %s", src.Name, msg)
	} else {
		var buf bytes.Buffer
		if werr := scan.Write(&buf, res, "json", scan.WriteOptions{}); werr != nil {
			return rec, werr
		}
		rec.Status, rec.Doc, rec.Counts = sqlstore.ScanDone, buf.Bytes(), countsOf(res)
		detail = fmt.Sprintf("done: tables=%d columns=%d pi=%d important=%d core=%d skipped=%d",
			rec.Counts.Tables, rec.Counts.Columns, rec.Counts.PIColumns, rec.Counts.ImportantTables, rec.Counts.CoreTables, rec.Counts.Skipped)
	}
	// The outcome is recorded even when ctx has ended (a timeout).
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	terr := r.DB.Tx(dctx, func(tx *sqlstore.Store) error {
		if err := tx.FinishScan(dctx, rec); err != nil {
			return err
		}
		_, err := tx.AppendAudit(dctx, rec.Finished, "system", "scan.finish", rec.ID, src.Name+" "+detail)
		return err
	})
	if terr != nil {
		return rec, errors.Join(err, terr)
	}
	r.Log.Info("scan finished", "source", src.Name, "scan", rec.ID, "status", rec.Status,
		"tables", rec.Counts.Tables, "columns", rec.Counts.Columns)
	return rec, err
}

// scanSource opens the source with its unsealed password and scans it,
// incrementally from its last successful scan. It returns the password so
// that the caller can keep it out of error messages.
func (r *Runtime) scanSource(ctx context.Context, src Source) (*scan.Result, string, error) {
	var password string
	if len(src.Secret) > 0 {
		s, err := r.sealer()
		if err != nil {
			return nil, "", err
		}
		pw, err := s.Open(src.Secret, []byte(src.ID))
		if err != nil {
			return nil, "", fmt.Errorf("unseal the password of %s: %w", src.Name, err)
		}
		password = string(pw)
	}
	engine, err := classify.Default()
	if err != nil {
		return nil, password, fmt.Errorf("load rule packs: %w", err)
	}
	prev, err := r.previous(ctx, src.ID)
	if err != nil {
		return nil, password, err
	}
	jobs := min(runtime.GOMAXPROCS(0), 4)
	conn, err := source.Open(ctx, src.Location, source.Options{
		Password: password, Timeout: statementTimeout, Conns: jobs,
		Include: src.Options.Include, Exclude: src.Options.Exclude, MaxFileSize: maxFileSize,
	})
	if err != nil {
		return nil, password, err
	}
	defer conn.Close()
	industry := src.Options.Industry
	if industry == "" {
		industry = r.Cfg.Industry
	}
	job := &scan.Job{Source: conn, Classifier: engine, Sample: src.Options.Sample, Jobs: jobs,
		Industry: industry, Previous: prev, Now: r.Now}
	res, err := job.Run(ctx)
	return res, password, err
}

// previous is the source's last successful scan with the labels in force
// applied as confirmed, or nil.
func (r *Runtime) previous(ctx context.Context, sourceID string) (*scan.Result, error) {
	last, err := r.DB.FindScans(ctx, ScanFilter{SourceID: sourceID, Status: sqlstore.ScanDone, Limit: 1})
	if err != nil || len(last) == 0 {
		return nil, err
	}
	rec, err := r.DB.FindScan(ctx, last[0].ID)
	if err != nil {
		return nil, err
	}
	res, err := scan.ReadResult(bytes.NewReader(rec.Doc))
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", rec.ID, err)
	}
	reviews, err := r.DB.FindReviews(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	ApplyReviews(res, reviews)
	return res, nil
}

// ScanReport returns a stored scan with its source, its result (once done)
// and the labels in force merged in.
func (r *Runtime) ScanReport(ctx context.Context, scanID string) (ScanReport, error) {
	rec, err := r.DB.FindScan(ctx, scanID)
	if err != nil {
		return ScanReport{}, err
	}
	src, err := r.DB.FindSource(ctx, rec.SourceID)
	if err != nil {
		return ScanReport{}, err
	}
	rep := ScanReport{Scan: rec, Source: src}
	if rep.Reviews, err = r.DB.FindReviews(ctx, src.ID); err != nil {
		return ScanReport{}, err
	}
	if rec.Status == sqlstore.ScanDone {
		if rep.Result, err = scan.ReadResult(bytes.NewReader(rec.Doc)); err != nil {
			return ScanReport{}, fmt.Errorf("scan %s: %w", rec.ID, err)
		}
		ApplyReviews(rep.Result, rep.Reviews)
	}
	rep.Scan.Doc = nil
	return rep, nil
}

// Reviews returns the labels in force for a source's columns.
func (r *Runtime) Reviews(ctx context.Context, sourceID string) ([]ReviewLabel, error) {
	return r.DB.FindReviews(ctx, sourceID)
}

// ConfirmColumn records a person's label for one column of a source's
// latest successful scan — a confirmation when it equals the label shown,
// an override otherwise — with the reason, which is required. Later scans
// keep it and report the column as confirmed.
func (r *Runtime) ConfirmColumn(ctx context.Context, by shuan.User, sourceID, table, column string, l Label, reason string) (ReviewLabel, error) {
	if r.Cfg.Role != shuan.RoleEnterprise {
		return ReviewLabel{}, shuan.Errorf(shuan.EFORBIDDEN, "only an enterprise node reviews labels")
	}
	if by.ID != "" && !by.Role.Can(shuan.PermReviewLabels) {
		return ReviewLabel{}, shuan.Errorf(shuan.EFORBIDDEN, "user %s may not review labels", by.Name)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return ReviewLabel{}, shuan.Errorf(shuan.EINVALID, "a reason is required to confirm or override a label")
	}
	if n := len([]rune(reason)); n > 500 {
		return ReviewLabel{}, shuan.Errorf(shuan.EINVALID, "reason must be at most 500 characters, got %d", n)
	}
	if err := l.Validate(); err != nil {
		return ReviewLabel{}, err
	}
	src, err := r.DB.FindSource(ctx, sourceID)
	if err != nil {
		return ReviewLabel{}, err
	}
	last, err := r.DB.FindScans(ctx, ScanFilter{SourceID: src.ID, Status: sqlstore.ScanDone, Limit: 1})
	if err != nil {
		return ReviewLabel{}, err
	}
	if len(last) == 0 {
		return ReviewLabel{}, shuan.Errorf(shuan.ENOTFOUND, "data source %s has no finished scan to review", src.Name)
	}
	rep, err := r.ScanReport(ctx, last[0].ID)
	if err != nil {
		return ReviewLabel{}, err
	}
	shown, ok := findColumn(rep.Result, table, column)
	if !ok {
		return ReviewLabel{}, shuan.Errorf(shuan.ENOTFOUND, "column %s.%s is not in the latest scan of %s", table, column, src.Name)
	}
	action := "label.override"
	if (Label{Category: shown.Category, PI: shown.PIType(), SensitivePI: shown.SensitivePI, Level: shown.Level, SubLevel: shown.SubLevel}) == l {
		action = "label.confirm"
	}
	name := by.Name
	if name == "" {
		name = "cli"
	}
	rv := ReviewLabel{SourceID: src.ID, Table: table, Column: column, Category: l.Category, PI: l.PI, SensitivePI: l.SensitivePI,
		Level: l.Level, SubLevel: l.SubLevel, Reason: reason, By: name, At: r.Now()}
	err = r.DB.Tx(ctx, func(tx *sqlstore.Store) error {
		var err error
		if rv, err = tx.SaveReview(ctx, rv); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, rv.At, actor(by), action, src.ID+"/"+table+"/"+column,
			fmt.Sprintf("%s category=%s pi=%s sensitive=%t level=%s reason=%s", src.Name, l.Category, l.PI, l.SensitivePI, levelText(l.Level, l.SubLevel), reason))
		return err
	})
	if err != nil {
		return ReviewLabel{}, err
	}
	return rv, nil
}

// ConfirmedScans returns, for each data source, its latest successful scan
// with the labels people confirmed or overrode merged in (confirmed columns
// carry "confirmed", "confirmed_by" and "reason"), by source name. Sources
// never scanned successfully are left out. The catalog is built from these.
func (r *Runtime) ConfirmedScans(ctx context.Context) ([]*scan.Result, error) {
	srcs, err := r.DB.FindSources(ctx)
	if err != nil {
		return nil, err
	}
	var out []*scan.Result
	for _, src := range srcs {
		last, err := r.DB.FindScans(ctx, ScanFilter{SourceID: src.ID, Status: sqlstore.ScanDone, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(last) == 0 {
			continue
		}
		rep, err := r.ScanReport(ctx, last[0].ID)
		if err != nil {
			return nil, err
		}
		out = append(out, rep.Result)
	}
	return out, nil
}

func findColumn(res *scan.Result, table, column string) (scan.Column, bool) {
	if res == nil {
		return scan.Column{}, false
	}
	for _, t := range res.Tables {
		if t.Name != table {
			continue
		}
		for _, c := range t.Columns {
			if c.Name == column {
				return c, true
			}
		}
	}
	return scan.Column{}, false
}

// ApplyReviews sets the reviewed columns of res to the labels people gave
// them, marked confirmed with reviewer and reason, raises each table's
// level to its highest confirmed column (就高从严) unless the table itself
// was confirmed, and recomputes the summary.
func ApplyReviews(res *scan.Result, reviews []ReviewLabel) {
	byKey := map[[2]string]ReviewLabel{}
	for _, rv := range reviews {
		byKey[[2]string{rv.Table, rv.Column}] = rv
	}
	for ti := range res.Tables {
		t := &res.Tables[ti]
		for ci := range t.Columns {
			rv, ok := byKey[[2]string{t.Name, t.Columns[ci].Name}]
			if !ok {
				continue
			}
			c := &t.Columns[ci]
			c.Category, c.SensitivePI, c.Level, c.SubLevel = rv.Category, rv.SensitivePI, rv.Level, rv.SubLevel
			c.PI = nil
			if rv.PI != "" {
				pi := rv.PI
				c.PI = &pi
			}
			c.Confidence = 1
			c.Confirmed, c.ConfirmedBy, c.Reason = true, rv.By, rv.Reason
			c.Evidence = []scan.Evidence{{Kind: "confirmed", Rule: "human", Detail: "confirmed by " + rv.By + ": " + rv.Reason}}
		}
		if t.Confirmed {
			continue
		}
		for _, c := range t.Columns {
			if c.Confirmed && levelRank(c.Level) > levelRank(t.Level) {
				t.Level, t.SubLevel = c.Level, 0
				if c.Level == "general" {
					t.SubLevel = c.SubLevel
				}
			}
		}
	}
	summarize(res)
}

// summarize recomputes the result's summary as package scan does.
func summarize(r *scan.Result) {
	s := scan.Summary{
		TablesByLevel:     map[string]int{},
		TablesByCategory:  map[string]int{},
		ColumnsByCategory: map[string]int{},
		ColumnsByPI:       map[string]int{},
		Skipped:           len(r.Skipped),
	}
	for _, t := range r.Tables {
		s.Tables++
		s.TablesByLevel[t.Level]++
		s.TablesByCategory[t.Category]++
		if t.Unchanged {
			s.Unchanged++
		}
		for _, c := range t.Columns {
			s.Columns++
			s.ColumnsByCategory[c.Category]++
			if p := c.PIType(); p != "" {
				s.ColumnsByPI[p]++
			}
			if c.SensitivePI {
				s.SensitivePI++
			}
			if c.Confirmed {
				s.Confirmed++
			}
		}
	}
	r.Summary = s
}

func countsOf(res *scan.Result) sqlstore.ScanCounts {
	s := res.Summary
	c := sqlstore.ScanCounts{Tables: s.Tables, Columns: s.Columns, SensitivePI: s.SensitivePI,
		ImportantTables: s.TablesByLevel["important"], CoreTables: s.TablesByLevel["core"], Confirmed: s.Confirmed, Skipped: s.Skipped}
	for _, n := range s.ColumnsByPI {
		c.PIColumns += n
	}
	return c
}

func levelRank(l string) int {
	switch l {
	case "core":
		return 3
	case "important":
		return 2
	case "general":
		return 1
	}
	return 0
}

func levelText(level string, sub int) string {
	if level == "general" && sub > 0 {
		return fmt.Sprintf("general-%d", sub)
	}
	return level
}
