// Command relatedbench measures the related-stories index on a synthetic
// archive (internal/synth): build rate, memory and query latency, for the
// full ranking and the plain BM25 baseline, and optionally the index it
// replaced. With -startup it also measures how long the linking service
// takes to start on an archive of that size in JetStream, with and
// without a snapshot. See docs/benchmarks.md.
//
//	go run ./services/linking/cmd/relatedbench [-n 1000000] [-queries 2000] [-simple] [-startup] [-hash] [-qhash] [-cpuprofile file]
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"newsroom.dev/services/linking/index"
	"newsroom.dev/services/linking/internal/reuters"
	"newsroom.dev/services/linking/internal/simpleindex"
	"newsroom.dev/services/linking/internal/synth"
)

func main() {
	n := flag.Int("n", 1_000_000, "stories in the synthetic archive")
	queries := flag.Int("queries", 2000, "related-stories queries timed per ranking")
	seed := flag.Uint64("seed", 1, "seed of the synthetic archive")
	simple := flag.Bool("simple", false, "also build and query the skeleton's simple index")
	startup := flag.Bool("startup", false, "also measure the service's start-up from JetStream (needs disk: about 3 KB per story)")
	startupOnly := flag.Bool("startup-only", false, "measure only the service's start-up")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the build and queries")
	maxDF := flag.Float64("maxdf", index.Full.MaxDF, "the full ranking's MaxDF")
	pool := flag.Int("pool", index.Full.Pool, "the full ranking's Pool")
	common := flag.Int("common", index.Full.CommonPostings, "the full ranking's CommonPostings")
	hash := flag.Bool("hash", false, "only build the archive one story at a time and print a hash of its snapshot (to check that a change to the build leaves the index as it was)")
	hashReuters := flag.Bool("hash-reuters", false, "with -hash: build Reuters-21578 (internal/reuters), not the synthetic archive")
	qhash := flag.Bool("qhash", false, "only build the archive one story at a time, run -queries queries of each kind and print a hash of their hits' ids and scores (to check that a change to the queries leaves their results as they were)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fatal(err)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	machine()
	fmt.Printf("command: go run ./services/linking/cmd/relatedbench %s\n\n", strings.Join(os.Args[1:], " "))

	index.Full.MaxDF, index.Full.Pool, index.Full.CommonPostings = *maxDF, *pool, *common
	if *hash && *hashReuters {
		stories, err := reuters.Load(reuters.DefaultDir())
		if err != nil {
			fatal(err)
		}
		var docs []index.Doc
		for _, s := range stories {
			if s.Body != "" {
				docs = append(docs, reuters.Doc(s))
			}
		}
		snapshotHash(docs)
		return
	}
	arch := synth.New(*n, *seed)
	if *hash {
		snapshotHash(generate(arch))
		return
	}
	if *qhash {
		queryHash(generate(arch), *queries, *seed)
		return
	}
	if *startupOnly {
		measureStartup(arch)
		return
	}
	x, sample, simpleDocs := setup(arch, *queries, *seed, *simple)
	st := x.Stats()
	heap := heapAfterGC()
	if f := os.Getenv("RELATEDBENCH_HEAPPROFILE"); f != "" {
		hf, _ := os.Create(f)
		_ = pprof.WriteHeapProfile(hf)
		hf.Close()
	}
	fmt.Printf("memory: heap %.0f MB after GC (%.0f bytes a story); index slices %.0f MB\n\n", mb(heap), float64(heap)/float64(st.Stories), mb(uint64(st.Bytes)))

	fmt.Println("Latency: wall clock, then the CPU time of the querying thread (CLOCK_THREAD_CPUTIME_ID), which a machine shared with other work disturbs far less.")
	fmt.Println()
	fmt.Println("| query (top 10) | p50 | p95 | p99 | max | cpu p50 | cpu p95 | cpu p99 |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, c := range []struct {
		name string
		run  func(d index.Doc)
	}{
		{"full ranking, at publication (earlier stories)", func(d index.Doc) { x.RelatedTo(d.ID, 10, d.PublishedAt) }},
		{"full ranking, any time", func(d index.Doc) { x.RelatedTo(d.ID, 10, time.Time{}) }},
		{"bm25-mlt baseline, at publication", func(d index.Doc) {
			x.Search(index.Query{ID: d.ID, K: 10, Before: d.PublishedAt, Ranking: &index.BM25Baseline})
		}},
		{"suggest (from the text, full ranking)", func(d index.Doc) { x.Search(index.Query{Doc: &d, K: 10}) }},
		{"forward-link candidates (Backlinks, 50)", func(d index.Doc) { x.Backlinks(d.ID, 50, nil) }},
	} {
		lat, cpu := timeQueries(sample, c.run)
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", c.name, ms(lat, 0.50), ms(lat, 0.95), ms(lat, 0.99), ms(lat, 1), ms(cpu, 0.50), ms(cpu, 0.95), ms(cpu, 0.99))
	}
	if *simple {
		x = nil
		runtime.GC()
		compareSimple(simpleDocs, sample)
	}
	if *startup {
		x = nil
		runtime.GC()
		measureStartup(arch)
	}
}

// setup generates the archive, builds the index and returns it with the
// query sample (and the stories, if the simple index is to be built too);
// everything else it allocated is garbage once it returns.
func setup(arch *synth.Archive, queries int, seed uint64, keep bool) (*index.Index, []index.Doc, []index.Doc) {
	start := time.Now()
	docs := generate(arch)
	fmt.Printf("generated %d stories in %v (%.0f words a story on average)\n", len(docs), time.Since(start).Round(time.Millisecond), avgWords(docs))
	x, rate := build(docs)
	st := x.Stats()
	fmt.Printf("index build: %d stories in %v: %.0f stories/s (%d terms, %d postings, %d entities and tags)\n", st.Stories, rate.d.Round(time.Millisecond), rate.rate, st.Terms, st.Postings, st.Features)
	r := rand.New(rand.NewPCG(seed, 99))
	var sample []index.Doc
	for range queries {
		sample = append(sample, docs[r.IntN(len(docs))])
	}
	if !keep {
		docs = nil
	}
	return x, sample, docs
}

func generate(a *synth.Archive) []index.Doc {
	docs := make([]index.Doc, a.N)
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	for k := range w {
		wg.Go(func() {
			for i := k; i < a.N; i += w {
				docs[i] = a.Story(i)
			}
		})
	}
	wg.Wait()
	return docs
}

type buildRate struct {
	d    time.Duration
	rate float64
}

// build indexes docs as the service's bulk paths do: stories prepared in
// parallel, added in order.
func build(docs []index.Doc) (*index.Index, buildRate) {
	x := index.New()
	start, cpu, sys := time.Now(), processCPU(), systemCPU()
	x.AddAll(len(docs), func(i int) index.Doc { return docs[i] }, runtime.GOMAXPROCS(0))
	d := time.Since(start)
	c, sc := processCPU()-cpu, systemCPU()-sys
	fmt.Printf("index build used %v of CPU, %v of it in the kernel (%.1f µs a story, %.0f stories per CPU-second; the build runs on %d threads, which kept %.2f cores busy)\n", c.Round(time.Millisecond), sc.Round(time.Millisecond), c.Seconds()*1e6/float64(len(docs)), float64(len(docs))/c.Seconds(), runtime.GOMAXPROCS(0), c.Seconds()/d.Seconds())
	return x, buildRate{d, float64(len(docs)) / d.Seconds()}
}

// snapshotHash builds docs with Add, one story after another (so that
// every story's signature sees the same index, unlike AddAll's parallel
// preparation), and prints the SHA-256 of its snapshot.
func snapshotHash(docs []index.Doc) {
	x := index.New()
	start, cpu := time.Now(), processCPU()
	for _, d := range docs {
		x.Add(d)
	}
	fmt.Printf("sequential build: %d stories in %v, %v of CPU\n", len(docs), time.Since(start).Round(time.Millisecond), (processCPU() - cpu).Round(time.Millisecond))
	h := sha256.New()
	if err := x.WriteSnapshot(h); err != nil {
		fatal(err)
	}
	fmt.Printf("snapshot sha256 %x\n", h.Sum(nil))
}

// systemCPU is the CPU time the process has spent in the kernel (page
// faults of fresh memory, mostly).
func systemCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Stime.Nano())
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timeQueries runs every query of the sample on one locked OS thread and
// returns their wall-clock and thread CPU times, sorted.
func timeQueries(sample []index.Doc, run func(index.Doc)) (wall, cpu []time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, d := range sample[:min(100, len(sample))] {
		run(d) // warm up
	}
	wall = make([]time.Duration, len(sample))
	cpu = make([]time.Duration, len(sample))
	for i, d := range sample {
		c := threadCPU()
		t := time.Now()
		run(d)
		wall[i] = time.Since(t)
		cpu[i] = threadCPU() - c
	}
	slices.Sort(wall)
	slices.Sort(cpu)
	return wall, cpu
}

// threadCPU is the CPU time the calling thread has used
// (CLOCK_THREAD_CPUTIME_ID, to the nanosecond; Linux).
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}

func ms(lat []time.Duration, q float64) string {
	if len(lat) == 0 {
		return "-"
	}
	i := min(len(lat)-1, int(q*float64(len(lat))))
	return fmt.Sprintf("%.2f ms", float64(lat[i].Microseconds())/1000)
}

func compareSimple(docs []index.Doc, sample []index.Doc) {
	x := simpleindex.New()
	start := time.Now()
	for _, d := range docs {
		x.Add(simpleindex.Doc{ID: d.ID, Headline: d.Headline, Dek: d.Dek, Summary: d.Summary, Body: d.Body, Tags: d.Tags, URL: d.URL, PublishedAt: d.PublishedAt})
	}
	d := time.Since(start)
	fmt.Printf("\nskeleton's simple index: build %v (%.0f stories/s)\n", d.Round(time.Millisecond), float64(len(docs))/d.Seconds())
	docs = nil
	heap := heapAfterGC()
	fmt.Printf("simple index heap %.0f MB after GC (texts included: it keeps whole stories)\n", mb(heap))
	lat, cpu := timeQueries(sample[:min(len(sample), 300)], func(d index.Doc) { x.RelatedTo(d.ID, 10, d.PublishedAt) })
	fmt.Printf("| simple index, at publication | %s | %s | %s | %s | %s | %s | %s |\n", ms(lat, 0.50), ms(lat, 0.95), ms(lat, 0.99), ms(lat, 1), ms(cpu, 0.50), ms(cpu, 0.95), ms(cpu, 0.99))
	runtime.KeepAlive(x)
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func avgWords(docs []index.Doc) float64 {
	n := 0
	for _, d := range docs[:min(len(docs), 1000)] {
		n += len(strings.Fields(d.Headline)) + len(strings.Fields(d.Dek)) + len(strings.Fields(d.Body))
	}
	return float64(n) / float64(min(len(docs), 1000))
}

func machine() {
	out, _ := exec.Command("nproc").Output()
	fmt.Printf("machine: nproc %s", out)
	if out, err := exec.Command("free", "-h").Output(); err == nil {
		fmt.Print(string(out))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				fmt.Println(strings.TrimSpace(l))
				break
			}
		}
	}
	fmt.Printf("%s, GOMAXPROCS %d\n", runtime.Version(), runtime.GOMAXPROCS(0))
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "relatedbench:", err)
	os.Exit(1)
}
