package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// TestPublishingVerbs drives publish --embargo, unschedule, correct and
// publication against publishing in-process; review's clear is sent as
// review would send it.
func TestPublishingVerbs(t *testing.T) {
	e := startArchiveEnv(t)
	ctx := context.Background()
	if _, err := natsx.EnsureStream(ctx, e.nats.JS, events.StreamReview, events.StreamSubjects("review"), 1); err != nil {
		t.Fatal(err)
	}
	a := &articlev1.Article{Id: "verb1", Headline: "Verbs", Desk: "metro", Slug: "verbs", Revision: 1, StateSeq: 3, Body: "Text."}
	meta := &articlev1.EventMeta{Id: "verb1/1/cleared/3", ArticleId: "verb1", Revision: 1, Time: timestamppb.Now()}
	if err := natsx.Publish(ctx, e.nats.JS, natsx.Event{Subject: events.ArticleCleared, ID: meta.Id, Msg: &reviewv1.ArticleCleared{Meta: meta, Article: a}}); err != nil {
		t.Fatal(err)
	}
	keys := e.keys
	publisher := testutil.Token(t, keys, "pat", auth.Publisher)
	editor := testutil.Token(t, keys, "ed", auth.Editor)
	testutil.Eventually(t, 10*time.Second, "the clear to arrive", func() bool {
		code, out, _ := e.cli(publisher, "publication", "verb1")
		return code == 0 && strings.Contains(out, "status:    READY")
	})

	embargo := time.Now().Add(time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	code, out, errOut := e.cli(publisher, "publish", "verb1", "--embargo", embargo)
	if code != 0 || !strings.Contains(out, "status:    SCHEDULED") || !strings.Contains(out, "embargo:") {
		t.Fatalf("publish --embargo: %d %q %q", code, out, errOut)
	}
	early := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	if code, _, errOut = e.cli(publisher, "publish", "verb1", "--at", early); code != 1 || !strings.Contains(errOut, "FailedPrecondition") || !strings.Contains(errOut, "embargoed until") {
		t.Fatalf("publish --at before the embargo: %d %q", code, errOut)
	}
	if code, _, _ = e.cli(publisher, "publish", "verb1", "--embargo", "tomorrow"); code != 2 {
		t.Fatalf("a bad --embargo: exit %d, want 2", code)
	}
	if code, out, errOut = e.cli(publisher, "unschedule", "verb1"); code != 0 || !strings.Contains(out, "status:    READY") {
		t.Fatalf("unschedule: %d %q %q", code, out, errOut)
	}
	// Lift the embargo: a time that has passed publishes now.
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	if code, out, errOut = e.cli(publisher, "publish", "verb1", "--embargo", past); code != 0 || !strings.Contains(out, "status:    PUBLISHED") {
		t.Fatalf("publish with a past embargo: %d %q %q", code, out, errOut)
	}

	if code, _, errOut = e.cli(publisher, "correct", "verb1", "--text", "x"); code != 1 || !strings.Contains(errOut, "PermissionDenied") {
		t.Fatalf("a publisher correcting: %d %q", code, errOut)
	}
	if code, _, _ = e.cli(editor, "correct", "verb1"); code != 2 {
		t.Fatalf("correct without --text: exit %d, want 2", code)
	}
	code, out, errOut = e.cli(editor, "correct", "verb1", "--text", "An earlier version got the date wrong.")
	if code != 0 || !strings.HasPrefix(out, "correction 1 recorded") || !strings.Contains(out, "pending:   1. An earlier version got the date wrong.") {
		t.Fatalf("correct: %d %q %q", code, out, errOut)
	}
	if code, out, errOut = e.cli(publisher, "publish", "verb1"); code != 0 || !strings.Contains(out, "corrected: 1. An earlier version got the date wrong.") || strings.Contains(out, "pending:") {
		t.Fatalf("publishing the correction: %d %q %q", code, out, errOut)
	}
}
