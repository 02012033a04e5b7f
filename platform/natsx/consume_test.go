package natsx_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

const maxDeliver = 3

// consume runs natsx.Consume on durable until the test ends.
func consume(t *testing.T, js jetstream.JetStream, durable string, h natsx.Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- natsx.Consume(ctx, js, natsx.ConsumerConfig{
			Stream:     testStream,
			Durable:    durable,
			Subjects:   []string{testSubject},
			MaxDeliver: maxDeliver,
			AckWait:    10 * time.Second,
			Log:        testutil.Logger(),
		}, h)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Consume returned %v on shutdown", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Consume did not return after its context ended")
		}
	})
}

// publish sends one event for article id and returns its stream sequence.
func publish(t *testing.T, ctx context.Context, js jetstream.JetStream, id string) {
	t.Helper()
	if err := natsx.Publish(ctx, js, updated(&articlev1.Article{Id: id, Revision: 1})); err != nil {
		t.Fatal(err)
	}
}

// settled waits until the consumer has handled everything on testSubject.
func settled(t *testing.T, _ context.Context, js jetstream.JetStream, durable string) *jetstream.ConsumerInfo {
	t.Helper()
	return testutil.Drained(t, js, testStream, durable, 10*time.Second)
}

// deadLetters returns what the DLQ holds for durable.
func deadLetters(t *testing.T, ctx context.Context, js jetstream.JetStream, durable string) []*jetstream.RawStreamMsg {
	t.Helper()
	st, err := js.Stream(ctx, natsx.DLQStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for _, m := range streamMsgs(t, ctx, st) {
		if m.Subject == natsx.DLQSubject+"."+durable {
			out = append(out, m)
		}
	}
	return out
}

func TestConsumeRetriesThenAcks(t *testing.T) {
	ctx, n, _, _ := setup(t)
	var calls atomic.Int32
	var lastDelivered atomic.Uint64
	consume(t, n.JS, "test-retry", func(_ context.Context, m jetstream.Msg) error {
		md, err := m.Metadata()
		if err != nil {
			return err
		}
		lastDelivered.Store(md.NumDelivered)
		if calls.Add(1) <= 2 {
			return errors.New("transient")
		}
		return nil
	})
	publish(t, ctx, n.JS, "a1")
	testutil.Eventually(t, 10*time.Second, "the third delivery", func() bool { return calls.Load() >= 3 })
	info := settled(t, ctx, n.JS, "test-retry")
	if info.AckFloor.Stream != 1 {
		t.Errorf("ack floor %d, want 1", info.AckFloor.Stream)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("handler ran %d times, want 3", got)
	}
	if got := lastDelivered.Load(); got != 3 {
		t.Errorf("last delivery was number %d, want 3", got)
	}
	if dl := deadLetters(t, ctx, n.JS, "test-retry"); len(dl) != 0 {
		t.Errorf("%d dead letters for a message that succeeded", len(dl))
	}
}

// checkDeadLetter checks the DLQ copy of the message at stream sequence 1.
func checkDeadLetter(t *testing.T, ctx context.Context, js jetstream.JetStream, durable, reason string) {
	t.Helper()
	var dl []*jetstream.RawStreamMsg
	testutil.Eventually(t, 10*time.Second, "a dead letter", func() bool {
		dl = deadLetters(t, ctx, js, durable)
		return len(dl) > 0
	})
	settled(t, ctx, js, durable)
	if len(dl) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dl))
	}
	m := dl[0]
	orig, err := js.Stream(ctx, testStream)
	if err != nil {
		t.Fatal(err)
	}
	src, err := orig.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != string(src.Data) {
		t.Error("the dead letter does not carry the original payload")
	}
	want := map[string]string{
		natsx.HeaderDLQStream:   testStream,
		natsx.HeaderDLQSubject:  testSubject,
		natsx.HeaderDLQSequence: "1",
		natsx.HeaderDLQConsumer: durable,
		natsx.HeaderDLQReason:   reason,
		natsx.HeaderType:        src.Header.Get(natsx.HeaderType),
	}
	for h, v := range want {
		if got := m.Header.Get(h); got != v {
			t.Errorf("header %s = %q, want %q", h, got, v)
		}
	}
}

func TestConsumePermanentDeadLettersAtOnce(t *testing.T) {
	ctx, n, _, _ := setup(t)
	var calls atomic.Int32
	consume(t, n.JS, "test-permanent", func(context.Context, jetstream.Msg) error {
		calls.Add(1)
		return natsx.Permanent(errors.New("undecodable"))
	})
	publish(t, ctx, n.JS, "a1")
	checkDeadLetter(t, ctx, n.JS, "test-permanent", "undecodable")
	if got := calls.Load(); got != 1 {
		t.Errorf("handler ran %d times for a permanent error, want 1", got)
	}
}

func TestConsumeExhaustedDeadLetters(t *testing.T) {
	ctx, n, _, _ := setup(t)
	var calls atomic.Int32
	consume(t, n.JS, "test-exhausted", func(_ context.Context, m jetstream.Msg) error {
		c := calls.Add(1)
		return fmt.Errorf("attempt %d failed", c)
	})
	publish(t, ctx, n.JS, "a1")
	checkDeadLetter(t, ctx, n.JS, "test-exhausted", "attempt 3 failed")
	if got := calls.Load(); got != maxDeliver {
		t.Errorf("handler ran %d times, want MaxDeliver=%d", got, maxDeliver)
	}
}

func TestConsumePanicDeadLetters(t *testing.T) {
	ctx, n, _, _ := setup(t)
	consume(t, n.JS, "test-panic", func(context.Context, jetstream.Msg) error {
		panic("nil map")
	})
	publish(t, ctx, n.JS, "a1")
	checkDeadLetter(t, ctx, n.JS, "test-panic", "panic: nil map")
}

// A dead letter does not hold up the messages behind it.
func TestConsumeContinuesAfterDeadLetter(t *testing.T) {
	ctx, n, _, _ := setup(t)
	var mu sync.Mutex
	var ok []string
	consume(t, n.JS, "test-continue", func(_ context.Context, m jetstream.Msg) error {
		ev := decodeUpdated(t, &jetstream.RawStreamMsg{Data: m.Data()})
		if ev.Meta.ArticleId == "bad" {
			return natsx.Permanent(errors.New("bad"))
		}
		mu.Lock()
		ok = append(ok, ev.Meta.ArticleId)
		mu.Unlock()
		return nil
	})
	publish(t, ctx, n.JS, "bad")
	publish(t, ctx, n.JS, "good")
	settled(t, ctx, n.JS, "test-continue")
	testutil.Eventually(t, 5*time.Second, "the good message", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ok) == 1 && ok[0] == "good"
	})
	if dl := deadLetters(t, ctx, n.JS, "test-continue"); len(dl) != 1 {
		t.Errorf("%d dead letters, want 1", len(dl))
	}
}

// Two replicas on one durable split the messages: both do some of the
// work, and no message is handled twice.
func TestConsumeSharedDurable(t *testing.T) {
	ctx, n, _, _ := setup(t)
	var mu sync.Mutex
	handled := map[string]int{}
	by := map[int]int{}
	for replica := range 2 {
		consume(t, n.JS, "test-shared", func(_ context.Context, m jetstream.Msg) error {
			time.Sleep(2 * time.Millisecond) // a handler does some work
			mu.Lock()
			defer mu.Unlock()
			handled[m.Headers().Get(jetstream.MsgIDHeader)]++
			by[replica]++
			return nil
		})
	}
	// Publish in batches until both replicas have taken some (one may
	// start pulling later than the other on a loaded machine).
	sent := 0
	both := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return by[0] > 0 && by[1] > 0
	}
	for deadline := time.Now().Add(20 * time.Second); !both(); {
		if time.Now().After(deadline) {
			t.Fatalf("after %d messages one replica has done nothing: %v", sent, by)
		}
		for range 50 {
			publish(t, ctx, n.JS, "a"+strconv.Itoa(sent))
			sent++
		}
		time.Sleep(20 * time.Millisecond)
	}
	testutil.Eventually(t, 20*time.Second, "every message handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(handled) == sent
	})
	settled(t, ctx, n.JS, "test-shared")
	mu.Lock()
	defer mu.Unlock()
	for id, c := range handled {
		if c != 1 {
			t.Errorf("%s handled %d times", id, c)
		}
	}
	if by[0]+by[1] != sent {
		t.Errorf("%d handled for %d sent", by[0]+by[1], sent)
	}
}
