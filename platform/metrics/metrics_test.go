package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/metrics"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// TestEventMetricsMove publishes and consumes real events and checks that
// the counters a dashboard reads move, and that /metrics serves them.
func TestEventMetricsMove(t *testing.T) {
	n := testutil.StartNATS(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := natsx.EnsureStream(ctx, n.JS, "METRICS", []string{"newsroom.metrics.>"}, 1); err != nil {
		t.Fatal(err)
	}
	const subj = "newsroom.metrics.test"
	before := promtest.ToFloat64(metrics.EventsPublished.WithLabelValues(subj))
	for i := range 3 {
		ev := natsx.Event{Subject: subj, ID: "m/" + string(rune('a'+i)), Msg: &articlev1.EventMeta{Id: "x"}}
		if err := natsx.Publish(ctx, n.JS, ev); err != nil {
			t.Fatal(err)
		}
	}
	if got := promtest.ToFloat64(metrics.EventsPublished.WithLabelValues(subj)) - before; got != 3 {
		t.Fatalf("published counter moved by %v, want 3", got)
	}

	calls := 0
	go natsx.Consume(ctx, n.JS, natsx.ConsumerConfig{Stream: "METRICS", Durable: "metrics-test", MaxDeliver: 2, Log: testutil.Logger()},
		func(ctx context.Context, m jetstream.Msg) error {
			calls++
			if calls == 1 {
				return errors.New("first delivery fails")
			}
			return nil
		})
	testutil.Eventually(t, 15*time.Second, "three acks", func() bool {
		return promtest.ToFloat64(metrics.EventsConsumed.WithLabelValues("metrics-test", subj, "ack")) == 3
	})
	if got := promtest.ToFloat64(metrics.EventsConsumed.WithLabelValues("metrics-test", subj, "retry")); got != 1 {
		t.Fatalf("retries = %v, want 1", got)
	}
	if got := promtest.ToFloat64(metrics.Redeliveries.WithLabelValues("metrics-test")); got != 1 {
		t.Fatalf("redeliveries = %v, want 1", got)
	}

	rec := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{`newsroom_events_published_total{subject="newsroom.metrics.test"} 3`, "newsroom_event_handle_seconds_bucket", "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestServeRefusesBusyPortWithoutFailing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := metrics.Serve(ctx, "127.0.0.1:0", metrics.Mux(false), nil)
	if addr == "" {
		t.Fatal("no address")
	}
	if again := metrics.Serve(ctx, addr, metrics.Mux(false), nil); again != "" {
		t.Fatalf("second Serve on busy %s returned %q", addr, again)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), "go_goroutines") {
		t.Fatalf("scrape lacks go_goroutines:\n%.300s", b)
	}
}
