package publishing

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/natsx"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Security headers on every response. The site needs no script, so the
// policy allows none; styles come only from our own stylesheet.
const (
	contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	referrerPolicy        = "strict-origin-when-cross-origin"
)

// site is the public website.
type site struct {
	s     *Service
	mux   *http.ServeMux
	pages map[string]*template.Template
	css   []byte
}

func newSite(s *Service) (*site, error) {
	w := &site{s: s, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	for _, name := range []string{"index.html", "article.html", "notice.html"} {
		t, err := template.New(name).ParseFS(assets, "templates/base.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("publishing: template %s: %w", name, err)
		}
		w.pages[name] = t
	}
	css, err := fs.ReadFile(assets, "static/site.css")
	if err != nil {
		return nil, err
	}
	w.css = css
	w.mux.HandleFunc("GET /{$}", w.front)
	w.mux.HandleFunc("GET /healthz", w.health)
	w.mux.HandleFunc("GET /robots.txt", w.robots)
	w.mux.HandleFunc("GET /feed.atom", w.feed)
	w.mux.HandleFunc("GET /sitemap.xml", w.sitemap)
	w.mux.HandleFunc("GET /news-sitemap.xml", w.newsSitemap)
	w.mux.HandleFunc("GET /static/site.css", w.stylesheet)
	w.mux.HandleFunc("GET /articles/{id}", w.articleShort)
	w.mux.HandleFunc("GET /articles/{id}/{slug}", w.article)
	w.mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		w.notice(rw, http.StatusNotFound, "Not found", "There is no page here.")
	})
	return w, nil
}

func (w *site) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	h := rw.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", referrerPolicy)
	h.Set("X-Frame-Options", "DENY")
	w.mux.ServeHTTP(rw, r)
}

func (w *site) health(rw http.ResponseWriter, _ *http.Request) {
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = rw.Write([]byte("ok\n"))
}

func (w *site) stylesheet(rw http.ResponseWriter, r *http.Request) {
	w.send(rw, r, "text/css; charset=utf-8", w.css, time.Time{}, "public, max-age=3600")
}

// robots points crawlers at the sitemaps.
func (w *site) robots(rw http.ResponseWriter, r *http.Request) {
	base := w.s.cfg.BaseURL
	body := "User-agent: *\nAllow: /\n\nSitemap: " + base + "/sitemap.xml\nSitemap: " + base + "/news-sitemap.xml\n"
	w.send(rw, r, "text/plain; charset=utf-8", []byte(body), time.Time{}, "")
}

// send writes a document with an ETag (a hash of the bytes, so any change
// at all, a new deploy's templates included, is a new tag) and, when
// modified is known, Last-Modified, and answers conditional GETs
// (If-None-Match, else If-Modified-Since) with 304 Not Modified.
// Documents are revalidated on every use (no-cache) unless cache says
// otherwise: a take-down must reach readers at once.
func (w *site) send(rw http.ResponseWriter, r *http.Request, contentType string, body []byte, modified time.Time, cache string) {
	sum := sha256.Sum256(body)
	h := rw.Header()
	h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	h.Set("Content-Type", contentType)
	if cache == "" {
		cache = "no-cache"
	}
	h.Set("Cache-Control", cache)
	// ServeContent does the conditional requests (and HEAD and ranges);
	// it sets Last-Modified from modified unless that is zero.
	http.ServeContent(rw, r, "", modified.UTC(), bytes.NewReader(body))
}

// frontItem is one story on the front page.
type frontItem struct {
	Headline, Dek, Path string
	Published           stamp
}

func (w *site) front(rw http.ResponseWriter, r *http.Request) {
	var items []frontItem
	for _, st := range w.s.live.list() {
		items = append(items, frontItem{Headline: st.headline, Dek: st.dek, Path: articlePath(st.id, st.slug), Published: newStamp(st.published)})
	}
	_, newest, changed := w.s.live.snapshot()
	body, err := w.renderBytes("index.html", struct {
		Title   string
		Stories []frontItem
	}{"Latest news", items})
	if err != nil {
		w.fail(rw, "front page", err)
		return
	}
	w.send(rw, r, "text/html; charset=utf-8", body, later(newest, changed), "")
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// live loads the live publication of the article in the path, or answers
// the request itself (404 before publication, 410 after a take-down, 500)
// and returns nil. An embargoed or scheduled story is not live: 404.
func (w *site) live(rw http.ResponseWriter, r *http.Request, id string) *publishingv1.Publication {
	if !validID(id) {
		w.notice(rw, http.StatusNotFound, "Not found", "There is no story here.")
		return nil
	}
	pub, _, err := w.s.pubs.Get(r.Context(), id)
	switch {
	case errors.Is(err, natsx.ErrNotFound):
		w.notice(rw, http.StatusNotFound, "Not found", "There is no story here.")
		return nil
	case err != nil:
		w.s.log.Error("load article for the site", "article", id, "err", err)
		w.notice(rw, http.StatusInternalServerError, "Unavailable", "This story cannot be shown right now. Please try again shortly.")
		return nil
	case pub.GetLiveRevision() > 0 && pub.GetArticle() != nil:
		if pub, err = w.s.withBox(r.Context(), pub); err != nil {
			w.s.log.Error("load related stories for the site", "article", id, "err", err)
			w.notice(rw, http.StatusInternalServerError, "Unavailable", "This story cannot be shown right now. Please try again shortly.")
			return nil
		}
		return pub
	case pub.GetPublishCount() > 0:
		w.notice(rw, http.StatusGone, "Story removed", "This story has been taken down by the newsroom and is no longer available.")
		return nil
	}
	w.notice(rw, http.StatusNotFound, "Not found", "There is no story here.")
	return nil
}

// modified is the Last-Modified of a live story's documents.
func modified(pub *publishingv1.Publication) time.Time {
	return later(pub.GetModifiedAt().AsTime(), pub.GetArticle().GetUpdatedAt().AsTime())
}

// articleShort serves /articles/{id}: the ninjs form for "{id}.ninjs.json",
// the JSON form for "{id}.json", else a redirect to the canonical URL with
// the slug.
func (w *site) articleShort(rw http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if base, ok := strings.CutSuffix(id, ".ninjs.json"); ok {
		w.articleNinjs(rw, r, base)
		return
	}
	if base, ok := strings.CutSuffix(id, ".json"); ok {
		w.articleJSON(rw, r, base)
		return
	}
	pub := w.live(rw, r, id)
	if pub == nil {
		return
	}
	if pub.GetArticle().GetSlug() == "" {
		w.page(rw, r, pub)
		return
	}
	http.Redirect(rw, r, articlePath(id, pub.GetArticle().GetSlug()), http.StatusMovedPermanently)
}

func (w *site) article(rw http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	pub := w.live(rw, r, id)
	if pub == nil {
		return
	}
	if slug := pub.GetArticle().GetSlug(); r.PathValue("slug") != slug {
		http.Redirect(rw, r, articlePath(id, slug), http.StatusMovedPermanently)
		return
	}
	w.page(rw, r, pub)
}

func (w *site) page(rw http.ResponseWriter, r *http.Request, pub *publishingv1.Publication) {
	a := pub.GetArticle()
	url := pub.GetPublicUrl()
	if url == "" {
		url = w.s.publicURL(pub.GetArticleId(), a.GetSlug())
	}
	p, err := w.s.buildArticlePage(a, url, modified(pub))
	if err != nil {
		w.fail(rw, "render article "+pub.GetArticleId(), err)
		return
	}
	body, err := w.renderBytes("article.html", p)
	if err != nil {
		w.fail(rw, "render article "+pub.GetArticleId(), err)
		return
	}
	w.send(rw, r, "text/html; charset=utf-8", body, modified(pub), "")
}

func (w *site) articleJSON(rw http.ResponseWriter, r *http.Request, id string) {
	pub := w.live(rw, r, id)
	if pub == nil {
		return
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(pub.GetArticle())
	if err != nil {
		w.fail(rw, "article json "+id, err)
		return
	}
	w.send(rw, r, "application/json; charset=utf-8", b, modified(pub), "")
}

func (w *site) articleNinjs(rw http.ResponseWriter, r *http.Request, id string) {
	pub := w.live(rw, r, id)
	if pub == nil {
		return
	}
	b, err := w.s.ninjs(pub)
	if err != nil {
		w.fail(rw, "article ninjs "+id, err)
		return
	}
	w.send(rw, r, "application/json; charset=utf-8", b, modified(pub), "")
}

// fail logs err and answers 500.
func (w *site) fail(rw http.ResponseWriter, what string, err error) {
	w.s.log.Error(what, "err", err)
	w.notice(rw, http.StatusInternalServerError, "Unavailable", "This page cannot be shown right now. Please try again shortly.")
}

// notice is a short page for errors and removed stories.
func (w *site) notice(rw http.ResponseWriter, code int, title, text string) {
	rw.Header().Set("Cache-Control", "no-store")
	w.render(rw, code, "notice.html", struct{ Title, Text string }{title, text})
}

// renderBytes executes a page into a buffer, so a template error becomes
// a clean 500 rather than half a page.
func (w *site) renderBytes(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := w.pages[name].ExecuteTemplate(&b, "base", data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// render writes a page with status code, uncached (notices).
func (w *site) render(rw http.ResponseWriter, code int, name string, data any) {
	b, err := w.renderBytes(name, data)
	if err != nil {
		w.s.log.Error("render page", "page", name, "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(code)
	_, _ = rw.Write(b)
}
