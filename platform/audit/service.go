package audit

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	auditv1 "newsroom.dev/gen/newsroom/audit/v1"
)

// Limits of ListAuditRecords.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Name is the AuditService's gRPC (and health) name.
func (a *Auditor) Name() string { return auditv1.AuditService_ServiceDesc.ServiceName }

// Register adds AuditService to a gRPC server.
func (a *Auditor) Register(r grpc.ServiceRegistrar) { auditv1.RegisterAuditServiceServer(r, a) }

// Run does nothing until ctx ends; the Auditor has no background work, but
// this lets a host run it like a service.
func (a *Auditor) Run(ctx context.Context) error { <-ctx.Done(); return nil }

// ListAuditRecords reads the AUDIT stream from since (or its start) to its
// end as of the call, and returns the newest limit records that match
// every filter, oldest first.
func (a *Auditor) ListAuditRecords(ctx context.Context, req *auditv1.ListAuditRecordsRequest) (*auditv1.ListAuditRecordsResponse, error) {
	limit := int(req.GetLimit())
	switch {
	case limit < 0:
		return nil, status.Error(codes.InvalidArgument, "limit must not be negative")
	case limit == 0:
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	var since time.Time
	if req.GetSince() != nil {
		if err := req.GetSince().CheckValid(); err != nil {
			return nil, status.Error(codes.InvalidArgument, "since is not a valid time")
		}
		since = req.GetSince().AsTime()
	}
	match := func(r *auditv1.AuditRecord, stored time.Time) bool {
		return (req.GetArticleId() == "" || r.GetArticleId() == req.GetArticleId()) &&
			(req.GetSubject() == "" || r.GetSubject() == req.GetSubject()) &&
			(since.IsZero() || !stored.Before(since))
	}
	// A ring of the newest limit matches.
	ring := make([]*auditv1.AuditRecord, 0, min(limit, 64))
	next, matched := 0, 0
	err := a.scan(ctx, since, func(r *auditv1.AuditRecord, stored time.Time) {
		if !match(r, stored) {
			return
		}
		matched++
		if len(ring) < limit {
			ring = append(ring, r)
			return
		}
		ring[next] = r
		next = (next + 1) % limit
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		a.log.ErrorContext(ctx, "list audit records", "err", err)
		return nil, status.Error(codes.Internal, "list audit records failed")
	}
	out := append(ring[next:len(ring):len(ring)], ring[:next]...)
	return &auditv1.ListAuditRecordsResponse{Records: out, Truncated: matched > len(out)}, nil
}

// scan calls fn for each record stored at or after since (all if zero), up
// to the last one stored when it starts, with the time JetStream stored it
// (what since is compared with: the server's clock, not the service's).
func (a *Auditor) scan(ctx context.Context, since time.Time, fn func(*auditv1.AuditRecord, time.Time)) error {
	st, err := a.js.Stream(ctx, Stream)
	if err != nil {
		return err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 || (!since.IsZero() && info.State.LastTime.Before(since)) {
		return nil
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{Subjects}}
	if !since.IsZero() {
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cfg.OptStartTime = &since
	}
	cons, err := st.OrderedConsumer(ctx, cfg)
	if err != nil {
		return err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(256))
	if err != nil {
		return err
	}
	defer it.Stop()
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return err
		}
		meta, err := msg.Metadata()
		if err != nil {
			return err
		}
		raws, err := records(msg.Data(), msg.Headers().Get(HeaderBatch))
		if err != nil {
			a.log.WarnContext(ctx, "skipping malformed audit records", "seq", meta.Sequence.Stream, "subject", msg.Subject(), "err", err)
		}
		for _, raw := range raws {
			r := &auditv1.AuditRecord{}
			if err := proto.Unmarshal(raw, r); err != nil {
				a.log.WarnContext(ctx, "skipping a malformed audit record", "seq", meta.Sequence.Stream, "subject", msg.Subject(), "err", err)
				continue
			}
			r.Sequence = meta.Sequence.Stream
			if r.GetService() == "" {
				r.Service = strings.TrimPrefix(msg.Subject(), SubjectPrefix)
			}
			fn(r, meta.Timestamp)
		}
		if meta.Sequence.Stream >= last || meta.NumPending == 0 {
			return nil
		}
	}
}
