package auth

import (
	"context"
	"errors"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

type identityKey struct{}

// FromContext returns the caller verified by the interceptor.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// WithIdentity returns ctx carrying id; for tests and in-process callers.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// Actor is the subject of the caller, or "system" for work no person asked
// for directly (consumers, schedules).
func Actor(ctx context.Context) string {
	if id, ok := FromContext(ctx); ok {
		return id.Subject
	}
	return "system"
}

// verified remembers the tokens an interceptor has verified, by their
// text, until they expire: clients send the same token call after call,
// and parsing and checking it (base64, JSON, HMAC) each time is wasted
// work on a busy server. A keyring's keys never change, so a token that
// verified once stays valid until its expiry, which is checked again at
// each use. At most maxVerified tokens are kept; when full, the cache
// starts afresh.
type verified struct {
	k  *Keyring
	mu sync.RWMutex
	m  map[string]Identity
}

const maxVerified = 4096

func newVerified(k *Keyring) *verified { return &verified{k: k, m: map[string]Identity{}} }

func (v *verified) verify(tok string) (Identity, error) {
	v.mu.RLock()
	id, ok := v.m[tok]
	v.mu.RUnlock()
	if ok && v.k.clock.Now().Before(id.Expires) {
		return id, nil
	}
	id, err := v.k.Verify(tok)
	if err != nil {
		return id, err
	}
	v.mu.Lock()
	if len(v.m) >= maxVerified {
		clear(v.m)
	}
	v.m[tok] = id
	v.mu.Unlock()
	return id, nil
}

func (v *verified) authorize(ctx context.Context, method string) (context.Context, error) {
	if Open[method] {
		return ctx, nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return nil, status.Error(codes.Unauthenticated, "a bearer token is required")
	}
	tok, ok := strings.CutPrefix(vals[0], "Bearer ")
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "authorization must be \"Bearer <token>\"")
	}
	id, err := v.verify(tok)
	if errors.Is(err, ErrExpired) {
		return nil, status.Error(codes.Unauthenticated, "token expired")
	}
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, "invalid token")
	}
	if !Allowed(method, id) {
		return nil, status.Errorf(codes.PermissionDenied, "%s may not call %s", id.Subject, method)
	}
	return WithIdentity(ctx, id), nil
}

// UnaryInterceptor verifies the caller's token and role for every unary call.
func (k *Keyring) UnaryInterceptor() grpc.UnaryServerInterceptor {
	v := newVerified(k)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		ctx, err := v.authorize(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

// StreamInterceptor does the same for streaming calls.
func (k *Keyring) StreamInterceptor() grpc.StreamServerInterceptor {
	v := newVerified(k)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		ctx, err := v.authorize(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		return h(srv, &wrapped{ss, ctx})
	}
}

type wrapped struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrapped) Context() context.Context { return w.ctx }

// Bearer is client-side credentials sending a token with every call.
type Bearer string

func (b Bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

// RequireTransportSecurity is false so `newsroom dev` works on loopback
// without TLS; deployments turn TLS on at the transport.
func (Bearer) RequireTransportSecurity() bool { return false }
