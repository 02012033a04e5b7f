package natsx

import "sync"

// scheduler hands Consume's events to its workers: any idle worker takes
// the next event of an article no worker has in hand, and the worker that
// has an article keeps it, handling the events that arrived for it
// meanwhile in stream order before it takes another. So one article's
// events never overlap and keep their order, and a slow or busy article
// holds up only its own events. (Workers used to own a fixed share of
// the articles, by hash, each with its own queue: two articles of one
// share waited for each other while other workers sat idle, and one full
// queue stopped every delivery.)
//
// With one worker, every event counts as one article's: events are handled
// one at a time in stream order, as ConsumerConfig promises.
//
// At most heldPerWorker events a worker are held at once, in hand or
// waiting; past that, add waits, and JetStream keeps the rest. The bound keeps an event from
// waiting in the process past AckWait, to be redelivered while still
// queued.
type scheduler struct {
	slots chan struct{} // one per event held
	ready chan delivery // first events of articles no worker has
	mu    sync.Mutex
	held  map[string][]delivery // article in hand → its events waiting
	one   bool                  // a single worker: all events in order
}

// heldPerWorker is how many events a scheduler holds per worker.
const heldPerWorker = 4

func newScheduler(workers int) *scheduler {
	limit := heldPerWorker * workers
	return &scheduler{
		slots: make(chan struct{}, limit),
		ready: make(chan delivery, limit),
		held:  map[string][]delivery{},
		one:   workers == 1,
	}
}

// key is the article d is scheduled under.
func (s *scheduler) key(d delivery) string {
	if s.one {
		return ""
	}
	return d.article
}

// add queues d behind the events of its article, or for any worker if
// none is in hand; it waits while the scheduler is full, until stop.
// Events without an article id count as one article: in order, one at a
// time.
func (s *scheduler) add(d delivery, stop <-chan struct{}) {
	select {
	case s.slots <- struct{}{}:
	case <-stop:
		return
	}
	k := s.key(d)
	s.mu.Lock()
	if q, ok := s.held[k]; ok {
		s.held[k] = append(q, d)
		s.mu.Unlock()
		return
	}
	s.held[k] = nil
	s.mu.Unlock()
	s.ready <- d // never blocks: ready has a slot per event held
}

// work handles events until stop: an article's first event from ready,
// then the article's events that came in meanwhile, until it has none.
func (s *scheduler) work(handle func(delivery), stop <-chan struct{}) {
	for {
		var d delivery
		select {
		case d = <-s.ready:
		case <-stop:
			return
		}
		for {
			handle(d)
			<-s.slots
			k := s.key(d)
			s.mu.Lock()
			q := s.held[k]
			if len(q) == 0 {
				delete(s.held, k)
				s.mu.Unlock()
				break
			}
			d, q[0] = q[0], delivery{}
			s.held[k] = q[1:]
			s.mu.Unlock()
			select {
			case <-stop:
				return
			default:
			}
		}
	}
}
