package main

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"newsroom.dev/services/linking/index"
)

// queryHash builds docs with Add, one story after another (so the index,
// unlike AddAll's, is the same on every run), runs queries random stories
// through each kind of query the service makes, and prints a SHA-256 of
// every hit's id and score bits, in order: a change to the query path
// must leave it as it was.
func queryHash(docs []index.Doc, queries int, seed uint64) {
	x := index.New()
	for _, d := range docs {
		x.Add(d)
	}
	r := rand.New(rand.NewPCG(seed, 99))
	sample := make([]index.Doc, queries)
	for i := range sample {
		sample[i] = docs[r.IntN(len(docs))]
	}
	kinds := []struct {
		name string
		run  func(d index.Doc) []index.Hit
	}{
		{"full, at publication", func(d index.Doc) []index.Hit { return x.RelatedTo(d.ID, 10, d.PublishedAt) }},
		{"full, any time", func(d index.Doc) []index.Hit { return x.RelatedTo(d.ID, 10, time.Time{}) }},
		{"baseline, at publication", func(d index.Doc) []index.Hit {
			return x.Search(index.Query{ID: d.ID, K: 10, Before: d.PublishedAt, Ranking: &index.BM25Baseline})
		}},
		{"suggest", func(d index.Doc) []index.Hit { return x.Search(index.Query{Doc: &d, K: 10}) }},
		{"backlinks", func(d index.Doc) []index.Hit { return x.Backlinks(d.ID, 50, nil) }},
	}
	all := sha256.New()
	for _, k := range kinds {
		h := sha256.New()
		hits := 0
		for _, d := range sample {
			for _, hit := range k.run(d) {
				h.Write([]byte(hit.Doc.ID))
				h.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(hit.Score)))
				hits++
			}
			h.Write([]byte{0})
		}
		sum := h.Sum(nil)
		all.Write(sum)
		fmt.Printf("query hash %-26s %x (%d hits)\n", k.name, sum[:8], hits)
	}
	fmt.Printf("query hash, all: %x\n", all.Sum(nil))
}
