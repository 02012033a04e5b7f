package natsx

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// A record written in the binary layout reads back the same, and a record
// in the JSON layout earlier versions wrote reads as the same envelope.
func TestEnvelopeLayouts(t *testing.T) {
	for _, e := range []envelope{
		{Value: []byte("value")},
		{Value: []byte{}},
		{Value: []byte("v\x00\xff"), Pending: []pending{
			{Subject: "newsroom.drafting.article.updated", ID: "a1/2/updated", Type: "newsroom.drafting.v1.ArticleUpdated", Data: []byte{0x0a, 0x01, 0x00}},
			{Subject: "s2", ID: "i2", Type: "t2"},
		}},
	} {
		bin := e.marshal()
		if bin[0] != binaryEnvelope {
			t.Fatalf("binary layout starts with %#x", bin[0])
		}
		got, err := unmarshalEnvelope(bin)
		if err != nil {
			t.Fatal(err)
		}
		if !sameEnvelope(got, e) {
			t.Errorf("binary round trip: %+v, want %+v", got, e)
		}
		js, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err = unmarshalEnvelope(js)
		if err != nil {
			t.Fatal(err)
		}
		if !sameEnvelope(got, e) {
			t.Errorf("JSON layout: %+v, want %+v", got, e)
		}
	}
}

func TestEnvelopeMalformed(t *testing.T) {
	whole := (&envelope{Value: []byte("value"), Pending: []pending{{Subject: "s", ID: "i", Type: "t", Data: []byte("d")}}}).marshal()
	for name, raw := range map[string][]byte{
		"empty":          nil,
		"unknown layout": []byte("\x02abc"),
		"truncated":      whole[:len(whole)-1],
		"bad length":     {binaryEnvelope, 0x0a, 0x7f},
	} {
		if _, err := unmarshalEnvelope(raw); !errors.Is(err, errEnvelope) {
			t.Errorf("%s: err %v, want errEnvelope", name, err)
		}
	}
	if _, err := unmarshalEnvelope([]byte(`{"v":`)); err == nil {
		t.Error("truncated JSON decoded")
	}
}

func sameEnvelope(a, b envelope) bool {
	if string(a.Value) != string(b.Value) || len(a.Pending) != len(b.Pending) {
		return false
	}
	for i := range a.Pending {
		x, y := a.Pending[i], b.Pending[i]
		if len(x.Data) == 0 && len(y.Data) == 0 {
			x.Data, y.Data = nil, nil
		}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// The writer of pending events is kept in the binary layout (field 3),
// after the events, so earlier versions, which skip unknown fields, read
// the record as before; without events no writer is written.
func TestEnvelopeWriter(t *testing.T) {
	e := envelope{Value: []byte("v"), Pending: []pending{{Subject: "s", ID: "i", Type: "t"}}, Writer: "w1"}
	bin := e.marshal()
	got, err := unmarshalEnvelope(bin)
	if err != nil || got.Writer != "w1" || !sameEnvelope(got, e) {
		t.Errorf("round trip: %+v, %v; want %+v", got, err, e)
	}
	if len(bin) != cap(bin) {
		t.Errorf("marshal sized %d for %d bytes", cap(bin), len(bin))
	}
	old := e
	old.Writer = ""
	if want := old.marshal(); string(bin[:len(want)]) != string(want) {
		t.Error("the writer is not appended after the layout earlier versions wrote")
	}
	if got, _ := unmarshalEnvelope((&envelope{Value: []byte("v"), Writer: "w1"}).marshal()); got.Writer != "" {
		t.Errorf("a record without events names writer %q", got.Writer)
	}
}
