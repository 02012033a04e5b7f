// Package metrics holds the Prometheus metrics every Newsroom process
// exports on /metrics: RPCs, events published and consumed, consumer lag,
// redeliveries and dead letters. They live in one place so a dashboard
// reads the same names for every service, and `newsroom dev` (all four
// services in one process) exports one coherent set.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is the process's registry: Go runtime and process collectors
// plus Newsroom's metrics.
var Registry = prometheus.NewRegistry()

var (
	// RPCs counts finished gRPC calls by method and status code.
	RPCs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newsroom_rpc_total", Help: "gRPC calls handled, by method and status code.",
	}, []string{"method", "code"})
	// RPCSeconds is the latency of gRPC calls by method.
	RPCSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "newsroom_rpc_duration_seconds", Help: "gRPC call latency.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"method"})
	// EventsPublished counts events stored in JetStream, by subject.
	EventsPublished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newsroom_events_published_total", Help: "Events published to JetStream (acknowledged), by subject.",
	}, []string{"subject"})
	// EventsConsumed counts handled events by consumer, subject and outcome
	// (ack, retry, dead).
	EventsConsumed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newsroom_events_consumed_total", Help: "Events handled by consumers, by outcome (ack, retry, dead).",
	}, []string{"consumer", "subject", "outcome"})
	// HandleSeconds is how long consumers take per event.
	HandleSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "newsroom_event_handle_seconds", Help: "Consumer handler latency per event.",
		Buckets: prometheus.ExponentialBuckets(0.0002, 2, 16),
	}, []string{"consumer"})
	// Redeliveries counts events delivered more than once.
	Redeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newsroom_event_redeliveries_total", Help: "Events delivered again after a failure or timeout.",
	}, []string{"consumer"})
	// DeadLetters counts events moved to the DLQ stream.
	DeadLetters = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newsroom_dead_letters_total", Help: "Events dead-lettered to the DLQ stream.",
	}, []string{"consumer"})
	// ConsumerPending is how many events wait behind the last one a
	// consumer received: its lag.
	ConsumerPending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "newsroom_consumer_pending", Help: "Events waiting for a consumer (lag), as of its last delivery.",
	}, []string{"consumer"})
	// Flags counts review flags raised, by category and severity.
	Flags = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newsroom_review_flags_total", Help: "Sensitivity flags raised, by category and severity.",
	}, []string{"category", "severity"})
	// BoxRefreshes counts linking's refreshes of Related News boxes by
	// kind: "own" (a box computed for a reason of its own: its story
	// published, a story it shows changed, a curation change), "offer"
	// (a forward-link offer that ran) and "answered" (an offer that
	// another refresh of its box answered, at no cost of its own). Many
	// answered offers mean stories of one topic arriving together.
	BoxRefreshes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "newsroom_linking_box_refreshes_total", Help: "Related News box refreshes in linking, by kind (own, offer, answered).",
	}, []string{"kind"})
	// PublishSeconds is the time from a revision being cleared to going live.
	PublishSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "newsroom_publish_latency_seconds", Help: "Time from publish request (or schedule time) to the article being live.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	})
)

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		RPCs, RPCSeconds, EventsPublished, EventsConsumed, HandleSeconds,
		Redeliveries, DeadLetters, ConsumerPending, Flags, PublishSeconds,
		BoxRefreshes,
	)
}

// Handler serves the registry in the Prometheus text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}
