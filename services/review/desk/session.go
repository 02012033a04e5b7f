package desk

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"newsroom.dev/platform/auth"
)

// Cookies. The session cookie holds the bearer token the person pasted at
// sign-in: HttpOnly (no script reads it), SameSite=Strict (no other site's
// page sends it), Secure unless configured for plain-HTTP loopback, and it
// expires with the token.
const (
	sessionCookie = "newsroom_desk"
	// signinCookie is a random value set with the sign-in form, so that
	// form too carries a token another site cannot know.
	signinCookie = "newsroom_desk_signin"
	csrfField    = "csrf"
)

// session is the signed-in person.
type session struct {
	token string
	id    auth.Identity
	csrf  string
}

// csrfToken is the form token of a session: an HMAC keyed by a secret
// only the person's browser and the desk know (the token in the HttpOnly
// cookie), so it differs per session, needs no server-side state, holds
// across replicas, and reveals nothing of the token.
func csrfToken(secret, purpose string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("newsroom-desk " + purpose + " v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func validCSRF(got, want string) bool {
	return got != "" && hmac.Equal([]byte(got), []byte(want))
}

var errNoSession = errors.New("desk: not signed in")

// session returns the signed-in person, verifying the token at every
// request: an expired token ends the session.
func (d *Desk) session(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, errNoSession
	}
	id, err := d.keys.Verify(c.Value)
	if err != nil {
		return nil, err
	}
	return &session{token: c.Value, id: id, csrf: csrfToken(c.Value, "csrf")}, nil
}

func (d *Desk) cookie(name, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{
		Name: name, Value: value, Path: "/",
		HttpOnly: true, Secure: d.cfg.SecureCookie, SameSite: http.SameSiteStrictMode,
	}
	if value == "" {
		c.MaxAge = -1
	} else if !expires.IsZero() {
		c.Expires = expires
		c.MaxAge = max(int(time.Until(expires).Seconds()), 1)
	}
	return c
}

// page handlers get the session; authed turns them into http handlers that
// send people who are not signed in to the sign-in form, and refuse any
// POST whose form does not carry the session's CSRF token.
type pageHandler func(w http.ResponseWriter, r *http.Request, s *session)

func (d *Desk) authed(h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := d.session(r)
		if err != nil {
			http.SetCookie(w, d.cookie(sessionCookie, "", time.Time{}))
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			msg := "Your session has ended. Sign in again."
			if errors.Is(err, auth.ErrExpired) {
				msg = "Your token has expired. Sign in with a new one."
			}
			d.signinForm(w, r, http.StatusUnauthorized, msg)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if err := r.ParseForm(); err != nil {
				d.notice(w, r, s, http.StatusBadRequest, "Bad request", "The form could not be read.")
				return
			}
			if !validCSRF(r.PostForm.Get(csrfField), s.csrf) {
				d.csrfFailed(w, r, s)
				return
			}
		}
		h(w, r, s)
	}
}

func (d *Desk) csrfFailed(w http.ResponseWriter, r *http.Request, s *session) {
	d.log.Warn("refused a form without a valid CSRF token", "path", r.URL.Path, "subject", subject(s))
	d.notice(w, r, s, http.StatusForbidden, "Form refused",
		"This form did not come from a page of the desk, or the page is from an earlier session. Go back, reload the page and try again.")
}

func subject(s *session) string {
	if s == nil {
		return ""
	}
	return s.id.Subject
}

// signin shows the sign-in form (GET) or signs in (POST).
func (d *Desk) signin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		if s, err := d.session(r); err == nil && s != nil && r.URL.Query().Get("switch") == "" {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
		d.signinForm(w, r, http.StatusOK, "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		d.signinForm(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	pre, err := r.Cookie(signinCookie)
	if err != nil || !validCSRF(r.PostForm.Get(csrfField), csrfToken(pre.Value, "signin")) {
		d.csrfFailed(w, r, nil)
		return
	}
	token := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.PostForm.Get("token")), "Bearer "))
	id, err := d.keys.Verify(token)
	switch {
	case token == "":
		d.signinForm(w, r, http.StatusBadRequest, "Paste your bearer token.")
		return
	case errors.Is(err, auth.ErrExpired):
		d.signinForm(w, r, http.StatusUnauthorized, "That token has expired. Ask for a new one.")
		return
	case err != nil:
		d.signinForm(w, r, http.StatusUnauthorized, "That token is not valid here.")
		return
	}
	d.log.Info("signed in", "subject", id.Subject, "roles", id.Roles)
	http.SetCookie(w, d.cookie(sessionCookie, token, id.Expires))
	http.SetCookie(w, d.cookie(signinCookie, "", time.Time{}))
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

// signinForm renders the sign-in page with a fresh pre-session cookie.
func (d *Desk) signinForm(w http.ResponseWriter, r *http.Request, code int, msg string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	pre := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, d.cookie(signinCookie, pre, time.Now().Add(time.Hour)))
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostForm.Get("next")
	}
	d.render(w, r, code, &view{
		Title: "Sign in", Page: "signin", URL: "/signin", CSRF: csrfToken(pre, "signin"), Error: msg,
		SignIn: &signinView{Next: safeNext(next)},
	})
}

// signout ends the session.
func (d *Desk) signout(w http.ResponseWriter, r *http.Request, s *session) {
	http.SetCookie(w, d.cookie(sessionCookie, "", time.Time{}))
	d.log.Info("signed out", "subject", s.id.Subject)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// safeNext keeps a redirect target on the desk: a local path, never
// another host ("//evil", "/\evil").
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.HasPrefix(next, "/signin") || strings.ContainsAny(next, "\r\n") {
		return "/queue"
	}
	return next
}
