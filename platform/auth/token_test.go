package auth_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func keyring(t *testing.T, key []byte, clk clock.Clock) *auth.Keyring {
	t.Helper()
	k, err := auth.NewKeyring(key, clk)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	clk := clock.NewFake(t0)
	k := keyring(t, auth.NewKey(), clk)
	tok, err := k.Issue("alice", []auth.Role{auth.Writer, auth.Reviewer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id, err := k.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "alice" || !slices.Equal(id.Roles, []auth.Role{auth.Writer, auth.Reviewer}) || !id.Expires.Equal(t0.Add(time.Hour)) {
		t.Errorf("got %+v", id)
	}
	if !id.Has(auth.Writer) || !id.Has(auth.Reviewer) || id.Has(auth.Publisher) || id.Has(auth.Admin) {
		t.Errorf("Has is wrong for %v", id.Roles)
	}
}

func TestVerifyExpired(t *testing.T) {
	clk := clock.NewFake(t0)
	k := keyring(t, auth.NewKey(), clk)
	tok, err := k.Issue("alice", []auth.Role{auth.Writer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(59 * time.Minute)
	if _, err := k.Verify(tok); err != nil {
		t.Fatalf("a token with a minute left: %v", err)
	}
	clk.Advance(2 * time.Minute)
	if _, err := k.Verify(tok); !errors.Is(err, auth.ErrExpired) {
		t.Errorf("expired token: %v, want ErrExpired", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	key := auth.NewKey()
	clk := clock.NewFake(t0)
	k := keyring(t, key, clk)
	good, err := k.Issue("alice", []auth.Role{auth.Writer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(method jwt.SigningMethod, key any, c jwt.MapClaims) string {
		t.Helper()
		s, err := jwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": auth.Issuer, "sub": "mallory", "roles": []string{"admin"}, "exp": t0.Add(time.Hour).Unix(), "iat": t0.Unix()}
		if edit != nil {
			edit(c)
		}
		return c
	}
	parts := strings.Split(good, ".")
	// The payload of a publisher's token, with the writer's signature.
	other, _ := k.Issue("alice", []auth.Role{auth.Publisher}, time.Hour)
	forged := parts[0] + "." + strings.Split(other, ".")[1] + "." + parts[2]
	flipped := []byte(parts[2])
	flipped[3] ^= 1
	tests := []struct{ name, token string }{
		{"wrong key", sign(jwt.SigningMethodHS256, auth.NewKey(), claims(nil))},
		{"tampered payload", forged},
		{"tampered signature", parts[0] + "." + parts[1] + "." + string(flipped)},
		{"no signature", parts[0] + "." + parts[1] + "."},
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))},
		{"alg HS512", sign(jwt.SigningMethodHS512, key, claims(nil))},
		{"wrong issuer", sign(jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { c["iss"] = "elsewhere" }))},
		{"no issuer", sign(jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { delete(c, "iss") }))},
		{"no expiry", sign(jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { delete(c, "exp") }))},
		{"no subject", sign(jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { delete(c, "sub") }))},
		{"not yet valid", sign(jwt.SigningMethodHS256, key, claims(func(c jwt.MapClaims) { c["nbf"] = t0.Add(time.Minute).Unix() }))},
		{"garbage", "not-a-token"},
		{"empty", ""},
	}
	// The same claims signed properly do verify, so each case fails for
	// the one thing it changes.
	if _, err := k.Verify(sign(jwt.SigningMethodHS256, key, claims(nil))); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := k.Verify(tc.token)
			if !errors.Is(err, auth.ErrInvalid) {
				t.Errorf("Verify = %+v, %v; want ErrInvalid", id, err)
			}
		})
	}
}

func TestIssueRefuses(t *testing.T) {
	k := keyring(t, auth.NewKey(), nil)
	for name, tc := range map[string]struct {
		sub   string
		roles []auth.Role
	}{
		"no subject":   {"", []auth.Role{auth.Writer}},
		"no roles":     {"alice", nil},
		"unknown role": {"alice", []auth.Role{auth.Writer, "root"}},
	} {
		if tok, err := k.Issue(tc.sub, tc.roles, time.Hour); err == nil {
			t.Errorf("%s: issued %q", name, tok)
		}
	}
}

func TestKeys(t *testing.T) {
	if _, err := auth.NewKeyring(make([]byte, auth.MinKeyBytes-1), nil); err == nil {
		t.Error("a short key was accepted")
	}
	a, b := auth.NewKey(), auth.NewKey()
	if len(a) < auth.MinKeyBytes || string(a) == string(b) {
		t.Errorf("NewKey gave %d bytes, equal twice: %v", len(a), string(a) == string(b))
	}
	got, err := auth.DecodeKey(" " + auth.EncodeKey(a) + "\n")
	if err != nil || string(got) != string(a) {
		t.Errorf("DecodeKey(EncodeKey(k)) = %x, %v", got, err)
	}
	if _, err := auth.DecodeKey("not base64!"); err == nil {
		t.Error("DecodeKey accepted junk")
	}
}

func TestKeyFromEnv(t *testing.T) {
	key := auth.NewKey()
	t.Setenv("NEWSROOM_TOKEN_KEY", "")
	t.Setenv("NEWSROOM_TOKEN_KEY_FILE", "")
	if _, err := auth.KeyFromEnv(); err == nil {
		t.Error("no key configured, but KeyFromEnv succeeded")
	}
	file := t.TempDir() + "/key"
	if err := os.WriteFile(file, []byte(auth.EncodeKey(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NEWSROOM_TOKEN_KEY_FILE", file)
	if got, err := auth.KeyFromEnv(); err != nil || string(got) != string(key) {
		t.Errorf("from file: %x, %v", got, err)
	}
	other := auth.NewKey()
	t.Setenv("NEWSROOM_TOKEN_KEY", auth.EncodeKey(other))
	if got, err := auth.KeyFromEnv(); err != nil || string(got) != string(other) {
		t.Errorf("the variable should win over the file: %x, %v", got, err)
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range auth.Roles {
		if got, err := auth.ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, s := range []string{"", "Writer", "root", "admin ", "writer,editor"} {
		if got, err := auth.ParseRole(s); err == nil || !strings.HasPrefix(err.Error(), "auth: ") {
			t.Errorf("ParseRole(%q) = %q, %v; want an auth error", s, got, err)
		}
	}
}
