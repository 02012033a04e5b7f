package drafting

import (
	"context"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
)

// meta is the EventMeta of an event about article a at its current
// revision; extra distinguishes repeats of kind for one revision.
func (s *Service) meta(ctx context.Context, a *articlev1.Article, kind string, extra ...string) *articlev1.EventMeta {
	return &articlev1.EventMeta{
		Id:          events.ID(a.GetId(), a.GetRevision(), kind, extra...),
		ArticleId:   a.GetId(),
		Revision:    a.GetRevision(),
		Actor:       auth.Actor(ctx),
		Time:        timestamppb.New(s.clock.Now()),
		Traceparent: natsx.Traceparent(ctx),
	}
}

func seq(a *articlev1.Article) string { return itoa(a.GetStateSeq()) }

func (s *Service) createdEvent(ctx context.Context, a *articlev1.Article) natsx.Event {
	m := s.meta(ctx, a, "created")
	return natsx.Event{Subject: events.ArticleCreated, ID: m.Id, Msg: &draftingv1.ArticleCreated{Meta: m, Article: clone(a)}}
}

func (s *Service) updatedEvent(ctx context.Context, a *articlev1.Article) natsx.Event {
	m := s.meta(ctx, a, "updated")
	return natsx.Event{Subject: events.ArticleUpdated, ID: m.Id, Msg: &draftingv1.ArticleUpdated{Meta: m, Article: clone(a)}}
}

func (s *Service) submittedEvent(ctx context.Context, a *articlev1.Article) natsx.Event {
	m := s.meta(ctx, a, "submitted", seq(a))
	return natsx.Event{Subject: events.ArticleSubmitted, ID: m.Id, Msg: &draftingv1.ArticleSubmitted{Meta: m, Article: clone(a)}}
}

func (s *Service) withdrawnEvent(ctx context.Context, a *articlev1.Article) natsx.Event {
	m := s.meta(ctx, a, "withdrawn", seq(a))
	return natsx.Event{Subject: events.ArticleWithdrawn, ID: m.Id, Msg: &draftingv1.ArticleWithdrawn{Meta: m, Article: clone(a)}}
}

func (s *Service) statusEvent(ctx context.Context, a *articlev1.Article, from articlev1.Status) natsx.Event {
	m := s.meta(ctx, a, "status", seq(a))
	return natsx.Event{Subject: events.ArticleStatusChanged, ID: m.Id, Msg: &draftingv1.ArticleStatusChanged{Meta: m, From: from, To: a.GetStatus()}}
}

func clone(a *articlev1.Article) *articlev1.Article { return proto.Clone(a).(*articlev1.Article) }
