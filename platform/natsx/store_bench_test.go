package natsx_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/natsx"
)

// processCPU is the CPU time of the whole process: a Store.Update costs
// CPU in the client and in the embedded server alike.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStoreUpdate changes 64 records of a 5 KB article in turn, as
// the services do (each change read, stored with compare-and-set and, with
// events, its event published and cleared), against an embedded server.
// With the default ClearDelay each record changes again before its clear
// is due, so the next change clears it (the pipeline's common case);
// clear=now is a Store with no delay, which clears every change at once.
// cpu-µs/op is the process's CPU time per change, client and server
// together, which a busy machine disturbs far less than the wall clock.
//
//	go test ./platform/natsx -run '^$' -bench StoreUpdate -benchtime 3000x -count 5
func BenchmarkStoreUpdate(b *testing.B) {
	body := strings.Repeat("The council approved the budget for the new bus lanes on Tuesday. ", 75)
	for _, c := range []struct {
		name      string
		withEvent bool
		delay     time.Duration
	}{
		{"event=true", true, natsx.DefaultClearDelay},
		{"event=true,clear=now", true, 0},
		{"event=false", false, natsx.DefaultClearDelay},
	} {
		withEvent := c.withEvent
		b.Run(c.name, func(b *testing.B) {
			ctx, _, s, _ := setup(b)
			s.ClearDelay = c.delay
			fn := func(cur *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
				next := proto.Clone(cur).(*articlev1.Article)
				next.Body = body
				next.Revision++
				if !withEvent {
					return next, nil, nil
				}
				return next, []natsx.Event{updated(next)}, nil
			}
			b.ResetTimer()
			cpu := processCPU()
			for i := range b.N {
				key := fmt.Sprint("a", i%64)
				if _, err := s.Update(ctx, key, func(cur *articlev1.Article, exists bool) (*articlev1.Article, []natsx.Event, error) {
					cur.Id = key
					return fn(cur, exists)
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N)/1e3, "cpu-µs/op")
		})
	}
}

// BenchmarkStoreCreate stores a new record with an event per op, through
// Update (which reads the missing key first) and through Create (which
// does not). cpu-µs/op as in BenchmarkStoreUpdate.
//
//	go test ./platform/natsx -run '^$' -bench StoreCreate -benchtime 3000x -count 5
func BenchmarkStoreCreate(b *testing.B) {
	for _, create := range []bool{false, true} {
		b.Run(fmt.Sprint("create=", create), func(b *testing.B) {
			ctx, _, s, _ := setup(b)
			write := s.Update
			if create {
				write = s.Create
			}
			b.ResetTimer()
			cpu := processCPU()
			for i := range b.N {
				key := fmt.Sprint("n", i)
				if _, err := write(ctx, key, func(cur *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
					cur.Id, cur.Revision = key, 1
					return cur, []natsx.Event{updated(cur)}, nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N)/1e3, "cpu-µs/op")
		})
	}
}
