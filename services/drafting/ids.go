package drafting

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// idAlphabet is Crockford's base32 in lower case: URL-safe, no look-alike
// letters, and in ASCII order, so ids sort in the order they were made.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// IDLen is the length of an article id: 10 characters of millisecond time
// (50 bits, good for 35,000 years) and 6 of randomness (30 bits).
const IDLen = 16

// idGen makes time-ordered ids. Within one process ids are strictly
// increasing even when the clock stands still (a fake clock) or steps back:
// the random part of a repeat millisecond is the previous one plus one.
// Across replicas ids made in the same millisecond may sort either way,
// which "newest first" can tolerate.
type idGen struct {
	mu   sync.Mutex
	ms   uint64
	rand uint64
}

func newIDGen() *idGen { return &idGen{} }

const randBits = 30

func (g *idGen) next(now time.Time) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := uint64(max(now.UnixMilli(), 0))
	if ms <= g.ms {
		ms = g.ms
		g.rand++
		if g.rand >= 1<<randBits {
			// 2^30 ids in one millisecond: borrow the next millisecond.
			ms++
			g.rand = randN()
		}
	} else {
		g.rand = randN()
	}
	g.ms = ms
	var b [IDLen]byte
	encode(b[:10], ms)
	encode(b[10:], g.rand)
	return string(b[:])
}

// randN is a random 30-bit number with its top bit clear, leaving room for
// increments within one millisecond.
func randN() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) & (1<<(randBits-1) - 1)
}

// encode writes v into dst as big-endian base32, most significant first.
func encode(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = idAlphabet[v&31]
		v >>= 5
	}
}

// validID reports whether s looks like an id this service made; other
// strings cannot name an article and need no lookup.
func validID(s string) bool {
	if len(s) != IDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}
