// Package testutil starts the real things tests need: an embedded
// nats-server with JetStream in a temp dir, a gRPC server on a loopback
// port with Newsroom's interceptors, and signed tokens for each role.
package testutil

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/service"
)

// NATS is an embedded JetStream server and a connection to it.
type NATS struct {
	Server *server.Server
	NC     *nats.Conn
	JS     jetstream.JetStream
	Dir    string
}

// StartNATS runs an embedded JetStream server for the test. Pass a dir to
// reuse a store across a restart; "" makes a fresh temp dir.
func StartNATS(t testing.TB, dir string) *NATS {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := natsx.RunEmbedded(natsx.EmbeddedConfig{StoreDir: dir, Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	js := Connect(t, s.ClientURL())
	n := &NATS{Server: s, NC: js.Conn(), JS: js, Dir: dir}
	t.Cleanup(n.Stop)
	return n
}

// Stop closes the connection and shuts the server down; safe to call twice.
func (n *NATS) Stop() {
	if n.NC != nil {
		n.NC.Close()
	}
	if n.Server != nil {
		n.Server.Shutdown()
		n.Server.WaitForShutdown()
	}
}

// Connect connects to the server at url for the test.
func Connect(t testing.TB, url string, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// StartCluster runs n embedded JetStream servers clustered over loopback
// routes: replicated streams with a leader and followers, as on the
// compose cluster, in the test's own process. It returns the servers;
// they are shut down when the test ends.
func StartCluster(t testing.TB, n int) []*server.Server {
	t.Helper()
	// Each server's routes name every server, so the route ports are
	// picked before any starts.
	routes := make([]string, n)
	ports := make([]int, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", ports[i])
		l.Close()
	}
	servers := make([]*server.Server, n)
	for i := range n {
		s, err := server.NewServer(&server.Options{
			ServerName: fmt.Sprintf("test-%d", i+1),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: "newsroom-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		})
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		servers[i] = s
		t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	}
	for _, s := range servers {
		if !s.ReadyForConnections(30 * time.Second) {
			t.Fatalf("clustered server %s not ready", s.Name())
		}
	}
	// Until JetStream's meta group has a leader, requests to create a
	// stream wait out their timeout; until it has heard from every
	// server, an R3 stream finds "no suitable peers for placement".
	Eventually(t, 30*time.Second, "a JetStream meta leader that knows every server", func() bool {
		for _, s := range servers {
			if s.JetStreamIsLeader() {
				return len(s.JetStreamClusterPeers()) == n
			}
		}
		return false
	})
	return servers
}

// Logger is a logger that writes only when NEWSROOM_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("NEWSROOM_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// Keys returns a keyring with a fresh random key.
func Keys(t testing.TB) *auth.Keyring {
	t.Helper()
	k, err := auth.NewKeyring(auth.NewKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Token issues a one-hour token for subject with roles.
func Token(t testing.TB, keys *auth.Keyring, subject string, roles ...auth.Role) string {
	t.Helper()
	tok, err := keys.Issue(subject, roles, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// As is a call option that sends token as the caller's bearer token.
func As(token string) grpc.CallOption { return grpc.PerRPCCredentials(auth.Bearer(token)) }

// Deps returns service dependencies on n.
func Deps(n *NATS, keys *auth.Keyring, clk clock.Clock) service.Deps {
	if clk == nil {
		clk = clock.Real{}
	}
	return service.Deps{NC: n.NC, JS: n.JS, Replicas: 1, Log: Logger(), Clock: clk, Keys: keys}
}

// Serve runs svcs on one gRPC server on a loopback port and their Run loops,
// until the test ends, and returns a client connection to it.
func Serve(t testing.TB, keys *auth.Keyring, svcs ...service.Service) *grpc.ClientConn {
	t.Helper()
	srv := grpcx.NewServer(keys, Logger())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, len(svcs))
	for _, s := range svcs {
		s.Register(srv.GRPC)
		go func() { _ = s.Run(ctx); done <- struct{}{} }()
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	srv.SetServing()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		for range svcs {
			<-done
		}
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		srv.Stop(sctx)
	})
	return conn
}

// Eventually polls cond every 20ms until it is true or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Drained waits until the durable consumer on stream has handled every
// event that matches its filter and is in the stream when Drained is
// called: nothing pending, unacked or being redelivered, and its ack floor
// at the last of those events. The counts alone are not enough: a
// consumer the server has only just created can report nothing pending
// before it has counted the stream (seen under load, with not one event
// delivered yet).
func Drained(t testing.TB, js jetstream.JetStream, stream, durable string, timeout time.Duration) *jetstream.ConsumerInfo {
	t.Helper()
	ctx := context.Background()
	var (
		c    jetstream.Consumer
		info *jetstream.ConsumerInfo
		last uint64
	)
	Eventually(t, timeout, durable+" to exist", func() bool {
		var err error
		c, err = js.Consumer(ctx, stream, durable)
		return err == nil
	})
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	filters := c.CachedInfo().Config.FilterSubjects
	if f := c.CachedInfo().Config.FilterSubject; f != "" {
		filters = append(filters, f)
	}
	if len(filters) == 0 {
		filters = []string{">"}
	}
	for _, f := range filters {
		m, err := st.GetLastMsgForSubject(ctx, f)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		last = max(last, m.Sequence)
	}
	Eventually(t, timeout, durable+" to drain "+stream, func() bool {
		info, err = c.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0 &&
			info.AckFloor.Stream >= last
	})
	return info
}
