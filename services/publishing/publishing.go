// Package publishing is the publishing service: it learns from review which
// revisions are cleared, publishes them now or at a set time, takes them
// down, and serves the public website from its KV bucket.
package publishing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"newsroom.dev/services/publishing/webhooks"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/service"
)

// Buckets publishing owns.
const (
	BucketPublications = "publishing-publications"
	BucketSchedule     = "publishing-schedule"
)

// Config configures the service.
type Config struct {
	// BaseURL is the public site's base URL, e.g. "http://127.0.0.1:8080";
	// public URLs of articles start with it.
	BaseURL string
}

// ConfigFromEnv reads NEWSROOM_PUBLIC_URL.
func ConfigFromEnv() Config {
	return Config{BaseURL: service.Env("NEWSROOM_PUBLIC_URL", "http://127.0.0.1:8080")}
}

// Service implements newsroom.publishing.v1.PublishingService and the site.
type Service struct {
	publishingv1.UnimplementedPublishingServiceServer

	d     service.Deps
	cfg   Config
	log   *slog.Logger
	pubs  *natsx.Store[*publishingv1.Publication]
	boxes *natsx.Store[*linkingv1.RelatedUpdated] // see boxKey
	sched jetstream.KeyValue
	live  *index
	site  *site
	// hooks delivers publishing events to subscribers' webhooks.
	hooks *webhooks.Service
	// passes counts the scheduler's passes over its due times, so tests
	// can tell that it has looked at the clock since they moved it.
	passes atomic.Int64
}

// New ensures the PUBLISHING stream and publishing's buckets.
func New(ctx context.Context, d service.Deps, cfg Config) (*Service, error) {
	if d.JS == nil || d.Clock == nil {
		return nil, errors.New("publishing: deps need JS and Clock")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if _, err := url.Parse(cfg.BaseURL); err != nil {
		return nil, fmt.Errorf("publishing: base URL: %w", err)
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "publishing")
	if _, err := natsx.EnsureStream(ctx, d.JS, events.StreamPublishing, events.StreamSubjects("publishing"), d.Replicas); err != nil {
		return nil, err
	}
	pubs, err := natsx.NewStore(ctx, d.JS, BucketPublications, d.Replicas, func() *publishingv1.Publication { return &publishingv1.Publication{} }, log)
	if err != nil {
		return nil, err
	}
	boxes, err := natsx.NewStore(ctx, d.JS, BucketPublications, d.Replicas, func() *linkingv1.RelatedUpdated { return &linkingv1.RelatedUpdated{} }, log)
	if err != nil {
		return nil, err
	}
	sched, err := natsx.EnsureKV(ctx, d.JS, BucketSchedule, d.Replicas)
	if err != nil {
		return nil, err
	}
	hooks, err := webhooks.New(ctx, d, webhooks.Config{})
	if err != nil {
		return nil, err
	}
	s := &Service{d: d, cfg: cfg, log: log, pubs: pubs, boxes: boxes, sched: sched, live: newIndex(), hooks: hooks}
	if s.site, err = newSite(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Name is the gRPC service name.
func (s *Service) Name() string { return publishingv1.PublishingService_ServiceDesc.ServiceName }

// Register adds the RPCs to a gRPC server.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	publishingv1.RegisterPublishingServiceServer(r, s)
	s.hooks.Register(r)
}

// Handler serves the public website.
func (s *Service) Handler() http.Handler { return s.site }

// Run consumes review, drafting and linking events, keeps the site's index
// current, fires schedules and recovers unpublished outbox events, until
// ctx ends. A part that fails stops the rest and its error is returned.
func (s *Service) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := []func(context.Context) error{
		s.hooks.Run,
		func(ctx context.Context) error {
			return natsx.Consume(ctx, s.d.JS, natsx.ConsumerConfig{
				Stream: events.StreamReview, Durable: "publishing-review", Log: s.log, Concurrency: natsx.ArticleConcurrency,
				Subjects: []string{events.ArticleCleared, events.ChangesRequested},
			}, s.handleReview)
		},
		func(ctx context.Context) error {
			return natsx.Consume(ctx, s.d.JS, natsx.ConsumerConfig{
				Stream: events.StreamDrafting, Durable: "publishing-drafting", Log: s.log, Concurrency: natsx.ArticleConcurrency,
				Subjects: []string{events.ArticleUpdated, events.ArticleSubmitted, events.ArticleWithdrawn},
			}, s.handleDrafting)
		},
		func(ctx context.Context) error {
			return natsx.Consume(ctx, s.d.JS, natsx.ConsumerConfig{
				Stream: events.StreamLinking, Durable: "publishing-linking", Log: s.log, Concurrency: natsx.ArticleConcurrency,
				Subjects: []string{events.RelatedUpdated},
			}, s.handleLinking)
		},
		s.runScheduler,
		s.runIndex,
		func(ctx context.Context) error { s.pubs.RunRecovery(ctx, 30*time.Second); return nil },
	}
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, run := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil && ctx.Err() == nil {
				once.Do(func() { first = err })
				cancel()
			}
		}()
	}
	wg.Wait()
	return first
}

// publicURL is where article id lives on the site.
func (s *Service) publicURL(id, slug string) string {
	return s.cfg.BaseURL + articlePath(id, slug)
}

// articlePath is the site-relative canonical path of an article.
func articlePath(id, slug string) string {
	p := "/articles/" + url.PathEscape(id)
	if slug != "" {
		p += "/" + url.PathEscape(slug)
	}
	return p
}

// meta fills an event's metadata.
func (s *Service) meta(ctx context.Context, id string, rev int64, kind string, extra ...string) *articlev1.EventMeta {
	return &articlev1.EventMeta{
		Id:          events.ID(id, rev, kind, extra...),
		ArticleId:   id,
		Revision:    rev,
		Actor:       auth.Actor(ctx),
		Time:        timestamppb.New(s.d.Clock.Now()),
		Traceparent: natsx.Traceparent(ctx),
	}
}

// validID reports whether id can be an article id: a single KV key token
// (no dots, so "/articles/{id}.json" is unambiguous).
func validID(id string) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '=':
		default:
			return false
		}
	}
	return true
}
