// Package linking is the linking service: it keeps an index of every
// published story and, whenever a story goes live or is taken down,
// computes the Related News boxes that change and announces them with
// RelatedUpdated, which publishing renders.
package linking

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

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
	// BucketCuration holds, per article an editor curated, its pinned and
	// excluded stories (a Curation message as protojson).
	BucketCuration = "linking-curation"
	// BucketSnapshots is the object store of index snapshots.
	BucketSnapshots = "linking-snapshots"
)

// Service is the linking service.
type Service struct {
	linkingv1.UnimplementedLinkingServiceServer

	d        service.Deps
	cfg      Config
	log      *slog.Logger
	docs     *natsx.Bucket
	related  *natsx.Store[*linkingv1.RelatedUpdated]
	curation *natsx.Bucket
	snaps    jetstream.ObjectStore
	idx      atomic.Pointer[index.Index]
	links    *links
	// boxes keeps this replica's refreshes of one box apart.
	boxes boxLocks
	// curations is a watched copy of linking-curation.
	curations *curations
	// inflight holds the stories handlers are storing, by id (see
	// applyDocs).
	inflight sync.Map
	ready    chan struct{}
	// docsRev is the linking-docs revision up to which the watch has
	// applied every change; a snapshot is consistent as of it.
	docsRev atomic.Uint64
	relRev  atomic.Uint64
	curRev  atomic.Uint64
	applied atomic.Int64 // changes applied since the last snapshot
	// loaded is the linking-docs revision of the snapshot Run started
	// from (0: none).
	loaded    atomic.Uint64
	snapshotM sync.Mutex
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
	docs, err := natsx.OpenBucket(ctx, d.JS, BucketDocs, d.Replicas)
	if err != nil {
		return nil, err
	}
	related, err := natsx.NewStore(ctx, d.JS, BucketRelated, d.Replicas, func() *linkingv1.RelatedUpdated { return &linkingv1.RelatedUpdated{} }, log)
	if err != nil {
		return nil, err
	}
	curation, err := natsx.OpenBucket(ctx, d.JS, BucketCuration, d.Replicas)
	if err != nil {
		return nil, err
	}
	snaps, err := natsx.EnsureObjectStore(ctx, d.JS, BucketSnapshots, d.Replicas)
	if err != nil {
		return nil, err
	}
	idx := index.New()
	idx.QueryTerms = cfg.QueryTerms
	s := &Service{d: d, cfg: cfg, log: log, docs: docs, related: related, curation: curation, snaps: snaps,
		links: newLinks(), curations: newCurations(), ready: make(chan struct{})}
	s.idx.Store(idx)
	return s, nil
}

// index is the index of published stories. Run replaces the empty one
// New makes with a snapshot, if there is one.
func (s *Service) index() *index.Index { return s.idx.Load() }

// Len is the number of stories indexed.
func (s *Service) Len() int { return s.index().Len() }

// Ready is closed once the index and the reverse links are built.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Name is the gRPC service name.
func (s *Service) Name() string { return linkingv1.LinkingService_ServiceDesc.ServiceName }

// Register adds LinkingService to srv.
func (s *Service) Register(srv grpc.ServiceRegistrar) { linkingv1.RegisterLinkingServiceServer(srv, s) }

// Run builds the index and the reverse links from the buckets, keeps them
// current by watching the buckets (other replicas write there too), and
// consumes publishing's events until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	docsReady, linksReady, curReady := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	start := time.Now()
	// The two snapshots load side by side.
	linksRev := make(chan uint64, 1)
	go func() { linksRev <- s.loadLinks(ctx) }()
	from := s.loadSnapshot(ctx)
	s.docsRev.Store(from)
	s.loaded.Store(from)
	s.relRev.Store(<-linksRev)
	wg.Go(func() { s.follow(ctx, s.docs, s.applyDocs, docsReady, &s.docsRev) })
	wg.Go(func() { s.follow(ctx, s.related.KV, s.applyLinks, linksReady, &s.relRev) })
	wg.Go(func() { s.follow(ctx, s.curation, s.applyCurations, curReady, &s.curRev) })
	wg.Go(func() { s.related.RunRecovery(ctx, s.cfg.RecoveryEvery) })
	for _, ready := range []chan struct{}{docsReady, linksReady, curReady} {
		select {
		case <-ready:
		case <-ctx.Done():
			return nil
		}
	}
	s.log.Info("index built", "stories", s.index().Len(), "from_snapshot", from > 0, "took", time.Since(start))
	close(s.ready)
	if from == 0 && s.cfg.SnapshotEvery > 0 && s.index().Len() >= s.cfg.SnapshotEvery/5 {
		// A start that replayed a large archive: keep a snapshot, so
		// the next one need not.
		wg.Go(func() { s.snapshot(ctx) })
	}
	return natsx.Consume(ctx, s.d.JS, natsx.ConsumerConfig{
		Stream:   events.StreamPublishing,
		Durable:  Durable,
		Subjects: []string{events.ArticlePublished, events.ArticleUnpublished},
		Log:      s.log,
		// Events of different stories in parallel, of one story in order.
		// A story's events also change other stories' boxes (forward
		// links, boxes showing it): those go through the compare-and-set
		// of linking-related, which recomputes a box from its current
		// value and the index on every attempt, so two handlers entering
		// one box both land.
		Concurrency: natsx.ArticleConcurrency,
	}, s.handle)
}
