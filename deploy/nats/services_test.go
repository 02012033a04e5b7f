package natsconf

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	auditv1 "newsroom.dev/gen/newsroom/audit/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/internal/certgen"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/service"
	"newsroom.dev/services/drafting"
	"newsroom.dev/services/linking"
	"newsroom.dev/services/publishing"
	"newsroom.dev/services/review"
	"newsroom.dev/services/review/desk"
)

// passwords are the fake ones load writes into the secrets include.
var passwords = map[string]string{"drafting": "a", "review": "b", "publishing": "c", "linking": "d", "ops": "e"}

// violations collects the permission errors the server sends any client.
type violations struct {
	mu   sync.Mutex
	list []string
}

func (v *violations) handler(user string) nats.ErrHandler {
	return func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if err != nil && strings.Contains(strings.ToLower(err.Error()), "permissions violation") {
			v.mu.Lock()
			v.list = append(v.list, user+": "+err.Error())
			v.mu.Unlock()
		}
	}
}

func (v *violations) all() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.list...)
}

// TestServicesUnderTheirPermissions runs the four services (and review's
// desk) in this process,
// each connected as its own NATS user of nats.conf to one server with the
// config's users and permissions, drives two stories from draft to a live
// page with a related box, feeds every consumer a malformed event (so each
// dead-letters), reads the audit trail, and fails on any permissions
// violation. A service that starts using a stream, bucket or subject
// nats.conf does not grant fails here, long before the compose stack.
func TestServicesUnderTheirPermissions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a NATS server and all four services")
	}
	opts, certs := loadTLS(t)
	opts.Cluster = server.ClusterOpts{}
	opts.Routes = nil
	opts.ServerName = "conf-test"
	opts.Host, opts.Port = "127.0.0.1", -1
	opts.HTTPHost, opts.HTTPPort = "", 0
	opts.StoreDir = t.TempDir()
	opts.NoLog, opts.NoSigs = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}

	keys, err := auth.NewKeyring(auth.NewKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	token, err := keys.Issue("conf-test", []auth.Role{auth.Writer, auth.Editor, auth.Reviewer, auth.Publisher, auth.Admin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var running sync.WaitGroup
	t.Cleanup(func() { cancel(); running.Wait() })

	var v violations
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	connect := func(user string) (*nats.Conn, jetstream.JetStream) {
		nc, err := nats.Connect(ns.ClientURL(), nats.UserInfo(user, passwords[user]), nats.ErrorHandler(v.handler(user)),
			nats.RootCAs(filepath.Join(certs, certgen.CAFile)))
		if err != nil {
			t.Fatalf("connect as %s: %v", user, err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		return nc, js
	}
	build := map[string]func(context.Context, service.Deps) (service.Service, error){
		"drafting": func(ctx context.Context, d service.Deps) (service.Service, error) {
			return drafting.New(ctx, d, drafting.Config{})
		},
		"review": func(ctx context.Context, d service.Deps) (service.Service, error) {
			svc, err := review.New(ctx, d, review.ConfigFromEnv())
			if err != nil {
				return nil, err
			}
			// The desk runs beside review (cmd/review) and follows streams
			// as the review user; its pages are not needed here.
			dk, err := desk.New(desk.Config{ReviewAddr: "127.0.0.1:1", DraftingAddr: "127.0.0.1:1", PublishingAddr: "127.0.0.1:1"}, d)
			if err != nil {
				return nil, err
			}
			running.Go(func() { _ = dk.Run(ctx); _ = dk.Close() })
			return svc, nil
		},
		"publishing": func(ctx context.Context, d service.Deps) (service.Service, error) {
			return publishing.New(ctx, d, publishing.ConfigFromEnv())
		},
		"linking": func(ctx context.Context, d service.Deps) (service.Service, error) {
			return linking.New(ctx, d, linking.Config{})
		},
	}
	conns := map[string]*grpc.ClientConn{}
	var mu sync.Mutex
	var started sync.WaitGroup
	for _, name := range []string{"drafting", "review", "publishing", "linking"} {
		started.Go(func() {
			nc, js := connect(name)
			d := service.Deps{NC: nc, JS: js, Replicas: 1, Log: log, Clock: clock.Real{}, Keys: keys}
			// A refused stream or bucket makes New retry until its context
			// ends; give up after a while and say why.
			var (
				svc  service.Service
				srv  *grpcx.Server
				berr error
			)
			built := make(chan struct{})
			go func() {
				defer close(built)
				if svc, berr = build[name](ctx, d); berr == nil {
					srv, _, berr = service.NewServer(ctx, d)
				}
			}()
			select {
			case <-built:
			case <-time.After(45 * time.Second):
				t.Errorf("%s: not started after 45s; permission violations:\n%s", name, strings.Join(dedupe(v.all()), "\n"))
				return
			}
			if berr != nil {
				t.Errorf("%s: %v", name, berr)
				return
			}
			svc.Register(srv.GRPC)
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Error(err)
				return
			}
			running.Go(func() { _ = srv.Serve(lis) })
			running.Go(func() {
				if err := svc.Run(ctx); err != nil && ctx.Err() == nil {
					t.Errorf("%s: run: %v", name, err)
				}
			})
			t.Cleanup(func() {
				sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
				defer c()
				srv.Stop(sctx)
			})
			srv.SetServing(svc.Name())
			cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithPerRPCCredentials(auth.Bearer(token)))
			if err != nil {
				t.Error(err)
				return
			}
			t.Cleanup(func() { cc.Close() })
			mu.Lock()
			conns[name] = cc
			mu.Unlock()
		})
	}
	started.Wait()
	if t.Failed() {
		t.FailNow()
	}
	dr := draftingv1.NewDraftingServiceClient(conns["drafting"])
	pb := publishingv1.NewPublishingServiceClient(conns["publishing"])
	lk := linkingv1.NewLinkingServiceClient(conns["linking"])

	// Two stories of one topic, draft to published: every service stores,
	// publishes and consumes; the second gets the first as related.
	story := func(n int) string {
		a := &articlev1.Article{
			Headline: fmt.Sprintf("Riverside community garden volunteers harvest pumpkins at plot %d", n),
			Desk:     "metro",
			Byline:   "Mira Holt",
			Tags:     []string{"community garden", "harvest"},
			Body: fmt.Sprintf("Volunteers at the Riverside community garden harvested pumpkins from plot %d on Saturday.\n\n"+
				"The community garden grows vegetables on twelve allotments beside the river, and gardeners compost kitchen scraps.\n", n),
		}
		resp, err := dr.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: a})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		id := resp.GetArticle().GetId()
		if _, err := dr.SubmitArticle(ctx, &draftingv1.SubmitArticleRequest{Id: id}); err != nil {
			t.Fatalf("submit: %v", err)
		}
		waitStatus(t, dr, id, articlev1.Status_STATUS_READY, &v)
		eventually(t, &v, "publish "+id, func() error {
			_, err := pb.PublishArticle(ctx, &publishingv1.PublishArticleRequest{ArticleId: id})
			if status.Code(err) == codes.FailedPrecondition {
				return err // publishing has not seen the clearance yet
			}
			if err != nil {
				t.Fatalf("publish: %v", err)
			}
			return nil
		})
		waitStatus(t, dr, id, articlev1.Status_STATUS_PUBLISHED, &v)
		return id
	}
	first := story(1)
	second := story(2)
	eventually(t, &v, "related box of the second story", func() error {
		resp, err := lk.GetRelated(ctx, &linkingv1.GetRelatedRequest{ArticleId: second})
		if err != nil {
			return err
		}
		for _, r := range resp.GetRelated() {
			if r.GetArticleId() == first {
				return nil
			}
		}
		return fmt.Errorf("related %v lacks %s", resp.GetRelated(), first)
	})
	// publishing consumes linking's related.updated and keeps it.
	eventually(t, &v, "publication shows the related story", func() error {
		resp, err := pb.GetPublication(ctx, &publishingv1.GetPublicationRequest{ArticleId: second})
		if err != nil {
			return err
		}
		if !strings.Contains(resp.String(), first) {
			return fmt.Errorf("publication of %s does not mention %s yet", second, first)
		}
		return nil
	})

	// A malformed event on every consumed subject: each consumer
	// dead-letters it, which needs the DLQ stream and newsroom.dlq.>.
	_, ops := connect("ops")
	for _, subj := range []string{events.ArticleSubmitted, events.ArticleCleared, events.ArticlePublished, events.RelatedUpdated} {
		if _, err := ops.Publish(ctx, subj, []byte{0xff, 0xff, 0xff}); err != nil {
			t.Fatalf("publish malformed %s: %v", subj, err)
		}
	}
	eventually(t, &v, "dead letters", func() error {
		s, err := ops.Stream(ctx, natsx.DLQStream)
		if err != nil {
			return err
		}
		info, err := s.Info(ctx, jetstream.WithSubjectFilter(natsx.DLQSubject+".>"))
		if err != nil {
			return err
		}
		// review, publishing ×2 (drafting and review events), drafting ×2
		// (review and publishing events), linking: at least 6 consumers.
		if len(info.State.Subjects) < 6 {
			return fmt.Errorf("dead letters from %d consumers: %v", len(info.State.Subjects), info.State.Subjects)
		}
		return nil
	})

	// Every process serves the audit trail (admin only), reading AUDIT.
	for name, cc := range conns {
		if _, err := auditv1.NewAuditServiceClient(cc).ListAuditRecords(ctx, &auditv1.ListAuditRecordsRequest{Limit: 10}); err != nil {
			t.Errorf("%s: ListAuditRecords: %v", name, err)
		}
	}

	time.Sleep(500 * time.Millisecond) // late async errors
	if vs := v.all(); len(vs) > 0 {
		t.Fatalf("nats.conf refused what the services do (%d):\n%s", len(vs), strings.Join(dedupe(vs), "\n"))
	}
}

func waitStatus(t *testing.T, dr draftingv1.DraftingServiceClient, id string, want articlev1.Status, v *violations) {
	t.Helper()
	eventually(t, v, fmt.Sprintf("%s %s", id, want), func() error {
		resp, err := dr.GetArticle(context.Background(), &draftingv1.GetArticleRequest{Id: id})
		if err != nil {
			return err
		}
		if got := resp.GetArticle().GetStatus(); got != want {
			return fmt.Errorf("status %s", got)
		}
		return nil
	})
}

// eventually retries f for up to 30s; on timeout it reports the
// permission violations seen so far, the likely cause.
func eventually(t *testing.T, v *violations, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v\npermission violations:\n%s", what, err, strings.Join(dedupe(v.all()), "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func dedupe(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
