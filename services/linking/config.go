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
	// RecoveryEvery is how often the outbox of linking-related is checked
	// for events that a crashed replica stored but did not publish
	// (default 30s).
	RecoveryEvery time.Duration
}

// ConfigFromEnv reads NEWSROOM_LINKING_RELATED and
// NEWSROOM_LINKING_QUERY_TERMS; unset or invalid values take the defaults.
func ConfigFromEnv() Config {
	return Config{
		Related:    atoi(service.Env("NEWSROOM_LINKING_RELATED", "")),
		QueryTerms: atoi(service.Env("NEWSROOM_LINKING_QUERY_TERMS", "")),
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
		c.QueryTerms = index.DefaultQueryTerms
	}
	if c.RecoveryEvery <= 0 {
		c.RecoveryEvery = 30 * time.Second
	}
	return c
}
