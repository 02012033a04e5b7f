package desk

import (
	"cmp"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
)

// mark is one span of one flag, placed in the text of one field.
type mark struct {
	// Start and End are byte offsets into the field's text.
	Start, End int
	Flag       *flagView
	// N is the span's index within its flag.
	N int
}

// DOM ids and attributes of a mark; a span split into several <mark>
// elements (it crosses a paragraph or overlaps another span) shares its
// data-span, and only its first part is focusable.
func (m *mark) spanKey() string { return m.Flag.DOMID + "-" + strconv.Itoa(m.N) }
func (m *mark) domID() string   { return "mark-" + m.spanKey() }

// locate finds span sp in text: at its byte offsets when they hold its
// text, else at its rune offsets, else at the occurrence of its text
// nearest to where it was said to be. ok is false when the text does not
// hold the span at all (the revision was edited since it was scanned).
func locate(text string, sp *reviewv1.Span) (start, end int, ok bool) {
	want := sp.GetText()
	fits := func(s, e int) bool { return fits(text, want, s, e) }
	if exactly(text, sp) {
		return int(sp.GetStart()), int(sp.GetEnd()), true
	}
	if rs, re := int(sp.GetRuneStart()), int(sp.GetRuneEnd()); re > rs && rs >= 0 {
		s, e, n := -1, -1, 0
		for i := range text {
			if n == rs {
				s = i
			}
			if n == re {
				e = i
				break
			}
			n++
		}
		if n == re && e < 0 {
			e = len(text)
		}
		if fits(s, e) {
			return s, e, true
		}
	}
	if want == "" {
		return 0, 0, false
	}
	best, dist := -1, 0
	for i := 0; i <= len(text)-len(want); {
		k := strings.Index(text[i:], want)
		if k < 0 {
			break
		}
		at := i + k
		d := at - int(sp.GetStart())
		if d < 0 {
			d = -d
		}
		if best < 0 || d < dist {
			best, dist = at, d
		}
		i = at + 1
	}
	if best >= 0 && fits(best, best+len(want)) {
		return best, best + len(want), true
	}
	return 0, 0, false
}

// fits reports whether text[s:e] is a whole-rune range holding want
// (any text, if want is empty).
func fits(text, want string, s, e int) bool {
	if s < 0 || s >= e || e > len(text) || !utf8.RuneStart(text[s]) || (e < len(text) && !utf8.RuneStart(text[e])) {
		return false
	}
	return want == "" || text[s:e] == want
}

// exactly reports whether span sp is in text at its byte offsets.
func exactly(text string, sp *reviewv1.Span) bool {
	return sp.GetText() != "" && fits(text, sp.GetText(), int(sp.GetStart()), int(sp.GetEnd()))
}

// markup writes text[from:to], HTML-escaped, with every mark that overlaps
// it wrapped in <mark> elements. Overlapping spans nest where they can;
// where two spans cross, the later one is closed and reopened so the HTML
// stays well formed, and each span's parts, read in order, still give its
// text.
func markup(b *strings.Builder, text string, from, to int, marks []mark) {
	type clip struct {
		s, e int
		m    *mark
	}
	var cs []clip
	pts := []int{from, to}
	for i := range marks {
		m := &marks[i]
		s, e := max(m.Start, from), min(m.End, to)
		if s >= e {
			continue
		}
		cs = append(cs, clip{s, e, m})
		pts = append(pts, s, e)
	}
	if len(cs) == 0 {
		b.WriteString(template.HTMLEscapeString(text[from:to]))
		return
	}
	// Outer spans first: those that start earlier, then the longer.
	slices.SortStableFunc(cs, func(x, y clip) int {
		return cmp.Or(cmp.Compare(x.m.Start, y.m.Start), cmp.Compare(y.m.End, x.m.End),
			cmp.Compare(x.m.Flag.Index, y.m.Flag.Index), cmp.Compare(x.m.N, y.m.N))
	})
	slices.Sort(pts)
	pts = slices.Compact(pts)
	var open, active []*mark
	for k := 0; k+1 < len(pts); k++ {
		p, q := pts[k], pts[k+1]
		active = active[:0]
		for _, c := range cs {
			if c.s <= p && c.e >= q {
				active = append(active, c.m)
			}
		}
		n := 0
		for n < len(open) && n < len(active) && open[n] == active[n] {
			n++
		}
		for len(open) > n {
			b.WriteString("</mark>")
			open = open[:len(open)-1]
		}
		for _, m := range active[n:] {
			openMark(b, m, p == m.Start)
			open = append(open, m)
		}
		b.WriteString(template.HTMLEscapeString(text[p:q]))
	}
	for range open {
		b.WriteString("</mark>")
	}
}

func openMark(b *strings.Builder, m *mark, first bool) {
	f := m.Flag
	b.WriteString(`<mark class="flag sev-`)
	b.WriteString(f.Sev)
	if !first {
		b.WriteString(" cont")
	}
	b.WriteString(`" data-flag="`)
	b.WriteString(template.HTMLEscapeString(f.ID))
	b.WriteString(`" data-span="`)
	b.WriteString(m.spanKey())
	b.WriteString(`" data-status="`)
	b.WriteString(f.St)
	b.WriteString(`"`)
	if first {
		b.WriteString(` id="`)
		b.WriteString(m.domID())
		b.WriteString(`" tabindex="0" aria-describedby="title-`)
		b.WriteString(f.DOMID)
		b.WriteString(` message-`)
		b.WriteString(f.DOMID)
		b.WriteString(`"`)
	}
	b.WriteString(`>`)
}

// inline renders a one-paragraph field (headline, dek, a takeaway) with
// its marks.
func inline(text string, marks []mark) template.HTML {
	var b strings.Builder
	markup(&b, text, 0, len(text), marks)
	return template.HTML(b.String()) //nolint:gosec // markup escapes the text
}

// block is one block of the body: a paragraph, a heading or a list.
type block struct {
	kind  string // "p", "h" or "ul"
	level int    // heading level, 1 to 6
	// parts are the byte ranges of the block's text: one for a paragraph
	// or heading, one per item for a list.
	parts [][2]int
}

// blocks splits a Markdown body into paragraphs (separated by blank
// lines), ATX headings ("## Analysis") and bullet lists, keeping byte
// offsets so marks land at the right words. Inline Markdown (emphasis,
// links) is shown as typed.
func blocks(body string) []block {
	var out []block
	var para [2]int
	inPara := false
	endPara := func() {
		if inPara {
			out = append(out, block{kind: "p", parts: [][2]int{para}})
			inPara = false
		}
	}
	for off := 0; off < len(body); {
		nl := strings.IndexByte(body[off:], '\n')
		end := len(body)
		if nl >= 0 {
			end = off + nl
		}
		line := body[off:end]
		next := end + 1
		ls, le := off+len(line)-len(strings.TrimLeft(line, " \t")), off+len(strings.TrimRight(line, " \t\r"))
		trimmed := body[ls:max(ls, le)]
		switch {
		case trimmed == "":
			endPara()
		case heading(trimmed) > 0:
			endPara()
			lvl := heading(trimmed)
			hs := ls + lvl + 1
			for hs < le && body[hs] == ' ' {
				hs++
			}
			he := le
			for he > hs && body[he-1] == '#' {
				he--
			}
			for he > hs && body[he-1] == ' ' {
				he--
			}
			out = append(out, block{kind: "h", level: lvl, parts: [][2]int{{hs, max(hs, he)}}})
		case bullet(trimmed):
			wasPara := inPara
			endPara()
			item := [2]int{ls + 2, le}
			if n := len(out); !wasPara && n > 0 && out[n-1].kind == "ul" && !blankBefore(body, off) {
				out[n-1].parts = append(out[n-1].parts, item)
			} else {
				out = append(out, block{kind: "ul", parts: [][2]int{item}})
			}
		default:
			if n := len(out); !inPara && n > 0 && out[n-1].kind == "ul" && !blankBefore(body, off) {
				// A continuation line of the last list item.
				items := out[n-1].parts
				items[len(items)-1][1] = le
			} else if inPara {
				para[1] = le
			} else {
				para, inPara = [2]int{ls, le}, true
			}
		}
		off = next
	}
	endPara()
	return out
}

func heading(line string) int {
	n := 0
	for n < len(line) && n < 7 && line[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n >= len(line) || line[n] != ' ' {
		return 0
	}
	return n
}

func bullet(line string) bool {
	return len(line) > 2 && (line[0] == '-' || line[0] == '*' || line[0] == '+') && line[1] == ' '
}

// blankBefore reports whether the line before the one at off is blank.
func blankBefore(body string, off int) bool {
	if off < 2 {
		return true
	}
	prev := strings.LastIndexByte(body[:off-1], '\n')
	return strings.TrimSpace(body[prev+1:off-1]) == ""
}

// rich renders the body as the reader will see its structure, with marks.
func rich(body string, marks []mark) template.HTML {
	var b strings.Builder
	for _, bl := range blocks(body) {
		switch bl.kind {
		case "h":
			lvl := strconv.Itoa(min(bl.level+1, 6))
			b.WriteString("<h" + lvl + ` class="body-heading">`)
			markup(&b, body, bl.parts[0][0], bl.parts[0][1], marks)
			b.WriteString("</h" + lvl + ">\n")
		case "ul":
			b.WriteString("<ul>\n")
			for _, it := range bl.parts {
				b.WriteString("<li>")
				markup(&b, body, it[0], it[1], marks)
				b.WriteString("</li>\n")
			}
			b.WriteString("</ul>\n")
		default:
			b.WriteString("<p>")
			markup(&b, body, bl.parts[0][0], bl.parts[0][1], marks)
			b.WriteString("</p>\n")
		}
	}
	return template.HTML(b.String()) //nolint:gosec // markup escapes the text
}
