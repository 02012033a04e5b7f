// Package natsconf holds the compose stack's nats-server configuration
// (nats.conf); this test checks the permission matrix it defines without
// starting a cluster. scripts/compose-e2e checks the same on a running one.
package natsconf

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"newsroom.dev/internal/certgen"
	"newsroom.dev/platform/audit"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/services/drafting"
	"newsroom.dev/services/linking"
	"newsroom.dev/services/publishing"
	"newsroom.dev/services/publishing/webhooks"
	"newsroom.dev/services/review"
)

// load parses nats.conf the way the image does: from etc/nats/, with the
// secrets include at run/secrets/nats_auth (fake values here).
func load(t *testing.T) *server.Options {
	t.Helper()
	opts, _ := loadTLS(t)
	return opts
}

// loadTLS is load, and also returns the directory of the CA and
// certificates (made as deploy/gen-secrets makes them) that the config's
// /run/secrets/tls/ paths point to, moved under the test's root.
func loadTLS(t *testing.T) (*server.Options, string) {
	t.Helper()
	root := t.TempDir()
	conf, err := os.ReadFile("nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"etc/nats", "run/secrets"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	certs := filepath.Join(root, "run/secrets/tls")
	if err := certgen.Generate(certs, certgen.Options{}); err != nil {
		t.Fatal(err)
	}
	// The TLS paths are absolute (nats-server does not resolve them
	// against the config file); the include is relative and stays.
	conf = bytes.ReplaceAll(conf, []byte(`"/run/secrets/`), []byte(`"`+root+`/run/secrets/`))
	auth := `DRAFTING_PASSWORD: "a"
REVIEW_PASSWORD: "b"
PUBLISHING_PASSWORD: "c"
LINKING_PASSWORD: "d"
OPS_PASSWORD: "e"
ROUTE_PASSWORD: "f"
ROUTES: ["nats-route://route:f@127.0.0.1:6222"]
`
	write := func(p, s string) {
		if err := os.WriteFile(filepath.Join(root, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/nats/nats.conf", string(conf))
	write("run/secrets/nats_auth", auth)
	t.Setenv("NATS_SERVER_NAME", "test")
	opts, err := server.ProcessConfigFile(filepath.Join(root, "etc/nats/nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	return opts, certs
}

func allowed(p *server.SubjectPermission, subject string) bool {
	if p == nil {
		return true
	}
	ok := len(p.Allow) == 0
	for _, a := range p.Allow {
		if server.SubjectMatchesFilter(subject, a) {
			ok = true
		}
	}
	for _, d := range p.Deny {
		if server.SubjectMatchesFilter(subject, d) {
			return false
		}
	}
	return ok
}

type svc struct {
	name     string
	stream   string
	buckets  []string
	consumes []string // streams
	streams  []string // other streams it owns
	outboxes []string // buckets it keeps with natsx.Store (an outbox)
	objects  []string // object stores
	extra    []string // more subjects it must be able to publish
}

var services = []svc{
	{
		name:     "drafting",
		stream:   events.StreamDrafting,
		buckets:  []string{drafting.ArticlesBucket, drafting.RevisionsBucket},
		outboxes: []string{drafting.ArticlesBucket},
		consumes: []string{events.StreamDrafting, events.StreamReview, events.StreamPublishing},
	},
	{
		name:     "review",
		stream:   events.StreamReview,
		buckets:  []string{review.BucketReviews, review.BucketArticles, review.BucketRuleStats},
		outboxes: []string{review.BucketReviews, review.BucketArticles},
		consumes: []string{events.StreamDrafting},
	},
	{
		name:     "publishing",
		stream:   events.StreamPublishing,
		buckets:  []string{publishing.BucketPublications, publishing.BucketSchedule, webhooks.Bucket},
		outboxes: []string{publishing.BucketPublications},
		consumes: []string{events.StreamDrafting, events.StreamReview, events.StreamLinking},
		streams:  []string{webhooks.TaskStream, webhooks.LogStream},
		extra: []string{
			"newsroom.webhooks.delivery.x",
			"$JS.ACK." + webhooks.TaskStream + "." + webhooks.DeliveryDurablePrefix + "x.1.2.3.4.5",
		},
	},
	{
		name:     "linking",
		stream:   events.StreamLinking,
		buckets:  []string{linking.BucketDocs, linking.BucketRelated, linking.BucketCuration},
		objects:  []string{linking.BucketSnapshots},
		outboxes: []string{linking.BucketRelated},
		consumes: []string{events.StreamPublishing},
	},
}

func TestServicePermissions(t *testing.T) {
	opts := load(t)
	users := map[string]*server.User{}
	for _, u := range opts.Users {
		users[u.Username] = u
	}
	for _, s := range services {
		t.Run(s.name, func(t *testing.T) {
			u := users[s.name]
			if u == nil || u.Permissions == nil {
				t.Fatalf("no user %q with permissions in nats.conf", s.name)
			}
			pub, sub := u.Permissions.Publish, u.Permissions.Subscribe
			mustPub := []string{
				"newsroom." + s.name + ".article.anything",
				natsx.DLQSubject + "." + s.name + "-consumer",
				audit.Subject(s.name),
				"$JS.API.INFO",
				"$JS.API.STREAM.CREATE." + s.stream, "$JS.API.STREAM.UPDATE." + s.stream, "$JS.API.STREAM.INFO." + s.stream,
				"$JS.API.STREAM.CREATE." + natsx.OutboxStream, "$JS.API.STREAM.INFO." + natsx.OutboxStream,
				"$JS.API.STREAM.MSG.DELETE." + natsx.OutboxStream,
				"$JS.API.CONSUMER.CREATE." + natsx.OutboxStream + ".ordered.newsroom.outbox.x",
				"$JS.API.CONSUMER.MSG.NEXT." + natsx.OutboxStream + ".ordered",
				"$JS.API.STREAM.CREATE." + natsx.DLQStream, "$JS.API.STREAM.UPDATE." + natsx.DLQStream,
				"$JS.API.STREAM.CREATE." + audit.Stream, "$JS.API.STREAM.INFO." + audit.Stream,
				"$JS.API.CONSUMER.CREATE." + audit.Stream + ".ordered", "$JS.API.CONSUMER.MSG.NEXT." + audit.Stream + ".ordered",
			}
			mustPub = append(mustPub, s.extra...)
			for _, o := range s.objects {
				st := "OBJ_" + o
				mustPub = append(mustPub,
					"$O."+o+".C.chunk", "$O."+o+".M.meta",
					"$JS.API.STREAM.CREATE."+st, "$JS.API.STREAM.INFO."+st, "$JS.API.STREAM.PURGE."+st,
					"$JS.API.DIRECT.GET."+st+".$O."+o+".M.meta", "$JS.API.STREAM.MSG.GET."+st,
					"$JS.API.CONSUMER.CREATE."+st+".get.$O."+o+".C.chunk", "$JS.FC."+st+".get.1.2.3",
				)
			}
			wkv := "KV_" + natsx.WatermarkBucket
			mustPub = append(mustPub, "$JS.API.STREAM.CREATE."+wkv, "$JS.API.STREAM.UPDATE."+wkv, "$JS.API.STREAM.INFO."+wkv)
			for _, b := range s.outboxes {
				mustPub = append(mustPub, natsx.OutboxSubject+"."+b,
					// its watermarks: write, and read another writer's
					"$KV."+natsx.WatermarkBucket+"."+b+".writer",
					"$JS.API.DIRECT.GET."+wkv+".$KV."+natsx.WatermarkBucket+"."+b+".writer")
			}
			for _, b := range s.buckets {
				kv := "KV_" + b
				mustPub = append(mustPub,
					"$KV."+b+".some.key",
					"$JS.API.STREAM.CREATE."+kv, "$JS.API.STREAM.UPDATE."+kv, "$JS.API.STREAM.INFO."+kv,
					"$JS.API.DIRECT.GET."+kv+".$KV."+b+".some.key",
					"$JS.API.STREAM.MSG.GET."+kv,
					"$JS.API.CONSUMER.CREATE."+kv+".watch.$KV."+b+".>",
					"$JS.API.CONSUMER.DELETE."+kv+".watch",
					"$JS.FC."+kv+".watch.1.2.3",
				)
			}
			for _, st := range s.streams {
				mustPub = append(mustPub,
					"$JS.API.STREAM.CREATE."+st, "$JS.API.STREAM.UPDATE."+st, "$JS.API.STREAM.INFO."+st,
					"$JS.API.CONSUMER.CREATE."+st+".any", "$JS.API.CONSUMER.DELETE."+st+".any",
					"$JS.API.CONSUMER.MSG.NEXT."+st+".any",
				)
			}
			for _, st := range s.consumes {
				mustPub = append(mustPub,
					"$JS.API.STREAM.INFO."+st,
					"$JS.API.CONSUMER.CREATE."+st+"."+s.name+"-x.newsroom.x.y",
					"$JS.API.CONSUMER.CREATE."+st+"."+s.name+"-x",
					"$JS.API.CONSUMER.INFO."+st+"."+s.name+"-x",
					"$JS.API.CONSUMER.MSG.NEXT."+st+"."+s.name+"-x",
					"$JS.ACK."+st+"."+s.name+"-x.1.2.3.4.5",
				)
			}
			for _, subj := range mustPub {
				if !allowed(pub, subj) {
					t.Errorf("%s may not publish %s", s.name, subj)
				}
			}

			var mustNotPub []string
			for _, o := range services {
				if o.name == s.name {
					continue
				}
				mustNotPub = append(mustNotPub,
					"newsroom."+o.name+".article.anything",
					audit.Subject(o.name),
					"$JS.API.STREAM.DELETE."+o.stream, "$JS.API.STREAM.PURGE."+o.stream, "$JS.API.STREAM.UPDATE."+o.stream,
					"$JS.API.STREAM.MSG.DELETE."+o.stream,
				)
				for _, st := range o.streams {
					mustNotPub = append(mustNotPub, "$JS.API.STREAM.DELETE."+st, "$JS.API.STREAM.PURGE."+st, "$JS.API.CONSUMER.CREATE."+st+".snoop")
				}
				for _, b := range o.objects {
					mustNotPub = append(mustNotPub, "$O."+b+".C.x", "$JS.API.STREAM.PURGE.OBJ_"+b)
				}
				for _, b := range o.buckets {
					mustNotPub = append(mustNotPub, "$KV."+b+".k", natsx.OutboxSubject+"."+b,
						"$JS.API.STREAM.DELETE.KV_"+b, "$JS.API.STREAM.PURGE.KV_"+b,
						// a forged watermark would hide another service's pending events
						"$KV."+natsx.WatermarkBucket+"."+b+".writer")
				}
				if !slices.Contains(s.consumes, o.stream) {
					mustNotPub = append(mustNotPub, "$JS.API.CONSUMER.CREATE."+o.stream+".snoop", "$JS.ACK."+o.stream+".c.1.2.3.4.5")
				}
			}
			mustNotPub = append(mustNotPub,
				"$JS.API.STREAM.DELETE."+natsx.OutboxStream, "$JS.API.STREAM.PURGE."+natsx.OutboxStream,
				"$JS.API.STREAM.DELETE.KV_"+natsx.WatermarkBucket, "$JS.API.STREAM.PURGE.KV_"+natsx.WatermarkBucket,
				"$JS.API.STREAM.MSG.DELETE.KV_"+natsx.WatermarkBucket, "$KV."+natsx.WatermarkBucket+".x",
				"$JS.API.STREAM.DELETE."+audit.Stream, "$JS.API.STREAM.PURGE."+audit.Stream,
				"$JS.API.STREAM.MSG.DELETE."+audit.Stream,
				"$JS.API.STREAM.DELETE."+natsx.DLQStream,
				"$JS.API.ACCOUNT.PURGE.x", "$SYS.REQ.SERVER.PING", "anything.else",
			)
			for _, subj := range mustNotPub {
				if allowed(pub, subj) {
					t.Errorf("%s may publish %s", s.name, subj)
				}
			}

			if !allowed(sub, "_INBOX.abc.def") {
				t.Errorf("%s may not subscribe to its inboxes", s.name)
			}
			for _, subj := range []string{"newsroom.>", "newsroom.publishing.article.published", "$KV.>", ">"} {
				if allowed(sub, subj) {
					t.Errorf("%s may subscribe to %s", s.name, subj)
				}
			}
		})
	}
}

func TestClusterAndJetStream(t *testing.T) {
	opts := load(t)
	if !opts.JetStream || opts.StoreDir != "/data" {
		t.Errorf("JetStream %v store %q, want enabled on /data", opts.JetStream, opts.StoreDir)
	}
	if opts.ServerName != "test" {
		t.Errorf("server_name %q, want it from NATS_SERVER_NAME", opts.ServerName)
	}
	if opts.Cluster.Name != "newsroom" || opts.Cluster.Username != "route" || opts.Cluster.Password != "f" || len(opts.Routes) != 1 {
		t.Errorf("cluster %+v routes %v: want the route credentials and routes from the secrets include", opts.Cluster, opts.Routes)
	}
	if !opts.Cluster.NoAdvertise {
		t.Error("the cluster advertises node addresses to clients (container IPs, outside the certificate)")
	}
	if opts.HTTPHost != "127.0.0.1" {
		t.Errorf("monitoring listens on %q, want loopback only", opts.HTTPHost)
	}
	if opts.MaxPayload < 8<<20 {
		t.Errorf("max_payload %d, want at least 8 MiB", opts.MaxPayload)
	}
}
