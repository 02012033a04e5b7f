package securitytest

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/service"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/drafting"
	"newsroom.dev/services/linking"
	"newsroom.dev/services/publishing"
	"newsroom.dev/services/review"
)

// The XSS test: every payload of testdata/xss-payloads.txt goes into every
// field of an article (text fields, Markdown body, takeaways, highlights,
// tags, and the sensitivity note through review), through the real flow
// (create, submit, review, publish), and then a real Chromium loads every
// public surface: the article page, the front page, the Atom feed, the
// JSON and ninjs documents and both sitemaps, once as served (with the
// site's CSP) and once with the CSP bypassed, so the escaping is proved on
// its own and not only the CSP. It fails if a script ran (a dialog, a
// marker global, a marker title, a request to /pwned/) or an element or
// attribute was injected, and checks the payload's text is on the page,
// escaped rather than dropped.

// xssFields are the article fields each payload goes into.
var xssFields = []string{
	"headline", "dek", "summary", "body", "takeaways.quote", "takeaways.context",
	"highlights", "kicker", "byline", "tags", "note.title", "note.text",
}

// safeValue stands in for a payload in a field that refused it.
var safeValue = map[string]string{
	"headline": "Refused payload", "dek": "A dek.", "summary": "A summary.", "body": "A body.",
	"takeaways.quote": "A quote.", "takeaways.context": "A context.", "highlights": "A highlight.",
	"kicker": "A kicker.", "byline": "A Writer", "tags": "safe tag", "note.title": "A note", "note.text": "A note text.",
}

// hedge makes review raise a WARNING flag, so the review stays open for
// the reviewer to set the note.
const hedge = "\n\nThe minister reportedly resigned.\n"

type xssPayload struct {
	n    int
	text string
}

func loadPayloads(t *testing.T) []xssPayload {
	t.Helper()
	f, err := os.Open("testdata/xss-payloads.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []xssPayload
	sc := bufio.NewScanner(f)
	for line := 0; sc.Scan(); line++ {
		s := sc.Text()
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if q, ok := strings.CutPrefix(s, "go:"); ok {
			if s, err = strconv.Unquote(q); err != nil {
				t.Fatalf("xss-payloads.txt:%d: %v", line+1, err)
			}
		}
		n := len(out) + 1
		out = append(out, xssPayload{n: n, text: strings.ReplaceAll(s, "XSSID", strconv.Itoa(n))})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// xssArticle is one payload's article and what became of it.
type xssArticle struct {
	p       xssPayload
	id      string
	values  map[string]string // field → the text it was given
	refused map[string]bool   // fields whose validation refused the payload
}

func (a *xssArticle) article() *articlev1.Article {
	v := a.values
	return &articlev1.Article{
		Desk:       "world",
		Headline:   v["headline"],
		Dek:        v["dek"],
		Summary:    v["summary"],
		Body:       v["body"] + hedge + "## Analysis\n\n" + v["body"] + "\n",
		Takeaways:  []*articlev1.Takeaway{{Quote: v["takeaways.quote"], Context: v["takeaways.context"]}},
		Highlights: []string{v["highlights"]},
		Kicker:     v["kicker"],
		Byline:     v["byline"],
		Tags:       []string{v["tags"]},
	}
}

// refusedFields maps the field violations of an InvalidArgument from
// drafting to xssFields.
func refusedFields(err error) []string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		for _, fv := range br.GetFieldViolations() {
			f := strings.TrimPrefix(fv.GetField(), "article.")
			switch {
			case strings.HasPrefix(f, "takeaways[") && strings.HasSuffix(f, ".quote"):
				f = "takeaways.quote"
			case strings.HasPrefix(f, "takeaways[") && strings.HasSuffix(f, ".context"):
				f = "takeaways.context"
			case strings.HasPrefix(f, "highlights["):
				f = "highlights"
			case strings.HasPrefix(f, "tags["):
				f = "tags"
			}
			out = append(out, f)
		}
	}
	return out
}

// xssSystem is the newsroom with the public site on a test HTTP server
// that records any request for a marker path.
type xssSystem struct {
	*system
	site   *httptest.Server
	pwned  atomic.Int64
	pwnedU sync.Map
}

// startXSSSystem runs the four services as serveSystem does, with
// publishing's public URL the test server's, and serves the site.
func startXSSSystem(t *testing.T) *xssSystem {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + lis.Addr().String()
	n := testutil.StartNATS(t, "")
	keys := testutil.Keys(t)
	d := testutil.Deps(n, keys, clock.Real{})
	ctx, cancel := context.WithCancel(context.Background())
	dr, err := drafting.New(ctx, d, drafting.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rv, err := review.New(ctx, d, review.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := publishing.New(ctx, d, publishing.Config{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	lk, err := linking.New(ctx, d, linking.Config{})
	if err != nil {
		t.Fatal(err)
	}
	svcs := []service.Service{dr, rv, pb, lk}
	srv, _, err := service.NewServer(ctx, d)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{}, len(svcs))
	for _, s := range svcs {
		s.Register(srv.GRPC)
		go func() { _ = s.Run(ctx); done <- struct{}{} }()
	}
	glis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(glis) }()
	srv.SetServing()
	t.Cleanup(func() {
		cancel()
		for range svcs {
			<-done
		}
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		srv.Stop(sctx)
	})
	x := &xssSystem{system: &system{nats: n, keys: keys, addr: glis.Addr().String()}}
	x.conn = x.dial(t, nil)
	h := pb.Handler()
	x.site = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(strings.ToLower(r.URL.Path), "/pwned") && r.URL.Path != "/pwned/canary" {
			x.pwned.Add(1)
			x.pwnedU.Store(r.URL.String(), true)
		}
		if r.URL.Path == "/canary" { // a page that is vulnerable, to prove the checks see it
			rw.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = rw.Write([]byte(canaryHTML))
			return
		}
		h.ServeHTTP(rw, r)
	}))
	x.site.Listener.Close()
	x.site.Listener = lis
	x.site.Start()
	t.Cleanup(x.site.Close)
	return x
}

// canaryHTML is what the checks must catch: script that runs each marker,
// and injected elements and attributes.
const canaryHTML = `<!doctype html><title>canary</title><body>
<img src=x onerror="window.__xss=1">
<script>alert(1); fetch('/pwned/canary'); document.title='pwned-canary'</script>
<a href=" javascript:alert(1)">x</a><iframe srcdoc="x"></iframe></body>`

// publishPayload takes one payload's article through the newsroom: it
// returns once the article is live.
func (x *xssSystem) publishPayload(ctx context.Context, a *xssArticle, wendy, rita, pat grpc.CallOption) error {
	dr := draftingv1.NewDraftingServiceClient(x.conn)
	rv := reviewv1.NewReviewServiceClient(x.conn)
	pb := publishingv1.NewPublishingServiceClient(x.conn)

	// Drafting: a field that refuses the payload gets a safe value
	// instead, and the refusal is recorded (it is a pass).
	var created *draftingv1.CreateArticleResponse
	for attempt := 0; ; attempt++ {
		var err error
		created, err = dr.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: a.article()}, wendy)
		if err == nil {
			break
		}
		fields := refusedFields(err)
		if status.Code(err) != codes.InvalidArgument || len(fields) == 0 || attempt > 2 {
			return fmt.Errorf("create: %w", err)
		}
		for _, f := range fields {
			if _, ok := safeValue[f]; !ok {
				return fmt.Errorf("create refused field %s: %w", f, err)
			}
			a.refused[f] = true
			a.values[f] = safeValue[f]
		}
	}
	a.id = created.GetArticle().GetId()
	if _, err := dr.SubmitArticle(ctx, &draftingv1.SubmitArticleRequest{Id: a.id}, wendy); err != nil {
		return fmt.Errorf("submit: %w", err)
	}

	// Review: wait for the flags, set the note, decide every flag.
	var r *reviewv1.Review
	if err := poll(ctx, func() bool {
		resp, err := rv.GetReview(ctx, &reviewv1.GetReviewRequest{ArticleId: a.id}, rita)
		r = resp.GetReview()
		return err == nil && r.GetState() == reviewv1.ReviewState_REVIEW_STATE_OPEN && len(r.GetFlags()) > 0
	}); err != nil {
		return fmt.Errorf("review of %s: %w (last %v)", a.id, err, r)
	}
	note := &articlev1.SensitivityNote{Title: a.values["note.title"], Text: a.values["note.text"]}
	if _, err := rv.SetSensitivityNote(ctx, &reviewv1.SetSensitivityNoteRequest{ArticleId: a.id, Note: note}, rita); err != nil {
		if status.Code(err) != codes.InvalidArgument {
			return fmt.Errorf("set note: %w", err)
		}
		a.refused["note.title"], a.refused["note.text"] = true, true
		a.values["note.title"], a.values["note.text"] = safeValue["note.title"], safeValue["note.text"]
		note = &articlev1.SensitivityNote{Title: a.values["note.title"], Text: a.values["note.text"]}
		if _, err := rv.SetSensitivityNote(ctx, &reviewv1.SetSensitivityNoteRequest{ArticleId: a.id, Note: note}, rita); err != nil {
			return fmt.Errorf("set safe note: %w", err)
		}
	}
	for _, f := range r.GetFlags() {
		if f.GetStatus() != reviewv1.FlagStatus_FLAG_STATUS_OPEN {
			continue
		}
		if _, err := rv.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: a.id, FlagId: f.GetId(), Note: "test"}, rita); err != nil {
			return fmt.Errorf("approve %s: %w", f.GetId(), err)
		}
	}

	// Publishing.
	if err := poll(ctx, func() bool {
		p, err := pb.GetPublication(ctx, &publishingv1.GetPublicationRequest{ArticleId: a.id}, pat)
		return err == nil && p.GetPublication().GetStatus() == articlev1.Status_STATUS_READY
	}); err != nil {
		return fmt.Errorf("%s READY: %w", a.id, err)
	}
	if _, err := pb.PublishArticle(ctx, &publishingv1.PublishArticleRequest{ArticleId: a.id}, pat); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return poll(ctx, func() bool {
		resp, err := http.Get(x.site.URL + "/articles/" + a.id + ".json")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// poll polls cond every 20ms until it holds or ctx ends.
func poll(ctx context.Context, cond func() bool) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// chromium finds the browser: $NEWSROOM_CHROMIUM, else Debian's chromium
// or another Chrome on the PATH.
func chromium() string {
	if p := os.Getenv("NEWSROOM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// trapJS runs in every frame before the page's own script (DevTools runs
// it whatever the CSP): it records any call of the dialog functions (and
// still makes the call, so the dialog event fires too) and every CSP
// violation.
const trapJS = `(() => {
  window.__xssTrap = [];
  window.__csp = [];
  for (const f of ['alert', 'confirm', 'prompt', 'print']) {
    const orig = window[f];
    window[f] = function (...a) { window.__xssTrap.push(f + '(' + a.join(',') + ')'); return orig.apply(this, a); };
  }
  document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
})();`

// inspectJS looks at the loaded document: every element by tag (and
// namespace when not XHTML), what is wrong with any of them, and the text
// of the places the article's fields are shown.
const inspectJS = `(() => {
  const XHTML = 'http://www.w3.org/1999/xhtml';
  const forbidden = new Set(['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'svg', 'math', 'base', 'form',
    'input', 'button', 'textarea', 'select', 'video', 'audio', 'source', 'style', 'noscript', 'template', 'portal',
    'xmp', 'plaintext', 'marquee', 'param', 'details', 'dialog']);
  const urlAttrs = new Set(['href', 'src', 'action', 'formaction', 'data', 'srcdoc', 'background', 'poster', 'codebase', 'ping', 'srcset']);
  const res = {xss: window.__xss === undefined ? null : String(window.__xss), trap: window.__xssTrap || [], csp: window.__csp || [],
    title: document.title, contentType: document.contentType, outside: {}, inBody: {}, bad: [], text: {}};
  const viewerDoc = document.contentType !== 'text/html';
  for (const el of document.getElementsByTagName('*')) {
    const tag = el.localName.toLowerCase();
    const key = (el.namespaceURI === XHTML ? '' : '{' + el.namespaceURI + '}') + tag;
    const where = key + (el.id ? '#' + el.id : '') + ' in ' + (el.parentElement ? el.parentElement.localName + (el.parentElement.id ? '#' + el.parentElement.id : '') : '-');
    const inBody = el.closest && el.closest('#report, #sections, #related') && !['report', 'sections', 'related'].includes(el.id);
    const counts = inBody ? res.inBody : res.outside;
    if (el.id !== 'related') counts[key] = (counts[key] || 0) + 1; // linking adds the box to some pages
    if (tag === 'script' && (el.namespaceURI !== XHTML || el.getAttribute('type') !== 'application/ld+json' || el.parentElement.localName !== 'head')) res.bad.push('script element: ' + where);
    // Chrome shows a document that is not HTML in a viewer of its own.
    const viewer = viewerDoc && tag === 'style' && el.id === 'xml-viewer-style';
    if (forbidden.has(tag) && !viewer) res.bad.push('forbidden element: ' + where);
    if (tag === 'meta' && el.hasAttribute('http-equiv')) res.bad.push('meta http-equiv: ' + where);
    if (tag === 'link' && !['stylesheet', 'canonical', 'alternate'].includes(el.getAttribute('rel'))) res.bad.push('link rel ' + el.getAttribute('rel') + ': ' + where);
    for (const at of el.attributes) {
      const n = at.name.toLowerCase();
      if (n.startsWith('on')) res.bad.push('event handler ' + at.name + '=' + JSON.stringify(at.value) + ': ' + where);
      if (n === 'style' && !(viewerDoc && tag === 'pre')) res.bad.push('style attribute ' + JSON.stringify(at.value) + ': ' + where);
      if (urlAttrs.has(n) || n.endsWith(':href')) {
        const v = at.value.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '').toLowerCase();
        if (/^(javascript|vbscript|data|livescript):/.test(v))
          res.bad.push('script URL ' + at.name + '=' + JSON.stringify(at.value) + ': ' + where);
        if (/^(https?:\/\/[^\/]*)?\/pwned/.test(v)) res.bad.push('marker URL ' + at.name + '=' + JSON.stringify(at.value) + ': ' + where);
      }
    }
  }
  const q = s => Array.from(document.querySelectorAll(s), e => e.textContent);
  res.text = {
    headline: q('#headline'), dek: q('#dek'), summary: q('#summary p'), byline: q('#byline'), kicker: q('#kicker'),
    'takeaways.quote': q('.takeaway-quote'), 'takeaways.context': q('.takeaway-context'), highlights: q('#highlights li'),
    'note.title': q('.sensitivity-note-title'), 'note.text': q('.sensitivity-note-text'),
    tags: Array.from(document.querySelectorAll('meta[property="article:tag"]'), e => e.content),
    atomTitle: Array.from(document.getElementsByTagNameNS('http://www.w3.org/2005/Atom', 'title'), e => e.textContent),
    ld: q('script[type="application/ld+json"]'), front: q('.story-headline'), pre: q('pre'),
    all: [document.documentElement ? document.documentElement.textContent : ''],
  };
  return res;
})()`

type inspection struct {
	XSS         *string             `json:"xss"`
	Trap        []string            `json:"trap"`
	CSP         []string            `json:"csp"`
	Title       string              `json:"title"`
	ContentType string              `json:"contentType"`
	Outside     map[string]int      `json:"outside"`
	InBody      map[string]int      `json:"inBody"`
	Bad         []string            `json:"bad"`
	Text        map[string][]string `json:"text"`
}

// markdownTags are the elements goldmark may make of a body.
var markdownTags = map[string]bool{
	"p": true, "a": true, "em": true, "strong": true, "code": true, "pre": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "ul": true, "ol": true, "li": true, "blockquote": true, "hr": true, "br": true,
	"img": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "del": true,
}

// tab is one browser tab with the dialog, request and CSP records.
type tab struct {
	ctx      context.Context
	mu       sync.Mutex
	dialogs  []string
	requests []string
}

func newTab(t *testing.T, browser context.Context, bypassCSP bool) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	tb := &tab{ctx: ctx}
	dialogs := make(chan string, 100)
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			tb.mu.Lock()
			tb.dialogs = append(tb.dialogs, string(ev.Type)+": "+ev.Message)
			tb.mu.Unlock()
			select {
			case dialogs <- ev.Message:
			default:
			}
		case *network.EventRequestWillBeSent:
			tb.mu.Lock()
			tb.requests = append(tb.requests, ev.Request.URL)
			tb.mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	// A dialog blocks the page until it is handled: close each one.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-dialogs:
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}
		}
	}()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: trapJS}); err != nil {
		t.Fatal(err)
	}
	if bypassCSP {
		if _, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	return tb
}

// load navigates to url, waits for the document to be complete and
// inspects it; it returns the dialogs and requests seen meanwhile.
func (tb *tab) load(url string) (res *inspection, dialogs, requests []string, err error) {
	// A navigation that races the inspection ("Cannot find context") is
	// tried again.
	for range 3 {
		if res, dialogs, requests, err = tb.loadOnce(url); err == nil {
			break
		}
	}
	return res, dialogs, requests, err
}

func (tb *tab) loadOnce(url string) (*inspection, []string, []string, error) {
	tb.mu.Lock()
	tb.dialogs, tb.requests = nil, nil
	tb.mu.Unlock()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.readyState === 'complete'`)(ctx, t)
			return err
		}),
	); err != nil {
		return nil, nil, nil, fmt.Errorf("load %s: %w", url, err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[*inspection](inspectJS))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("inspect %s: %w", url, err)
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return res, slices.Clone(tb.dialogs), slices.Clone(tb.requests), nil
}

// scriptRan reports the signs of a script that ran.
func scriptRan(res *inspection, dialogs, requests []string) []string {
	var out []string
	if res.XSS != nil {
		out = append(out, "window.__xss = "+*res.XSS)
	}
	for _, c := range res.Trap {
		out = append(out, "called "+c)
	}
	for _, d := range dialogs {
		out = append(out, "dialog "+d)
	}
	if strings.HasPrefix(res.Title, "pwned") {
		out = append(out, "document.title = "+res.Title)
	}
	for _, u := range requests {
		if p, err := url.Parse(u); err != nil || strings.HasPrefix(strings.ToLower(p.Path), "/pwned") || p.Scheme == "javascript" {
			out = append(out, "request "+u)
		}
	}
	return out
}

// jsonHas reports whether the JSON text holds the string s as a value.
func jsonHas(text, s string) bool {
	var v any
	if json.Unmarshal([]byte(text), &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.TrimSpace(v) == strings.TrimSpace(s)
		case []any:
			return slices.ContainsFunc(v, walk)
		case map[string]any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

func TestXSSInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium; not in -short")
	}
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium: install Debian's chromium (apt-get install -y chromium) or set NEWSROOM_CHROMIUM to a Chrome binary")
	}
	payloads := loadPayloads(t)
	if len(payloads) < 40 {
		t.Fatalf("%d payloads, want at least 40", len(payloads))
	}
	x := startXSSSystem(t)

	// A control article of plain words: the shape every page must keep.
	control := &xssArticle{p: xssPayload{n: 0, text: "Plain words"}, values: map[string]string{}, refused: map[string]bool{}}
	arts := []*xssArticle{control}
	for _, f := range xssFields {
		control.values[f] = "Plain words"
	}
	for _, p := range payloads {
		a := &xssArticle{p: p, values: map[string]string{}, refused: map[string]bool{}}
		for _, f := range xssFields {
			a.values[f] = p.text
		}
		arts = append(arts, a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(arts))
	sem := make(chan struct{}, 16)
	for i, a := range arts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			// A writer, reviewer and publisher per article, so that the
			// per-caller rate limit does not refuse the parallel flows.
			errs[i] = x.publishPayload(ctx, a,
				x.as(t, fmt.Sprintf("writer-%d", i), auth.Writer),
				x.as(t, fmt.Sprintf("reviewer-%d", i), auth.Reviewer),
				x.as(t, fmt.Sprintf("publisher-%d", i), auth.Publisher))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	refusals := 0
	for _, a := range arts {
		for f := range a.refused {
			refusals++
			t.Logf("payload %d refused in %s (a pass)", a.p.n, f)
		}
	}

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox)...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}

	surfaces := []string{"/", "/feed.atom", "/sitemap.xml", "/news-sitemap.xml"}
	for _, a := range arts {
		surfaces = append(surfaces, "/articles/"+a.id, "/articles/"+a.id+".json", "/articles/"+a.id+".ninjs.json")
	}
	var loads, checks atomic.Int64
	var cspMu sync.Mutex
	cspSeen := map[string]int{}
	// The HTML pages with and without the CSP, and the other documents
	// (which Chrome shows as text, CSP or not), side by side in three tabs.
	t.Run("modes", func(t *testing.T) {
		for _, mode := range []struct {
			name   string
			bypass bool
			pages  bool // the HTML pages, else the other documents
		}{{"pages as served", false, true}, {"pages with CSP bypassed", true, true}, {"documents", false, false}} {
			t.Run(mode.name, func(t *testing.T) {
				t.Parallel()
				tb := newTab(t, browser, mode.bypass)
				// First the canary: the checks are not blind.
				res, dialogs, requests, err := tb.load(x.site.URL + "/canary")
				if err != nil {
					t.Fatal(err)
				}
				ran := scriptRan(res, dialogs, requests)
				if !slices.Contains(ran, "window.__xss = 1") || !slices.Contains(ran, "called alert(1)") ||
					!slices.Contains(ran, "dialog alert: 1") || !slices.Contains(ran, "document.title = pwned-canary") ||
					!slices.ContainsFunc(ran, func(s string) bool { return strings.HasSuffix(s, "/pwned/canary") }) ||
					len(res.Bad) < 4 {
					t.Fatalf("the canary page: the checks saw only %q and %q", ran, res.Bad)
				}
				var want map[string]int // the control page's elements
				for _, a := range arts {
					if !mode.pages {
						break
					}
					res, dialogs, requests, err := tb.load(x.site.URL + "/articles/" + a.id)
					if err != nil {
						t.Fatal(err)
					}
					loads.Add(1)
					if want == nil {
						want = res.Outside
					}
					x.checkDocument(t, fmt.Sprintf("payload %d article page", a.p.n), res, dialogs, requests)
					if !maps.Equal(res.Outside, want) {
						t.Errorf("payload %d article page: elements %v, want those of the control page %v", a.p.n, res.Outside, want)
					}
					for tag := range res.InBody {
						if !markdownTags[tag] {
							t.Errorf("payload %d article page: <%s> in the body or related box", a.p.n, tag)
						}
					}
					checks.Add(int64(checkFields(t, a, res)))
					cspMu.Lock()
					for _, c := range res.CSP {
						cspSeen[c]++
					}
					cspMu.Unlock()
				}
				for _, path := range surfaces {
					if strings.HasPrefix(path, "/articles/") && !strings.HasSuffix(path, ".json") {
						continue // done above
					}
					if mode.pages != (path == "/") {
						continue
					}
					res, dialogs, requests, err := tb.load(x.site.URL + path)
					if err != nil {
						t.Fatal(err)
					}
					loads.Add(1)
					x.checkDocument(t, path, res, dialogs, requests)
					cspMu.Lock()
					for _, c := range res.CSP {
						cspSeen[c]++
					}
					cspMu.Unlock()
					checks.Add(int64(checkSurfaceText(t, path, res, arts)))
				}
			})
		}
	})
	if n := x.pwned.Load(); n > 0 {
		var urls []string
		x.pwnedU.Range(func(k, _ any) bool { urls = append(urls, k.(string)); return true })
		t.Errorf("%d requests reached marker paths on the site: %v", n, urls)
	}
	t.Logf("%d payloads (+1 control) × %d fields, %d field refusals (passes); %d documents loaded; %d text checks; CSP violations: %v",
		len(payloads), len(xssFields), refusals, loads.Load(), checks.Load(), cspSeen)
}

// checkDocument fails the test on any sign that a script ran or an element
// or attribute was injected.
func (x *xssSystem) checkDocument(t *testing.T, what string, res *inspection, dialogs, requests []string) {
	t.Helper()
	if ran := scriptRan(res, dialogs, requests); len(ran) > 0 {
		t.Errorf("%s: script ran: %v", what, ran)
	}
	for _, b := range res.Bad {
		t.Errorf("%s: %s", what, b)
	}
}

// checkFields checks the article page shows each field's text as given:
// escaped, not dropped. It returns the number of checks.
func checkFields(t *testing.T, a *xssArticle, res *inspection) int {
	t.Helper()
	n := 0
	for _, f := range xssFields {
		if f == "body" {
			continue // Markdown: raw HTML is dropped by design
		}
		got := res.Text[f]
		// An HTML parser reads NUL as U+FFFD (review takes NUL in a note).
		want := strings.ReplaceAll(strings.TrimSpace(a.values[f]), "\x00", "\ufffd")
		if f == "byline" && len(got) == 1 {
			got = []string{strings.TrimPrefix(got[0], "By ")}
		}
		n++
		if len(got) != 1 || strings.TrimSpace(got[0]) != want {
			t.Errorf("payload %d: %s shows %q, want %q", a.p.n, f, got, want)
		}
	}
	n++
	if ld := res.Text["ld"]; len(ld) != 1 || !jsonHas(ld[0], a.values["headline"]) {
		t.Errorf("payload %d: JSON-LD %q does not hold the headline %q", a.p.n, ld, a.values["headline"])
	}
	n++
	if !strings.Contains(res.Title, strings.Join(strings.Fields(a.values["headline"]), " ")) { // document.title collapses white space
		t.Errorf("payload %d: title %q does not hold the headline", a.p.n, res.Title)
	}
	return n
}

// checkSurfaceText checks the other surfaces show each article's headline
// as given. It returns the number of checks.
func checkSurfaceText(t *testing.T, path string, res *inspection, arts []*xssArticle) int {
	t.Helper()
	n := 0
	all := strings.Join(res.Text["all"], "")
	switch {
	case path == "/" || path == "/feed.atom":
		// The front page and the feed show the latest stories only: each
		// headline they show must be one of ours, whole.
		shown := res.Text["front"]
		if path == "/feed.atom" {
			// The entries' titles, from the document as the browser
			// parsed it, or from the text it shows.
			if titles := res.Text["atomTitle"]; len(titles) > 0 {
				shown = titles[1:] // after the feed's own title
			} else {
				var feed struct {
					Entries []struct {
						Title string `xml:"title"`
					} `xml:"entry"`
				}
				text := all
				if pre := res.Text["pre"]; len(pre) > 0 {
					text = pre[0]
				}
				if err := xml.Unmarshal([]byte(text), &feed); err != nil {
					t.Errorf("%s: the browser shows no Atom document: %v", path, err)
				}
				shown = nil
				for _, e := range feed.Entries {
					shown = append(shown, e.Title)
				}
			}
			t.Logf("%s (%s): elements %v", path, res.ContentType, res.Outside)
		}
		if len(shown) == 0 {
			t.Errorf("%s: no stories", path)
		}
		for _, h := range shown {
			n++
			if !slices.ContainsFunc(arts, func(a *xssArticle) bool { return strings.TrimSpace(h) == strings.TrimSpace(a.values["headline"]) }) {
				t.Errorf("%s: headline %q is none of the articles'", path, h)
			}
		}
	case path == "/news-sitemap.xml":
		for _, a := range arts {
			n++
			if !strings.Contains(all, strings.TrimSpace(a.values["headline"])) {
				t.Errorf("%s: no headline %q", path, a.values["headline"])
			}
		}
	case strings.HasSuffix(path, ".json"):
		id := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(path, "/articles/"), ".json"), ".ninjs")
		for _, a := range arts {
			if a.id != id {
				continue
			}
			n++
			text := all
			if pre := res.Text["pre"]; len(pre) > 0 {
				text = pre[0]
			}
			if !jsonHas(text, a.values["headline"]) {
				t.Errorf("%s: the JSON does not hold the headline %q", path, a.values["headline"])
			}
		}
	}
	return n
}
