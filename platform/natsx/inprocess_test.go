package natsx_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// A client connected in process does everything a service does over
// TCP: JetStream publishes and their acks, KV compare-and-set, a durable
// consumer's deliveries and acks, with messages larger than the conn's
// buffer both ways.
func TestInProcessConnectionCarriesJetStream(t *testing.T) {
	ctx := testCtx(t)
	n := testutil.StartNATS(t, "")
	js := testutil.Connect(t, n.Server.ClientURL(), natsx.InProcess(n.Server))
	if _, err := natsx.EnsureStream(ctx, js, "INPROC", []string{"inproc.>"}, 1); err != nil {
		t.Fatal(err)
	}
	// 3 MB: three times the buffer each way.
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16)
	const small = 500
	for i := range small {
		if _, err := js.Publish(ctx, "inproc.small", fmt.Appendf(nil, "m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := js.Publish(ctx, "inproc.big", big); err != nil {
		t.Fatal(err)
	}

	kv, err := natsx.EnsureKV(ctx, js, "inproc", 1)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := kv.Create(ctx, "k", []byte("v1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Update(ctx, "k", []byte("v2"), rev); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Update(ctx, "k", []byte("v3"), rev); !errors.Is(err, jetstream.ErrKeyExists) {
		t.Fatalf("stale compare-and-set: got %v, want ErrKeyExists", err)
	}

	cons, err := js.CreateOrUpdateConsumer(ctx, "INPROC", jetstream.ConsumerConfig{Durable: "d", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	got, sawBig := 0, false
	for got < small+1 {
		batch, err := cons.Fetch(min(100, small+1-got), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			if m.Subject() == "inproc.big" {
				sawBig = bytes.Equal(m.Data(), big)
			} else if want := fmt.Sprintf("m%d", got); string(m.Data()) != want {
				t.Fatalf("delivery %d: %q, want %q", got, m.Data(), want)
			}
			if err := m.DoubleAck(ctx); err != nil {
				t.Fatal(err)
			}
			got++
		}
		if batch.Error() != nil {
			t.Fatal(batch.Error())
		}
	}
	if !sawBig {
		t.Fatal("the 3 MB message did not arrive whole")
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.NumAckPending != 0 || info.NumPending != 0 {
		t.Fatalf("after acking all: %d pending acks, %d pending", info.NumAckPending, info.NumPending)
	}
}

// What a client published just before closing reaches the server, as it
// does through a socket: its conn passes on what was written before
// closing the pipe.
func TestInProcessConnectionDeliversWhatWasPublishedBeforeClose(t *testing.T) {
	n := testutil.StartNATS(t, "")
	sub, err := n.NC.SubscribeSync("closing.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.NC.Flush(); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(n.Server.ClientURL(), natsx.InProcess(n.Server))
	if err != nil {
		t.Fatal(err)
	}
	const count = 2000
	payload := bytes.Repeat([]byte("x"), 1024) // 2 MB in all: more than the buffer
	for i := range count {
		if err := nc.Publish(fmt.Sprintf("closing.%d", i), payload); err != nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	for i := range count {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("message %d of %d: %v", i, count, err)
		}
		if want := fmt.Sprintf("closing.%d", i); m.Subject != want {
			t.Fatalf("message %d is %s, want %s", i, m.Subject, want)
		}
	}
}
