package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"golang.org/x/crypto/bcrypt"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestSecretsWorkWithNATSConf generates the secrets and loads
// deploy/nats/nats.conf with them as the image does: every user's password
// file must match its hash, and the routes must carry the route password.
func TestSecretsWorkWithNATSConf(t *testing.T) {
	root := t.TempDir()
	secrets := filepath.Join(root, "run", "secrets")
	if err := run(secrets, false, []string{"nats-1", "nats-2", "nats-3"}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(secrets); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("secrets dir: %v %v, want mode 0700", fi.Mode(), err)
	}
	key, err := base64.RawURLEncoding.DecodeString(read(t, filepath.Join(secrets, "token_key")))
	if err != nil || len(key) != 32 {
		t.Fatalf("token_key: %d bytes, %v", len(key), err)
	}

	conf, err := os.ReadFile("../nats/nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "etc", "nats"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "nats", "nats.conf"), conf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NATS_SERVER_NAME", "nats-1")
	opts, err := server.ProcessConfigFile(filepath.Join(root, "etc", "nats", "nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, u := range opts.Users {
		pw := read(t, filepath.Join(secrets, "nats_"+u.Username+"_password"))
		if !strings.HasPrefix(u.Password, "$2a$") {
			t.Errorf("user %s: password in the config is not a bcrypt hash", u.Username)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(u.Password), []byte(pw)); err != nil {
			t.Errorf("user %s: password file does not match its hash: %v", u.Username, err)
		}
		seen++
	}
	if seen != len(users) {
		t.Errorf("nats.conf has %d users, secretgen makes passwords for %d", seen, len(users))
	}
	route := read(t, filepath.Join(secrets, "nats_route_password"))
	if opts.Cluster.Password != route || len(opts.Routes) != 3 {
		t.Fatalf("cluster password/routes not from the secrets: %d routes", len(opts.Routes))
	}
	for _, r := range opts.Routes {
		if p, _ := r.User.Password(); p != route || r.User.Username() != "route" {
			t.Errorf("route %s lacks the route credentials", r.Host)
		}
	}

	// Running again keeps every secret; -rotate replaces them.
	before := read(t, filepath.Join(secrets, "nats_linking_password"))
	if err := run(secrets, false, []string{"nats-1"}); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(secrets, "nats_linking_password")) != before {
		t.Fatal("a second run changed a secret")
	}
	if err := run(secrets, true, []string{"nats-1", "nats-2", "nats-3"}); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(secrets, "nats_linking_password")) == before {
		t.Fatal("-rotate kept a secret")
	}
}
