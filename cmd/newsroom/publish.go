package main

import (
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
)

func init() {
	register("publish", spec{"at": true, "embargo": true}, publish)
	register("unschedule", nil, unschedule)
	register("unpublish", spec{"reason": true}, unpublish)
	register("publication", nil, publication)
}

func publish(a *args, out io.Writer) error {
	const u = "publish ID [--at RFC3339] [--embargo RFC3339]"
	if err := a.need(1, u); err != nil {
		return err
	}
	req := &publishingv1.PublishArticleRequest{ArticleId: a.pos[0]}
	for _, f := range []struct {
		name string
		dst  **timestamppb.Timestamp
	}{{"at", &req.PublishAt}, {"embargo", &req.EmbargoUntil}} {
		if v := a.str(f.name, "", ""); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return usageError(u + " (--" + f.name + " must be RFC 3339, e.g. 2026-12-01T09:00:00Z)")
			}
			*f.dst = timestamppb.New(t)
		}
	}
	c := newClients(a)
	defer c.close()
	p, err := c.publishing()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := p.PublishArticle(ctx, req)
	if err != nil {
		return err
	}
	return showPublication(a, out, resp.GetPublication())
}

func unschedule(a *args, out io.Writer) error {
	if err := a.need(1, "unschedule ID"); err != nil {
		return err
	}
	c := newClients(a)
	defer c.close()
	p, err := c.publishing()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := p.UnscheduleArticle(ctx, &publishingv1.UnscheduleArticleRequest{ArticleId: a.pos[0]})
	if err != nil {
		return err
	}
	return showPublication(a, out, resp.GetPublication())
}

func unpublish(a *args, out io.Writer) error {
	const u = "unpublish ID --reason T"
	if err := a.need(1, u); err != nil {
		return err
	}
	if a.str("reason", "", "") == "" {
		return usageError(u + " (say why it comes down)")
	}
	c := newClients(a)
	defer c.close()
	p, err := c.publishing()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := p.UnpublishArticle(ctx, &publishingv1.UnpublishArticleRequest{ArticleId: a.pos[0], Reason: a.vals["reason"]})
	if err != nil {
		return err
	}
	return showPublication(a, out, resp.GetPublication())
}

func publication(a *args, out io.Writer) error {
	if err := a.need(1, "publication ID"); err != nil {
		return err
	}
	c := newClients(a)
	defer c.close()
	p, err := c.publishing()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := p.GetPublication(ctx, &publishingv1.GetPublicationRequest{ArticleId: a.pos[0]})
	if err != nil {
		return err
	}
	return showPublication(a, out, resp.GetPublication())
}

func showPublication(a *args, out io.Writer, p *publishingv1.Publication) error {
	if a.flag("json") {
		return printJSON(out, p)
	}
	fmt.Fprintf(out, "article:   %s\n", p.GetArticleId())
	fmt.Fprintf(out, "status:    %s\n", statusName(p.GetStatus()))
	if p.GetScheduledAt() != nil {
		fmt.Fprintf(out, "scheduled: %s\n", fmtTime(p.GetScheduledAt()))
	}
	if p.GetEmbargoUntil() != nil {
		fmt.Fprintf(out, "embargo:   %s\n", fmtTime(p.GetEmbargoUntil()))
	}
	if p.GetLiveRevision() > 0 {
		fmt.Fprintf(out, "live:      revision %d since %s\n", p.GetLiveRevision(), fmtTime(p.GetPublishedAt()))
	}
	if p.GetPublicUrl() != "" {
		fmt.Fprintf(out, "url:       %s\n", p.GetPublicUrl())
	}
	if p.GetUnpublishReason() != "" {
		fmt.Fprintf(out, "reason:    %s\n", p.GetUnpublishReason())
	}
	for _, c := range p.GetArticle().GetCorrections() {
		fmt.Fprintf(out, "corrected: %d. %s (%s)\n", c.GetSequence(), c.GetText(), fmtTime(c.GetTime()))
	}
	for _, c := range p.GetPendingCorrections() {
		fmt.Fprintf(out, "pending:   %d. %s (goes out with the next publication)\n", c.GetSequence(), c.GetText())
	}
	return nil
}
