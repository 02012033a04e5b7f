package simpleindex

import (
	"strings"
	"unicode"

	"newsroom.dev/services/linking/index"
)

// Tokens splits s into lower-case runs of Unicode letters and digits and
// drops English function words (the index's list), which say nothing
// about a story's topic.
func Tokens(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		t := strings.ToLower(f)
		if index.FunctionWord(t) {
			continue
		}
		out = append(out, t)
	}
	return out
}
