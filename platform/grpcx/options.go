package grpcx

import (
	"google.golang.org/grpc"
)

// Newsroom's own server options travel among NewServer's grpc.ServerOption
// arguments (grpc.EmptyServerOption is meant to be embedded for this), so
// NewServer(keys, log, opts...) keeps its signature. NewServer takes them
// out before building the grpc.Server.

type option struct {
	grpc.EmptyServerOption
	apply func(*config)
}

type config struct {
	unary  []grpc.UnaryServerInterceptor
	stream []grpc.StreamServerInterceptor
	limit  *RateLimit
}

// WithUnary adds unary interceptors that run after authentication and rate
// limiting, so they see the verified caller (auth.FromContext), in the
// order given. The audit trail is one.
func WithUnary(i ...grpc.UnaryServerInterceptor) grpc.ServerOption {
	return option{apply: func(c *config) { c.unary = append(c.unary, i...) }}
}

// WithStream adds stream interceptors that run after authentication.
func WithStream(i ...grpc.StreamServerInterceptor) grpc.ServerOption {
	return option{apply: func(c *config) { c.stream = append(c.stream, i...) }}
}

// WithRateLimit sets the per-caller limit on state-changing calls instead
// of the one from the environment (RateLimitFromEnv). A zero PerSecond
// turns limiting off.
func WithRateLimit(l RateLimit) grpc.ServerOption {
	return option{apply: func(c *config) { c.limit = &l }}
}

// split separates Newsroom's options from gRPC's.
func split(opts []grpc.ServerOption) (config, []grpc.ServerOption) {
	var c config
	rest := make([]grpc.ServerOption, 0, len(opts))
	for _, o := range opts {
		if mine, ok := o.(option); ok {
			mine.apply(&c)
			continue
		}
		rest = append(rest, o)
	}
	return c, rest
}
