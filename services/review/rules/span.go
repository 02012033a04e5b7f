package rules

import "unicode/utf8"

// ContextBytes is about how much text a span carries on each side, cut back
// to a rune boundary so it is always valid UTF-8.
const ContextBytes = 40

// Span is one match in a field's text. Offsets are half-open, in bytes
// (Start, End) and in runes (RuneStart, RuneEnd), into the text of Field.
type Span struct {
	Field              string
	Start, End         int
	RuneStart, RuneEnd int
	Text               string
	Before, After      string
	// Key identifies the passage for carrying decisions over: see spanKey.
	Key string
}

func makeSpan(text string, start, end int) Span {
	sp := Span{Start: start, End: end, Text: text[start:end]}
	b := max(start-ContextBytes, 0)
	for b < start && !utf8.RuneStart(text[b]) {
		b++
	}
	e := min(end+ContextBytes, len(text))
	for e > end && e < len(text) && !utf8.RuneStart(text[e]) {
		e--
	}
	sp.Before, sp.After = text[b:start], text[end:e]
	return sp
}
