package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"newsroom.dev/platform/testutil"
	"newsroom.dev/platform/tracing"
)

var metricsLine = regexp.MustCompile(`metrics:\s+(\S+)`)

// metricSum adds up every sample of metric (any labels) in a Prometheus
// text scrape.
func metricSum(scrape, metric string) float64 {
	var sum float64
	for _, ln := range strings.Split(scrape, "\n") {
		if !strings.HasPrefix(ln, metric+"{") && !strings.HasPrefix(ln, metric+" ") {
			continue
		}
		f := strings.Fields(ln)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// TestMetricsMove runs a real flow through `newsroom dev` (real gRPC,
// embedded JetStream) and checks that its /metrics moved: RPCs, events
// published and consumed, the publish latency and linking's box
// refreshes; and that `newsroom trace` names the article's trace id.
func TestMetricsMove(t *testing.T) {
	t.Setenv("NEWSROOM_METRICS_ADDR", "127.0.0.1:0")
	p := startDev(t, t.TempDir())
	m := metricsLine.FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("newsroom dev did not print its metrics address:\n%s", p.out)
	}
	url := m[1]

	id, _ := p.publishClean(t, "testdata/budget.md")
	p.publishClean(t, "testdata/budget2.md")

	var scrape, missing string
	defer func() {
		if t.Failed() {
			t.Logf("missing %s in:\n%s", missing, scrape)
		}
	}()
	want := []string{
		`newsroom_rpc_total{code="OK",method="/newsroom.drafting.v1.DraftingService/CreateArticle"}`,
		"newsroom_rpc_duration_seconds_count",
		`newsroom_events_published_total{subject="newsroom.publishing.article.published"}`,
		`newsroom_events_consumed_total{consumer="linking-publishing",outcome="ack",subject="newsroom.publishing.article.published"}`,
		"newsroom_event_handle_seconds_count",
		"newsroom_publish_latency_seconds_count",
		`newsroom_linking_box_refreshes_total{kind="own"}`,
	}
	testutil.Eventually(t, 30*time.Second, "metrics to move", func() bool {
		code, body := httpGet(t, url)
		if code != 200 {
			return false
		}
		scrape = body
		for _, w := range want {
			if metricSum(scrape, w) <= 0 && !exactPositive(scrape, w) {
				missing = w
				return false
			}
		}
		return true
	})

	tr := p.ok(t, "editor", "trace", id, "--nats", p.nats)
	if !strings.Contains(tr, "trace id: "+tracing.ArticleTraceID(id).String()) {
		t.Fatalf("trace does not print the article's trace id:\n%s", tr)
	}
}

// exactPositive reports whether the sample named exactly series (name and
// labels, as the registry writes them) is above zero.
func exactPositive(scrape, series string) bool {
	for _, ln := range strings.Split(scrape, "\n") {
		if rest, ok := strings.CutPrefix(ln, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return err == nil && v > 0
		}
	}
	return false
}
