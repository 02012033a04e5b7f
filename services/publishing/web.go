package publishing

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

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
	// version fingerprints the embedded templates and stylesheet; with a
	// record's KV revision it makes a page's ETag, so a new deploy or any
	// change to the story (a takedown included) is seen at once.
	version string
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
	if w.version, err = assetsVersion(); err != nil {
		return nil, err
	}
	w.mux.HandleFunc("GET /{$}", w.front)
	w.mux.HandleFunc("GET /healthz", w.health)
	w.mux.HandleFunc("GET /feed.atom", w.feed)
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

func (w *site) stylesheet(rw http.ResponseWriter, _ *http.Request) {
	rw.Header().Set("Content-Type", "text/css; charset=utf-8")
	rw.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = rw.Write(w.css)
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
	w.render(rw, http.StatusOK, "index.html", struct {
		Title   string
		Stories []frontItem
	}{"Latest news", items})
}

// live loads the live publication of the article in the path, or answers
// the request itself (404, 410, 500) and returns nil.
func (w *site) live(rw http.ResponseWriter, r *http.Request, id string) *publishingv1.Publication {
	if !validID(id) {
		w.notice(rw, http.StatusNotFound, "Not found", "There is no story here.")
		return nil
	}
	pub, rev, err := w.s.pubs.Get(r.Context(), id)
	switch {
	case errors.Is(err, natsx.ErrNotFound):
		w.notice(rw, http.StatusNotFound, "Not found", "There is no story here.")
		return nil
	case err != nil:
		w.s.log.Error("load article for the site", "article", id, "err", err)
		w.notice(rw, http.StatusInternalServerError, "Unavailable", "This story cannot be shown right now. Please try again shortly.")
		return nil
	case pub.GetLiveRevision() > 0 && pub.GetArticle() != nil:
		etag := fmt.Sprintf(`"%s-%d-%s"`, id, rev, w.version)
		rw.Header().Set("ETag", etag)
		rw.Header().Set("Cache-Control", "no-cache")
		if r.Header.Get("If-None-Match") == etag {
			rw.WriteHeader(http.StatusNotModified)
			return nil
		}
		return pub
	case pub.GetPublishCount() > 0:
		w.notice(rw, http.StatusGone, "Story removed", "This story has been taken down by the newsroom.")
		return nil
	}
	w.notice(rw, http.StatusNotFound, "Not found", "There is no story here.")
	return nil
}

// articleShort serves /articles/{id}: the JSON form for "{id}.json", else a
// redirect to the canonical URL with the slug.
func (w *site) articleShort(rw http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if base, ok := strings.CutSuffix(id, ".json"); ok {
		w.articleJSON(rw, r, base)
		return
	}
	pub := w.live(rw, r, id)
	if pub == nil {
		return
	}
	if pub.GetArticle().GetSlug() == "" {
		w.page(rw, pub)
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
	w.page(rw, pub)
}

func (w *site) page(rw http.ResponseWriter, pub *publishingv1.Publication) {
	a := pub.GetArticle()
	url := pub.GetPublicUrl()
	if url == "" {
		url = w.s.publicURL(pub.GetArticleId(), a.GetSlug())
	}
	p, err := w.s.buildArticlePage(a, url)
	if err != nil {
		w.s.log.Error("render article", "article", pub.GetArticleId(), "err", err)
		w.notice(rw, http.StatusInternalServerError, "Unavailable", "This story cannot be shown right now.")
		return
	}
	w.render(rw, http.StatusOK, "article.html", p)
}

func (w *site) articleJSON(rw http.ResponseWriter, r *http.Request, id string) {
	pub := w.live(rw, r, id)
	if pub == nil {
		return
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(pub.GetArticle())
	if err != nil {
		w.s.log.Error("article json", "article", id, "err", err)
		http.Error(rw, "unavailable", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = rw.Write(b)
}

// assetsVersion hashes the embedded assets.
func assetsVersion() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(assets, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12], err
}

// notice is a short page for errors and removed stories.
func (w *site) notice(rw http.ResponseWriter, code int, title, text string) {
	rw.Header().Set("Cache-Control", "no-store")
	w.render(rw, code, "notice.html", struct{ Title, Text string }{title, text})
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 rather than half a page.
func (w *site) render(rw http.ResponseWriter, code int, name string, data any) {
	var b strings.Builder
	if err := w.pages[name].ExecuteTemplate(&b, "base", data); err != nil {
		w.s.log.Error("render page", "page", name, "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(code)
	_, _ = rw.Write([]byte(b.String()))
}
