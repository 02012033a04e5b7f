package securitytest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"newsroom.dev/platform/audit"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// natsService is what one service owns in NATS: its event stream and its
// KV buckets (docs/architecture.md).
type natsService struct {
	name, stream string
	buckets      []string
}

var natsServices = []natsService{
	{"drafting", events.StreamDrafting, []string{"drafting-articles", "drafting-revisions"}},
	{"review", events.StreamReview, []string{"review-reviews"}},
	{"publishing", events.StreamPublishing, []string{"publishing-publications", "publishing-schedule"}},
	{"linking", events.StreamLinking, []string{"linking-docs", "linking-related"}},
}

// natsPermissions is the permission table docs/security.md documents for
// each service's NATS user. A service may publish its own events, its own
// audit records, dead letters, outbox markers and KV writes for its own
// buckets, acks, and only those JetStream API calls that read, consume, or
// create and update its own streams and buckets (plus the shared AUDIT,
// DLQ and OUTBOX streams). It may not publish another service's events,
// write its buckets, or update, purge or delete its stream.
func natsPermissions(s natsService) *server.Permissions {
	own := []string{s.stream, natsx.DLQStream, natsx.OutboxStream, audit.Stream}
	pub := []string{
		"newsroom." + s.name + ".>",
		audit.Subject(s.name),
		natsx.DLQSubject + ".>",
		"$JS.ACK.>", "$JS.FC.>",
		"$JS.API.INFO",
		"$JS.API.STREAM.INFO.*", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST",
		"$JS.API.STREAM.MSG.GET.*", "$JS.API.DIRECT.GET.>",
		"$JS.API.CONSUMER.>",
		"$JS.API.STREAM.MSG.DELETE." + natsx.OutboxStream,
	}
	for _, b := range s.buckets {
		pub = append(pub, natsx.OutboxSubject+"."+b, "$KV."+b+".>")
		own = append(own, "KV_"+b)
	}
	for _, st := range own {
		pub = append(pub, "$JS.API.STREAM.CREATE."+st, "$JS.API.STREAM.UPDATE."+st)
	}
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: pub},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
	}
}

// natsEnv is an embedded JetStream server with an admin user (no limits,
// to set up streams) and one user per service with natsPermissions.
type natsEnv struct {
	srv   *server.Server
	admin jetstream.JetStream
}

func startNATSWithUsers(t *testing.T) *natsEnv {
	t.Helper()
	users := []*server.User{{Username: "admin", Password: "admin-secret"}}
	for _, s := range natsServices {
		users = append(users, &server.User{Username: s.name, Password: s.name + "-secret", Permissions: natsPermissions(s)})
	}
	opts := &server.Options{
		ServerName: "perm-test", Host: "127.0.0.1", Port: -1,
		JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
		Users: users,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	js := testutil.Connect(t, srv.ClientURL(), nats.UserInfo("admin", "admin-secret"))
	ctx := context.Background()
	for _, s := range natsServices {
		if _, err := natsx.EnsureStream(ctx, js, s.stream, events.StreamSubjects(s.name), 1); err != nil {
			t.Fatal(err)
		}
		for _, b := range s.buckets {
			if _, err := natsx.EnsureKV(ctx, js, b, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	return &natsEnv{srv: srv, admin: js}
}

// conn connects as service name and collects the asynchronous errors the
// server sends (permission violations arrive that way).
func (e *natsEnv) conn(t *testing.T, name string) (*nats.Conn, jetstream.JetStream, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var errs []string
	js := testutil.Connect(t, e.srv.ClientURL(), nats.UserInfo(name, name+"-secret"),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			mu.Lock()
			errs = append(errs, err.Error())
			mu.Unlock()
		}))
	return js.Conn(), js, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}

func (e *natsEnv) msgs(t *testing.T, stream string) uint64 {
	t.Helper()
	s, err := e.admin.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// The linking service's credentials cannot publish a publication (or any
// other service's event), write publishing's KV, or rewrite, purge or
// delete the PUBLISHING stream; its own events and records go through.
func TestNATSPermissionsLinkingCannotForgePublication(t *testing.T) {
	e := startNATSWithUsers(t)
	nc, js, asyncErrs := e.conn(t, "linking")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Its own event is stored.
	if _, err := js.Publish(ctx, events.RelatedUpdated, []byte("x")); err != nil {
		t.Fatalf("linking publishing its own event: %v", err)
	}
	if n := e.msgs(t, events.StreamLinking); n != 1 {
		t.Fatalf("LINKING holds %d messages, want 1", n)
	}

	// A forged publication is refused: the server answers with a
	// permissions violation and the JetStream publish gets no ack.
	pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
	_, err := js.Publish(pctx, events.ArticlePublished, []byte("forged"))
	pcancel()
	if err == nil {
		t.Fatal("linking published newsroom.publishing.article.published")
	}
	violation := fmt.Sprintf("permissions violation for publish to %q", events.ArticlePublished)
	waitForError(t, asyncErrs, violation)
	if n := e.msgs(t, events.StreamPublishing); n != 0 {
		t.Fatalf("PUBLISHING holds %d messages after the forged publish", n)
	}
	if nc.IsClosed() {
		t.Fatal("the violation closed the connection")
	}

	// Nor can it write publishing's state, or change its stream so that
	// something it may publish lands there.
	if _, err := js.Stream(ctx, events.StreamPublishing); err != nil {
		t.Fatalf("linking may read PUBLISHING's info (it consumes it): %v", err)
	}
	kv, err := e.admin.KeyValue(ctx, "publishing-publications")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("$KV.publishing-publications.a1", []byte("forged")); err != nil {
		t.Fatal(err)
	}
	waitForError(t, asyncErrs, `permissions violation for publish to "$kv.publishing-publications.a1"`)
	if _, err := kv.Get(ctx, "a1"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("publishing's KV got a key from linking: %v", err)
	}
	tamper := []struct {
		what string
		do   func(context.Context) error
	}{
		{"update PUBLISHING", func(ctx context.Context) error {
			_, err := js.UpdateStream(ctx, jetstream.StreamConfig{Name: events.StreamPublishing,
				Subjects: []string{"newsroom.publishing.>", "newsroom.linking.sneak"}, Storage: jetstream.FileStorage})
			return err
		}},
		{"purge PUBLISHING", func(ctx context.Context) error {
			s, err := js.Stream(ctx, events.StreamPublishing)
			if err != nil {
				return err
			}
			return s.Purge(ctx)
		}},
		{"delete PUBLISHING", func(ctx context.Context) error { return js.DeleteStream(ctx, events.StreamPublishing) }},
		{"delete publishing's bucket", func(ctx context.Context) error { return js.DeleteKeyValue(ctx, "publishing-publications") }},
	}
	for _, tc := range tamper {
		tctx, tcancel := context.WithTimeout(ctx, time.Second)
		err := tc.do(tctx)
		tcancel()
		if err == nil {
			t.Errorf("linking could %s", tc.what)
		}
	}
	if _, err := e.admin.Stream(ctx, events.StreamPublishing); err != nil {
		t.Fatalf("PUBLISHING is gone: %v", err)
	}
	if _, err := e.admin.KeyValue(ctx, "publishing-publications"); err != nil {
		t.Fatalf("publishing-publications is gone: %v", err)
	}

	// Its audit records go on its own subject only.
	if _, err := natsx.EnsureStream(ctx, js, audit.Stream, []string{audit.Subjects}, 1); err != nil {
		t.Fatalf("linking ensuring the shared AUDIT stream: %v", err)
	}
	if _, err := js.Publish(ctx, audit.Subject("linking"), []byte("record")); err != nil {
		t.Fatalf("linking's own audit record: %v", err)
	}
	if err := nc.Publish(audit.Subject("publishing"), []byte("forged record")); err != nil {
		t.Fatal(err)
	}
	waitForError(t, asyncErrs, `permissions violation for publish to "newsroom.audit.publishing"`)
	if n := e.msgs(t, audit.Stream); n != 1 {
		t.Errorf("AUDIT holds %d records, want linking's one", n)
	}
}

// Every service may publish exactly the events the catalogue says it
// publishes, and no other service's.
func TestNATSPermissionsEveryServiceOwnEventsOnly(t *testing.T) {
	e := startNATSWithUsers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := map[string]uint64{}
	for _, s := range natsServices {
		nc, js, asyncErrs := e.conn(t, s.name)
		for _, ev := range events.Catalogue {
			if ev.Publisher == s.name {
				if _, err := js.Publish(ctx, ev.Subject, []byte(s.name)); err != nil {
					t.Errorf("%s publishing its own %s: %v", s.name, ev.Subject, err)
				}
				want[s.stream]++
				continue
			}
			// Core publish: the refusal comes back as an asynchronous
			// error, without waiting for an ack that never comes.
			if err := nc.Publish(ev.Subject, []byte(s.name)); err != nil {
				t.Fatal(err)
			}
			waitForError(t, asyncErrs, fmt.Sprintf("permissions violation for publish to %q", ev.Subject))
		}
	}
	for _, s := range natsServices {
		if got := e.msgs(t, s.stream); got != want[s.stream] {
			t.Errorf("%s holds %d messages, want %d (its own service's only)", s.stream, got, want[s.stream])
		}
	}
}

func waitForError(t *testing.T, errs func() []string, want string) {
	t.Helper()
	want = strings.ToLower(want)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range errs() {
			if strings.Contains(strings.ToLower(e), want) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no async error %q; got %q", want, errs())
}
