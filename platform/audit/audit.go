// Package audit is Newsroom's audit trail. A gRPC interceptor appends one
// record for every state-changing call (auth.StateChanging) a process
// answers — who (token subject and roles), what (method, article), when,
// from which address and how it ended — to the JetStream stream AUDIT, on
// newsroom.audit.<service>; AuditService (admin only) lists them back.
//
// Recording happens after the handler returns and never changes the
// call's answer: a record that cannot be stored is logged at error level.
// The call answers once its record is stored; records of calls that
// answer at the same moment share one message of the stream (batch.go),
// so they also share its sequence number and stored time.
// Calls refused before they reach a handler (no or bad token, a role the
// matrix refuses, the rate limit) are not recorded, so nobody outside can
// flood the trail; grpcx logs them instead.
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
	auditv1 "newsroom.dev/gen/newsroom/audit/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/natsx"
)

// The stream and its subjects.
const (
	Stream        = "AUDIT"
	SubjectPrefix = "newsroom.audit."
	Subjects      = SubjectPrefix + ">"
)

// PublishTimeout bounds how long a call's answer waits for its record to
// be stored.
const PublishTimeout = 5 * time.Second

// Config is what an Auditor needs from its host (see service.Deps).
type Config struct {
	JS       jetstream.JetStream
	Replicas int
	Log      *slog.Logger
	Clock    clock.Clock
}

// Auditor records calls and serves AuditService.
type Auditor struct {
	auditv1.UnimplementedAuditServiceServer
	js    jetstream.JetStream
	log   *slog.Logger
	clock clock.Clock
	out   batcher
}

// New ensures the AUDIT stream exists and returns an Auditor writing to it.
func New(ctx context.Context, cfg Config) (*Auditor, error) {
	if cfg.JS == nil {
		return nil, errors.New("audit: no JetStream")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if _, err := natsx.EnsureStream(ctx, cfg.JS, Stream, []string{Subjects}, cfg.Replicas); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return &Auditor{js: cfg.JS, log: cfg.Log, clock: cfg.Clock, out: batcher{js: cfg.JS}}, nil
}

// Subject is where records of the named service go, e.g.
// newsroom.audit.drafting.
func Subject(service string) string { return SubjectPrefix + service }

// UnaryInterceptor records every state-changing call after its handler
// returns. Install it after authentication (grpcx.WithUnary does).
func (a *Auditor) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if !auth.StateChanging(info.FullMethod) {
			return h(ctx, req)
		}
		start := time.Now()
		resp, err := h(ctx, req)
		a.Record(ctx, a.record(ctx, info.FullMethod, req, resp, err, time.Since(start)))
		return resp, err
	}
}

// record describes one finished call.
func (a *Auditor) record(ctx context.Context, method string, req, resp any, err error, took time.Duration) *auditv1.AuditRecord {
	st := status.Convert(err)
	r := &auditv1.AuditRecord{
		Time:       timestamppb.New(a.clock.Now()),
		Method:     method,
		Service:    auth.ServiceShortName(method),
		Code:       st.Code().String(),
		DurationMs: took.Milliseconds(),
		ArticleId:  articleID(req, resp),
	}
	if err != nil {
		r.Message = truncate(st.Message(), 500)
	}
	if id, ok := auth.FromContext(ctx); ok {
		r.Subject = id.Subject
		for _, role := range id.Roles {
			r.Roles = append(r.Roles, string(role))
		}
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		r.Peer = p.Addr.String()
	}
	return r
}

// Record stores r on its service's subject. It never fails the caller: a
// record it cannot store is logged. It waits for the stream's ack (at most
// PublishTimeout), so a record is listable once the call has answered;
// records stored at the same moment share a message.
func (a *Auditor) Record(ctx context.Context, r *auditv1.AuditRecord) {
	b, err := proto.Marshal(r)
	if err == nil {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), PublishTimeout)
		err = a.out.store(pctx, Subject(r.GetService()), b)
		cancel()
	}
	if err != nil {
		a.log.ErrorContext(ctx, "audit record not stored", "err", err,
			"method", r.GetMethod(), "subject", r.GetSubject(), "article", r.GetArticleId(), "code", r.GetCode(), "peer", r.GetPeer())
	}
}

// articleID is the request's id or article_id field or, for a call that
// creates an article (whose request has neither), the id of the article in
// the response.
func articleID(req, resp any) string {
	if m, ok := req.(proto.Message); ok {
		if id := stringField(m.ProtoReflect(), "article_id", "id"); id != "" {
			return id
		}
	}
	if m, ok := resp.(proto.Message); ok && m != nil {
		pr := m.ProtoReflect()
		if !pr.IsValid() {
			return ""
		}
		if f := pr.Descriptor().Fields().ByName("article"); f != nil && f.Kind() == protoreflect.MessageKind && !f.IsList() && !f.IsMap() && pr.Has(f) {
			return stringField(pr.Get(f).Message(), "id")
		}
	}
	return ""
}

func stringField(m protoreflect.Message, names ...protoreflect.Name) string {
	if !m.IsValid() {
		return ""
	}
	for _, n := range names {
		f := m.Descriptor().Fields().ByName(n)
		if f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() && !f.IsMap() {
			if v := m.Get(f).String(); v != "" {
				return truncate(v, 200)
			}
		}
	}
	return ""
}

// truncate cuts s to at most n bytes, at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
