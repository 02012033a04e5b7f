package rules

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// articleBytes is the size of a benchmark article.
const articleBytes = 5 * 1024

// benchArticles builds n articles of about 5 KB each from the passages of
// the evaluation set (../eval): three paragraphs in four from the clean
// passages and near misses, one from those that should raise a flag, which
// is a far higher density of sensitive copy than a real news day, so the
// figures err on the slow side. The order is seeded, so every run scans
// the same text.
func benchArticles(tb testing.TB, n int) [][]Field {
	tb.Helper()
	files, err := filepath.Glob("../eval/*.yaml")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no evaluation passages: %v", err)
	}
	var clean, flagged []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var ps []struct {
			Text   string   `yaml:"text"`
			Expect []string `yaml:"expect"`
		}
		if err := yaml.Unmarshal(raw, &ps); err != nil {
			tb.Fatal(err)
		}
		for _, p := range ps {
			if len(p.Expect) > 0 {
				flagged = append(flagged, p.Text)
			} else {
				clean = append(clean, p.Text)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([][]Field, n)
	for i := range out {
		var b strings.Builder
		for b.Len() < articleBytes {
			src := clean
			if rng.IntN(4) == 0 {
				src = flagged
			}
			b.WriteString(src[rng.IntN(len(src))])
			b.WriteString("\n\n")
		}
		body := b.String()
		out[i] = []Field{
			{Name: "headline", Base: "headline", Text: "Leaders meet as talks on the budget resume"},
			{Name: "body", Base: "body", Text: body[:articleBytes]},
		}
	}
	return out
}

// reutersArticles returns 5 KB articles of Reuters-21578 wire copy (1987),
// consecutive stories joined, if the collection is in shared/data next to
// the repository; the collection is for research use only and is never
// copied into the repository.
func reutersArticles(tb testing.TB, n int) [][]Field {
	dir := filepath.Join("..", "..", "..", "..", "shared", "data", "reuters21578")
	files, _ := filepath.Glob(filepath.Join(dir, "reut2-0*.sgm"))
	if len(files) == 0 {
		tb.Skip("Reuters-21578 not found in shared/data")
	}
	body := regexp.MustCompile(`(?s)<BODY>(.*?)</BODY>`)
	var out [][]Field
	var b strings.Builder
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range body.FindAllSubmatch(raw, -1) {
			text := strings.ReplaceAll(string(bytes.TrimSuffix(bytes.TrimSpace(m[1]), []byte("Reuter\n&#3;"))), "&lt;", "<")
			b.WriteString(text)
			b.WriteString("\n\n")
			if b.Len() >= articleBytes {
				out = append(out, []Field{{Name: "body", Base: "body", Text: b.String()[:articleBytes]}})
				b.Reset()
				if len(out) == n {
					return out
				}
			}
		}
	}
	return out
}

func totalBytes(arts [][]Field) int {
	n := 0
	for _, a := range arts {
		for _, f := range a {
			n += len(f.Text)
		}
	}
	return n
}

// threadCPU is the CPU time the calling OS thread has used; with the
// goroutine locked to its thread it measures the scan alone, whatever else
// the (shared) machine is doing.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuPerOp locks the goroutine to its thread and, when the returned
// function runs, reports the thread's CPU time per iteration, and the
// throughput that CPU time gives (cpu-MB/s): on a busy shared machine these
// move far less than wall-clock figures.
func cpuPerOp(b *testing.B) func() {
	runtime.LockOSThread()
	start := threadCPU()
	return func() {
		cpu := threadCPU() - start
		runtime.UnlockOSThread()
		if b.N > 0 && cpu > 0 {
			per := float64(cpu.Nanoseconds()) / float64(b.N)
			b.ReportMetric(per/1e3, "cpu-µs/op")
			b.ReportMetric(float64(articleBytes)/per*1e3, "cpu-MB/s")
		}
	}
}

// BenchmarkScanArticles scans 5 KB articles with every shipped pack. It
// reports throughput (MB/s, wall clock), the CPU time per article (the
// mean over the run, which includes the per-scan CPU clock reads, about
// 0.5 µs each), and the 50th and 99th percentiles of each scan's wall time
// and of its thread's CPU time.
func BenchmarkScanArticles(b *testing.B) {
	benchScan(b, benchArticles(b, 64), nil)
}

// BenchmarkScanReuters is the same over real 1987 wire copy.
func BenchmarkScanReuters(b *testing.B) {
	benchScan(b, reutersArticles(b, 64), nil)
}

// BenchmarkColdScan scans the wire copy with the CPU caches flushed (64 MB
// written, untimed) before each scan, as when the service scans an article
// now and then, or has just been scheduled back in on a busy machine: the
// automaton's 2.5 MB table comes from memory. ns/op includes the flushes;
// read the scans' own figures: cpu-µs/op (their mean CPU time) and the
// percentiles.
func BenchmarkColdScan(b *testing.B) {
	junk := make([]byte, 64<<20)
	benchScan(b, reutersArticles(b, 64), func() {
		for i := 0; i < len(junk); i += 64 {
			junk[i]++
		}
	})
}

// benchScan scans arts in turn; flush, if not nil, runs before each scan,
// outside the per-scan figures.
func benchScan(b *testing.B, arts [][]Field, flush func()) {
	s, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if flush == nil {
		b.SetBytes(int64(totalBytes(arts) / len(arts)))
	}
	// Wall time and thread CPU time of each scan: on a shared machine the
	// wall-clock p99 is mostly the scheduler's, the CPU-time p99 the scan's.
	times := make([]time.Duration, 0, 1<<16)
	cpus := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	cpu0 := threadCPU()
	last := scanClock()
	i := 0
	for b.Loop() {
		a := arts[i%len(arts)]
		i++
		if flush != nil {
			flush()
			last = scanClock()
		}
		t := time.Now()
		s.Scan(a)
		if len(times) < cap(times) {
			times = append(times, time.Since(t))
			c := scanClock()
			cpus = append(cpus, c-last)
			last = c
		}
	}
	cpu := threadCPU() - cpu0
	pct := func(d []time.Duration, p int) float64 {
		slices.Sort(d)
		return float64(d[len(d)*p/100].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(times, 50), "p50-µs")
	b.ReportMetric(pct(times, 99), "p99-µs")
	b.ReportMetric(pct(cpus, 50), "cpu-p50-µs")
	b.ReportMetric(pct(cpus, 99), "cpu-p99-µs")
	if flush != nil {
		cpu = 0
		for _, c := range cpus {
			cpu += c
		}
		i = len(cpus)
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(i)/1e3, "cpu-µs/op")
}

// BenchmarkMatchOnly isolates the phrase matcher: the Aho–Corasick
// automaton's pass over the bytes, against the word trie this package used
// before (tokenize every word, then walk a map-based trie from each
// token), and against Go's regexp with every term in one case-insensitive
// alternation.
func BenchmarkMatchOnly(b *testing.B) {
	s, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	arts := benchArticles(b, 64)
	body := func(i int) string { return arts[i%len(arts)][1].Text }
	b.Run("ahocorasick", func(b *testing.B) {
		sc := &scratch{}
		b.SetBytes(articleBytes)
		b.ReportAllocs()
		defer cpuPerOp(b)()
		for i := 0; b.Loop(); i++ {
			sc.hits, sc.marks = sc.hits[:0], sc.marks[:0]
			s.ac.scan(sc, 0, body(i))
		}
	})
	b.Run("wordtrie", func(b *testing.B) {
		trie := legacyTrie(s.terms[numURLTerms:])
		b.SetBytes(articleBytes)
		b.ReportAllocs()
		defer cpuPerOp(b)()
		for i := 0; b.Loop(); i++ {
			trie.match(body(i))
		}
	})
	b.Run("regexp", func(b *testing.B) {
		re := legacyRegexp(s.terms[numURLTerms:])
		b.SetBytes(articleBytes)
		b.ReportAllocs()
		defer cpuPerOp(b)()
		for i := 0; b.Loop(); i++ {
			re.FindAllStringIndex(body(i), -1)
		}
	})
}

// TestPrintCorpus writes the benchmark corpus's first article, for docs.
func TestBenchCorpusIsFiveKB(t *testing.T) {
	arts := benchArticles(t, 4)
	for _, a := range arts {
		if len(a[1].Text) != articleBytes {
			t.Fatalf("article is %d bytes", len(a[1].Text))
		}
	}
	if testing.Verbose() {
		sc := bufio.NewScanner(strings.NewReader(arts[0][1].Text))
		for n := 0; sc.Scan() && n < 6; n++ {
			fmt.Println(sc.Text())
		}
	}
}
