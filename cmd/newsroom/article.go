package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
)

func init() {
	register("article get", nil, articleGet)
	register("article list", spec{"status": true, "desk": true, "limit": true}, articleList)
	register("article revisions", nil, articleRevisions)
}

func articleGet(a *args, out io.Writer) error {
	if err := a.need(1, "article get ID"); err != nil {
		return err
	}
	c := newClients(a)
	defer c.close()
	d, err := c.drafting()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := d.GetArticle(ctx, &draftingv1.GetArticleRequest{Id: a.pos[0]})
	if err != nil {
		return err
	}
	return showArticle(a, out, resp.GetArticle())
}

// articleList pages through every matching article.
func articleList(a *args, out io.Writer) error {
	if err := a.need(0, "article list [--status S] [--desk D]"); err != nil {
		return err
	}
	req := &draftingv1.ListArticlesRequest{Desk: a.str("desk", "", ""), PageSize: 500}
	if s := a.str("status", "", ""); s != "" {
		st, err := parseStatus(s)
		if err != nil {
			return err
		}
		req.Status = st
	}
	c := newClients(a)
	defer c.close()
	d, err := c.drafting()
	if err != nil {
		return err
	}
	all := &draftingv1.ListArticlesResponse{}
	for {
		ctx, cancel := callCtx()
		resp, err := d.ListArticles(ctx, req)
		cancel()
		if err != nil {
			return err
		}
		all.Articles = append(all.Articles, resp.GetArticles()...)
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if a.flag("json") {
		return printJSON(out, all)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tREV\tDESK\tUPDATED\tHEADLINE")
	for _, art := range all.GetArticles() {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", art.GetId(), statusName(art.GetStatus()), art.GetRevision(), art.GetDesk(), fmtTime(art.GetUpdatedAt()), art.GetHeadline())
	}
	return tw.Flush()
}

func articleRevisions(a *args, out io.Writer) error {
	if err := a.need(1, "article revisions ID"); err != nil {
		return err
	}
	c := newClients(a)
	defer c.close()
	d, err := c.drafting()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := d.ListRevisions(ctx, &draftingv1.ListRevisionsRequest{Id: a.pos[0]})
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, resp)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REV\tUPDATED\tBY\tHEADLINE")
	for _, r := range resp.GetRevisions() {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.GetRevision(), fmtTime(r.GetUpdatedAt()), r.GetUpdatedBy(), r.GetHeadline())
	}
	return tw.Flush()
}
