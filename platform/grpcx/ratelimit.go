package grpcx

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"newsroom.dev/platform/auth"
)

// RateLimit is the token bucket each caller (token subject) gets for
// state-changing calls (auth.StateChanging); reads are not limited.
type RateLimit struct {
	// PerSecond is the sustained rate; 0 turns limiting off.
	PerSecond float64
	// Burst is how many calls may come at once after a quiet spell.
	Burst int
	// MaxCallers bounds how many callers' buckets are kept (default
	// 10000), so a flood of distinct tokens cannot grow memory without
	// bound; idle buckets are evicted first.
	MaxCallers int
}

// DefaultRateLimit is 20 writes a second per person, in bursts of up to 40:
// far above what anyone types, far below what a runaway script sends.
var DefaultRateLimit = RateLimit{PerSecond: 20, Burst: 40}

// RateLimitFromEnv reads NEWSROOM_RATE_LIMIT: "RATE" or "RATE:BURST" in
// calls per second (e.g. "20:40"), or "off". Unset, it is DefaultRateLimit.
func RateLimitFromEnv() (RateLimit, error) {
	return ParseRateLimit(os.Getenv("NEWSROOM_RATE_LIMIT"))
}

// ParseRateLimit reads a NEWSROOM_RATE_LIMIT value; "" is the default.
func ParseRateLimit(s string) (RateLimit, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return DefaultRateLimit, nil
	case "off", "0":
		return RateLimit{}, nil
	}
	r, b, hasBurst := strings.Cut(s, ":")
	perSec, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(r), "/s"), 64)
	if err != nil || perSec < 0 || math.IsInf(perSec, 0) || math.IsNaN(perSec) {
		return RateLimit{}, fmt.Errorf("grpcx: NEWSROOM_RATE_LIMIT %q: want RATE or RATE:BURST (calls per second), or off", s)
	}
	burst := int(math.Ceil(2 * perSec))
	if hasBurst {
		burst, err = strconv.Atoi(strings.TrimSpace(b))
		if err != nil || burst < 1 {
			return RateLimit{}, fmt.Errorf("grpcx: NEWSROOM_RATE_LIMIT %q: burst must be a positive integer", s)
		}
	}
	return RateLimit{PerSecond: perSec, Burst: max(burst, 1)}, nil
}

// limiter keeps one token bucket per caller.
type limiter struct {
	cfg  RateLimit
	idle time.Duration // a bucket idle this long is full again: forget it
	now  func() time.Time

	mu      sync.Mutex
	callers map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newLimiter(cfg RateLimit) *limiter {
	if cfg.Burst < 1 {
		cfg.Burst = 1
	}
	if cfg.MaxCallers <= 0 {
		cfg.MaxCallers = 10000
	}
	idle := time.Duration(float64(cfg.Burst) / cfg.PerSecond * float64(time.Second))
	return &limiter{cfg: cfg, idle: max(idle, time.Second), now: time.Now, callers: map[string]*bucket{}}
}

// allow takes a token from caller's bucket; if there is none it returns
// how long until there will be.
func (l *limiter) allow(caller string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) >= l.idle {
		l.sweep(now)
	}
	b, ok := l.callers[caller]
	if !ok {
		if len(l.callers) >= l.cfg.MaxCallers {
			l.sweep(now)
			l.shed()
		}
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.cfg.PerSecond), l.cfg.Burst)}
		l.callers[caller] = b
	}
	b.last = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets every bucket idle long enough to have refilled: forgetting
// it changes nothing. It runs at most once per idle period, and when the
// map is full.
func (l *limiter) sweep(now time.Time) {
	l.swept = now
	for k, b := range l.callers {
		if now.Sub(b.last) >= l.idle {
			delete(l.callers, k)
		}
	}
}

// shed makes room when the map is full of busy buckets by dropping about
// a tenth of them, which at worst hands those callers a fresh burst.
func (l *limiter) shed() {
	for k := range l.callers {
		if len(l.callers) < l.cfg.MaxCallers*9/10 {
			break
		}
		delete(l.callers, k)
	}
}

func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.callers)
}

// unary limits state-changing calls by the verified caller's subject; it
// runs after the auth interceptor.
func (l *limiter) unary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		id, ok := auth.FromContext(ctx)
		if !ok || !auth.StateChanging(info.FullMethod) {
			return h(ctx, req)
		}
		if ok, wait := l.allow(id.Subject); !ok {
			log.DebugContext(ctx, "rate limited", "method", info.FullMethod, "actor", id.Subject)
			st := status.New(codes.ResourceExhausted, fmt.Sprintf("too many changes by %s: at most %g a second; retry in %v", id.Subject, l.cfg.PerSecond, wait.Round(time.Millisecond)))
			if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(wait)}); err == nil {
				st = d
			}
			return nil, st.Err()
		}
		return h(ctx, req)
	}
}
