package desk_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/testutil"
)

// TestDeskInBrowser drives the desk in headless Chromium against the real
// drafting, review and publishing services: sign in, the queue, an
// article with its flags highlighted at the right words, decisions by
// keyboard, the note, a second reviewer's decisions appearing live in the
// first one's tab, the author refused, changes requested, and the board
// publishing and scheduling ready stories. Every page passes the
// accessibility check, and no page trips the Content-Security-Policy.
func TestDeskInBrowser(t *testing.T) {
	exe := chromium(t)
	h := newHarness(t)
	base := h.startDesk(false)

	wendy := h.token("wendy", auth.Writer)
	walt := h.token("walt", auth.Writer, auth.Reviewer) // writes, and reviews others' copy
	rita := h.token("rita", auth.Reviewer)
	rosa := h.token("rosa", auth.Reviewer)
	pat := h.token("pat", auth.Publisher)

	a1 := h.submit(wendy, flaggedArticle())
	a2 := h.submit(walt, authorsArticle())
	a3 := h.submit(wendy, cleanArticle())
	r1 := h.waitReview(a1.GetId(), rita)
	r2 := h.waitReview(a2.GetId(), rita)
	h.waitStatus(a3.GetId(), articlev1.Status_STATUS_READY, rita)

	var blocking []string
	var open1 [3]int // blocker, warning, info
	for _, f := range r1.GetFlags() {
		switch f.GetSeverity() {
		case reviewv1.Severity_SEVERITY_BLOCKER:
			open1[0]++
			blocking = append(blocking, f.GetId())
		case reviewv1.Severity_SEVERITY_WARNING:
			open1[1]++
			blocking = append(blocking, f.GetId())
		default:
			open1[2]++
		}
	}
	if len(blocking) < 3 || r1.GetProposedNote().GetText() == "" {
		t.Fatalf("the test article needs at least 3 warning or blocker flags and a proposed note; review gave %v", r1)
	}

	browser := newBrowser(t, exe)
	one := openTab(t, browser, base, "rita")

	// Sign-in.
	one.open("/queue")
	one.until("the sign-in form", `location.pathname === "/signin"`)
	one.check("sign-in")
	one.signIn(rita, "rita")
	if roles := eval[string](one, `document.getElementById("who-roles").textContent`); roles != "(reviewer)" {
		t.Errorf("roles shown: %q", roles)
	}

	// The queue: both flagged articles, oldest first, with their counts.
	one.until("both articles in the queue", `document.querySelectorAll("tr.queue-row").length === 2`)
	rows := eval[[]string](one, `Array.from(document.querySelectorAll("tr.queue-row")).map(r => r.dataset.article)`)
	if !slices.Equal(rows, []string{a1.GetId(), a2.GetId()}) {
		t.Errorf("queue rows %v, want %s then %s (oldest first)", rows, a1.GetId(), a2.GetId())
	}
	counts := eval[string](one, `document.querySelector('tr.queue-row[data-article="`+a1.GetId()+`"] .counts').textContent`)
	if want := fmt.Sprintf("B %d blocker, W %d warning, I %d info", open1[0], open1[1], open1[2]); counts != want {
		t.Errorf("counts of %s: %q, want %q", a1.GetId(), counts, want)
	}
	one.check("queue")
	one.screenshot("desk-queue.png", true)
	// Filters: by desk, and by category.
	one.open("/queue?desk=politics")
	one.until("the desk filter", `document.querySelectorAll("tr.queue-row").length === 1 && document.querySelector("tr.queue-row").dataset.article === `+jsString(a2.GetId()))
	one.open("/queue?category=inclusive_language")
	one.until("the category filter", `document.querySelectorAll("tr.queue-row").length === 1 && document.querySelector("tr.queue-row").dataset.article === `+jsString(a1.GetId()))
	if sel := eval[string](one, `document.getElementById("filter-category").value`); sel != "inclusive_language" {
		t.Errorf("category filter shows %q", sel)
	}

	// The review page: every span highlighted at its words.
	one.click(`a.queue-link[href="/articles/` + a1.GetId() + `"]`)
	one.until("the review page", `document.body.dataset.page === "review" && document.querySelector("mark.flag")`)
	one.until("live updates on", `document.body.dataset.events === "on"`)
	spans := eval[map[string]string](one, `(() => {
		const out = {};
		for (const m of document.querySelectorAll("mark.flag")) out[m.dataset.span] = (out[m.dataset.span] || "") + m.textContent;
		return out;
	})()`)
	placed := 0
	for i, f := range r1.GetFlags() {
		for j, sp := range f.GetSpans() {
			key := fmt.Sprintf("f%d-%d", i, j)
			if got, ok := spans[key]; !ok || got != sp.GetText() {
				t.Errorf("flag %s (%s) span %d: marked %q, want %q", f.GetId(), f.GetRuleId(), j, got, sp.GetText())
			}
			placed++
		}
	}
	if len(spans) != placed {
		t.Errorf("%d marked spans, want %d: %v", len(spans), placed, spans)
	}
	// The mark is the word in the text, not a copy: the headline's hedge
	// sits in the headline, the takeaway's in the takeaway.
	inHeadline := eval[string](one, `Array.from(document.querySelectorAll("#story-headline mark")).map(m => m.textContent).join("|")`)
	inTakeaway := eval[string](one, `Array.from(document.querySelectorAll("#story-takeaways mark")).map(m => m.textContent).join("|")`)
	if inHeadline != "reportedly" || inTakeaway != "allegedly" {
		t.Errorf("marks in the headline %q and the takeaways %q", inHeadline, inTakeaway)
	}
	// Markup in the copy is shown as text, never as markup.
	if body := eval[string](one, `document.getElementById("story-body").innerHTML`); !strings.Contains(body, "&lt;b&gt;Geneva&lt;/b&gt; &amp;") {
		t.Errorf("the body's markup was not escaped: %s", body)
	}
	if n := eval[int](one, `document.querySelectorAll(".flag-card").length`); n != len(r1.GetFlags()) {
		t.Errorf("%d flag cards, want %d", n, len(r1.GetFlags()))
	}
	one.check("review")
	// Focus shows the flag's details.
	one.keys("j")
	first := eval[string](one, focusedFlag)
	one.until("the focused flag's details in view", `(() => {
		const c = `+card(first)+`, p = c.closest(".flag-panel"), top = c.offsetTop - p.offsetTop;
		return c.classList.contains("current") && top >= p.scrollTop && top < p.scrollTop + p.clientHeight;
	})()`)
	// Deep in the text too: the panel scrolls to the flag's card.
	last := one.pressUntilFocused("j", func(f string) bool { return f == r1.GetFlags()[len(r1.GetFlags())-1].GetId() })
	one.until("the last flag's details in view", `(() => {
		const c = `+card(last)+`, p = c.closest(".flag-panel"), top = c.offsetTop - p.offsetTop;
		return c.classList.contains("current") && top >= p.scrollTop && top < p.scrollTop + p.clientHeight;
	})()`)
	// For the picture: a warning in the body, on a taller screen.
	one.pressUntilFocused("k", func(f string) bool { return f == blocking[0] })
	one.do(chromedp.EmulateViewport(1280, 1500))
	one.until("the warning's details in view", card(blocking[0])+`.classList.contains("current")`)
	one.screenshot("desk-review.png", true)
	one.do(chromedp.ResetViewport())

	// The note first: it goes out when the article clears.
	one.click("#note-accept")
	one.until("the accepted note", `document.getElementById("note-current-text") && document.getElementById("note-current-text").textContent === `+jsString(r1.GetProposedNote().GetText()))

	// Dismiss one flag by keyboard: j to it, d, the reason, Enter.
	isBlocking := func(f string) bool { return slices.Contains(blocking, f) }
	dismissed := one.pressUntilFocused("j", isBlocking)
	one.keys("d")
	one.until("the reason field focused", `document.activeElement && document.activeElement.name === "reason" && document.activeElement.form.dataset.flag === `+jsString(dismissed))
	one.keys("Quoted from the court filing\r")
	one.until("the flag dismissed", card(dismissed)+`.dataset.status === "dismissed"`)
	// And approve another: the focus is back on the first open flag.
	one.until("focus on an open flag", `document.activeElement && document.activeElement.matches('mark.flag[data-status="open"]')`)
	approved := one.pressUntilFocused("j", func(f string) bool { return isBlocking(f) && f != dismissed })
	one.keys("a")
	one.until("the flag approved", card(approved)+`.dataset.status === "approved"`)
	r := h.getReview(a1.GetId(), rita)
	for _, f := range r.GetFlags() {
		switch f.GetId() {
		case dismissed:
			if f.GetStatus() != reviewv1.FlagStatus_FLAG_STATUS_DISMISSED || f.GetReason() != "Quoted from the court filing" || f.GetDecidedBy() != "rita" {
				t.Errorf("dismissed flag: %v", f)
			}
		case approved:
			if f.GetStatus() != reviewv1.FlagStatus_FLAG_STATUS_APPROVED || f.GetDecidedBy() != "rita" {
				t.Errorf("approved flag: %v", f)
			}
		}
	}
	if r.GetNote().GetText() != r1.GetProposedNote().GetText() {
		t.Errorf("note %v, want the proposed %v", r.GetNote(), r1.GetProposedNote())
	}

	// A second reviewer decides the rest in another browser; the first
	// tab shows each decision, then READY, without reloading.
	one.do(chromedp.Evaluate[chromedp.Void](`window.__sameDocument = true`))
	// A change no event announces (the note, edited through the API)
	// shows too.
	if _, err := h.review.SetSensitivityNote(h.ctx(), &reviewv1.SetSensitivityNoteRequest{ArticleId: a1.GetId(),
		Note: &articlev1.SensitivityNote{Title: "About this story", Text: "Claims by both governments are attributed to them."}}, testutil.As(rosa)); err != nil {
		t.Fatal(err)
	}
	one.until("rosa's note, live", `document.getElementById("note-current-text").textContent === "Claims by both governments are attributed to them." && window.__sameDocument === true`)
	two := openTab(t, browser, base, "rosa")
	two.signIn(rosa, "rosa")
	two.open("/articles/" + a1.GetId())
	two.until("the review page", `document.body.dataset.page === "review"`)
	for _, f := range blocking {
		if f == dismissed || f == approved {
			continue
		}
		two.click(`form[data-action="approve"][data-flag=` + jsString(f) + `] button`)
		two.until("rosa's approval", card(f)+`.dataset.status === "approved"`)
		one.until("rosa's approval, live in rita's tab", card(f)+`.dataset.status === "approved" && window.__sameDocument === true`)
	}
	one.until("the article READY, live", `document.getElementById("article-status").dataset.status === "ready" && window.__sameDocument === true`)
	if msg := eval[string](one, `document.getElementById("live-status").textContent`); msg == "" {
		t.Errorf("the live update was not announced")
	}
	h.waitStatus(a1.GetId(), articlev1.Status_STATUS_READY, rita)
	one.clean("review, after live updates")
	if n := h.getReview(a1.GetId(), rita).GetNote(); n.GetTitle() != "About this story" {
		t.Errorf("the note that went out: %v", n)
	}

	// The author may not decide flags on their own article, even holding
	// the reviewer role: the page says so, and the flag stays open.
	two.signOut()
	two.signIn(walt, "walt")
	two.open("/articles/" + a2.GetId())
	two.until("the author's warning", `document.getElementById("author-warning")`)
	f2 := r2.GetFlags()[0].GetId()
	two.click(`form[data-action="approve"][data-flag=` + jsString(f2) + `] button`)
	two.until("the refusal", `document.getElementById("error") && document.getElementById("error").textContent.toLowerCase().includes("authors may not decide flags")`)
	two.check("review, refused")
	if f := h.getReview(a2.GetId(), rita).GetFlags()[0]; f.GetStatus() != reviewv1.FlagStatus_FLAG_STATUS_OPEN {
		t.Errorf("the author's decision went through: %v", f)
	}

	// Request changes, with a note.
	one.open("/articles/" + a2.GetId())
	one.until("the changes form", `document.getElementById("changes-note")`)
	one.do(chromedp.SendKeys(chromedp.ID("changes-note"), "Attribute the donations claim to a named source."))
	one.click("#changes-submit")
	one.until("changes requested", `document.getElementById("review-state").dataset.state === "changes_requested"`)
	h.waitStatus(a2.GetId(), articlev1.Status_STATUS_CHANGES_REQUESTED, rita)
	one.until("the status, live", `document.getElementById("article-status").dataset.status === "changes_requested"`)

	// The editors' board: a publisher publishes one ready story and
	// schedules the other.
	two.signOut()
	two.signIn(pat, "pat")
	two.open("/board")
	two.until("both ready stories on the board", `document.querySelectorAll("#col-ready .board-item").length === 2`)
	for status, id := range map[string]string{"changes_requested": a2.GetId(), "ready": a1.GetId()} {
		if id != "" {
			two.until(id+" under "+status, `document.querySelector('#col-`+status+` .board-item[data-article="`+id+`"]')`)
		}
	}
	two.check("board")
	two.click(`form.publish-form[data-article="` + a1.GetId() + `"] button`)
	two.until("published", `document.getElementById("flash") && document.getElementById("flash").textContent.includes("Published.")`)
	at := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Minute)
	two.do(chromedp.SetValue(chromedp.ID("at-"+a3.GetId()), at.Format("2006-01-02T15:04")))
	two.click(`form.publish-form[data-article="` + a3.GetId() + `"] button`)
	two.until("scheduled", `document.getElementById("flash") && document.getElementById("flash").textContent.includes("Scheduled")`)
	h.waitStatus(a1.GetId(), articlev1.Status_STATUS_PUBLISHED, pat)
	h.waitStatus(a3.GetId(), articlev1.Status_STATUS_SCHEDULED, pat)
	two.open("/board")
	two.until("the board after publishing", `document.querySelector('#col-published .board-item[data-article="`+a1.GetId()+`"]') && document.querySelector('#col-scheduled .board-item[data-article="`+a3.GetId()+`"]')`)
	if got := eval[string](two, `document.querySelector('#col-scheduled .board-item time[datetime="`+at.Format(time.RFC3339)+`"]') ? "ok" : document.getElementById("col-scheduled").innerHTML`); got != "ok" {
		t.Errorf("the scheduled time is not shown: %s", got)
	}
	two.check("board, after publishing")
	two.screenshot("desk-board.png", false)

	// A reviewer sees no publish form.
	one.open("/board")
	one.until("the board", `document.getElementById("col-ready")`)
	if n := eval[int](one, `document.querySelectorAll("form.publish-form").length`); n != 0 {
		t.Errorf("a reviewer sees %d publish forms", n)
	}
}
