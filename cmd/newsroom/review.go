package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
)

func init() {
	register("review show", nil, reviewShow)
	register("review approve", spec{"note": true}, reviewApprove)
	register("review dismiss", spec{"reason": true}, reviewDismiss)
	register("review request-changes", spec{"note": true}, reviewRequestChanges)
	register("review note", spec{"title": true, "text": true, "accept": false, "remove": false}, reviewNote)
	register("review history", nil, reviewHistory)
	register("review check", nil, reviewCheck)
}

func reviewClient(a *args) (reviewv1.ReviewServiceClient, func(), error) {
	c := newClients(a)
	r, err := c.review()
	return r, c.close, err
}

func reviewShow(a *args, out io.Writer) error {
	if err := a.need(1, "review show ID"); err != nil {
		return err
	}
	r, done, err := reviewClient(a)
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := r.GetReview(ctx, &reviewv1.GetReviewRequest{ArticleId: a.pos[0]})
	if err != nil {
		return err
	}
	return showReview(a, out, resp.GetReview())
}

func showReview(a *args, out io.Writer, rv *reviewv1.Review) error {
	if a.flag("json") {
		return printJSON(out, rv)
	}
	fmt.Fprintf(out, "article:   %s (revision %d)\n", rv.GetArticleId(), rv.GetRevision())
	fmt.Fprintf(out, "headline:  %s\n", rv.GetHeadline())
	fmt.Fprintf(out, "review:    %s\n", strings.TrimPrefix(rv.GetState().String(), "REVIEW_STATE_"))
	if rv.GetChangesNote() != "" {
		fmt.Fprintf(out, "changes:   %s\n", rv.GetChangesNote())
	}
	printNote(out, "note:     ", rv.GetNote())
	printNote(out, "proposed: ", rv.GetProposedNote())
	printFlags(out, rv.GetFlags())
	return nil
}

func printNote(out io.Writer, label string, n *articlev1.SensitivityNote) {
	if n.GetTitle() == "" && n.GetText() == "" {
		return
	}
	fmt.Fprintf(out, "%s %s\n           %s\n", label, n.GetTitle(), n.GetText())
}

func printFlags(out io.Writer, flags []*reviewv1.Flag) {
	if len(flags) == 0 {
		fmt.Fprintln(out, "flags:     none")
		return
	}
	fmt.Fprintf(out, "flags:     %d\n", len(flags))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  FLAG\tSTATUS\tSEVERITY\tCATEGORY\tFIELD\tMATCH\tMESSAGE")
	for _, f := range flags {
		var texts []string
		for _, s := range f.GetSpans() {
			t := fmt.Sprintf("%q", s.GetText())
			if s.GetField() != "" && s.GetField() != f.GetField() {
				t += " in " + s.GetField()
			}
			if s.GetDecidedBefore() {
				t += " (decided before)"
			}
			texts = append(texts, t)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.GetId(),
			strings.TrimPrefix(f.GetStatus().String(), "FLAG_STATUS_"),
			strings.TrimPrefix(f.GetSeverity().String(), "SEVERITY_"),
			f.GetCategory(), f.GetField(), strings.Join(texts, ", "), f.GetMessage())
	}
	tw.Flush()
}

func reviewApprove(a *args, out io.Writer) error {
	if err := a.need(2, "review approve ID FLAG_ID [--note T]"); err != nil {
		return err
	}
	r, done, err := reviewClient(a)
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := r.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{ArticleId: a.pos[0], FlagId: a.pos[1], Note: a.str("note", "", "")})
	if err != nil {
		return err
	}
	return showReview(a, out, resp.GetReview())
}

func reviewDismiss(a *args, out io.Writer) error {
	const u = "review dismiss ID FLAG_ID --reason T"
	if err := a.need(2, u); err != nil {
		return err
	}
	if a.str("reason", "", "") == "" {
		return usageError(u + " (a dismissal needs a reason)")
	}
	r, done, err := reviewClient(a)
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := r.DismissFlag(ctx, &reviewv1.DismissFlagRequest{ArticleId: a.pos[0], FlagId: a.pos[1], Reason: a.vals["reason"]})
	if err != nil {
		return err
	}
	return showReview(a, out, resp.GetReview())
}

func reviewRequestChanges(a *args, out io.Writer) error {
	const u = "review request-changes ID --note T"
	if err := a.need(1, u); err != nil {
		return err
	}
	if a.str("note", "", "") == "" {
		return usageError(u + " (tell the author what to change)")
	}
	r, done, err := reviewClient(a)
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := r.RequestChanges(ctx, &reviewv1.RequestChangesRequest{ArticleId: a.pos[0], Note: a.vals["note"]})
	if err != nil {
		return err
	}
	return showReview(a, out, resp.GetReview())
}

// reviewNote sets the sensitivity note (--title/--text), accepts the one
// review proposed (--accept), or removes it (--remove).
func reviewNote(a *args, out io.Writer) error {
	const u = "review note ID --title T --text X | --accept | --remove"
	if err := a.need(1, u); err != nil {
		return err
	}
	req := &reviewv1.SetSensitivityNoteRequest{ArticleId: a.pos[0]}
	switch {
	case a.flag("accept"):
		req.AcceptProposed = true
	case a.flag("remove"):
	case a.has("title") || a.has("text"):
		req.Note = &articlev1.SensitivityNote{Title: a.vals["title"], Text: a.vals["text"]}
	default:
		return usageError(u)
	}
	r, done, err := reviewClient(a)
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := r.SetSensitivityNote(ctx, req)
	if err != nil {
		return err
	}
	return showReview(a, out, resp.GetReview())
}

func reviewHistory(a *args, out io.Writer) error {
	if err := a.need(1, "review history ID"); err != nil {
		return err
	}
	r, done, err := reviewClient(a)
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := r.GetReview(ctx, &reviewv1.GetReviewRequest{ArticleId: a.pos[0]})
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, &reviewv1.Review{ArticleId: resp.GetReview().GetArticleId(), Decisions: resp.GetReview().GetDecisions()})
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tREV\tACTOR\tACTION\tFLAG\tTEXT")
	for _, d := range resp.GetReview().GetDecisions() {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", fmtTime(d.GetTime()), d.GetRevision(), d.GetActor(), d.GetAction(), d.GetFlagId(), d.GetText())
	}
	return tw.Flush()
}

func reviewCheck(a *args, out io.Writer) error {
	if err := a.need(1, "review check FILE"); err != nil {
		return err
	}
	art, err := readArticleFile(a.pos[0])
	if err != nil {
		return err
	}
	r, done, err := reviewClient(a)
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := r.CheckText(ctx, &reviewv1.CheckTextRequest{Article: art})
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, resp)
	}
	printFlags(out, resp.GetFlags())
	printNote(out, "proposed: ", resp.GetProposedNote())
	return nil
}
