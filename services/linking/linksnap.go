package linking

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
)

// The reverse links go into the snapshot too, so that a replica starting
// from one need not replay all of linking-related (a protobuf message per
// story) to know which boxes show which story. The format: a magic whose
// last byte is the version; the distinct ids (articles and the stories
// their boxes show), sorted, each written once; then, per article links
// has seen, sorted: its id's number, the KV revision last applied, flags
// (box known, box full), the weakest score of a full box, and the numbers
// of the stories its box shows. Everything is a uvarint but the score.

var linksMagic = [8]byte{'N', 'R', 'L', 'L', 'N', 'K', 0, 1}

// errLinksFormat is returned for a links snapshot this version cannot read.
var errLinksFormat = errors.New("linking: not a links snapshot of this format")

const (
	linkShows   = 1 << iota // the article's box is known (shows holds it)
	linkWeakest             // the box is full (weakest holds its weakest score)
)

// writeTo writes the links to w. It holds the lock only to copy out the
// entries (a box's list is replaced, never changed in place, so it is
// shared, not copied).
func (l *links) writeTo(w io.Writer) error {
	type entry struct {
		article string
		rev     uint64
		stories []string
		shows   bool
		weakest float64
		full    bool
	}
	l.mu.Lock()
	es := make([]entry, 0, len(l.seen))
	for a, rev := range l.seen {
		e := entry{article: a, rev: rev}
		e.stories, e.shows = l.shows[a]
		e.weakest, e.full = l.weakest[a]
		es = append(es, e)
	}
	l.mu.Unlock()
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.article, b.article) })
	ids := make(map[string]uint64, len(es))
	for _, e := range es {
		ids[e.article] = 0
		for _, s := range e.stories {
			ids[s] = 0
		}
	}
	names := slices.Sorted(maps.Keys(ids))
	for i, n := range names {
		ids[n] = uint64(i)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var buf []byte
	buf = append(buf, linksMagic[:]...)
	buf = binary.AppendUvarint(buf, uint64(len(names)))
	for _, n := range names {
		buf = binary.AppendUvarint(buf, uint64(len(n)))
		buf = append(buf, n...)
		if len(buf) > 1<<16 {
			if _, err := bw.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	buf = binary.AppendUvarint(buf, uint64(len(es)))
	for _, e := range es {
		buf = binary.AppendUvarint(buf, ids[e.article])
		buf = binary.AppendUvarint(buf, e.rev)
		flags := byte(0)
		if e.shows {
			flags |= linkShows
		}
		if e.full {
			flags |= linkWeakest
		}
		buf = append(buf, flags)
		if e.full {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(e.weakest))
		}
		if e.shows {
			buf = binary.AppendUvarint(buf, uint64(len(e.stories)))
			for _, s := range e.stories {
				buf = binary.AppendUvarint(buf, ids[s])
			}
		}
		if len(buf) > 1<<16 {
			if _, err := bw.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	return bw.Flush()
}

// readLinks loads links that writeTo wrote.
func readLinks(r io.Reader) (*links, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var magic [8]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil || magic != linksMagic {
		return nil, errLinksFormat
	}
	fail := func(err error) (*links, error) {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("linking: read links snapshot: %w", err)
	}
	// count reads a length no larger than limit.
	count := func(limit uint64) (int, error) {
		n, err := binary.ReadUvarint(br)
		if err == nil && n > limit {
			err = errLinksFormat
		}
		return int(n), err
	}
	n, err := count(1 << 32)
	if err != nil {
		return fail(err)
	}
	names := make([]string, 0, min(n, 1<<20))
	for range n {
		k, err := count(1 << 20)
		if err != nil {
			return fail(err)
		}
		b := make([]byte, k)
		if _, err := io.ReadFull(br, b); err != nil {
			return fail(err)
		}
		names = append(names, string(b))
	}
	name := func() (string, error) {
		if len(names) == 0 {
			return "", errLinksFormat
		}
		i, err := count(uint64(len(names)) - 1)
		if err != nil {
			return "", err
		}
		return names[i], nil
	}
	l := newLinks()
	articles, err := count(uint64(len(names)))
	if err != nil {
		return fail(err)
	}
	for range articles {
		a, err := name()
		if err != nil {
			return fail(err)
		}
		rev, err := binary.ReadUvarint(br)
		if err != nil {
			return fail(err)
		}
		l.seen[a] = rev
		flags, err := br.ReadByte()
		if err != nil {
			return fail(err)
		}
		if flags&linkWeakest != 0 {
			var b [8]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return fail(err)
			}
			l.weakest[a] = math.Float64frombits(binary.LittleEndian.Uint64(b[:]))
		}
		if flags&linkShows != 0 {
			k, err := count(uint64(len(names)))
			if err != nil {
				return fail(err)
			}
			stories := make([]string, 0, k)
			for range k {
				s, err := name()
				if err != nil {
					return fail(err)
				}
				stories = append(stories, s)
				in := l.shownIn[s]
				if in == nil {
					in = map[string]struct{}{}
					l.shownIn[s] = in
				}
				in[a] = struct{}{}
			}
			l.shows[a] = stories
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, errLinksFormat
	}
	return l, nil
}

// replace makes l hold what o holds (o is not used after).
func (l *links) replace(o *links) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen, l.shows, l.shownIn, l.weakest = o.seen, o.shows, o.shownIn, o.weakest
}
