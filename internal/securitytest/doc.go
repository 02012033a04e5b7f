// Package securitytest holds Newsroom's cross-service security tests: the
// role matrix over every RPC of every service, separation of duties, the
// audit trail, rate limits and floods of bad requests, TLS end to end, and
// per-service NATS permissions. See docs/security.md.
package securitytest
