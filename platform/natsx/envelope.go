package natsx

import (
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// envelope is how a record sits in KV: the protobuf value and the events
// that are written but maybe not yet published.
//
// It is stored in a small binary layout (binaryEnvelope, then protobuf
// wire format: field 1 the value, field 2 each pending event with its
// subject, id, type and data as fields 1 to 4, field 3 the id of the
// writer that stored the events, for its watermark). Earlier versions stored it
// as JSON (base64 inside JSON), which cost a tenth of the pipeline's CPU to
// decode; records in that layout (they start with '{') are still read, and
// are rewritten in the binary one by their next change.
type envelope struct {
	Value   []byte    `json:"v"`
	Pending []pending `json:"p,omitempty"`
	// Writer is the id of the Store that wrote the pending events (field
	// 3), whose watermark says whether they are published (see marks).
	Writer string `json:"-"`
}

type pending struct {
	Subject string `json:"s"`
	ID      string `json:"i"`
	Type    string `json:"t"`
	Data    []byte `json:"d"`
}

// binaryEnvelope is the first byte of a record in the binary layout; JSON
// never starts with it.
const binaryEnvelope = 0x01

func (e *envelope) marshal() []byte {
	size := 1 + protowire.SizeTag(1) + protowire.SizeBytes(len(e.Value))
	for _, p := range e.Pending {
		size += protowire.SizeTag(2) + protowire.SizeBytes(p.size())
	}
	if e.Writer != "" && len(e.Pending) > 0 {
		size += protowire.SizeTag(3) + protowire.SizeBytes(len(e.Writer))
	}
	b := make([]byte, 0, size)
	b = append(b, binaryEnvelope)
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, e.Value)
	for _, p := range e.Pending {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(p.size()))
		b = p.append(b)
	}
	if e.Writer != "" && len(e.Pending) > 0 {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendString(b, e.Writer)
	}
	return b
}

func (p *pending) size() int {
	return protowire.SizeTag(1) + protowire.SizeBytes(len(p.Subject)) +
		protowire.SizeTag(2) + protowire.SizeBytes(len(p.ID)) +
		protowire.SizeTag(3) + protowire.SizeBytes(len(p.Type)) +
		protowire.SizeTag(4) + protowire.SizeBytes(len(p.Data))
}

func (p *pending) append(b []byte) []byte {
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, p.Subject)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, p.ID)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendString(b, p.Type)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	return protowire.AppendBytes(b, p.Data)
}

var errEnvelope = errors.New("malformed envelope")

// unmarshalEnvelope reads a record in either layout. The slices it returns
// alias raw.
func unmarshalEnvelope(raw []byte) (envelope, error) {
	var e envelope
	if len(raw) > 0 && raw[0] == '{' {
		err := json.Unmarshal(raw, &e)
		return e, err
	}
	if len(raw) == 0 || raw[0] != binaryEnvelope {
		return e, errEnvelope
	}
	err := eachField(raw[1:], func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			e.Value = v
		case 2:
			var p pending
			if err := eachField(v, func(num protowire.Number, v []byte) error {
				switch num {
				case 1:
					p.Subject = string(v)
				case 2:
					p.ID = string(v)
				case 3:
					p.Type = string(v)
				case 4:
					p.Data = v
				}
				return nil
			}); err != nil {
				return err
			}
			e.Pending = append(e.Pending, p)
		case 3:
			e.Writer = string(v)
		}
		return nil
	})
	return e, err
}

// eachField calls fn with every length-delimited field of b, in order; it
// skips fields of other wire types (none are written).
func eachField(b []byte, fn func(protowire.Number, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %w", errEnvelope, protowire.ParseError(n))
		}
		b = b[n:]
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return fmt.Errorf("%w: %w", errEnvelope, protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return fmt.Errorf("%w: %w", errEnvelope, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, v); err != nil {
			return err
		}
	}
	return nil
}
