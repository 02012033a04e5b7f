package desk_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
)

const wantCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// client is a browser-like HTTP client of one desk: it keeps cookies and
// does not follow redirects, so each response can be checked.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{
		Jar: jar, Timeout: wait,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *client) do(method, path string, form url.Values, header ...string) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%s", page)
	}
	return m[1]
}

func setCookie(t *testing.T, resp *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("response sets no %s cookie: %v", name, resp.Header.Values("Set-Cookie"))
	return nil
}

// signIn goes through the sign-in form and returns the session cookie.
func (c *client) signIn(token string) *http.Cookie {
	c.t.Helper()
	_, page := c.do("GET", "/signin", nil)
	resp, body := c.do("POST", "/signin", url.Values{"csrf": {csrfOf(c.t, page)}, "token": {token}, "next": {"/queue"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/queue" {
		c.t.Fatalf("sign-in: %s %s\n%s", resp.Status, resp.Header.Get("Location"), body)
	}
	return setCookie(c.t, resp, "newsroom_desk")
}

// TestSessionAndCSRF checks the session cookie, the CSRF protection of
// every form and the security headers, over plain HTTP (no browser).
func TestSessionAndCSRF(t *testing.T) {
	h := newHarness(t)
	for _, secure := range []bool{true, false} {
		base := h.startDesk(secure)
		c := newClient(t, base)

		// Not signed in: every page sends you to the sign-in form.
		resp, _ := c.do("GET", "/queue?desk=world", nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin?next=%2Fqueue%3Fdesk%3Dworld" {
			t.Fatalf("queue without a session: %s %q", resp.Status, resp.Header.Get("Location"))
		}
		resp, page := c.do("GET", "/signin", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("sign-in page: %s", resp.Status)
		}
		for k, want := range map[string]string{
			"Content-Security-Policy": wantCSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
			"Cache-Control": "no-store", "Referrer-Policy": "same-origin",
		} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		pre := setCookie(t, resp, "newsroom_desk_signin")
		if !pre.HttpOnly || pre.SameSite != http.SameSiteStrictMode || pre.Secure != secure {
			t.Errorf("sign-in cookie %+v", pre)
		}

		// The sign-in form itself needs its token and cookie.
		reviewer := h.token("rita", auth.Reviewer)
		if resp, _ := c.do("POST", "/signin", url.Values{"token": {reviewer}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("sign-in without the form's token: %s", resp.Status)
		}
		other := newClient(t, base)
		if resp, _ := other.do("POST", "/signin", url.Values{"token": {reviewer}, "csrf": {csrfOf(t, page)}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("sign-in with another browser's form token: %s", resp.Status)
		}
		_, page = c.do("GET", "/signin", nil)
		resp, body := c.do("POST", "/signin", url.Values{"token": {"not-a-token"}, "csrf": {csrfOf(t, page)}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "That token is not valid here.") {
			t.Errorf("bad token: %s", resp.Status)
		}

		sess := c.signIn(reviewer)
		if !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Secure != secure || sess.Path != "/" ||
			sess.Value != reviewer || sess.MaxAge <= 0 || time.Until(sess.Expires) > time.Hour+time.Minute {
			t.Errorf("session cookie %+v (secure %v)", sess, secure)
		}
		resp, page = c.do("GET", "/queue", nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="who-subject">rita<`) || !strings.Contains(page, "(reviewer)") {
			t.Fatalf("queue: %s\n%s", resp.Status, page)
		}
		if sts := resp.Header.Get("Strict-Transport-Security"); (sts != "") != secure {
			t.Errorf("Strict-Transport-Security %q with secure %v", sts, secure)
		}
	}

	// Every form is refused without the session's token.
	base := h.startDesk(false)
	writer := h.token("wendy", auth.Writer)
	a := h.submit(writer, flaggedArticle())
	r := h.waitReview(a.GetId(), writer)
	flag := r.GetFlags()[0]
	c := newClient(t, base)
	c.signIn(h.token("rita", auth.Reviewer))
	_, page := c.do("GET", "/articles/"+a.GetId(), nil)
	token := csrfOf(t, page)
	// The page carries no inline script, style or handler (the policy
	// would block them anyway).
	for _, tag := range regexp.MustCompile(`<script[^>]*>[^<]*`).FindAllString(page, -1) {
		if !strings.Contains(tag, ` src="/static/`) || !strings.HasSuffix(tag, ">") {
			t.Errorf("inline script in the review page: %q", tag)
		}
	}
	for _, bad := range []*regexp.Regexp{regexp.MustCompile(`\son[a-z]+=`), regexp.MustCompile(`\sstyle=`), regexp.MustCompile(`<style`)} {
		if loc := bad.FindStringIndex(page); loc != nil {
			t.Errorf("inline style or handler in the review page: %q", page[max(loc[0]-40, 0):min(loc[1]+40, len(page))])
		}
	}
	approve := func(csrf string, header ...string) int {
		form := url.Values{"flag": {flag.GetId()}, "action": {"approve"}, "revision": {"1"}}
		if csrf != "" {
			form.Set("csrf", csrf)
		}
		resp, _ := c.do("POST", "/articles/"+a.GetId()+"/flags", form, header...)
		return resp.StatusCode
	}
	for name, code := range map[string]int{
		"no token":          approve(""),
		"another's token":   approve(csrfOf(t, func() string { _, p := c.do("GET", "/signin?switch=1", nil); return p }())),
		"a forged token":    approve(strings.Repeat("A", len(token))),
		"a cross-site post": approve(token, "Sec-Fetch-Site", "cross-site"),
		"another origin":    approve(token, "Origin", "https://evil.example"),
		"a note form": func() int {
			resp, _ := c.do("POST", "/articles/"+a.GetId()+"/note", url.Values{"action": {"accept"}})
			return resp.StatusCode
		}(),
		"a changes form": func() int {
			resp, _ := c.do("POST", "/articles/"+a.GetId()+"/changes", url.Values{"note": {"x"}})
			return resp.StatusCode
		}(),
		"a publish form": func() int {
			resp, _ := c.do("POST", "/articles/"+a.GetId()+"/publish", url.Values{})
			return resp.StatusCode
		}(),
		"the sign-out form": func() int { resp, _ := c.do("POST", "/signout", url.Values{}); return resp.StatusCode }(),
		"a token in a query": func() int {
			resp, _ := c.do("POST", "/articles/"+a.GetId()+"/flags?csrf="+token, url.Values{})
			return resp.StatusCode
		}(),
	} {
		if code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, code)
		}
	}
	if f := h.getReview(a.GetId(), writer).GetFlags()[0]; f.GetStatus() != reviewv1.FlagStatus_FLAG_STATUS_OPEN {
		t.Fatalf("a refused form changed the flag: %v", f)
	}

	// With it, the decision goes through under the person's own name.
	resp, body := c.do("POST", "/articles/"+a.GetId()+"/flags", url.Values{"csrf": {token}, "flag": {flag.GetId()}, "action": {"dismiss"}, "revision": {"1"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Give a reason to dismiss a flag.") {
		t.Errorf("dismiss without a reason: %s", resp.Status)
	}
	if code := approve(token); code != http.StatusSeeOther {
		t.Fatalf("approve with the token: %d", code)
	}
	if f := h.getReview(a.GetId(), writer).GetFlags()[0]; f.GetStatus() != reviewv1.FlagStatus_FLAG_STATUS_APPROVED || f.GetDecidedBy() != "rita" {
		t.Fatalf("flag after approval: %v", f)
	}
	// Deciding it again is refused by review, and the page says why.
	resp, body = c.do("POST", "/articles/"+a.GetId()+"/flags", url.Values{"csrf": {token}, "flag": {flag.GetId()}, "action": {"approve"}, "revision": {"1"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already decided") || !strings.Contains(body, `role="alert"`) {
		t.Errorf("second approval: %s", resp.Status)
	}

	// The event stream greets a page with the article's fingerprint.
	req, _ := http.NewRequest("GET", base+"/events?article="+a.GetId(), nil)
	for _, ck := range c.http.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	es, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(es.Body)
	var lines []string
	for len(lines) < 3 && sc.Scan() {
		if l := sc.Text(); l != "" {
			lines = append(lines, l)
		}
	}
	es.Body.Close()
	if es.Header.Get("Content-Type") != "text/event-stream" || len(lines) < 3 || lines[1] != "event: hello" ||
		!strings.HasPrefix(lines[2], `data: {"fingerprint":"`) || !strings.Contains(page, `data-fingerprint="`) {
		t.Errorf("event stream: %s %v", es.Header.Get("Content-Type"), lines)
	}

	// Signing out clears the session.
	_, page = c.do("GET", "/queue", nil)
	resp, _ = c.do("POST", "/signout", url.Values{"csrf": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusSeeOther || setCookie(t, resp, "newsroom_desk").MaxAge >= 0 {
		t.Errorf("sign-out: %s %v", resp.Status, resp.Header.Values("Set-Cookie"))
	}
	if resp, _ := c.do("GET", "/queue", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("queue after sign-out: %s", resp.Status)
	}
}
