package main

import (
	"fmt"
	"io"
	"strconv"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
)

// The related verbs are one word followed by a sub-verb: "related ID"
// shows a box, "related pin ID OTHER_ID" curates it, "related suggest
// FILE" ranks a draft's related stories.
func init() {
	register("related", spec{"limit": true}, related)
}

const relatedUsage = "related ID [--limit N] | related pin|unpin|exclude|unexclude ID OTHER_ID | related suggest FILE [--limit N]"

func related(a *args, out io.Writer) error {
	if len(a.pos) > 0 {
		switch a.pos[0] {
		case "pin", "unpin", "exclude", "unexclude":
			return relatedCurate(a, out)
		case "suggest":
			return relatedSuggest(a, out)
		}
	}
	if err := a.need(1, relatedUsage); err != nil {
		return err
	}
	limit, err := relatedLimit(a)
	if err != nil {
		return err
	}
	c := newClients(a)
	defer c.close()
	l, err := c.linking()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := l.GetRelated(ctx, &linkingv1.GetRelatedRequest{ArticleId: a.pos[0], Limit: limit})
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, resp)
	}
	printRelated(out, resp.GetRelated(), "no related stories yet")
	return nil
}

func relatedLimit(a *args) (int32, error) {
	if !a.has("limit") {
		return 0, nil
	}
	n, err := strconv.Atoi(a.vals["limit"])
	if err != nil || n < 0 {
		return 0, usageError(relatedUsage + " (--limit must be a number)")
	}
	return int32(n), nil
}

// relatedCurate is "related pin|unpin|exclude|unexclude ID OTHER_ID".
func relatedCurate(a *args, out io.Writer) error {
	op := a.pos[0]
	if len(a.pos) != 3 {
		return usageError("related " + op + " ID OTHER_ID")
	}
	id, other := a.pos[1], a.pos[2]
	c := newClients(a)
	defer c.close()
	l, err := c.linking()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	var (
		cur  *linkingv1.Curation
		list []*articlev1.RelatedStory
	)
	switch op {
	case "pin":
		resp, err := l.PinRelated(ctx, &linkingv1.PinRelatedRequest{ArticleId: id, OtherId: other})
		if err != nil {
			return err
		}
		cur, list = resp.GetCuration(), resp.GetRelated()
	case "unpin":
		resp, err := l.UnpinRelated(ctx, &linkingv1.UnpinRelatedRequest{ArticleId: id, OtherId: other})
		if err != nil {
			return err
		}
		cur, list = resp.GetCuration(), resp.GetRelated()
	case "exclude":
		resp, err := l.ExcludeRelated(ctx, &linkingv1.ExcludeRelatedRequest{ArticleId: id, OtherId: other})
		if err != nil {
			return err
		}
		cur, list = resp.GetCuration(), resp.GetRelated()
	case "unexclude":
		resp, err := l.UnexcludeRelated(ctx, &linkingv1.UnexcludeRelatedRequest{ArticleId: id, OtherId: other})
		if err != nil {
			return err
		}
		cur, list = resp.GetCuration(), resp.GetRelated()
	}
	if a.flag("json") {
		return printJSON(out, &linkingv1.PinRelatedResponse{Curation: cur, Related: list})
	}
	if len(cur.GetPinned()) > 0 {
		fmt.Fprintf(out, "pinned:   %v\n", cur.GetPinned())
	}
	if len(cur.GetExcluded()) > 0 {
		fmt.Fprintf(out, "excluded: %v\n", cur.GetExcluded())
	}
	printRelated(out, list, "no related stories")
	return nil
}

// relatedSuggest is "related suggest FILE".
func relatedSuggest(a *args, out io.Writer) error {
	if len(a.pos) != 2 {
		return usageError("related suggest FILE [--limit N]")
	}
	limit, err := relatedLimit(a)
	if err != nil {
		return err
	}
	art, err := readArticleFile(a.pos[1])
	if err != nil {
		return err
	}
	c := newClients(a)
	defer c.close()
	l, err := c.linking()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := l.SuggestRelated(ctx, &linkingv1.SuggestRelatedRequest{Article: art, Limit: limit})
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, resp)
	}
	printRelated(out, resp.GetRelated(), "no published story is related")
	return nil
}

func printRelated(out io.Writer, list []*articlev1.RelatedStory, none string) {
	if len(list) == 0 {
		fmt.Fprintln(out, none)
	}
	for i, r := range list {
		pin := ""
		if r.GetPinned() {
			pin = " (pinned)"
		}
		fmt.Fprintf(out, "%d. %s%s\n   %s  %s\n", i+1, r.GetHeadline(), pin, r.GetArticleId(), r.GetUrl())
	}
}
