package review

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/services/review/rules"
)

// toFlags turns the engine's findings into open flags: one per rule, with
// a span for every match of the rule anywhere in the article.
func toFlags(fs []rules.Finding) []*reviewv1.Flag {
	out := make([]*reviewv1.Flag, 0, len(fs))
	for _, f := range fs {
		fl := &reviewv1.Flag{
			Id:            f.ID,
			RuleId:        f.Rule.ID,
			Category:      f.Rule.Category,
			Severity:      toSeverity(f.Rule.Severity),
			Field:         f.Field,
			Message:       f.Rule.Message,
			Suggestion:    f.Suggestion,
			Rationale:     f.Rule.Rationale,
			GuidelineName: f.Rule.Guideline.Name,
			GuidelineUrl:  f.Rule.Guideline.URL,
			Status:        reviewv1.FlagStatus_FLAG_STATUS_OPEN,
		}
		for _, sp := range f.Spans {
			fl.Spans = append(fl.Spans, &reviewv1.Span{
				Start: int32(sp.Start), End: int32(sp.End),
				RuneStart: int32(sp.RuneStart), RuneEnd: int32(sp.RuneEnd),
				Text: sp.Text, ContextBefore: sp.Before, ContextAfter: sp.After,
				Field: sp.Field, Key: sp.Key,
			})
		}
		out = append(out, fl)
	}
	return out
}

func toSeverity(s rules.Severity) reviewv1.Severity {
	switch s {
	case rules.Info:
		return reviewv1.Severity_SEVERITY_INFO
	case rules.Warning:
		return reviewv1.Severity_SEVERITY_WARNING
	case rules.Blocker:
		return reviewv1.Severity_SEVERITY_BLOCKER
	}
	return reviewv1.Severity_SEVERITY_UNSPECIFIED
}

func toNote(n *rules.Note) *articlev1.SensitivityNote {
	if n == nil {
		return nil
	}
	return &articlev1.SensitivityNote{Title: n.Title, Text: n.Text}
}

// blocking reports whether f holds the revision back: an open WARNING or
// BLOCKER.
func blocking(f *reviewv1.Flag) bool {
	return f.GetStatus() == reviewv1.FlagStatus_FLAG_STATUS_OPEN && f.GetSeverity() >= reviewv1.Severity_SEVERITY_WARNING
}

// anyBlocking reports whether a scan found a WARNING or BLOCKER: a flag
// that opens blocking (see blocking) unless an earlier decision carries
// over to it.
func anyBlocking(fs []rules.Finding) bool {
	for _, f := range fs {
		if toSeverity(f.Rule.Severity) >= reviewv1.Severity_SEVERITY_WARNING {
			return true
		}
	}
	return false
}

// clearable reports whether no flag of r holds it back.
func clearable(r *reviewv1.Review) bool {
	for _, f := range r.GetFlags() {
		if blocking(f) {
			return false
		}
	}
	return true
}

func findFlag(r *reviewv1.Review, id string) *reviewv1.Flag {
	for _, f := range r.GetFlags() {
		if f.GetId() == id {
			return f
		}
	}
	return nil
}

func decided(st reviewv1.FlagStatus) bool {
	return st == reviewv1.FlagStatus_FLAG_STATUS_APPROVED || st == reviewv1.FlagStatus_FLAG_STATUS_DISMISSED
}

// carryOver applies earlier decisions to a new revision's flags. A span
// whose key (rule, field, matched text and sentence) the desk decided in
// any earlier revision is marked decided_before; a flag all of whose spans
// were decided before takes the latest of those decisions, so a passage
// approved or dismissed once is not put to the desk again. A flag with a
// new span stays open: the reviewer sees which spans are new.
func carryOver(flags []*reviewv1.Flag, memory []*reviewv1.DecidedPassage) {
	if len(memory) == 0 {
		return
	}
	byKey := make(map[string]*reviewv1.DecidedPassage, len(memory))
	for _, d := range memory {
		byKey[d.GetKey()] = d
	}
	for _, f := range flags {
		var latest *reviewv1.DecidedPassage
		all := true
		for _, sp := range f.GetSpans() {
			d := byKey[sp.GetKey()]
			if d == nil || d.GetRuleId() != f.GetRuleId() {
				all = false
				continue
			}
			sp.DecidedBefore = true
			if latest == nil || d.GetDecidedAt().AsTime().After(latest.GetDecidedAt().AsTime()) {
				latest = d
			}
		}
		if !all || latest == nil {
			continue
		}
		f.Status = latest.GetStatus()
		f.DecidedBy = latest.GetDecidedBy()
		f.DecidedAt = latest.GetDecidedAt()
		f.Reason = latest.GetReason()
		f.CarriedFrom = latest.GetRevision()
	}
}

// remember records a decision on f for each of its spans, replacing what
// an earlier decision on the same passage said.
func remember(r *reviewv1.Review, f *reviewv1.Flag, at *timestamppb.Timestamp) {
	for _, sp := range f.GetSpans() {
		d := &reviewv1.DecidedPassage{
			Key: sp.GetKey(), RuleId: f.GetRuleId(), Status: f.GetStatus(), DecidedBy: f.GetDecidedBy(),
			DecidedAt: at, Reason: f.GetReason(), Revision: r.GetRevision(), FlagId: f.GetId(),
		}
		replaced := false
		for i, old := range r.Decided {
			if old.GetKey() == d.GetKey() {
				r.Decided[i], replaced = d, true
				break
			}
		}
		if !replaced {
			r.Decided = append(r.Decided, d)
		}
	}
}

func cloneFlags(fs []*reviewv1.Flag) []*reviewv1.Flag {
	out := make([]*reviewv1.Flag, len(fs))
	for i, f := range fs {
		out[i] = proto.Clone(f).(*reviewv1.Flag)
	}
	return out
}
