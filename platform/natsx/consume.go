package natsx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"newsroom.dev/platform/metrics"
	"newsroom.dev/platform/tracing"
)

// DLQStream holds messages that a consumer could not handle; their subject
// is newsroom.dlq.<durable> and their headers say where they came from.
const (
	DLQStream  = "DLQ"
	DLQSubject = "newsroom.dlq"
)

// Header names on dead letters.
const (
	HeaderDLQStream   = "Newsroom-Dlq-Stream"
	HeaderDLQSubject  = "Newsroom-Dlq-Subject"
	HeaderDLQSequence = "Newsroom-Dlq-Sequence"
	HeaderDLQReason   = "Newsroom-Dlq-Reason"
	HeaderDLQConsumer = "Newsroom-Dlq-Consumer"
)

// Handler handles one event. Returning nil acks it; an error retries it
// with backoff, and after MaxDeliver attempts dead-letters it. Wrap an
// error with Permanent to dead-letter at once.
type Handler func(ctx context.Context, msg jetstream.Msg) error

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as one that no retry can fix (a malformed event).
func Permanent(err error) error { return permanent{err} }

// ConsumerConfig describes a durable, explicitly acked consumer.
type ConsumerConfig struct {
	Stream   string
	Durable  string
	Subjects []string
	// MaxDeliver attempts before a message is dead-lettered (default 8).
	MaxDeliver int
	// AckWait before an unacked message is redelivered (default 30s).
	AckWait time.Duration
	// Replicas of the DLQ stream, created on the first dead letter
	// (default: those of Stream).
	Replicas int
	// Concurrency is how many events are handled at once (default 1: one
	// at a time, in stream order). Above 1, events about one article
	// (EventMeta.article_id) are still handled one at a time in stream
	// order, and events without an article id all go to one worker in
	// order; only events of different articles overlap. Set it for
	// handlers that touch only their own article's records.
	Concurrency int
	Log         *slog.Logger
}

// DefaultConcurrency is ConsumerConfig.Concurrency's default.
const DefaultConcurrency = 1

// ArticleConcurrency is the Concurrency services use for their per-article
// consumers. Handlers spend most of their time waiting for JetStream (a
// read, a compare-and-set, an event: one round trip after another), not
// on the CPU, so a consumer's pace is about Concurrency events per
// handler latency: with 16, linking (some 20 round trips a story, 70 to
// 300 ms under load) held the pipeline to ~200 stories/s with a core
// idle, and drafting's status and publishing's copy of the boxes were
// next (16 at 16 to 27 ms an event, 2 and 4.6 events a story). 64 keeps
// the CPU, not the worker count, the limit; one article's events are
// still handled one at a time, in order.
const ArticleConcurrency = 64

// delivery is a message on its way to a worker, with the article it is
// about (read once, for the scheduler and the span).
type delivery struct {
	m       jetstream.Msg
	article string
	rev     int64
}

// Consume runs handler over cfg's consumer until ctx ends. Several replicas
// of a service share one durable, so JetStream splits the work among them.
// It waits for the stream to exist, so services can start in any order.
func Consume(ctx context.Context, js jetstream.JetStream, cfg ConsumerConfig, handler Handler) error {
	if cfg.MaxDeliver == 0 {
		cfg.MaxDeliver = 8
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = 30 * time.Second
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	log = tracing.Logger(log).With("consumer", cfg.Durable)
	ccfg := jetstream.ConsumerConfig{
		Durable:        cfg.Durable,
		FilterSubjects: cfg.Subjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        cfg.AckWait,
		MaxDeliver:     cfg.MaxDeliver,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		MaxAckPending:  1000,
	}
	var cons jetstream.Consumer
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := js.CreateOrUpdateConsumer(cctx, cfg.Stream, ccfg)
		cancel()
		if err == nil {
			cons = c
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		if attempt%20 == 5 {
			log.Warn("waiting for stream", "stream", cfg.Stream, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff(min(attempt, 3))):
		}
	}
	if cfg.Replicas == 0 {
		// Dead letters are kept as safely as the events they came from.
		if s, err := js.Stream(ctx, cfg.Stream); err == nil {
			cfg.Replicas = s.CachedInfo().Config.Replicas
		}
	}
	var (
		dlqMu   sync.Mutex
		dlqOnce bool
	)
	ack := acker(js.Conn())
	// This consumer's series, looked up once.
	var (
		redeliveries = metrics.Redeliveries.WithLabelValues(cfg.Durable)
		pending      = metrics.ConsumerPending.WithLabelValues(cfg.Durable)
		handleTime   = metrics.HandleSeconds.WithLabelValues(cfg.Durable)
	)
	handle := func(d delivery) {
		m := d.m
		md, err := m.Metadata()
		if err != nil {
			_ = m.Term()
			return
		}
		if md.NumDelivered > 1 {
			redeliveries.Inc()
		}
		pending.Set(float64(md.NumPending))
		began := time.Now()
		mctx, span := consumeSpan(ctx, cfg.Durable, m, d.article, d.rev)
		herr := safeHandle(mctx, handler, m)
		handleTime.Observe(time.Since(began).Seconds())
		outcome := "ack"
		defer func() {
			metrics.EventsConsumed.WithLabelValues(cfg.Durable, m.Subject(), outcome).Inc()
			endSpan(span, herr)
		}()
		if herr == nil {
			if log.Enabled(mctx, slog.LevelDebug) {
				log.DebugContext(mctx, "handled", "subject", m.Subject(), "seq", md.Sequence.Stream, "ms", time.Since(began).Milliseconds())
			}
			if err := ack(m); err != nil && ctx.Err() == nil {
				log.WarnContext(mctx, "ack failed; the message will be redelivered", "subject", m.Subject(), "err", err)
			}
			return
		}
		var p permanent
		if errors.As(herr, &p) || int(md.NumDelivered) >= cfg.MaxDeliver {
			dlqMu.Lock()
			if !dlqOnce {
				if _, err := EnsureStream(ctx, js, DLQStream, []string{DLQSubject + ".>"}, cfg.Replicas); err != nil {
					log.ErrorContext(mctx, "dead-letter stream", "err", err)
				} else {
					dlqOnce = true
				}
			}
			dlqMu.Unlock()
			if err := deadLetter(ctx, js, cfg, m, md, herr); err != nil {
				outcome = "retry"
				log.ErrorContext(mctx, "dead-lettering failed; retrying", "subject", m.Subject(), "err", err)
				_ = m.NakWithDelay(backoff(int(md.NumDelivered)))
				return
			}
			outcome = "dead"
			metrics.DeadLetters.WithLabelValues(cfg.Durable).Inc()
			log.ErrorContext(mctx, "dead-lettered", "subject", m.Subject(), "seq", md.Sequence.Stream, "deliveries", md.NumDelivered, "err", herr)
			_ = m.Term()
			return
		}
		outcome = "retry"
		log.WarnContext(mctx, "handler failed; retrying", "subject", m.Subject(), "seq", md.Sequence.Stream, "deliveries", md.NumDelivered, "err", herr)
		_ = m.NakWithDelay(backoff(int(md.NumDelivered)))
	}
	workers := cfg.Concurrency
	if workers <= 0 {
		workers = DefaultConcurrency
	}
	stop := make(chan struct{})
	sched := newScheduler(workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { sched.work(handle, stop) })
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		d := delivery{m: m}
		d.article, d.rev = eventArticle(m.Data())
		sched.add(d, stop)
	},
		// Buffer few messages, so none waits in the client past AckWait
		// behind a slow handler and is redelivered while still queued.
		jetstream.PullMaxMessages(64),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if ctx.Err() == nil && !errors.Is(err, jetstream.ErrNoHeartbeat) {
				log.Debug("consume", "err", err)
			}
		}))
	if err != nil {
		close(stop)
		wg.Wait()
		return fmt.Errorf("natsx: consume %s: %w", cfg.Durable, err)
	}
	<-ctx.Done()
	cc.Drain()
	select {
	case <-cc.Closed():
	case <-time.After(5 * time.Second):
	}
	// Events still queued are not acked: JetStream delivers them again.
	close(stop)
	wg.Wait()
	return nil
}

// acker returns how Consume acks a handled message: a plain ack, sent
// without waiting for the server to confirm it (DoubleAck's round trip
// held the worker back from its next event, and its reply cost the server
// a message to the client), but carrying a reply subject that names this
// Consume, _INBOX.<id>.ack, to which nothing subscribes. The server's
// answer to it is dropped at once, and whoever watches the acks (the
// compose checker) can still tell which replica acked which event. An ack
// that is lost is no loss: the event is redelivered after AckWait and the
// handler, idempotent like every handler, finds it applied.
func acker(nc *nats.Conn) func(jetstream.Msg) error {
	reply := nats.NewInbox() + ".ack"
	return func(m jetstream.Msg) error {
		return nc.PublishMsg(&nats.Msg{Subject: m.Reply(), Reply: reply, Data: ackData})
	}
}

var ackData = []byte("+ACK")

func safeHandle(ctx context.Context, h Handler, m jetstream.Msg) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Permanent(fmt.Errorf("panic: %v", r))
		}
	}()
	return h(ctx, m)
}

func deadLetter(ctx context.Context, js jetstream.JetStream, cfg ConsumerConfig, m jetstream.Msg, md *jetstream.MsgMetadata, cause error) error {
	out := nats.NewMsg(DLQSubject + "." + cfg.Durable)
	out.Data = m.Data()
	for k, vs := range m.Headers() {
		for _, v := range vs {
			out.Header.Add(k, v)
		}
	}
	out.Header.Del(jetstream.MsgIDHeader)
	out.Header.Set(HeaderDLQStream, md.Stream)
	out.Header.Set(HeaderDLQSubject, m.Subject())
	out.Header.Set(HeaderDLQSequence, strconv.FormatUint(md.Sequence.Stream, 10))
	out.Header.Set(HeaderDLQConsumer, cfg.Durable)
	out.Header.Set(HeaderDLQReason, cause.Error())
	id := fmt.Sprintf("dlq/%s/%s/%d", cfg.Durable, md.Stream, md.Sequence.Stream)
	_, err := js.PublishMsg(ctx, out, jetstream.WithMsgID(id))
	return err
}

var timeAfter = time.After
