package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/grpcx"
)

// Limits on subscriptions.
const (
	MaxWebhooks     = 100
	MaxEvents       = 20
	MinSecret       = 16
	MaxSecret       = 256
	MaxURL          = 2048
	subjectPrefix   = "newsroom.publishing."
	generatedSecret = 32 // random bytes, hex-encoded
)

// record is a subscription as stored in the bucket, secret included.
type record struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// StartSeq is the PUBLISHING stream's last sequence when the
	// subscription was registered; only later events are delivered.
	StartSeq uint64 `json:"start_seq"`
}

func (r *record) public() *publishingv1.Webhook {
	return &publishingv1.Webhook{
		Id:        r.ID,
		Url:       r.URL,
		Events:    slices.Clone(r.Events),
		CreatedBy: r.CreatedBy,
		CreatedAt: timestamppb.New(r.CreatedAt),
	}
}

// wants reports whether the subscription gets the event at subject with
// stream sequence seq.
func (r *record) wants(subject string, seq uint64) bool {
	if seq <= r.StartSeq {
		return false
	}
	return slices.ContainsFunc(r.Events, func(p string) bool { return matchSubject(p, subject) })
}

var idPattern = regexp.MustCompile(`^wh_[0-9a-f]{16}$`)

// validID reports whether id can be a webhook id; ids become subject
// tokens and consumer names, so nothing else is let through.
func validID(id string) bool { return idPattern.MatchString(id) }

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "wh_" + hex.EncodeToString(b)
}

// matchSubject matches a subject against a NATS pattern ("*" is one
// token, a final ">" one or more).
func matchSubject(pattern, subject string) bool {
	p := strings.Split(pattern, ".")
	s := strings.Split(subject, ".")
	for i, tok := range p {
		if tok == ">" {
			return len(s) > i
		}
		if i >= len(s) || (tok != "*" && tok != s[i]) {
			return false
		}
	}
	return len(p) == len(s)
}

// publishingSubjects are the catalogue's publishing events.
func publishingSubjects() []string {
	var out []string
	for _, e := range events.Catalogue {
		if strings.HasPrefix(e.Subject, subjectPrefix) {
			out = append(out, e.Subject)
		}
	}
	return out
}

// checkEvents validates and normalises the requested event patterns.
func checkEvents(in []string) ([]string, error) {
	known := publishingSubjects()
	if len(in) == 0 {
		return nil, fmt.Errorf("events: name at least one of %s, or newsroom.publishing.>", strings.Join(known, ", "))
	}
	if len(in) > MaxEvents {
		return nil, fmt.Errorf("events: at most %d", MaxEvents)
	}
	var out []string
	for _, e := range in {
		e = strings.TrimSpace(e)
		if err := checkPattern(e); err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(known, func(s string) bool { return matchSubject(e, s) }) {
			return nil, fmt.Errorf("events: %q matches no publishing event (known: %s)", e, strings.Join(known, ", "))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

func checkPattern(e string) error {
	if !strings.HasPrefix(e, subjectPrefix) || len(e) > 200 {
		return fmt.Errorf("events: %q is not a publishing subject (newsroom.publishing.…)", e)
	}
	toks := strings.Split(e, ".")
	for i, t := range toks {
		switch {
		case t == ">" && i == len(toks)-1, t == "*":
		case t == "" || strings.ContainsAny(t, "*> \t\r\n"):
			return fmt.Errorf("events: %q is not a valid subject pattern", e)
		}
	}
	return nil
}

// checkURL accepts absolute http and https URLs without credentials.
func checkURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("url is required")
	}
	if len(raw) > MaxURL {
		return "", fmt.Errorf("url: at most %d characters", MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("url: not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("url: the scheme must be http or https")
	case u.User != nil:
		return "", errors.New("url: must not carry credentials; the signature authenticates deliveries")
	case u.Hostname() == "":
		return "", errors.New("url: a host is required")
	case u.Fragment != "":
		return "", errors.New("url: must not have a fragment")
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && blockedIP(ip) {
		return "", errors.New("url: link-local, multicast and unspecified addresses are refused")
	}
	return u.String(), nil
}

func checkSecret(s string) error {
	if len(s) < MinSecret || len(s) > MaxSecret {
		return fmt.Errorf("secret: %d to %d characters", MinSecret, MaxSecret)
	}
	for _, c := range []byte(s) {
		if c < 0x21 || c > 0x7e {
			return errors.New("secret: printable ASCII only, no spaces")
		}
	}
	return nil
}

func invalid(err error) error { return status.Error(codes.InvalidArgument, err.Error()) }

// AddWebhook registers a subscription.
func (s *Service) AddWebhook(ctx context.Context, req *publishingv1.AddWebhookRequest) (*publishingv1.AddWebhookResponse, error) {
	u, err := checkURL(strings.TrimSpace(req.GetUrl()))
	if err != nil {
		return nil, invalid(err)
	}
	evs, err := checkEvents(req.GetEvents())
	if err != nil {
		return nil, invalid(err)
	}
	secret, generated := req.GetSecret(), ""
	if secret == "" {
		b := make([]byte, generatedSecret)
		_, _ = rand.Read(b)
		secret = hex.EncodeToString(b)
		generated = secret
	} else if err := checkSecret(secret); err != nil {
		return nil, invalid(err)
	}
	all, err := s.all(ctx)
	if err != nil {
		return nil, grpcx.Internal(ctx, s.log, "add webhook", err)
	}
	if len(all) >= MaxWebhooks {
		return nil, status.Errorf(codes.ResourceExhausted, "at most %d webhooks; remove one first", MaxWebhooks)
	}
	start, err := s.publishingLastSeq(ctx)
	if err != nil {
		return nil, grpcx.Internal(ctx, s.log, "add webhook", err)
	}
	r := &record{
		ID: newID(), URL: u, Events: evs, Secret: secret,
		CreatedBy: auth.Actor(ctx), CreatedAt: s.d.Clock.Now().UTC(), StartSeq: start,
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, grpcx.Internal(ctx, s.log, "add webhook", err)
	}
	if _, err := s.kv.Create(ctx, r.ID, raw); err != nil {
		return nil, grpcx.Internal(ctx, s.log, "add webhook", err)
	}
	s.log.InfoContext(ctx, "webhook added", "webhook", r.ID, "url", r.URL, "events", r.Events, "by", r.CreatedBy)
	return &publishingv1.AddWebhookResponse{Webhook: r.public(), Secret: generated}, nil
}

// publishingLastSeq is the PUBLISHING stream's last sequence, 0 if it does
// not exist yet.
func (s *Service) publishingLastSeq(ctx context.Context) (uint64, error) {
	st, err := s.d.JS.Stream(ctx, events.StreamPublishing)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}

// ListWebhooks returns every subscription, oldest first.
func (s *Service) ListWebhooks(ctx context.Context, _ *publishingv1.ListWebhooksRequest) (*publishingv1.ListWebhooksResponse, error) {
	all, err := s.all(ctx)
	if err != nil {
		return nil, grpcx.Internal(ctx, s.log, "list webhooks", err)
	}
	resp := &publishingv1.ListWebhooksResponse{}
	for _, r := range all {
		resp.Webhooks = append(resp.Webhooks, r.public())
	}
	return resp, nil
}

// RemoveWebhook deletes a subscription, its consumer and its pending
// deliveries.
func (s *Service) RemoveWebhook(ctx context.Context, req *publishingv1.RemoveWebhookRequest) (*publishingv1.RemoveWebhookResponse, error) {
	id := req.GetId()
	if !validID(id) {
		return nil, status.Error(codes.InvalidArgument, "id: not a webhook id (wh_ and 16 hex digits)")
	}
	if _, err := s.get(ctx, id); errors.Is(err, errNotFound) {
		return nil, status.Errorf(codes.NotFound, "no webhook %s", id)
	} else if err != nil {
		return nil, grpcx.Internal(ctx, s.log, "remove webhook", err)
	}
	if err := s.kv.Delete(ctx, id); err != nil {
		return nil, grpcx.Internal(ctx, s.log, "remove webhook", err)
	}
	// The subscription is gone, so its deliveries stop either way (a
	// delivery whose subscription is missing is dropped); clean up now
	// rather than wait for the tasks to age out.
	s.dropQueue(ctx, id)
	s.log.InfoContext(ctx, "webhook removed", "webhook", id, "by", auth.Actor(ctx))
	return &publishingv1.RemoveWebhookResponse{}, nil
}

// dropQueue deletes a removed subscription's consumer and pending tasks.
func (s *Service) dropQueue(ctx context.Context, id string) {
	if err := s.d.JS.DeleteConsumer(ctx, TaskStream, DeliveryDurablePrefix+id); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		s.log.WarnContext(ctx, "delete delivery consumer", "webhook", id, "err", err)
	}
	if err := s.tasks.Purge(ctx, jetstream.WithPurgeSubject(TaskSubjectPrefix+id)); err != nil {
		s.log.WarnContext(ctx, "purge pending deliveries", "webhook", id, "err", err)
	}
}

var errNotFound = errors.New("webhook not found")

// get reads one subscription, from the bucket's leader: a delivery that
// read a follower a moment behind a new subscription would be dropped as
// meant for one removed.
func (s *Service) get(ctx context.Context, id string) (*record, error) {
	e, err := s.kv.GetLatest(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	return decode(e.Value())
}

func decode(raw []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("webhooks: stored subscription: %w", err)
	}
	return &r, nil
}

// all reads every subscription, oldest first.
func (s *Service) all(ctx context.Context) ([]*record, error) {
	w, err := s.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	var out []*record
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("webhooks: subscription watch closed")
			}
			if e == nil {
				sortOldestFirst(out)
				return out, nil
			}
			r, err := decode(e.Value())
			if err != nil {
				s.log.WarnContext(ctx, "skipping a malformed subscription", "key", e.Key(), "err", err)
				continue
			}
			out = append(out, r)
		}
	}
}
