package natsx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DedupeWindow is how long JetStream remembers a Nats-Msg-Id. Consumers are
// idempotent anyway; the window only saves them work.
const DedupeWindow = 10 * time.Minute

// EnsureStream creates or updates a file-backed event stream. Replicas is 1
// in `newsroom dev` and 3 on the compose cluster.
func EnsureStream(ctx context.Context, js jetstream.JetStream, name string, subjects []string, replicas int) (jetstream.Stream, error) {
	cfg := jetstream.StreamConfig{
		Name:       name,
		Subjects:   subjects,
		Storage:    jetstream.FileStorage,
		Replicas:   max(replicas, 1),
		Duplicates: DedupeWindow,
		Retention:  jetstream.LimitsPolicy,
		Discard:    jetstream.DiscardOld,
	}
	s, err := createOrUpdate(ctx, func(ctx context.Context) (jetstream.Stream, error) { return js.CreateOrUpdateStream(ctx, cfg) })
	if err != nil {
		return nil, fmt.Errorf("natsx: stream %s: %w", name, err)
	}
	return s, nil
}

// EnsureKV creates or updates a file-backed key-value bucket.
func EnsureKV(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (jetstream.KeyValue, error) {
	cfg := jetstream.KeyValueConfig{
		Bucket:   bucket,
		Storage:  jetstream.FileStorage,
		Replicas: max(replicas, 1),
		History:  1,
	}
	kv, err := createOrUpdate(ctx, func(ctx context.Context) (jetstream.KeyValue, error) { return js.CreateOrUpdateKeyValue(ctx, cfg) })
	if err != nil {
		return nil, fmt.Errorf("natsx: bucket %s: %w", bucket, err)
	}
	return kv, nil
}

// EnsureObjectStore creates or updates a file-backed object store.
func EnsureObjectStore(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (jetstream.ObjectStore, error) {
	cfg := jetstream.ObjectStoreConfig{Bucket: bucket, Storage: jetstream.FileStorage, Replicas: max(replicas, 1)}
	os, err := createOrUpdate(ctx, func(ctx context.Context) (jetstream.ObjectStore, error) {
		return js.CreateOrUpdateObjectStore(ctx, cfg)
	})
	if err != nil {
		return nil, fmt.Errorf("natsx: object store %s: %w", bucket, err)
	}
	return os, nil
}

// createOrUpdate retries while the cluster has no JetStream leader yet (a
// fresh or recovering cluster answers "no responders" or times out).
func createOrUpdate[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		v, err := f(cctx)
		cancel()
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(backoff(attempt)):
		}
	}
}

func retryable(err error) bool {
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled) || isNoResponders(err) || errors.Is(err, jetstream.ErrStreamNotFound) ||
		duplicateInProcess(err)
}

// errDuplicateInProcess is JetStream's error code for a publish whose
// Nats-Msg-Id another publish of the same message is still proposing to
// a replicated stream's peers (two replicas or a retry sending one event
// at once). Tried again a moment later, the publish is acknowledged as a
// duplicate; returned to the handler, it cost a redelivery with backoff.
const errDuplicateInProcess = 10158

func duplicateInProcess(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && api.ErrorCode == errDuplicateInProcess
}
