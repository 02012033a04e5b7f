package linking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
)

// Durable is the consumer of publishing's events that linking's replicas
// share.
const Durable = "linking-publishing"

// handle dispatches one event from the PUBLISHING stream.
func (s *Service) handle(ctx context.Context, m jetstream.Msg) error {
	var err error
	switch m.Subject() {
	case events.ArticlePublished:
		err = s.onPublished(ctx, m.Data())
	case events.ArticleUnpublished:
		err = s.onUnpublished(ctx, m.Data())
	default:
		return nil
	}
	if errors.Is(err, jetstream.ErrInvalidKey) {
		return natsx.Permanent(err)
	}
	return err
}

// onPublished indexes a story that went live and computes its box. The
// boxes that already show it are recomputed too: a republished revision
// may carry a new headline or url, or text that ranks differently.
//
// Not after a story's first publication (see firstLive): a box can show
// it only if it was computed after it was indexed, from this very
// revision, so recomputing it would find the story as the box shows it.
// Those boxes are the later stories handled alongside it (linking handles
// many at once), whose own computation already took it in; recomputing
// them cost a search each, and a write for nothing but score drift (see
// refresh).
func (s *Service) onPublished(ctx context.Context, data []byte) error {
	var ev publishingv1.ArticlePublished
	if err := proto.Unmarshal(data, &ev); err != nil {
		return natsx.Permanent(fmt.Errorf("linking: decode ArticlePublished: %w", err))
	}
	a := ev.GetArticle()
	if a.GetId() == "" {
		return natsx.Permanent(errors.New("linking: ArticlePublished without an article id"))
	}
	r := recordOf(a, ev.GetMeta())
	r.Publication = ev.GetPublication()
	raw, err := json.Marshal(r)
	if err != nil {
		return natsx.Permanent(fmt.Errorf("linking: encode %s: %w", r.ID, err))
	}
	// Index it as soon as it is stored rather than wait for the watch:
	// the next event may well need it. It is prepared first, and offered
	// to the watch, which may see the stored story before the put below
	// (see applyDocs).
	x := s.index()
	f := &inflightDoc{x: x, raw: raw, p: x.Prepare(r.doc())}
	s.inflight.Store(r.ID, f)
	kvRev, ok, first, err := s.putDoc(ctx, r, raw)
	if err == nil && ok {
		x.PutPrepared(f.p, kvRev)
	}
	s.inflight.CompareAndDelete(r.ID, f)
	if err != nil {
		return err
	}
	if !ok {
		s.log.Debug("ignoring published event of an older revision", "article", r.ID, "revision", r.Revision)
		return nil
	}
	if err := s.refreshBox(ctx, r.ID, false, first, nil); err != nil {
		return err
	}
	if firstLive(first, r.Publication) {
		return s.forward(ctx, r.ID)
	}
	for _, other := range s.links.showing(r.ID) {
		if err := s.refresh(ctx, other, false); err != nil {
			return err
		}
	}
	return s.forward(ctx, r.ID)
}

// firstLive reports a story's first publication ever: putDoc created its
// record (first) and publishing counts it as its first publication. A
// story taken down and published again is created anew in linking-docs
// but counts a later publication.
func firstLive(first bool, publication int32) bool {
	return first && publication <= 1
}

// onUnpublished forgets a story that was taken down and recomputes every
// box that showed it, so those pages drop the link.
func (s *Service) onUnpublished(ctx context.Context, data []byte) error {
	var ev publishingv1.ArticleUnpublished
	if err := proto.Unmarshal(data, &ev); err != nil {
		return natsx.Permanent(fmt.Errorf("linking: decode ArticleUnpublished: %w", err))
	}
	id := ev.GetMeta().GetArticleId()
	if id == "" {
		return natsx.Permanent(errors.New("linking: ArticleUnpublished without an article id"))
	}
	kvRev, stale, err := s.deleteDoc(ctx, id, ev.GetMeta().GetRevision(), ev.GetPublication())
	if err != nil {
		return err
	}
	if stale {
		s.log.Debug("ignoring unpublished event: a later revision is live", "article", id, "revision", ev.GetMeta().GetRevision())
		return nil
	}
	s.index().Delete(id, kvRev)
	boxRev, err := deleteKey(ctx, s.related.Bucket(), id)
	if err != nil {
		return err
	}
	if boxRev != 0 {
		s.links.set(id, boxRev, nil, s.cfg.Related)
	}
	// Done even when the story was already gone: a redelivery after a
	// failure half-way must still finish the recomputation.
	for _, other := range s.links.showing(id) {
		if err := s.refresh(ctx, other, false); err != nil {
			return err
		}
	}
	return nil
}
