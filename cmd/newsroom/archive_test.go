package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/linking"
	"newsroom.dev/services/publishing"
)

// archiveEnv is publishing and linking in-process on an embedded
// JetStream, with the site on a test server: what `archive import` talks
// to and what it should change.
type archiveEnv struct {
	t       *testing.T
	nats    *testutil.NATS
	addr    string
	site    *httptest.Server
	admin   string
	pubs    publishingv1.PublishingServiceClient
	related linkingv1.LinkingServiceClient
	reader  string
	keys    *auth.Keyring
}

func startArchiveEnv(t *testing.T) *archiveEnv {
	t.Helper()
	ctx := context.Background()
	n := testutil.StartNATS(t, "")
	keys := testutil.Keys(t)
	pub, err := publishing.New(ctx, testutil.Deps(n, keys, nil), publishing.Config{BaseURL: "http://news.test"})
	if err != nil {
		t.Fatal(err)
	}
	link, err := linking.New(ctx, testutil.Deps(n, keys, nil), linking.Config{})
	if err != nil {
		t.Fatal(err)
	}
	conn := testutil.Serve(t, keys, pub, link)
	site := httptest.NewServer(pub.Handler())
	t.Cleanup(site.Close)
	return &archiveEnv{
		t: t, nats: n, addr: conn.Target(), site: site, keys: keys,
		admin:   testutil.Token(t, keys, "ada", auth.Admin),
		reader:  testutil.Token(t, keys, "pat", auth.Publisher),
		pubs:    publishingv1.NewPublishingServiceClient(conn),
		related: linkingv1.NewLinkingServiceClient(conn),
	}
}

// cli runs the newsroom command against the env as token's holder.
func (e *archiveEnv) cli(token string, argv ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(append(argv, "--addr", e.addr, "--token", token), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const archivedBudget = `---
id: arch-budget-2019
headline: City council approves the 2019 budget
desk: metro
byline: Ana Ruiz
tags: [budget, city council]
published_at: 2019-12-10T18:00:00Z
---
The city council approved the 2019 budget on Tuesday after a long debate
about bus lanes and the city council budget.
`

const archivedBudget2 = `---
headline: City council budget fight goes on
desk: metro
published_at: 2020-01-15T08:30:00Z
---
The city council budget fight goes on, with bus lanes again at its heart.
`

const archivedSports = `---
headline: Home team wins the cup
desk: sports
slug: cup-win
published_at: 2020-05-03T21:00:00Z
---
The home team won the cup final on Sunday.
`

func TestArchiveImport(t *testing.T) {
	e := startArchiveEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "2019", "budget.md"), archivedBudget)
	writeFile(t, filepath.Join(dir, "2020", "budget-again.md"), archivedBudget2)
	writeFile(t, filepath.Join(dir, "2020", "sports.md"), archivedSports)
	writeFile(t, filepath.Join(dir, "README.txt"), "not a story")
	writeFile(t, filepath.Join(dir, ".drafts", "wip.md"), "---\nheadline: x\n---\nunfinished, no desk\n")

	// An import that stopped after one story...
	code, out, errOut := e.cli(e.admin, "archive", "import", filepath.Join(dir, "2019", "budget.md"))
	if code != 0 || out != "imported 1, already imported 0, rejected 0 (1 of 1 story)\n" {
		t.Fatalf("one file: %d %q %q", code, out, errOut)
	}
	// ...resumes: what is there is skipped.
	code, out, errOut = e.cli(e.admin, "archive", "import", dir)
	if code != 0 || out != "imported 2, already imported 1, rejected 0 (3 of 3 stories)\n" {
		t.Fatalf("directory: %d %q %q", code, out, errOut)
	}
	// Importing twice adds nothing.
	code, out, _ = e.cli(e.admin, "archive", "import", dir, "--batch", "2")
	if code != 0 || out != "imported 0, already imported 3, rejected 0 (3 of 3 stories)\n" {
		t.Fatalf("again: %d %q", code, out)
	}

	// Each story once on the stream, as an import.
	ids := map[string]bool{}
	for _, m := range publishedEvents(t, e) {
		if !m.GetImported() || ids[m.GetMeta().GetArticleId()] {
			t.Fatalf("event %v", m)
		}
		ids[m.GetMeta().GetArticleId()] = true
	}
	budget2 := publishing.ImportID("metro", "City council budget fight goes on", time.Date(2020, 1, 15, 8, 30, 0, 0, time.UTC))
	if len(ids) != 3 || !ids["arch-budget-2019"] || !ids[budget2] {
		t.Fatalf("published ids %v", ids)
	}

	// Served like any other story.
	for path, want := range map[string]string{
		"/articles/arch-budget-2019/city-council-approves-the-2019-budget": `datetime="2019-12-10T18:00:00Z"`,
		"/articles/" + budget2 + "/city-council-budget-fight-goes-on":      "bus lanes again",
	} {
		resp, err := http.Get(e.site.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(b.String(), want) {
			t.Fatalf("%s: %d\n%s", path, resp.StatusCode, b.String())
		}
	}
	// Linking relates them: the later budget story shows the earlier one.
	testutil.Eventually(t, 10*time.Second, "the related box of the later budget story", func() bool {
		resp, err := e.related.GetRelated(ctx, &linkingv1.GetRelatedRequest{ArticleId: budget2}, testutil.As(e.reader))
		if err != nil {
			return false
		}
		for _, r := range resp.GetRelated() {
			if r.GetArticleId() == "arch-budget-2019" {
				return true
			}
		}
		return false
	})
}

func TestArchiveImportJSONLinesAndRefusals(t *testing.T) {
	e := startArchiveEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	good := filepath.Join(dir, "stories.jsonl")
	writeFile(t, good, `{"id":"jl-1","headline":"Bridge opens","desk":"metro","tags":["bridge"],"body":"The bridge opened.","published_at":"2018-04-01T10:00:00Z"}

{"headline":"Bridge closes again","desk":"metro","takeaways":[{"quote":"Not again","context":"A commuter"}],"published_at":"2018-04-02T10:00:00+02:00"}
`)
	code, out, errOut := e.cli(e.admin, "archive", "import", good, "--batch", "1")
	if code != 0 || out != "imported 2, already imported 0, rejected 0 (2 of 2 stories)\n" {
		t.Fatalf("jsonl: %d %q %q", code, out, errOut)
	}
	p, err := e.pubs.GetPublication(ctx, &publishingv1.GetPublicationRequest{ArticleId: "jl-1"}, testutil.As(e.reader))
	if err != nil || p.GetPublication().GetStatus().String() != "STATUS_PUBLISHED" || !p.GetPublication().GetImported() {
		t.Fatalf("jl-1: %v %v", p, err)
	}

	// One malformed story and nothing is imported; every problem is named.
	bad := filepath.Join(dir, "bad.jsonl")
	writeFile(t, bad, `{"id":"bad-ok","headline":"Fine","desk":"metro","published_at":"2018-04-01T10:00:00Z"}
{"headline":"Typo","desk":"metro","publshed_at":"2018-04-01T10:00:00Z"}
{"headline":"No time","desk":"metro"}
`)
	code, _, errOut = e.cli(e.admin, "archive", "import", bad)
	if code != 1 || !strings.Contains(errOut, "nothing imported: 2 malformed stories") ||
		!strings.Contains(errOut, "bad.jsonl:2: json: unknown field \"publshed_at\"") || !strings.Contains(errOut, "bad.jsonl:3: published_at is required") {
		t.Fatalf("malformed jsonl: %d %q", code, errOut)
	}
	if _, err := e.pubs.GetPublication(ctx, &publishingv1.GetPublicationRequest{ArticleId: "bad-ok"}, testutil.As(e.reader)); status.Code(err) != codes.NotFound {
		t.Fatalf("a story of a refused archive was imported: %v", err)
	}
	mdDir := filepath.Join(dir, "md")
	writeFile(t, filepath.Join(mdDir, "a.md"), archivedSports)
	writeFile(t, filepath.Join(mdDir, "b.md"), "---\nheadline: Undated\ndesk: metro\n---\nbody\n")
	code, _, errOut = e.cli(e.admin, "archive", "import", mdDir)
	if code != 1 || !strings.Contains(errOut, "b.md: published_at is required") {
		t.Fatalf("undated article file: %d %q", code, errOut)
	}

	// Only admins import; the server says so.
	code, _, errOut = e.cli(e.reader, "archive", "import", good)
	if code != 1 || !strings.Contains(errOut, "PermissionDenied") {
		t.Fatalf("publisher importing: %d %q", code, errOut)
	}
	if code, _, errOut = e.cli(e.admin, "archive", "import", filepath.Join(dir, "nothing.txt")); code != 1 {
		t.Fatalf("a missing path: %d %q", code, errOut)
	}
	if code, _, _ = e.cli(e.admin, "archive", "import", good, "--batch", "501"); code != 2 {
		t.Fatalf("--batch 501: exit %d, want a usage error", code)
	}
}

// publishedEvents reads every ArticlePublished event on the stream.
func publishedEvents(t *testing.T, e *archiveEnv) []*publishingv1.ArticlePublished {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := e.nats.JS.OrderedConsumer(ctx, events.StreamPublishing, jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.ArticlePublished}})
	if err != nil {
		t.Fatal(err)
	}
	var out []*publishingv1.ArticlePublished
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(time.Second))
		if err != nil {
			break
		}
		ev := &publishingv1.ArticlePublished{}
		if err := proto.Unmarshal(m.Data(), ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}
