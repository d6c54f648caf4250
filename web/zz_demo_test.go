package web_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/shuan-dev/shuan/web/webtest"
)

func TestZZDemoShots(t *testing.T) {
	urls := strings.Fields(os.Getenv("DEMO_URLS"))
	if len(urls) == 0 {
		t.Skip()
	}
	ctx := webtest.StartBrowser(t)
	probs, _ := webtest.Watch(ctx)
	for i, u := range urls {
		u = strings.TrimSuffix(u, "/")
		if err := webtest.Login(ctx, u, "admin", "shuan-demo-2026"); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/", "/notices", "/nodes", "/audit"} {
			if err := webtest.Navigate(ctx, u+p); err != nil {
				t.Fatal(err)
			}
			name := strings.ReplaceAll(strings.Trim(p, "/"), "/", "-")
			if name == "" {
				name = "overview"
			}
			if err := webtest.Screenshot(ctx, "/tmp/shots/demo"+string(rune('0'+i))+"-"+name+".png"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/", "/notices"} {
		webtest.Navigate(ctx, strings.TrimSuffix(urls[0], "/")+p)
		webtest.Screenshot(ctx, "/tmp/shots/mobile"+strings.ReplaceAll(p, "/", "-")+".png")
	}
	t.Log(probs.List())
}
