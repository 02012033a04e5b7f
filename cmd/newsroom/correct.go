package main

import (
	"fmt"
	"io"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
)

func init() {
	register("correct", spec{"text": true}, correctArticle)
}

// correctArticle records a correction of a published article (editor
// role). It goes out with the article's next publication, which a
// publisher makes: `newsroom publish ID`.
func correctArticle(a *args, out io.Writer) error {
	const u = "correct ID --text T"
	if err := a.need(1, u); err != nil {
		return err
	}
	text := a.str("text", "", "")
	if text == "" {
		return usageError(u + " (say what was wrong)")
	}
	c := newClients(a)
	defer c.close()
	p, err := c.publishing()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := p.CorrectArticle(ctx, &publishingv1.CorrectArticleRequest{ArticleId: a.pos[0], Text: text})
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, resp)
	}
	fmt.Fprintf(out, "correction %d recorded; it goes out with the next publication (newsroom publish %s)\n",
		resp.GetCorrection().GetSequence(), a.pos[0])
	return showPublication(a, out, resp.GetPublication())
}
