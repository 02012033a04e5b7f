package desk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/events"
)

// The live feeds Run follows.
const (
	// feedReview: the REVIEW stream's flagged, decided, cleared and
	// changes-requested events.
	feedReview = iota
	// feedStatus: drafting's status changes (an article became READY).
	feedStatus
	// feedNotes: changes to the review-reviews bucket, for what no event
	// announces (a reviewer edited the sensitivity note).
	feedNotes
	numFeeds
)

var feedNames = [numFeeds]string{"review_events", "status_events", "review_bucket"}

// feedInactive is when the server drops a feed's consumer that no one
// pulls from (one left behind by a process that died).
const feedInactive = 30 * time.Second

// reviewBucket is the review service's own bucket of reviews. The desk
// only watches it for changes; it never writes to it or decodes it.
const reviewBucket = "review-reviews"

// liveEvent is what a page's script receives on /events.
type liveEvent struct {
	Kind       string `json:"kind"`
	Article    string `json:"article"`
	Revision   int64  `json:"revision,omitempty"`
	Actor      string `json:"actor,omitempty"`
	Flag       string `json:"flag,omitempty"`
	FlagStatus string `json:"flag_status,omitempty"`
	Status     string `json:"status,omitempty"`
}

// hub fans events out to the open pages of each article.
type hub struct {
	mu     sync.Mutex
	subs   map[string]map[chan liveEvent]struct{}
	closed bool
}

func newHub() *hub { return &hub{subs: map[string]map[chan liveEvent]struct{}{}} }

// subscribe returns a channel of the article's events, closed when the
// hub closes, and a func to unsubscribe.
func (h *hub) subscribe(article string) (<-chan liveEvent, func()) {
	ch := make(chan liveEvent, 32)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	if h.subs[article] == nil {
		h.subs[article] = map[chan liveEvent]struct{}{}
	}
	h.subs[article][ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[article][ch]; ok {
			delete(h.subs[article], ch)
			if len(h.subs[article]) == 0 {
				delete(h.subs, article)
			}
			close(ch)
		}
	}
}

// publish hands ev to every page of its article. A page whose buffer is
// full misses it, harmlessly: any event makes the page reload its parts,
// and the events already queued will.
func (h *hub) publish(ev liveEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[ev.Article] {
		select {
		case ch <- ev:
		default:
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for a, chs := range h.subs {
		for ch := range chs {
			close(ch)
		}
		delete(h.subs, a)
	}
}

// follow runs the live feeds until ctx ends.
func (d *Desk) follow(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() {
		d.followStream(ctx, feedReview, events.StreamReview,
			[]string{events.ArticleFlagged, events.FlagDecided, events.ArticleCleared, events.ChangesRequested})
	})
	wg.Go(func() {
		d.followStream(ctx, feedStatus, events.StreamDrafting, []string{events.ArticleStatusChanged})
	})
	wg.Go(func() { d.followBucket(ctx) })
	wg.Wait()
}

// setFeed records whether a feed follows its stream. While all of them
// do, the queue may cache summaries; when that starts or ends, what it
// cached is dropped (changes made while a feed was down went unseen).
func (d *Desk) setFeed(ctx context.Context, feed int, on bool) {
	d.demand.update(ctx, on, func() bool {
		d.feeds[feed].Store(on)
		all := d.live()
		d.queue.setLive(all)
		return all
	})
}

// live reports whether every feed follows its stream.
func (d *Desk) live() bool {
	for i := range d.feeds {
		if !d.feeds[i].Load() {
			return false
		}
	}
	return true
}

// retry runs f until ctx ends, waiting longer after each failure.
func (d *Desk) retry(ctx context.Context, feed int, f func(context.Context) error) {
	wait := 250 * time.Millisecond
	for {
		start := time.Now()
		err := f(ctx)
		d.setFeed(ctx, feed, false)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > time.Minute {
			wait = 250 * time.Millisecond
		}
		d.log.Debug("live feed interrupted; retrying", "feed", feedNames[feed], "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// followStream reads a stream from now on with an ordered consumer (no
// state on the server beyond its use: deleted when the feed stops, or
// after feedInactive should that fail) and dispatches each event.
func (d *Desk) followStream(ctx context.Context, feed int, stream string, subjects []string) {
	d.retry(ctx, feed, func(ctx context.Context) error {
		cons, err := d.js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{
			FilterSubjects: subjects, DeliverPolicy: jetstream.DeliverNewPolicy,
			InactiveThreshold: feedInactive,
		})
		if err != nil {
			return err
		}
		defer func() {
			// The feeds stop when no one needs them: take the consumer
			// off the server now rather than after its threshold.
			if info := cons.CachedInfo(); info != nil {
				dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				_ = d.js.DeleteConsumer(dctx, stream, info.Name)
				cancel()
			}
		}()
		it, err := cons.Messages()
		if err != nil {
			return err
		}
		defer context.AfterFunc(ctx, it.Stop)()
		d.setFeed(ctx, feed, true)
		for {
			m, err := it.Next()
			if err != nil {
				return err
			}
			if ev, ok := decodeEvent(m.Subject(), m.Data()); ok {
				d.dispatch(ev)
			}
		}
	})
}

// followBucket watches the review bucket's keys (article ids) for changes.
func (d *Desk) followBucket(ctx context.Context) {
	d.retry(ctx, feedNotes, func(ctx context.Context) error {
		kv, err := d.js.KeyValue(ctx, reviewBucket)
		if err != nil {
			return err
		}
		w, err := kv.WatchAll(ctx, jetstream.UpdatesOnly(), jetstream.MetaOnly())
		if err != nil {
			return err
		}
		defer w.Stop() //nolint:errcheck // best effort on the way out
		d.setFeed(ctx, feedNotes, true)
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case e, ok := <-w.Updates():
				if !ok {
					return fmt.Errorf("desk: watch of %s ended", reviewBucket)
				}
				if e != nil {
					d.dispatch(liveEvent{Kind: "review", Article: e.Key()})
				}
			}
		}
	})
}

func (d *Desk) dispatch(ev liveEvent) {
	if ev.Article == "" {
		return
	}
	d.queue.forget(ev.Article)
	d.hub.publish(ev)
}

// decodeEvent reads the events the desk follows.
func decodeEvent(subject string, data []byte) (liveEvent, bool) {
	var meta *articlev1.EventMeta
	ev := liveEvent{}
	switch subject {
	case events.ArticleFlagged:
		var m reviewv1.ArticleFlagged
		if proto.Unmarshal(data, &m) != nil {
			return ev, false
		}
		ev.Kind, meta = "flagged", m.GetMeta()
	case events.FlagDecided:
		var m reviewv1.FlagDecided
		if proto.Unmarshal(data, &m) != nil {
			return ev, false
		}
		ev.Kind, meta = "flag_decided", m.GetMeta()
		ev.Flag, ev.FlagStatus = m.GetFlag().GetId(), flagStatusKey(m.GetFlag().GetStatus())
	case events.ArticleCleared:
		var m reviewv1.ArticleCleared
		if proto.Unmarshal(data, &m) != nil {
			return ev, false
		}
		ev.Kind, meta = "cleared", m.GetMeta()
	case events.ChangesRequested:
		var m reviewv1.ChangesRequested
		if proto.Unmarshal(data, &m) != nil {
			return ev, false
		}
		ev.Kind, meta = "changes_requested", m.GetMeta()
	case events.ArticleStatusChanged:
		var m draftingv1.ArticleStatusChanged
		if proto.Unmarshal(data, &m) != nil {
			return ev, false
		}
		ev.Kind, meta = "status", m.GetMeta()
		ev.Status = statusKey(m.GetTo())
	default:
		return ev, false
	}
	ev.Article, ev.Revision, ev.Actor = meta.GetArticleId(), meta.GetRevision(), meta.GetActor()
	return ev, ev.Article != ""
}

// events streams an article's changes to its open review page
// (server-sent events). It first sends "hello" with the fingerprint of the
// article as it stands, so a page that missed a change while it connected
// knows to catch up, then one "change" per event, until the page goes,
// the desk stops, or the person's token expires.
func (d *Desk) events(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.URL.Query().Get("article")
	if !validID.MatchString(id) {
		http.Error(w, "no such article", http.StatusNotFound)
		return
	}
	ch, unsubscribe := d.hub.subscribe(id)
	defer unsubscribe()
	// The page needs the feeds: start them if they are idle, and read the
	// article once they follow, so a change between the two is not lost.
	done := d.demand.open()
	defer done()
	if d.js != nil {
		t := time.NewTimer(feedStartWait)
		select {
		case <-d.demand.following():
		case <-t.C: // greeted as not live: the page works without updates
		case <-r.Context().Done():
			t.Stop()
			return
		}
		t.Stop()
	}
	fp := ""
	if rv, _, latest, err := d.fetchReview(r.Context(), s, id); err == nil {
		fp = fingerprint(rv, latest)
	} else if code, _ := httpError(err); code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusNotFound {
		http.Error(w, http.StatusText(code), code)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	hello, _ := json.Marshal(map[string]any{"fingerprint": fp, "live": d.live()})
	fmt.Fprintf(w, "retry: 3000\n\nevent: hello\ndata: %s\n\n", hello)
	if rc.Flush() != nil {
		return
	}
	expires := time.NewTimer(max(time.Until(s.id.Expires), time.Second))
	defer expires.Stop()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-expires.C:
			fmt.Fprint(w, "event: expired\ndata: {}\n\n")
			_ = rc.Flush()
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		case ev, ok := <-ch:
			if !ok {
				return
			}
			b, _ := json.Marshal(ev)
			fmt.Fprintf(w, "event: change\ndata: %s\n\n", b)
		}
		if rc.Flush() != nil {
			return
		}
	}
}
