package natsx_test

import (
	"fmt"
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
//	go test ./platform/natsx -run '^$' -bench JetStreamCeiling -benchtime 20000x -count 3
func BenchmarkJetStreamCeiling(b *testing.B) {
	msg := make([]byte, 1024)
	for _, async := range []bool{false, true} {
		b.Run(fmt.Sprint("async=", async), func(b *testing.B) {
			ctx, n, _, _ := setup(b)
			if _, err := n.JS.CreateStream(ctx, jetstream.StreamConfig{Name: "CEILING", Subjects: []string{"ceiling"}}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			cpu := processCPU()
			if async {
				for range b.N {
					if _, err := n.JS.PublishAsync("ceiling", msg); err != nil {
						b.Fatal(err)
					}
				}
				<-n.JS.PublishAsyncComplete()
			} else {
				for range b.N {
					if _, err := n.JS.Publish(ctx, "ceiling", msg); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "publishes/s")
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N)/1e3, "cpu-µs/op")
		})
	}
}
