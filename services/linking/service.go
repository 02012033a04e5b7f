// Package linking is the linking service: it keeps an index of every
// published story and, whenever a story goes live or is taken down,
// computes the Related News boxes that change and announces them with
// RelatedUpdated, which publishing renders.
package linking

import (
	"context"
	"log/slog"
	"sync"

	"google.golang.org/grpc"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/service"
	"newsroom.dev/services/linking/index"

	"github.com/nats-io/nats.go/jetstream"
)

// Buckets linking owns.
const (
	// BucketDocs holds, per published story, what the index needs (a
	// JSON record).
	BucketDocs = "linking-docs"
	// BucketRelated holds, per published story, its last computed box as
	// a RelatedUpdated message.
	BucketRelated = "linking-related"
)

// Service is the linking service.
type Service struct {
	linkingv1.UnimplementedLinkingServiceServer

	d       service.Deps
	cfg     Config
	log     *slog.Logger
	docs    jetstream.KeyValue
	related *natsx.Store[*linkingv1.RelatedUpdated]
	live    *live
	links   *links
}

// New ensures linking's stream and buckets and returns the service. Its
// index is built when Run starts.
func New(ctx context.Context, d service.Deps, cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	log := d.Log.With("component", "linking")
	if _, err := natsx.EnsureStream(ctx, d.JS, events.StreamLinking, events.StreamSubjects("linking"), d.Replicas); err != nil {
		return nil, err
	}
	docs, err := natsx.EnsureKV(ctx, d.JS, BucketDocs, d.Replicas)
	if err != nil {
		return nil, err
	}
	related, err := natsx.NewStore(ctx, d.JS, BucketRelated, d.Replicas, func() *linkingv1.RelatedUpdated { return &linkingv1.RelatedUpdated{} }, log)
	if err != nil {
		return nil, err
	}
	idx := index.New()
	idx.QueryTerms = cfg.QueryTerms
	return &Service{d: d, cfg: cfg, log: log, docs: docs, related: related, live: newLive(idx), links: newLinks()}, nil
}

// Name is the gRPC service name.
func (s *Service) Name() string { return linkingv1.LinkingService_ServiceDesc.ServiceName }

// Register adds LinkingService to srv.
func (s *Service) Register(srv grpc.ServiceRegistrar) { linkingv1.RegisterLinkingServiceServer(srv, s) }

// Run builds the index and the reverse links from the buckets, keeps them
// current by watching the buckets (other replicas write there too), and
// consumes publishing's events until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	docsReady, linksReady := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { s.follow(ctx, s.docs, s.applyDoc, docsReady) })
	wg.Go(func() { s.follow(ctx, s.related.KV, s.applyLinks, linksReady) })
	wg.Go(func() { s.related.RunRecovery(ctx, s.cfg.RecoveryEvery) })
	for _, ready := range []chan struct{}{docsReady, linksReady} {
		select {
		case <-ready:
		case <-ctx.Done():
			return nil
		}
	}
	s.log.Info("index built", "stories", s.live.idx.Len())
	return natsx.Consume(ctx, s.d.JS, natsx.ConsumerConfig{
		Stream:   events.StreamPublishing,
		Durable:  Durable,
		Subjects: []string{events.ArticlePublished, events.ArticleUnpublished},
		Log:      s.log,
	}, s.handle)
}
