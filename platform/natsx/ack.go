package natsx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// jsPublish sends m to JetStream and waits for its ack, as the client's
// PublishMsg does (the same retries of "no responders", the same errors,
// the same timeout when ctx has no deadline), and returns the sequence
// the message was stored at. It reads the ack itself: the client decodes
// every ack with encoding/json, and Newsroom waits for one at each KV
// write and each event, so that decoding was a few per cent of the CPU
// of `newsroom dev` under load. An ack of the usual form,
// {"stream":"S","seq":N...}, is read directly; anything else (an error,
// a form not seen before) is decoded as JSON, as before.
func jsPublish(ctx context.Context, nc *nats.Conn, m *nats.Msg) (uint64, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, publishTimeout)
		defer cancel()
	}
	resp, err := nc.RequestMsgWithContext(ctx, m)
	for r := 0; errors.Is(err, nats.ErrNoResponders) && r < jetstream.DefaultPubRetryAttempts; r++ {
		// A stream whose leader is being elected has no responder for
		// a moment.
		select {
		case <-ctx.Done():
		case <-time.After(jetstream.DefaultPubRetryWait):
		}
		resp, err = nc.RequestMsgWithContext(ctx, m)
	}
	if errors.Is(err, nats.ErrNoResponders) {
		return 0, jetstream.ErrNoStreamResponse
	}
	if err != nil {
		return 0, err
	}
	return parsePubAck(resp.Data)
}

// publishTimeout bounds jsPublish when ctx has no deadline: the client's
// default for JetStream requests.
const publishTimeout = 5 * time.Second

var (
	ackStream = []byte(`{"stream":"`)
	ackSeq    = []byte(`","seq":`)
	ackError  = []byte(`"error"`)
)

// parsePubAck reads JetStream's answer to a publish.
func parsePubAck(b []byte) (uint64, error) {
	if rest, ok := bytes.CutPrefix(b, ackStream); ok && !bytes.Contains(b, ackError) {
		if i := bytes.IndexByte(rest, '"'); i > 0 {
			if num, ok := bytes.CutPrefix(rest[i:], ackSeq); ok {
				var seq uint64
				n := 0
				for n < len(num) && n < 20 && num[n] >= '0' && num[n] <= '9' {
					seq = seq*10 + uint64(num[n]-'0')
					n++
				}
				if n > 0 && n < len(num) && (num[n] == '}' || num[n] == ',') {
					return seq, nil
				}
			}
		}
	}
	var r struct {
		Error  *jetstream.APIError `json:"error"`
		Stream string              `json:"stream"`
		Seq    uint64              `json:"seq"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return 0, jetstream.ErrInvalidJSAck
	}
	if r.Error != nil {
		return 0, fmt.Errorf("nats: %w", r.Error)
	}
	if r.Stream == "" {
		return 0, jetstream.ErrInvalidJSAck
	}
	return r.Seq, nil
}
