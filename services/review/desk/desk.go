// Package desk is the standards desk's web page: reviewers see each flag
// highlighted in the text it flags and decide it there, and editors see the
// day's stories by status and publish the ready ones.
//
// The desk keeps no state and knows nothing of the review service's
// internals. Every page is read, and every decision made, through the
// public gRPC APIs of drafting, review and publishing, with the signed-in
// person's own bearer token, so the role matrix and the review service's
// author check apply exactly as they do to the CLI. Pages are rendered on
// the server with html/template; one small hand-written script adds
// keyboard shortcuts, the flag details on focus, and live updates fed from
// JetStream over server-sent events. docs/desk.md describes it.
package desk

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/service"
)

// DefaultAddr is where the desk serves HTTP unless told otherwise.
const DefaultAddr = "127.0.0.1:8081"

// Config configures the desk.
type Config struct {
	// Addr is the HTTP address the host serves the desk on. New does not
	// listen; the field is here so ConfigFromEnv can carry it to the host.
	Addr string
	// gRPC addresses of the services the desk calls. In `newsroom dev` all
	// three are the one address every service is served on.
	ReviewAddr, DraftingAddr, PublishingAddr string
	// Creds secure the gRPC connections; nil means plaintext (loopback).
	Creds credentials.TransportCredentials
	// Keys verify the token a person signs in with; nil means deps.Keys.
	Keys *auth.Keyring
	// SecureCookie marks the session cookie Secure. Leave it false only
	// when the desk is served over plain HTTP on loopback.
	SecureCookie bool
	// TrustedOrigins may post forms besides the desk's own origin
	// ("https://desk.example.org"): needed only behind a proxy that
	// rewrites the Host header.
	TrustedOrigins []string
	// FeedLinger is how long the live feeds go on after a review page
	// closed or the queue was read (they run only while needed); 0 means
	// DefaultFeedLinger.
	FeedLinger time.Duration
}

// ConfigFromEnv reads the desk's settings for the standalone review
// service:
//
//	NEWSROOM_DESK_ADDR             HTTP address (default 127.0.0.1:8081)
//	NEWSROOM_DESK_REVIEW_ADDR      gRPC address of review (default: this process, NEWSROOM_GRPC_ADDR on loopback)
//	NEWSROOM_DESK_DRAFTING_ADDR    gRPC address of drafting (default: the review address)
//	NEWSROOM_DESK_PUBLISHING_ADDR  gRPC address of publishing (default: the review address)
//	NEWSROOM_DESK_SECURE_COOKIE    "false" to drop the cookie's Secure flag (plain-HTTP loopback only; default true)
//	NEWSROOM_DESK_ORIGINS          extra origins allowed to post forms, comma-separated (behind a Host-rewriting proxy)
//	NEWSROOM_DESK_CA               CA of the services' TLS certificates (default NEWSROOM_CA); TLS when set
//	NEWSROOM_DESK_CERT, _KEY       client certificate for mutual TLS
func ConfigFromEnv() (Config, error) {
	self := loopback(service.Env("NEWSROOM_GRPC_ADDR", ":9090"))
	cfg := Config{
		Addr:         service.Env("NEWSROOM_DESK_ADDR", DefaultAddr),
		ReviewAddr:   service.Env("NEWSROOM_DESK_REVIEW_ADDR", self),
		SecureCookie: true,
	}
	cfg.DraftingAddr = service.Env("NEWSROOM_DESK_DRAFTING_ADDR", cfg.ReviewAddr)
	cfg.PublishingAddr = service.Env("NEWSROOM_DESK_PUBLISHING_ADDR", cfg.ReviewAddr)
	switch strings.ToLower(service.Env("NEWSROOM_DESK_SECURE_COOKIE", "true")) {
	case "false", "0", "no", "off":
		cfg.SecureCookie = false
	}
	for _, o := range strings.Split(os.Getenv("NEWSROOM_DESK_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.TrustedOrigins = append(cfg.TrustedOrigins, o)
		}
	}
	creds, err := credsFromEnv()
	if err != nil {
		return Config{}, err
	}
	cfg.Creds = creds
	return cfg, nil
}

// loopback turns a listen address (":9090", "0.0.0.0:9090") into one to dial.
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func credsFromEnv() (credentials.TransportCredentials, error) {
	ca := service.Env("NEWSROOM_DESK_CA", os.Getenv("NEWSROOM_CA"))
	cert, key := os.Getenv("NEWSROOM_DESK_CERT"), os.Getenv("NEWSROOM_DESK_KEY")
	if ca == "" && cert == "" && key == "" {
		return nil, nil
	}
	return TLSCreds(ca, cert, key)
}

// TLSCreds are gRPC client credentials for services served over TLS:
// their certificates verified with the CA in caFile (the system roots if
// empty), and, for mutual TLS, the client certificate in certFile and
// keyFile.
func TLSCreds(caFile, certFile, keyFile string) (credentials.TransportCredentials, error) {
	ca, cert, key := caFile, certFile, keyFile
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("desk: CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("desk: no certificates in %s", ca)
		}
		cfg.RootCAs = pool
	}
	if cert != "" || key != "" {
		if cert == "" || key == "" {
			return nil, errors.New("desk: set both NEWSROOM_DESK_CERT and NEWSROOM_DESK_KEY")
		}
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("desk: client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return credentials.NewTLS(cfg), nil
}

// Desk serves the desk's pages (it is an http.Handler) and, in Run, follows
// the event streams that keep open pages current.
type Desk struct {
	cfg   Config
	keys  *auth.Keyring
	js    jetstream.JetStream
	log   *slog.Logger
	clock clock.Clock

	conns      []*grpc.ClientConn
	review     reviewv1.ReviewServiceClient
	drafting   draftingv1.DraftingServiceClient
	publishing publishingv1.PublishingServiceClient

	views   *views
	handler http.Handler
	hub     *hub
	queue   *summaries
	// Which of the live feeds are following their stream.
	feeds  [numFeeds]atomic.Bool
	demand *demand
}

// New builds the desk. It dials the services lazily, so it may be built
// before they listen.
func New(cfg Config, deps service.Deps) (*Desk, error) {
	if cfg.Keys == nil {
		cfg.Keys = deps.Keys
	}
	if cfg.Keys == nil {
		return nil, errors.New("desk: no keyring to verify sign-in tokens")
	}
	if cfg.ReviewAddr == "" || cfg.DraftingAddr == "" || cfg.PublishingAddr == "" {
		return nil, errors.New("desk: the review, drafting and publishing addresses are required")
	}
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	clk := deps.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	d := &Desk{cfg: cfg, keys: cfg.Keys, js: deps.JS, log: log.With("component", "desk"), clock: clk, views: v}
	conns := map[string]*grpc.ClientConn{}
	dial := func(addr string) (*grpc.ClientConn, error) {
		if cc, ok := conns[addr]; ok {
			return cc, nil
		}
		creds := cfg.Creds
		if creds == nil {
			creds = insecure.NewCredentials()
		}
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
		if err != nil {
			return nil, fmt.Errorf("desk: dial %s: %w", addr, err)
		}
		conns[addr] = cc
		d.conns = append(d.conns, cc)
		return cc, nil
	}
	rc, err := dial(cfg.ReviewAddr)
	if err != nil {
		return nil, err
	}
	dc, err := dial(cfg.DraftingAddr)
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	pc, err := dial(cfg.PublishingAddr)
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	d.review = reviewv1.NewReviewServiceClient(rc)
	d.drafting = draftingv1.NewDraftingServiceClient(dc)
	d.publishing = publishingv1.NewPublishingServiceClient(pc)
	d.hub = newHub()
	d.queue = newSummaries(clk)
	d.demand = newDemand(cfg.FeedLinger, time.Now)
	if d.handler, err = d.routes(); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

// ServeHTTP serves the desk.
func (d *Desk) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.handler.ServeHTTP(w, r) }

// Run follows the REVIEW stream (and drafting's status changes and the
// review bucket) from now on, whenever a review page is open or the queue
// was read lately (see demand.go), feeding open pages' live updates and
// keeping the queue's cache current, until ctx ends. A stream that is
// missing or unreachable is retried; pages work without live updates
// meanwhile. When Run returns, every open event stream ends, so an HTTP
// server can shut down.
func (d *Desk) Run(ctx context.Context) error {
	defer d.hub.close()
	if d.js == nil {
		<-ctx.Done()
		return nil
	}
	d.demand.serve(ctx, d.follow)
	return nil
}

// Serve serves the desk on lis and runs its live feeds until ctx ends,
// then stops both (open event streams end, requests in flight get a few
// seconds) and closes the desk's connections. It returns the listener's
// error if serving fails.
func (d *Desk) Serve(ctx context.Context, lis net.Listener) error {
	hs := &http.Server{Handler: d, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { _ = d.Run(runCtx); close(ran) }()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(lis) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	stopRun()
	<-ran // the feeds are down and every event stream has ended
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	_ = d.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close closes the desk's gRPC connections.
func (d *Desk) Close() error {
	var first error
	for _, cc := range d.conns {
		if err := cc.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// callTimeout bounds every gRPC call a page makes.
const callTimeout = 15 * time.Second

// as is the call option that sends the signed-in person's token.
func as(s *session) grpc.CallOption { return grpc.PerRPCCredentials(auth.Bearer(s.token)) }
