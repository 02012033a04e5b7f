// Package service is what the four services share as processes: the
// dependencies a host hands them (so `newsroom dev` can run all four on one
// embedded NATS and one gRPC server, and each standalone main can run one),
// and the standalone main itself.
package service

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
)

// Deps is what a service gets from its host.
type Deps struct {
	NC *nats.Conn
	JS jetstream.JetStream
	// Replicas for every stream and bucket the service creates: 1 on the
	// embedded server, 3 on the compose cluster.
	Replicas int
	Log      *slog.Logger
	Clock    clock.Clock
	Keys     *auth.Keyring
}

// Service is what each of drafting, review, publishing and linking provides.
type Service interface {
	// Name is the grpc.health.v1 service name, e.g. "newsroom.drafting.v1.DraftingService".
	Name() string
	// Register adds the service's RPCs to a gRPC server.
	Register(grpc.ServiceRegistrar)
	// Run consumes events and does background work until ctx ends.
	Run(ctx context.Context) error
}

// WebService is a service that also serves HTTP (publishing's public site).
type WebService interface {
	Service
	Handler() http.Handler
}
