package publishing

import (
	"context"
	"errors"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/natsx"
)

// boxKey is where article id's Related News box is kept, as linking last
// sent it: beside the publication, in its bucket, under a key of two
// tokens that no article id (one token, see validID) can take, so readers
// of publications watch "*" and never see a box. Linking changes a box
// several times per story published (each later story that enters it),
// and the box is all such a change touches: stored in the publication it
// cost a write of the whole record (the live and the cleared article) and
// a decode of it by every replica's site index, which has no use for
// boxes. Here it is a small record of its own, written with
// compare-and-set (a box never carries events), and the publication's
// readers (the pages, the RPCs, a publication going live) put it on the
// article they show. The record is a RelatedUpdated: meta.time is when
// publishing stored the box.
//
// Publications written before boxes were kept apart hold their box in
// article.related; it stands until the first box for the article arrives.
func boxKey(id string) string { return "related." + id }

// storeBox records the box of a RelatedUpdated event, unless the article
// already shows that list. first is the event's hint that linking had no
// box for the article before: the box is then offered as new without
// reading the bucket (natsx.Store.Create), which saves a read an article
// published; a copy that exists all the same refuses the create and is
// read and decided on as usual.
func (s *Service) storeBox(ctx context.Context, id string, related []*articlev1.RelatedStory, first bool) error {
	write := s.boxes.Update
	if first {
		write = s.boxes.Create
	}
	_, err := write(ctx, boxKey(id), func(cur *linkingv1.RelatedUpdated, exists bool) (*linkingv1.RelatedUpdated, []natsx.Event, error) {
		if exists && sameRelated(cur.GetRelated(), related) {
			return nil, nil, natsx.ErrNoChange
		}
		box := &linkingv1.RelatedUpdated{
			Meta:    &articlev1.EventMeta{ArticleId: id, Time: timestamppb.New(s.d.Clock.Now())},
			Related: related,
		}
		return box, nil, nil
	})
	return err
}

// box reads the stored box of article id, nil if there is none.
func (s *Service) box(ctx context.Context, id string) (*linkingv1.RelatedUpdated, error) {
	b, _, err := s.boxes.Get(ctx, boxKey(id))
	if errors.Is(err, natsx.ErrNotFound) {
		return nil, nil
	}
	return b, err
}

// withBox puts article id's stored box on pub, as readers see it: the
// article shows the box, and a live story's modified_at (its page's
// Last-Modified) moves to when the box last changed, if later. pub is
// changed in place and returned.
func (s *Service) withBox(ctx context.Context, pub *publishingv1.Publication) (*publishingv1.Publication, error) {
	if pub.GetArticle() == nil {
		return pub, nil
	}
	b, err := s.box(ctx, pub.GetArticleId())
	if err != nil {
		return nil, err
	}
	showBox(pub, b)
	return pub, nil
}

// showBox puts box b (nil: none stored) on pub; see withBox.
func showBox(pub *publishingv1.Publication, b *linkingv1.RelatedUpdated) {
	if b == nil || pub.GetArticle() == nil {
		return
	}
	pub.Article.Related = b.GetRelated()
	if t := b.GetMeta().GetTime(); pub.GetLiveRevision() > 0 && t != nil && t.AsTime().After(pub.GetModifiedAt().AsTime()) {
		pub.ModifiedAt = t
	}
}

// sameRelated reports whether two Related News lists are the same.
func sameRelated(x, y []*articlev1.RelatedStory) bool {
	return slices.EqualFunc(x, y, func(a, b *articlev1.RelatedStory) bool { return proto.Equal(a, b) })
}
