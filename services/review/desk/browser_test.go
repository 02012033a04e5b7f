package desk_test

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// a11yCheck is the accessibility check run on every page.
//
//go:embed testdata/a11y.js
var a11yCheck string

// recorder runs before any script of every page a tab loads and records
// what the Content-Security-Policy blocked and any uncaught script error.
const recorder = `window.__problems = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__problems.push("CSP blocked " + e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber);
});
window.addEventListener("error", function (e) { window.__problems.push("script error: " + e.message); });`

// chromium finds the browser, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NEWSROOM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("skipping the browser tests: no chromium binary on PATH (apt-get install -y chromium, or set NEWSROOM_CHROMIUM)")
	return ""
}

// newBrowser starts a headless Chromium for the test.
func newBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 1000))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		bcancel()
		acancel()
		t.Fatalf("start %s: %v", exe, err)
	}
	t.Cleanup(func() { bcancel(); acancel() })
	return bctx
}

// tab is one browser tab with its own cookies: one person.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
	base string
}

func openTab(t *testing.T, browser context.Context, base, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recorder}); err != nil {
		t.Fatal(err)
	}
	return &tab{t: t, name: name, ctx: ctx, base: base}
}

// fatalf saves what the tab shows, for the artifacts, and fails.
func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	dir := artifacts(b.t)
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "failure-"+b.name+".png"), png, 0o644)
	}
	if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "failure-"+b.name+".html"), []byte(html), 0o644)
	}
	b.t.Fatalf("%s: "+format+" (page saved in %s)", append([]any{b.name}, append(args, dir)...)...)
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fatalf("%v", err)
	}
}

func (b *tab) open(path string) { b.t.Helper(); b.do(chromedp.Navigate(b.base + path)) }
func (b *tab) click(css string) { b.t.Helper(); b.do(chromedp.Click(chromedp.CSS(css))) }
func (b *tab) keys(keys string) { b.t.Helper(); b.do(chromedp.KeyEvent(keys)) }

// eval evaluates js in the page into T.
func eval[T any](b *tab, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// until polls js until it is true. A page that is loading (the context
// of the last one destroyed) counts as not yet.
func (b *tab) until(what, js string) {
	b.t.Helper()
	b.eventually(what, func(ctx context.Context) bool {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+js+`)`))
		return err == nil && ok
	})
}

func (b *tab) eventually(what string, cond func(ctx context.Context) bool) {
	b.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok := cond(ctx)
		cancel()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.fatalf("timed out after %v waiting for %s", wait, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// check runs the accessibility check and fails on any problem, or on
// anything the recorder caught.
func (b *tab) check(page string) {
	b.t.Helper()
	res := eval[struct {
		Problems        []string
		Controls, Texts int
	}](b, a11yCheck)
	if res.Texts == 0 {
		b.fatalf("accessibility check of the %s page saw no text", page)
	}
	for _, p := range res.Problems {
		b.t.Errorf("%s page: %s", page, p)
	}
	b.clean(page)
	if len(res.Problems) > 0 {
		b.fatalf("the %s page fails the accessibility check", page)
	}
}

// clean fails on CSP violations and script errors.
func (b *tab) clean(page string) {
	b.t.Helper()
	if probs := eval[[]string](b, `window.__problems || []`); len(probs) > 0 {
		b.fatalf("%s page: %s", page, strings.Join(probs, "; "))
	}
}

// screenshot saves the page as name in the artifacts and, for the
// pictures the docs show, also in the folder NEWSROOM_SCREENSHOTS names
// (docs/img) when it is set.
func (b *tab) screenshot(name string, docs bool) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, wait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fatalf("screenshot: %v", err)
	}
	dirs := []string{artifacts(b.t)}
	if d := os.Getenv("NEWSROOM_SCREENSHOTS"); d != "" && docs {
		if !filepath.IsAbs(d) {
			d = filepath.Join(repoRoot(b.t), d)
		}
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot %s", filepath.Join(d, name))
	}
}

func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// artifacts is where the browser tests leave screenshots (and, on
// failure, the page): NEWSROOM_DESK_ARTIFACTS, else artifacts/desk at the
// top of the repository (ignored by git).
func artifacts(t *testing.T) string {
	dir := os.Getenv("NEWSROOM_DESK_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "artifacts", "desk")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// signIn signs in through the form with token and lands on the queue.
func (b *tab) signIn(token, subject string) {
	b.t.Helper()
	b.open("/signin?switch=1")
	b.until("the sign-in form", `document.getElementById("token")`)
	b.do(chromedp.SetValue(chromedp.ID("token"), token))
	b.click(`form[action="/signin"] button[type=submit]`)
	b.until("the queue after signing in as "+subject,
		fmt.Sprintf(`location.pathname === "/queue" && document.getElementById("who-subject").textContent === %q`, subject))
}

func (b *tab) signOut() {
	b.t.Helper()
	b.click(`form.signout button`)
	b.until("the sign-in page", `location.pathname === "/signin" && !document.getElementById("who-subject")`)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// card is the script expression of a flag's card on the review page.
func card(flagID string) string {
	return `document.querySelector('.flag-card[data-flag=` + jsString(flagID) + `]')`
}

// focusedFlag is the flag of the focused mark ("" if none).
const focusedFlag = `(document.activeElement && document.activeElement.matches("mark.flag") ? document.activeElement.dataset.flag : "")`

func (b *tab) pressUntilFocused(key string, want func(flag string) bool) string {
	b.t.Helper()
	for range 20 {
		if f := eval[string](b, focusedFlag); f != "" && want(f) {
			return f
		}
		b.keys(key)
	}
	b.fatalf("pressing %q never reached a wanted flag", key)
	return ""
}
