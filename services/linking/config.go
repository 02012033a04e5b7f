package linking

import (
	"strconv"
	"time"

	"newsroom.dev/platform/service"
	"newsroom.dev/services/linking/index"
)

// Config tunes the linking service.
type Config struct {
	// Related is how many stories a Related News box holds (default 5).
	Related int
	// QueryTerms is how many of an article's terms, by tf-idf, make the
	// query for its related stories (default 25).
	QueryTerms int
	// FanOut bounds the forward links of one publication: how many older
	// boxes a new story may enter (default 20).
	FanOut int
	// MinForward is the least score a new story needs to enter an older
	// story's box that is not full (default 0.2); a full box takes it
	// only if it beats the box's weakest story.
	MinForward float64
	// SnapshotEvery is how many changes to linking-docs this replica
	// applies between two snapshots of its index (default 50,000; -1:
	// never).
	SnapshotEvery int
	// RecoveryEvery is how often the outbox of linking-related is checked
	// for events that a crashed replica stored but did not publish
	// (default 30s).
	RecoveryEvery time.Duration
}

// ConfigFromEnv reads NEWSROOM_LINKING_RELATED,
// NEWSROOM_LINKING_QUERY_TERMS, NEWSROOM_LINKING_FAN_OUT and
// NEWSROOM_LINKING_SNAPSHOT_EVERY; unset or invalid values take the
// defaults.
func ConfigFromEnv() Config {
	return Config{
		Related:       atoi(service.Env("NEWSROOM_LINKING_RELATED", "")),
		QueryTerms:    atoi(service.Env("NEWSROOM_LINKING_QUERY_TERMS", "")),
		FanOut:        atoi(service.Env("NEWSROOM_LINKING_FAN_OUT", "")),
		SnapshotEvery: atoi(service.Env("NEWSROOM_LINKING_SNAPSHOT_EVERY", "")),
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func (c Config) withDefaults() Config {
	if c.Related <= 0 {
		c.Related = 5
	}
	if c.QueryTerms <= 0 {
		c.QueryTerms = index.Full.QueryTerms
	}
	if c.FanOut <= 0 {
		c.FanOut = 20
	}
	if c.MinForward <= 0 {
		c.MinForward = 0.2
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = 50000
	}
	if c.RecoveryEvery <= 0 {
		c.RecoveryEvery = 30 * time.Second
	}
	return c
}
