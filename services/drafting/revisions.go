package drafting

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
)

// Revision snapshots live in RevisionsBucket under "<id>.<revision>", as
// plain protobuf: they never change once written, so they need no outbox.
// They are written twice on purpose: by the RPC right after the change is
// stored (so ListRevisions sees it at once), and by the drafting-revisions
// consumer from the created/updated event (so a crash between the two
// cannot lose a revision). Create makes the second write a no-op.

func revisionKey(id string, rev int64) string { return fmt.Sprintf("%s.%d", id, rev) }

// snapshot stores a as the snapshot of its revision, unless one exists.
// The RPC and the consumer usually try at the same moment (the event goes
// out as the RPC's change is stored); within this process the second waits
// for the first and writes only if the first did not store it, and a
// snapshot known to be stored is not tried again: a create refused as
// existing still costs JetStream a round trip.
func (s *Service) snapshot(ctx context.Context, a *articlev1.Article) error {
	key := revisionKey(a.GetId(), a.GetRevision())
	for {
		stored, busy := s.stored.claim(key)
		if stored {
			return nil
		}
		if busy == nil {
			break // ours to write
		}
		select {
		case <-busy:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ok := false
	defer func() { s.stored.release(key, ok) }()
	data, err := proto.Marshal(a)
	if err != nil {
		return fmt.Errorf("drafting: marshal snapshot: %w", err)
	}
	_, err = s.revisions.Create(ctx, key, data)
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("drafting: snapshot %s/%d: %w", a.GetId(), a.GetRevision(), err)
	}
	ok = true
	return nil
}

// storedSnapshots remembers the keys of snapshots known to be stored (they
// never change once written) and those being written. It is bounded: when
// full it forgets the stored ones, and a key it forgot costs one refused
// create.
type storedSnapshots struct {
	mu      sync.Mutex
	stored  map[string]struct{}
	writing map[string]chan struct{} // closed when the write ends
}

const maxStoredSnapshots = 4096

// claim reports whether key is known to be stored; if not, and another
// call is writing it, busy is closed when that write ends; else the key
// is the caller's to write (busy nil), and it must call release.
func (t *storedSnapshots) claim(key string) (stored bool, busy <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.stored[key]; ok {
		return true, nil
	}
	if c, ok := t.writing[key]; ok {
		return false, c
	}
	if t.writing == nil {
		t.writing = make(map[string]chan struct{})
	}
	t.writing[key] = make(chan struct{})
	return false, nil
}

// release ends the caller's write of key, which stored it if ok.
func (t *storedSnapshots) release(key string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ok {
		if t.stored == nil || len(t.stored) >= maxStoredSnapshots {
			t.stored = make(map[string]struct{})
		}
		t.stored[key] = struct{}{}
	}
	close(t.writing[key])
	delete(t.writing, key)
}

// snapshotNow is the RPC's write; a failure is only logged because the
// consumer will write the snapshot from the event.
func (s *Service) snapshotNow(ctx context.Context, a *articlev1.Article) {
	if err := s.snapshot(ctx, a); err != nil {
		s.log.WarnContext(ctx, "snapshot deferred to the revision log consumer", "id", a.GetId(), "revision", a.GetRevision(), "err", err)
	}
}

// handleRevision stores the snapshot carried by a created/updated event.
func (s *Service) handleRevision(ctx context.Context, msg jetstream.Msg) error {
	var a *articlev1.Article
	switch msg.Subject() {
	case events.ArticleCreated:
		var e draftingv1.ArticleCreated
		if err := proto.Unmarshal(msg.Data(), &e); err != nil {
			return natsx.Permanent(fmt.Errorf("drafting: decode %s: %w", msg.Subject(), err))
		}
		a = e.GetArticle()
	case events.ArticleUpdated:
		var e draftingv1.ArticleUpdated
		if err := proto.Unmarshal(msg.Data(), &e); err != nil {
			return natsx.Permanent(fmt.Errorf("drafting: decode %s: %w", msg.Subject(), err))
		}
		a = e.GetArticle()
	default:
		return natsx.Permanent(fmt.Errorf("drafting: unexpected subject %s", msg.Subject()))
	}
	if !validID(a.GetId()) || a.GetRevision() <= 0 {
		return natsx.Permanent(fmt.Errorf("drafting: %s without a valid article id and revision", msg.Subject()))
	}
	return s.snapshot(ctx, a)
}

// ListRevisions returns every revision, oldest first.
func (s *Service) ListRevisions(ctx context.Context, req *draftingv1.ListRevisionsRequest) (*draftingv1.ListRevisionsResponse, error) {
	cur, err := s.get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	revs, err := s.revisionsOf(ctx, cur.Id)
	if err != nil {
		return nil, s.rpcError(ctx, "list revisions", err)
	}
	// The latest snapshot may still be on its way (the RPC's write failed
	// and the consumer has not caught up); its content is the article's.
	if n := len(revs); n == 0 || revs[n-1].Revision < cur.Revision {
		revs = append(revs, cur)
	}
	return &draftingv1.ListRevisionsResponse{Revisions: revs}, nil
}

func (s *Service) revisionsOf(ctx context.Context, id string) ([]*articlev1.Article, error) {
	w, err := s.revisions.Watch(ctx, id+".*", jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	var revs []*articlev1.Article
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("drafting: revision watch closed")
			}
			if e == nil {
				slices.SortFunc(revs, func(a, b *articlev1.Article) int { return cmp.Compare(a.Revision, b.Revision) })
				return revs, nil
			}
			a := &articlev1.Article{}
			if err := proto.Unmarshal(e.Value(), a); err != nil {
				return nil, fmt.Errorf("drafting: decode %s: %w", e.Key(), err)
			}
			revs = append(revs, a)
		}
	}
}
