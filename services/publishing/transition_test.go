package publishing

import (
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
)

func TestExtraSurvivesTheRecord(t *testing.T) {
	p := &publishingv1.Publication{ArticleId: "a", Status: ready}
	// An unknown field some newer writer added must survive our writes.
	foreign := protowire.AppendVarint(protowire.AppendTag(nil, 2000, protowire.VarintType), 7)
	p.ProtoReflect().SetUnknown(foreign)
	x := extra{cleared: article("a", 3), seenRevision: 4, withdrawnRevision: 3, withdrawnSeq: 31}
	if err := writeExtra(p, x); err != nil {
		t.Fatal(err)
	}
	x.seenRevision = 5 // rewriting replaces, not appends
	if err := writeExtra(p, x); err != nil {
		t.Fatal(err)
	}
	raw, err := proto.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	back := &publishingv1.Publication{}
	if err := proto.Unmarshal(raw, back); err != nil {
		t.Fatal(err)
	}
	got := readExtra(back)
	if !proto.Equal(got.cleared, x.cleared) || got.seenRevision != 5 || got.withdrawnRevision != 3 || got.withdrawnSeq != 31 {
		t.Fatalf("extra = %+v", got)
	}
	if pub := public(back); len(pub.ProtoReflect().GetUnknown()) != 0 || pub.GetArticleId() != "a" {
		t.Fatal("public copy keeps the reserved fields")
	}
	if err := writeExtra(back, extra{}); err != nil {
		t.Fatal(err)
	}
	if string(back.ProtoReflect().GetUnknown()) != string(foreign) {
		t.Fatal("clearing the extra state lost a foreign unknown field")
	}
}

func TestDeriveStatus(t *testing.T) {
	c := func(rev int64) *articlev1.Article { return &articlev1.Article{Revision: rev} }
	at := timestamppb.New(time.Unix(100, 0))
	for _, tc := range []struct {
		name string
		p    *publishingv1.Publication
		x    extra
		want articlev1.Status
	}{
		{"nothing", &publishingv1.Publication{}, extra{}, unspecified},
		{"cleared", &publishingv1.Publication{}, extra{cleared: c(1)}, ready},
		{"scheduled", &publishingv1.Publication{ScheduledAt: at}, extra{cleared: c(1)}, scheduled},
		{"schedule without a cleared revision", &publishingv1.Publication{ScheduledAt: at}, extra{}, unspecified},
		{"live", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1}, extra{cleared: c(1)}, published},
		{"live, superseded", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1}, extra{}, published},
		{"live, newer cleared", &publishingv1.Publication{LiveRevision: 1, PublishCount: 1}, extra{cleared: c(2)}, ready},
		{"taken down", &publishingv1.Publication{PublishCount: 1, Article: c(1)}, extra{cleared: c(1)}, unpublished},
		{"taken down, newer cleared", &publishingv1.Publication{PublishCount: 1, Article: c(1)}, extra{cleared: c(2)}, ready},
	} {
		if got := deriveStatus(tc.p, tc.x); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestCheckPublishable(t *testing.T) {
	cl := extra{cleared: &articlev1.Article{Revision: 1}}
	for _, tc := range []struct {
		st       articlev1.Status
		x        extra
		done, ok bool
	}{
		{ready, cl, false, true},
		{scheduled, cl, false, true},
		{unpublished, cl, false, true},
		{unpublished, extra{}, false, false},
		{published, extra{}, true, true},
		{unspecified, extra{}, false, false},
	} {
		done, err := checkPublishable(&publishingv1.Publication{Status: tc.st}, tc.x)
		if done != tc.done || (err == nil) != tc.ok {
			t.Errorf("%s (cleared %v): done %v err %v", tc.st, tc.x.cleared != nil, done, err)
		}
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
