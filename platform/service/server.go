package service

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"newsroom.dev/platform/audit"
	"newsroom.dev/platform/grpcx"
)

// NewServer builds the gRPC server a host runs services on:
// grpcx.NewServer with the audit trail recording every state-changing call
// into the AUDIT stream, and AuditService registered on it (once per
// process, whatever services the host adds). Main and `newsroom dev` use it.
func NewServer(ctx context.Context, d Deps, opts ...grpc.ServerOption) (*grpcx.Server, *audit.Auditor, error) {
	a, err := audit.New(ctx, audit.Config{JS: d.JS, Replicas: d.Replicas, Log: d.Log, Clock: d.Clock})
	if err != nil {
		return nil, nil, err
	}
	srv := grpcx.NewServer(d.Keys, d.Log, append([]grpc.ServerOption{grpcx.WithUnary(a.UnaryInterceptor())}, opts...)...)
	a.Register(srv.GRPC)
	return srv, a, nil
}

// TLSFromEnv is the gRPC server's TLS configuration, or nil for plaintext:
//
//	NEWSROOM_TLS_CERT, NEWSROOM_TLS_KEY  the server certificate and key (PEM)
//	NEWSROOM_TLS_CLIENT_CA               if set, mutual TLS: clients need a
//	                                     certificate signed by this CA
func TLSFromEnv() (*tls.Config, error) {
	cert, key, ca := os.Getenv("NEWSROOM_TLS_CERT"), os.Getenv("NEWSROOM_TLS_KEY"), os.Getenv("NEWSROOM_TLS_CLIENT_CA")
	switch {
	case cert == "" && key == "" && ca == "":
		return nil, nil
	case cert == "" || key == "":
		return nil, errors.New("service: set both NEWSROOM_TLS_CERT and NEWSROOM_TLS_KEY (NEWSROOM_TLS_CLIENT_CA needs them too)")
	}
	return grpcx.TLSConfig(cert, key, ca)
}

// serverTLSOption is grpc.Creds for cfg, or nothing when cfg is nil.
func serverTLSOption(cfg *tls.Config) []grpc.ServerOption {
	if cfg == nil {
		return nil
	}
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(cfg))}
}

// NATSOptionsFromEnv is how a service authenticates to NATS and secures the
// connection:
//
//	NEWSROOM_NATS_USER + NEWSROOM_NATS_PASSWORD[_FILE], or NEWSROOM_NATS_CREDS
//	NEWSROOM_NATS_CA                     verify the servers with this CA (TLS)
//	NEWSROOM_NATS_CERT, NEWSROOM_NATS_KEY  client certificate (mutual TLS)
func NATSOptionsFromEnv() ([]nats.Option, error) {
	var nopts []nats.Option
	if u := os.Getenv("NEWSROOM_NATS_USER"); u != "" {
		nopts = append(nopts, nats.UserInfo(u, os.Getenv("NEWSROOM_NATS_PASSWORD")))
	}
	if f := os.Getenv("NEWSROOM_NATS_PASSWORD_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		nopts = append(nopts, nats.UserInfo(os.Getenv("NEWSROOM_NATS_USER"), string(trimSpace(b))))
	}
	if f := os.Getenv("NEWSROOM_NATS_CREDS"); f != "" {
		nopts = append(nopts, nats.UserCredentials(f))
	}
	if ca := os.Getenv("NEWSROOM_NATS_CA"); ca != "" {
		if _, err := grpcx.CertPool(ca); err != nil {
			return nil, fmt.Errorf("service: NEWSROOM_NATS_CA: %w", err)
		}
		nopts = append(nopts, nats.RootCAs(ca))
	}
	cert, key := os.Getenv("NEWSROOM_NATS_CERT"), os.Getenv("NEWSROOM_NATS_KEY")
	switch {
	case cert != "" && key != "":
		nopts = append(nopts, nats.ClientCert(cert, key))
	case cert != "" || key != "":
		return nil, errors.New("service: set both NEWSROOM_NATS_CERT and NEWSROOM_NATS_KEY")
	}
	return nopts, nil
}
