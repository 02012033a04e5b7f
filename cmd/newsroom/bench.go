package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/term"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/benchtext"
	"newsroom.dev/platform/events"
	"newsroom.dev/services/linking"
)

func init() {
	register("bench", spec{
		"articles": true, "writers": true, "rate": true, "nats": true, "tokens": true,
		"flagged": true, "out": true, "timeout": true, "warmup": true, "clusters": true, "seed": true, "nats-ca": true,
		"metrics": true,
	}, bench)
}

// bench drives the whole pipeline: writers create and submit generated
// articles, a reviewer bot decides the flags, a publisher bot publishes
// what review clears, and it waits until every article is published with
// its related box. Actions go over gRPC; progress is observed from the
// events themselves on NATS, so each step is timed where it happens.
//
// The articles are stories of a benchtext.Archive (seed --seed), in its
// order: the --warmup first ones untimed, then the timed ones, so stories
// about one event arrive close together, as in a newsroom. Which ones
// carry a claim for review (--flagged, a share) follows from the seed too.
//
// With --metrics (the /metrics URLs of the processes under test, comma
// separated: `newsroom dev` prints its own) it also reports the CPU time
// an article cost them, and the bench itself, over the timed run.
func bench(a *args, out io.Writer) error {
	const u = "bench --tokens FILE --nats URL [--nats-ca FILE] [--articles N] [--writers W] [--rate R] [--flagged F] [--warmup N] [--seed S] [--metrics URL,...] [--out FILE]"
	n, _ := strconv.Atoi(a.str("articles", "", "1000"))
	writers, _ := strconv.Atoi(a.str("writers", "", "16"))
	rate, _ := strconv.ParseFloat(a.str("rate", "", "0"), 64)
	flagged, _ := strconv.ParseFloat(a.str("flagged", "", "0.1"), 64)
	// --clusters is the warm-up's name before session 5 (one story of
	// each cluster of the old generator); scripts may still pass it.
	warmup, _ := strconv.Atoi(a.str("warmup", "", a.str("clusters", "", "20")))
	seed, _ := strconv.ParseUint(a.str("seed", "", "1"), 10, 64)
	timeout, err := time.ParseDuration(a.str("timeout", "", "10m"))
	natsURL := a.str("nats", "NEWSROOM_NATS_URL", "")
	tokFile := a.str("tokens", "", "")
	if n <= 0 || writers <= 0 || err != nil || natsURL == "" || tokFile == "" || warmup < 0 {
		return usageError(u)
	}
	toks := map[string]string{}
	b, err := os.ReadFile(tokFile)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &toks); err != nil {
		return fmt.Errorf("%s: %w", tokFile, err)
	}
	c := newClients(a)
	defer c.close()
	conn, err := c.conn("drafting")
	if err != nil {
		return err
	}
	rconn, err := c.conn("review")
	if err != nil {
		return err
	}
	pconn, err := c.conn("publishing")
	if err != nil {
		return err
	}
	as := func(role string) grpc.CallOption { return grpc.PerRPCCredentials(auth.Bearer(toks[role])) }
	b2 := &benchRun{
		draft: draftingv1.NewDraftingServiceClient(conn), review: reviewv1.NewReviewServiceClient(rconn),
		pub:    publishingv1.NewPublishingServiceClient(pconn),
		writer: as("writer"), reviewer: as("reviewer"), publisher: as("publisher"),
		track: map[string]*benchArticle{}, warmup: warmup, out: out,
		text: benchtext.New(warmup+n, seed),
	}
	// A NATS server with TLS (the compose cluster) is checked against
	// --nats-ca, else the CA of the gRPC services; a user and password go
	// in the URL (nats://ops:PASSWORD@host:4222).
	nopts := []nats.Option{nats.Name("newsroom-bench")}
	if ca := a.str("nats-ca", "NEWSROOM_NATS_CA", a.str("ca", "NEWSROOM_CA", "")); ca != "" {
		nopts = append(nopts, nats.RootCAs(ca))
	}
	nc, err := nats.Connect(natsURL, nopts...)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := b2.watch(ctx, js); err != nil {
		return err
	}
	cpu := newCPUMeter(a.str("metrics", "", ""))
	if err := cpu.start(ctx); err != nil { // a wrong URL fails now, not after the warm-up
		return err
	}

	// Warm-up, untimed: the archive's first stories, so the first timed
	// ones do not land in an empty index.
	fmt.Fprintf(out, "bench: warming up with %d stories\n", warmup)
	warm := make([]string, 0, warmup)
	for i := range warmup {
		id, err := b2.createSubmit(ctx, i, false)
		if err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		warm = append(warm, id)
	}
	if err := b2.waitAll(ctx, warm, false); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}

	if err := cpu.start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "bench: %d articles, %d writers, rate %s, %.0f%% flagged\n", n, writers, rateName(rate), flagged*100)
	jobs := make(chan int)
	var wg sync.WaitGroup
	ids := make([]string, n)
	var firstErr atomic.Value
	start := time.Now()
	b2.start = start
	for range writers {
		wg.Go(func() {
			for i := range jobs {
				id, err := b2.createSubmit(ctx, warmup+i, b2.text.Flagged(warmup+i, flagged))
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				ids[i] = id
			}
		})
	}
	var tick <-chan time.Time
	if rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		tick = t.C
	}
	stopProgress := b2.progress(n)
	for i := range n {
		if tick != nil {
			<-tick
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if e, _ := firstErr.Load().(error); e != nil {
		stopProgress()
		return e
	}
	err = b2.waitAll(ctx, ids, true)
	stopProgress()
	if err != nil {
		return err
	}
	// Read before the summary, while nothing but idling runs.
	spent, self, err := cpu.stop(ctx)
	elapsed := time.Since(start)
	if err != nil {
		return err
	}
	sum := b2.summary(ids, start, n, writers, rate, flagged)
	if len(cpu.targets) > 0 {
		sum.CPU = cpuSummary(cpu.targets, spent, self, n, elapsed.Seconds())
	}
	if a.flag("json") {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		printSummary(out, sum)
	}
	if f := a.str("out", "", ""); f != "" {
		b, _ := json.MarshalIndent(sum, "", "  ")
		return os.WriteFile(f, append(b, '\n'), 0o644)
	}
	return nil
}

func rateName(r float64) string {
	if r <= 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%.0f/s", r)
}

// benchArticle is when each step of one article happened.
type benchArticle struct {
	created, submitted, flagged, cleared, publishCalled, published, related time.Time
}

type benchRun struct {
	draft                       draftingv1.DraftingServiceClient
	review                      reviewv1.ReviewServiceClient
	pub                         publishingv1.PublishingServiceClient
	writer, reviewer, publisher grpc.CallOption
	warmup                      int
	text                        *benchtext.Archive
	out                         io.Writer
	start                       time.Time

	mu    sync.Mutex
	track map[string]*benchArticle

	counts struct{ created, published, related atomic.Int64 }
}

func (b *benchRun) set(id string, f func(*benchArticle)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.track[id]
	if t == nil {
		t = &benchArticle{}
		b.track[id] = t
	}
	f(t)
}

// createSubmit writes story i of the archive and submits it.
func (b *benchRun) createSubmit(ctx context.Context, i int, flag bool) (string, error) {
	art := b.text.Article(i, flag)
	t0 := time.Now()
	resp, err := b.draft.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: art}, b.writer)
	if err != nil {
		return "", fmt.Errorf("create: %w", err)
	}
	id := resp.GetArticle().GetId()
	t1 := time.Now()
	if _, err := b.draft.SubmitArticle(ctx, &draftingv1.SubmitArticleRequest{Id: id}, b.writer); err != nil {
		return "", fmt.Errorf("submit: %w", err)
	}
	b.set(id, func(a *benchArticle) { a.created, a.submitted = t0, t1 })
	b.counts.created.Add(1)
	return id, nil
}

// watch follows the events on NATS from now on and drives the reviewer
// and publisher bots.
func (b *benchRun) watch(ctx context.Context, js jetstream.JetStream) error {
	decide := make(chan string, 4096)
	publish := make(chan string, 4096)
	for range 4 {
		// Several reviewers and publishers, so the bots are not the
		// bottleneck being measured.
		for range benchBots {
			go b.reviewerBot(ctx, decide)
			go b.publisherBot(ctx, publish)
		}
	}
	// An article has its related box once linking stored it, in
	// linking-related: a story with no related story gets an empty box
	// and no RelatedUpdated (nothing changes on its page), so the event
	// stream would never show it. A box is written, then its event
	// published, so the write is also the earlier of the two.
	subjects := map[string][]string{
		events.StreamReview:           {events.ArticleFlagged, events.ArticleCleared},
		events.StreamPublishing:       {events.ArticlePublished},
		"KV_" + linking.BucketRelated: {boxSubject + ">"},
	}
	for stream, subs := range subjects {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			return fmt.Errorf("stream %s (is newsroom running?): %w", stream, err)
		}
		// Headers only: the event's id (Nats-Msg-Id) starts with its
		// article's, and a box's subject ends with it, so the bench need
		// not receive nor decode the bodies (whole articles, most of
		// them), which cost the server and the bench CPU on the two cores
		// the pipeline runs on.
		cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: subs, DeliverPolicy: jetstream.DeliverNewPolicy, HeadersOnly: true})
		if err != nil {
			return err
		}
		_, err = cons.Consume(func(m jetstream.Msg) {
			now := time.Now()
			if box, ok := strings.CutPrefix(m.Subject(), boxSubject); ok {
				b.set(box, func(a *benchArticle) {
					if a.related.IsZero() {
						a.related = now
						b.counts.related.Add(1)
					}
				})
				return
			}
			id := eventArticle(m.Headers().Get(jetstream.MsgIDHeader))
			if id == "" {
				return
			}
			switch m.Subject() {
			case events.ArticleFlagged:
				b.set(id, func(a *benchArticle) { a.flagged = now })
				decide <- id
			case events.ArticleCleared:
				b.set(id, func(a *benchArticle) { a.cleared = now })
				publish <- id
			case events.ArticlePublished:
				b.set(id, func(a *benchArticle) { a.published = now })
				b.counts.published.Add(1)
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// boxSubject is the subject prefix of the boxes in linking-related; the
// rest is the article id.
const boxSubject = "$KV." + linking.BucketRelated + "."

// eventArticle is the article an event id (events.ID:
// <article>/<revision>/<kind>[/<n>]) is about; "" if it is not one.
func eventArticle(id string) string {
	article, rest, ok := strings.Cut(id, "/")
	if !ok || rest == "" {
		return ""
	}
	return article
}

// benchBots is how many reviewer and publisher bots run.
const benchBots = 16

func (b *benchRun) reviewerBot(ctx context.Context, ids <-chan string) {
	for id := range ids {
		// The bot hears "flagged" once the review is stored, but a read
		// may be served by a replica of the bucket a few milliseconds
		// behind (JetStream's direct get): read again until the review
		// shows its flags, or the article would wait for the timeout.
		var resp *reviewv1.GetReviewResponse
		for attempt := 0; attempt < 40; attempt++ {
			r, err := b.review.GetReview(ctx, &reviewv1.GetReviewRequest{ArticleId: id}, b.reviewer)
			if err == nil && len(r.GetReview().GetFlags()) > 0 {
				resp = r
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
		for _, f := range resp.GetReview().GetFlags() {
			if f.GetStatus() != reviewv1.FlagStatus_FLAG_STATUS_OPEN || f.GetSeverity() < reviewv1.Severity_SEVERITY_WARNING {
				continue
			}
			// A decision that failed for a passing reason is made
			// again, as a reviewer at the desk would; one left undone
			// would hold its article back until the bench times out.
			for attempt := 0; attempt < 5; attempt++ {
				_, err := b.review.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: id, FlagId: f.GetId(), Note: "bench"}, b.reviewer)
				if c := status.Code(err); c != codes.Internal && c != codes.Unavailable && c != codes.Aborted {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
}

func (b *benchRun) publisherBot(ctx context.Context, ids <-chan string) {
	for id := range ids {
		t := time.Now()
		// The bot hears "cleared" at the same moment publishing does, so
		// publishing may not have recorded it yet (about one call in six
		// at 100/s): retry a refusal soon, since publishing applies a clear
		// within a millisecond or two, and a 5 ms sleep was most of the
		// median publish_rpc_to_published of the refused ones.
		for attempt := 0; attempt < 1000; attempt++ {
			_, err := b.pub.PublishArticle(ctx, &publishingv1.PublishArticleRequest{ArticleId: id}, b.publisher)
			if err == nil {
				b.set(id, func(a *benchArticle) { a.publishCalled = t })
				break
			}
			if c := status.Code(err); c != codes.FailedPrecondition && c != codes.NotFound {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// waitAll waits until every article is published (and, with related, has
// its related box).
func (b *benchRun) waitAll(ctx context.Context, ids []string, related bool) error {
	for {
		left := 0
		b.mu.Lock()
		for _, id := range ids {
			t := b.track[id]
			if t == nil || t.published.IsZero() || (related && t.related.IsZero()) {
				left++
			}
		}
		b.mu.Unlock()
		if left == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d articles not published with a related box before the timeout", left, len(ids))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// progress prints a live line on a terminal until the returned func is called.
func (b *benchRun) progress(n int) func() {
	f, ok := b.out.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintln(b.out)
				return
			case <-t.C:
				el := time.Since(b.start).Seconds()
				p := b.counts.published.Load()
				fmt.Fprintf(b.out, "\r  submitted %d/%d  published %d  related %d  %.0f articles/s   ", b.counts.created.Load()-int64(b.warmup), n, p, b.counts.related.Load(), float64(p)/el)
			}
		}
	}()
	return func() { close(done) }
}

// Summary is what `newsroom bench --json` prints.
type Summary struct {
	Articles     int                 `json:"articles"`
	Writers      int                 `json:"writers"`
	Rate         float64             `json:"rate_limit"`
	Flagged      float64             `json:"flagged_ratio"`
	Seconds      float64             `json:"seconds"`
	ArticlesPerS float64             `json:"articles_per_second"`
	StepsMs      map[string]Quantile `json:"steps_ms"`
	// CPU is there with --metrics.
	CPU *CPU `json:"cpu,omitempty"`
}

// Quantile is p50/p95/p99 of one step, in milliseconds.
type Quantile struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	N   int     `json:"n"`
}

func (b *benchRun) summary(ids []string, start time.Time, n, writers int, rate, flagged float64) Summary {
	steps := map[string][]time.Duration{}
	add := func(name string, from, to time.Time) {
		if !from.IsZero() && !to.IsZero() {
			steps[name] = append(steps[name], to.Sub(from))
		}
	}
	var end time.Time
	b.mu.Lock()
	for _, id := range ids {
		t := b.track[id]
		add("create+submit_rpc", t.created, t.submitted)
		add("submit_to_flagged", t.submitted, t.flagged)
		add("submit_to_cleared", t.submitted, t.cleared)
		add("cleared_to_publish_rpc", t.cleared, t.publishCalled)
		add("publish_rpc_to_published", t.publishCalled, t.published)
		add("published_to_related", t.published, t.related)
		add("submit_to_published", t.submitted, t.published)
		for _, x := range []time.Time{t.published, t.related} {
			if x.After(end) {
				end = x
			}
		}
	}
	b.mu.Unlock()
	s := Summary{Articles: n, Writers: writers, Rate: rate, Flagged: flagged, StepsMs: map[string]Quantile{}}
	s.Seconds = end.Sub(start).Seconds()
	s.ArticlesPerS = float64(n) / s.Seconds
	for name, ds := range steps {
		slices.Sort(ds)
		q := func(p float64) float64 {
			return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
		}
		s.StepsMs[name] = Quantile{P50: q(0.50), P95: q(0.95), P99: q(0.99), N: len(ds)}
	}
	return s
}

func printSummary(out io.Writer, s Summary) {
	fmt.Fprintf(out, "bench: %d articles in %.2fs = %.1f articles/s sustained (writers %d, rate %s)\n", s.Articles, s.Seconds, s.ArticlesPerS, s.Writers, rateName(s.Rate))
	names := make([]string, 0, len(s.StepsMs))
	for k := range s.StepsMs {
		names = append(names, k)
	}
	slices.Sort(names)
	fmt.Fprintf(out, "  %-26s %8s %8s %8s %6s\n", "step (ms)", "p50", "p95", "p99", "n")
	for _, k := range names {
		q := s.StepsMs[k]
		fmt.Fprintf(out, "  %-26s %8.2f %8.2f %8.2f %6d\n", k, q.P50, q.P95, q.P99, q.N)
	}
	if c := s.CPU; c != nil {
		procs := "1 process"
		if len(c.Targets) != 1 {
			procs = fmt.Sprintf("%d processes", len(c.Targets))
		}
		fmt.Fprintf(out, "  CPU an article: %.2f ms the system (%s), %.2f ms the bench; %.2f cores busy\n",
			c.System, procs, c.Bench, c.Cores)
	}
}
