package webhooks

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestMatchSubject(t *testing.T) {
	for _, c := range []struct {
		pattern, subject string
		want             bool
	}{
		{"newsroom.publishing.article.published", "newsroom.publishing.article.published", true},
		{"newsroom.publishing.article.published", "newsroom.publishing.article.unpublished", false},
		{"newsroom.publishing.>", "newsroom.publishing.article.published", true},
		{"newsroom.publishing.article.*", "newsroom.publishing.article.scheduled", true},
		{"newsroom.publishing.*", "newsroom.publishing.article.scheduled", false},
		{"newsroom.publishing.article.>", "newsroom.publishing.article", false},
		{"newsroom.publishing.article.published.x", "newsroom.publishing.article.published", false},
	} {
		if got := matchSubject(c.pattern, c.subject); got != c.want {
			t.Errorf("matchSubject(%s, %s) = %v", c.pattern, c.subject, got)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://tools.example/hooks/newsroom?x=1": true,
		"http://127.0.0.1:8080/hook":               true,
		"http://10.0.0.7/hook":                     true,
		"http://[::1]:9/hook":                      true,
		"":                                         false,
		"ftp://tools.example/":                     false,
		"https://a:b@tools.example/":               false,
		"https:///path":                            false,
		"https://tools.example/#frag":              false,
		"http://169.254.169.254/":                  false,
		"http://[fe80::1]/":                        false,
		"http://0.0.0.0/":                          false,
		"://nope":                                  false,
	} {
		if _, err := checkURL(raw); (err == nil) != ok {
			t.Errorf("checkURL(%q) = %v, want ok=%v", raw, err, ok)
		}
	}
}

func TestCheckEvents(t *testing.T) {
	got, err := checkEvents([]string{" newsroom.publishing.article.published ", "newsroom.publishing.article.*", "newsroom.publishing.article.published"})
	if err != nil || len(got) != 2 || got[0] != "newsroom.publishing.article.published" {
		t.Errorf("checkEvents = %v, %v", got, err)
	}
	for _, bad := range [][]string{
		nil,
		{"newsroom.drafting.article.created"},
		{"newsroom.publishing.article.nope"},
		{"newsroom.publishing..published"},
		{"newsroom.publishing.>.x"},
		{"newsroom.publishing.art*"},
		{"newsroom.publishing.webhooks.>"},
	} {
		if _, err := checkEvents(bad); err == nil {
			t.Errorf("checkEvents(%q) accepted", bad)
		}
	}
}

func TestCheckSecret(t *testing.T) {
	for s, ok := range map[string]bool{
		"0123456789abcdef":      true,
		"0123456789abcde":       false,
		"with space 0123456789": false,
		"tab\t0123456789abcdef": false,
		"ünïcödé-0123456789":    false,
	} {
		if err := checkSecret(s); (err == nil) != ok {
			t.Errorf("checkSecret(%q) = %v", s, err)
		}
	}
}

func TestVerify(t *testing.T) {
	const secret = "0123456789abcdef"
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"a1/1/published/1"}`)
	h := http.Header{}
	ts := strconv.FormatInt(now.Unix(), 10)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, Sign(secret, ts, body))
	if err := Verify(secret, h, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := Verify(secret, h, append(body, ' '), now, 5*time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered body: %v", err)
	}
	if err := Verify("another-secret-123", h, body, now, 5*time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong secret: %v", err)
	}
	if err := Verify(secret, h, body, now.Add(time.Hour), 5*time.Minute); !errors.Is(err, ErrStale) {
		t.Errorf("replayed an hour later: %v", err)
	}
	h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10))
	if err := Verify(secret, h, body, now, 5*time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("moved timestamp: %v", err)
	}
	if err := Verify(secret, http.Header{}, body, now, time.Minute); !errors.Is(err, ErrNoSignature) {
		t.Errorf("unsigned: %v", err)
	}
}

func TestDefaultBackoff(t *testing.T) {
	var total time.Duration
	for n := 1; n < 12; n++ {
		d := DefaultBackoff(n)
		want := schedule[min(n, len(schedule))-1]
		if d < want-want/10 || d > want+want/10 {
			t.Errorf("DefaultBackoff(%d) = %v, want %v ±10%%", n, d, want)
		}
		total += want
	}
	if total < 20*time.Hour {
		t.Errorf("the default schedule retries for only %v", total)
	}
}
