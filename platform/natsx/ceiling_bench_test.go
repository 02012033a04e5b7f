package natsx_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkJetStreamCeiling measures the machine rather than Newsroom:
// plain JetStream publishes of a 1 KB message to a file-backed stream on
// an embedded server, one client, waiting for each ack (sync) or keeping
// as many in flight as the client allows (async, its default 4,000).
// Issue #9 sizes the pipeline's aim from
// these two figures ("~10k synchronous publishes/s per client, ~130k/s
// asynchronous" on the machine it was written on); the pipeline's figures
// on another host read best beside this one's.
//
// The third, sync from 64 goroutines on the one connection, is how the
// pipeline publishes under load (each handler waits for its own ack,
// many handlers at once): the client and the server then batch what is
// in flight, and a publish costs nearly what an asynchronous one does.
// It is the figure to weigh publishing without waiting against.
//
//	go test ./platform/natsx -run '^$' -bench JetStreamCeiling -benchtime 20000x -count 3
func BenchmarkJetStreamCeiling(b *testing.B) {
	msg := make([]byte, 1024)
	for _, mode := range []string{"async=false", "async=true", "async=false,goroutines=64"} {
		b.Run(mode, func(b *testing.B) {
			ctx, n, _, _ := setup(b)
			if _, err := n.JS.CreateStream(ctx, jetstream.StreamConfig{Name: "CEILING", Subjects: []string{"ceiling"}}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			cpu := processCPU()
			switch mode {
			case "async=true":
				for range b.N {
					if _, err := n.JS.PublishAsync("ceiling", msg); err != nil {
						b.Fatal(err)
					}
				}
				<-n.JS.PublishAsyncComplete()
			case "async=false":
				for range b.N {
					if _, err := n.JS.Publish(ctx, "ceiling", msg); err != nil {
						b.Fatal(err)
					}
				}
			default:
				var next atomic.Int64
				var wg sync.WaitGroup
				for range 64 {
					wg.Go(func() {
						for next.Add(1) <= int64(b.N) {
							if _, err := n.JS.Publish(ctx, "ceiling", msg); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "publishes/s")
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N)/1e3, "cpu-µs/op")
		})
	}
}
