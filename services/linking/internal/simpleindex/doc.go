// Package simpleindex is the skeleton's related-stories index, kept
// unchanged so that cmd/relatedbench can measure the index that replaced
// it against it: a map-based in-memory BM25 index (term → doc id → tf),
// queried with an article's top terms by tf-idf. Nothing in the service
// uses it.
package simpleindex
