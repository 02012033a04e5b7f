// Package certgen makes a private certificate authority and the
// certificates Newsroom needs to run with TLS: one server certificate for
// every gRPC service and NATS node (valid for localhost, 127.0.0.1 and the
// compose service names), usable for client authentication too (NATS
// routes, service-to-service mutual TLS, health checks), and a client
// certificate for the CLI. scripts/certs runs it.
package certgen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
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

// Options tune Generate; the zero value is the defaults.
type Options struct {
	// Hosts for the server certificate (DNS names and IP addresses);
	// DefaultHosts if empty.
	Hosts []string
	// Now is the start of validity; time.Now if zero.
	Now time.Time
}

// Generate writes a new CA, server and client certificates and keys (PEM)
// into dir, creating it. It refuses to overwrite an existing CA key, so a
// second run cannot silently replace a deployed CA.
func Generate(dir string, o Options) error {
	if len(o.Hosts) == 0 {
		o.Hosts = DefaultHosts
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, CAKeyFile)); err == nil {
		return fmt.Errorf("certgen: %s already exists; remove the directory to start over", filepath.Join(dir, CAKeyFile))
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
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
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	if err := write(dir, CAFile, CAKeyFile, caDER, caKey); err != nil {
		return err
	}

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
	if err := issue(dir, ServerFile, ServerKeyFile, server, ca, caKey); err != nil {
		return err
	}
	client := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: clientCommonID, Organization: []string{"Newsroom"}},
		NotBefore:    o.Now.Add(-time.Hour),
		NotAfter:     o.Now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return issue(dir, ClientFile, ClientKeyFile, client, ca, caKey)
}

func issue(dir, certFile, keyFile string, tmpl, ca *x509.Certificate, caKey *ecdsa.PrivateKey) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	return write(dir, certFile, keyFile, der, key)
}

func write(dir, certFile, keyFile string, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, certFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, keyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(errors.New("certgen: no randomness"))
	}
	return n
}
