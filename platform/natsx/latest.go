package natsx

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A KV get is a JetStream direct get, which any replica of a replicated
// bucket may answer (R3 on the compose cluster), and a follower can be a
// few milliseconds behind the leader: a record just written may read as
// it was before, or as not found. Writes are safe from that (the
// compare-and-set refuses a write based on an old revision), but a
// decision not to write is not: a handler that declines on an old copy
// ("not submitted yet", "already applied") would drop an event, recovery
// would leave a crashed writer's events unpublished, and a client that
// just wrote through one replica would be refused as stale by another.
//
// So the reads that decide are made from the bucket stream's leader
// (Bucket.GetLatest), with the JetStream API's message get, which only
// the leader answers (nats-server 2.12 can also make a direct get wait
// for a revision, but nats.go has no option for it yet). In `newsroom
// dev`, with one server, a direct get is already the latest and is used
// as it is.

// Bucket is a KV bucket that can also be read from its leader: GetLatest,
// for the reads a decision rests on. Services that keep a bucket
// themselves rather than through a Store open it with OpenBucket.
type Bucket struct {
	jetstream.KeyValue
	// Stream is the bucket's own stream, KV_<bucket>.
	Stream jetstream.Stream

	js       jetstream.JetStream
	replicas int // of the bucket as created: above 1, GetLatest asks the leader
}

// OpenBucket opens (creating if needed) a file-backed bucket, as EnsureKV
// does.
func OpenBucket(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*Bucket, error) {
	kv, err := EnsureKV(ctx, js, bucket, replicas)
	if err != nil {
		return nil, err
	}
	st, err := js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return nil, fmt.Errorf("natsx: bucket %s: %w", bucket, err)
	}
	return &Bucket{KeyValue: kv, Stream: st, js: js, replicas: st.CachedInfo().Config.Replicas}, nil
}

// replicated reports whether the bucket has followers that can lag.
func (b *Bucket) replicated() bool { return b.replicas > 1 }

// GetLatest reads key as Get does (jetstream.ErrKeyNotFound for a key
// that does not exist or was deleted), from the leader when the bucket
// is replicated: the record as the last acknowledged write left it.
func (b *Bucket) GetLatest(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	if !b.replicated() {
		return b.Get(ctx, key)
	}
	if !validKVKey(key) {
		return nil, jetstream.ErrInvalidKey
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, publishTimeout)
		defer cancel()
	}
	req, err := json.Marshal(msgGetRequest{LastBySubject: "$KV." + b.Bucket() + "." + key})
	if err != nil {
		return nil, err
	}
	subject := apiPrefix(b.js) + "STREAM.MSG.GET." + b.Stream.CachedInfo().Config.Name
	m, err := b.js.Conn().RequestWithContext(ctx, subject, req)
	if err != nil {
		return nil, err
	}
	var resp msgGetResponse
	if err := json.Unmarshal(m.Data, &resp); err != nil {
		return nil, fmt.Errorf("natsx: leader get %s: %w", key, err)
	}
	if resp.Error != nil {
		if resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return nil, jetstream.ErrKeyNotFound
		}
		return nil, resp.Error
	}
	if resp.Message == nil {
		return nil, jetstream.ErrInvalidJetStreamResponse
	}
	e := &leaderEntry{bucket: b.Bucket(), key: key, value: resp.Message.Data, rev: resp.Message.Sequence, created: resp.Message.Time, op: jetstream.KeyValuePut}
	if len(resp.Message.Header) > 0 {
		h, err := nats.DecodeHeadersMsg(resp.Message.Header)
		if err != nil {
			return nil, fmt.Errorf("natsx: leader get %s: %w", key, err)
		}
		switch h.Get("KV-Operation") {
		case "DEL", "PURGE":
			return nil, jetstream.ErrKeyNotFound
		}
	}
	return e, nil
}

// GetLatest is Get, read from the leader of a replicated bucket: the
// record as the last acknowledged write left it. Use it where a caller
// may have just written, through this replica or another (an RPC that
// returns a record to the client that changed it).
func (s *Store[T]) GetLatest(ctx context.Context, key string) (T, uint64, error) {
	e, err := s.bucket.GetLatest(ctx, key)
	return s.decoded(key, e, err)
}

// apiPrefix is where js sends JetStream API requests.
func apiPrefix(js jetstream.JetStream) string {
	o := js.Options()
	switch {
	case o.Domain != "":
		return "$JS." + o.Domain + ".API."
	case o.APIPrefix != "":
		return strings.TrimSuffix(o.APIPrefix, ".") + "."
	}
	return jetstream.DefaultAPIPrefix
}

type msgGetRequest struct {
	LastBySubject string `json:"last_by_subj"`
}

type msgGetResponse struct {
	Error   *jetstream.APIError `json:"error"`
	Message *struct {
		Sequence uint64    `json:"seq"`
		Header   []byte    `json:"hdrs"`
		Data     []byte    `json:"data"`
		Time     time.Time `json:"time"`
	} `json:"message"`
}

// leaderEntry is a record read from the leader.
type leaderEntry struct {
	bucket, key string
	value       []byte
	rev         uint64
	created     time.Time
	op          jetstream.KeyValueOp
}

func (e *leaderEntry) Bucket() string                  { return e.bucket }
func (e *leaderEntry) Key() string                     { return e.key }
func (e *leaderEntry) Value() []byte                   { return e.value }
func (e *leaderEntry) Revision() uint64                { return e.rev }
func (e *leaderEntry) Created() time.Time              { return e.created }
func (e *leaderEntry) Delta() uint64                   { return 0 }
func (e *leaderEntry) Operation() jetstream.KeyValueOp { return e.op }
