// Package webhooks sends publishing's events to other tools. An admin
// registers a subscription (URL, event subjects, secret) with
// WebhookService; every matching event on the PUBLISHING stream is then
// POSTed to the URL as JSON signed with HMAC-SHA256, retried with backoff
// until the endpoint answers 2xx, and every attempt is logged.
//
// The work runs on JetStream in two steps, so that one bad endpoint can
// neither hold up nor duplicate deliveries to the others:
//
//  1. Fan-out. The durable consumer "publishing-webhooks" reads the
//     PUBLISHING stream (newsroom.publishing.>). For each event it renders
//     one JSON body per matching subscription and enqueues it as a
//     delivery task on the WEBHOOKS stream, subject
//     newsroom.webhooks.delivery.<webhook id>, with Nats-Msg-Id set to the
//     delivery id "<event id>/<webhook id>", so a retried fan-out adds no
//     second task. It acks the event once every task is stored.
//  2. Delivery. Each subscription has its own durable consumer on WEBHOOKS
//     ("publishing-webhooks-<webhook id>", filtered to its subject), so a
//     slow or failing endpoint only delays its own queue. A delivery is
//     acked on 2xx, retried with NakWithDelay and Config.Backoff on other
//     answers and network errors, and copied to the DLQ stream and
//     terminated on a 4xx other than 408/429 or after Config.MaxDeliver
//     attempts. WEBHOOKS is a work queue: a delivered task is removed.
//
// Every attempt is appended to the WEBHOOK_LOG stream on
// newsroom.webhooks.log.<webhook id> (the newest 1000 per subscription,
// for 30 days), which ListDeliveries reads back.
//
// Subscriptions live in the KV bucket publishing-webhooks. A subscription
// receives the events published after it was registered: it records the
// PUBLISHING stream's last sequence at registration and the fan-out skips
// anything at or below it.
//
// The WEBHOOKS and WEBHOOK_LOG streams sit outside newsroom.publishing.>
// (the PUBLISHING stream owns every subject there, and the fan-out
// consumer would read its own tasks back); the publishing NATS user needs
// permission for them (docs/webhooks.md lists it).
package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/service"
)

// JetStream names the package owns.
const (
	// Bucket holds the subscriptions, keyed by webhook id.
	Bucket = "publishing-webhooks"
	// FanoutDurable is the consumer on PUBLISHING that enqueues deliveries.
	FanoutDurable = "publishing-webhooks"
	// TaskStream holds pending deliveries, one subject per subscription.
	TaskStream        = "WEBHOOKS"
	TaskSubjectPrefix = "newsroom.webhooks.delivery."
	// LogStream holds the delivery log, one subject per subscription.
	LogStream        = "WEBHOOK_LOG"
	LogSubjectPrefix = "newsroom.webhooks.log."
	// DeliveryDurablePrefix + webhook id names a subscription's consumer.
	DeliveryDurablePrefix = "publishing-webhooks-"
)

// Retention of the streams.
const (
	// LogPerWebhook is how many attempts the log keeps per subscription.
	LogPerWebhook = 1000
	// LogMaxAge is how long an attempt stays in the log.
	LogMaxAge = 30 * 24 * time.Hour
	// TaskMaxAge drops a task nobody consumes (its subscription removed
	// while a fan-out was enqueuing it). Far above the retry schedule.
	TaskMaxAge = 7 * 24 * time.Hour
)

// HTTP headers of a delivery.
const (
	HeaderEvent     = "Newsroom-Event"
	HeaderDelivery  = "Newsroom-Delivery"
	HeaderTimestamp = "Newsroom-Timestamp"
	HeaderSignature = "Newsroom-Signature"
	HeaderAttempt   = "Newsroom-Attempt"
	// headerEventID is on tasks only.
	headerEventID = "Newsroom-Event-Id"
)

// Config tunes delivery. The zero value is production's.
type Config struct {
	// Timeout of one HTTP attempt (default 10s).
	Timeout time.Duration
	// MaxDeliver is the number of attempts before a delivery is given up
	// and dead-lettered (default 12: about a day with DefaultBackoff).
	MaxDeliver int
	// Backoff is the delay after failed attempt n (1-based) before the
	// next one (default DefaultBackoff).
	Backoff func(attempt int) time.Duration
	// AckWait is how long JetStream waits for an attempt's outcome before
	// it hands the task out again, e.g. after a crash (default Timeout+30s;
	// it must exceed Timeout).
	AckWait time.Duration
}

func (c *Config) defaults() error {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 12
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.AckWait <= 0 {
		c.AckWait = c.Timeout + 30*time.Second
	}
	if c.AckWait <= c.Timeout {
		return fmt.Errorf("webhooks: AckWait %v must exceed Timeout %v", c.AckWait, c.Timeout)
	}
	return nil
}

// schedule is DefaultBackoff's delays: after the tenth failure it stays at
// eight hours, so the default 12 attempts span about 24 hours.
var schedule = []time.Duration{
	10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour,
}

// DefaultBackoff is the delay after failed attempt n: 10s, 30s, 1m, 5m,
// 15m, 30m, 1h, 2h, 4h, then 8h, each ±10% so deliveries that failed
// together do not all retry together.
func DefaultBackoff(attempt int) time.Duration {
	d := schedule[min(max(attempt, 1), len(schedule))-1]
	return d - d/10 + rand.N(d/5+1)
}

// Service implements newsroom.publishing.v1.WebhookService and runs the
// fan-out and delivery consumers.
type Service struct {
	publishingv1.UnimplementedWebhookServiceServer

	d      service.Deps
	cfg    Config
	log    *slog.Logger
	kv     *natsx.Bucket
	tasks  jetstream.Stream
	logs   jetstream.Stream
	client *http.Client

	dlqOnce sync.Once
	// known is the watched copy of the subscriptions the fan-out reads.
	known known
	// bucketSeq shares the reads of the bucket's last revision.
	bucketSeq sharedRead
}

// New ensures the bucket and the WEBHOOKS and WEBHOOK_LOG streams. The
// PUBLISHING stream is publishing's; the fan-out waits for it.
func New(ctx context.Context, d service.Deps, cfg Config) (*Service, error) {
	if d.JS == nil || d.Clock == nil {
		return nil, errors.New("webhooks: deps need JS and Clock")
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	s := &Service{d: d, cfg: cfg, log: log.With("component", "webhooks"), client: newClient()}
	var err error
	if s.kv, err = natsx.OpenBucket(ctx, d.JS, Bucket, d.Replicas); err != nil {
		return nil, err
	}
	if s.tasks, err = ensureStream(ctx, d.JS, jetstream.StreamConfig{
		Name:       TaskStream,
		Subjects:   []string{TaskSubjectPrefix + ">"},
		Retention:  jetstream.WorkQueuePolicy,
		MaxAge:     TaskMaxAge,
		Duplicates: natsx.DedupeWindow,
		Storage:    jetstream.FileStorage,
		Replicas:   max(d.Replicas, 1),
	}); err != nil {
		return nil, err
	}
	if s.logs, err = ensureStream(ctx, d.JS, jetstream.StreamConfig{
		Name:              LogStream,
		Subjects:          []string{LogSubjectPrefix + ">"},
		Retention:         jetstream.LimitsPolicy,
		MaxMsgsPerSubject: LogPerWebhook,
		MaxAge:            LogMaxAge,
		Discard:           jetstream.DiscardOld,
		Storage:           jetstream.FileStorage,
		Replicas:          max(d.Replicas, 1),
	}); err != nil {
		return nil, err
	}
	return s, nil
}

func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := js.CreateOrUpdateStream(cctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("webhooks: stream %s: %w", cfg.Name, err)
	}
	return st, nil
}

// Name is the gRPC service name.
func (s *Service) Name() string { return publishingv1.WebhookService_ServiceDesc.ServiceName }

// Register adds WebhookService to a gRPC server.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	publishingv1.RegisterWebhookServiceServer(r, s)
}

// Run runs the fan-out consumer and one delivery consumer per
// subscription until ctx ends. Deliveries in flight when it ends are
// retried by whichever replica runs next.
func (s *Service) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() {
		errs <- natsx.Consume(ctx, s.d.JS, natsx.ConsumerConfig{
			Stream:   events.StreamPublishing,
			Durable:  FanoutDurable,
			Subjects: events.StreamSubjects("publishing"),
			// Enqueuing fails only while JetStream does; keep trying for
			// minutes rather than dead-letter an event nobody then gets.
			MaxDeliver: 50,
			Log:        s.log,
			// Every event of the newsroom passes here, each waiting for
			// a round trip (the bucket's status, shared by the events
			// handled at once) at least: one at a time,
			// the fan-out fell behind the pipeline. Deliveries promise no
			// order across events (docs/webhooks.md); one article's
			// events are still enqueued in order.
			Concurrency: natsx.ArticleConcurrency,
		}, s.fanout)
	}()
	go func() { errs <- s.superviseDeliveries(ctx) }()
	var first error
	for range 2 {
		if err := <-errs; err != nil && first == nil && ctx.Err() == nil {
			first = err
			cancel()
		}
	}
	return first
}
