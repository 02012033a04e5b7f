package index

import (
	"bufio"
	"embed"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Named entities — people, places, organisations — are found without a
// model: runs of capitalised words ("Lucia Alvarez", "Bank of England"),
// cut at titles ("Mayor"), stop words and dates, plus three small
// gazetteers shipped in data/ that give countries, cities and
// organisations one name each ("U.S.", "US", "America" and "American" are
// all "united states"). A capitalised word alone at the start of a
// sentence counts only if the story capitalises it elsewhere too, so
// "Officials said" yields nothing. Headlines in Title Case or CAPITALS say
// nothing by their capitals, so only gazetteer names are taken from them.
//
// Entities are normalised to lower case words separated by single spaces;
// a two- or three-word name also yields its last word ("alvarez"), so a
// story that says "Alvarez" matches one that says "Mayor Lucia Alvarez".

//go:embed data/*.txt
var gazetteerFiles embed.FS

type gazEntry struct {
	name    string // canonical name
	acronym bool   // the alias matches only when written in capitals
}

// gazetteer maps a normalised alias to its entity.
var gazetteer = loadGazetteer()

// gazMaxWords is the longest alias, in words; gazFirst maps the first
// word of each alias to the longest alias it starts.
var (
	gazMaxWords = 1
	gazFirst    = map[string]int{}
)

func loadGazetteer() map[string]gazEntry {
	g := map[string]gazEntry{}
	files, err := gazetteerFiles.ReadDir("data")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		file, err := gazetteerFiles.Open("data/" + f.Name())
		if err != nil {
			panic(err)
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			parts := strings.Split(line, "|")
			canon := normName(parts[0])
			for _, p := range parts {
				p = strings.TrimSpace(p)
				key := normName(p)
				if key == "" {
					continue
				}
				acronym := p == strings.ToUpper(p) && p != strings.ToLower(p)
				if old, ok := g[key]; ok && !old.acronym {
					continue // the first, case-insensitive reading wins
				}
				g[key] = gazEntry{name: canon, acronym: acronym}
				words := strings.Count(key, " ") + 1
				gazMaxWords = max(gazMaxWords, words)
				first, _, _ := strings.Cut(key, " ")
				gazFirst[first] = max(gazFirst[first], words)
			}
		}
		file.Close()
	}
	return g
}

// normName is the normal form of a name: its words' terms, lower case,
// joined by single spaces.
func normName(s string) string {
	ws := splitWords(strings.ReplaceAll(s, "-", " "), nil)
	terms := make([]string, len(ws))
	for i, w := range ws {
		terms[i] = w.term
	}
	return strings.Join(terms, " ")
}

// titles are words that precede a name but are not part of it.
var titles = setOf(`
	mayor president vice minister prime premier governor gov senator sen
	representative rep congressman congresswoman chancellor king queen
	prince princess pope general gen judge justice chief executive chairman
	chairwoman chair director secretary spokesman spokeswoman spokesperson
	officer inspector detective coach captain capt lt col colonel sergeant
	sgt mr mrs ms miss dr prof professor sir dame lord lady rev father
	bishop archbishop councillor councilman councilwoman councilor
	commissioner superintendent sheriff deputy ambassador ceo cfo manager
	head leader foreign finance defence defense interior health economy
	trade agriculture energy state attorney treasurer auditor speaker
	analyst analysts officials official police`)

// notNames are capitalised words that start sentences or name dates.
var notNames = setOf(`
	monday tuesday wednesday thursday friday saturday sunday january
	february march april may june july august september october november
	december jan feb mar apr jun jul aug sep sept oct nov dec today
	yesterday tomorrow tonight however meanwhile still yet even last next
	many several some one two three four five six seven eight nine ten
	first second third according under asked told says said
	reuters ap afp update analysis`)

// connectors may join the words of one name: "Bank of England".
var connectors = setOf(`of de del della da das dos du van von der den la le bin al el y`)

// acronymsInCapitals are acronyms that are also common words, which text in
// capitals cannot tell apart.
var acronymsInCapitals = setOf(`us who it am in or as at an la au dc`)

func setOf(s string) map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range strings.Fields(s) {
		m[w] = struct{}{}
	}
	return m
}

func has(m map[string]struct{}, k string) bool { _, ok := m[k]; return ok }

// entityScratch gathers one story's entities.
type entityScratch struct {
	found   []string            // each once; finish sorts them
	seen    [foundSlots]uint32  // open addressing over found: index+1
	midCaps map[string]struct{} // single words capitalised mid-sentence
	pending []string            // single capitalised words that start a sentence
	joined  []byte              // addJoined's scratch
	sl      *slab               // where names are copied to (nil: allocated one by one)
}

func (e *entityScratch) reset() {
	if e.midCaps == nil {
		e.midCaps = map[string]struct{}{}
	}
	e.found = e.found[:0]
	clear(e.seen[:])
	clear(e.midCaps)
	e.pending = e.pending[:0]
}

// field extracts the entities of one field's words.
func (e *entityScratch) field(ws []word) {
	if shouting(ws) {
		e.gazetteerOnly(ws)
		return
	}
	for i := 0; i < len(ws); {
		if !ws[i].capital {
			i++
			continue
		}
		j := i + 1
		for j < len(ws) && ws[j].joined {
			if ws[j].capital {
				j++
				continue
			}
			// A connector continues the name only if a capitalised word follows.
			if ws[j].lex().kinds&lexConnector != 0 && j+1 < len(ws) && ws[j+1].joined && ws[j+1].capital {
				j += 2
				continue
			}
			break
		}
		e.run(ws[i:j])
		i = j
	}
}

// run handles one run of capitalised words (and connectors): it is cut at
// titles, stop words and dates, except inside a gazetteer name ("The
// Hague", "Islamic State").
func (e *entityScratch) run(ws []word) {
	start := 0
	for i := 0; i < len(ws); {
		if n, _ := gazMatch(ws[i:], false); n > 0 {
			i += n
			continue
		}
		if k := ws[i].lex().kinds; k&(lexTitle|lexNotName) != 0 || ws[i].stop && k&lexConnector == 0 {
			e.piece(ws[start:i])
			start = i + 1
		}
		i++
	}
	e.piece(ws[start:])
}

// piece splits a run cut at titles and stop words into gazetteer names
// and other names. A name with a connector in it ("University of
// Chicago") is one name, though the gazetteer names in it count too.
func (e *entityScratch) piece(ws []word) {
	ws = trimConnectors(ws)
	if len(ws) == 0 {
		return
	}
	n, _ := gazMatch(ws, false)
	whole := n == len(ws)
	connected := false
	for i := range ws {
		connected = connected || ws[i].lex().kinds&lexConnector != 0
	}
	if connected && !whole {
		e.addJoined(ws)
	}
	name := 0 // start of the words not matched by the gazetteer
	for i := 0; i < len(ws); {
		if n, g := gazMatch(ws[i:], false); n > 0 {
			if !connected {
				e.name(ws[name:i])
			}
			e.add(g.name)
			i += n
			name = i
			continue
		}
		i++
	}
	if !connected {
		e.name(ws[name:])
	}
}

func trimConnectors(ws []word) []word {
	for len(ws) > 0 && ws[0].lex().kinds&lexConnector != 0 {
		ws = ws[1:]
	}
	for len(ws) > 0 && ws[len(ws)-1].lex().kinds&lexConnector != 0 {
		ws = ws[:len(ws)-1]
	}
	return ws
}

// name records a name the gazetteer does not know.
func (e *entityScratch) name(ws []word) {
	ws = trimConnectors(ws)
	switch {
	case len(ws) == 0:
		return
	case len(ws) == 1:
		t := ws[0].term
		if len(t) < 2 || ws[0].digits || ws[0].stop {
			return
		}
		if ws[0].sentStart {
			e.pending = append(e.pending, t)
			return
		}
		e.midCaps[t] = struct{}{}
		e.add(t)
		return
	}
	full := e.addJoined(ws)
	if len(ws) <= 3 && !strings.ContainsFunc(full, func(r rune) bool { return r >= '0' && r <= '9' }) {
		last := &ws[len(ws)-1]
		if len(last.term) > 2 && last.lex().kinds&lexConnector == 0 {
			e.add(last.term)
		}
	}
}

// foundSlots sizes the set of names found in a story; past half of it,
// add keeps repeats, which finish removes.
const foundSlots = 256

// add records a name once: a story names the same people and places
// again and again, and a set here is cheaper than sorting the repeats.
func (e *entityScratch) add(name string) {
	if name == "" {
		return
	}
	if len(e.found) >= foundSlots/2 {
		e.found = append(e.found, name)
		return
	}
	if i, v := e.probe(name); v == 0 {
		e.seen[i] = uint32(len(e.found) + 1)
		e.found = append(e.found, name)
	}
}

// probe returns the slot of name in seen and its value there: the index+1
// in found of name, or 0 (an empty slot) if name is not there.
func (e *entityScratch) probe(name string) (uint64, uint32) {
	const mask = foundSlots - 1
	for i := hashString(name) & mask; ; i = (i + 1) & mask {
		if v := e.seen[i]; v == 0 || e.found[v-1] == name {
			return i, v
		}
	}
}

// addJoined adds the terms of ws joined by single spaces, and returns
// them. A story repeats its names, so the name is built in scratch space
// and copied only the first time: a repeat returns the copy kept.
func (e *entityScratch) addJoined(ws []word) string {
	if len(ws) == 1 {
		e.add(ws[0].term)
		return ws[0].term
	}
	b := e.joined[:0]
	for i := range ws {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, ws[i].term...)
	}
	e.joined = b
	if len(e.found) < foundSlots/2 {
		if _, v := e.probe(unsafe.String(unsafe.SliceData(b), len(b))); v != 0 {
			return e.found[v-1]
		}
	}
	c := e.sl.byteSlice(len(b))
	copy(c, b)
	name := unsafe.String(unsafe.SliceData(c), len(c))
	e.add(name)
	return name
}

// finish settles the sentence-initial single words and appends the
// entities found to out, sorted, each once.
func (e *entityScratch) finish(out []string) []string {
	for _, t := range e.pending {
		if has(e.midCaps, t) {
			e.add(t)
		} else if g, ok := gazetteer[t]; ok && !g.acronym {
			e.add(g.name)
		}
	}
	slices.Sort(e.found)
	return append(out, slices.Compact(e.found)...)
}

// gazetteerOnly takes the gazetteer names of a field in capitals or Title
// Case.
func (e *entityScratch) gazetteerOnly(ws []word) {
	for i := 0; i < len(ws); {
		if n, g := gazMatch(ws[i:], true); n > 0 {
			e.add(g.name)
			i += n
			continue
		}
		i++
	}
}

// gazMatch returns the number of words of the longest gazetteer name that
// ws starts with, and its entry, or 0.
func gazMatch(ws []word, caps bool) (int, gazEntry) {
	if len(ws) == 0 {
		return 0, gazEntry{}
	}
	first := ws[0].lex()
	if first.gazWords == 0 {
		return 0, gazEntry{}
	}
	for n := min(int(first.gazWords), len(ws)); n > 0; n-- {
		if n > 1 && !ws[n-1].joined {
			continue
		}
		ok := true
		for k := 1; k < n; k++ {
			if !ws[k].joined {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		g, found := gazTable.getWords(ws[:n])
		if !found {
			continue
		}
		if g.acronym {
			if caps && n == 1 && first.kinds&lexCapsWord != 0 {
				continue
			}
			if !upper(ws[:n]) {
				continue
			}
		}
		return n, g
	}
	return 0, gazEntry{}
}

// capitalised reports whether s starts with an upper-case letter.
func capitalised(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if c < 0x80 {
		return c >= 'A' && c <= 'Z'
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

func upper(ws []word) bool {
	for i := range ws {
		if !ws[i].upper {
			return false
		}
	}
	return true
}

// upperText reports whether s has no lower-case letter.
func upperText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			return false
		}
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				if unicode.IsLower(r) {
					return false
				}
			}
			return true
		}
	}
	return true
}

// shouting reports whether a field is in capitals, or is one short
// sentence (a headline) in Title Case: either way its capitals say
// nothing.
func shouting(ws []word) bool {
	content, caps, allCaps, sentences := 0, 0, 0, 0
	for i := range ws {
		w := &ws[i] // not a copy of each word
		if w.sentStart {
			sentences++
		}
		if w.stop || w.digits {
			continue
		}
		content++
		if w.capital {
			caps++
			if len(w.text) > 1 && w.upper {
				allCaps++
			}
		}
	}
	if content < 3 {
		return false
	}
	return allCaps*10 >= content*7 || sentences <= 1 && content <= 16 && caps*10 >= content*7
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
