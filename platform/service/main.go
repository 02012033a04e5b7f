package service

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/metrics"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/tracing"
)

// Constructor builds a service from its dependencies.
type Constructor func(ctx context.Context, d Deps) (Service, error)

// Env reads a setting, falling back to def.
func Env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Main runs one service as its own process, configured from the
// environment:
//
//	NEWSROOM_NATS_URL        nats://host:4222[,nats://…] (default nats://127.0.0.1:4222)
//	NEWSROOM_NATS_USER/PASSWORD or NEWSROOM_NATS_CREDS  per-service NATS credentials
//	NEWSROOM_NATS_CA         CA of the NATS servers' certificates (TLS to NATS)
//	NEWSROOM_NATS_CERT/KEY   client certificate for NATS (mutual TLS)
//	NEWSROOM_GRPC_ADDR       listen address (default :9090)
//	NEWSROOM_TLS_CERT/KEY    serve gRPC over TLS with this certificate
//	NEWSROOM_TLS_CLIENT_CA   and require client certificates from this CA (mutual TLS)
//	NEWSROOM_HTTP_ADDR       public HTTP address, for services that serve one (default :8080)
//	NEWSROOM_REPLICAS        stream and bucket replicas (default 1; 3 on a cluster)
//	NEWSROOM_TOKEN_KEY[_FILE] the token keys: the first signs, all verify (comma-separated)
//	NEWSROOM_RATE_LIMIT      writes per second per caller, "RATE[:BURST]" or "off" (default 20:40)
//	NEWSROOM_METRICS_ADDR    Prometheus /metrics address (default :9100; "off" for none; a busy port only warns)
//	NEWSROOM_PPROF           if set, also serve /debug/pprof/ on the metrics address
//	OTEL_EXPORTER_OTLP_ENDPOINT  export traces over OTLP/HTTP (package tracing); logs are JSON with trace_id, article_id, revision
//
// Every process also serves the admin-only AuditService over the AUDIT
// stream, and records its state-changing calls there.
//
// `<binary> healthcheck` asks the local gRPC health service and exits 0
// only if it answers SERVING; container health checks use it, so images need
// no shell.
func Main(name string, build Constructor) {
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))).With("service", name)
	slog.SetDefault(log)
	grpcAddr := Env("NEWSROOM_GRPC_ADDR", ":9090")
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(grpcAddr))
	}
	if err := run(name, build, log, grpcAddr); err != nil {
		log.Error("exiting", "err", err)
		os.Exit(1)
	}
}

func logLevel() slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(Env("NEWSROOM_LOG_LEVEL", "info")))
	return l
}

func run(name string, build Constructor, log *slog.Logger, grpcAddr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	shutdownTracing, err := tracing.Setup(ctx, "newsroom-"+name)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdownTracing(sctx)
	}()
	if addr := metrics.Serve(ctx, metricsAddr(), metrics.Mux(os.Getenv("NEWSROOM_PPROF") != ""), log); addr != "" {
		log.Info("metrics", "addr", addr)
	}

	keys, err := auth.KeyringFromEnv(nil)
	if err != nil {
		return err
	}
	tlsCfg, err := TLSFromEnv()
	if err != nil {
		return err
	}
	nopts, err := NATSOptionsFromEnv()
	if err != nil {
		return err
	}
	nc, err := natsx.Connect(Env("NEWSROOM_NATS_URL", nats.DefaultURL), "newsroom-"+name, log, nopts...)
	if err != nil {
		return err
	}
	defer nc.Drain()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	replicas, _ := strconv.Atoi(Env("NEWSROOM_REPLICAS", "1"))
	deps := Deps{NC: nc, JS: js, Replicas: replicas, Log: log, Clock: clock.Real{}, Keys: keys}
	svc, err := build(ctx, deps)
	if err != nil {
		return err
	}
	srv, auditor, err := NewServer(ctx, deps, serverTLSOption(tlsCfg)...)
	if err != nil {
		return err
	}
	svc.Register(srv.GRPC)
	lis, err := net.Listen("tcp", grpcAddr)
	if err != nil {
		return err
	}
	errc := make(chan error, 3)
	go func() { errc <- srv.Serve(lis) }()
	go func() { errc <- svc.Run(ctx) }()
	var hs *http.Server
	if web, ok := svc.(WebService); ok {
		hs = &http.Server{Addr: Env("NEWSROOM_HTTP_ADDR", ":8080"), Handler: web.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	srv.SetServing(svc.Name(), auditor.Name())
	log.Info("ready", "grpc", lis.Addr().String(), "tls", tlsCfg != nil, "mtls", tlsCfg != nil && tlsCfg.ClientCAs != nil)
	select {
	case <-ctx.Done():
	case err = <-errc:
		if err != nil {
			log.Error("component failed", "err", err)
		}
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Stop(sctx)
	if hs != nil {
		_ = hs.Shutdown(sctx)
	}
	stop()
	return err
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

func healthcheck(addr string) int {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	creds, err := healthcheckCreds()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	conn, err := grpc.NewClient(net.JoinHostPort(host, port), grpc.WithTransportCredentials(creds))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		fmt.Fprintln(os.Stderr, "not serving", err)
		return 1
	}
	return 0
}

// healthcheckCreds is plaintext, or TLS when the server serves TLS. The
// check runs inside the server's own container against loopback and sends
// no token, so it does not verify the server's name (NEWSROOM_CA, if set,
// is used to verify the chain); under mutual TLS it presents the server's
// own certificate, which scripts/certs makes valid for client use too.
func healthcheckCreds() (credentials.TransportCredentials, error) {
	cert, key := os.Getenv("NEWSROOM_TLS_CERT"), os.Getenv("NEWSROOM_TLS_KEY")
	if cert == "" || key == "" {
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true} //nolint:gosec // loopback health probe; see above
	if ca := os.Getenv("NEWSROOM_CA"); ca != "" {
		pool, err := grpcx.CertPool(ca)
		if err != nil {
			return nil, err
		}
		cfg.InsecureSkipVerify = false
		cfg.RootCAs = pool
		cfg.ServerName = "localhost"
	}
	if os.Getenv("NEWSROOM_TLS_CLIENT_CA") != "" {
		c, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return credentials.NewTLS(cfg), nil
}

func metricsAddr() string {
	a := Env("NEWSROOM_METRICS_ADDR", ":9100")
	if a == "off" {
		return ""
	}
	return a
}
