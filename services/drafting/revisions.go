package drafting

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

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
func (s *Service) snapshot(ctx context.Context, a *articlev1.Article) error {
	data, err := proto.Marshal(a)
	if err != nil {
		return fmt.Errorf("drafting: marshal snapshot: %w", err)
	}
	_, err = s.revisions.Create(ctx, revisionKey(a.GetId(), a.GetRevision()), data)
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("drafting: snapshot %s/%d: %w", a.GetId(), a.GetRevision(), err)
	}
	return nil
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
