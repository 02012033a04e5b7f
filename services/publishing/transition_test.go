package publishing

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
)

// legacyRecord writes p's cleared revision and counters the way the first
// version of the service did: as unknown fields 1001–1004.
func legacyRecord(p *publishingv1.Publication, cleared *articlev1.Article, seen, wrev, wseq int64) {
	raw, err := proto.Marshal(cleared)
	if err != nil {
		panic(err)
	}
	var b []byte
	b = protowire.AppendBytes(protowire.AppendTag(b, legacyCleared, protowire.BytesType), raw)
	for _, f := range []struct {
		n protowire.Number
		v int64
	}{{legacySeenRevision, seen}, {legacyWithdrawnRevision, wrev}, {legacyWithdrawnSeq, wseq}} {
		b = protowire.AppendVarint(protowire.AppendTag(b, f.n, protowire.VarintType), uint64(f.v))
	}
	// An unknown field some newer writer added must survive.
	b = protowire.AppendVarint(protowire.AppendTag(b, 2000, protowire.VarintType), 7)
	p.ProtoReflect().SetUnknown(b)
}

func TestUpgradeMovesLegacyFields(t *testing.T) {
	p := &publishingv1.Publication{ArticleId: "a", Status: ready}
	legacyRecord(p, article("a", 3), 4, 3, 31)
	raw, err := proto.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	back := &publishingv1.Publication{}
	if err := proto.Unmarshal(raw, back); err != nil {
		t.Fatal(err)
	}
	upgrade(back)
	if !proto.Equal(back.GetCleared(), article("a", 3)) || back.GetSeenRevision() != 4 || back.GetWithdrawnRevision() != 3 || back.GetWithdrawnSeq() != 31 {
		t.Fatalf("upgraded: %v", back)
	}
	foreign := protowire.AppendVarint(protowire.AppendTag(nil, 2000, protowire.VarintType), 7)
	if string(back.ProtoReflect().GetUnknown()) != string(foreign) {
		t.Fatal("upgrade kept a legacy field or lost a foreign one")
	}
	// Real fields win over legacy ones; a record without unknown fields is
	// left alone.
	p2 := &publishingv1.Publication{SeenRevision: 9}
	legacyRecord(p2, article("a", 1), 2, 0, 0)
	upgrade(p2)
	if p2.GetSeenRevision() != 9 || p2.GetCleared().GetRevision() != 1 {
		t.Fatalf("real field overwritten: %v", p2)
	}
	p3 := &publishingv1.Publication{ArticleId: "x"}
	upgrade(p3)
	if !proto.Equal(p3, &publishingv1.Publication{ArticleId: "x"}) {
		t.Fatal("upgrade changed a current record")
	}
}

func TestDeriveStatus(t *testing.T) {
	c := func(rev int64) *articlev1.Article { return &articlev1.Article{Revision: rev} }
	at := timestamppb.New(time.Unix(100, 0))
	for _, tc := range []struct {
		name string
		p    *publishingv1.Publication
		want articlev1.Status
	}{
		{"nothing", &publishingv1.Publication{}, unspecified},
		{"cleared", &publishingv1.Publication{Cleared: c(1)}, ready},
		{"scheduled", &publishingv1.Publication{ScheduledAt: at, Cleared: c(1)}, scheduled},
		{"schedule without a cleared revision", &publishingv1.Publication{ScheduledAt: at}, unspecified},
		{"live", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1, Cleared: c(1)}, published},
		{"live, superseded", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1}, published},
		{"live, newer cleared", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1, Cleared: c(2)}, ready},
		{"live, newer scheduled", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1, Cleared: c(2), ScheduledAt: at}, scheduled},
		{"taken down", &publishingv1.Publication{PublishCount: 1, Article: c(1), Cleared: c(1)}, unpublished},
		{"taken down, newer cleared", &publishingv1.Publication{PublishCount: 1, Article: c(1), Cleared: c(2)}, ready},
	} {
		if got := deriveStatus(tc.p); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestPlanPublish(t *testing.T) {
	now := t0
	c := func(rev int64) *articlev1.Article { return &articlev1.Article{Revision: rev} }
	ptr := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	corr := []*articlev1.Correction{{Sequence: 1, Text: "x"}}
	for _, tc := range []struct {
		name        string
		p           *publishingv1.Publication
		at, embargo *time.Time
		want        publishPlan
		err         error
	}{
		{"ready, now", &publishingv1.Publication{Cleared: c(1)}, nil, nil, publishPlan{}, nil},
		{"ready, at", &publishingv1.Publication{Cleared: c(1)}, ptr(time.Hour), nil, publishPlan{at: now.Add(time.Hour)}, nil},
		{"ready, at in the past is now", &publishingv1.Publication{Cleared: c(1)}, ptr(-time.Hour), nil, publishPlan{}, nil},
		{"nothing cleared", &publishingv1.Publication{}, nil, nil, publishPlan{}, errNotPublishable},
		{"nothing cleared, at", &publishingv1.Publication{}, ptr(time.Hour), nil, publishPlan{}, errNotPublishable},
		{"taken down, cleared", &publishingv1.Publication{PublishCount: 1, Article: c(1), Cleared: c(1)}, nil, nil, publishPlan{}, nil},
		{"live, nothing new", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1, Cleared: c(1)}, nil, nil, publishPlan{done: true}, nil},
		{"live, superseded", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1}, ptr(time.Hour), nil, publishPlan{done: true}, nil},
		{"live, newer cleared, at", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1, Cleared: c(2)}, ptr(time.Hour), nil, publishPlan{at: now.Add(time.Hour)}, nil},
		{"live, corrections", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1, Cleared: c(1), PendingCorrections: corr}, nil, nil, publishPlan{}, nil},
		{"live, corrections, superseded", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1, Article: c(1), PendingCorrections: corr}, nil, nil, publishPlan{}, nil},
		{"live, corrections, at", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1, Cleared: c(1), PendingCorrections: corr}, ptr(time.Hour), nil, publishPlan{}, errCorrectionsNow},
		{"embargo: now waits for it", &publishingv1.Publication{Cleared: c(1)}, nil, ptr(2 * time.Hour), publishPlan{at: now.Add(2 * time.Hour)}, nil},
		{"embargo: later at stands", &publishingv1.Publication{Cleared: c(1)}, ptr(3 * time.Hour), ptr(2 * time.Hour), publishPlan{at: now.Add(3 * time.Hour)}, nil},
		{"embargo: at the embargo", &publishingv1.Publication{Cleared: c(1)}, ptr(2 * time.Hour), ptr(2 * time.Hour), publishPlan{at: now.Add(2 * time.Hour)}, nil},
		{"embargo: earlier at refused", &publishingv1.Publication{Cleared: c(1)}, ptr(time.Hour), ptr(2 * time.Hour), publishPlan{}, beforeEmbargo{now.Add(2 * time.Hour)}},
		{"embargo passed", &publishingv1.Publication{Cleared: c(1)}, nil, ptr(-time.Hour), publishPlan{}, nil},
		{"recorded embargo holds", &publishingv1.Publication{Cleared: c(1), EmbargoUntil: timestamppb.New(now.Add(time.Hour))}, nil, nil, publishPlan{at: now.Add(time.Hour)}, nil},
		{"recorded embargo refuses earlier at", &publishingv1.Publication{Cleared: c(1), EmbargoUntil: timestamppb.New(now.Add(time.Hour))}, ptr(time.Minute), nil, publishPlan{}, beforeEmbargo{now.Add(time.Hour)}},
		{"recorded embargo replaced", &publishingv1.Publication{Cleared: c(1), EmbargoUntil: timestamppb.New(now.Add(time.Hour))}, nil, ptr(-time.Second), publishPlan{}, nil},
		{"embargo on a live story", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1, Cleared: c(2)}, nil, ptr(time.Hour), publishPlan{}, errEmbargoLive},
		{"embargo, taken down", &publishingv1.Publication{PublishCount: 1, Article: c(1), Cleared: c(1)}, nil, ptr(time.Hour), publishPlan{at: now.Add(time.Hour)}, nil},
	} {
		got, err := planPublish(tc.p, tc.at, tc.embargo, now)
		if got != tc.want || !errors.Is(err, tc.err) && err != tc.err {
			t.Errorf("%s: got %+v, %v; want %+v, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestCorrectionsAreNumberedAcrossRepublications(t *testing.T) {
	p := &publishingv1.Publication{Cleared: article("c", 1)}
	if _, _, err := correct(p, "too early", t0); !errors.Is(err, errNeverPublished) {
		t.Fatalf("correcting an unpublished story: %v", err)
	}
	publishNow(p, toPublish(p), t0, "u")
	c1, changed, err := correct(p, "First fix.", t0.Add(time.Minute))
	if err != nil || !changed || c1.GetSequence() != 1 {
		t.Fatalf("first correction: %v %v %v", c1, changed, err)
	}
	if again, changed, _ := correct(p, "First fix.", t0.Add(2*time.Minute)); changed || again.GetSequence() != 1 {
		t.Fatal("a retried correction was recorded twice")
	}
	c2, _, _ := correct(p, "Second fix.", t0.Add(3*time.Minute))
	if c2.GetSequence() != 2 || deriveStatus(p) != published {
		t.Fatalf("second correction: %v (status %s)", c2, deriveStatus(p))
	}
	// Both go out with the republication of the live revision, timed then.
	live := publishNow(p, toPublish(p), t0.Add(time.Hour), "u")
	if len(live.GetCorrections()) != 2 || len(p.GetPendingCorrections()) != 0 || !live.GetCorrections()[1].GetTime().AsTime().Equal(t0.Add(time.Hour)) {
		t.Fatalf("live corrections: %v", live.GetCorrections())
	}
	// A new revision keeps them and numbers the next one 3.
	p.Cleared = article("c", 2)
	c3, _, _ := correct(p, "Third fix.", t0.Add(2*time.Hour))
	live = publishNow(p, toPublish(p), t0.Add(3*time.Hour), "u")
	if c3.GetSequence() != 3 || live.GetRevision() != 2 || len(live.GetCorrections()) != 3 || live.GetCorrections()[2].GetText() != "Third fix." {
		t.Fatalf("after revision 2: %v", live.GetCorrections())
	}
	// Taken down and put back up: they stay.
	if _, err := unpublish(p, "legal", t0.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	live = publishNow(p, toPublish(p), t0.Add(5*time.Hour), "u")
	if len(live.GetCorrections()) != 3 {
		t.Fatalf("after republication: %v", live.GetCorrections())
	}
}

func TestSplitBody(t *testing.T) {
	for _, tc := range []struct{ body, report, sections string }{
		{"Just a report.\n", "Just a report.\n", ""},
		{"Report.\n\n## Analysis\n\nWhy.\n", "Report.\n\n", "## Analysis\n\nWhy.\n"},
		{"## Analysis\nonly\n", "", "## Analysis\nonly\n"},
		{"Report\r\n## Context\r\nmore", "Report\n", "## Context\nmore"},
		{"### Not a section\ntext", "### Not a section\ntext", ""},
		{"Has ## inline\n", "Has ## inline\n", ""},
	} {
		r, s := splitBody(tc.body)
		if r != tc.report || s != tc.sections {
			t.Errorf("splitBody(%q) = %q, %q", tc.body, r, s)
		}
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{"01hzx3k9q2abcdef": true, "a-b_c=d": true, "": false, "a.b": false, "a/b": false, "a b": false, "é": false} {
		if validID(id) != want {
			t.Errorf("validID(%q) != %v", id, want)
		}
	}
}
