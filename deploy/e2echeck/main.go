// Command e2echeck is the checking half of scripts/compose-e2e. It talks to
// the compose stack's NATS cluster on 127.0.0.1 (as the ops user, or as a
// service user to test its permissions) and to the public site.
//
//	e2echeck perms                      the linking user cannot publish or
//	                                    subscribe as publishing, nor touch
//	                                    publishing's bucket or stream
//	e2echeck verify -ids FILE           every article of FILE has exactly one
//	                                    submitted, cleared and published event,
//	                                    its page answers 200 and, unless it was
//	                                    the first of its topic cluster, its
//	                                    related box links an earlier story of
//	                                    the cluster
//	e2echeck streams [-wait 90s]        every stream has a leader and all its
//	                                    replicas are current (waits for it)
//	e2echeck consumers -consumer STREAM/DURABLE ...
//	                                    the durables' state: pending, waiting
//	                                    pull requests (one or more per
//	                                    replica), unacked
//	e2echeck share -for 60s -consumer STREAM/DURABLE ...
//	                                    which replicas handled the durable's
//	                                    events (told apart by their acks'
//	                                    reply inboxes), and whether any event
//	                                    was handled by two
//	e2echeck tls -grpc ADDR,...         NATS and every gRPC address refuse
//	                                    plaintext and clients without the
//	                                    stack's CA, and answer with it
//
// FILE has one article per line: id, cluster and public URL, tab-separated.
// Common flags: -nats URL (default tls://127.0.0.1:4222), -secrets DIR
// (default deploy/secrets, for the passwords and tls/ca.pem, the CA every
// connection verifies the stack with).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/events"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: e2echeck perms|verify|streams|consumers|share|tls [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	url := fs.String("nats", "tls://127.0.0.1:4222", "NATS URL")
	secrets := fs.String("secrets", "deploy/secrets", "directory of the generated secrets")
	ids := fs.String("ids", "", "verify: file of id<TAB>cluster<TAB>url lines")
	wait := fs.Duration("wait", 90*time.Second, "verify: how long pages may take to show their related box; streams: how long to wait for them")
	dur := fs.Duration("for", 60*time.Second, "share: how long to watch (or until SIGTERM)")
	var consumers multi
	fs.Var(&consumers, "consumer", "share: STREAM/DURABLE to watch (repeatable)")
	grpcAddrs := fs.String("grpc", "", "tls: gRPC addresses to check, comma-separated")
	_ = fs.Parse(os.Args[2:])
	c := &checker{url: *url, secrets: *secrets, ca: filepath.Join(*secrets, "tls", "ca.pem")}
	var err error
	switch os.Args[1] {
	case "perms":
		err = c.perms()
	case "verify":
		err = c.verify(*ids, *wait)
	case "share":
		err = c.share(*dur, consumers)
	case "consumers":
		err = c.consumers(consumers)
	case "streams":
		err = c.streams(*wait)
	case "tls":
		err = c.tls(strings.Split(*grpcAddrs, ","))
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2echeck:", err)
		os.Exit(1)
	}
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

type checker struct {
	url, secrets string
	ca           string // the stack's CA certificate
}

func (c *checker) connect(user string, opts ...nats.Option) (*nats.Conn, error) {
	pw, err := os.ReadFile(filepath.Join(c.secrets, "nats_"+user+"_password"))
	if err != nil {
		return nil, err
	}
	opts = append([]nats.Option{
		nats.Name("e2echeck-" + user),
		nats.UserInfo(user, strings.TrimSpace(string(pw))),
		nats.RootCAs(c.ca),
		nats.Timeout(10 * time.Second),
		nats.MaxReconnects(-1),
	}, opts...)
	var nc *nats.Conn
	for attempt := 0; ; attempt++ {
		nc, err = nats.Connect(c.url, opts...)
		if err == nil || attempt == 20 {
			return nc, err
		}
		time.Sleep(time.Second)
	}
}

// perms checks, as the linking user, that what belongs to publishing is
// refused with a permissions violation, and that linking's own stream is
// reachable (so the refusals are not a broken connection).
func (c *checker) perms() error {
	var mu sync.Mutex
	var violations []string
	nc, err := c.connect("linking", nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		mu.Lock()
		violations = append(violations, err.Error())
		mu.Unlock()
	}))
	if err != nil {
		return err
	}
	defer nc.Close()
	refused := func(what string) (bool, string) {
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			for _, v := range violations {
				if strings.Contains(strings.ToLower(v), "permissions violation") && strings.Contains(v, what) {
					mu.Unlock()
					return true, v
				}
			}
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
		return false, ""
	}
	failed := 0
	report := func(ok bool, what, detail string) {
		if ok {
			fmt.Printf("perms: ok   %s (%s)\n", what, detail)
		} else {
			failed++
			fmt.Printf("perms: FAIL %s\n", what)
		}
	}

	// Positive control: linking may ask about its own stream.
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = js.Stream(ctx, events.StreamLinking)
	report(err == nil, "linking reads its own stream LINKING", fmt.Sprint("err=", err))

	for _, subj := range []string{
		events.ArticlePublished,                              // publishing's event
		"$KV.publishing-publications.forged",                 // publishing's bucket
		"$JS.API.STREAM.DELETE.PUBLISHING",                   // publishing's stream
		"$JS.API.STREAM.PURGE.PUBLISHING",                    //
		"newsroom.review.article.cleared",                    // review's event
		"newsroom.outbox.publishing-publications",            // publishing's outbox
		"$KV.newsroom-outbox.publishing-publications.forged", // publishing's outbox watermark
	} {
		if err := nc.Publish(subj, []byte("forged by e2echeck")); err != nil {
			report(false, "publish "+subj, err.Error())
			continue
		}
		_ = nc.Flush()
		ok, v := refused(subj)
		report(ok, "linking refused publish "+subj, v)
	}
	// A JetStream publish must get no ack either.
	pctx, pcancel := context.WithTimeout(ctx, 3*time.Second)
	defer pcancel()
	_, err = js.Publish(pctx, events.ArticlePublished, []byte("forged by e2echeck"), jetstream.WithExpectStream(events.StreamPublishing))
	report(err != nil, "linking gets no JetStream ack on "+events.ArticlePublished, fmt.Sprint("err=", err))

	if _, err := nc.Subscribe("newsroom.publishing.>", func(*nats.Msg) {}); err == nil {
		_ = nc.Flush()
		ok, v := refused("newsroom.publishing.>")
		report(ok, "linking refused subscribe newsroom.publishing.>", v)
	} else {
		report(true, "linking refused subscribe newsroom.publishing.>", err.Error())
	}
	if failed > 0 {
		return fmt.Errorf("%d permission checks failed", failed)
	}
	return nil
}

type article struct {
	id, cluster, url string
}

// verify checks events, pages and related boxes of every article in file.
func (c *checker) verify(file string, wait time.Duration) error {
	arts, err := readIDs(file)
	if err != nil {
		return err
	}
	nc, err := c.connect("ops")
	if err != nil {
		return err
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)

	type counted struct {
		subject string
		newMsg  func() metaMsg
	}
	kinds := []counted{
		{events.ArticleSubmitted, func() metaMsg { return &draftingv1.ArticleSubmitted{} }},
		{events.ArticleCleared, func() metaMsg { return &reviewv1.ArticleCleared{} }},
		{events.ArticlePublished, func() metaMsg { return &publishingv1.ArticlePublished{} }},
	}
	counts := map[string]map[string]int{} // subject → article → events
	publishedAt := map[string]uint64{}    // article → stream sequence of its first published event
	for _, k := range kinds {
		n, err := countEvents(js, k.subject, k.newMsg, func(id string, seq uint64) {
			if k.subject == events.ArticlePublished {
				if _, ok := publishedAt[id]; !ok {
					publishedAt[id] = seq
				}
			}
		})
		if err != nil {
			return err
		}
		counts[k.subject] = n
	}
	var dup, missing, lost []string
	for _, a := range arts {
		switch n := counts[events.ArticlePublished][a.id]; {
		case n == 0:
			missing = append(missing, a.id)
		case n > 1:
			dup = append(dup, fmt.Sprintf("%s×%d", a.id, n))
		}
		for _, k := range kinds[:2] {
			if n := counts[k.subject][a.id]; n != 1 {
				lost = append(lost, fmt.Sprintf("%s: %d %s", a.id, n, k.subject))
			}
		}
	}

	// Which articles must show a related story: all but the first
	// published of each cluster.
	first := map[string]string{}
	for _, a := range arts {
		f, ok := first[a.cluster]
		if seq, has := publishedAt[a.id]; has && (!ok || seq < publishedAt[f]) {
			first[a.cluster] = a.id
		}
	}
	byCluster := map[string][]string{}
	for _, a := range arts {
		byCluster[a.cluster] = append(byCluster[a.cluster], a.id)
	}

	var (
		mu                   sync.Mutex
		badPages, noRelated  []string
		related, wantRelated int
	)
	deadline := time.Now().Add(wait)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, a := range arts {
		expect := first[a.cluster] != a.id
		if expect {
			wantRelated++
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			code, hasRelated := checkPage(a, byCluster[a.cluster], expect, deadline)
			mu.Lock()
			defer mu.Unlock()
			if code != http.StatusOK {
				badPages = append(badPages, fmt.Sprintf("%s: %d", a.id, code))
			}
			if hasRelated {
				related++
			} else if expect {
				noRelated = append(noRelated, a.id)
			}
		})
	}
	wg.Wait()

	published := len(arts) - len(missing) - len(dup)
	fmt.Printf("verify: %d articles, %d published exactly once, %d duplicates, %d missing, %d lost submitted/cleared events, %d missing pages, %d related boxes (%d expected)\n",
		len(arts), published, len(dup), len(missing), len(lost), len(badPages), related, wantRelated)
	// The same, for scripts.
	fmt.Printf("counts articles=%d once=%d duplicates=%d missing=%d lost=%d badpages=%d related=%d expected=%d\n",
		len(arts), published, len(dup), len(missing), len(lost), len(badPages), related, wantRelated)
	var problems []string
	for name, list := range map[string][]string{"duplicate published": dup, "never published": missing, "submitted/cleared not exactly once": lost, "bad page": badPages, "no related box": noRelated} {
		if len(list) > 0 {
			sort.Strings(list)
			problems = append(problems, fmt.Sprintf("%s (%d): %s", name, len(list), strings.Join(first10(list), ", ")))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func first10(l []string) []string {
	if len(l) > 10 {
		return append(slices.Clone(l[:10]), "…")
	}
	return l
}

type metaMsg interface {
	proto.Message
	GetMeta() *articlev1.EventMeta
}

// countEvents reads every event on subject and counts them per article.
// Right after a restart a stream may answer its info before it delivers,
// so a read that stalls is started over, for up to two minutes.
func countEvents(js jetstream.JetStream, subject string, newMsg func() metaMsg, seen func(id string, seq uint64)) (map[string]int, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		counts, err := countOnce(js, subject, newMsg, seen)
		if err == nil || time.Now().After(deadline) {
			return counts, err
		}
		fmt.Fprintf(os.Stderr, "e2echeck: %v; reading again\n", err)
		time.Sleep(2 * time.Second)
	}
}

func countOnce(js jetstream.JetStream, subject string, newMsg func() metaMsg, seen func(id string, seq uint64)) (map[string]int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	name, err := js.StreamNameBySubject(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("stream of %s: %w", subject, err)
	}
	s, err := js.Stream(ctx, name)
	if err != nil {
		return nil, err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return nil, err
	}
	total := info.State.Subjects[subject]
	counts := map[string]int{}
	if total == 0 {
		return counts, nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return nil, err
	}
	type hit struct {
		id  string
		seq uint64
	}
	var hits []hit
	for got := uint64(0); got < total; {
		batch, err := cons.Fetch(int(min(total-got, 500)), jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			return nil, err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, _ := m.Metadata()
			ev := newMsg()
			if err := proto.Unmarshal(m.Data(), ev); err != nil {
				return nil, fmt.Errorf("%s: undecodable event: %w", subject, err)
			}
			h := hit{id: ev.GetMeta().GetArticleId()}
			if md != nil {
				h.seq = md.Sequence.Stream
			}
			hits = append(hits, h)
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: read %d of %d events", subject, got, total)
		}
		got += uint64(n)
	}
	for _, h := range hits {
		counts[h.id]++
		seen(h.id, h.seq)
	}
	return counts, nil
}

// checkPage fetches a's page until it answers 200 and, if expect, its
// related box links another story of the cluster, or until deadline.
func checkPage(a article, cluster []string, expect bool, deadline time.Time) (code int, hasRelated bool) {
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		code, body := get(client, a.url)
		if code == http.StatusOK {
			hasRelated = relatedInCluster(body, a.id, cluster)
			if hasRelated || !expect {
				return code, hasRelated
			}
		}
		if time.Now().After(deadline) {
			return code, hasRelated
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func get(client *http.Client, url string) (int, string) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, string(b)
}

// relatedInCluster reports whether the page's related box links a story of
// the same cluster other than the page's own.
func relatedInCluster(body, self string, cluster []string) bool {
	i := strings.Index(body, `class="related"`)
	if i < 0 {
		return false
	}
	box := body[i:]
	if j := strings.Index(box, "</aside>"); j >= 0 {
		box = box[:j]
	}
	for _, id := range cluster {
		if id != self && strings.Contains(box, "/"+id+"/") {
			return true
		}
	}
	return false
}

func readIDs(file string) ([]article, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var arts []article
	seen := map[string]bool{}
	for n, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 || f[0] == "" {
			return nil, fmt.Errorf("%s:%d: want id<TAB>cluster<TAB>url", file, n+1)
		}
		if seen[f[0]] {
			continue
		}
		seen[f[0]] = true
		arts = append(arts, article{id: f[0], cluster: f[1], url: f[2]})
	}
	return arts, nil
}

// share watches, as ops, the acks of each durable. Consumers ack with a
// reply subject that names their Consume, _INBOX.<id>.ack (natsx.acker:
// one id per process and durable), so the acks tell which replica handled which
// event: a durable whose acks come from two prefixes shared its work. An
// event acked from more than one replica was handled twice.
func (c *checker) share(d time.Duration, consumers []string) error {
	nc, err := c.connect("ops")
	if err != nil {
		return err
	}
	defer nc.Close()
	type stats struct {
		replicas map[string]int
		seqs     map[string]map[string]bool // stream sequence → replicas that acked it
	}
	want := map[string]*stats{}
	var mu sync.Mutex
	for _, sc := range consumers {
		stream, durable, ok := strings.Cut(sc, "/")
		if !ok {
			return fmt.Errorf("-consumer %q: want STREAM/DURABLE", sc)
		}
		st := &stats{replicas: map[string]int{}, seqs: map[string]map[string]bool{}}
		want[sc] = st
		// $JS.ACK.<stream>.<durable>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending>
		_, err := nc.Subscribe("$JS.ACK."+stream+"."+durable+".>", func(m *nats.Msg) {
			t := strings.Split(m.Subject, ".")
			if len(t) < 9 || m.Reply == "" {
				return
			}
			if len(m.Data) > 0 && string(m.Data) != "+ACK" {
				return // a nak, term or progress, not a handled event
			}
			r := inboxOwner(m.Reply)
			mu.Lock()
			defer mu.Unlock()
			st.replicas[r]++
			if st.seqs[t[5]] == nil {
				st.seqs[t[5]] = map[string]bool{}
			}
			st.seqs[t[5]][r] = true
		})
		if err != nil {
			return err
		}
	}
	_ = nc.Flush()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
	mu.Lock()
	defer mu.Unlock()
	shared, twice := true, 0
	for _, sc := range consumers {
		s := want[sc]
		var counts []int
		total := 0
		for _, n := range s.replicas {
			counts = append(counts, n)
			total += n
		}
		sort.Sort(sort.Reverse(sort.IntSlice(counts)))
		var parts []string
		for _, n := range counts {
			parts = append(parts, fmt.Sprint(n))
		}
		n2 := 0
		for _, rs := range s.seqs {
			if len(rs) > 1 {
				n2++
			}
		}
		twice += n2
		fmt.Printf("share: %s: %d events acked by %d replicas (%s), %d by more than one\n", sc, total, len(s.replicas), strings.Join(parts, "+"), n2)
		if len(s.replicas) < 2 {
			shared = false
		}
	}
	if !shared {
		return errors.New("work was not shared: some durable's events were all handled by one replica")
	}
	if twice > 0 {
		return fmt.Errorf("%d events were handled by more than one replica", twice)
	}
	return nil
}

// inboxOwner is the part of a reply inbox that names the connection:
// "_INBOX.<id>" of "_INBOX.<id>.<token>".
func inboxOwner(subject string) string {
	t := strings.SplitN(subject, ".", 3)
	if len(t) < 2 {
		return subject
	}
	return t[0] + "." + t[1]
}

// consumers prints the state of each durable.
func (c *checker) consumers(consumers []string) error {
	nc, err := c.connect("ops")
	if err != nil {
		return err
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, sc := range consumers {
		stream, durable, ok := strings.Cut(sc, "/")
		if !ok {
			return fmt.Errorf("-consumer %q: want STREAM/DURABLE", sc)
		}
		cons, err := js.Consumer(ctx, stream, durable)
		if err != nil {
			return fmt.Errorf("%s: %w", sc, err)
		}
		i, err := cons.Info(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", sc, err)
		}
		leader := ""
		if i.Cluster != nil {
			leader = i.Cluster.Leader
		}
		fmt.Printf("consumer: %s: delivered %d, ack pending %d, redelivered %d, pending %d, waiting pull requests %d, leader %s\n",
			sc, i.Delivered.Stream, i.NumAckPending, i.NumRedelivered, i.NumPending, i.NumWaiting, leader)
	}
	return nil
}

// streams waits until every stream has a leader and every replica is
// current, then prints one line about them.
func (c *checker) streams(wait time.Duration) error {
	nc, err := c.connect("ops")
	if err != nil {
		return err
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	deadline := time.Now().Add(wait)
	for {
		n, replicas, problems := c.streamState(js)
		if len(problems) == 0 {
			fmt.Printf("streams: %d streams, %d replicas, every stream led and every replica current\n", n, replicas)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("streams not settled after %s: %s", wait, strings.Join(first10(problems), "; "))
		}
		time.Sleep(2 * time.Second)
	}
}

func (c *checker) streamState(js jetstream.JetStream) (n, replicas int, problems []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l := js.ListStreams(ctx)
	for info := range l.Info() {
		n++
		cl := info.Cluster
		switch {
		case cl == nil:
			problems = append(problems, info.Config.Name+": no cluster info")
		case cl.Leader == "":
			problems = append(problems, info.Config.Name+": no leader")
		default:
			replicas += 1 + len(cl.Replicas)
			for _, r := range cl.Replicas {
				if !r.Current || r.Offline {
					problems = append(problems, fmt.Sprintf("%s: replica %s not current (lag %d)", info.Config.Name, r.Name, r.Lag))
				}
			}
		}
	}
	if err := l.Err(); err != nil {
		problems = append(problems, "listing streams: "+err.Error())
	}
	return n, replicas, problems
}
