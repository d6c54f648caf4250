// Package web serves a node's console: server-rendered pages in Chinese (or
// English on request), embedded static assets and the session-authenticated
// JSON console API under /api/v1.
package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/auth"
	"github.com/shuan-dev/shuan/httpapi"
	"github.com/shuan-dev/shuan/i18n"
	"github.com/shuan-dev/shuan/ledger"
)

// Store is the storage the console reads and the few writes it makes
// (sessions and audit records); *sqlstore.DB satisfies it.
type Store interface {
	FindNode(ctx context.Context, id string) (shuan.Node, error)
	FindNodes(ctx context.Context, f shuan.NodeFilter) ([]shuan.Node, error)
	OutboxStats(ctx context.Context) (shuan.OutboxStats, error)
	FindOutbox(ctx context.Context, state string, limit int) ([]shuan.OutboxItem, error)
	FindNotices(ctx context.Context, limit int) ([]shuan.Notice, error)
	FindNotice(ctx context.Context, id string) (shuan.Notice, error)
	NoticeStatuses(ctx context.Context, noticeID string) ([]shuan.NoticeStatus, error)
	FindUserByName(ctx context.Context, name string) (shuan.User, string, error)
	CreateSession(ctx context.Context, se shuan.Session) error
	FindSession(ctx context.Context, tokenHash string, now time.Time) (shuan.Session, shuan.User, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	AppendAudit(ctx context.Context, at time.Time, actor, action, object, detail string) (ledger.Record, error)
	AuditRecords(ctx context.Context, afterSeq int64, limit int) ([]ledger.Record, error)
}

// Actions are the node runtime's operations that the console triggers.
// Implementations append their own audit record (notice.send,
// notice.read, notice.acked) in the same transaction as the change; the
// console audits only what it does itself: logins, failed logins and
// logouts.
type Actions interface {
	// SendNotice validates, signs, stores and queues a notice downward
	// (ministry and province only).
	SendNotice(ctx context.Context, by shuan.User, n shuan.Notice) (shuan.Notice, error)
	// MarkNotice records that an enterprise user read or acknowledged a
	// notice (shuan.NoticeRead or shuan.NoticeAcked) and reports it upward.
	MarkNotice(ctx context.Context, by shuan.User, noticeID, status string) error
}

// Config holds the console's dependencies.
type Config struct {
	SelfID        string           // this node's id
	Store         Store            // required
	Actions       Actions          // required
	Now           func() time.Time // defaults to time.Now
	Log           *slog.Logger     // defaults to discarding
	SecureCookies bool             // set the Secure flag (and __Host- prefix) on cookies; on behind HTTPS
	Version       string           // shown in the footer
	// Scans are the enterprise's data source and scan operations; nil hides those pages.
	Scans ScanActions
	// Catalog is the catalog and filing operations; nil hides those pages.
	Catalog CatalogActions
	// Monitor is the monitoring, incident and warning operations; nil hides those pages.
	Monitor MonitorActions
}

// SessionTTL is how long a console session lasts after login.
const SessionTTL = 12 * time.Hour

// Cookie names.
const (
	langCookie = "lang"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type server struct {
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	pages  map[string]*template.Template
	static http.Handler
	cookie string // the session cookie's name
	logins *loginLimiter
	// dummyHash is verified against when a login names no user, so that the
	// response time does not tell which user names exist.
	dummyHash func() string
}

// New returns the console handler: pages, static assets and the JSON API,
// behind cross-origin (CSRF) protection and strict security headers.
func New(cfg Config) (http.Handler, error) {
	if cfg.SelfID == "" {
		return nil, fmt.Errorf("web: config has no SelfID")
	}
	if cfg.Store == nil || cfg.Actions == nil {
		return nil, fmt.Errorf("web: config needs Store and Actions")
	}
	s := &server{cfg: cfg, now: cfg.Now, log: cfg.Log, cookie: sessionCookieName(cfg.SelfID, cfg.SecureCookies), logins: newLoginLimiter()}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static assets: %w", err)
	}
	s.static = http.StripPrefix("/static/", http.FileServerFS(sub))
	s.dummyHash = sync.OnceValue(func() string {
		h, err := auth.HashPassword(auth.GeneratePassword())
		if err != nil {
			s.log.Error("dummy password hash", "err", err)
		}
		return h
	})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /static/", s.serveStatic)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.loginPost)
	mux.HandleFunc("POST /logout", s.logout)

	mux.Handle("GET /{$}", s.page(shuan.PermRead, s.overviewPage))
	mux.Handle("GET /nodes", s.page(shuan.PermRead, s.nodesPage))
	mux.Handle("GET /nodes/{id}", s.page(shuan.PermRead, s.nodePage))
	mux.Handle("GET /notices", s.page(shuan.PermRead, s.noticesPage))
	mux.Handle("POST /notices", s.page(shuan.PermSendNotice, s.noticeCompose))
	mux.Handle("GET /notices/{id}", s.page(shuan.PermRead, s.noticePage))
	mux.Handle("POST /notices/{id}/mark", s.page(shuan.PermAckNotice, s.noticeMark))
	mux.Handle("GET /audit", s.page(shuan.PermReadAudit, s.auditPage))
	s.scanRoutes(mux)
	s.catalogRoutes(mux)
	s.monitorRoutes(mux)
	mux.Handle("/", s.page("", func(w http.ResponseWriter, r *http.Request, rq *request) error {
		return shuan.Errorf(shuan.ENOTFOUND, "no page at %s", r.URL.Path)
	}))

	mux.Handle("GET /api/v1/overview", s.api(shuan.PermRead, s.apiOverview))
	mux.Handle("GET /api/v1/nodes", s.api(shuan.PermRead, s.apiNodes))
	mux.Handle("GET /api/v1/notices", s.api(shuan.PermRead, s.apiNotices))
	mux.Handle("GET /api/v1/notices/{id}", s.api(shuan.PermRead, s.apiNotice))
	mux.Handle("/api/", s.api("", func(w http.ResponseWriter, r *http.Request, rq *request) error {
		return shuan.Errorf(shuan.ENOTFOUND, "no API endpoint %s %s", r.Method, r.URL.Path)
	}))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	return s.headers(cop.Handler(mux)), nil
}

// contentSecurityPolicy allows nothing but this origin's own files: no
// inline scripts or styles, no frames, forms posting only here.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

func (s *server) headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.cfg.SecureCookies {
			// Secure cookies mean the console is served over HTTPS only.
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

func (s *server) serveStatic(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r) // no directory listings
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	s.static.ServeHTTP(w, r)
}

// request is what every authenticated handler knows about its caller.
type request struct {
	User shuan.User
	Self shuan.Node
	Lang i18n.Lang
	Now  time.Time
}

// pageFunc handles an authenticated page; a returned error is rendered as
// an error page with the status its code maps to.
type pageFunc func(w http.ResponseWriter, r *http.Request, rq *request) error

func (s *server) page(perm string, fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang, redirected := s.language(w, r)
		if redirected {
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		rq, err := s.authenticate(r, lang)
		if shuan.ErrorCode(err) == shuan.EUNAUTHORIZED {
			s.clearSessionCookie(w)
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = "/"
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		if err == nil && perm != "" && !rq.User.Role.Can(perm) {
			err = shuan.Errorf(shuan.EFORBIDDEN, "role %s lacks permission %s", rq.User.Role, perm)
		}
		if err == nil {
			err = fn(w, r, rq)
		}
		if err != nil {
			s.errorPage(w, r, rq, lang, err)
		}
	})
}

// apiFunc handles an authenticated JSON endpoint.
type apiFunc func(w http.ResponseWriter, r *http.Request, rq *request) error

func (s *server) api(perm string, fn apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		rq, err := s.authenticate(r, s.langOf(r))
		if err == nil && perm != "" && !rq.User.Role.Can(perm) {
			err = shuan.Errorf(shuan.EFORBIDDEN, "role %s lacks permission %s", rq.User.Role, perm)
		}
		if err == nil {
			err = fn(w, r, rq)
		}
		if err != nil {
			httpapi.Error(w, r, s.log, err)
		}
	})
}

// authenticate finds the caller's session and this node's own record.
func (s *server) authenticate(r *http.Request, lang i18n.Lang) (*request, error) {
	now := s.now()
	c, err := r.Cookie(s.sessionCookie())
	if err != nil || c.Value == "" {
		return nil, shuan.Errorf(shuan.EUNAUTHORIZED, "not logged in")
	}
	_, u, err := s.cfg.Store.FindSession(r.Context(), auth.HashToken(c.Value), now)
	if err != nil {
		if shuan.ErrorCode(err) == shuan.ENOTFOUND {
			return nil, shuan.Errorf(shuan.EUNAUTHORIZED, "session not found")
		}
		return nil, fmt.Errorf("find session: %w", err)
	}
	if u.Disabled {
		return nil, shuan.Errorf(shuan.EUNAUTHORIZED, "user %s is disabled", u.Name)
	}
	self, err := s.cfg.Store.FindNode(r.Context(), s.cfg.SelfID)
	if err != nil {
		return nil, fmt.Errorf("find own node %s: %w", s.cfg.SelfID, err)
	}
	return &request{User: u, Self: self, Lang: lang, Now: now}, nil
}

// language picks the page language: a ?lang= parameter (remembered in a
// cookie, then redirected away), else the cookie, else Chinese.
func (s *server) language(w http.ResponseWriter, r *http.Request) (i18n.Lang, bool) {
	q := r.URL.Query()
	if v := q.Get("lang"); v != "" && r.Method == http.MethodGet {
		lang := i18n.Parse(v)
		http.SetCookie(w, &http.Cookie{
			Name: langCookie, Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
		})
		q.Del("lang")
		u := *r.URL
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return lang, true
	}
	return s.langOf(r), false
}

func (s *server) langOf(r *http.Request) i18n.Lang {
	if c, err := r.Cookie(langCookie); err == nil {
		return i18n.Parse(c.Value)
	}
	return i18n.Default
}

// view is the data every page template receives.
type view struct {
	L       i18n.Lang
	Title   string
	Nav     string
	User    shuan.User
	Self    shuan.Node
	Now     time.Time
	Version string
	Switch  string // URL that switches to the other language
	Flash   string
	Data    any
}

// Can reports whether the viewing user holds permission p.
func (v *view) Can(p string) bool { return v.User.Role.Can(p) }

// OtherLang is the language the switch link offers.
func (v *view) OtherLang() i18n.Lang {
	if v.L == i18n.EN {
		return i18n.ZH
	}
	return i18n.EN
}

func (s *server) newView(r *http.Request, rq *request, lang i18n.Lang, nav, title string, data any) *view {
	v := &view{L: lang, Nav: nav, Title: title, Now: s.now(), Version: s.cfg.Version, Data: data}
	if rq != nil {
		v.User, v.Self, v.Now = rq.User, rq.Self, rq.Now
	}
	q := r.URL.Query()
	q.Set("lang", string(v.OtherLang()))
	if r.Method != http.MethodGet {
		q = url.Values{"lang": {string(v.OtherLang())}}
	}
	v.Switch = r.URL.Path + "?" + q.Encode()
	return v
}

// render executes a page template into a buffer first, so a template error
// never sends half a page.
func (s *server) render(w http.ResponseWriter, status int, name string, v *view) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("render: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := io.Copy(w, &buf)
	if err != nil {
		s.log.Debug("write page", "page", name, "err", err)
	}
	return nil
}

// errorPage shows err with the status its code maps to; internal errors are
// logged here, once, and shown without detail.
func (s *server) errorPage(w http.ResponseWriter, r *http.Request, rq *request, lang i18n.Lang, err error) {
	code := shuan.ErrorCode(err)
	status := httpapi.Status(code)
	msg := ""
	switch code {
	case shuan.EINTERNAL:
		s.log.Error("console request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case shuan.EFORBIDDEN:
		msg = lang.T("error.forbidden")
	case shuan.ENOTFOUND:
		msg = lang.T("error.not_found")
	default:
		msg = shuan.ErrorMessage(err)
	}
	v := s.newView(r, rq, lang, "", lang.T("error.title", status), errorData{Status: status, Code: code, Message: msg})
	if rerr := s.render(w, status, "error", v); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}

// errorData is the error page's content.
type errorData struct {
	Status  int
	Code    string
	Message string
}

func (s *server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	// Logged, not audited: the request changed nothing, and anyone can send
	// such requests without limit, which must not grow the audit log.
	s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
		"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "remote", r.RemoteAddr)
	if strings.HasPrefix(r.URL.Path, "/api/") {
		httpapi.Error(w, r, s.log, shuan.Errorf(shuan.EFORBIDDEN, "cross-origin request refused"))
		return
	}
	lang := s.langOf(r)
	status := http.StatusForbidden
	v := s.newView(r, nil, lang, "", lang.T("error.title", status),
		errorData{Status: status, Code: shuan.EFORBIDDEN, Message: lang.T("error.cross_origin")})
	if err := s.render(w, status, "error", v); err != nil {
		s.log.Error("render error page", "err", err)
		http.Error(w, http.StatusText(status), status)
	}
}

// audit appends one record; a failure is logged and returned so callers may
// decide, but the action it records has already happened.
func (s *server) audit(ctx context.Context, actor, action, object, detail string) error {
	_, err := s.cfg.Store.AppendAudit(ctx, s.now(), actor, action, object, detail)
	if err != nil {
		s.log.Error("append audit record", "actor", actor, "action", action, "object", object, "err", err)
		return fmt.Errorf("append audit %s: %w", action, err)
	}
	return nil
}

// actor names a user in audit records.
func actor(u shuan.User) string { return "user:" + u.Name }
