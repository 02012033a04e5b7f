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
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/service"
	"newsroom.dev/services/linking"
	"newsroom.dev/services/linking/internal/synth"
)

// measureStartup writes the archive into linking-docs on an embedded
// JetStream, and a Related News box for every story into linking-related
// (as the service would have stored them), then times the linking
// service's start (until its index and reverse links are built) without a
// snapshot, the snapshot's writing, and the start with it.
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
	start = time.Now()
	writeBoxes(ctx, js, a.N)
	fmt.Printf("start-up: wrote %d boxes to linking-related in %v\n", a.N, time.Since(start).Round(time.Millisecond))

	log := slog.New(slog.DiscardHandler)
	if os.Getenv("RELATEDBENCH_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	deps := service.Deps{NC: nc, JS: js, Replicas: 1, Log: log, Clock: clock.Real{}}
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
		fmt.Printf("start-up %s: index of %d stories and reverse links ready in %v (heap %.0f MB)\n", label, svc.Len(), time.Since(start).Round(time.Millisecond), mb(heapAfterGC()))
		cancel()
		<-done
		return svc
	}
	svc := run("without a snapshot (replaying linking-docs and linking-related)")
	start = time.Now()
	if err := svc.Snapshot(ctx); err != nil {
		fatal(err)
	}
	os, _ := js.ObjectStore(ctx, linking.BucketSnapshots)
	var size, links uint64
	if os != nil {
		if info, err := os.GetInfo(ctx, "index"); err == nil {
			size = info.Size
		}
		if info, err := os.GetInfo(ctx, "links"); err == nil {
			links = info.Size
		}
	}
	fmt.Printf("snapshot written in %v (index %.0f MB, links %.0f MB)\n", time.Since(start).Round(time.Millisecond), mb(size), mb(links))
	svc = nil
	run("with the snapshot")
}

// writeBoxes stores a box for each of n stories in linking-related, as
// the service does (through natsx.Store): story i shows the five stories
// before it.
func writeBoxes(ctx context.Context, js jetstream.JetStream, n int) {
	store, err := natsx.NewStore(ctx, js, linking.BucketRelated, 1, func() *linkingv1.RelatedUpdated { return &linkingv1.RelatedUpdated{} }, slog.New(slog.DiscardHandler))
	if err != nil {
		fatal(err)
	}
	const writers = 64
	var wg sync.WaitGroup
	for k := range writers {
		wg.Go(func() {
			for i := k; i < n; i += writers {
				box := &linkingv1.RelatedUpdated{}
				for j := i - 1; j >= max(0, i-5); j-- {
					id := fmt.Sprintf("s%07d", j)
					box.Related = append(box.Related, &articlev1.RelatedStory{ArticleId: id, Headline: "Story " + id,
						Url: "https://news.example/" + id, Score: 1 / float64(i-j)})
				}
				_, err := store.Update(ctx, fmt.Sprintf("s%07d", i), func(*linkingv1.RelatedUpdated, bool) (*linkingv1.RelatedUpdated, []natsx.Event, error) {
					return box, nil, nil
				})
				if err != nil {
					fatal(err)
				}
			}
		})
	}
	wg.Wait()
}
