package simpleindex

import (
	"strings"
	"unicode"
)

// Tokens splits s into lower-case runs of Unicode letters and digits and
// drops English stop words, which say nothing about a story's topic.
func Tokens(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		t := strings.ToLower(f)
		if _, stop := stopWords[t]; stop {
			continue
		}
		out = append(out, t)
	}
	return out
}

// stopWords are common English function words, plus the fragments that
// apostrophes and Markdown links leave behind ("s", "t", "https").
var stopWords = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range strings.Fields(`
		a about above after again against all also am an and any are as at
		be because been before being below between both but by can could
		did do does doing down during each few for from further had has have
		having he her here hers herself him himself his how i if in into is it
		its itself just me more most my myself no nor not now of off on once
		only or other our ours ourselves out over own same she should so some
		such than that the their theirs them themselves then there these they
		this those through to too under until up very was we were what when
		where which while who whom why will with would you your yours
		yourself yourselves said says s t d ll m re ve http https www com`) {
		m[w] = struct{}{}
	}
	return m
}()
