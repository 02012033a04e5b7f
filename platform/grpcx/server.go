// Package grpcx builds the gRPC servers Newsroom's services run on: auth,
// panic recovery and logging interceptors, per-caller rate limiting of
// state-changing calls, standard grpc.health.v1 health, reflection (so
// grpcurl works), deliberate message limits and handler timeouts, optional
// TLS, and a graceful stop that marks health NOT_SERVING first.
package grpcx

import (
	"context"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/tracing"
)

// MaxMessageBytes bounds a request: a 200 KB body plus every other field
// and its escaping fits well inside, and a flood of huge requests does not.
const MaxMessageBytes = 4 << 20

// HandlerTimeout bounds every call, so a stuck dependency cannot pile up
// goroutines.
const HandlerTimeout = 30 * time.Second

// Server is a gRPC server with health.
type Server struct {
	GRPC   *grpc.Server
	Health *health.Server
	log    *slog.Logger
}

// NewServer returns a server that authenticates with keys. Besides gRPC's
// own options, opts may hold this package's: WithUnary and WithStream (more
// interceptors, after auth), WithRateLimit (else RateLimitFromEnv, and
// DefaultRateLimit if that is unset or invalid). For TLS pass
// grpc.Creds(credentials.NewTLS(cfg)), cfg from TLSConfig.
//
// Unary calls go through, in order: panic recovery, RPC metrics
// (metrics.RPCs, RPCSeconds), the server span (see traceUnary), the handler timeout,
// a log line for refused calls, authentication and the role matrix, the
// request log, the per-caller rate limit (state-changing calls only), then
// the WithUnary interceptors and the handler.
func NewServer(keys *auth.Keyring, log *slog.Logger, opts ...grpc.ServerOption) *Server {
	if log == nil {
		log = slog.Default()
	}
	cfg, opts := split(opts)
	if cfg.limit == nil {
		l, err := RateLimitFromEnv()
		if err != nil {
			log.Warn("ignoring NEWSROOM_RATE_LIMIT", "err", err)
			l = DefaultRateLimit
		}
		cfg.limit = &l
	}
	log = tracing.Logger(log)
	unary := []grpc.UnaryServerInterceptor{recoverUnary(log), metricsUnary, traceUnary, timeoutUnary, refusedUnary(log), keys.UnaryInterceptor(), logUnary(log)}
	if cfg.limit.PerSecond > 0 {
		unary = append(unary, newLimiter(*cfg.limit).unary(log))
	}
	unary = append(unary, cfg.unary...)
	stream := append([]grpc.StreamServerInterceptor{recoverStream(log), metricsStream, keys.StreamInterceptor()}, cfg.stream...)
	base := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageBytes),
		grpc.MaxSendMsgSize(4 * MaxMessageBytes),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}
	g := grpc.NewServer(append(base, opts...)...)
	h := health.NewServer()
	healthpb.RegisterHealthServer(g, h)
	reflection.Register(g)
	return &Server{GRPC: g, Health: h, log: log}
}

// SetServing marks the named services (and the server as a whole) SERVING.
func (s *Server) SetServing(names ...string) {
	s.Health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, n := range names {
		s.Health.SetServingStatus(n, healthpb.HealthCheckResponse_SERVING)
	}
}

// Serve serves on lis until Stop.
func (s *Server) Serve(lis net.Listener) error { return s.GRPC.Serve(lis) }

// Stop marks every service NOT_SERVING, lets calls in flight finish (up to
// the context's deadline), then stops.
func (s *Server) Stop(ctx context.Context) {
	s.Health.Shutdown()
	done := make(chan struct{})
	go func() { s.GRPC.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.GRPC.Stop()
	}
}

func timeoutUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, HandlerTimeout)
	defer cancel()
	return h(ctx, req)
}

func recoverUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic in handler", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return h(ctx, req)
	}
}

func recoverStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic in handler", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return h(srv, ss)
	}
}

// refusedUnary logs calls the auth interceptor refuses: a valid token
// calling outside its role at info (someone in the newsroom tried), a bad
// or missing token at debug (anyone on the network can send those, so
// they must not flood the log).
func refusedUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if err == nil {
			return resp, nil
		}
		switch code := status.Code(err); code {
		case codes.PermissionDenied, codes.Unauthenticated:
			lvl := slog.LevelInfo
			if code == codes.Unauthenticated {
				lvl = slog.LevelDebug
			}
			if log.Enabled(ctx, lvl) {
				addr := ""
				if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
					addr = p.Addr.String()
				}
				log.Log(ctx, lvl, "refused", "method", info.FullMethod, "code", code.String(), "peer", addr, "err", err)
			}
		}
		return resp, err
	}
}

func logUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := h(ctx, req)
		code := status.Code(err)
		lvl := slog.LevelDebug
		if code == codes.Internal || code == codes.Unknown || code == codes.DeadlineExceeded {
			lvl = slog.LevelError
		}
		// Checked first: the arguments cost allocations at every call,
		// and the line is at debug level unless the call failed.
		if log.Enabled(ctx, lvl) {
			log.Log(ctx, lvl, "rpc", "method", info.FullMethod, "code", code.String(), "actor", auth.Actor(ctx), "ms", time.Since(start).Milliseconds(), "err", err)
		}
		return resp, err
	}
}

// Internal logs err and returns a generic Internal status, so no internal
// detail leaks to callers.
func Internal(ctx context.Context, log *slog.Logger, what string, err error) error {
	log.ErrorContext(ctx, what, "err", err)
	return status.Error(codes.Internal, what+" failed")
}
