package linking

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/benchtext"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// BenchmarkPublished is linking's share of the pipeline benchmark
// (`newsroom bench`): the bench's stories (benchtext's archive, seed 1, in
// its order: clusters of a few stories about one event, a few hundred
// topics), written as the bench writes them, published as fast as they
// go, so that they queue as they do when linking falls behind, and
// handled 16 at a time on an embedded
// JetStream. It reports the CPU of the whole process (linking, the
// server, the client) and the JetStream writes per story handled: box
// events and linking-related writes.
//
//	go test ./services/linking -run '^$' -bench Published -benchtime 1000x -count 3
func BenchmarkPublished(b *testing.B) {
	e := start(b, "", 1)
	text := benchtext.New(benchWarmup+b.N, 1)
	// The archive's first stories first, as the bench warms up.
	for i := range benchWarmup {
		e.handled(e.publish(benchStory(text, i), 0))
	}
	rel0, box0 := lastSeq(e, events.StreamLinking), lastSeq(e, "KV_"+BucketRelated)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		a := benchStory(text, benchWarmup+i)
		ev := &publishingv1.ArticlePublished{
			Meta: &articlev1.EventMeta{
				Id: events.ID(a.GetId(), 1, "published", "1"), ArticleId: a.GetId(), Revision: 1, Actor: "pat", Time: a.GetPublishedAt(),
			},
			Article: a, Publication: 1,
		}
		if err := natsx.Publish(e.ctx, e.nats.JS, natsx.Event{Subject: events.ArticlePublished, ID: ev.Meta.Id, Msg: ev}); err != nil {
			b.Fatal(err)
		}
	}
	last := lastSeq(e, events.StreamPublishing)
	testutil.Eventually(b, time.Minute, "linking to handle every story", func() bool {
		c, err := e.nats.JS.Consumer(e.ctx, events.StreamPublishing, Durable)
		if err != nil {
			return false
		}
		info, err := c.Info(e.ctx)
		return err == nil && info.AckFloor.Stream >= last && info.NumAckPending == 0
	})
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(cpuTime()-cpu0)/n/1e3, "cpu-µs/story")
	b.ReportMetric(float64(lastSeq(e, events.StreamLinking)-rel0)/n, "events/story")
	b.ReportMetric(float64(lastSeq(e, "KV_"+BucketRelated)-box0)/n, "box-writes/story")
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func lastSeq(e *env, stream string) uint64 {
	e.t.Helper()
	s, err := e.nats.JS.Stream(e.ctx, stream)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return info.State.LastSeq
}

// benchWarmup is how many stories `newsroom bench` writes before it times
// (its --warmup).
const benchWarmup = 20

// benchStory is story seq of text as `newsroom bench` writes it, published
// seq seconds after t0.
func benchStory(text *benchtext.Archive, seq int) *articlev1.Article {
	a := text.Article(seq, false)
	a.Id = fmt.Sprintf("bench-%05d", seq)
	a.Revision = 1
	a.Status = articlev1.Status_STATUS_PUBLISHED
	a.PublishedAt = timestamppb.New(t0.Add(time.Duration(seq) * time.Second))
	a.PublicUrl = "https://news.example/" + a.Id
	return a
}
