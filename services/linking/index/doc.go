// Package index finds the earlier stories most related to an article. This
// is the skeleton ranking: an in-memory BM25 index over a story's headline
// (weighted ×3), dek, summary, body and tags, queried with the article's top
// terms by tf-idf, in the manner of Lucene's MoreLikeThis.
//
// The service depends only on New, Add, Remove, Get, Len, Related and
// RelatedTo, so the index can be rebuilt for a large archive (compressed
// postings, near-duplicate collapse, recency) without touching it.
package index
