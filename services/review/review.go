// Package review is Newsroom's sensitivity review service. It scans every
// submitted revision with the rule packs in rules/, keeps one Review per
// article in the review-reviews bucket, lets the standards desk approve or
// dismiss each flag, and tells the newsroom when a revision is cleared or
// sent back, by events on the REVIEW stream. The rules can be reloaded on
// every replica without a restart (Reload), and RuleStats counts how each
// rule fares with the desk. docs/review.md is the service's guide.
package review

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"google.golang.org/grpc"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/service"
	"newsroom.dev/services/review/rules"
)

// Buckets review owns.
const (
	BucketReviews   = "review-reviews"
	BucketArticles  = "review-articles"
	BucketRuleStats = "review-rulestats"
)

// Durable consumer names.
const (
	ConsumerSubmitted = "review-submitted"
	ConsumerWithdrawn = "review-withdrawn"
)

// Config configures the service.
type Config struct {
	// RulesDir, if set, replaces the embedded rule packs with the *.yaml
	// packs (and data/*.txt lists) in this directory, and is where Reload
	// reads them again.
	RulesDir string
	// StatsInterval is how often each replica folds new REVIEW events into
	// the rule statistics in the background (RuleStats also folds before it
	// answers); 0 means a minute.
	StatsInterval time.Duration
}

// ConfigFromEnv reads NEWSROOM_RULES_DIR.
func ConfigFromEnv() Config {
	return Config{RulesDir: service.Env("NEWSROOM_RULES_DIR", "")}
}

// Service implements newsroom.review.v1.ReviewService.
type Service struct {
	reviewv1.UnimplementedReviewServiceServer

	cfg      Config
	nc       *nats.Conn
	js       jetstream.JetStream
	log      *slog.Logger
	clock    clock.Clock
	rules    atomic.Pointer[rules.Set]
	reviews  *natsx.Store[*reviewv1.Review]
	articles *natsx.Store[*articlev1.Article]
	stats    jetstream.KeyValue
	// reloadMu serialises reloads on this replica, so an older folder
	// state read by a slow reload cannot replace a newer one.
	reloadMu sync.Mutex
}

// ruleSet returns the rules in force. A reload swaps in a whole new set,
// so a scan sees one set from start to finish.
func (s *Service) ruleSet() *rules.Set { return s.rules.Load() }

// New loads the rules, and ensures the REVIEW stream and review's buckets.
func New(ctx context.Context, d service.Deps, cfg Config) (*Service, error) {
	set, err := loadRules(cfg)
	if err != nil {
		return nil, err
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	clk := d.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	if _, err := natsx.EnsureStream(ctx, d.JS, events.StreamReview, events.StreamSubjects("review"), d.Replicas); err != nil {
		return nil, err
	}
	reviews, err := natsx.NewStore(ctx, d.JS, BucketReviews, d.Replicas, func() *reviewv1.Review { return &reviewv1.Review{} }, log)
	if err != nil {
		return nil, err
	}
	articles, err := natsx.NewStore(ctx, d.JS, BucketArticles, d.Replicas, func() *articlev1.Article { return &articlev1.Article{} }, log)
	if err != nil {
		return nil, err
	}
	stats, err := natsx.EnsureKV(ctx, d.JS, BucketRuleStats, d.Replicas)
	if err != nil {
		return nil, err
	}
	if cfg.StatsInterval <= 0 {
		cfg.StatsInterval = time.Minute
	}
	s := &Service{cfg: cfg, nc: d.NC, js: d.JS, log: log, clock: clk, reviews: reviews, articles: articles, stats: stats}
	s.rules.Store(set)
	log.Info("rule packs loaded", "rules", len(set.Rules()), "packs", set.Packs(), "digest", set.Digest(), "dir", cfg.RulesDir)
	return s, nil
}

func loadRules(cfg Config) (*rules.Set, error) {
	if cfg.RulesDir == "" {
		return rules.Default()
	}
	set, err := rules.LoadDir(cfg.RulesDir)
	if err != nil {
		return nil, fmt.Errorf("review: rules from %s: %w", cfg.RulesDir, err)
	}
	return set, nil
}

// Name is the gRPC service name.
func (s *Service) Name() string { return reviewv1.ReviewService_ServiceDesc.ServiceName }

// Register adds the ReviewService RPCs to r.
func (s *Service) Register(r grpc.ServiceRegistrar) { reviewv1.RegisterReviewServiceServer(r, s) }

// Run consumes drafting's submitted and withdrawn events, publishes events
// a crashed writer left in the outbox, follows rule reloads announced by
// other replicas and keeps the rule statistics folded, until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	fail := func(err error) {
		if err != nil {
			once.Do(func() { first = err; cancel() })
		}
	}
	consume := func(durable, subject string, h natsx.Handler) {
		defer wg.Done()
		fail(natsx.Consume(ctx, s.js, natsx.ConsumerConfig{
			Stream: events.StreamDrafting, Durable: durable,
			Subjects: []string{subject}, Log: s.log,
			// Events of different articles in parallel, of one article in order.
			Concurrency: natsx.ArticleConcurrency,
		}, h))
	}
	sub, err := s.followReloads()
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	wg.Add(4)
	go consume(ConsumerSubmitted, events.ArticleSubmitted, s.onSubmitted)
	go consume(ConsumerWithdrawn, events.ArticleWithdrawn, s.onWithdrawn)
	go func() { defer wg.Done(); s.reviews.RunRecovery(ctx, 30*time.Second) }()
	go func() { defer wg.Done(); s.runStats(ctx) }()
	wg.Wait()
	return first
}
