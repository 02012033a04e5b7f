package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestBenchDrivesThePipeline runs `newsroom bench` as a user would,
// against a real `newsroom dev`: every article must come out published
// with its related box (the bench fails otherwise), a share of them
// through the reviewer bot, and the summary must hold the step
// latencies and, read from the dev process's /metrics, the CPU spent.
func TestBenchDrivesThePipeline(t *testing.T) {
	t.Setenv("NEWSROOM_RATE_LIMIT", "off")
	dir := t.TempDir()
	p := startDev(t, dir)
	m := metricsLine.FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("newsroom dev did not print its metrics address:\n%s", p.out)
	}
	const articles, warmup = 40, 5
	tokens := filepath.Join(dir, "dev-tokens.json")
	p.fails(t, "", "--metrics http://127.0.0.1:1/metrics", "bench", "--tokens", tokens, "--nats", p.nats,
		"--articles", "1", "--metrics", "http://127.0.0.1:1/metrics")
	out := filepath.Join(dir, "bench.json")
	text := p.ok(t, "", "bench", "--tokens", tokens, "--nats", p.nats,
		"--articles", "40", "--writers", "4", "--warmup", "5", "--flagged", "0.3", "--seed", "7",
		"--metrics", m[1], "--out", out)
	defer func() {
		if t.Failed() {
			t.Logf("bench:\n%s", text)
		}
	}()
	for _, want := range []string{"articles/s sustained", "submit_to_published", "CPU an article:"} {
		if !strings.Contains(text, want) {
			t.Fatalf("bench output lacks %q:\n%s", want, text)
		}
	}

	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var sum Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Articles != articles || sum.ArticlesPerS <= 0 || sum.Seconds <= 0 {
		t.Fatalf("summary: %+v", sum)
	}
	for _, step := range []string{"create+submit_rpc", "submit_to_cleared", "publish_rpc_to_published", "published_to_related", "submit_to_published"} {
		q, ok := sum.StepsMs[step]
		if !ok || q.N != articles {
			t.Fatalf("step %s: %+v, want %d articles", step, q, articles)
		}
		if q.P50 <= 0 || q.P50 > q.P95 || q.P95 > q.P99 {
			t.Fatalf("step %s: quantiles out of order: %+v", step, q)
		}
	}
	// Flagged stories wait for the reviewer bot's decisions; the rest are
	// cleared by the scan alone.
	if q := sum.StepsMs["submit_to_flagged"]; q.N == 0 || q.N == articles {
		t.Fatalf("submit_to_flagged: %+v, want some but not all of %d articles flagged", q, articles)
	}
	c := sum.CPU
	if c == nil || len(c.Targets) != 1 || c.Targets[m[1]] <= 0 || c.System != c.Targets[m[1]] || c.Bench <= 0 || c.Cores <= 0 {
		t.Fatalf("cpu: %+v", c)
	}

	// What the bench reported, the newsroom holds: every story, warm-up
	// included, published once.
	nc, err := nats.Connect(p.nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "PUBLISHING")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter("newsroom.publishing.article.published"))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.State.Subjects["newsroom.publishing.article.published"]; got != articles+warmup {
		t.Fatalf("%d published events, want %d", got, articles+warmup)
	}
}
