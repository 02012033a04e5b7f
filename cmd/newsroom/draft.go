package main

import (
	"fmt"
	"io"
	"strconv"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
)

func init() {
	register("draft create", nil, draftCreate)
	register("draft update", spec{"revision": true}, draftUpdate)
	register("draft submit", spec{"revision": true}, draftSubmit)
	register("draft withdraw", nil, draftWithdraw)
}

// draftCreate prints the new id alone, so scripts can capture it.
func draftCreate(a *args, out io.Writer) error {
	if err := a.need(1, "draft create FILE"); err != nil {
		return err
	}
	art, err := readArticleFile(a.pos[0])
	if err != nil {
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
	resp, err := d.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: art})
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, resp.GetArticle())
	}
	_, err = fmt.Fprintln(out, resp.GetArticle().GetId())
	return err
}

func draftUpdate(a *args, out io.Writer) error {
	const u = "draft update ID FILE --revision N"
	if err := a.need(2, u); err != nil {
		return err
	}
	rev, err := strconv.ParseInt(a.str("revision", "", ""), 10, 64)
	if err != nil || rev <= 0 {
		return usageError(u + " (N is the revision you edited, as `article get` shows it)")
	}
	art, err := readArticleFile(a.pos[1])
	if err != nil {
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
	resp, err := d.UpdateArticle(ctx, &draftingv1.UpdateArticleRequest{Id: a.pos[0], Article: art, ExpectedRevision: rev})
	if err != nil {
		return err
	}
	return showArticle(a, out, resp.GetArticle())
}

func draftSubmit(a *args, out io.Writer) error {
	if err := a.need(1, "draft submit ID [--revision N]"); err != nil {
		return err
	}
	var rev int64
	if a.has("revision") {
		var err error
		if rev, err = strconv.ParseInt(a.vals["revision"], 10, 64); err != nil {
			return usageError("draft submit ID [--revision N]")
		}
	}
	c := newClients(a)
	defer c.close()
	d, err := c.drafting()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := d.SubmitArticle(ctx, &draftingv1.SubmitArticleRequest{Id: a.pos[0], ExpectedRevision: rev})
	if err != nil {
		return err
	}
	return showArticle(a, out, resp.GetArticle())
}

func draftWithdraw(a *args, out io.Writer) error {
	if err := a.need(1, "draft withdraw ID"); err != nil {
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
	resp, err := d.WithdrawArticle(ctx, &draftingv1.WithdrawArticleRequest{Id: a.pos[0]})
	if err != nil {
		return err
	}
	return showArticle(a, out, resp.GetArticle())
}

func showArticle(a *args, out io.Writer, art *articlev1.Article) error {
	if a.flag("json") {
		return printJSON(out, art)
	}
	printArticle(out, art)
	return nil
}
