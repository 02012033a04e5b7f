package natsx_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/natsx"
)

// BenchmarkConsume delivers events about 64 articles to natsx.Consume with
// the services' concurrency and a handler that does nothing, and waits
// until every one is acked: what the consumer loop itself costs per
// event (delivery, the span, metrics, the ack), client and embedded server
// together (cpu-µs/op; the events are published before the timer starts).
//
//	go test ./platform/natsx -run '^$' -bench Consume -benchtime 20000x -count 5
func BenchmarkConsume(b *testing.B) {
	ctx, n, _, st := setup(b)
	for i := range b.N {
		a := &articlev1.Article{Id: fmt.Sprint("a", i%64), Revision: int64(i/64 + 1)}
		if err := natsx.Publish(ctx, n.JS, updated(a)); err != nil {
			b.Fatal(err)
		}
	}
	var handled atomic.Int64
	done := make(chan struct{})
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.ResetTimer()
	cpu := processCPU()
	go func() {
		_ = natsx.Consume(cctx, n.JS, natsx.ConsumerConfig{
			Stream: testStream, Durable: "bench", Subjects: []string{testSubject}, Concurrency: natsx.ArticleConcurrency,
		}, func(context.Context, jetstream.Msg) error {
			if handled.Add(1) == int64(b.N) {
				close(done)
			}
			return nil
		})
	}()
	<-done
	for {
		c, err := st.Consumer(ctx, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if info, err := c.Info(ctx); err == nil && info.AckFloor.Stream >= uint64(b.N) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N)/1e3, "cpu-µs/op")
}
