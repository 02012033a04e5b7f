package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protowire"
)

// HeaderBatch marks a message of the AUDIT stream that holds several
// records (its value is how many), each length-prefixed as in protobuf's
// wire format. A message without it holds one record, as the records of
// earlier versions do.
const HeaderBatch = "Newsroom-Audit-Batch"

// Limits of one batch: far below NATS's default 1 MB payload.
const (
	maxBatchRecords = 128
	maxBatchBytes   = 256 << 10
)

// batcher stores records with group commit: a record goes out at once if
// no write is in flight, and the records of calls that answer while one is
// share the next message, one per service subject. Each caller still
// waits for the ack of the message holding its record, so the guarantee
// is the one-record-per-message one (stored before the call answers); a
// busy process just pays one JetStream write for many calls.
type batcher struct {
	js jetstream.JetStream

	mu      sync.Mutex
	queue   map[string][]*queued // by subject, in arrival order
	running bool                 // a flushLoop is at work
}

type queued struct {
	data []byte
	done chan error
}

// store writes the record data to subject and waits for JetStream's ack,
// or for ctx to end.
func (b *batcher) store(ctx context.Context, subject string, data []byte) error {
	q := &queued{data: data, done: make(chan error, 1)}
	b.mu.Lock()
	if b.queue == nil {
		b.queue = make(map[string][]*queued)
	}
	b.queue[subject] = append(b.queue[subject], q)
	if !b.running {
		b.running = true
		go b.flushLoop()
	}
	b.mu.Unlock()
	select {
	case err := <-q.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flushLoop writes what is queued until nothing is.
func (b *batcher) flushLoop() {
	for {
		b.mu.Lock()
		batch := b.queue
		b.queue = nil
		if len(batch) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		for subject, qs := range batch {
			for len(qs) > 0 {
				n, size := 0, 0
				for n < len(qs) && n < maxBatchRecords && (n == 0 || size+len(qs[n].data) <= maxBatchBytes) {
					size += len(qs[n].data)
					n++
				}
				err := b.publish(subject, qs[:n])
				for _, q := range qs[:n] {
					q.done <- err
				}
				qs = qs[n:]
			}
		}
	}
}

func (b *batcher) publish(subject string, qs []*queued) error {
	m := nats.NewMsg(subject)
	if len(qs) == 1 {
		m.Data = qs[0].data
	} else {
		size := 0
		for _, q := range qs {
			size += protowire.SizeBytes(len(q.data))
		}
		m.Data = make([]byte, 0, size)
		for _, q := range qs {
			m.Data = protowire.AppendBytes(m.Data, q.data)
		}
		m.Header.Set(HeaderBatch, strconv.Itoa(len(qs)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), PublishTimeout)
	defer cancel()
	_, err := b.js.PublishMsg(ctx, m)
	return err
}

var errBatch = errors.New("malformed audit batch")

// records splits a message of the AUDIT stream into the records it holds.
func records(data []byte, batch string) ([][]byte, error) {
	if batch == "" {
		return [][]byte{data}, nil
	}
	n, err := strconv.Atoi(batch)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("%w: %s %q", errBatch, HeaderBatch, batch)
	}
	out := make([][]byte, 0, min(n, maxBatchRecords))
	for len(data) > 0 {
		r, l := protowire.ConsumeBytes(data)
		if l < 0 {
			return out, fmt.Errorf("%w: %w", errBatch, protowire.ParseError(l))
		}
		out = append(out, r)
		data = data[l:]
	}
	if len(out) != n {
		return out, fmt.Errorf("%w: %d records, header says %d", errBatch, len(out), n)
	}
	return out, nil
}
