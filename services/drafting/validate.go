package drafting

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
)

// Limits on an article's editable fields. Lengths are in runes (what a
// person counts) except the body, which is bounded in bytes because its
// limit protects storage and event sizes.
const (
	MaxHeadline      = 300
	MaxDesk          = 64
	MaxByline        = 200
	MaxDek           = 2000
	MaxSummary       = 2000
	MaxKicker        = 200
	MaxBodyBytes     = 200 << 10
	MaxTakeaways     = 50
	MaxTakeawayText  = 2000
	MaxHighlights    = 20
	MaxHighlightText = 500
	MaxTags          = 30
	MaxTag           = 64
)

var (
	deskRE = regexp.MustCompile(`^[a-z0-9-]+$`)
	tagRE  = regexp.MustCompile(`^[\p{L}\p{N} _-]+$`)
)

// violations collects every problem with a request, so the caller can fix
// them all at once instead of one per round trip.
type violations []*errdetails.BadRequest_FieldViolation

func (v *violations) add(field, format string, args ...any) {
	*v = append(*v, &errdetails.BadRequest_FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// err is nil if nothing was violated, else InvalidArgument with a
// BadRequest detail naming each field and a message listing them.
func (v violations) err() error {
	if len(v) == 0 {
		return nil
	}
	parts := make([]string, 0, min(len(v), 10))
	for i, fv := range v {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(v)-10))
			break
		}
		parts = append(parts, fv.Field+": "+fv.Description)
	}
	st := status.New(codes.InvalidArgument, "invalid request: "+strings.Join(parts, "; "))
	if d, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: v}); err == nil {
		st = d
	}
	return st.Err()
}

// editable copies the fields a caller may set from a request's article,
// normalized: desk in lower case, tags and desk trimmed, CRLF line endings
// turned into LF (so text pasted from Windows is not refused for its \r).
func editable(in *articlev1.Article) *articlev1.Article {
	out := &articlev1.Article{
		Slug:     strings.TrimSpace(in.GetSlug()),
		Desk:     strings.ToLower(strings.TrimSpace(in.GetDesk())),
		Byline:   in.GetByline(),
		Headline: in.GetHeadline(),
		Dek:      lf(in.GetDek()),
		Summary:  lf(in.GetSummary()),
		Body:     lf(in.GetBody()),
		Kicker:   in.GetKicker(),
	}
	for _, t := range in.GetTags() {
		out.Tags = append(out.Tags, strings.TrimSpace(t))
	}
	for _, t := range in.GetTakeaways() {
		out.Takeaways = append(out.Takeaways, &articlev1.Takeaway{Quote: lf(t.GetQuote()), Context: lf(t.GetContext())})
	}
	out.Highlights = append(out.Highlights, in.GetHighlights()...)
	return out
}

func lf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// validateArticle checks a normalized article (see editable); prefix is the
// field path of the article in the request, e.g. "article".
func validateArticle(a *articlev1.Article, prefix string, v *violations) {
	f := func(name string) string { return prefix + "." + name }

	if strings.TrimSpace(a.Headline) == "" {
		v.add(f("headline"), "is required")
	} else {
		text(v, f("headline"), a.Headline, MaxHeadline, false)
	}
	switch {
	case a.Desk == "":
		v.add(f("desk"), "is required")
	case utf8.RuneCountInString(a.Desk) > MaxDesk:
		v.add(f("desk"), "must be at most %d characters", MaxDesk)
	case !deskRE.MatchString(a.Desk):
		v.add(f("desk"), "may contain only letters a-z, digits and hyphens")
	}
	if a.Slug != "" {
		switch {
		case len(a.Slug) > MaxSlug:
			v.add(f("slug"), "must be at most %d characters", MaxSlug)
		case !slugRE.MatchString(a.Slug):
			v.add(f("slug"), "must be lower-case letters a-z and digits in words joined by single hyphens")
		}
	}
	text(v, f("byline"), a.Byline, MaxByline, false)
	text(v, f("dek"), a.Dek, MaxDek, true)
	text(v, f("summary"), a.Summary, MaxSummary, true)
	text(v, f("kicker"), a.Kicker, MaxKicker, false)
	if len(a.Body) > MaxBodyBytes {
		v.add(f("body"), "must be at most %d KB (is %d bytes)", MaxBodyBytes>>10, len(a.Body))
	} else {
		text(v, f("body"), a.Body, 0, true)
	}

	if len(a.Takeaways) > MaxTakeaways {
		v.add(f("takeaways"), "at most %d takeaways (got %d)", MaxTakeaways, len(a.Takeaways))
	}
	for i, t := range a.Takeaways {
		p := fmt.Sprintf("%s[%d].", f("takeaways"), i)
		if strings.TrimSpace(t.Quote) == "" {
			v.add(p+"quote", "is required")
		} else {
			text(v, p+"quote", t.Quote, MaxTakeawayText, true)
		}
		text(v, p+"context", t.Context, MaxTakeawayText, true)
	}

	if len(a.Highlights) > MaxHighlights {
		v.add(f("highlights"), "at most %d highlights (got %d)", MaxHighlights, len(a.Highlights))
	}
	for i, h := range a.Highlights {
		p := fmt.Sprintf("%s[%d]", f("highlights"), i)
		if strings.TrimSpace(h) == "" {
			v.add(p, "must not be empty")
		} else {
			text(v, p, h, MaxHighlightText, false)
		}
	}

	if len(a.Tags) > MaxTags {
		v.add(f("tags"), "at most %d tags (got %d)", MaxTags, len(a.Tags))
	}
	for i, t := range a.Tags {
		p := fmt.Sprintf("%s[%d]", f("tags"), i)
		switch {
		case !utf8.ValidString(t):
			v.add(p, "must be valid UTF-8")
		case t == "":
			v.add(p, "must not be empty")
		case utf8.RuneCountInString(t) > MaxTag:
			v.add(p, "must be at most %d characters", MaxTag)
		case !tagRE.MatchString(t):
			v.add(p, "may contain only letters, digits, spaces, hyphens and underscores")
		}
	}
}

// text checks that s is valid UTF-8 without control characters (other than
// newline and tab where multiline) and at most maxRunes runes (0: no limit).
func text(v *violations, field, s string, maxRunes int, multiline bool) {
	if !utf8.ValidString(s) {
		v.add(field, "must be valid UTF-8")
		return
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			v.add(field, "must not contain the control character %U", r)
			return
		}
	}
	if n := utf8.RuneCountInString(s); maxRunes > 0 && n > maxRunes {
		v.add(field, "must be at most %d characters (is %d)", maxRunes, n)
	}
}
