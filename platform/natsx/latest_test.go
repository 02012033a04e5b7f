package natsx_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// replicatedStores starts a three-server cluster and opens an R3 bucket
// from two clients, as two replicas of a service would, each with a
// connection to a different server.
func replicatedStores(t *testing.T) (context.Context, *natsx.Store[*articlev1.Article], *natsx.Store[*articlev1.Article]) {
	t.Helper()
	ctx := testCtx(t)
	servers := testutil.StartCluster(t, 3)
	open := func(s int) *natsx.Store[*articlev1.Article] {
		st, err := natsx.NewStore(ctx, testutil.Connect(t, servers[s].ClientURL()), "replicated", 3, func() *articlev1.Article { return &articlev1.Article{} }, testutil.Logger())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	return ctx, open(0), open(2)
}

// staleCopy is a follower that has not yet applied the writes after e:
// it answers with the record as it was then.
func staleCopy(e jetstream.KeyValueEntry) func(context.Context, string) (jetstream.KeyValueEntry, error) {
	return func(context.Context, string) (jetstream.KeyValueEntry, error) { return e, nil }
}

// A replica that declines a change on a follower's stale copy would drop
// it ("stale revision" to a client that is right, an event handler
// deciding on the record as it was). The Store decides again on the
// leader's record, and the change is made.
func TestDeclineOnAFollowersStaleCopyIsDecidedAgainOnTheLeaders(t *testing.T) {
	ctx, writer, other := replicatedStores(t)
	const key = "a1"
	var first jetstream.KeyValueEntry
	for rev := int64(1); rev <= 2; rev++ {
		if _, err := writer.Update(ctx, key, func(a *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
			return &articlev1.Article{Id: key, Revision: rev, Headline: fmt.Sprintf("take %d", rev)}, nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		if rev == 1 {
			e, err := writer.KV.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			first = e
		}
	}
	other.ReadFromFollower(staleCopy(first))

	// The client read revision 2 and edits it; the other replica's
	// follower still has revision 1.
	var seen []int64
	errStale := errors.New("stale revision")
	got, err := other.Update(ctx, key, func(a *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
		seen = append(seen, a.GetRevision())
		if a.GetRevision() != 2 {
			return nil, nil, errStale
		}
		return &articlev1.Article{Id: key, Revision: 3, Headline: "take 3"}, nil, nil
	})
	if err != nil {
		t.Fatalf("update based on revision 2, with a follower at revision 1: %v (fn saw revisions %v)", err, seen)
	}
	if len(seen) != 2 || seen[0] != 1 || seen[1] != 2 {
		t.Fatalf("fn saw revisions %v, want the follower's 1, then the leader's 2", seen)
	}
	if got.GetRevision() != 3 {
		t.Fatalf("stored revision %d, want 3", got.GetRevision())
	}

	// A decline on the leader's record stands: asked once more, not again.
	seen = nil
	_, err = other.Update(ctx, key, func(a *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
		seen = append(seen, a.GetRevision())
		return nil, nil, natsx.ErrNoChange
	})
	if err != nil || len(seen) != 2 || seen[1] != 3 {
		t.Fatalf("a decline on the leader's record: err %v, fn saw %v; want nil and [_, 3]", err, seen)
	}
}

// GetLatest reads what the last acknowledged write left, from any
// client's server, and a deleted key as not found.
func TestGetLatestReadsTheLeader(t *testing.T) {
	ctx, writer, other := replicatedStores(t)
	const key = "a2"
	for rev := int64(1); rev <= 3; rev++ {
		if _, err := writer.Update(ctx, key, func(a *articlev1.Article, _ bool) (*articlev1.Article, []natsx.Event, error) {
			return &articlev1.Article{Id: key, Revision: rev}, nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		a, kvRev, err := other.GetLatest(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if a.GetRevision() != rev {
			t.Fatalf("GetLatest after writing revision %d: revision %d", rev, a.GetRevision())
		}
		e, err := writer.KV.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if kvRev != e.Revision() {
			t.Fatalf("GetLatest's KV revision %d, want %d", kvRev, e.Revision())
		}
	}
	if _, _, err := other.GetLatest(ctx, "never-written"); !errors.Is(err, natsx.ErrNotFound) {
		t.Fatalf("GetLatest of a key never written: %v, want ErrNotFound", err)
	}
	if err := writer.KV.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.GetLatest(ctx, key); !errors.Is(err, natsx.ErrNotFound) {
		t.Fatalf("GetLatest of a deleted key: %v, want ErrNotFound", err)
	}
}
