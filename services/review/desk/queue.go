package desk

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/clock"
)

// summary is what the queue needs of one review. Summaries are cached per
// article, only while the live feeds follow their streams, and dropped
// when the REVIEW stream says the review changed (and after summaryTTL in
// any case, should an event be missed).
type summary struct {
	revision   int64
	state      reviewv1.ReviewState
	open       counts
	categories []string // of open flags
	submitted  stamp
	author     string
	fetched    time.Time
}

const summaryTTL = time.Minute

type summaries struct {
	mu    sync.Mutex
	m     map[string]*summary
	clock clock.Clock
	// live: the feeds follow their streams, so a cached summary is dropped
	// when its review changes. epoch counts the feeds' starts and stops: a
	// summary read before one is not stored after it.
	live  bool
	epoch uint64
}

func newSummaries(clk clock.Clock) *summaries {
	return &summaries{m: map[string]*summary{}, clock: clk}
}

func (c *summaries) get(id string, rev int64) *summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		return nil
	}
	s := c.m[id]
	if s == nil || s.revision != rev || c.clock.Now().Sub(s.fetched) > summaryTTL {
		return nil
	}
	return s
}

// begin returns the epoch to put summaries read from now on with.
func (c *summaries) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// put caches s, read in epoch, unless the feeds started or stopped since.
func (c *summaries) put(id string, s *summary, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live && epoch == c.epoch {
		c.m[id] = s
	}
}

// setLive records whether the feeds follow their streams; a change drops
// every summary cached.
func (c *summaries) setLive(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if on != c.live {
		c.live = on
		c.epoch++
		clear(c.m)
	}
}

func (c *summaries) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

func summarize(r *reviewv1.Review, now time.Time) *summary {
	s := &summary{revision: r.GetRevision(), state: r.GetState(), author: r.GetAuthor(),
		submitted: newStamp(r.GetSubmittedAt(), now), fetched: now}
	for _, f := range r.GetFlags() {
		if f.GetStatus() != reviewv1.FlagStatus_FLAG_STATUS_OPEN {
			continue
		}
		s.open.add(sevKey(f.GetSeverity()))
		if !slices.Contains(s.categories, f.GetCategory()) {
			s.categories = append(s.categories, f.GetCategory())
		}
	}
	slices.Sort(s.categories)
	return s
}

// listAll lists every article in status st (all pages, up to max).
func (d *Desk) listAll(ctx context.Context, s *session, st articlev1.Status, desk string, max int) ([]*articlev1.Article, bool, error) {
	var out []*articlev1.Article
	token := ""
	for {
		size := min(500, max-len(out))
		resp, err := d.drafting.ListArticles(ctx, &draftingv1.ListArticlesRequest{Status: st, Desk: desk, PageSize: int32(size), PageToken: token}, as(s))
		if err != nil {
			return nil, false, err
		}
		out = append(out, resp.GetArticles()...)
		token = resp.GetNextPageToken()
		if token == "" {
			return out, false, nil
		}
		if len(out) >= max {
			return out, true, nil
		}
	}
}

// queueView is the review queue: articles in review, oldest first.
type queueView struct {
	Rows       []queueRow
	Total      int
	Desk       string
	Category   string
	Desks      []option
	Categories []option
	Truncated  bool
}

type option struct {
	Value, Label string
	Selected     bool
}

type queueRow struct {
	ID, Headline, Desk, Author, Byline string
	Submitted                          stamp
	Open                               counts
	Categories                         []string
	State, StateLabel                  string
	Revision                           int64
}

// maxQueue bounds how many articles in review the queue reads.
const maxQueue = 2000

func (d *Desk) queuePage(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	arts, truncated, err := d.listAll(ctx, s, articlev1.Status_STATUS_IN_REVIEW, "", maxQueue)
	if err != nil {
		d.callFailed(w, r, s, err, "queue")
		return
	}
	sums, err := d.summaries(ctx, s, arts)
	if err != nil {
		d.callFailed(w, r, s, err, "queue")
		return
	}
	q := &queueView{Desk: r.URL.Query().Get("desk"), Category: r.URL.Query().Get("category"), Truncated: truncated}
	desks, cats := map[string]bool{}, map[string]bool{}
	for i, a := range arts {
		sum := sums[i]
		desks[a.GetDesk()] = true
		row := queueRow{
			ID: a.GetId(), Headline: a.GetHeadline(), Desk: a.GetDesk(), Byline: a.GetByline(),
			Author: a.GetCreatedBy(), Revision: a.GetRevision(),
			Submitted: newStamp(a.GetUpdatedAt(), d.clock.Now()),
		}
		if sum != nil {
			for _, c := range sum.categories {
				cats[c] = true
			}
			row.Open, row.State, row.StateLabel = sum.open, stateKey(sum.state), stateLabel(sum.state)
			if sum.submitted.Machine != "" {
				row.Submitted = sum.submitted
			}
			if sum.author != "" {
				row.Author = sum.author
			}
			for _, c := range sum.categories {
				row.Categories = append(row.Categories, categoryLabel(c))
			}
		}
		if q.Desk != "" && a.GetDesk() != q.Desk {
			continue
		}
		if q.Category != "" && (sum == nil || !slices.Contains(sum.categories, q.Category)) {
			continue
		}
		q.Rows = append(q.Rows, row)
	}
	q.Total = len(arts)
	slices.SortStableFunc(q.Rows, func(a, b queueRow) int {
		if c := strings.Compare(a.Submitted.Machine, b.Submitted.Machine); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	q.Desks = options(desks, q.Desk, func(s string) string { return s })
	q.Categories = options(cats, q.Category, categoryLabel)
	v := d.base(s, "Review queue", "queue", r.URL.RequestURI())
	v.Queue = q
	d.render(w, r, http.StatusOK, v)
}

func options(set map[string]bool, selected string, label func(string) string) []option {
	if selected != "" {
		set[selected] = true
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		if k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]option, len(keys))
	for i, k := range keys {
		out[i] = option{Value: k, Label: label(k), Selected: k == selected}
	}
	return out
}

// summaries returns the review summary of each article (nil where the
// review is not there yet), from the cache or, for the rest, from
// GetReview, a few calls at a time.
func (d *Desk) summaries(ctx context.Context, s *session, arts []*articlev1.Article) ([]*summary, error) {
	out := make([]*summary, len(arts))
	d.demand.use() // the cache below is good only while the feeds run
	epoch := d.queue.begin()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, 8)
	for i, a := range arts {
		if sum := d.queue.get(a.GetId(), a.GetRevision()); sum != nil {
			out[i] = sum
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			resp, err := d.review.GetReview(ctx, &reviewv1.GetReviewRequest{ArticleId: a.GetId()}, as(s))
			if status.Code(err) == codes.NotFound {
				return // submitted a moment ago; review has not scanned it yet
			}
			if err != nil {
				mu.Lock()
				first = cmpErr(first, err)
				mu.Unlock()
				return
			}
			sum := summarize(resp.GetReview(), d.clock.Now())
			if sum.revision == a.GetRevision() {
				d.queue.put(a.GetId(), sum, epoch)
			}
			out[i] = sum
		})
	}
	wg.Wait()
	return out, first
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
