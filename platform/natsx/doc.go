// Package natsx is Newsroom's wiring to NATS JetStream: the embedded server
// that `newsroom dev` runs, connections, the streams and buckets each service
// owns, publishing with deterministic message ids, protobuf values in KV with
// compare-and-set, and the consumer loop that acks explicitly, retries with
// backoff and dead-letters poison messages.
//
// JetStream is the only infrastructure Newsroom has, so every guarantee the
// services give (no lost update, no doubled effect) rests on this package.
package natsx
