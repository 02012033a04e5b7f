package securitytest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	auditv1 "newsroom.dev/gen/newsroom/audit/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/internal/certgen"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/service"
	"newsroom.dev/platform/testutil"
)

// certs makes a private CA and certificates the way scripts/certs does.
func certs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := certgen.Generate(dir, certgen.Options{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func clientTLS(t *testing.T, dir string, withCA, withCert bool) *tls.Config {
	t.Helper()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if withCA {
		pem, err := os.ReadFile(filepath.Join(dir, certgen.CAFile))
		if err != nil {
			t.Fatal(err)
		}
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AppendCertsFromPEM(pem)
	}
	if withCert {
		c, err := tls.LoadX509KeyPair(filepath.Join(dir, certgen.ClientFile), filepath.Join(dir, certgen.ClientKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg
}

// startTLSNATS runs JetStream that accepts only TLS clients presenting a
// certificate from the CA.
func startTLSNATS(t *testing.T, dir string) *server.Server {
	t.Helper()
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{
		CertFile: filepath.Join(dir, certgen.ServerFile), KeyFile: filepath.Join(dir, certgen.ServerKeyFile),
		CaFile: filepath.Join(dir, certgen.CAFile), Verify: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: "tls-test", Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		NoSigs: true, NoLog: true, MaxPayload: 8 << 20,
		TLS: true, TLSVerify: true, TLSConfig: tc, TLSTimeout: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv
}

// The whole newsroom with TLS on everywhere, configured the way
// service.Main reads it: the services reach NATS over mutual TLS
// (NEWSROOM_NATS_CA/CERT/KEY) and serve gRPC over TLS
// (NEWSROOM_TLS_CERT/KEY, and NEWSROOM_TLS_CLIENT_CA for mutual TLS). A
// client with the CA (and, under mutual TLS, a certificate) works; one
// without the CA, without a certificate, or in plaintext is refused.
func TestTLSEndToEnd(t *testing.T) {
	dir := certs(t)
	ns := startTLSNATS(t, dir)
	url := strings.Replace(ns.ClientURL(), "nats://", "tls://", 1)

	// NATS: without the CA the server is not trusted; without a client
	// certificate it refuses us.
	if nc, err := nats.Connect(url, nats.Timeout(3*time.Second)); err == nil {
		nc.Close()
		t.Fatal("connected to NATS without the CA")
	}
	if nc, err := nats.Connect(url, nats.RootCAs(filepath.Join(dir, certgen.CAFile)), nats.Timeout(3*time.Second)); err == nil {
		nc.Close()
		t.Fatal("connected to NATS without a client certificate")
	}
	t.Setenv("NEWSROOM_NATS_CA", filepath.Join(dir, certgen.CAFile))
	t.Setenv("NEWSROOM_NATS_CERT", filepath.Join(dir, certgen.ServerFile))
	t.Setenv("NEWSROOM_NATS_KEY", filepath.Join(dir, certgen.ServerKeyFile))
	nopts, err := service.NATSOptionsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	nc, err := natsx.Connect(url, "tls-test", testutil.Logger(), append(nopts, nats.RetryOnFailedConnect(false))...)
	if err != nil {
		t.Fatalf("connecting with NEWSROOM_NATS_*: %v", err)
	}
	t.Cleanup(nc.Close)
	if !nc.TLSRequired() {
		t.Error("the NATS connection is not TLS")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}

	for _, mutual := range []bool{false, true} {
		name := "server TLS"
		if mutual {
			name = "mutual TLS"
		}
		t.Run(name, func(t *testing.T) {
			t.Setenv("NEWSROOM_TLS_CERT", filepath.Join(dir, certgen.ServerFile))
			t.Setenv("NEWSROOM_TLS_KEY", filepath.Join(dir, certgen.ServerKeyFile))
			t.Setenv("NEWSROOM_TLS_CLIENT_CA", "")
			if mutual {
				t.Setenv("NEWSROOM_TLS_CLIENT_CA", filepath.Join(dir, certgen.CAFile))
			}
			cfg, err := service.TLSFromEnv()
			if err != nil || cfg == nil {
				t.Fatalf("TLSFromEnv: %v, %v", cfg, err)
			}
			keys := testutil.Keys(t)
			d := service.Deps{NC: nc, JS: js, Replicas: 1, Log: testutil.Logger(), Clock: clock.Real{}, Keys: keys}
			s := serveSystem(t, d, grpc.Creds(credentials.NewTLS(cfg)))
			writer := testutil.As(testutil.Token(t, keys, "wanda", auth.Writer))
			admin := testutil.As(testutil.Token(t, keys, "ada", auth.Admin))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			good := s.dial(t, clientTLS(t, dir, true, mutual))
			resp, err := draftingv1.NewDraftingServiceClient(good).CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: hedged()}, writer)
			if err != nil {
				t.Fatalf("with the CA: %v", err)
			}
			// The call went through NATS over TLS too: it is in the audit
			// trail.
			testutil.Eventually(t, wait, "the create in the audit trail", func() bool {
				r, err := auditv1.NewAuditServiceClient(good).ListAuditRecords(ctx, &auditv1.ListAuditRecordsRequest{ArticleId: resp.GetArticle().GetId()}, admin)
				return err == nil && len(r.GetRecords()) == 1 && r.GetRecords()[0].GetSubject() == "wanda"
			})

			refused := map[string]*grpc.ClientConn{
				"without the CA": s.dial(t, clientTLS(t, dir, false, mutual)),
				"in plaintext":   s.dial(t, nil),
			}
			if mutual {
				refused["without a client certificate"] = s.dial(t, clientTLS(t, dir, true, false))
			}
			for what, conn := range refused {
				cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
				_, err := draftingv1.NewDraftingServiceClient(conn).ListArticles(cctx, &draftingv1.ListArticlesRequest{}, writer)
				ccancel()
				if c := status.Code(err); c != codes.Unavailable && c != codes.DeadlineExceeded {
					t.Errorf("%s: %v, want the connection refused", what, err)
				}
			}
		})
	}
}

// scripts/certs (certgen) refuses to overwrite a CA, and makes a server
// certificate for every compose name and loopback.
func TestCertgen(t *testing.T) {
	dir := certs(t)
	if err := certgen.Generate(dir, certgen.Options{}); err == nil {
		t.Error("a second run overwrote the CA")
	}
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(filepath.Join(dir, certgen.CAFile))
	pool.AppendCertsFromPEM(pem)
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, certgen.ServerFile), filepath.Join(dir, certgen.ServerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range certgen.DefaultHosts {
		for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: h, Roots: pool, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
				t.Errorf("server certificate for %s (%v): %v", h, usage, err)
			}
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "evil.example", Roots: pool}); err == nil {
		t.Error("the server certificate is valid for evil.example")
	}
	for _, f := range []string{certgen.CAKeyFile, certgen.ServerKeyFile, certgen.ClientKeyFile} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is readable by others: %v", f, st.Mode())
		}
	}
}
