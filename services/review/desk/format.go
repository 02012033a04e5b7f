package desk

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
)

var funcs = template.FuncMap{}

// stamp is a time as a page shows it: machine-readable for <time>, in
// words, and how long ago.
type stamp struct {
	Machine, Text, Ago string
}

func newStamp(ts *timestamppb.Timestamp, now time.Time) stamp {
	if ts == nil || !ts.IsValid() || (ts.GetSeconds() == 0 && ts.GetNanos() == 0) {
		return stamp{}
	}
	t := ts.AsTime().UTC()
	return stamp{Machine: t.Format(time.RFC3339), Text: t.Format("2 Jan 2006 15:04 UTC"), Ago: ago(now.Sub(t))}
}

// ago says how long ago, or in how long, in round words.
func ago(d time.Duration) string {
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		s = fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%d h", int(d.Hours()))
	default:
		s = fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// Article statuses, as keys (for CSS and scripts) and as words.
func statusKey(s articlev1.Status) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "STATUS_"))
}

var statusLabels = map[articlev1.Status]string{
	articlev1.Status_STATUS_DRAFT:             "Draft",
	articlev1.Status_STATUS_IN_REVIEW:         "In review",
	articlev1.Status_STATUS_CHANGES_REQUESTED: "Changes requested",
	articlev1.Status_STATUS_READY:             "Ready",
	articlev1.Status_STATUS_SCHEDULED:         "Scheduled",
	articlev1.Status_STATUS_PUBLISHED:         "Published",
	articlev1.Status_STATUS_UNPUBLISHED:       "Unpublished",
}

func statusLabel(s articlev1.Status) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return "Unknown"
}

var stateLabels = map[reviewv1.ReviewState]string{
	reviewv1.ReviewState_REVIEW_STATE_OPEN:              "Open: flags await decisions",
	reviewv1.ReviewState_REVIEW_STATE_CLEARED:           "Cleared",
	reviewv1.ReviewState_REVIEW_STATE_CHANGES_REQUESTED: "Changes requested",
	reviewv1.ReviewState_REVIEW_STATE_WITHDRAWN:         "Withdrawn by the author",
}

func stateKey(s reviewv1.ReviewState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "REVIEW_STATE_"))
}

func stateLabel(s reviewv1.ReviewState) string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return "Unknown"
}

func sevKey(s reviewv1.Severity) string {
	switch s {
	case reviewv1.Severity_SEVERITY_BLOCKER:
		return "blocker"
	case reviewv1.Severity_SEVERITY_WARNING:
		return "warning"
	}
	return "info"
}

var sevLabels = map[string]string{"blocker": "Blocker", "warning": "Warning", "info": "Info"}

func flagStatusKey(s reviewv1.FlagStatus) string {
	switch s {
	case reviewv1.FlagStatus_FLAG_STATUS_APPROVED:
		return "approved"
	case reviewv1.FlagStatus_FLAG_STATUS_DISMISSED:
		return "dismissed"
	}
	return "open"
}

var flagStatusLabels = map[string]string{"open": "Open", "approved": "Approved", "dismissed": "Dismissed"}

// categoryLabel turns "political_sensitivity" into "Political sensitivity".
func categoryLabel(c string) string {
	c = strings.TrimSpace(strings.ReplaceAll(c, "_", " "))
	if c == "" {
		return "Uncategorised"
	}
	return strings.ToUpper(c[:1]) + c[1:]
}

// fieldLabel names a field for people: "takeaways[1].quote" is
// "Takeaway 2, quote".
func fieldLabel(f string) string {
	var i int
	var part string
	if n, _ := fmt.Sscanf(f, "takeaways[%d].%s", &i, &part); n == 2 {
		return fmt.Sprintf("Takeaway %d, %s", i+1, part)
	}
	if n, _ := fmt.Sscanf(f, "highlights[%d]", &i); n == 1 {
		return fmt.Sprintf("Highlight %d", i+1)
	}
	if f == "" {
		return "Article"
	}
	return strings.ToUpper(f[:1]) + f[1:]
}

var actionLabels = map[string]string{
	"submit":          "Submitted for review",
	"approve":         "Approved a flag",
	"dismiss":         "Dismissed a flag",
	"request_changes": "Requested changes",
	"set_note":        "Set the sensitivity note",
	"cleared":         "Cleared for publication",
	"withdraw":        "Withdrawn by the author",
}

func actionLabel(a string) string {
	if l, ok := actionLabels[a]; ok {
		return l
	}
	return categoryLabel(a)
}

// flashes are the messages a page shows after a change (?done=…); fixed
// text, so a link cannot make the desk say anything else.
var flashes = map[string]string{
	"approve":     "Flag approved.",
	"dismiss":     "Flag dismissed.",
	"note":        "Sensitivity note saved.",
	"note_accept": "Proposed sensitivity note accepted.",
	"note_remove": "Sensitivity note removed.",
	"changes":     "Changes requested: the article went back to its author.",
	"publish":     "Published.",
	"schedule":    "Scheduled for publication.",
}
