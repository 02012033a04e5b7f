package review

import (
	"fmt"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/services/review/rules"
)

// articleFields lists the text review scans, in reading order. Repeated
// fields are named by index so a flag points at one item.
func articleFields(a *articlev1.Article) []rules.Field {
	fs := []rules.Field{
		{Name: "headline", Base: "headline", Text: a.GetHeadline()},
		{Name: "dek", Base: "dek", Text: a.GetDek()},
		{Name: "summary", Base: "summary", Text: a.GetSummary()},
		{Name: "body", Base: "body", Text: a.GetBody()},
	}
	for i, t := range a.GetTakeaways() {
		fs = append(fs,
			rules.Field{Name: fmt.Sprintf("takeaways[%d].quote", i), Base: "takeaways", Text: t.GetQuote()},
			rules.Field{Name: fmt.Sprintf("takeaways[%d].context", i), Base: "takeaways", Text: t.GetContext()})
	}
	for i, h := range a.GetHighlights() {
		fs = append(fs, rules.Field{Name: fmt.Sprintf("highlights[%d]", i), Base: "highlights", Text: h})
	}
	return append(fs, rules.Field{Name: "kicker", Base: "kicker", Text: a.GetKicker()})
}
