package natsx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"newsroom.dev/platform/metrics"
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
	Log      *slog.Logger
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
	log = log.With("consumer", cfg.Durable)
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
	dlqOnce := false
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			_ = m.Term()
			return
		}
		if md.NumDelivered > 1 {
			metrics.Redeliveries.WithLabelValues(cfg.Durable).Inc()
		}
		metrics.ConsumerPending.WithLabelValues(cfg.Durable).Set(float64(md.NumPending))
		began := time.Now()
		herr := safeHandle(ctx, handler, m)
		metrics.HandleSeconds.WithLabelValues(cfg.Durable).Observe(time.Since(began).Seconds())
		outcome := "ack"
		defer func() { metrics.EventsConsumed.WithLabelValues(cfg.Durable, m.Subject(), outcome).Inc() }()
		if herr == nil {
			if err := m.DoubleAck(ctx); err != nil && ctx.Err() == nil {
				log.Warn("ack failed; the message will be redelivered", "subject", m.Subject(), "err", err)
			}
			return
		}
		var p permanent
		if errors.As(herr, &p) || int(md.NumDelivered) >= cfg.MaxDeliver {
			if !dlqOnce {
				if _, err := EnsureStream(ctx, js, DLQStream, []string{DLQSubject + ".>"}, cfg.Replicas); err != nil {
					log.Error("dead-letter stream", "err", err)
				} else {
					dlqOnce = true
				}
			}
			if err := deadLetter(ctx, js, cfg, m, md, herr); err != nil {
				outcome = "retry"
				log.Error("dead-lettering failed; retrying", "subject", m.Subject(), "err", err)
				_ = m.NakWithDelay(backoff(int(md.NumDelivered)))
				return
			}
			outcome = "dead"
			metrics.DeadLetters.WithLabelValues(cfg.Durable).Inc()
			log.Error("dead-lettered", "subject", m.Subject(), "seq", md.Sequence.Stream, "deliveries", md.NumDelivered, "err", herr)
			_ = m.Term()
			return
		}
		outcome = "retry"
		log.Warn("handler failed; retrying", "subject", m.Subject(), "seq", md.Sequence.Stream, "deliveries", md.NumDelivered, "err", herr)
		_ = m.NakWithDelay(backoff(int(md.NumDelivered)))
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
		return fmt.Errorf("natsx: consume %s: %w", cfg.Durable, err)
	}
	<-ctx.Done()
	cc.Drain()
	select {
	case <-cc.Closed():
	case <-time.After(5 * time.Second):
	}
	return nil
}

func safeHandle(ctx context.Context, h Handler, m jetstream.Msg) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Permanent(fmt.Errorf("panic: %v", r))
		}
	}()
	if tp := m.Headers().Get(HeaderTraceparent); tp != "" {
		ctx = WithTraceparent(ctx, tp)
	}
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
