package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

type reviewJSON struct {
	State string `json:"state"`
	Flags []struct {
		ID       string `json:"id"`
		Category string `json:"category"`
		Severity string `json:"severity"`
		Status   string `json:"status"`
	} `json:"flags"`
	ProposedNote *struct {
		Title string `json:"title"`
	} `json:"proposedNote"`
}

// waitReview polls until review has scanned the article and raised flags.
func (p *devProc) waitReview(t *testing.T, id string) reviewJSON {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := p.cli(t, "reviewer", "review", "show", id, "--json")
		var rv reviewJSON
		if r.code == 0 {
			if err := json.Unmarshal([]byte(r.out), &rv); err != nil {
				t.Fatal(err)
			}
			if len(rv.Flags) > 0 {
				return rv
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no flags for %s after 30s: %s%s", id, r.out, r.err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// publishClean takes a file with nothing to flag from draft to published.
func (p *devProc) publishClean(t *testing.T, file string) (id, url string) {
	t.Helper()
	id = strings.TrimSpace(p.ok(t, "writer", "draft", "create", file))
	p.ok(t, "writer", "draft", "submit", id)
	p.waitStatus(t, id, "READY")
	p.ok(t, "publisher", "publish", id)
	a := p.waitStatus(t, id, "PUBLISHED")
	return id, a.PublicURL
}

// waitPage polls url until its body contains every one of want.
func waitPage(t *testing.T, url string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := httpGet(t, url)
		missing := ""
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
				break
			}
		}
		if code == http.StatusOK && missing == "" {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d, missing %q\n%s", url, code, missing, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestEndToEnd drives the CLI through the whole flow against `newsroom dev`.
func TestEndToEnd(t *testing.T) {
	p := startDev(t, t.TempDir())
	p.ok(t, "", "status")

	// Earlier stories, so the related box has something to pick from.
	budgetID, _ := p.publishClean(t, "testdata/budget.md")
	p.publishClean(t, "testdata/sports.md")

	// A follow-up on the budget story: its related box must list the budget
	// story first, and not the unrelated sports story.
	followID, followURL := p.publishClean(t, "testdata/budget2.md")
	page := waitPage(t, followURL, "Related", "City council approves budget with new money for bus lanes")
	if strings.Contains(page, "Local club wins regional football final") {
		t.Fatal("related box lists an unrelated story")
	}
	rel := p.ok(t, "editor", "related", followID)
	if !strings.HasPrefix(rel, "1. City council approves budget") || !strings.Contains(rel, budgetID) {
		t.Fatalf("related %s:\n%s", followID, rel)
	}

	// A story that review flags.
	id := strings.TrimSpace(p.ok(t, "writer", "draft", "create", "testdata/summit.md"))
	if strings.ContainsAny(id, " \n") || id == "" {
		t.Fatalf("draft create printed %q, want the id alone", id)
	}
	p.ok(t, "writer", "draft", "submit", id)
	rv := p.waitReview(t, id)
	cats := map[string]bool{}
	for _, f := range rv.Flags {
		cats[f.Category] = true
	}
	for _, want := range []string{"political_sensitivity", "unverified_claim"} {
		if !cats[want] {
			t.Fatalf("flags %+v lack category %s", rv.Flags, want)
		}
	}
	if got := p.article(t, id).Status; got != "STATUS_IN_REVIEW" {
		t.Fatalf("flagged article is %s, want IN_REVIEW", got)
	}
	// Publishing before review clears it is refused.
	p.fails(t, "publisher", "FailedPrecondition", "publish", id)
	// The author cannot decide flags, nor can a writer.
	p.fails(t, "writer", "PermissionDenied", "review", "approve", id, rv.Flags[0].ID)

	p.ok(t, "reviewer", "review", "note", id, "--title", "Political sensitivity", "--text", "This story concerns an ongoing war and talks between heads of state.")
	for i, f := range rv.Flags {
		if f.Status != "FLAG_STATUS_OPEN" {
			continue
		}
		if i == 0 {
			p.ok(t, "reviewer", "review", "approve", id, f.ID, "--note", "Accurate and attributed")
		} else {
			p.fails(t, "reviewer", "", "review", "dismiss", id, f.ID) // no reason
			p.ok(t, "reviewer", "review", "dismiss", id, f.ID, "--reason", "Attributed in the next sentence")
		}
	}
	p.waitStatus(t, id, "READY")
	hist := p.ok(t, "reviewer", "review", "history", id)
	if !strings.Contains(hist, "dev-reviewer") {
		t.Fatalf("history does not name the reviewer:\n%s", hist)
	}

	p.ok(t, "publisher", "publish", id)
	a := p.waitStatus(t, id, "PUBLISHED")
	body := waitPage(t, a.PublicURL)
	// Every part of the article, in the documented order.
	order := []string{
		"Leaders meet for ceasefire talks as fighting continues", // headline
		"The meeting was the first in a year.",                   // dek
		"discussed a ceasefire.",                                 // summary
		"met President Emmanuel Macron in Paris",                 // report
		"We want peace, but not at any price.",                   // takeaway
		"Any ceasefire would depend on guarantees",               // analysis section
		"First meeting in a year",                                // highlight
		"This story concerns an ongoing war",                     // sensitivity note
		"Further talks are planned.",                             // kicker
	}
	// Start at the headline's <h1>, past the <head>'s metadata.
	rest := body[strings.Index(body, "<h1"):]
	for _, s := range order {
		i := strings.Index(rest, s)
		if i < 0 {
			t.Fatalf("page lacks %q after the previous part (or at all)\n%s", s, body)
		}
		rest = rest[i+len(s):]
	}
	code, index := httpGet(t, p.site+"/")
	if code != http.StatusOK || !strings.Contains(index, "Leaders meet for ceasefire talks") {
		t.Fatalf("index %d lacks the story", code)
	}
	if code, feed := httpGet(t, p.site+"/feed.atom"); code != http.StatusOK || !strings.Contains(feed, "<feed") {
		t.Fatalf("feed %d: %s", code, feed)
	}
	// `newsroom trace` shows the real path, read from the events.
	tr := p.ok(t, "editor", "trace", id, "--nats", p.nats)
	rest = tr
	for _, step := range []string{"article.created", "article.submitted", "article.flagged", "flag.decided", "article.cleared", "article.published", "related.updated"} {
		i := strings.Index(rest, step)
		if i < 0 {
			t.Fatalf("trace lacks %s after the previous step:\n%s", step, tr)
		}
		rest = rest[i:]
	}
	for _, svc := range []string{"drafting", "review", "publishing", "linking"} {
		if !strings.Contains(tr, svc) {
			t.Fatalf("trace does not pass through %s:\n%s", svc, tr)
		}
	}

	list := p.ok(t, "editor", "article", "list", "--status", "published")
	if strings.Count(list, "PUBLISHED") != 4 {
		t.Fatalf("want 4 published articles:\n%s", list)
	}
}

// TestBadInput checks the errors users meet most.
func TestBadInput(t *testing.T) {
	p := startDev(t, t.TempDir())
	r := p.cli(t, "writer", "draft", "create", "testdata/malformed.md")
	if r.code == 0 || !strings.Contains(r.err, "malformed.md:4:") {
		t.Fatalf("malformed file: exit %d, stderr %q; want an error naming line 4", r.code, r.err)
	}
	if list := p.ok(t, "editor", "article", "list"); strings.Count(list, "\n") != 1 {
		t.Fatalf("a malformed file created something:\n%s", list)
	}
	id := strings.TrimSpace(p.ok(t, "writer", "draft", "create", "testdata/budget.md"))
	p.ok(t, "writer", "draft", "update", id, "testdata/budget2.md", "--revision", "1")
	p.fails(t, "writer", "Aborted", "draft", "update", id, "testdata/budget.md", "--revision", "1")
	r = p.cli(t, "writer", "draft", "update", id, "testdata/budget.md", "--revision", "1")
	if !strings.Contains(r.err, "2") {
		t.Fatalf("stale revision error does not give the current revision: %s", r.err)
	}
	p.fails(t, "publisher", "FailedPrecondition", "publish", id)
	p.fails(t, "", "Unauthenticated", "article", "get", id)
	p.fails(t, "reviewer", "PermissionDenied", "draft", "create", "testdata/budget.md")
	p.fails(t, "writer", "PermissionDenied", "publish", id)
	p.fails(t, "writer", "NotFound", "article", "get", "nosuchid")
}

// TestRestartMidFlow kills `newsroom dev` in the middle of the flow and
// checks that after a restart the flow completes with nothing doubled.
func TestRestartMidFlow(t *testing.T) {
	dir := t.TempDir()
	p := startDev(t, dir)
	earlier, _ := p.publishClean(t, "testdata/budget.md")
	id := strings.TrimSpace(p.ok(t, "writer", "draft", "create", "testdata/summit.md"))
	p.ok(t, "writer", "draft", "submit", id)
	p.kill() // a crash, not a clean stop

	p = startDev(t, dir)
	rv := p.waitReview(t, id)
	for _, f := range rv.Flags {
		if f.Status == "FLAG_STATUS_OPEN" {
			p.ok(t, "reviewer", "review", "dismiss", id, f.ID, "--reason", "checked")
		}
	}
	p.waitStatus(t, id, "READY")
	p.ok(t, "publisher", "publish", id)
	p.waitStatus(t, id, "PUBLISHED")
	p.stop(t)

	p = startDev(t, dir)
	a := p.article(t, id)
	if a.Status != "STATUS_PUBLISHED" || a.Revision != "1" {
		t.Fatalf("after a clean restart: %+v", a)
	}
	// The site moved to a new port with the restart; the path is what counts.
	u, err := url.Parse(a.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	waitPage(t, p.site+u.Path, "Leaders meet for ceasefire talks")
	if p.article(t, earlier).Status != "STATUS_PUBLISHED" {
		t.Fatal("earlier story lost its status")
	}
	// Exactly one submitted, cleared and published event per article.
	nc, err := nats.Connect(p.nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	for _, subj := range []string{"newsroom.drafting.article.submitted", "newsroom.review.article.cleared", "newsroom.publishing.article.published"} {
		if n := countEvents(t, js, subj, id); n != 1 {
			t.Errorf("%s: %d events for %s, want 1", subj, n, id)
		}
	}
}

// countEvents counts the events on subject that concern article id.
func countEvents(t *testing.T, js jetstream.JetStream, subject, id string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.StreamNameBySubject(ctx, subject)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	total := info.State.Subjects[subject]
	if total == 0 {
		return 0
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for seen := uint64(0); seen < total; {
		batch, err := c.Fetch(int(total-seen), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			// Events are protobuf with EventMeta first; the article id is a
			// plain string inside it.
			if strings.Contains(string(m.Data()), id) {
				n++
			}
		}
		if got == 0 {
			break
		}
		seen += uint64(got)
	}
	return n
}
