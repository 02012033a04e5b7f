package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The bench's CPU figures answer what throughput alone cannot: how much of
// the machine an article costs, in the system under test and in the bench
// itself (which, on one machine, takes its share of the same cores). The
// system's CPU is read from each process's own /metrics
// (process_cpu_seconds_total, which every Newsroom process exports), so it
// works for `newsroom dev` (one process) and for the services of a compose
// stack alike; the bench reads its own from the kernel.

// cpuMetric is the Prometheus process collector's CPU counter.
const cpuMetric = "process_cpu_seconds_total"

// cpuMeter measures CPU seconds spent between start and stop.
type cpuMeter struct {
	targets []string // /metrics URLs of the processes under test
	client  *http.Client
	begin   []float64
	self    time.Duration
}

func newCPUMeter(list string) *cpuMeter {
	m := &cpuMeter{client: &http.Client{Timeout: 10 * time.Second}}
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimSpace(u); u != "" {
			m.targets = append(m.targets, u)
		}
	}
	return m
}

// start records every target's CPU counter and the bench's own CPU time.
func (m *cpuMeter) start(ctx context.Context) error {
	m.begin = m.begin[:0]
	for _, u := range m.targets {
		v, err := m.scrape(ctx, u)
		if err != nil {
			return err
		}
		m.begin = append(m.begin, v)
	}
	m.self = selfCPU()
	return nil
}

// stop returns the CPU each target and the bench spent since start, in
// the order of the targets.
func (m *cpuMeter) stop(ctx context.Context) (targets []float64, self time.Duration, err error) {
	self = selfCPU() - m.self
	for i, u := range m.targets {
		v, err := m.scrape(ctx, u)
		if err != nil {
			return nil, 0, err
		}
		targets = append(targets, v-m.begin[i])
	}
	return targets, self, nil
}

// scrape reads process_cpu_seconds_total from the /metrics page at url.
func (m *cpuMeter) scrape(ctx context.Context, url string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("--metrics %s: %w", url, err)
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("--metrics %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("--metrics %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("--metrics %s: %w", url, err)
	}
	f := fams[cpuMetric]
	if f == nil || len(f.GetMetric()) == 0 {
		return 0, fmt.Errorf("--metrics %s: no %s (not a Newsroom process's /metrics?)", url, cpuMetric)
	}
	return f.GetMetric()[0].GetCounter().GetValue(), nil
}

// CPU is the CPU time an article cost during the timed run, in
// milliseconds: the processes under test (--metrics) and the bench.
type CPU struct {
	// System is the sum over Targets.
	System float64 `json:"system_ms_per_article"`
	Bench  float64 `json:"bench_ms_per_article"`
	// Cores is how many cores the system and the bench kept busy on
	// average: their CPU seconds over the run's seconds.
	Cores   float64            `json:"cores_busy"`
	Targets map[string]float64 `json:"targets_ms_per_article"`
}

// cpuSummary turns the seconds measured over a run into a CPU summary.
func cpuSummary(urls []string, targets []float64, self time.Duration, n int, seconds float64) *CPU {
	c := &CPU{Targets: map[string]float64{}}
	total := self.Seconds()
	for i, s := range targets {
		c.Targets[urls[i]] = 1000 * s / float64(n)
		c.System += 1000 * s / float64(n)
		total += s
	}
	c.Bench = 1000 * self.Seconds() / float64(n)
	if seconds > 0 {
		c.Cores = total / seconds
	}
	return c
}
