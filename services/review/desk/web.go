package desk

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Security headers of every response. All script is in /static/desk.js,
// all style in /static/desk.css: the policy allows nothing inline.
const (
	contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
		"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	referrerPolicy = "same-origin"
)

// views holds the parsed pages and the static files.
type views struct {
	pages  map[string]*template.Template
	static map[string]staticFile
}

type staticFile struct {
	body        []byte
	contentType string
	etag        string
}

var pageNames = []string{"signin.html", "queue.html", "review.html", "board.html", "notice.html"}

func loadViews() (*views, error) {
	v := &views{pages: map[string]*template.Template{}, static: map[string]staticFile{}}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/base.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("desk: template %s: %w", name, err)
		}
		v.pages[name] = t
	}
	types := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
	err := fs.WalkDir(assets, "static", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		v.static["/"+p] = staticFile{body: b, contentType: types[path.Ext(p)], etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

func (d *Desk) routes() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.authed(func(w http.ResponseWriter, r *http.Request, _ *session) {
		http.Redirect(w, r, "/queue", http.StatusSeeOther)
	}))
	mux.HandleFunc("GET /healthz", d.health)
	mux.HandleFunc("GET /static/{file}", d.staticFile)
	mux.HandleFunc("GET /signin", d.signin)
	mux.HandleFunc("POST /signin", d.signin)
	mux.HandleFunc("POST /signout", d.authed(d.signout))
	mux.HandleFunc("GET /queue", d.authed(d.queuePage))
	mux.HandleFunc("GET /board", d.authed(d.boardPage))
	mux.HandleFunc("GET /articles/{id}", d.authed(d.reviewPage))
	mux.HandleFunc("POST /articles/{id}/flags", d.authed(d.decideFlag))
	mux.HandleFunc("POST /articles/{id}/note", d.authed(d.setNote))
	mux.HandleFunc("POST /articles/{id}/changes", d.authed(d.requestChanges))
	mux.HandleFunc("POST /articles/{id}/publish", d.authed(d.publish))
	mux.HandleFunc("GET /events", d.authed(d.events))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s, _ := d.session(r)
		d.notice(w, r, s, http.StatusNotFound, "Not found", "There is no page here.")
	})
	// Besides the per-session form tokens, refuse any state-changing
	// request a browser marks as coming from another site.
	cop := http.NewCrossOriginProtection()
	for _, o := range d.cfg.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("desk: trusted origin: %w", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := d.session(r)
		d.csrfFailed(w, r, s)
	}))
	protected := cop.Handler(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", referrerPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if d.cfg.SecureCookie {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		protected.ServeHTTP(w, r)
	}), nil
}

func (d *Desk) staticFile(w http.ResponseWriter, r *http.Request) {
	f, ok := d.views.static["/static/"+r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// health reports whether the desk serves, which live feeds follow their
// stream (pages work without them, with no live updates), and whether
// anyone needs them now (they run only then: feeds_wanted; an idle desk
// is live false, wanted false).
func (d *Desk) health(w http.ResponseWriter, _ *http.Request) {
	out := map[string]any{"ok": true}
	for i, name := range feedNames {
		out[name] = d.feeds[i].Load()
	}
	out["live"] = d.live()
	out["feeds_wanted"], _ = d.demand.wanted()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}

// view is what every page template gets; one of the page fields is set.
type view struct {
	Title string
	// Page names the page for the navigation and the script.
	Page string
	// URL is the page's own address, which the script reloads parts of.
	URL   string
	User  *userView
	CSRF  string
	Error string
	Flash string
	// Fingerprint identifies what the page shows, to tell whether a live
	// update is needed.
	Fingerprint string

	SignIn *signinView
	Queue  *queueView
	Review *reviewView
	Board  *boardView
	Notice *noticeView
}

type userView struct {
	Subject string
	Roles   string
}

type signinView struct{ Next string }

type noticeView struct{ Heading, Text string }

func (d *Desk) base(s *session, title, page, url string) *view {
	v := &view{Title: title, Page: page, URL: url}
	if s != nil {
		roles := make([]string, len(s.id.Roles))
		for i, r := range s.id.Roles {
			roles[i] = string(r)
		}
		v.User = &userView{Subject: s.id.Subject, Roles: strings.Join(roles, ", ")}
		v.CSRF = s.csrf
	}
	return v
}

// render executes a page into a buffer, so a template error is a clean 500
// rather than half a page. Pages hold unpublished copy: never cached.
func (d *Desk) render(w http.ResponseWriter, r *http.Request, code int, v *view) {
	name := v.Page + ".html"
	t, ok := d.views.pages[name]
	if !ok {
		name, t = "notice.html", d.views.pages["notice.html"]
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "base", v); err != nil {
		d.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.Bytes())
	}
}

// notice is a short page for errors.
func (d *Desk) notice(w http.ResponseWriter, r *http.Request, s *session, code int, heading, text string) {
	v := d.base(s, heading, "notice", r.URL.Path)
	v.Notice = &noticeView{Heading: heading, Text: text}
	d.render(w, r, code, v)
}

var validID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// articleID is the article id in the path, or "" after answering 404.
func (d *Desk) articleID(w http.ResponseWriter, r *http.Request, s *session) string {
	id := r.PathValue("id")
	if !validID.MatchString(id) {
		d.notice(w, r, s, http.StatusNotFound, "Not found", "There is no article here.")
		return ""
	}
	return id
}
