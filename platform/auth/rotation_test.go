package auth_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
)

// Rotating the signing key: the new key signs, the old one still verifies
// the tokens it signed until it is dropped from the list.
func TestKeyRotation(t *testing.T) {
	oldKey, newKey := auth.NewKey(), auth.NewKey()
	clk := clock.NewFake(t0)
	before := keyring(t, oldKey, clk)
	oldTok, err := before.Issue("alice", []auth.Role{auth.Writer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	during, err := auth.NewKeyringSet([][]byte{newKey, oldKey}, clk)
	if err != nil {
		t.Fatal(err)
	}
	newTok, err := during.Issue("bob", []auth.Role{auth.Editor}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := during.Verify(oldTok); err != nil || id.Subject != "alice" {
		t.Errorf("old token during rotation: %+v, %v", id, err)
	}
	if id, err := during.Verify(newTok); err != nil || id.Subject != "bob" {
		t.Errorf("new token during rotation: %+v, %v", id, err)
	}
	// The new token is signed with the new key: a keyring with only the
	// old key refuses it.
	if _, err := before.Verify(newTok); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("old-key keyring accepted a new-key token: %v", err)
	}
	// An expired token signed with the second key is reported as expired.
	clk.Advance(2 * time.Hour)
	if _, err := during.Verify(oldTok); !errors.Is(err, auth.ErrExpired) {
		t.Errorf("expired old token: %v, want ErrExpired", err)
	}

	after := keyring(t, newKey, clock.NewFake(t0))
	if _, err := after.Verify(oldTok); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("old token after the old key was dropped: %v, want ErrInvalid", err)
	}

	if _, err := auth.NewKeyringSet(nil, nil); err == nil {
		t.Error("a keyring without keys")
	}
	if _, err := auth.NewKeyringSet([][]byte{newKey, make([]byte, 8)}, nil); err == nil {
		t.Error("a short verification key was accepted")
	}
}

func TestKeysFromEnv(t *testing.T) {
	a, b := auth.NewKey(), auth.NewKey()
	t.Setenv("NEWSROOM_TOKEN_KEY_FILE", "")
	t.Setenv("NEWSROOM_TOKEN_KEY", auth.EncodeKey(a)+", "+auth.EncodeKey(b))
	keys, err := auth.KeysFromEnv()
	if err != nil || len(keys) != 2 || string(keys[0]) != string(a) || string(keys[1]) != string(b) {
		t.Fatalf("KeysFromEnv = %d keys, %v", len(keys), err)
	}
	if k, err := auth.KeyFromEnv(); err != nil || string(k) != string(a) {
		t.Errorf("KeyFromEnv should return the first (signing) key: %v", err)
	}
	kr, err := auth.KeyringFromEnv(nil)
	if err != nil {
		t.Fatal(err)
	}
	other := keyring(t, b, nil)
	tok, _ := other.Issue("carol", []auth.Role{auth.Admin}, time.Hour)
	if _, err := kr.Verify(tok); err != nil {
		t.Errorf("a token signed with the second key: %v", err)
	}
	signed, _ := kr.Issue("dave", []auth.Role{auth.Admin}, time.Hour)
	if _, err := keyring(t, a, nil).Verify(signed); err != nil {
		t.Errorf("the keyring does not sign with the first key: %v", err)
	}

	// A file with one key per line.
	t.Setenv("NEWSROOM_TOKEN_KEY", "")
	file := t.TempDir() + "/keys"
	if err := os.WriteFile(file, []byte(auth.EncodeKey(b)+"\n"+auth.EncodeKey(a)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NEWSROOM_TOKEN_KEY_FILE", file)
	if keys, err := auth.KeysFromEnv(); err != nil || len(keys) != 2 || string(keys[0]) != string(b) {
		t.Errorf("from file: %d keys, %v", len(keys), err)
	}

	for _, bad := range []string{" , ", auth.EncodeKey(a) + ",not base64!"} {
		t.Setenv("NEWSROOM_TOKEN_KEY", bad)
		if _, err := auth.KeysFromEnv(); err == nil || !strings.HasPrefix(err.Error(), "auth: ") {
			t.Errorf("KeysFromEnv(%q) = %v, want an auth error", bad, err)
		}
	}
}

func TestStateChanging(t *testing.T) {
	for m, want := range map[string]bool{
		"/newsroom.drafting.v1.DraftingService/CreateArticle":       true,
		"/newsroom.review.v1.ReviewService/ApproveFlag":             true,
		"/newsroom.publishing.v1.PublishingService/Unpublish":       true,
		"/newsroom.drafting.v1.DraftingService/GetArticle":          false,
		"/newsroom.drafting.v1.DraftingService/ListRevisions":       false,
		"/newsroom.review.v1.ReviewService/CheckText":               false,
		"/newsroom.audit.v1.AuditService/ListAuditRecords":          false,
		"/newsroom.review.v1.ReviewService/RuleStats":               false,
		"/newsroom.review.v1.ReviewService/Reload":                  true,
		"/newsroom.linking.v1.LinkingService/SuggestRelated":        false,
		"/newsroom.linking.v1.LinkingService/PinRelated":            true,
		"/grpc.health.v1.Health/Watch":                              false,
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo": false,
	} {
		if got := auth.StateChanging(m); got != want {
			t.Errorf("StateChanging(%s) = %v, want %v", m, got, want)
		}
	}
}

func TestServiceShortName(t *testing.T) {
	for in, want := range map[string]string{
		"/newsroom.review.v1.ReviewService/ApproveFlag": "review",
		"newsroom.drafting.v1.DraftingService":          "drafting",
		"/grpc.health.v1.Health/Check":                  "grpc.health.v1.Health",
	} {
		if got := auth.ServiceShortName(in); got != want {
			t.Errorf("ServiceShortName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPolicyTable(t *testing.T) {
	table := auth.PolicyTable()
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != len(auth.Policy)+2 {
		t.Fatalf("%d lines for %d RPCs:\n%s", len(lines), len(auth.Policy), table)
	}
	want := "| publishing | `PublishingService/PublishArticle` | | | | ✓ | |"
	if !strings.Contains(table, want+"\n") {
		t.Errorf("table lacks %q:\n%s", want, table)
	}
}
