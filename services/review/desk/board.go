package desk

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/auth"
)

// boardView is the editors' board: the stories by status, with what each
// needs next.
type boardView struct {
	Columns    []boardColumn
	Desk       string
	Desks      []option
	CanPublish bool
	// Values refill the publish forms after a refused post.
	Values map[string]string
}

type boardColumn struct {
	Key, Label string
	Rows       []boardRow
	More       bool
}

type boardRow struct {
	ID, Headline, Desk, Author string
	Updated                    stamp
	Next                       string
	Review                     bool // the next step is on the review page
	Ready                      bool // a publisher may publish it from the board
	Scheduled                  stamp
	PublicURL                  string
}

// boardStatuses are the board's columns, in workflow order.
var boardStatuses = []articlev1.Status{
	articlev1.Status_STATUS_DRAFT,
	articlev1.Status_STATUS_IN_REVIEW,
	articlev1.Status_STATUS_CHANGES_REQUESTED,
	articlev1.Status_STATUS_READY,
	articlev1.Status_STATUS_SCHEDULED,
	articlev1.Status_STATUS_PUBLISHED,
}

// boardLimit is how many stories each column shows (newest first).
const boardLimit = 50

func (d *Desk) boardPage(w http.ResponseWriter, r *http.Request, s *session) {
	self := "/board"
	if dk := r.URL.Query().Get("desk"); dk != "" {
		self += "?desk=" + url.QueryEscape(dk)
	}
	v := d.base(s, "Editors' board", "board", self)
	if done := r.URL.Query().Get("done"); done != "" {
		v.Flash = flashes[done]
	}
	d.showBoard(w, r, s, http.StatusOK, v, nil)
}

func (d *Desk) showBoard(w http.ResponseWriter, r *http.Request, s *session, code int, v *view, values map[string]string) {
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	deskFilter := r.URL.Query().Get("desk")
	cols := make([]boardColumn, len(boardStatuses))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for i, st := range boardStatuses {
		wg.Go(func() {
			arts, more, err := d.listAll(ctx, s, st, deskFilter, boardLimit)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				first = cmpErr(first, err)
				return
			}
			col := boardColumn{Key: statusKey(st), Label: statusLabel(st), More: more}
			for _, a := range arts {
				col.Rows = append(col.Rows, d.boardRow(a, s))
			}
			cols[i] = col
		})
	}
	wg.Wait()
	if first != nil {
		d.callFailed(w, r, s, first, "board")
		return
	}
	desks := map[string]bool{}
	for _, c := range cols {
		for _, row := range c.Rows {
			desks[row.Desk] = true
		}
	}
	v.Board = &boardView{Columns: cols, Desk: deskFilter, Desks: options(desks, deskFilter, func(s string) string { return s }),
		CanPublish: s.id.Has(auth.Publisher), Values: values}
	d.render(w, r, code, v)
}

func (d *Desk) boardRow(a *articlev1.Article, s *session) boardRow {
	now := d.clock.Now()
	row := boardRow{
		ID: a.GetId(), Headline: a.GetHeadline(), Desk: a.GetDesk(), Author: a.GetCreatedBy(),
		Updated: newStamp(a.GetUpdatedAt(), now),
	}
	switch a.GetStatus() {
	case articlev1.Status_STATUS_DRAFT:
		row.Next = "Writer: finish and submit for review"
	case articlev1.Status_STATUS_IN_REVIEW:
		row.Next, row.Review = "Reviewer: decide the flags", true
	case articlev1.Status_STATUS_CHANGES_REQUESTED:
		row.Next, row.Review = "Writer: make the changes review asked for", true
	case articlev1.Status_STATUS_READY:
		row.Next, row.Ready = "Publisher: publish or schedule", true
	case articlev1.Status_STATUS_SCHEDULED:
		row.Scheduled = newStamp(a.GetScheduledAt(), now)
		row.Next = "Publishes automatically"
	case articlev1.Status_STATUS_PUBLISHED:
		row.PublicURL = a.GetPublicUrl()
		row.Next = "Live"
		if a.GetPublishedAt() != nil {
			row.Updated = newStamp(a.GetPublishedAt(), now)
		}
	}
	return row
}

// publishAtLayout is the format of an <input type="datetime-local">.
const publishAtLayout = "2006-01-02T15:04"

// publish publishes a READY story now, or schedules it (publish_at, UTC).
func (d *Desk) publish(w http.ResponseWriter, r *http.Request, s *session) {
	id := d.articleID(w, r, s)
	if id == "" {
		return
	}
	at := strings.TrimSpace(r.PostForm.Get("publish_at"))
	values := map[string]string{"at-" + id: at}
	req := &publishingv1.PublishArticleRequest{ArticleId: id}
	what := "publish"
	if at != "" {
		t, err := time.ParseInLocation(publishAtLayout, at, time.UTC)
		if err != nil {
			t, err = time.Parse(time.RFC3339, at)
		}
		if err != nil {
			d.boardRefused(w, r, s, http.StatusBadRequest, "Give the time to publish as a date and time (UTC), or leave it empty to publish now.", values)
			return
		}
		req.PublishAt = timestamppb.New(t)
		if t.After(d.clock.Now()) {
			what = "schedule"
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	if _, err := d.publishing.PublishArticle(ctx, req, as(s)); err != nil {
		code, msg := httpError(err)
		d.boardRefused(w, r, s, code, msg, values)
		return
	}
	d.log.Info("publish from the board", "article", id, "at", at, "subject", s.id.Subject)
	http.Redirect(w, r, "/board?done="+what, http.StatusSeeOther)
}

func (d *Desk) boardRefused(w http.ResponseWriter, r *http.Request, s *session, code int, msg string, values map[string]string) {
	if code == http.StatusUnauthorized {
		http.SetCookie(w, d.cookie(sessionCookie, "", time.Time{}))
		d.signinForm(w, r, code, "Your session has ended. Sign in again.")
		return
	}
	v := d.base(s, "Editors' board", "board", "/board")
	v.Error = msg
	d.showBoard(w, r, s, code, v, values)
}
