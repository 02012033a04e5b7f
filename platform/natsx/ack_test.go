package natsx

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// parsePubAck reads every ack the way the client's PublishMsg does.
func TestParsePubAck(t *testing.T) {
	for _, c := range []struct {
		ack  string
		seq  uint64
		code jetstream.ErrorCode // of the error, 0 if none
		bad  bool                // ErrInvalidJSAck
	}{
		{ack: `{"stream":"KV_drafting-articles","seq":42}`, seq: 42},
		{ack: `{"stream":"DRAFTING","seq":7,"duplicate":true}`, seq: 7},
		{ack: `{"stream":"DRAFTING","seq":18446744073709551615,"domain":"hub"}`, seq: 18446744073709551615},
		{ack: `{"seq":9,"stream":"DRAFTING"}`, seq: 9}, // another order: the slow way
		{ack: `{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 5"}}`, code: jetstream.JSErrCodeStreamWrongLastSequence},
		{ack: `{"stream":"X","seq":0,"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}`, code: 10077},
		{ack: `{"stream":"","seq":3}`, bad: true},
		{ack: `{"stream":"X","seq":}`, bad: true},
		{ack: `not json`, bad: true},
		{ack: ``, bad: true},
	} {
		seq, err := parsePubAck([]byte(c.ack))
		var apiErr *jetstream.APIError
		switch {
		case c.bad:
			if !errors.Is(err, jetstream.ErrInvalidJSAck) {
				t.Errorf("%s: %d, %v; want ErrInvalidJSAck", c.ack, seq, err)
			}
		case c.code != 0:
			if !errors.As(err, &apiErr) || apiErr.ErrorCode != c.code {
				t.Errorf("%s: %d, %v; want the API error %d", c.ack, seq, err, c.code)
			}
		case err != nil || seq != c.seq:
			t.Errorf("%s: %d, %v; want %d", c.ack, seq, err, c.seq)
		}
	}
	// A lost compare-and-set is still recognised as one.
	_, err := parsePubAck([]byte(`{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 5"}}`))
	if !wrongLastSequence(err) {
		t.Errorf("%v is not a wrong last sequence", err)
	}
}
