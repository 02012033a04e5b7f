package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
)

// DefaultAddr is where `newsroom dev` serves gRPC unless told otherwise.
const DefaultAddr = "127.0.0.1:9090"

// clients holds one connection per service. With `newsroom dev` all four
// share one address (--addr / NEWSROOM_ADDR); on compose each has its own
// (--drafting-addr / NEWSROOM_DRAFTING_ADDR and so on), defaulting to --addr.
type clients struct {
	a     *args
	conns map[string]*grpc.ClientConn
	token string
}

func newClients(a *args) *clients {
	return &clients{a: a, conns: map[string]*grpc.ClientConn{}, token: a.str("token", "NEWSROOM_TOKEN", "")}
}

func (c *clients) addr(service string) string {
	def := c.a.str("addr", "NEWSROOM_ADDR", DefaultAddr)
	env := map[string]string{
		"drafting": "NEWSROOM_DRAFTING_ADDR", "review": "NEWSROOM_REVIEW_ADDR",
		"publishing": "NEWSROOM_PUBLISHING_ADDR", "linking": "NEWSROOM_LINKING_ADDR",
		"audit": "NEWSROOM_AUDIT_ADDR",
	}[service]
	if service == "audit" {
		// Every service process also serves AuditService; ask drafting's
		// unless told otherwise.
		def = c.addr("drafting")
	}
	return c.a.str(service+"-addr", env, def)
}

func (c *clients) conn(service string) (*grpc.ClientConn, error) {
	addr := c.addr(service)
	if cc, ok := c.conns[addr]; ok {
		return cc, nil
	}
	creds, err := c.transport()
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds), grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16 << 20))}
	if c.token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(auth.Bearer(c.token)))
	}
	cc, err := grpc.NewClient(addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	c.conns[addr] = cc
	return cc, nil
}

// transport is plaintext unless --tls, --ca (NEWSROOM_CA) or --cert
// (NEWSROOM_CERT, mutual TLS, with --key / NEWSROOM_KEY) asks for TLS.
func (c *clients) transport() (credentials.TransportCredentials, error) {
	ca := c.a.str("ca", "NEWSROOM_CA", "")
	cert, key := c.a.str("cert", "NEWSROOM_CERT", ""), c.a.str("key", "NEWSROOM_KEY", "")
	if ca == "" && cert == "" && !c.a.flag("tls") {
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("no certificates in " + ca)
		}
		cfg.RootCAs = pool
	}
	if cert != "" || key != "" {
		if cert == "" || key == "" {
			return nil, errors.New("--cert and --key (NEWSROOM_CERT, NEWSROOM_KEY) go together")
		}
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return credentials.NewTLS(cfg), nil
}

func (c *clients) close() {
	for _, cc := range c.conns {
		cc.Close()
	}
}

func (c *clients) drafting() (draftingv1.DraftingServiceClient, error) {
	cc, err := c.conn("drafting")
	if err != nil {
		return nil, err
	}
	return draftingv1.NewDraftingServiceClient(cc), nil
}

func (c *clients) review() (reviewv1.ReviewServiceClient, error) {
	cc, err := c.conn("review")
	if err != nil {
		return nil, err
	}
	return reviewv1.NewReviewServiceClient(cc), nil
}

func (c *clients) publishing() (publishingv1.PublishingServiceClient, error) {
	cc, err := c.conn("publishing")
	if err != nil {
		return nil, err
	}
	return publishingv1.NewPublishingServiceClient(cc), nil
}

func (c *clients) linking() (linkingv1.LinkingServiceClient, error) {
	cc, err := c.conn("linking")
	if err != nil {
		return nil, err
	}
	return linkingv1.NewLinkingServiceClient(cc), nil
}

func callCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}
