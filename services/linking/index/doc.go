// Package index finds the stories most related to a story, over an
// archive of a million and more, in milliseconds.
//
// Ranking (rank.go, query.go): a query is built from a story in the
// manner of Lucene's MoreLikeThis — its terms with the highest tf-idf,
// from headline, dek, summary, body and tags with field weights, leaving
// out terms no other story has and terms too many have — and candidates
// are scored with BM25 against it, skipping postings that cannot matter
// (MaxScore). BM25Baseline stops there; Full counts every query term the
// same, re-ranks a pool of candidates by the BM25 score relative to the
// story's own, plus the overlap of named entities and tags, times a
// recency decay, plus the candidate's similarity to the best candidates
// (vector.go), and collapses near-duplicate copies (SimHash). Entities are found without a model (entities.go, data/).
//
// Storage (index.go, postings.go): postings are delta- and varint-coded
// in blocks with skip entries; terms, entities and story ids are interned
// in byte arenas; per-story data sits in pointer-free slices indexed by
// document number. A story's text is not kept: only its signature (its
// top terms as of indexing), from which its own query is built later.
// Snapshots (snapshot.go) write those slices out and read them back.
//
// The service uses New, Prepare/PutPrepared or Put, Delete, Get, Has,
// Search, Backlinks, Score and the snapshots.
package index
