// Package drafting is where articles are written and revised. It keeps the
// latest revision of every article (bucket drafting-articles), a snapshot of
// every revision (bucket drafting-revisions), and owns the article's status:
// it moves it on its own RPCs and when review's and publishing's events
// arrive. See docs/architecture.md for the state machine.
package drafting

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/service"
)

// Bucket names.
const (
	ArticlesBucket  = "drafting-articles"
	RevisionsBucket = "drafting-revisions"
)

// Durable consumer names, shared by all replicas.
const (
	RevisionsConsumer = "drafting-revisions"
	StatusConsumer    = "drafting-status"
)

// Config tunes the service; the zero value is usable.
type Config struct {
	// RecoveryInterval is how often the outbox is checked for events a
	// crashed writer left unpublished (default 30s).
	RecoveryInterval time.Duration
}

// ConfigFromEnv reads NEWSROOM_DRAFTING_RECOVERY_INTERVAL (a Go duration).
func ConfigFromEnv() Config {
	var c Config
	if v := service.Env("NEWSROOM_DRAFTING_RECOVERY_INTERVAL", ""); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			c.RecoveryInterval = d
		}
	}
	return c
}

// Service implements newsroom.drafting.v1.DraftingService.
type Service struct {
	draftingv1.UnimplementedDraftingServiceServer

	js        jetstream.JetStream
	log       *slog.Logger
	clock     clock.Clock
	cfg       Config
	articles  *natsx.Store[*articlev1.Article]
	revisions jetstream.KeyValue
	stored    storedSnapshots // see snapshot
	ids       *idGen
}

// New ensures the DRAFTING stream and the service's buckets exist and
// returns the service; Run starts its consumers.
func New(ctx context.Context, d service.Deps, cfg Config) (*Service, error) {
	if cfg.RecoveryInterval <= 0 {
		cfg.RecoveryInterval = 30 * time.Second
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("svc", "drafting")
	clk := d.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	if _, err := natsx.EnsureStream(ctx, d.JS, events.StreamDrafting, events.StreamSubjects("drafting"), d.Replicas); err != nil {
		return nil, fmt.Errorf("drafting: %w", err)
	}
	articles, err := natsx.NewStore(ctx, d.JS, ArticlesBucket, d.Replicas, func() *articlev1.Article { return &articlev1.Article{} }, log)
	if err != nil {
		return nil, fmt.Errorf("drafting: %w", err)
	}
	revisions, err := natsx.EnsureKV(ctx, d.JS, RevisionsBucket, d.Replicas)
	if err != nil {
		return nil, fmt.Errorf("drafting: %w", err)
	}
	return &Service{
		js:        d.JS,
		log:       log,
		clock:     clk,
		cfg:       cfg,
		articles:  articles,
		revisions: revisions,
		ids:       newIDGen(),
	}, nil
}

// Name is the gRPC service name.
func (s *Service) Name() string { return draftingv1.DraftingService_ServiceDesc.ServiceName }

// Register adds the RPCs to a gRPC server.
func (s *Service) Register(r grpc.ServiceRegistrar) { draftingv1.RegisterDraftingServiceServer(r, s) }

// Run keeps the revision log and the status in step with the event streams,
// and publishes events a crash left in the outbox, until ctx ends.
func (s *Service) Run(parent context.Context) error {
	// One failing loop stops the others, so the host sees the error.
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	run := func(cfg natsx.ConsumerConfig, h natsx.Handler) {
		wg.Go(func() {
			cfg.Log = s.log
			cfg.Concurrency = natsx.ArticleConcurrency // handlers touch only their article
			if err := natsx.Consume(ctx, s.js, cfg, h); err != nil {
				errc <- err
			}
		})
	}
	run(natsx.ConsumerConfig{
		Stream:   events.StreamDrafting,
		Durable:  RevisionsConsumer,
		Subjects: []string{events.ArticleCreated, events.ArticleUpdated},
	}, s.handleRevision)
	run(natsx.ConsumerConfig{
		Stream:   events.StreamReview,
		Durable:  StatusConsumer,
		Subjects: []string{events.ArticleCleared, events.ChangesRequested},
	}, s.handleStatus)
	run(natsx.ConsumerConfig{
		Stream:   events.StreamPublishing,
		Durable:  StatusConsumer,
		Subjects: []string{events.ArticleScheduled, events.ArticleUnscheduled, events.ArticlePublished, events.ArticleUnpublished},
	}, s.handleStatus)
	wg.Go(func() { s.articles.RunRecovery(ctx, s.cfg.RecoveryInterval) })

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	wg.Wait()
	if parent.Err() != nil {
		return nil
	}
	return err
}
