package publishing

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
)

// The first version of the service kept four facts the Publication message
// had no fields for as protobuf fields the generated type did not know
// (numbers 1001–1004, which proto keeps through Unmarshal and Marshal as
// unknown fields). The message now has real fields for them: cleared (11),
// seen_revision (12), withdrawn_revision (13) and withdrawn_seq (14).
// upgrade moves a record written by that version onto the real fields the
// first time the record is read for a change, so no stored publication
// loses its cleared revision. Every update function calls it first; it
// costs nothing on records that have no unknown fields.
const (
	legacyCleared           protowire.Number = 1001 // newsroom.article.v1.Article
	legacySeenRevision      protowire.Number = 1002 // int64
	legacyWithdrawnRevision protowire.Number = 1003 // int64
	legacyWithdrawnSeq      protowire.Number = 1004 // int64
)

// upgrade moves the legacy fields of p into its real fields (a real field
// already set wins) and drops them, keeping any other unknown field. A
// malformed legacy field is dropped: the worst case is a publication with
// nothing publishable, which the next clear repairs.
func upgrade(p *publishingv1.Publication) {
	b := p.ProtoReflect().GetUnknown()
	if len(b) == 0 {
		return
	}
	var keep []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			break
		}
		field, val := b[:n+m], b[n:n+m]
		b = b[n+m:]
		switch {
		case num == legacyCleared && typ == protowire.BytesType:
			raw, _ := protowire.ConsumeBytes(val)
			a := &articlev1.Article{}
			if proto.Unmarshal(raw, a) == nil && p.Cleared == nil {
				p.Cleared = a
			}
		case (num == legacySeenRevision || num == legacyWithdrawnRevision || num == legacyWithdrawnSeq) && typ == protowire.VarintType:
			v, _ := protowire.ConsumeVarint(val)
			dst := map[protowire.Number]*int64{
				legacySeenRevision:      &p.SeenRevision,
				legacyWithdrawnRevision: &p.WithdrawnRevision,
				legacyWithdrawnSeq:      &p.WithdrawnSeq,
			}[num]
			if *dst == 0 {
				*dst = int64(v)
			}
		case num >= legacyCleared && num <= legacyWithdrawnSeq:
			// A legacy number with the wrong wire type: drop it.
		default:
			keep = append(keep, field...)
		}
	}
	p.ProtoReflect().SetUnknown(keep)
}
