package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/metrics"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/service"
	"newsroom.dev/platform/tracing"
	"newsroom.dev/services/drafting"
	"newsroom.dev/services/linking"
	"newsroom.dev/services/publishing"
	"newsroom.dev/services/review"
	"newsroom.dev/services/review/desk"
)

func init() {
	register("dev", spec{"data-dir": true, "grpc-addr": true, "http-addr": true, "nats-addr": true, "log-level": true, "tls-cert": true, "tls-key": true, "metrics-addr": true, "desk-addr": true, "pprof": false}, dev)
}

// devGCHeadroom is how much the heap of `newsroom dev` may grow between
// collections (service.TuneGC).
const devGCHeadroom = 256 << 20

// devTokenTTL is long because dev tokens are rewritten at every start.
const devTokenTTL = 30 * 24 * time.Hour

// dev runs the whole newsroom in one process: an embedded nats-server with
// JetStream storing under --data-dir, all four services on one gRPC
// address, and the public site. Stopping and starting with the same data
// dir keeps everything.
func dev(a *args, out io.Writer) error {
	const u = "dev [--data-dir DIR] [--grpc-addr HOST:PORT] [--http-addr HOST:PORT] [--desk-addr HOST:PORT] [--metrics-addr HOST:PORT] [--pprof] [--tls-cert F --tls-key F]"
	if err := a.need(0, u); err != nil {
		return err
	}
	tlsOpts, err := devTLS(a)
	if err != nil {
		return err
	}
	dir := a.str("data-dir", "NEWSROOM_DATA_DIR", "newsroom-data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.str("log-level", "NEWSROOM_LOG_LEVEL", "warn"))); err != nil {
		return usageError("dev --log-level debug|info|warn|error")
	}
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// Four services and JetStream in one process allocate fast on a small
	// live heap: collect less often (GOGC unset only).
	service.TuneGC(ctx, devGCHeadroom)

	// Traces (exported only with OTEL_EXPORTER_OTLP_ENDPOINT) and /metrics
	// (plus /debug/pprof/ with --pprof or NEWSROOM_PPROF); a busy metrics
	// port only warns.
	shutdownTracing, err := tracing.Setup(ctx, "newsroom-dev")
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTracing(context.Background()) }()
	metricsAddr := a.str("metrics-addr", "NEWSROOM_METRICS_ADDR", "127.0.0.1:9100")
	if metricsAddr == "off" {
		metricsAddr = ""
	}
	withPprof := a.flag("pprof") || os.Getenv("NEWSROOM_PPROF") != ""
	if withPprof {
		// What waits, not only what runs: a pipeline that is not CPU-bound
		// shows where it queues in /debug/pprof/mutex and /block (set once
		// the embedded server runs: its start resets the block rate).
		// Sampled, so the cost stays small: one contention in 100, a
		// blocking event of 1 ms or more always, shorter ones in proportion.
		runtime.SetMutexProfileFraction(100)
	}
	metricsAddr = metrics.Serve(ctx, metricsAddr, metrics.Mux(withPprof), log)

	key, err := devKey(filepath.Join(dir, "token.key"))
	if err != nil {
		return err
	}
	keys, err := auth.NewKeyring(key, nil)
	if err != nil {
		return err
	}

	natsHost, natsPort, err := splitPort(a.str("nats-addr", "", "127.0.0.1:0"))
	if err != nil {
		return err
	}
	ns, err := natsx.RunEmbedded(natsx.EmbeddedConfig{StoreDir: filepath.Join(dir, "nats"), Host: natsHost, Port: natsPort})
	if err != nil {
		return err
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if withPprof {
		runtime.SetBlockProfileRate(int(time.Millisecond))
	}
	// A NATS connection per service, as each has when it runs alone. A
	// connection is one lock in the client, which every publish, request
	// and reply takes, and one reader and one writer at each end: with the
	// four services and all their consumers on one, they queued there.
	// Each connects in process (natsx.InProcess), without a socket; the
	// server still listens for the CLI, the bench and other tools.
	var conns []*nats.Conn
	defer func() {
		for _, nc := range conns {
			nc.Close()
		}
	}()
	depsFor := func(name string) (service.Deps, error) {
		nc, err := natsx.Connect(ns.ClientURL(), "newsroom-dev-"+name, log, natsx.InProcess(ns))
		if err != nil {
			return service.Deps{}, err
		}
		conns = append(conns, nc)
		js, err := jetstream.New(nc)
		if err != nil {
			return service.Deps{}, err
		}
		return service.Deps{NC: nc, JS: js, Replicas: 1, Log: log, Clock: clock.Real{}, Keys: keys}, nil
	}
	deps, err := depsFor("server")
	if err != nil {
		return err
	}

	grpcLis, err := net.Listen("tcp", a.str("grpc-addr", "", DefaultAddr))
	if err != nil {
		return err
	}
	httpLis, err := net.Listen("tcp", a.str("http-addr", "", "127.0.0.1:8080"))
	if err != nil {
		grpcLis.Close()
		return err
	}
	baseURL := "http://" + httpLis.Addr().String()
	deskLis, err := net.Listen("tcp", a.str("desk-addr", "NEWSROOM_DESK_ADDR", desk.DefaultAddr))
	if err != nil {
		grpcLis.Close()
		httpLis.Close()
		return err
	}
	defer deskLis.Close()

	svcs, web, err := buildAll(ctx, depsFor, baseURL)
	if err != nil {
		grpcLis.Close()
		httpLis.Close()
		return err
	}

	// One server for the four services, with the audit trail and the
	// AuditService; plaintext on loopback unless --tls-cert is given.
	srv, auditor, err := service.NewServer(ctx, deps, tlsOpts...)
	if err != nil {
		grpcLis.Close()
		httpLis.Close()
		return err
	}
	names := []string{auditor.Name()}
	for _, s := range svcs {
		s.Register(srv.GRPC)
		names = append(names, s.Name())
	}
	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	var wg sync.WaitGroup
	errc := make(chan error, len(svcs)+3)
	for _, s := range svcs {
		wg.Go(func() {
			if err := s.Run(runCtx); err != nil {
				errc <- fmt.Errorf("%s: %w", s.Name(), err)
			}
		})
	}
	go func() { errc <- srv.Serve(grpcLis) }()
	hs := &http.Server{Handler: web.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(httpLis); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	srv.SetServing(names...)

	// The desk calls the services over gRPC with each user's own token.
	g := grpcLis.Addr().String()
	dcfg := desk.Config{ReviewAddr: g, DraftingAddr: g, PublishingAddr: g} // plain HTTP on loopback: no Secure cookie
	if len(tlsOpts) > 0 {
		if dcfg.Creds, err = desk.TLSCreds(a.str("ca", "NEWSROOM_CA", a.str("tls-cert", "NEWSROOM_TLS_CERT", "")), "", ""); err != nil {
			return err
		}
	}
	dk, err := desk.New(dcfg, deps)
	if err != nil {
		return err
	}
	wg.Go(func() {
		if err := dk.Serve(runCtx, deskLis); err != nil {
			errc <- fmt.Errorf("desk: %w", err)
		}
	})

	tokens, err := writeDevTokens(keys, filepath.Join(dir, "dev-tokens.json"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "newsroom dev: data in %s\n", dir)
	tlsNote := ""
	if len(tlsOpts) > 0 {
		tlsNote = "  TLS"
	}
	fmt.Fprintf(out, "  grpc:   %s   (NEWSROOM_ADDR)%s\n", grpcLis.Addr(), tlsNote)
	fmt.Fprintf(out, "  site:   %s\n", baseURL)
	fmt.Fprintf(out, "  desk:   http://%s\n", deskLis.Addr())
	fmt.Fprintf(out, "  nats:   %s\n", ns.ClientURL())
	if metricsAddr != "" {
		fmt.Fprintf(out, "  metrics: http://%s/metrics\n", metricsAddr)
	}
	fmt.Fprintf(out, "  tokens: %s\n", filepath.Join(dir, "dev-tokens.json"))
	for _, r := range auth.Roles {
		fmt.Fprintf(out, "    %-9s %s\n", r, tokens[string(r)])
	}
	fmt.Fprintln(out, "ready")

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	fmt.Fprintln(out, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Stop(sctx)
	_ = hs.Shutdown(sctx)
	cancelRun()
	wg.Wait()
	for _, nc := range conns {
		_ = nc.Drain()
	}
	return err
}

// buildAll constructs the four services, each with the Deps depsFor gives
// for its name; publishing also serves the site.
func buildAll(ctx context.Context, depsFor func(name string) (service.Deps, error), baseURL string) ([]service.Service, service.WebService, error) {
	d, err := depsFor("drafting")
	if err != nil {
		return nil, nil, err
	}
	dr, err := drafting.New(ctx, d, drafting.Config{})
	if err != nil {
		return nil, nil, err
	}
	if d, err = depsFor("review"); err != nil {
		return nil, nil, err
	}
	rv, err := review.New(ctx, d, review.ConfigFromEnv())
	if err != nil {
		return nil, nil, err
	}
	if d, err = depsFor("publishing"); err != nil {
		return nil, nil, err
	}
	pcfg := publishing.ConfigFromEnv()
	pcfg.BaseURL = baseURL
	pb, err := publishing.New(ctx, d, pcfg)
	if err != nil {
		return nil, nil, err
	}
	if d, err = depsFor("linking"); err != nil {
		return nil, nil, err
	}
	lk, err := linking.New(ctx, d, linking.Config{})
	if err != nil {
		return nil, nil, err
	}
	return []service.Service{dr, rv, pb, lk}, pb, nil
}

// devKey reads the dev signing key, making one on first start, so tokens
// stay valid across restarts of the same data dir.
func devKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		return auth.DecodeKey(string(b))
	}
	k := auth.NewKey()
	if err := os.WriteFile(path, []byte(auth.EncodeKey(k)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

// writeDevTokens writes one token per role, with subject "dev-<role>".
func writeDevTokens(keys *auth.Keyring, path string) (map[string]string, error) {
	tokens := map[string]string{}
	for _, r := range auth.Roles {
		t, err := keys.Issue("dev-"+string(r), []auth.Role{r}, devTokenTTL)
		if err != nil {
			return nil, err
		}
		tokens[string(r)] = t
	}
	b, _ := json.MarshalIndent(tokens, "", "  ")
	return tokens, os.WriteFile(path, append(b, '\n'), 0o600)
}

func splitPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	var p int
	if _, err := fmt.Sscanf(port, "%d", &p); err != nil {
		return "", 0, fmt.Errorf("bad port in %q", addr)
	}
	if p == 0 {
		p = -1
	}
	return host, p, nil
}
