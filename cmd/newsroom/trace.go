package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/tracing"
)

func init() { register("trace", spec{"nats": true}, trace) }

// traceStep is one event of an article's path.
type traceStep struct {
	at          time.Time
	subject     string
	service     string
	revision    int64
	actor       string
	traceparent string
}

// trace prints the path of an article through the services, read from the
// events themselves (so it needs no tracing backend): each event, when it
// was stored, who caused it, and how long each service took to react.
func trace(a *args, out io.Writer) error {
	const u = "trace ID --nats URL"
	if err := a.need(1, u); err != nil {
		return err
	}
	url := a.str("nats", "NEWSROOM_NATS_URL", "")
	if url == "" {
		return usageError(u + " (the NATS URL `newsroom dev` prints, or NEWSROOM_NATS_URL)")
	}
	nc, err := nats.Connect(url, nats.Name("newsroom-trace"))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	steps, err := traceSteps(ctx, js, a.pos[0])
	if err != nil {
		return err
	}
	if len(steps) == 0 {
		return fmt.Errorf("no events for article %s", a.pos[0])
	}
	printTrace(out, a.pos[0], steps)
	return nil
}

// traceSteps reads every event stream for events about id, oldest first.
func traceSteps(ctx context.Context, js jetstream.JetStream, id string) ([]traceStep, error) {
	var steps []traceStep
	for _, stream := range []string{events.StreamDrafting, events.StreamReview, events.StreamPublishing, events.StreamLinking} {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			continue // a service that never ran has no stream yet
		}
		last := s.CachedInfo().State.LastSeq
		if last == 0 {
			continue
		}
		c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
		if err != nil {
			return nil, err
		}
		for seen := uint64(0); seen < last; {
			batch, err := c.Fetch(500, jetstream.FetchMaxWait(time.Second))
			if err != nil {
				return nil, err
			}
			got := 0
			for m := range batch.Messages() {
				got++
				md, err := m.Metadata()
				if err != nil {
					continue
				}
				seen = md.Sequence.Stream
				meta := natsx.EventMeta(m.Data())
				if meta == nil || meta.GetArticleId() != id {
					continue
				}
				steps = append(steps, traceStep{
					at: md.Timestamp, subject: m.Subject(), service: strings.Split(m.Subject(), ".")[1],
					revision: meta.GetRevision(), actor: meta.GetActor(), traceparent: m.Headers().Get(natsx.HeaderTraceparent),
				})
			}
			if got == 0 {
				break
			}
		}
	}
	slices.SortFunc(steps, func(a, b traceStep) int { return a.at.Compare(b.at) })
	return steps, nil
}

func printTrace(out io.Writer, id string, steps []traceStep) {
	fmt.Fprintf(out, "trace of article %s: %d events over %s\n", id, len(steps), steps[len(steps)-1].at.Sub(steps[0].at).Round(time.Millisecond))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tSERVICE\tEVENT\tREV\tACTOR\tSINCE PREVIOUS")
	spent := map[string]time.Duration{}
	var waited time.Duration
	for i, s := range steps {
		gap := time.Duration(0)
		if i > 0 {
			gap = s.at.Sub(steps[i-1].at)
			// Time before an event a person caused is time waiting for
			// people; time before a system event is that service's work.
			if s.actor == "system" {
				spent[s.service] += gap
			} else {
				waited += gap
			}
		}
		fmt.Fprintf(tw, "+%s\t%s\t%s\t%d\t%s\t%s\n", s.at.Sub(steps[0].at).Round(time.Microsecond), s.service,
			strings.TrimPrefix(s.subject, "newsroom."+s.service+"."), s.revision, s.actor, gap.Round(time.Microsecond))
	}
	tw.Flush()
	var parts []string
	for _, svc := range []string{"drafting", "review", "publishing", "linking"} {
		if d, ok := spent[svc]; ok {
			parts = append(parts, fmt.Sprintf("%s %s", svc, d.Round(time.Microsecond)))
		}
	}
	fmt.Fprintf(out, "time in services: %s; waiting for people: %s\n", strings.Join(parts, ", "), waited.Round(time.Millisecond))
	// Every span about the article, whatever call or event started it,
	// is in this trace (package tracing), so it is the id to look up in a
	// tracing backend.
	fmt.Fprintf(out, "trace id: %s\n", tracing.ArticleTraceID(id))
	if tp := steps[0].traceparent; tp != "" {
		fmt.Fprintf(out, "traceparent: %s\n", tp)
	}
}
