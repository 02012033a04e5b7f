package publishing

import (
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
)

// Publishing needs to remember more about an article than the Publication
// message has fields for: the cleared revision waiting to go live while an
// older one is still on the site, and how far the author has moved on, so a
// late ArticleCleared for a revision already edited or withdrawn is not
// taken as publishable. Those facts must change in the same compare-and-set
// as the Publication, so they ride in the record itself as protobuf fields
// the generated type does not know (proto keeps unknown fields through
// Unmarshal and Marshal). The field numbers are reserved for this use; if
// the Publication message gains these fields under the same numbers and
// types, stored records decode unchanged.
const (
	fieldCleared           protowire.Number = 1001 // newsroom.article.v1.Article
	fieldSeenRevision      protowire.Number = 1002 // int64
	fieldWithdrawnRevision protowire.Number = 1003 // int64
	fieldWithdrawnSeq      protowire.Number = 1004 // int64
)

// extra is the part of a publication's state kept in reserved fields.
type extra struct {
	// cleared is the cleared revision that may still be published, nil when
	// none is (never cleared, or superseded by the author's later work).
	cleared *articlev1.Article
	// seenRevision is the highest revision any drafting or review event
	// named; a clear of an older revision is stale.
	seenRevision int64
	// withdrawnRevision and withdrawnSeq place the latest withdrawal in the
	// article's history (its state_seq), so a clear of the same revision
	// made before the withdrawal is stale and one made after is not.
	withdrawnRevision int64
	withdrawnSeq      int64
}

var reserved = []protowire.Number{fieldCleared, fieldSeenRevision, fieldWithdrawnRevision, fieldWithdrawnSeq}

// readExtra decodes the reserved fields of p. Malformed ones are skipped:
// the worst case is a publication with nothing publishable, which the next
// clear repairs.
func readExtra(p *publishingv1.Publication) extra {
	var x extra
	b := p.ProtoReflect().GetUnknown()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			break
		}
		val := b[:m]
		b = b[m:]
		switch {
		case num == fieldCleared && typ == protowire.BytesType:
			raw, _ := protowire.ConsumeBytes(val)
			a := &articlev1.Article{}
			if proto.Unmarshal(raw, a) == nil {
				x.cleared = a
			}
		case typ == protowire.VarintType:
			v, _ := protowire.ConsumeVarint(val)
			switch num {
			case fieldSeenRevision:
				x.seenRevision = int64(v)
			case fieldWithdrawnRevision:
				x.withdrawnRevision = int64(v)
			case fieldWithdrawnSeq:
				x.withdrawnSeq = int64(v)
			}
		}
	}
	return x
}

// writeExtra replaces the reserved fields of p with x, keeping any other
// unknown fields a newer writer may have added.
func writeExtra(p *publishingv1.Publication, x extra) error {
	var out []byte
	b := p.ProtoReflect().GetUnknown()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			break
		}
		if !slices.Contains(reserved, num) {
			out = append(out, b[:n+m]...)
		}
		b = b[n+m:]
	}
	if x.cleared != nil {
		raw, err := proto.Marshal(x.cleared)
		if err != nil {
			return err
		}
		out = protowire.AppendTag(out, fieldCleared, protowire.BytesType)
		out = protowire.AppendBytes(out, raw)
	}
	for _, f := range []struct {
		num protowire.Number
		v   int64
	}{{fieldSeenRevision, x.seenRevision}, {fieldWithdrawnRevision, x.withdrawnRevision}, {fieldWithdrawnSeq, x.withdrawnSeq}} {
		if f.v != 0 {
			out = protowire.AppendTag(out, f.num, protowire.VarintType)
			out = protowire.AppendVarint(out, uint64(f.v))
		}
	}
	p.ProtoReflect().SetUnknown(out)
	return nil
}

// public returns a copy of p without the reserved fields, as callers see it.
func public(p *publishingv1.Publication) *publishingv1.Publication {
	c := proto.Clone(p).(*publishingv1.Publication)
	c.ProtoReflect().SetUnknown(nil)
	return c
}
