package certgen

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func read(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verifies checks that the pair in dir chains to dir's CA for usage and,
// if host is set, is valid for it.
func verifies(t *testing.T, dir, cert, key, host string, usage x509.ExtKeyUsage) {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, cert), filepath.Join(dir, key))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(read(t, dir, CAFile))
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: host, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		t.Fatalf("%s: %v", cert, err)
	}
}

func mode(t *testing.T, dir, name string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestGenerateRefusesAnExistingCA(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	verifies(t, dir, ServerFile, ServerKeyFile, "nats-2", x509.ExtKeyUsageServerAuth)
	verifies(t, dir, ServerFile, ServerKeyFile, "", x509.ExtKeyUsageClientAuth)
	verifies(t, dir, ClientFile, ClientKeyFile, "", x509.ExtKeyUsageClientAuth)
	for _, k := range []string{CAKeyFile, ServerKeyFile, ClientKeyFile} {
		if m := mode(t, dir, k); m != 0o600 {
			t.Errorf("%s mode %v, want 0600", k, m)
		}
	}
	ca := read(t, dir, CAKeyFile)
	if err := Generate(dir, Options{}); err == nil {
		t.Fatal("Generate replaced an existing CA")
	}
	if !bytes.Equal(ca, read(t, dir, CAKeyFile)) {
		t.Fatal("the CA key changed")
	}
}

// Ensure is what deploy/gen-secrets runs every time: it must keep what is
// good, fill in what is missing from the same CA, and never replace the CA.
func TestEnsureKeepsTheCAAndReissuesOnlyWhatIsNeeded(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	w, err := Ensure(dir, Options{KeyMode: 0o644, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 6 {
		t.Fatalf("first run wrote %v, want all six files", w)
	}
	if m := mode(t, dir, ServerKeyFile); m != 0o644 {
		t.Errorf("server key mode %v, want the KeyMode 0644", m)
	}
	if m := mode(t, dir, CAKeyFile); m != 0o600 {
		t.Errorf("CA key mode %v, want 0600 whatever KeyMode says", m)
	}
	ca, server, client := read(t, dir, CAFile), read(t, dir, ServerFile), read(t, dir, ClientFile)

	// Again: nothing to do.
	if w, err := Ensure(dir, Options{KeyMode: 0o644, Now: now}); err != nil || len(w) != 0 {
		t.Fatalf("second run wrote %v (%v), want nothing", w, err)
	}
	if !bytes.Equal(server, read(t, dir, ServerFile)) {
		t.Fatal("second run changed the server certificate")
	}

	// A missing server key: the server pair is reissued from the same CA.
	if err := os.Remove(filepath.Join(dir, ServerKeyFile)); err != nil {
		t.Fatal(err)
	}
	w, err = Ensure(dir, Options{KeyMode: 0o644, Now: now})
	if err != nil || !slices.Equal(w, []string{ServerFile, ServerKeyFile}) {
		t.Fatalf("after removing the server key wrote %v (%v)", w, err)
	}
	verifies(t, dir, ServerFile, ServerKeyFile, "drafting", x509.ExtKeyUsageServerAuth)
	if !bytes.Equal(client, read(t, dir, ClientFile)) {
		t.Fatal("the client certificate was reissued though it was good")
	}

	// A new host: the server certificate must cover it.
	w, err = Ensure(dir, Options{KeyMode: 0o644, Now: now, Hosts: append(slices.Clone(DefaultHosts), "desk.example.org")})
	if err != nil || !slices.Equal(w, []string{ServerFile, ServerKeyFile}) {
		t.Fatalf("with a new host wrote %v (%v)", w, err)
	}
	verifies(t, dir, ServerFile, ServerKeyFile, "desk.example.org", x509.ExtKeyUsageServerAuth)

	// Close to expiry: renewed.
	later := now.Add(certValidity - RenewBefore/2)
	if w, err := Ensure(dir, Options{KeyMode: 0o644, Now: later, Hosts: []string{"desk.example.org"}}); err != nil || len(w) != 4 {
		t.Fatalf("near expiry wrote %v (%v), want both pairs", w, err)
	}

	// Renew: both pairs replaced, the CA kept.
	server = read(t, dir, ServerFile)
	if w, err := Ensure(dir, Options{KeyMode: 0o644, Renew: true}); err != nil || len(w) != 4 {
		t.Fatalf("Renew wrote %v (%v), want both pairs", w, err)
	}
	if bytes.Equal(server, read(t, dir, ServerFile)) {
		t.Fatal("Renew kept the server certificate")
	}
	if !bytes.Equal(ca, read(t, dir, CAFile)) {
		t.Fatal("the CA changed")
	}
	verifies(t, dir, ClientFile, ClientKeyFile, "", x509.ExtKeyUsageClientAuth)

	// With the CA key offline, good certificates are kept, and one that
	// needs issuing is an error rather than a new CA.
	if err := os.Remove(filepath.Join(dir, CAKeyFile)); err != nil {
		t.Fatal(err)
	}
	if w, err := Ensure(dir, Options{KeyMode: 0o644}); err != nil || len(w) != 0 {
		t.Fatalf("without the CA key wrote %v (%v), want nothing", w, err)
	}
	if _, err := Ensure(dir, Options{Renew: true}); err == nil {
		t.Fatal("Renew without the CA key succeeded")
	}
	if !bytes.Equal(ca, read(t, dir, CAFile)) {
		t.Fatal("the CA changed")
	}
}

// A certificate from another CA (say the CA was replaced by hand) is not
// current: Ensure reissues it from the CA in the directory.
func TestEnsureReplacesCertificatesOfAnotherCA(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := Generate(a, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Generate(b, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ServerFile, ServerKeyFile} {
		if err := os.WriteFile(filepath.Join(a, f), read(t, b, f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w, err := Ensure(a, Options{})
	if err != nil || !slices.Equal(w, []string{ServerFile, ServerKeyFile}) {
		t.Fatalf("wrote %v (%v)", w, err)
	}
	verifies(t, a, ServerFile, ServerKeyFile, "localhost", x509.ExtKeyUsageServerAuth)
}
