package natsconf

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"newsroom.dev/internal/certgen"
)

// start runs a nats-server from opts (a loaded nats.conf) on free loopback
// ports, its cluster listening too, with routes to the given URLs.
func start(t *testing.T, opts *server.Options, name string, routes ...*url.URL) *server.Server {
	t.Helper()
	opts.ServerName = name
	opts.Host, opts.Port = "127.0.0.1", -1
	opts.HTTPHost, opts.HTTPPort = "", 0
	opts.Cluster.Host, opts.Cluster.Port = "127.0.0.1", -1
	opts.Routes = routes
	opts.JetStream = false
	opts.NoLog, opts.NoSigs = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatalf("%s not ready", name)
	}
	return ns
}

// routeTo is the URL another node uses to open a route to ns, with the
// route credentials of opts.
func routeTo(t *testing.T, ns *server.Server, opts *server.Options) *url.URL {
	t.Helper()
	addr := ns.ClusterAddr()
	if addr == nil {
		t.Fatal("no cluster listener")
	}
	return &url.URL{Scheme: "nats-route", User: url.UserPassword(opts.Cluster.Username, opts.Cluster.Password), Host: addr.String()}
}

func waitRoutes(t *testing.T, ns *server.Server, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for ns.NumRoutes() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d routes, want %d", ns.Name(), ns.NumRoutes(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The compose nats.conf with the certificates deploy/gen-secrets makes:
// clients must use TLS and verify the server with the CA (a plaintext
// client and one without the CA are refused; one with the CA still needs
// its password), and routes are mutual TLS, so a node whose certificate
// another CA signed cannot join even with the route password.
func TestTLSRequired(t *testing.T) {
	opts, certs := loadTLS(t)
	if opts.TLSConfig == nil || opts.TLSVerify || opts.TLSConfig.ClientAuth != tls.NoClientCert {
		t.Fatalf("client TLS %v, verify %v: want TLS without client certificates", opts.TLSConfig != nil, opts.TLSVerify)
	}
	if opts.Cluster.TLSConfig == nil || opts.Cluster.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Fatal("routes are not mutual TLS (cluster tls with verify: true)")
	}
	ca := filepath.Join(certs, certgen.CAFile)
	a := start(t, opts, "nats-a")
	addr := a.ClientURL() // tls://127.0.0.1:port
	u, err := url.Parse(addr)
	if err != nil {
		t.Fatal(err)
	}

	// A plaintext client (nats.go would upgrade on its own, so speak the
	// protocol by hand): the server announces TLS and drops the plaintext
	// CONNECT instead of answering the PING.
	raw, err := net.DialTimeout("tcp", u.Host, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = raw.SetDeadline(time.Now().Add(5 * time.Second))
	info, err := bufio.NewReader(raw).ReadString('\n')
	if err != nil || !strings.Contains(info, `"tls_required":true`) {
		t.Fatalf("INFO %q (%v): want tls_required", info, err)
	}
	_, _ = raw.Write([]byte("CONNECT {\"user\":\"ops\",\"pass\":\"e\",\"verbose\":false}\r\nPING\r\n"))
	reply, _ := io.ReadAll(raw)
	raw.Close()
	if strings.Contains(string(reply), "PONG") {
		t.Fatalf("the server answered a plaintext client: %q", reply)
	}
	if nc, err := nats.Connect(addr, nats.UserInfo("ops", "e"), nats.Timeout(3*time.Second)); err == nil {
		nc.Close()
		t.Fatal("a client without the CA connected")
	} else if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("client without the CA: %v, want a certificate error", err)
	}
	if nc, err := nats.Connect(addr, nats.UserInfo("ops", "wrong"), nats.RootCAs(ca), nats.Timeout(3*time.Second)); err == nil {
		nc.Close()
		t.Fatal("TLS with a wrong password connected")
	}
	nc, err := nats.Connect("nats://"+u.Host, nats.UserInfo("ops", "e"), nats.RootCAs(ca), nats.Timeout(3*time.Second))
	if err != nil {
		t.Fatalf("client with the CA and password: %v", err)
	}
	if !nc.TLSRequired() {
		t.Error("connection does not report TLS")
	}
	if err := nc.Publish("x", []byte("y")); err != nil || nc.Flush() != nil {
		t.Fatalf("publishing over TLS: %v", err)
	}
	nc.Close()

	// A second node from the same secrets routes to the first over TLS.
	optsB, _ := loadTLSFrom(t, certs)
	b := start(t, optsB, "nats-b", routeTo(t, a, opts))
	waitRoutes(t, a, 1)
	waitRoutes(t, b, 1)

	// A node with the route password but another CA's certificate does
	// not: a refuses its certificate. It keeps trying; after it has had
	// several chances, a still has only b.
	rogue, _ := loadTLS(t)
	if rogue.Cluster.Password != opts.Cluster.Password {
		t.Fatal("the rogue node should know the route password")
	}
	r := start(t, rogue, "nats-rogue", routeTo(t, a, opts))
	time.Sleep(3 * time.Second)
	rz, err := a.Routez(nil)
	if err != nil {
		t.Fatal(err)
	}
	toB := false
	for _, ri := range rz.Routes {
		if ri.RemoteID == r.ID() {
			t.Fatalf("a rogue node with another CA's certificate routed to a (%+v)", ri)
		}
		toB = toB || ri.RemoteID == b.ID()
	}
	if !toB {
		t.Fatal("a's routes do not list b")
	}
	if r.NumRoutes() != 0 {
		t.Fatalf("the rogue node has %d routes", r.NumRoutes())
	}
}

// loadTLSFrom is loadTLS with the certificates of dir (another node of
// the same deployment) copied in place of fresh ones.
func loadTLSFrom(t *testing.T, dir string) (*server.Options, string) {
	t.Helper()
	_, certs := loadTLS(t)
	for _, f := range []string{certgen.CAFile, certgen.CAKeyFile, certgen.ServerFile, certgen.ServerKeyFile} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(certs, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	opts, err := server.ProcessConfigFile(filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(certs))), "etc/nats/nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	return opts, certs
}
