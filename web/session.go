package web

import (
	"net/http"
	"strings"

	"github.com/shuan-dev/shuan"
	"github.com/shuan-dev/shuan/auth"
)

// sessionCookie is the cookie's name. It carries a digest of the node id
// because browsers scope cookies by host, not port: consoles of several
// nodes on one host (the demo, a lab) must not overwrite each other's
// sessions. With Secure cookies it takes the __Host- prefix so no subdomain
// or plain-HTTP page can set it.
func sessionCookieName(selfID string, secure bool) string {
	name := "shuan_session_" + auth.HashToken(selfID)[:8]
	if secure {
		return "__Host-" + name
	}
	return name
}

func (s *server) sessionCookie() string { return s.cookie }

func (s *server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookie(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode,
	})
}

// loginData is the login page's content.
type loginData struct {
	Name  string
	Next  string
	Error string
}

func (s *server) loginPage(w http.ResponseWriter, r *http.Request) {
	lang, redirected := s.language(w, r)
	if redirected {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := s.authenticate(r, lang); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	v := s.newView(r, nil, lang, "login", lang.T("login.title"), loginData{Next: next})
	if err := s.render(w, http.StatusOK, "login", v); err != nil {
		s.errorPage(w, r, nil, lang, err)
	}
}

// maxUserName bounds what a failed login writes into the audit log.
const maxUserName = 64

func (s *server) loginPost(w http.ResponseWriter, r *http.Request) {
	lang := s.langOf(r)
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, nil, lang, shuan.Errorf(shuan.EINVALID, "bad login form"))
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	pw := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	if len(name) > maxUserName {
		name = name[:maxUserName]
	}
	ctx := r.Context()
	client := clientKey(r.RemoteAddr)
	if !s.logins.allowed(client, s.now()) {
		s.log.Warn("login throttled", "remote", client, "user", name)
		v := s.newView(r, nil, lang, "login", lang.T("login.title"), loginData{Name: name, Next: next, Error: lang.T("login.throttled")})
		if err := s.render(w, http.StatusTooManyRequests, "login", v); err != nil {
			s.errorPage(w, r, nil, lang, err)
		}
		return
	}

	u, hash, err := s.cfg.Store.FindUserByName(ctx, name)
	reason := ""
	switch shuan.ErrorCode(err) {
	case "":
	case shuan.ENOTFOUND:
		hash, reason = s.dummyHash(), "unknown user"
	default:
		s.errorPage(w, r, nil, lang, err)
		return
	}
	ok, verr := auth.VerifyPassword(hash, pw)
	switch {
	case reason != "":
		ok = false
	case verr != nil:
		s.log.Error("stored password hash unreadable", "user", name, "err", verr)
		ok, reason = false, "unreadable password hash"
	case !ok:
		reason = "wrong password"
	case u.Disabled:
		ok, reason = false, "user disabled"
	}
	if !ok {
		s.logins.fail(client, s.now())
		_ = s.audit(ctx, "user:"+name, "user.login_failed", "user:"+name, reason+"; remote "+r.RemoteAddr)
		v := s.newView(r, nil, lang, "login", lang.T("login.title"), loginData{Name: name, Next: next, Error: lang.T("login.failed")})
		// 200, not 401: a 401 would need a WWW-Authenticate challenge, and
		// this is a form, not HTTP authentication.
		if err := s.render(w, http.StatusOK, "login", v); err != nil {
			s.errorPage(w, r, nil, lang, err)
		}
		return
	}

	s.logins.succeed(client)
	// A session the browser still holds ends here, so one login never
	// leaves two live sessions behind one cookie name.
	if c, err := r.Cookie(s.sessionCookie()); err == nil && c.Value != "" {
		if err := s.cfg.Store.DeleteSession(ctx, auth.HashToken(c.Value)); err != nil {
			s.log.Error("delete previous session", "err", err)
		}
	}
	now := s.now()
	token, th := auth.NewSessionToken()
	se := shuan.Session{TokenHash: th, UserID: u.ID, Created: now, Expires: now.Add(SessionTTL)}
	if err := s.cfg.Store.CreateSession(ctx, se); err != nil {
		s.errorPage(w, r, nil, lang, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookie(), Value: token, Path: "/", Expires: se.Expires, MaxAge: int(SessionTTL.Seconds()),
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode,
	})
	_ = s.audit(ctx, actor(u), "user.login", "user:"+u.Name, "remote "+r.RemoteAddr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.sessionCookie()); err == nil && c.Value != "" {
		th := auth.HashToken(c.Value)
		// Who is logging out is only needed for the audit record.
		if _, u, err := s.cfg.Store.FindSession(r.Context(), th, s.now()); err == nil {
			_ = s.audit(r.Context(), actor(u), "user.logout", "user:"+u.Name, "")
		}
		if err := s.cfg.Store.DeleteSession(r.Context(), th); err != nil && shuan.ErrorCode(err) != shuan.ENOTFOUND {
			s.log.Error("delete session", "err", err)
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps a post-login redirect on this site: a local absolute path,
// never a scheme-relative or backslash URL.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}
