package publishing

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/metrics"
	"newsroom.dev/platform/natsx"
)

// The schedule bucket holds one key per scheduled article, valued with its
// due time, so the scheduler learns what to fire by watching a small bucket
// instead of scanning every publication. The publication record stays the
// truth: a key that disagrees with it is corrected or dropped when it fires.

// due is one scheduled publication as the scheduler holds it.
type due struct {
	at  time.Time
	rev uint64 // KV revision of the schedule key
}

func (s *Service) putSchedule(ctx context.Context, id string, at time.Time) error {
	_, err := s.sched.Put(ctx, id, []byte(at.UTC().Format(time.RFC3339Nano)))
	return err
}

// dropScheduleKey drops id's schedule key. It is best effort: a stale key
// only makes the scheduler look at the record and find nothing to do.
func (s *Service) dropScheduleKey(ctx context.Context, id string) {
	if err := s.sched.Delete(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		s.log.Warn("drop schedule", "article", id, "err", err)
	}
}

// reconcileSchedule makes id's schedule key match pub (read afresh if nil).
func (s *Service) reconcileSchedule(ctx context.Context, id string, pub *publishingv1.Publication) {
	if pub == nil {
		p, _, err := s.pubs.GetLatest(ctx, id)
		if err != nil && !errors.Is(err, natsx.ErrNotFound) {
			s.log.Warn("reconcile schedule", "article", id, "err", err)
			return
		}
		pub = p
	}
	if pub.GetStatus() == scheduled && pub.GetScheduledAt() != nil {
		if err := s.putSchedule(ctx, id, pub.GetScheduledAt().AsTime()); err != nil {
			s.log.Warn("reconcile schedule", "article", id, "err", err)
		}
		return
	}
	s.dropScheduleKey(ctx, id)
}

// runScheduler fires schedules as they fall due on d.Clock, within a
// second. It watches the bucket, so schedules made by any replica (or
// before a restart) are seen; overdue ones fire at once. Replicas racing
// to fire the same schedule are safe: publication is a compare-and-set,
// and the loser finds the article already published.
func (s *Service) runScheduler(ctx context.Context) error {
	pending := map[string]due{}
	// A real-time tick retries failed firings and guards against a clock
	// that moved between reading it and arming a timer on it.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for attempt := 0; ctx.Err() == nil; attempt++ {
		w, err := s.sched.WatchAll(ctx)
		if err != nil {
			s.log.Warn("watch schedules", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(min(time.Duration(attempt+1)*500*time.Millisecond, 10*time.Second)):
			}
			continue
		}
		attempt = 0
		s.schedule(ctx, w, pending, tick.C)
		_ = w.Stop()
	}
	return nil
}

// schedule serves one watcher until it closes or ctx ends.
func (s *Service) schedule(ctx context.Context, w jetstream.KeyWatcher, pending map[string]due, tick <-chan time.Time) {
	for {
		now := s.d.Clock.Now()
		var next time.Time
		for id, d := range pending {
			if !d.at.After(now) {
				if s.fire(ctx, id, d) {
					delete(pending, id)
				}
				continue
			}
			if next.IsZero() || d.at.Before(next) {
				next = d.at
			}
		}
		var wake <-chan time.Time
		if !next.IsZero() {
			wake = s.d.Clock.After(next.Sub(now))
		}
		s.passes.Add(1)
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-tick:
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				continue // the initial values are all in
			}
			switch e.Operation() {
			case jetstream.KeyValuePut:
				at, err := time.Parse(time.RFC3339Nano, string(e.Value()))
				if err != nil {
					s.log.Warn("bad schedule entry; dropping it", "article", e.Key(), "err", err)
					s.reconcileSchedule(ctx, e.Key(), nil)
					continue
				}
				pending[e.Key()] = due{at: at, rev: e.Revision()}
			default:
				delete(pending, e.Key())
			}
		}
	}
}

// fire publishes id if its schedule is due, then drops or corrects the
// schedule key. It reports whether the entry is dealt with; false means
// retry later.
func (s *Service) fire(ctx context.Context, id string, d due) bool {
	var lateness time.Duration // from the due time to live, if this call published
	went := false
	box, err := s.box(ctx, id)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("scheduled publication failed; retrying", "article", id, "err", err)
		}
		return false
	}
	pub, err := s.pubs.Update(ctx, id, func(cur *publishingv1.Publication, exists bool) (*publishingv1.Publication, []natsx.Event, error) {
		went = false
		if !exists {
			return nil, nil, natsx.ErrNoChange
		}
		upgrade(cur)
		now := s.d.Clock.Now()
		src := toPublish(cur)
		if cur.GetStatus() != scheduled || src == nil || cur.GetScheduledAt().AsTime().After(now) ||
			(cur.GetEmbargoUntil() != nil && cur.GetEmbargoUntil().AsTime().After(now)) {
			return nil, nil, natsx.ErrNoChange
		}
		due := cur.GetScheduledAt().AsTime()
		if e := cur.GetEmbargoUntil(); e != nil && e.AsTime().After(due) {
			due = e.AsTime()
		}
		went, lateness = true, now.Sub(due)
		return cur, s.publish(ctx, cur, src, now, box), nil
	})
	if err == nil && went {
		metrics.PublishSeconds.Observe(max(0, lateness.Seconds()))
	}
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("scheduled publication failed; retrying", "article", id, "err", err)
		}
		return false
	}
	if pub.GetStatus() == scheduled && pub.GetScheduledAt() != nil {
		// Rescheduled: the key should already say so; make sure it does.
		if !pub.GetScheduledAt().AsTime().Equal(d.at) {
			if err := s.putSchedule(ctx, id, pub.GetScheduledAt().AsTime()); err != nil {
				return false
			}
		}
		return true
	}
	// Published (by us or a racing replica) or no longer scheduled. Delete
	// only the key we saw, so a schedule set meanwhile survives.
	err = s.sched.Delete(ctx, id, jetstream.LastRevision(d.rev))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) && !errors.Is(err, jetstream.ErrKeyExists) {
		s.log.Debug("drop fired schedule", "article", id, "err", err)
	}
	return true
}
