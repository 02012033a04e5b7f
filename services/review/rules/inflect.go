package rules

import "strings"

// inflections returns w and its regular plural / third-person, past and
// -ing forms. It over-generates on purpose (a form no one writes simply never
// matches) but never adds "-es" where English would not, so "war" does not
// become "wares".
func inflections(w string) []string {
	out := []string{w}
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	n := len(w)
	if n < 2 {
		return out
	}
	last := w[n-1]
	consonantY := last == 'y' && !isVowel(w[n-2])
	switch {
	case strings.HasSuffix(w, "s") || strings.HasSuffix(w, "x") || strings.HasSuffix(w, "z") ||
		strings.HasSuffix(w, "ch") || strings.HasSuffix(w, "sh"):
		add(w + "es")
	case consonantY:
		add(w[:n-1] + "ies")
	default:
		add(w + "s")
	}
	switch {
	case last == 'e':
		add(w + "d")
		if !strings.HasSuffix(w, "ee") {
			add(w[:n-1] + "ing")
		} else {
			add(w + "ing")
		}
	case consonantY:
		add(w[:n-1] + "ied")
		add(w + "ing")
	default:
		add(w + "ed")
		add(w + "ing")
		if doubles(w) {
			add(w + w[n-1:] + "ed")
			add(w + w[n-1:] + "ing")
		}
	}
	return out
}

func isVowel(c byte) bool { return strings.IndexByte("aeiou", c) >= 0 }

// doubles reports a consonant-vowel-consonant ending, whose final consonant
// doubles before a suffix ("ban" → "banned"); both forms are generated.
func doubles(w string) bool {
	n := len(w)
	if n < 3 {
		return false
	}
	a, b, c := w[n-3], w[n-2], w[n-1]
	return !isVowel(a) && isVowel(b) && !isVowel(c) && strings.IndexByte("wxy", c) < 0 &&
		c >= 'a' && c <= 'z' && a >= 'a' && a <= 'z'
}
