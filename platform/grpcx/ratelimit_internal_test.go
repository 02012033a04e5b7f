package grpcx

import (
	"fmt"
	"testing"
	"time"
)

func TestParseRateLimit(t *testing.T) {
	good := map[string]RateLimit{
		"":        DefaultRateLimit,
		"off":     {},
		"0":       {},
		"20:40":   {PerSecond: 20, Burst: 40},
		"5":       {PerSecond: 5, Burst: 10},
		"0.5:3":   {PerSecond: 0.5, Burst: 3},
		" 10/s:1": {PerSecond: 10, Burst: 1},
	}
	for in, want := range good {
		got, err := ParseRateLimit(in)
		if err != nil || got != want {
			t.Errorf("ParseRateLimit(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"fast", "-1", "10:0", "10:x", "NaN", "Inf"} {
		if got, err := ParseRateLimit(in); err == nil {
			t.Errorf("ParseRateLimit(%q) = %+v, want an error", in, got)
		}
	}
}

// A flood of distinct callers cannot grow the bucket map past its bound,
// and evicting idle buckets does not let an active caller past its limit.
func TestLimiterBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(RateLimit{PerSecond: 1, Burst: 2, MaxCallers: 100})
	l.now = func() time.Time { return now }

	for i := range 2 {
		if ok, _ := l.allow("busy"); !ok {
			t.Fatalf("call %d within the burst refused", i)
		}
	}
	if ok, wait := l.allow("busy"); ok || wait <= 0 || wait > time.Second {
		t.Fatalf("third call at once: ok=%v wait=%v", ok, wait)
	}
	for i := range 100_000 {
		l.allow(fmt.Sprint("flood-", i))
		if n := l.size(); n > 100 {
			t.Fatalf("after %d callers the limiter holds %d buckets", i+1, n)
		}
	}
	// Idle buckets go first: once time has passed, the flood's buckets are
	// all evictable and a new caller evicts them.
	now = now.Add(time.Minute)
	l.allow("late")
	if n := l.size(); n > 2 {
		t.Errorf("idle buckets kept: %d", n)
	}
	for i := range 2 {
		if ok, _ := l.allow("late2"); !ok {
			t.Fatalf("late2 call %d refused", i)
		}
	}
	if ok, _ := l.allow("late2"); ok {
		t.Error("a fresh caller got more than its burst")
	}
}
