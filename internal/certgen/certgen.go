// Package certgen makes a private certificate authority and the
// certificates Newsroom needs to run with TLS: one server certificate for
// every gRPC service and NATS node (valid for localhost, 127.0.0.1 and the
// compose service names), usable for client authentication too (NATS
// routes, service-to-service mutual TLS, health checks), and a client
// certificate for the CLI. scripts/certs runs Generate; deploy/gen-secrets
// runs Ensure, so the compose stack gets the same certificates.
package certgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// DefaultHosts are the names the server certificate is valid for: loopback
// and every service of docker-compose.yml.
var DefaultHosts = []string{
	"localhost", "127.0.0.1", "::1",
	"nats-1", "nats-2", "nats-3",
	"drafting", "review", "publishing", "linking",
}

// Files Generate writes into its directory.
const (
	CAFile         = "ca.pem"
	CAKeyFile      = "ca-key.pem"
	ServerFile     = "server.pem"
	ServerKeyFile  = "server-key.pem"
	ClientFile     = "client.pem"
	ClientKeyFile  = "client-key.pem"
	certValidity   = 825 * 24 * time.Hour
	caValidity     = 10 * 365 * 24 * time.Hour
	clientCommonID = "newsroom-client"
)

// RenewBefore is how long before it expires Ensure replaces a certificate.
const RenewBefore = 30 * 24 * time.Hour

// Options tune Generate and Ensure; the zero value is the defaults.
type Options struct {
	// Hosts for the server certificate (DNS names and IP addresses);
	// DefaultHosts if empty.
	Hosts []string
	// Now is the start of validity; time.Now if zero.
	Now time.Time
	// Renew makes Ensure issue new server and client certificates (and
	// keys) even if the present ones are still good: a rotation. The CA
	// is kept.
	Renew bool
	// KeyMode is the file mode of the server and client keys; 0600 if
	// zero. The compose stack needs 0644 (inside a 0700 directory),
	// because compose mounts the files as they are into containers that
	// run as another user. The CA key is always 0600.
	KeyMode fs.FileMode
}

func (o *Options) defaults() {
	if len(o.Hosts) == 0 {
		o.Hosts = DefaultHosts
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.KeyMode == 0 {
		o.KeyMode = 0o600
	}
}

// Generate writes a new CA, server and client certificates and keys (PEM)
// into dir, creating it. It refuses to overwrite an existing CA key, so a
// second run cannot silently replace a deployed CA.
func Generate(dir string, o Options) error {
	if _, err := os.Stat(filepath.Join(dir, CAKeyFile)); err == nil {
		return fmt.Errorf("certgen: %s already exists; remove the directory to start over", filepath.Join(dir, CAKeyFile))
	}
	_, err := Ensure(dir, o)
	return err
}

// Ensure makes whatever dir lacks and keeps the rest, so running it again
// is harmless: a CA if there is none (an existing CA is never replaced),
// and a server and a client certificate unless the present one is signed
// by the CA, matches its key, is valid for every host of o.Hosts (server)
// and has more than RenewBefore left; o.Renew replaces both regardless. It
// returns the names of the files it wrote.
func Ensure(dir string, o Options) (written []string, err error) {
	o.defaults()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, caKey, err := ensureCA(dir, o, &written)
	if err != nil {
		return written, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	leaves := []struct {
		cert, key string
		tmpl      func() *x509.Certificate
		hosts     []string
	}{
		{ServerFile, ServerKeyFile, func() *x509.Certificate { return serverTemplate(o) }, o.Hosts},
		{ClientFile, ClientKeyFile, func() *x509.Certificate { return clientTemplate(o) }, nil},
	}
	for _, l := range leaves {
		if !o.Renew && current(dir, l.cert, l.key, pool, l.hosts, o.Now) {
			if err := os.Chmod(filepath.Join(dir, l.key), o.KeyMode); err != nil {
				return written, err
			}
			continue
		}
		if caKey == nil {
			return written, fmt.Errorf("certgen: %s must be (re)issued but %s is missing", l.cert, filepath.Join(dir, CAKeyFile))
		}
		if err := issue(dir, l.cert, l.key, o.KeyMode, l.tmpl(), ca, caKey); err != nil {
			return written, err
		}
		written = append(written, l.cert, l.key)
	}
	return written, nil
}

// ensureCA loads the CA of dir, or makes one if dir has neither its
// certificate nor its key. The key may be missing (kept offline) as long
// as nothing needs issuing; then caKey is nil.
func ensureCA(dir string, o Options, written *[]string) (*x509.Certificate, crypto.Signer, error) {
	certPEM, certErr := os.ReadFile(filepath.Join(dir, CAFile))
	keyPEM, keyErr := os.ReadFile(filepath.Join(dir, CAKeyFile))
	switch {
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
		return newCA(dir, o, written)
	case certErr != nil:
		return nil, nil, fmt.Errorf("certgen: CA: %w", certErr)
	}
	ca, err := parseCert(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("certgen: %s: %w", CAFile, err)
	}
	if keyErr != nil {
		if errors.Is(keyErr, fs.ErrNotExist) {
			return ca, nil, nil
		}
		return nil, nil, fmt.Errorf("certgen: CA key: %w", keyErr)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("certgen: %s and %s do not match: %w", CAFile, CAKeyFile, err)
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("certgen: %s cannot sign", CAKeyFile)
	}
	return ca, signer, nil
}

func newCA(dir string, o Options, written *[]string) (*x509.Certificate, crypto.Signer, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Newsroom private CA", Organization: []string{"Newsroom"}},
		NotBefore:             o.Now.Add(-time.Hour),
		NotAfter:              o.Now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, err
	}
	if err := write(dir, CAFile, CAKeyFile, 0o600, caDER, caKey); err != nil {
		return nil, nil, err
	}
	*written = append(*written, CAFile, CAKeyFile)
	return ca, caKey, nil
}

func serverTemplate(o Options) *x509.Certificate {
	server := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: o.Hosts[0], Organization: []string{"Newsroom"}},
		NotBefore:    o.Now.Add(-time.Hour),
		NotAfter:     o.Now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		// Servers also authenticate as clients: NATS routes between nodes,
		// services calling each other under mutual TLS, health checks.
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range o.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			server.IPAddresses = append(server.IPAddresses, ip)
		} else {
			server.DNSNames = append(server.DNSNames, h)
		}
	}
	return server
}

func clientTemplate(o Options) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: clientCommonID, Organization: []string{"Newsroom"}},
		NotBefore:    o.Now.Add(-time.Hour),
		NotAfter:     o.Now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// current reports whether the certificate in certFile is usable as it is:
// it matches keyFile, chains to the CA in pool, is valid for every host and
// does not expire within RenewBefore.
func current(dir, certFile, keyFile string, pool *x509.CertPool, hosts []string, now time.Time) bool {
	certPEM, err := os.ReadFile(filepath.Join(dir, certFile))
	if err != nil {
		return false
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, keyFile))
	if err != nil {
		return false
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return false
	}
	cert, err := parseCert(certPEM)
	if err != nil || now.Add(RenewBefore).After(cert.NotAfter) {
		return false
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return false
	}
	for _, h := range hosts {
		if cert.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func parseCert(b []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

func issue(dir, certFile, keyFile string, keyMode fs.FileMode, tmpl, ca *x509.Certificate, caKey crypto.Signer) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	return write(dir, certFile, keyFile, keyMode, der, key)
}

// write replaces the certificate and its key, each atomically (a rename),
// the key first so a reader never pairs a new certificate with an old key
// for longer than the two renames.
func write(dir, certFile, keyFile string, keyMode fs.FileMode, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := replace(filepath.Join(dir, keyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), keyMode); err != nil {
		return err
	}
	return replace(filepath.Join(dir, certFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func replace(path string, b []byte, mode fs.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return err
	}
	// WriteFile's mode is filtered by the umask; the mode is the point.
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(errors.New("certgen: no randomness"))
	}
	return n
}
