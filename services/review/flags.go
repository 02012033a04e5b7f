package review

import (
	"google.golang.org/protobuf/proto"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/services/review/rules"
)

// toFlags turns the engine's findings into open flags.
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

// carryOver copies prev's decisions onto flags with the same id (same rule,
// field and matched text): a passage the desk approved or dismissed is not
// put to it again just because the article was edited elsewhere.
func carryOver(flags []*reviewv1.Flag, prev *reviewv1.Review) {
	for _, f := range flags {
		old := findFlag(prev, f.GetId())
		if old == nil {
			continue
		}
		switch old.GetStatus() {
		case reviewv1.FlagStatus_FLAG_STATUS_APPROVED, reviewv1.FlagStatus_FLAG_STATUS_DISMISSED:
		default:
			continue
		}
		f.Status = old.GetStatus()
		f.DecidedBy = old.GetDecidedBy()
		f.DecidedAt = old.GetDecidedAt()
		f.Reason = old.GetReason()
		f.CarriedFrom = old.GetCarriedFrom()
		if f.CarriedFrom == 0 {
			f.CarriedFrom = prev.GetRevision()
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
