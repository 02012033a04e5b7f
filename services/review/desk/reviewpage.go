package desk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
)

// reviewView is the review page: the article as it will read with its
// flags in place, the flags, the note, and the history.
type reviewView struct {
	ID      string
	Article articleView
	// HasReview is false for an article never submitted.
	HasReview  bool
	State      string
	StateLabel string
	// Revision is the revision under review; Latest the article's latest,
	// when it has been edited since.
	Revision, Latest int64
	Author           string
	LastEditor       string
	Submitted        stamp
	Flags            []*flagView
	Open             counts
	Unplaced         int
	Note, Proposed   *articlev1.SensitivityNote
	// NoteTitle and NoteText fill the note form: the note, else the
	// proposed one.
	NoteTitle, NoteText string
	ChangesNote         string
	History             []decisionView
	// CanDecide: the person holds the reviewer role and the review is open.
	CanDecide bool
	// IsAuthor: the person wrote or last edited the revision; the review
	// service will refuse their decisions.
	IsAuthor bool
	// Values refill the form fields (by element id) after a refused post.
	Values map[string]string
}

type articleView struct {
	Desk, Byline, Slug    string
	HeadlineText          string
	Headline, Dek         template.HTML
	Summary, Body, Kicker template.HTML
	Takeaways             []takeawayView
	Highlights            []template.HTML
	Tags                  []string
	Status, StatusLabel   string
}

type takeawayView struct{ Quote, Context template.HTML }

type flagView struct {
	Index                       int
	DOMID                       string
	ID                          string
	RuleID                      string
	Category, CategoryLabel     string
	Sev, SevLabel               string
	St, StatusLabel             string
	Open, Blocking              bool
	Message, Suggestion         string
	Rationale                   string
	GuidelineName, GuidelineURL string
	Spans                       []spanView
	DecidedBy, Reason           string
	Decided                     stamp
	CarriedFrom                 int64
}

type spanView struct {
	Text, FieldLabel string
	MarkID           string
	Placed           bool
}

type counts struct{ Blocker, Warning, Info int }

func (c counts) Total() int { return c.Blocker + c.Warning + c.Info }

func (c *counts) add(sev string) {
	switch sev {
	case "blocker":
		c.Blocker++
	case "warning":
		c.Warning++
	default:
		c.Info++
	}
}

type decisionView struct {
	When     stamp
	Actor    string
	Action   string
	Flag     string
	Text     string
	Revision int64
}

// fetchReview loads an article and its review with the person's token:
// the review (nil if the article was never submitted), the revision the
// review is of (as submitted), and the article's latest revision.
func (d *Desk) fetchReview(ctx context.Context, s *session, id string) (*reviewv1.Review, *articlev1.Article, *articlev1.Article, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	ar, err := d.drafting.GetArticle(ctx, &draftingv1.GetArticleRequest{Id: id}, as(s))
	if err != nil {
		return nil, nil, nil, err
	}
	latest := ar.GetArticle()
	rr, err := d.review.GetReview(ctx, &reviewv1.GetReviewRequest{ArticleId: id}, as(s))
	if status.Code(err) == codes.NotFound {
		return nil, latest, latest, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	r := rr.GetReview()
	text := latest
	if r.GetRevision() != latest.GetRevision() {
		// Edited since it was submitted: the flags' offsets are into the
		// submitted revision, so show that one.
		revs, err := d.drafting.ListRevisions(ctx, &draftingv1.ListRevisionsRequest{Id: id}, as(s))
		if err != nil {
			return nil, nil, nil, err
		}
		for _, a := range revs.GetRevisions() {
			if a.GetRevision() == r.GetRevision() {
				text = a
			}
		}
	}
	return r, text, latest, nil
}

// fingerprint identifies what the review page of an article shows, so the
// page's script can tell whether it is current.
func fingerprint(r *reviewv1.Review, latest *articlev1.Article) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d|%d|%d|", latest.GetRevision(), latest.GetStatus(), latest.GetStateSeq())
	if r != nil {
		fmt.Fprintf(h, "%d|%d|%d|%q|%q|%q|", r.GetRevision(), r.GetState(), len(r.GetDecisions()),
			r.GetNote().GetTitle(), r.GetNote().GetText(), r.GetChangesNote())
		for _, f := range r.GetFlags() {
			fmt.Fprintf(h, "%s=%d|", f.GetId(), f.GetStatus())
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

var takeawayField = regexp.MustCompile(`^takeaways\[(\d+)\]\.(quote|context)$`)
var highlightField = regexp.MustCompile(`^highlights\[(\d+)\]$`)

// fieldText is the text of a field named as flags name them.
func fieldText(a *articlev1.Article, field string) (string, bool) {
	switch field {
	case "headline":
		return a.GetHeadline(), true
	case "dek":
		return a.GetDek(), true
	case "summary":
		return a.GetSummary(), true
	case "body":
		return a.GetBody(), true
	case "kicker":
		return a.GetKicker(), true
	}
	if m := takeawayField.FindStringSubmatch(field); m != nil {
		i, _ := strconv.Atoi(m[1])
		if i >= len(a.GetTakeaways()) {
			return "", false
		}
		if m[2] == "quote" {
			return a.GetTakeaways()[i].GetQuote(), true
		}
		return a.GetTakeaways()[i].GetContext(), true
	}
	if m := highlightField.FindStringSubmatch(field); m != nil {
		i, _ := strconv.Atoi(m[1])
		if i >= len(a.GetHighlights()) {
			return "", false
		}
		return a.GetHighlights()[i], true
	}
	return "", false
}

// fieldNames lists an article's fields as flags name them.
func fieldNames(a *articlev1.Article) []string {
	names := []string{"headline", "dek", "summary", "body"}
	for i := range a.GetTakeaways() {
		names = append(names, fmt.Sprintf("takeaways[%d].quote", i), fmt.Sprintf("takeaways[%d].context", i))
	}
	for i := range a.GetHighlights() {
		names = append(names, fmt.Sprintf("highlights[%d]", i))
	}
	return append(names, "kicker")
}

// place finds where a span sits: in the field it names; or, for a span
// that names none (the flag's first span names the flag's field), in the
// flag's field, else in whichever field holds its text at its offsets,
// else wherever its text occurs nearest its offsets.
func place(a *articlev1.Article, sp *reviewv1.Span, flagField string) (field string, start, end int, ok bool) {
	if f := sp.GetField(); f != "" {
		text, known := fieldText(a, f)
		if !known {
			return f, 0, 0, false
		}
		start, end, ok = locate(text, sp)
		return f, start, end, ok
	}
	names := append([]string{flagField}, fieldNames(a)...)
	for _, f := range names {
		if text, known := fieldText(a, f); known && exactly(text, sp) {
			return f, int(sp.GetStart()), int(sp.GetEnd()), true
		}
	}
	for _, f := range names {
		if text, known := fieldText(a, f); known {
			if start, end, ok = locate(text, sp); ok {
				return f, start, end, true
			}
		}
	}
	return flagField, 0, 0, false
}

// buildReview makes the page's view of a review and its article.
func buildReview(s *session, r *reviewv1.Review, a, latest *articlev1.Article, now time.Time) *reviewView {
	v := &reviewView{ID: a.GetId(), HasReview: r != nil, Revision: a.GetRevision()}
	if latest.GetRevision() != a.GetRevision() {
		v.Latest = latest.GetRevision()
	}
	byField := map[string][]mark{}
	if r != nil {
		v.State, v.StateLabel = stateKey(r.GetState()), stateLabel(r.GetState())
		v.Revision = r.GetRevision()
		v.Author, v.LastEditor = r.GetAuthor(), r.GetLastEditor()
		v.Submitted = newStamp(r.GetSubmittedAt(), now)
		v.Note, v.Proposed, v.ChangesNote = r.GetNote(), r.GetProposedNote(), r.GetChangesNote()
		v.CanDecide = s.id.Has(auth.Reviewer) && r.GetState() == reviewv1.ReviewState_REVIEW_STATE_OPEN
		v.IsAuthor = s.id.Subject == r.GetAuthor() || s.id.Subject == r.GetLastEditor()
		names := map[string]string{}
		for i, f := range r.GetFlags() {
			fv := newFlagView(i, f, now)
			v.Flags = append(v.Flags, fv)
			names[f.GetId()] = fv.CategoryLabel
			if fv.Open {
				v.Open.add(fv.Sev)
			}
			for j, sp := range f.GetSpans() {
				field, st, en, ok := place(a, sp, f.GetField())
				sv := spanView{Text: sp.GetText(), FieldLabel: fieldLabel(field)}
				if ok {
					m := mark{Start: st, End: en, Flag: fv, N: j}
					byField[field] = append(byField[field], m)
					text, _ := fieldText(a, field)
					sv.Placed, sv.MarkID, sv.Text = true, m.domID(), text[st:en]
				} else {
					v.Unplaced++
				}
				fv.Spans = append(fv.Spans, sv)
			}
		}
		for i := len(r.GetDecisions()) - 1; i >= 0; i-- {
			dec := r.GetDecisions()[i]
			dv := decisionView{
				When: newStamp(dec.GetTime(), now), Actor: dec.GetActor(), Action: actionLabel(dec.GetAction()),
				Flag: names[dec.GetFlagId()], Text: dec.GetText(), Revision: dec.GetRevision(),
			}
			if dec.GetAction() == "submit" {
				dv.Text = "" // carries the submission's sequence number, for the service
			}
			if dec.GetFlagId() != "" && dv.Flag == "" {
				dv.Flag = "an earlier flag"
			}
			v.History = append(v.History, dv)
		}
	}
	note := v.Note
	if note == nil {
		note = v.Proposed
	}
	v.NoteTitle, v.NoteText = note.GetTitle(), note.GetText()

	av := articleView{
		Desk: a.GetDesk(), Byline: a.GetByline(), Slug: a.GetSlug(), Tags: a.GetTags(),
		HeadlineText: a.GetHeadline(),
		Headline:     inline(a.GetHeadline(), byField["headline"]),
		Dek:          inline(a.GetDek(), byField["dek"]),
		Summary:      rich(a.GetSummary(), byField["summary"]),
		Body:         rich(a.GetBody(), byField["body"]),
		Kicker:       inline(a.GetKicker(), byField["kicker"]),
		Status:       statusKey(latest.GetStatus()), StatusLabel: statusLabel(latest.GetStatus()),
	}
	for i, t := range a.GetTakeaways() {
		av.Takeaways = append(av.Takeaways, takeawayView{
			Quote:   inline(t.GetQuote(), byField[fmt.Sprintf("takeaways[%d].quote", i)]),
			Context: inline(t.GetContext(), byField[fmt.Sprintf("takeaways[%d].context", i)]),
		})
	}
	for i, h := range a.GetHighlights() {
		av.Highlights = append(av.Highlights, inline(h, byField[fmt.Sprintf("highlights[%d]", i)]))
	}
	v.Article = av
	return v
}

func newFlagView(i int, f *reviewv1.Flag, now time.Time) *flagView {
	sev, st := sevKey(f.GetSeverity()), flagStatusKey(f.GetStatus())
	return &flagView{
		Index: i, DOMID: "f" + strconv.Itoa(i), ID: f.GetId(), RuleID: f.GetRuleId(),
		Category: f.GetCategory(), CategoryLabel: categoryLabel(f.GetCategory()),
		Sev: sev, SevLabel: sevLabels[sev], St: st, StatusLabel: flagStatusLabels[st],
		Open:     st == "open",
		Blocking: st == "open" && sev != "info",
		Message:  f.GetMessage(), Suggestion: f.GetSuggestion(), Rationale: f.GetRationale(),
		GuidelineName: f.GetGuidelineName(), GuidelineURL: f.GetGuidelineUrl(),
		DecidedBy: f.GetDecidedBy(), Reason: f.GetReason(), Decided: newStamp(f.GetDecidedAt(), now),
		CarriedFrom: f.GetCarriedFrom(),
	}
}

// reviewPage shows an article for review.
func (d *Desk) reviewPage(w http.ResponseWriter, r *http.Request, s *session) {
	id := d.articleID(w, r, s)
	if id == "" {
		return
	}
	code := http.StatusOK
	v := d.base(s, "Review", "review", "/articles/"+id)
	if done := r.URL.Query().Get("done"); done != "" {
		v.Flash = flashes[done]
	}
	d.showReview(w, r, s, id, code, v, nil)
}

// showReview loads and renders the review page with code; v carries the
// error or message to show, values refill the form a refused post sent.
func (d *Desk) showReview(w http.ResponseWriter, r *http.Request, s *session, id string, code int, v *view, values map[string]string) {
	rv, a, latest, err := d.fetchReview(r.Context(), s, id)
	if err != nil {
		d.callFailed(w, r, s, err, "article "+id)
		return
	}
	page := buildReview(s, rv, a, latest, d.clock.Now())
	page.Values = values
	v.Title = "Review: " + a.GetHeadline()
	v.Review = page
	v.Fingerprint = fingerprint(rv, latest)
	d.render(w, r, code, v)
}

// callFailed answers a failed read with a notice page.
func (d *Desk) callFailed(w http.ResponseWriter, r *http.Request, s *session, err error, what string) {
	code, msg := httpError(err)
	if code == http.StatusUnauthorized {
		http.SetCookie(w, d.cookie(sessionCookie, "", time.Time{}))
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	if code >= 500 {
		d.log.Error("desk call failed", "what", what, "err", err)
	}
	d.notice(w, r, s, code, http.StatusText(code), msg)
}

// httpError maps a gRPC error to an HTTP status and a sentence for people.
func httpError(err error) (int, string) {
	st, _ := status.FromError(err)
	msg := st.Message()
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
		if !strings.HasSuffix(msg, ".") {
			msg += "."
		}
	}
	switch st.Code() {
	case codes.InvalidArgument:
		return http.StatusBadRequest, msg
	case codes.NotFound:
		return http.StatusNotFound, msg
	case codes.PermissionDenied:
		return http.StatusForbidden, "Not allowed: " + msg
	case codes.Unauthenticated:
		return http.StatusUnauthorized, "Sign in again."
	case codes.FailedPrecondition:
		return http.StatusConflict, "Not possible now: " + msg
	case codes.Aborted:
		return http.StatusConflict, "The article changed meanwhile: " + msg + " The page now shows where it stands."
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests, "Too many changes at once. Wait a moment and try again."
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return http.StatusServiceUnavailable, "A newsroom service did not answer. Try again in a moment."
	}
	return http.StatusBadGateway, "Something went wrong in a newsroom service. Try again in a moment."
}

// refused shows the review page again with the error of a post, and the
// values the person typed.
func (d *Desk) refused(w http.ResponseWriter, r *http.Request, s *session, id string, code int, msg string, values map[string]string) {
	if code == http.StatusUnauthorized {
		http.SetCookie(w, d.cookie(sessionCookie, "", time.Time{}))
		d.signinForm(w, r, code, "Your session has ended. Sign in again.")
		return
	}
	v := d.base(s, "Review", "review", "/articles/"+id)
	v.Error = msg
	d.showReview(w, r, s, id, code, v, values)
}

func (d *Desk) done(w http.ResponseWriter, r *http.Request, id, what string) {
	d.queue.forget(id)
	http.Redirect(w, r, "/articles/"+id+"?done="+what, http.StatusSeeOther)
}

// decideFlag approves or dismisses one flag.
func (d *Desk) decideFlag(w http.ResponseWriter, r *http.Request, s *session) {
	id := d.articleID(w, r, s)
	if id == "" {
		return
	}
	f := r.PostForm
	flag, action, dom := f.Get("flag"), f.Get("action"), f.Get("dom")
	rev, _ := strconv.ParseInt(f.Get("revision"), 10, 64)
	values := map[string]string{"note-" + dom: f.Get("note"), "reason-" + dom: f.Get("reason")}
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	var err error
	switch action {
	case "approve":
		_, err = d.review.ApproveFlag(ctx, &reviewv1.ApproveFlagRequest{
			ArticleId: id, FlagId: flag, Note: strings.TrimSpace(f.Get("note")), ExpectedRevision: rev}, as(s))
	case "dismiss":
		reason := strings.TrimSpace(f.Get("reason"))
		if reason == "" {
			d.refused(w, r, s, id, http.StatusBadRequest, "Give a reason to dismiss a flag.", values)
			return
		}
		_, err = d.review.DismissFlag(ctx, &reviewv1.DismissFlagRequest{
			ArticleId: id, FlagId: flag, Reason: reason, ExpectedRevision: rev}, as(s))
	default:
		d.refused(w, r, s, id, http.StatusBadRequest, "Choose approve or dismiss.", values)
		return
	}
	if err != nil {
		code, msg := httpError(err)
		d.refused(w, r, s, id, code, msg, values)
		return
	}
	d.log.Info("flag decided", "article", id, "flag", flag, "action", action, "subject", s.id.Subject)
	d.done(w, r, id, action)
}

// setNote accepts the proposed note, saves an edited one, or removes it.
func (d *Desk) setNote(w http.ResponseWriter, r *http.Request, s *session) {
	id := d.articleID(w, r, s)
	if id == "" {
		return
	}
	f := r.PostForm
	values := map[string]string{"note-title": f.Get("title"), "note-text": f.Get("text")}
	req := &reviewv1.SetSensitivityNoteRequest{ArticleId: id}
	what := "note"
	switch f.Get("action") {
	case "accept":
		req.AcceptProposed, what = true, "note_accept"
	case "save":
		title, text := strings.TrimSpace(f.Get("title")), strings.TrimSpace(f.Get("text"))
		if text == "" {
			d.refused(w, r, s, id, http.StatusBadRequest, "Write the note's text, or remove the note.", values)
			return
		}
		req.Note = &articlev1.SensitivityNote{Title: title, Text: text}
	case "remove":
		what = "note_remove"
	default:
		d.refused(w, r, s, id, http.StatusBadRequest, "Choose what to do with the note.", values)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	if _, err := d.review.SetSensitivityNote(ctx, req, as(s)); err != nil {
		code, msg := httpError(err)
		d.refused(w, r, s, id, code, msg, values)
		return
	}
	d.done(w, r, id, what)
}

// requestChanges sends the article back to its author with a note.
func (d *Desk) requestChanges(w http.ResponseWriter, r *http.Request, s *session) {
	id := d.articleID(w, r, s)
	if id == "" {
		return
	}
	note := strings.TrimSpace(r.PostForm.Get("note"))
	values := map[string]string{"changes-note": r.PostForm.Get("note")}
	if note == "" {
		d.refused(w, r, s, id, http.StatusBadRequest, "Tell the author what to change.", values)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	if _, err := d.review.RequestChanges(ctx, &reviewv1.RequestChangesRequest{ArticleId: id, Note: note}, as(s)); err != nil {
		code, msg := httpError(err)
		d.refused(w, r, s, id, code, msg, values)
		return
	}
	d.done(w, r, id, "changes")
}
