package desk_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/review/desk"
)

// sse is one server-sent event.
type sse struct{ event, data string }

// events opens a review page's event stream for article and returns its
// events, and a func that closes it (as a page that goes away does).
func (c *client) events(article string) (<-chan sse, func()) {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/events?article="+url.QueryEscape(article), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	// The page's client, without its timeout: the stream stays open.
	resp, err := (&http.Client{Jar: c.http.Jar}).Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("events: %s", resp.Status)
	}
	out := make(chan sse, 16)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev sse
		for sc.Scan() {
			switch line := sc.Text(); {
			case strings.HasPrefix(line, "event: "):
				ev.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.event != "":
				out <- ev
				ev = sse{}
			}
		}
	}()
	return out, cancel
}

func next(t *testing.T, ch <-chan sse, event string) sse {
	t.Helper()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("the event stream ended before a %q event", event)
			}
			if ev.event == event {
				return ev
			}
		case <-time.After(wait):
			t.Fatalf("no %q event after %s", event, wait)
		}
	}
}

// statusFeeds counts the consumers on the DRAFTING stream that follow
// drafting's status changes alone: the desk's status feed, and nothing
// else of the harness's.
func (h *harness) statusFeeds() int {
	h.t.Helper()
	st, err := h.nats.JS.Stream(h.ctx(), "DRAFTING")
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for ci := range st.ListConsumers(h.ctx()).Info() {
		if slices.Equal(ci.Config.FilterSubjects, []string{events.ArticleStatusChanged}) || ci.Config.FilterSubject == events.ArticleStatusChanged {
			n++
		}
	}
	return n
}

// TestFeedsRunOnlyWhileNeeded checks that the desk follows the
// newsroom's streams only while someone needs them: not while it sits
// idle as articles go through review, from the moment a review page
// opens (which is greeted as live and hears a decision made elsewhere),
// until a linger after the page goes; and for a linger after the queue
// is read.
func TestFeedsRunOnlyWhileNeeded(t *testing.T) {
	h := newHarness(t)
	const linger = 300 * time.Millisecond
	base := h.startDeskWith(desk.Config{FeedLinger: linger})
	rita, rosa := h.token("rita", auth.Reviewer), h.token("rosa", auth.Reviewer)
	c := newClient(t, base)
	c.signIn(rita)

	a := h.submit(h.token("wendy", auth.Writer), flaggedArticle())
	rv := h.waitReview(a.GetId(), rita)
	if hl := deskHealth(base); hl.Live || hl.FeedsWanted || h.statusFeeds() != 0 {
		t.Fatalf("an idle desk follows the streams: %+v, %d status feeds", hl, h.statusFeeds())
	}

	// A review page opens: the feeds start before it is greeted.
	stream, closeStream := c.events(a.GetId())
	defer closeStream()
	var hello struct{ Live bool }
	if err := json.Unmarshal([]byte(next(t, stream, "hello").data), &hello); err != nil || !hello.Live {
		t.Fatalf("hello %+v (%v): want live", hello, err)
	}
	if hl := deskHealth(base); !hl.Live || !hl.FeedsWanted || h.statusFeeds() != 1 {
		t.Fatalf("with a page open: %+v, %d status feeds", hl, h.statusFeeds())
	}
	// Another reviewer decides a flag: the page hears of it.
	if _, err := h.review.ApproveFlag(h.ctx(), &reviewv1.ApproveFlagRequest{
		ArticleId: a.GetId(), FlagId: rv.GetFlags()[0].GetId(),
	}, testutil.As(rosa)); err != nil {
		t.Fatal(err)
	}
	var change struct{ Kind, Article string }
	if err := json.Unmarshal([]byte(next(t, stream, "change").data), &change); err != nil || change.Article != a.GetId() {
		t.Fatalf("change %+v (%v)", change, err)
	}
	// Still live past the linger while the page stays.
	time.Sleep(2 * linger)
	if hl := deskHealth(base); !hl.Live {
		t.Fatalf("an open page lost its feeds: %+v", hl)
	}

	// The page goes: the feeds stop once the linger has passed.
	closeStream()
	for range stream { // until the desk has ended it
	}
	testutil.Eventually(t, wait, "the feeds to stop after the page closed", func() bool {
		hl := deskHealth(base)
		return !hl.Live && !hl.FeedsWanted && h.statusFeeds() == 0
	})

	// Reading the queue starts them for a linger too (its cache needs
	// them), then they stop again.
	if resp, body := c.do("GET", "/queue", nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, a.GetHeadline()) {
		t.Fatalf("queue: %s\n%s", resp.Status, body)
	}
	testutil.Eventually(t, wait, "the feeds to start for the queue", func() bool { return deskHealth(base).Live })
	testutil.Eventually(t, wait, "the feeds to stop after the queue's linger", func() bool {
		return !deskHealth(base).Live && h.statusFeeds() == 0
	})
}
