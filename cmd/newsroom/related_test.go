package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRelatedVerbs drives `related suggest|pin|unpin|exclude|unexclude`
// through the CLI against `newsroom dev`: editors' choices change what the
// box lists and the published page, and only editors may make them.
func TestRelatedVerbs(t *testing.T) {
	p := startDev(t, t.TempDir())
	const (
		budget = "City council approves budget with new money for bus lanes"
		sports = "Local club wins regional football final on penalties"
	)
	budgetID, _ := p.publishClean(t, "testdata/budget.md")
	sportsID, _ := p.publishClean(t, "testdata/sports.md")

	// A draft's text, before it is ever created, gets the budget story.
	sug := p.ok(t, "writer", "related", "suggest", "testdata/budget2.md")
	if !strings.HasPrefix(sug, "1. "+budget) || !strings.Contains(sug, budgetID) || strings.Contains(sug, sports) {
		t.Fatalf("suggest budget2.md:\n%s", sug)
	}
	p.fails(t, "writer", "malformed.md:4", "related", "suggest", "testdata/malformed.md") // names file and line

	followID, followURL := p.publishClean(t, "testdata/budget2.md")
	waitPage(t, followURL, budget)

	// Pinning needs the editor role; a writer is refused and nothing changes.
	p.fails(t, "writer", "PermissionDenied", "related", "pin", followID, sportsID)
	if rel := p.ok(t, "editor", "related", followID); strings.Contains(rel, sports) {
		t.Fatalf("refused pin changed the box:\n%s", rel)
	}

	// A pinned story comes first, even one the ranking would never pick,
	// and the page is re-rendered with it.
	out := p.ok(t, "editor", "related", "pin", followID, sportsID)
	if !strings.Contains(out, "pinned:   ["+sportsID+"]") || !strings.HasPrefix(out[strings.Index(out, "1. "):], "1. "+sports+" (pinned)") {
		t.Fatalf("pin output:\n%s", out)
	}
	page := waitPage(t, followURL, sports)
	if i, j := strings.Index(page, sports), strings.Index(page, budget); j >= 0 && i > j {
		t.Fatal("pinned story is not first on the page")
	}

	// Excluding the budget story removes it from the box and the page.
	out = p.ok(t, "editor", "related", "exclude", followID, budgetID)
	if !strings.Contains(out, "excluded: ["+budgetID+"]") || strings.Contains(out, budget) {
		t.Fatalf("exclude output:\n%s", out)
	}
	waitPageLacks(t, followURL, budget)

	// Undoing both gives the ranking back its say.
	p.ok(t, "editor", "related", "unpin", followID, sportsID)
	out = p.ok(t, "editor", "related", "unexclude", followID, budgetID)
	if strings.Contains(out, sports) || !strings.Contains(out, "1. "+budget) {
		t.Fatalf("after unpin and unexclude:\n%s", out)
	}
	waitPageLacks(t, followURL, sports)

	// Bad arguments are usage errors, not calls.
	p.fails(t, "editor", "usage", "related", "pin", followID)
	p.fails(t, "editor", "NotFound", "related", "pin", followID, "no-such-story")
}

// waitPageLacks polls url until its body no longer contains s.
func waitPageLacks(t *testing.T, url, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := httpGet(t, url)
		if code == http.StatusOK && !strings.Contains(body, s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d, still contains %q", url, code, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
