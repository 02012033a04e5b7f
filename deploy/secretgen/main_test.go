package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"golang.org/x/crypto/bcrypt"
	"newsroom.dev/internal/certgen"
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
	if err := run(secrets, false, false, []string{"nats-1", "nats-2", "nats-3"}); err != nil {
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
	// The TLS paths are absolute; point them into root, where the secrets
	// are laid out as compose mounts them (tls/ under run/secrets/).
	conf = []byte(strings.ReplaceAll(string(conf), `"/run/secrets/`, `"`+root+`/run/secrets/`))
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

	if opts.TLSConfig == nil || opts.Cluster.TLSConfig == nil {
		t.Fatal("nats.conf with the generated certificates has no client or route TLS")
	}

	// The certificates: the containers' user (not the owner) must read
	// what is mounted; the CA key is not mounted and stays private.
	tlsDir := filepath.Join(secrets, TLSDir)
	for _, f := range []string{certgen.CAFile, certgen.ServerFile, certgen.ServerKeyFile, certgen.ClientFile, certgen.ClientKeyFile} {
		if fi, err := os.Stat(filepath.Join(tlsDir, f)); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v, want mode 0644", f, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(tlsDir, certgen.CAKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("CA key: %v, want mode 0600", err)
	}
	if fi, err := os.Stat(tlsDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("tls dir: %v, want mode 0700", err)
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(tlsDir, certgen.ServerFile), filepath.Join(tlsDir, certgen.ServerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(read(t, filepath.Join(tlsDir, certgen.CAFile))))
	for _, h := range []string{"nats-1", "nats-3", "drafting", "linking", "127.0.0.1", "localhost"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: h}); err != nil {
			t.Errorf("server certificate for %s: %v", h, err)
		}
	}

	// Running again keeps every secret and certificate; -rotate replaces
	// them, but never the CA.
	before := read(t, filepath.Join(secrets, "nats_linking_password"))
	ca, server := read(t, filepath.Join(tlsDir, certgen.CAFile)), read(t, filepath.Join(tlsDir, certgen.ServerFile))
	if err := run(secrets, false, false, []string{"nats-1"}); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(secrets, "nats_linking_password")) != before {
		t.Fatal("a second run changed a secret")
	}
	if read(t, filepath.Join(tlsDir, certgen.ServerFile)) != server {
		t.Fatal("a second run changed the server certificate")
	}
	if err := run(secrets, true, false, []string{"nats-1", "nats-2", "nats-3"}); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(secrets, "nats_linking_password")) == before {
		t.Fatal("-rotate kept a secret")
	}
	if read(t, filepath.Join(tlsDir, certgen.ServerFile)) == server {
		t.Fatal("-rotate kept the server certificate")
	}
	if read(t, filepath.Join(tlsDir, certgen.CAFile)) != ca {
		t.Fatal("-rotate replaced the CA")
	}

	// -renew-certs: new certificates, the same CA and passwords.
	before = read(t, filepath.Join(secrets, "nats_linking_password"))
	server = read(t, filepath.Join(tlsDir, certgen.ServerFile))
	if err := run(secrets, false, true, []string{"nats-1", "nats-2", "nats-3"}); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(tlsDir, certgen.ServerFile)) == server {
		t.Fatal("-renew-certs kept the server certificate")
	}
	if read(t, filepath.Join(secrets, "nats_linking_password")) != before || read(t, filepath.Join(tlsDir, certgen.CAFile)) != ca {
		t.Fatal("-renew-certs changed a password or the CA")
	}
}
