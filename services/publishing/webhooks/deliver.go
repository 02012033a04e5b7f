package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/natsx"
)

// UserAgent is sent with every delivery.
const UserAgent = "Newsroom-Webhooks/1"

// maxRetryAfter caps how long a 429's Retry-After may hold a delivery.
const maxRetryAfter = 8 * time.Hour

// blockedIP reports addresses deliveries never go to: link-local (cloud
// metadata services live there), multicast and unspecified. Loopback and
// private networks are allowed: the tools are usually in-house.
func blockedIP(ip net.IP) bool {
	return ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified()
}

// newClient is the HTTP client of deliveries: it follows no redirects (a
// 3xx is a failed attempt) and refuses blocked addresses at dial time, so
// a hostname cannot resolve its way around checkURL.
func newClient() *http.Client {
	d := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip != nil && blockedIP(ip) {
				return fmt.Errorf("address %s is not allowed", host)
			}
			return nil
		},
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = d.DialContext
	tr.MaxIdleConnsPerHost = 4
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// superviseDeliveries runs one delivery consumer per subscription, started
// and stopped as subscriptions come and go in the bucket.
func (s *Service) superviseDeliveries(ctx context.Context) error {
	type loop struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
	running := map[string]loop{}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer func() {
		for _, l := range running {
			l.cancel()
		}
	}()
	apply := func(e jetstream.KeyValueEntry) {
		var r *record
		if e.Operation() == jetstream.KeyValuePut {
			r, _ = decode(e.Value())
		}
		s.known.apply(e, r)
		id := e.Key()
		if !validID(id) {
			return
		}
		l, ok := running[id]
		switch {
		case e.Operation() == jetstream.KeyValuePut && !ok:
			lctx, cancel := context.WithCancel(ctx)
			l = loop{cancel, make(chan struct{})}
			running[id] = l
			wg.Go(func() {
				defer close(l.done)
				s.deliverLoop(lctx, id)
			})
		case e.Operation() != jetstream.KeyValuePut && ok:
			delete(running, id)
			l.cancel()
			// Once this replica stops consuming, drop the queue (the
			// replica that removed it has too; both are idempotent).
			wg.Go(func() {
				<-l.done
				s.dropQueue(context.WithoutCancel(ctx), id)
			})
		}
	}
	for attempt := 0; ; attempt++ {
		s.known.reset()
		err := s.watch(ctx, apply)
		if ctx.Err() != nil {
			return nil
		}
		s.log.Warn("watching subscriptions failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(min(time.Second<<min(attempt, 5), 30*time.Second)):
		}
	}
}

// watch calls apply for every subscription and then every change, until
// ctx ends or the watch fails.
func (s *Service) watch(ctx context.Context, apply func(jetstream.KeyValueEntry)) error {
	w, err := s.kv.WatchAll(ctx)
	if err != nil {
		return err
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("watch closed")
			}
			if e != nil {
				apply(e)
			}
		}
	}
}

// deliverLoop consumes one subscription's tasks until ctx ends.
func (s *Service) deliverLoop(ctx context.Context, id string) {
	durable := DeliveryDurablePrefix + id
	log := s.log.With("webhook", id)
	ccfg := jetstream.ConsumerConfig{
		Durable:       durable,
		FilterSubject: TaskSubjectPrefix + id,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.cfg.AckWait,
		// The handler counts attempts and dead-letters the last one, so
		// JetStream must never stop redelivering on its own (a crash during
		// the last attempt would strand the task).
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	}
	var cons jetstream.Consumer
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := s.d.JS.CreateOrUpdateConsumer(cctx, TaskStream, ccfg)
		cancel()
		if err == nil {
			cons = c
			break
		}
		if attempt%10 == 3 {
			log.Warn("creating the delivery consumer", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(min(100*time.Millisecond<<min(attempt, 7), 10*time.Second)):
		}
	}
	// One task at a time: tasks buffered behind a slow endpoint would
	// outlive AckWait and be handed out again, counting attempts never made.
	cc, err := cons.Consume(func(m jetstream.Msg) { s.handleTask(ctx, id, durable, m) },
		jetstream.PullMaxMessages(1),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if ctx.Err() == nil && !errors.Is(err, jetstream.ErrNoHeartbeat) {
				log.Debug("consume", "err", err)
			}
		}))
	if err != nil {
		log.Error("consuming deliveries", "err", err)
		return
	}
	<-ctx.Done()
	cc.Drain()
	select {
	case <-cc.Closed():
	case <-time.After(5 * time.Second):
	}
}

// attempt is the outcome of one HTTP attempt.
type attempt struct {
	status     int
	err        string
	retryAfter time.Duration
}

func (a attempt) ok() bool { return a.err == "" }

// permanent: the endpoint refused the delivery itself; retrying the same
// request cannot help.
func (a attempt) permanent() bool {
	return a.status >= 400 && a.status < 500 && a.status != http.StatusRequestTimeout && a.status != http.StatusTooManyRequests
}

// handleTask makes one attempt at one delivery and settles the task.
func (s *Service) handleTask(ctx context.Context, id, durable string, m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		_ = m.Term()
		return
	}
	if ctx.Err() != nil {
		// Handed out while stopping: leave it for the next replica.
		_ = m.Nak()
		return
	}
	n := int(md.NumDelivered)
	log := s.log.With("webhook", id, "delivery", m.Headers().Get(HeaderDelivery), "attempt", n)
	// Settling must not depend on ctx: a delivery that succeeded just as
	// the service stops is still acked.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			log.Error("delivery panicked", "panic", r)
			s.deadLetter(sctx, durable, m, md, fmt.Sprintf("panic: %v", r))
		}
	}()
	sub, err := s.get(ctx, id)
	if errors.Is(err, errNotFound) {
		log.Info("subscription removed; dropping the delivery")
		_ = m.Term()
		return
	}
	if err != nil {
		log.Warn("reading the subscription", "err", err)
		_ = m.NakWithDelay(s.cfg.Backoff(n))
		return
	}
	start := time.Now()
	res := s.post(ctx, sub, m, n)
	rec := &publishingv1.WebhookDelivery{
		WebhookId:    id,
		DeliveryId:   m.Headers().Get(HeaderDelivery),
		EventId:      m.Headers().Get(headerEventID),
		EventSubject: m.Headers().Get(HeaderEvent),
		Attempt:      int32(n),
		StatusCode:   int32(res.status),
		Error:        res.err,
		Time:         timestamppb.New(s.d.Clock.Now()),
		DurationMs:   time.Since(start).Milliseconds(),
	}
	switch {
	case res.ok():
		rec.Outcome = publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_DELIVERED
	case ctx.Err() != nil:
		// Interrupted by shutdown, not the endpoint's fault: hand it back
		// at once for the next replica.
		rec.Outcome = publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_RETRYING
		rec.Error = "interrupted by shutdown: " + rec.Error
	case res.permanent() || n >= s.cfg.MaxDeliver:
		rec.Outcome = publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_FAILED
	default:
		rec.Outcome = publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_RETRYING
	}
	s.logAttempt(sctx, rec)
	switch rec.Outcome {
	case publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_DELIVERED:
		if err := m.DoubleAck(sctx); err != nil {
			log.Warn("ack failed; the delivery will be repeated", "err", err)
		}
	case publishingv1.DeliveryOutcome_DELIVERY_OUTCOME_FAILED:
		log.Error("delivery given up", "status", res.status, "err", res.err)
		s.deadLetter(sctx, durable, m, md, res.err)
	default:
		if ctx.Err() != nil {
			_ = m.Nak()
			return
		}
		delay := max(s.cfg.Backoff(n), min(res.retryAfter, maxRetryAfter))
		log.Warn("delivery failed; retrying", "status", res.status, "err", res.err, "in", delay)
		_ = m.NakWithDelay(delay)
	}
}

// post sends one signed attempt.
func (s *Service) post(ctx context.Context, sub *record, m jetstream.Msg, n int) attempt {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	body := m.Data()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return attempt{err: err.Error()}
	}
	ts := strconv.FormatInt(s.d.Clock.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderEvent, m.Headers().Get(HeaderEvent))
	req.Header.Set(HeaderDelivery, m.Headers().Get(HeaderDelivery))
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(sub.Secret, ts, body))
	req.Header.Set(HeaderAttempt, strconv.Itoa(n))
	if tp := m.Headers().Get(natsx.HeaderTraceparent); tp != "" {
		req.Header.Set(natsx.HeaderTraceparent, tp)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return attempt{err: errorText(err)}
	}
	defer resp.Body.Close()
	snippet := make([]byte, 200)
	k, _ := io.ReadFull(resp.Body, snippet)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	a := attempt{status: resp.StatusCode}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return a
	}
	a.err = "HTTP " + strconv.Itoa(resp.StatusCode)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		a.err += " (redirects are not followed)"
	}
	if text := strings.TrimSpace(strings.ToValidUTF8(string(snippet[:k]), "")); text != "" {
		a.err += ": " + text
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if sec, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && sec > 0 {
			a.retryAfter = time.Duration(sec) * time.Second
		}
	}
	return a
}

// errorText is an HTTP client error without the repeated method and URL.
func errorText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "timed out"
	}
	if !utf8.ValidString(msg) {
		msg = strings.ToValidUTF8(msg, "")
	}
	return msg
}

// deadLetter copies a task to the DLQ stream, as natsx.Consume does for
// events, and terminates it.
func (s *Service) deadLetter(ctx context.Context, durable string, m jetstream.Msg, md *jetstream.MsgMetadata, reason string) {
	s.dlqOnce.Do(func() {
		if _, err := s.d.JS.Stream(ctx, natsx.DLQStream); errors.Is(err, jetstream.ErrStreamNotFound) {
			if _, err := natsx.EnsureStream(ctx, s.d.JS, natsx.DLQStream, []string{natsx.DLQSubject + ".>"}, 0); err != nil {
				s.log.Error("dead-letter stream", "err", err)
			}
		}
	})
	out := nats.NewMsg(natsx.DLQSubject + "." + durable)
	out.Data = m.Data()
	for k, vs := range m.Headers() {
		for _, v := range vs {
			out.Header.Add(k, v)
		}
	}
	out.Header.Del(jetstream.MsgIDHeader)
	out.Header.Set(natsx.HeaderDLQStream, md.Stream)
	out.Header.Set(natsx.HeaderDLQSubject, m.Subject())
	out.Header.Set(natsx.HeaderDLQSequence, strconv.FormatUint(md.Sequence.Stream, 10))
	out.Header.Set(natsx.HeaderDLQConsumer, durable)
	out.Header.Set(natsx.HeaderDLQReason, reason)
	dlqID := fmt.Sprintf("dlq/%s/%s/%d", durable, md.Stream, md.Sequence.Stream)
	if _, err := s.d.JS.PublishMsg(ctx, out, jetstream.WithMsgID(dlqID)); err != nil {
		s.log.Error("dead-lettering failed; retrying", "subject", m.Subject(), "err", err)
		_ = m.NakWithDelay(s.cfg.Backoff(int(md.NumDelivered)))
		return
	}
	_ = m.Term()
}
