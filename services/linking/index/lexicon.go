package index

import "strings"

// Entity extraction asks of each word of a capitalised run whether it is
// a title, a date or other non-name, a connector, or the start of a
// gazetteer name, and looks names up in the gazetteer. The word lists and
// the gazetteer are maps by text; lexicon and gazTable hold the same
// facts in open-addressing tables keyed by the terms' hashes, which the
// words carry already (word.hash), so a word costs one probe and no
// string is built to look up a name of several words.

// Kinds of term, for entity extraction.
const (
	lexTitle     = 1 << iota // in titles
	lexNotName               // in notNames
	lexConnector             // in connectors
	lexCapsWord              // in acronymsInCapitals
	// lexKnown marks a word's cached entry (word.lx) as looked up.
	lexKnown = 1 << 7
)

// lexEntry is what the lexicon knows of a term.
type lexEntry struct {
	kinds uint8
	// gazWords is the length, in words, of the longest gazetteer name
	// the term starts (gazFirst), 0 if none.
	gazWords uint8
}

var lexicon = func() *strTable[lexEntry] {
	t := &strTable[lexEntry]{}
	m := map[string]lexEntry{}
	for _, s := range []struct {
		set  map[string]struct{}
		kind uint8
	}{{titles, lexTitle}, {notNames, lexNotName}, {connectors, lexConnector}, {acronymsInCapitals, lexCapsWord}} {
		for w := range s.set {
			e := m[w]
			e.kinds |= s.kind
			m[w] = e
		}
	}
	// gazFirst is filled in as gazetteer is loaded: naming gazetteer here
	// makes Go initialise it first.
	_ = gazetteer
	for w, n := range gazFirst {
		e := m[w]
		e.gazWords = uint8(min(n, 255))
		m[w] = e
	}
	t.init(len(m))
	for k, v := range m {
		t.put(k, v)
	}
	return t
}()

var gazTable = func() *strTable[gazEntry] {
	t := &strTable[gazEntry]{}
	t.init(len(gazetteer))
	for k, v := range gazetteer {
		t.put(k, v)
	}
	return t
}()

// lex returns what the lexicon knows of w's term. Entity extraction asks
// it of a capitalised word several times over (run, piece, name and
// trimConnectors each ask), so the first answer is kept in the word.
func (w *word) lex() lexEntry {
	if w.lx.kinds&lexKnown == 0 {
		w.lx, _ = lexicon.get(w.term, w.hash)
		w.lx.kinds |= lexKnown
	}
	return w.lx
}

// strTable is a read-only open-addressing hash table from strings to V,
// probed with hashString of the key.
type strTable[V any] struct {
	slots []strSlot[V]
	mask  uint64
}

type strSlot[V any] struct {
	h    uint64
	key  string
	v    V
	used bool
}

func (t *strTable[V]) init(n int) {
	size := 16
	for size < 4*n {
		size *= 2
	}
	t.slots = make([]strSlot[V], size)
	t.mask = uint64(size - 1)
}

func (t *strTable[V]) put(key string, v V) {
	h := hashString(key)
	i := h & t.mask
	for t.slots[i].used && t.slots[i].key != key {
		i = (i + 1) & t.mask
	}
	t.slots[i] = strSlot[V]{h: h, key: key, v: v, used: true}
}

// get looks key, whose hash is h, up.
func (t *strTable[V]) get(key string, h uint64) (V, bool) {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if !s.used {
			var zero V
			return zero, false
		}
		if s.h == h && s.key == key {
			return s.v, true
		}
	}
}

// getWords looks up the terms of ws joined by single spaces (addJoined),
// without joining them.
func (t *strTable[V]) getWords(ws []word) (V, bool) {
	if len(ws) == 1 {
		return t.get(ws[0].term, ws[0].hash)
	}
	h := uint64(fnvOffset)
	for k := range ws {
		if k > 0 {
			h = (h ^ ' ') * fnvPrime
		}
		t := ws[k].term
		for i := 0; i < len(t); i++ {
			h = (h ^ uint64(t[i])) * fnvPrime
		}
	}
	h = mix(h)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if !s.used {
			var zero V
			return zero, false
		}
		if s.h == h && joins(s.key, ws) {
			return s.v, true
		}
	}
}

// joins reports whether key is the terms of ws joined by single spaces.
func joins(key string, ws []word) bool {
	for k := range ws {
		if k > 0 {
			if key == "" || key[0] != ' ' {
				return false
			}
			key = key[1:]
		}
		t := ws[k].term
		if !strings.HasPrefix(key, t) {
			return false
		}
		key = key[len(t):]
	}
	return key == ""
}
