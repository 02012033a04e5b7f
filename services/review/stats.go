package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/grpcx"
)

// statsKey is the one record of the review-rulestats bucket.
const statsKey = "rules"

// ruleCounts is one rule's line in the statistics.
type ruleCounts struct {
	Category  string `json:"category,omitempty"`
	Severity  int32  `json:"severity,omitempty"`
	Fired     int64  `json:"fired,omitempty"`
	Carried   int64  `json:"carried,omitempty"`
	Approved  int64  `json:"approved,omitempty"`
	Dismissed int64  `json:"dismissed,omitempty"`
}

// statsRecord is the rule statistics folded from the REVIEW stream up to
// stream sequence Seq. Counts and sequence are stored together and
// replaced with compare-and-set, so every event is counted exactly once
// however many replicas fold, and however often.
type statsRecord struct {
	Seq   uint64                 `json:"seq"`
	Rules map[string]*ruleCounts `json:"rules"`
}

func (r *statsRecord) rule(f *reviewv1.Flag) *ruleCounts {
	c := r.Rules[f.GetRuleId()]
	if c == nil {
		c = &ruleCounts{}
		r.Rules[f.GetRuleId()] = c
	}
	c.Category, c.Severity = f.GetCategory(), int32(f.GetSeverity())
	return c
}

// fold adds one REVIEW event to the counts: a flag raised on a submission
// fired (or was carried, if it kept an earlier decision); a decision
// approved or dismissed it.
func (r *statsRecord) fold(subject string, data []byte) {
	switch subject {
	case events.ArticleFlagged:
		var ev reviewv1.ArticleFlagged
		if proto.Unmarshal(data, &ev) != nil {
			return
		}
		for _, f := range ev.GetFlags() {
			if f.GetCarriedFrom() != 0 {
				r.rule(f).Carried++
			} else {
				r.rule(f).Fired++
			}
		}
	case events.FlagDecided:
		var ev reviewv1.FlagDecided
		if proto.Unmarshal(data, &ev) != nil {
			return
		}
		switch ev.GetFlag().GetStatus() {
		case reviewv1.FlagStatus_FLAG_STATUS_APPROVED:
			r.rule(ev.GetFlag()).Approved++
		case reviewv1.FlagStatus_FLAG_STATUS_DISMISSED:
			r.rule(ev.GetFlag()).Dismissed++
		}
	}
}

// foldStats brings the statistics up to the end of the REVIEW stream and
// returns them. It reads the record, folds the flagged and decided events
// after its sequence, and stores the result with compare-and-set; if
// another replica stored first, it starts again from theirs.
func (s *Service) foldStats(ctx context.Context) (*statsRecord, error) {
	for attempt := 0; ; attempt++ {
		rec := &statsRecord{Rules: map[string]*ruleCounts{}}
		var rev uint64
		e, err := s.stats.Get(ctx, statsKey)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return nil, fmt.Errorf("review: rule stats: %w", err)
		default:
			if err := json.Unmarshal(e.Value(), rec); err != nil {
				return nil, fmt.Errorf("review: rule stats record: %w", err)
			}
			if rec.Rules == nil {
				rec.Rules = map[string]*ruleCounts{}
			}
			rev = e.Revision()
		}
		n, err := s.foldFrom(ctx, rec)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return rec, nil
		}
		raw, _ := json.Marshal(rec)
		if rev == 0 {
			_, err = s.stats.Create(ctx, statsKey, raw)
		} else {
			_, err = s.stats.Update(ctx, statsKey, raw, rev)
		}
		if err == nil {
			return rec, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) || attempt >= 20 {
			return nil, fmt.Errorf("review: store rule stats: %w", err)
		}
	}
}

// foldFrom folds the events after rec.Seq into rec and returns how many.
// It reads up to the last flagged or decided event in the stream now. (Not
// up to the consumer's count of pending events: a consumer the server has
// only just created can report none pending before it has counted them.)
func (s *Service) foldFrom(ctx context.Context, rec *statsRecord) (int, error) {
	st, err := s.js.Stream(ctx, events.StreamReview)
	if err != nil {
		return 0, fmt.Errorf("review: rule stats: %w", err)
	}
	subjects := []string{events.ArticleFlagged, events.FlagDecided}
	var last uint64
	for _, subj := range subjects {
		m, err := st.GetLastMsgForSubject(ctx, subj)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("review: rule stats: %w", err)
		}
		last = max(last, m.Sequence)
	}
	if last <= rec.Seq {
		return 0, nil
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: subjects,
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    rec.Seq + 1,
	})
	if err != nil {
		return 0, fmt.Errorf("review: rule stats: %w", err)
	}
	got := 0
	for rec.Seq < last {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return 0, fmt.Errorf("review: rule stats: %w", err)
		}
		n := 0
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				return 0, fmt.Errorf("review: rule stats: %w", err)
			}
			if md.Sequence.Stream > last {
				break // newer than this fold; the next one takes it
			}
			n++
			rec.fold(m.Subject(), m.Data())
			rec.Seq = md.Sequence.Stream
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return 0, fmt.Errorf("review: rule stats: %w", err)
		}
		if n == 0 && rec.Seq < last {
			return 0, fmt.Errorf("review: rule stats: events up to %d in the stream, none delivered after %d", last, rec.Seq)
		}
		got += n
	}
	return got, nil
}

// runStats folds new events into the statistics now and then, so that a
// RuleStats call has little left to fold.
func (s *Service) runStats(ctx context.Context) {
	t := time.NewTicker(s.cfg.StatsInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.foldStats(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("rule stats", "err", err)
			}
		}
	}
}

// RuleStats reports, per rule, how often it fired and how the desk decided
// its flags. Rules in the packs in force that never fired are listed with
// zeros; rules no longer in the packs keep their counts, marked not loaded.
func (s *Service) RuleStats(ctx context.Context, req *reviewv1.RuleStatsRequest) (*reviewv1.RuleStatsResponse, error) {
	rec, err := s.foldStats(ctx)
	if err != nil {
		return nil, grpcx.Internal(ctx, s.log, "rule stats", err)
	}
	out := &reviewv1.RuleStatsResponse{ThroughSeq: rec.Seq}
	seen := map[string]bool{}
	add := func(id string, c *ruleCounts, loaded bool) {
		if req.GetCategory() != "" && c.Category != req.GetCategory() {
			return
		}
		seen[id] = true
		out.Rules = append(out.Rules, &reviewv1.RuleStat{
			RuleId: id, Category: c.Category, Severity: reviewv1.Severity(c.Severity),
			Fired: c.Fired, Carried: c.Carried, Approved: c.Approved, Dismissed: c.Dismissed, Loaded: loaded,
		})
	}
	for _, r := range s.ruleSet().Rules() {
		c := rec.Rules[r.ID]
		if c == nil {
			c = &ruleCounts{}
		}
		c.Category, c.Severity = r.Category, int32(toSeverity(r.Severity))
		add(r.ID, c, true)
	}
	for id, c := range rec.Rules {
		if !seen[id] {
			add(id, c, false)
		}
	}
	slices.SortFunc(out.Rules, func(a, b *reviewv1.RuleStat) int {
		if a.GetRuleId() < b.GetRuleId() {
			return -1
		}
		if a.GetRuleId() > b.GetRuleId() {
			return 1
		}
		return 0
	})
	return out, nil
}
