package natsx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Recover publishes the events that crashed writers left pending, and
// returns how many records it finished. Writes younger than minAge may
// belong to writers still at work and are left for a later pass.
//
// A record with pending events was stored by a write carrying
// HeaderOutbox, and stays the key's last write (the bucket keeps one
// revision per key) until someone clears it or changes it, and whoever
// changes it publishes the leftovers first. So Recover reads the headers
// only of the bucket's writes since its previous pass (all of them on the
// first pass of a process) and finishes those that carry the header,
// unless their writer's watermark vouches for them (see marks): a write
// of a live writer older than a second or so, and every write a writer
// finished before it stopped. It also finishes the records the OUTBOX
// markers of earlier versions point to.
func (s *Store[T]) Recover(ctx context.Context, minAge time.Duration) (int, error) {
	n, err := s.recoverMarkers(ctx, minAge)
	if err != nil {
		return n, err
	}
	m, err := s.recoverWrites(ctx, minAge)
	return n + m, err
}

// RecoveryMinAge is the minAge RunRecovery passes to Recover: a write
// this old whose events are still in the record, and which no watermark
// vouches for, was left by a crash, not by a writer at work (whose
// watermark follows its writes within about WatermarkInterval) or a
// clear that is due (DefaultClearDelay, without a watermark).
const RecoveryMinAge = 10 * time.Second

// RunRecovery calls Recover now and then every interval until ctx ends.
func (s *Store[T]) RunRecovery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Recover(ctx, RecoveryMinAge); err != nil && ctx.Err() == nil {
			s.log.Warn("outbox recovery", "err", err)
		} else if n > 0 {
			s.log.Info("outbox recovery published pending events", "records", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// recoverWrites finishes the keys whose outbox writes were too young at
// the last pass and are old enough now, then reads the bucket's stream,
// headers only, from scanFrom to its last message at the start of the
// pass. Young writes it meets are remembered by key, so the next pass
// need not read the stream again from the first of them.
func (s *Store[T]) recoverWrites(ctx context.Context, minAge time.Duration) (int, error) {
	s.scanMu.Lock()
	defer s.scanMu.Unlock()
	n := 0
	for key, at := range s.young {
		if time.Since(at) < minAge {
			continue
		}
		done, err := s.finish(ctx, key)
		if err != nil {
			return n, err
		}
		delete(s.young, key)
		if done {
			n++
		}
	}
	info, err := s.bucket.Stream.Info(ctx)
	if err != nil {
		return n, fmt.Errorf("natsx: recover %s: %w", s.KV.Bucket(), err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 || last < s.scanFrom {
		return n, nil
	}
	cfg := jetstream.OrderedConsumerConfig{HeadersOnly: true, DeliverPolicy: jetstream.DeliverAllPolicy}
	if s.scanFrom > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, s.scanFrom
	}
	cons, err := s.bucket.Stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return n, fmt.Errorf("natsx: recover %s: %w", s.KV.Bucket(), err)
	}
	prefix := "$KV." + s.KV.Bucket() + "."
	next := s.scanFrom // where the next pass starts
	defer func() { s.scanFrom = next }()
	for next <= last {
		batch, err := cons.FetchNoWait(256)
		if err != nil {
			return n, err
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			seq := md.Sequence.Stream
			if writer := m.Headers().Get(HeaderOutbox); writer != "" {
				key := strings.TrimPrefix(m.Subject(), prefix)
				if s.marks != nil && s.marks.vouchedFetch(ctx, writer, key, seq, false) {
					// Published: nothing to do.
				} else if time.Since(md.Timestamp) < minAge {
					if s.young == nil {
						s.young = make(map[string]time.Time)
					}
					s.young[key] = md.Timestamp // the key's latest such write
				} else if s.marks != nil && s.marks.vouched(ctx, writer, key, seq) {
					// Published, as its writer's watermark says.
				} else {
					done, err := s.finish(ctx, key)
					if err != nil {
						next = seq
						return n, err
					}
					if done {
						n++
					}
				}
			}
			next = seq + 1
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return n, err
		}
		if got == 0 {
			break
		}
	}
	return n, nil
}

// finish publishes and clears the events the record at key holds, if any,
// and reports whether it did.
func (s *Store[T]) finish(ctx context.Context, key string) (bool, error) {
	e, err := s.bucket.GetLatest(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	env, err := unmarshalEnvelope(e.Value())
	if err != nil || len(env.Pending) == 0 || s.published(ctx, key, e.Revision(), env.Writer) {
		return false, nil // nothing to do, or published (and due to be cleared, or vouched for)
	}
	if err := s.publishPending(ctx, env.Pending); err != nil {
		return false, err
	}
	_, ok := s.clearPending(ctx, key, env.Value, e.Revision())
	return ok, nil
}

// recoverMarkers finishes the records that OUTBOX markers point to, and
// drops the markers.
func (s *Store[T]) recoverMarkers(ctx context.Context, minAge time.Duration) (int, error) {
	subject := OutboxSubject + "." + s.KV.Bucket()
	info, err := s.outbox.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return 0, err
	}
	left := info.State.Subjects[subject]
	if left == 0 {
		return 0, nil
	}
	cons, err := s.outbox.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return 0, fmt.Errorf("natsx: recover %s: %w", s.KV.Bucket(), err)
	}
	n := 0
	for left > 0 {
		batch, err := cons.FetchNoWait(int(min(left, 256)))
		if err != nil {
			return n, err
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			if time.Since(md.Timestamp) < minAge {
				continue
			}
			key := string(m.Data())
			e, err := s.bucket.GetLatest(ctx, key)
			if err == nil {
				_, env, derr := s.decodeEnv(e.Value())
				if derr == nil && len(env.Pending) > 0 && !s.published(ctx, key, e.Revision(), env.Writer) {
					if err := s.publishPending(ctx, env.Pending); err != nil {
						return n, err
					}
					if _, ok := s.clearPending(ctx, key, env.Value, e.Revision()); !ok {
						continue // keep the marker; the next pass retries
					}
					n++
				}
			} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
				return n, err
			}
			s.dropMarker(md.Sequence.Stream)
		}
		if got == 0 {
			break
		}
		left -= uint64(got)
	}
	return n, nil
}

func (s *Store[T]) dropMarker(seq uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.outbox.DeleteMsg(ctx, seq)
}
