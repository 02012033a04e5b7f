package index

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestPrefix16 checks the word-at-a-time prefix against copying bytes.
func TestPrefix16(t *testing.T) {
	s := "abcdefghijklmnopqrstuvwxyz"
	for n := 0; n <= len(s); n++ {
		var buf [16]byte
		copy(buf[:], s[:n])
		var a, b uint64
		for i := 7; i >= 0; i-- {
			a = a<<8 | uint64(buf[i])
			b = b<<8 | uint64(buf[8+i])
		}
		if ga, gb := prefix16(s[:n]); ga != a || gb != b {
			t.Fatalf("prefix16(%q) = %x %x, want %x %x", s[:n], ga, gb, a, b)
		}
	}
}

// TestInternerPrefixes checks that an interner with prefixes on finds
// the same ids as one without, for strings short and long, sharing long
// prefixes, and absent, before and after the table grows; and that
// turning prefixes on in a filled interner keeps its ids.
func TestInternerPrefixes(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	str := func() string {
		var b strings.Builder
		b.WriteString([]string{"", "counter", "counterrevolution", "abcdefghijklmnop"}[r.IntN(4)])
		for range r.IntN(20) {
			b.WriteByte("abcz09"[r.IntN(6)])
		}
		return b.String()
	}
	var plain, pre, late interner
	pre.usePrefixes()
	for i := range 20000 {
		s := str()
		h := hashString(s)
		if i%3 == 0 {
			// Look up, maybe absent.
			id1, ok1 := plain.find(s, h)
			id2, ok2 := pre.find(s, h)
			if id1 != id2 || ok1 != ok2 {
				t.Fatalf("find(%q) = %d %v with prefixes, %d %v without", s, id2, ok2, id1, ok1)
			}
			continue
		}
		a, b, c := plain.intern(s, h), pre.intern(s, h), late.intern(s, h)
		if a != b || a != c {
			t.Fatalf("intern(%q) = %d with prefixes, %d without", s, b, a)
		}
		if i == 10000 {
			late.usePrefixes()
		}
	}
	var ss []string
	var hs []uint64
	for range 3000 {
		s := str()
		ss, hs = append(ss, s), append(hs, hashString(s))
	}
	want := make([]uint32, len(ss))
	plain.findAll(ss, hs, want)
	for _, in := range []*interner{&pre, &late} {
		got := make([]uint32, len(ss))
		in.findAll(ss, hs, got)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("findAll(%q) = %d with prefixes, %d without", ss[i], got[i], want[i])
			}
		}
	}
	found := 0
	for _, id := range want {
		if id != noTerm {
			found++
		}
	}
	if found < 100 || found > len(ss)-100 {
		t.Fatalf("%d of %d found: test strings too alike or too different", found, len(ss))
	}
}

// TestInternerReserve checks that a reserved interner takes its strings
// without growing its table, and finds them all, as well as ids added
// after the reserve was used up (the table grows again then).
func TestInternerReserve(t *testing.T) {
	var in interner
	in.intern("before", hashString("before"))
	in.reserve(5000)
	size := len(in.table)
	if size < 2*5001 {
		t.Fatalf("table of %d slots for 5001 strings", size)
	}
	id := func(i int) string { return "story-" + strconv.Itoa(i) }
	for i := range 5000 {
		s := id(i)
		if _, ok := in.find(s, hashString(s)); ok {
			t.Fatalf("%q found before it was added", s)
		}
		if got := in.add(s, hashString(s)); got != uint32(i+1) {
			t.Fatalf("add(%q) = %d, want %d", s, got, i+1)
		}
	}
	if len(in.table) != size {
		t.Fatalf("the table grew from %d to %d slots within the reserve", size, len(in.table))
	}
	for i := 5000; i < 12000; i++ {
		in.intern(id(i), hashString(id(i)))
	}
	for i := range 12000 {
		if got, ok := in.lookup(id(i)); !ok || got != uint32(i+1) {
			t.Fatalf("lookup(%q) = %d %v, want %d", id(i), got, ok, i+1)
		}
	}
	if got, ok := in.lookup("before"); !ok || got != 0 {
		t.Fatalf("lookup(before) = %d %v", got, ok)
	}
}
