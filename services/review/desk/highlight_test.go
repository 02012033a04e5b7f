package desk

import (
	"regexp"
	"strings"
	"testing"
	"time"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
)

func flagAt(i int) *flagView {
	return &flagView{Index: i, DOMID: "f" + string(rune('0'+i)), ID: "id" + string(rune('0'+i)), Sev: "warning", St: "open"}
}

// texts reads each span's text back from the HTML: the concatenated text
// of its <mark> parts, in order.
func texts(t *testing.T, html string) map[string]string {
	t.Helper()
	out := map[string]string{}
	// A tiny reader of our own markup: tags and escaped text.
	var open []string
	tag := regexp.MustCompile(`^<(/?)(mark|p|h\d|ul|li)[^>]*>`)
	spanAttr := regexp.MustCompile(` data-span="([^"]+)"`)
	unescape := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#34;", `"`, "&#39;", "'")
	for i := 0; i < len(html); {
		if html[i] == '<' {
			m := tag.FindStringSubmatch(html[i:])
			if m == nil {
				t.Fatalf("unexpected markup at %q", html[i:])
			}
			switch {
			case m[2] != "mark":
			case m[1] == "/":
				if len(open) == 0 {
					t.Fatalf("unbalanced </mark> in %s", html)
				}
				open = open[:len(open)-1]
			default:
				sp := spanAttr.FindStringSubmatch(m[0])
				if sp == nil {
					t.Fatalf("a mark without data-span: %s", m[0])
				}
				open = append(open, sp[1])
			}
			i += len(m[0])
			continue
		}
		j := strings.IndexByte(html[i:], '<')
		if j < 0 {
			j = len(html) - i
		}
		text := unescape.Replace(html[i : i+j])
		for _, s := range open {
			out[s] += text
		}
		i += j
	}
	if len(open) != 0 {
		t.Fatalf("unclosed marks in %s", html)
	}
	return out
}

func TestMarkupNestsAndSplitsOverlaps(t *testing.T) {
	text := "The minister reportedly resigned <today> & left."
	f0, f1, f2 := flagAt(0), flagAt(1), flagAt(2)
	marks := []mark{
		{Start: 4, End: 23, Flag: f0, N: 0},  // "minister reportedly"
		{Start: 13, End: 32, Flag: f1, N: 0}, // "reportedly resigned": crosses the first
		{Start: 13, End: 23, Flag: f2, N: 0}, // "reportedly": inside both
		{Start: 34, End: 39, Flag: f2, N: 1}, // "today", in escaped brackets
	}
	html := string(inline(text, marks))
	got := texts(t, html)
	want := map[string]string{"f0-0": "minister reportedly", "f1-0": "reportedly resigned", "f2-0": "reportedly", "f2-1": "today"}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("span %s reads %q, want %q\n%s", k, got[k], w, html)
		}
	}
	if !strings.Contains(html, "&lt;") || strings.Contains(html, "<today>") || !strings.Contains(html, "&amp;") {
		t.Errorf("text not escaped: %s", html)
	}
	// Each span has exactly one focusable first part.
	for k := range want {
		if n := strings.Count(html, `id="mark-`+k+`" tabindex="0"`); n != 1 {
			t.Errorf("span %s has %d focusable parts:\n%s", k, n, html)
		}
	}
	// The text reads the same with the marks taken out.
	plain := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(html, "")
	if plain != strings.NewReplacer("<", "&lt;", ">", "&gt;", "&", "&amp;").Replace(text) {
		t.Errorf("text changed: %q", plain)
	}
}

func TestRichBodyKeepsOffsets(t *testing.T) {
	body := "GENEVA — Talks “stalled” in Zürich.\nThey resumed.\n\n## Analysis here\n\n- one claim\n- another claim\n  continued\n\nLast paragraph."
	find := func(s string) (int, int) {
		i := strings.Index(body, s)
		return i, i + len(s)
	}
	f0 := flagAt(0)
	var marks []mark
	for n, s := range []string{"“stalled”", "Zürich.\nThey", "Analysis", "another claim\n  continued", "paragraph"} {
		st, en := find(s)
		marks = append(marks, mark{Start: st, End: en, Flag: f0, N: n})
	}
	html := string(rich(body, marks))
	for _, want := range []string{"<p>GENEVA — Talks ", `<h3 class="body-heading">`, "<ul>\n<li>one claim</li>", "</li>\n</ul>", "<p>Last "} {
		if !strings.Contains(html, want) {
			t.Errorf("no %q in\n%s", want, html)
		}
	}
	got := texts(t, html)
	for n, s := range []string{"“stalled”", "Zürich.\nThey", "Analysis", "another claim\n  continued", "paragraph"} {
		if k := "f0-" + string(rune('0'+n)); got[k] != s {
			t.Errorf("span %s reads %q, want %q\n%s", k, got[k], s, html)
		}
	}
	if strings.Contains(html, "## ") || strings.Contains(html, "- one") {
		t.Errorf("Markdown block syntax shown:\n%s", html)
	}
}

func TestLocate(t *testing.T) {
	text := "Zürich: the minister reportedly resigned; reportedly, twice."
	at := strings.Index(text, "reportedly")
	second := strings.LastIndex(text, "reportedly")
	runeAt := len([]rune(text[:at]))
	tests := []struct {
		name   string
		sp     *reviewv1.Span
		start  int
		wantOK bool
	}{
		{"byte offsets", &reviewv1.Span{Start: int32(at), End: int32(at + 10), Text: "reportedly"}, at, true},
		{"rune offsets only", &reviewv1.Span{Start: 999, End: 1009, RuneStart: int32(runeAt), RuneEnd: int32(runeAt + 10), Text: "reportedly"}, at, true},
		{"nearest occurrence", &reviewv1.Span{Start: int32(second + 2), End: int32(second + 12), Text: "reportedly"}, second, true},
		{"not a rune boundary", &reviewv1.Span{Start: 2, End: 4, Text: ""}, 0, false},
		{"gone from the text", &reviewv1.Span{Start: 0, End: 5, Text: "Putin"}, 0, false},
	}
	for _, tc := range tests {
		s, e, ok := locate(text, tc.sp)
		if ok != tc.wantOK || (ok && (s != tc.start || text[s:e] != tc.sp.Text)) {
			t.Errorf("%s: locate = %d, %d, %v", tc.name, s, e, ok)
		}
	}
}

// A span that names no field (as the review service sends today) is found
// in the field that holds it at its offsets.
func TestPlaceAcrossFields(t *testing.T) {
	a := &articlev1.Article{
		Headline:  "Minister reportedly resigns",
		Takeaways: []*articlev1.Takeaway{{Quote: "He allegedly fled."}},
	}
	r := &reviewv1.Review{ArticleId: "a", Revision: 1, State: reviewv1.ReviewState_REVIEW_STATE_OPEN, Flags: []*reviewv1.Flag{{
		Id: "h", Category: "unverified_claim", Severity: reviewv1.Severity_SEVERITY_WARNING, Field: "headline",
		Status: reviewv1.FlagStatus_FLAG_STATUS_OPEN,
		Spans:  []*reviewv1.Span{{Start: 9, End: 19, Text: "reportedly"}, {Start: 3, End: 12, Text: "allegedly"}},
	}, {
		Id: "x", Severity: reviewv1.Severity_SEVERITY_INFO, Field: "body", Status: reviewv1.FlagStatus_FLAG_STATUS_OPEN,
		Spans: []*reviewv1.Span{{Start: 0, End: 3, Text: "Who", Field: "body"}},
	}}}
	s := &session{id: auth.Identity{Subject: "rita", Roles: []auth.Role{auth.Reviewer}}}
	v := buildReview(s, r, a, a, time.Now())
	if !strings.Contains(string(v.Article.Headline), ">reportedly</mark>") || !strings.Contains(string(v.Article.Takeaways[0].Quote), ">allegedly</mark>") {
		t.Errorf("headline %s, takeaway %s", v.Article.Headline, v.Article.Takeaways[0].Quote)
	}
	if v.Unplaced != 1 || v.Flags[1].Spans[0].Placed || v.Flags[0].Spans[1].FieldLabel != "Takeaway 1, quote" {
		t.Errorf("placement: unplaced %d, %+v", v.Unplaced, v.Flags)
	}
	if !v.CanDecide || v.IsAuthor || v.Open != (counts{Warning: 1, Info: 1}) {
		t.Errorf("view %+v", v)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "/queue",
		"/articles/a1?x=1": "/articles/a1?x=1",
		"//evil.example":   "/queue",
		"/\\evil.example":  "/queue",
		"https://evil":     "/queue",
		"/signin":          "/queue",
		"/board\r\nX: y":   "/queue",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSRFTokens(t *testing.T) {
	a, b := csrfToken("token-a", "csrf"), csrfToken("token-b", "csrf")
	if a == b || a == csrfToken("token-a", "signin") || a != csrfToken("token-a", "csrf") || strings.Contains(a, "token-a") {
		t.Errorf("tokens %q %q", a, b)
	}
	if !validCSRF(a, a) || validCSRF("", "") || validCSRF(b, a) {
		t.Error("validCSRF")
	}
}
