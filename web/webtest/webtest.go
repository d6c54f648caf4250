// Package webtest drives the console in a real headless Chromium for tests:
// start a browser, log in, read pages, compose and acknowledge notices.
//
//	ctx := webtest.StartBrowser(t)
//	if err := webtest.Login(ctx, ministryURL, "admin", pw); err != nil { t.Fatal(err) }
//	if err := webtest.WaitText(ctx, "#node-tree", "江苏省"); err != nil { t.Fatal(err) }
//	if err := webtest.ComposeNotice(ctx, ministryURL, webtest.Notice{Title: "自查通知"}); err != nil { t.Fatal(err) }
//	if err := webtest.Login(ctx, steelURL, "admin", pw); err != nil { t.Fatal(err) }
//	if err := webtest.MarkNotice(ctx, steelURL, "自查通知", "acked"); err != nil { t.Fatal(err) }
//	err := webtest.WaitPageText(ctx, ministryURL+"/notices", "#notices-table", "自查通知", time.Minute)
//
// Page elements tests can wait on: #tier, #node-name, #node-tree,
// #count-provinces, #count-enterprises, #count-online, #count-offline,
// #notices-table (rows tr.notice-row), #status-table (rows tr[data-node]),
// #n-delivered, #n-read, #n-acked, #my-status, #flash, #compose-errors,
// #chain-status, #audit-table.
//
// Browsers scope cookies by host, not port, and consoles name their session
// cookies per node, so one browser can hold sessions on several consoles at
// once; use NewSession for a second user on the same console.
package webtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath returns the browser to run: $SHUAN_CHROMIUM, else
// /usr/bin/chromium, else chromium or chromium-browser on $PATH; "" if none.
func ChromiumPath() string {
	if p := os.Getenv("SHUAN_CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if full, err := exec.LookPath(p); err == nil {
			return full
		}
	}
	return ""
}

// defaultTimeout bounds one helper call (a navigation, a login, a wait).
const defaultTimeout = 30 * time.Second

// StartBrowser starts headless Chromium for the test and returns a context
// of its first tab. It skips the test when no Chromium is installed, or
// fails it when SHUAN_REQUIRE_SERVICES=1. The browser and its temporary
// profile go away when the test ends.
func StartBrowser(tb testing.TB) context.Context {
	tb.Helper()
	path := ChromiumPath()
	if path == "" {
		if os.Getenv("SHUAN_REQUIRE_SERVICES") == "1" {
			tb.Fatal("no Chromium found (set SHUAN_CHROMIUM) and SHUAN_REQUIRE_SERVICES=1")
		}
		tb.Skip("no Chromium found; set SHUAN_CHROMIUM or install the chromium package")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.WindowSize(1440, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(tb.Logf))
	tb.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Start the browser now, so a broken installation fails here, clearly.
	// This first call must get ctx itself: the browser lives as long as the
	// context of its first action, so a timeout here would kill it.
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// NewSession opens a tab in a fresh browser context (its own cookies) of
// the browser behind ctx, for a second user; it closes when the test ends.
func NewSession(tb testing.TB, ctx context.Context) context.Context {
	tb.Helper()
	tab, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	tb.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		tb.Fatalf("open browser session: %v", err)
	}
	return tab
}

// Problems collects the page errors a test should fail on: uncaught
// JavaScript exceptions and console/log errors, which include
// Content-Security-Policy violations and failed loads.
type Problems struct {
	mu   sync.Mutex
	list []string
}

// Watch starts collecting problems on the tab of ctx.
func Watch(ctx context.Context) (*Problems, error) {
	p := &Problems{}
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				msg = "console.error: " + strings.Join(parts, " ")
			}
		case *log.EventEntryAdded:
			// A page answering 403 or 422 (a refused action, a form with
			// errors) is by design; a failed asset or API load is not.
			page4xx := ev.Entry.Source == log.EntrySourceNetwork && strings.Contains(ev.Entry.Text, "status of 4") &&
				!strings.Contains(ev.Entry.URL, "/static/") && !strings.Contains(ev.Entry.URL, "/api/")
			if ev.Entry.Level == log.EntryLevelError && !page4xx {
				msg = fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		}
		if msg != "" {
			p.mu.Lock()
			p.list = append(p.list, msg)
			p.mu.Unlock()
		}
	})
	if err != nil {
		return nil, fmt.Errorf("watch page problems: %w", err)
	}
	return p, nil
}

// List returns the problems seen so far.
func (p *Problems) List() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.list...)
}

func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, defaultTimeout)
}

// Navigate opens url and waits for the page to load.
func Navigate(ctx context.Context, url string) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		return fmt.Errorf("navigate to %s: %w", url, err)
	}
	return nil
}

// Login logs user in on the console at baseURL and waits for the overview.
// A session the tab already has on that console is logged out first.
func Login(ctx context.Context, baseURL, user, password string) error {
	if err := Navigate(ctx, baseURL+"/login"); err != nil {
		return err
	}
	tctx, cancel := withTimeout(ctx)
	defer cancel()
	// /login sends a logged-in browser on to the overview.
	onForm, err := chromedp.Run(tctx, chromedp.Evaluate[bool](`!!document.getElementById("login-form")`))
	if err != nil {
		return fmt.Errorf("log in %s at %s: %w", user, baseURL, err)
	}
	if !onForm {
		if _, err := chromedp.RunResponse(tctx, chromedp.Click(chromedp.ID("logout"))); err != nil {
			return fmt.Errorf("log in %s at %s: log out first: %w", user, baseURL, err)
		}
	}
	err = chromedp.Do(tctx,
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SetValue(chromedp.ID("name"), user),
		chromedp.SetValue(chromedp.ID("password"), password),
	)
	if err != nil {
		return fmt.Errorf("log in %s at %s: %w", user, baseURL, err)
	}
	// RunResponse returns once the page the form leads to has loaded:
	// the console's shell when logged in, the form with an error otherwise.
	if _, err := chromedp.RunResponse(tctx, chromedp.Click(chromedp.ID("login-submit"))); err != nil {
		return fmt.Errorf("log in %s at %s: submit: %w", user, baseURL, err)
	}
	if err := chromedp.Do(tctx, chromedp.WaitReady(chromedp.CSS("#node-name, #login-error"))); err != nil {
		return fmt.Errorf("log in %s at %s: wait for result: %w", user, baseURL, err)
	}
	if msg, err := chromedp.Run(tctx, chromedp.Evaluate[string](`(document.getElementById("login-error")||{}).textContent||""`)); err == nil && msg != "" {
		return fmt.Errorf("log in %s at %s: refused: %s", user, baseURL, strings.TrimSpace(msg))
	}
	return nil
}

// Text returns the text of the first element matching the CSS selector.
func Text(ctx context.Context, css string) (string, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		return "", fmt.Errorf("text of %s: %w", css, err)
	}
	return s, nil
}

// WaitText waits until the first element matching css contains substr,
// reloading nothing: use it for text the current page already has or
// renders by script.
func WaitText(ctx context.Context, css, substr string) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](
		`(css, want) => { const e = document.querySelector(css); return !!e && e.textContent.includes(want); }`,
		chromedp.WithPollingArgs(css, substr), chromedp.WithPollingInterval(100*time.Millisecond)))
	if err != nil {
		got, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](
			fmt.Sprintf(`(document.querySelector(%q)||{}).textContent||"(no element)"`, css)))
		return fmt.Errorf("wait for %q in %s: %w (text: %.300s)", substr, css, err, got)
	}
	return nil
}

// WaitPageText reloads url every interval until the element matching css
// contains substr, for state that changes on the server (a notice
// acknowledged at another node).
func WaitPageText(ctx context.Context, url, css, substr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	var last error
	for {
		if err := Navigate(ctx, url); err != nil {
			return err
		}
		s, err := Text(ctx, css)
		if err == nil && strings.Contains(s, substr) {
			return nil
		}
		last = err
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %q never appeared in %s (last text %.300q, err %v)", url, substr, css, s, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Notice is what ComposeNotice types into the form.
type Notice struct {
	Title    string
	Body     string
	Severity string   // info, warning or urgent; default info
	Nodes    []string // named node ids; empty means all nodes below
}

// ComposeNotice sends a notice from the console at baseURL (logged in as a
// user who may send) and waits for the confirmation.
func ComposeNotice(ctx context.Context, baseURL string, n Notice) error {
	if err := Navigate(ctx, baseURL+"/notices"); err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	sev := n.Severity
	if sev == "" {
		sev = "info"
	}
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(chromedp.ID("compose-form")),
		chromedp.SetValue(chromedp.ID("title"), n.Title),
		chromedp.SetValue(chromedp.ID("body"), n.Body),
		chromedp.SetValue(chromedp.ID("severity"), sev),
	}
	if len(n.Nodes) == 0 {
		steps = append(steps, chromedp.Click(chromedp.ID("t-all")))
	} else {
		steps = append(steps, chromedp.Click(chromedp.ID("t-nodes")),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
				`(() => { const want = %s; for (const o of document.getElementById("node").options) o.selected = want.includes(o.value); })()`,
				jsStrings(n.Nodes))))
	}
	if err := chromedp.Do(ctx, steps...); err != nil {
		return fmt.Errorf("compose notice %q: %w", n.Title, err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("compose-submit"))); err != nil {
		return fmt.Errorf("compose notice %q: submit: %w", n.Title, err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS("#flash, #compose-errors, #error"))); err != nil {
		return fmt.Errorf("compose notice %q: wait for result: %w", n.Title, err)
	}
	flash, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#flash")||{}).textContent||""`))
	if !strings.Contains(flash, n.Title) {
		errs, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#compose-errors, #error")||{}).textContent||""`))
		return fmt.Errorf("compose notice %q: not confirmed: %s", n.Title, strings.TrimSpace(errs))
	}
	return nil
}

// MarkNotice opens the notice titled title on an enterprise console and
// presses "read" or "acknowledge" (status "read" or "acked").
func MarkNotice(ctx context.Context, baseURL, title, status string) error {
	if err := Navigate(ctx, baseURL+"/notices"); err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	btn := ".mark-ack"
	if status == "read" {
		btn = ".mark-read"
	}
	// Find the row's button and give it an id to click it by.
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		for (const row of document.querySelectorAll("#notices-table tr.notice-row")) {
			if (row.querySelector("td a").textContent.trim() === %q) {
				const b = row.querySelector(%q);
				if (b) { b.id = "webtest-mark"; return true; }
			}
		}
		return false; })()`, title, btn)))
	if err != nil {
		return fmt.Errorf("mark notice %q %s: %w", title, status, err)
	}
	if !ok {
		return fmt.Errorf("mark notice %q %s: no such notice with a %s button", title, status, btn)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("webtest-mark")))
	if err != nil {
		return fmt.Errorf("mark notice %q %s: %w", title, status, err)
	}
	if resp.Status != 200 {
		return fmt.Errorf("mark notice %q %s: page answered %d", title, status, resp.Status)
	}
	return nil
}

// Screenshot saves a full-page PNG of the current tab to path.
func Screenshot(ctx context.Context, path string) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		return fmt.Errorf("save screenshot: %w", err)
	}
	return nil
}

func jsStrings(ss []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q", s)
	}
	b.WriteByte(']')
	return b.String()
}
