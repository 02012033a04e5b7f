package natsx

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"
)

// backoff is the delay before retry number attempt (0-based): exponential
// from 100ms to 10s with jitter, so replicas that failed together do not
// retry together.
func backoff(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt, 7)
	d = min(d, 10*time.Second)
	return d/2 + rand.N(d/2+1)
}

func isNoResponders(err error) bool {
	return errors.Is(err, nats.ErrNoResponders)
}
