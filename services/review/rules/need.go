package rules

import (
	"regexp/syntax"
	"unicode/utf8"
)

// need is what every match of a pattern holds, worked out from the
// expression: a scope without it cannot match, so the expression does not
// run there. It is a cheap necessary condition, not a full literal
// analysis: a phone-number pattern needs seven digits, an e-mail pattern
// an "@" and a ".".
type need struct {
	digits int
	bytes  []byte
}

func needOf(expr string) need {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return need{}
	}
	re = re.Simplify()
	var n need
	n.digits = minDigits(re)
	set := requiredBytes(re)
	for c := 0; c < 256; c++ {
		if set[c] {
			n.bytes = append(n.bytes, byte(c))
		}
	}
	return n
}

// minDigits is the least number of ASCII digits any match holds.
func minDigits(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if r >= '0' && r <= '9' {
				n++
			}
		}
		return n
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return 0
		}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] < '0' || re.Rune[i+1] > '9' {
				return 0
			}
		}
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minDigits(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minDigits(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += minDigits(s)
		}
		return n
	case syntax.OpAlternate:
		m := -1
		for _, s := range re.Sub {
			if d := minDigits(s); m < 0 || d < m {
				m = d
			}
		}
		return max(m, 0)
	}
	return 0
}

// requiredBytes is the set of ASCII bytes every match holds.
func requiredBytes(re *syntax.Regexp) (set [256]bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return
		}
		for _, r := range re.Rune {
			if r < utf8.RuneSelf {
				set[r] = true
			}
		}
	case syntax.OpCharClass:
		if len(re.Rune) == 2 && re.Rune[0] == re.Rune[1] && re.Rune[0] < utf8.RuneSelf {
			set[re.Rune[0]] = true
		}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredBytes(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min > 0 {
			return requiredBytes(re.Sub[0])
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			sub := requiredBytes(s)
			for c, ok := range sub {
				set[c] = set[c] || ok
			}
		}
	case syntax.OpAlternate:
		for i, s := range re.Sub {
			sub := requiredBytes(s)
			for c := range set {
				set[c] = sub[c] && (i == 0 || set[c])
			}
		}
	}
	return
}

// holds reports whether text can hold a match.
func (n need) holds(text string) bool {
	for _, c := range n.bytes {
		found := false
		for i := 0; i < len(text); i++ {
			if text[i] == c {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if n.digits == 0 {
		return true
	}
	d := 0
	for i := 0; i < len(text); i++ {
		if c := text[i]; c >= '0' && c <= '9' {
			if d++; d >= n.digits {
				return true
			}
		}
	}
	return false
}
