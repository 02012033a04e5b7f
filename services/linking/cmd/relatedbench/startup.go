package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/service"
	"newsroom.dev/services/linking"
	"newsroom.dev/services/linking/internal/synth"
)

// measureStartup writes the archive into linking-docs on an embedded
// JetStream, then times the linking service's start (until its index is
// built) without a snapshot, the snapshot's writing, and the start with
// it.
func measureStartup(a *synth.Archive) {
	dir, err := os.MkdirTemp("", "relatedbench-js-*")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := natsx.RunEmbedded(natsx.EmbeddedConfig{StoreDir: dir, Port: -1})
	if err != nil {
		fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		fatal(err)
	}
	ctx := context.Background()
	if _, err := natsx.EnsureStream(ctx, js, events.StreamPublishing, events.StreamSubjects("publishing"), 1); err != nil {
		fatal(err)
	}
	if _, err := natsx.EnsureKV(ctx, js, linking.BucketDocs, 1); err != nil {
		fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	for k := range w {
		wg.Go(func() {
			for i := k; i < a.N; i += w {
				raw, err := linking.RecordJSON(a.Story(i))
				if err != nil {
					fatal(err)
				}
				subject := "$KV." + linking.BucketDocs + "." + fmt.Sprintf("s%07d", i)
				for attempt := 0; ; attempt++ {
					_, err := js.PublishAsync(subject, raw)
					if err == nil {
						break
					}
					if attempt > 100 {
						fatal(err)
					}
					// Too many in flight: let them land.
					select {
					case <-js.PublishAsyncComplete():
					case <-time.After(5 * time.Second):
					}
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(10 * time.Minute):
		fatal(fmt.Errorf("publishing the archive timed out"))
	}
	fmt.Printf("\nstart-up: wrote %d stories to linking-docs in %v\n", a.N, time.Since(start).Round(time.Millisecond))

	deps := service.Deps{NC: nc, JS: js, Replicas: 1, Log: slog.New(slog.DiscardHandler), Clock: clock.Real{}}
	run := func(label string) *linking.Service {
		runtime.GC()
		ctx, cancel := context.WithCancel(ctx)
		start := time.Now()
		svc, err := linking.New(ctx, deps, linking.Config{SnapshotEvery: -1})
		if err != nil {
			fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- svc.Run(ctx) }()
		select {
		case <-svc.Ready():
		case err := <-done:
			fatal(fmt.Errorf("linking stopped: %v", err))
		}
		fmt.Printf("start-up %s: index of %d stories ready in %v (heap %.0f MB)\n", label, svc.Len(), time.Since(start).Round(time.Millisecond), mb(heapAfterGC()))
		cancel()
		<-done
		return svc
	}
	svc := run("without a snapshot (replaying linking-docs)")
	start = time.Now()
	if err := svc.Snapshot(ctx); err != nil {
		fatal(err)
	}
	os, _ := js.ObjectStore(ctx, linking.BucketSnapshots)
	size := uint64(0)
	if os != nil {
		if info, err := os.GetInfo(ctx, "index"); err == nil {
			size = info.Size
		}
	}
	fmt.Printf("snapshot written in %v (%.0f MB)\n", time.Since(start).Round(time.Millisecond), mb(size))
	svc = nil
	run("with the snapshot")
}
