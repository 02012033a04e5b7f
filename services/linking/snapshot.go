package linking

import (
	"context"
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"newsroom.dev/services/linking/index"
)

// Objects in linking-snapshots: the index, and the reverse links (which
// boxes show which story, linksnap.go). Each records the revision of the
// bucket it was built from, so each is loaded and caught up on its own.
const (
	snapshotObject = "index"
	linksObject    = "links"
)

// snapshotReadTimeout bounds the reading of a snapshot object. It must be
// given: without a deadline the object store applies JetStream's default
// timeout (5 s) to the whole read, which a 700 MB snapshot on a busy
// machine overruns, and the replica would replay the buckets instead.
const snapshotReadTimeout = 10 * time.Minute

// snapshotChunk is the size of the chunks a snapshot object is written
// in. The object store publishes an object's chunks asynchronously, up to
// 4,000 unacknowledged at once, while the server queues at most 128 MB of
// a stream's incoming messages (nats-server's stream ingest limit) and
// refuses the rest with 429 "too many requests". With the default 128 KB
// chunks a 700 MB index (1M stories) overran the queue whenever the disk
// was slower than the client, and the snapshot was never written; 16 KB
// chunks keep what can be in flight at 64 MB.
const snapshotChunk = 16 << 10

// Metadata of a snapshot.
const (
	metaDocsRevision    = "docs-revision"
	metaStories         = "stories"
	metaRelatedRevision = "related-revision"
)

// loadSnapshot replaces the (empty) index with the snapshot in
// linking-snapshots, if there is one this version can read, and returns
// the linking-docs revision it is consistent with: every change up to it
// is in it (later ones may be too; applying them again is harmless). It
// returns 0 if it loaded nothing, and the index is rebuilt from the whole
// bucket.
func (s *Service) loadSnapshot(ctx context.Context) uint64 {
	start := time.Now()
	info, err := s.snaps.GetInfo(ctx, snapshotObject)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return 0
	}
	if err != nil {
		s.log.Warn("reading the snapshot's info; rebuilding from linking-docs", "err", err)
		return 0
	}
	rev, err := strconv.ParseUint(info.Metadata[metaDocsRevision], 10, 64)
	if err != nil || rev == 0 {
		return 0
	}
	rctx, cancel := context.WithTimeout(ctx, snapshotReadTimeout)
	defer cancel()
	res, err := s.snaps.Get(rctx, snapshotObject)
	if err != nil {
		s.log.Warn("reading the snapshot; rebuilding from linking-docs", "err", err)
		return 0
	}
	defer res.Close()
	x, err := index.ReadSnapshot(res)
	if err != nil {
		s.log.Warn("unusable snapshot; rebuilding from linking-docs", "err", err)
		return 0
	}
	if x.Config() != s.index().Config() {
		s.log.Info("snapshot of another index configuration; rebuilding from linking-docs")
		return 0
	}
	x.QueryTerms = s.cfg.QueryTerms
	s.idx.Store(x)
	s.log.Info("index loaded from snapshot", "stories", x.Len(), "docs_revision", rev, "took", time.Since(start))
	return rev
}

// loadLinks replaces the (empty) reverse links with the snapshot in
// linking-snapshots, if there is one, and returns the linking-related
// revision it is consistent with, as loadSnapshot does for the index (0:
// none; the links are rebuilt from the whole bucket).
func (s *Service) loadLinks(ctx context.Context) uint64 {
	start := time.Now()
	info, err := s.snaps.GetInfo(ctx, linksObject)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return 0
	}
	if err != nil {
		s.log.Warn("reading the links snapshot's info; rebuilding from linking-related", "err", err)
		return 0
	}
	rev, err := strconv.ParseUint(info.Metadata[metaRelatedRevision], 10, 64)
	if err != nil || rev == 0 {
		return 0
	}
	rctx, cancel := context.WithTimeout(ctx, snapshotReadTimeout)
	defer cancel()
	res, err := s.snaps.Get(rctx, linksObject)
	if err != nil {
		s.log.Warn("reading the links snapshot; rebuilding from linking-related", "err", err)
		return 0
	}
	defer res.Close()
	l, err := readLinks(res)
	if err != nil {
		s.log.Warn("unusable links snapshot; rebuilding from linking-related", "err", err)
		return 0
	}
	s.links.replace(l)
	s.log.Info("reverse links loaded from snapshot", "articles", len(l.seen), "related_revision", rev, "took", time.Since(start))
	return rev
}

// snapshot writes the index and the reverse links to linking-snapshots,
// unless a snapshot is being written already. It writes to a temporary
// file first, so the index's read lock is held only as long as the disk
// takes, not the upload.
func (s *Service) snapshot(ctx context.Context) {
	if !s.snapshotM.TryLock() {
		return
	}
	defer s.snapshotM.Unlock()
	s.applied.Store(0)
	if err := s.writeSnapshot(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("writing the index snapshot", "err", err)
	}
}

func (s *Service) writeSnapshot(ctx context.Context) error {
	return errors.Join(s.writeIndex(ctx), s.writeLinks(ctx))
}

func (s *Service) writeIndex(ctx context.Context) error {
	start := time.Now()
	// Read before writing: every change up to rev is in the index now.
	rev := s.docsRev.Load()
	if rev == 0 {
		return nil
	}
	x := s.index()
	f, err := os.CreateTemp("", "linking-snapshot-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := x.WriteSnapshot(f); err != nil {
		return err
	}
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	_, err = s.snaps.Put(ctx, jetstream.ObjectMeta{
		Name:     snapshotObject,
		Metadata: map[string]string{metaDocsRevision: strconv.FormatUint(rev, 10), metaStories: strconv.Itoa(x.Len())},
		Opts:     &jetstream.ObjectMetaOptions{ChunkSize: snapshotChunk},
	}, f)
	if err != nil {
		return err
	}
	s.log.Info("index snapshot written", "stories", x.Len(), "docs_revision", rev, "took", time.Since(start))
	return nil
}

func (s *Service) writeLinks(ctx context.Context) error {
	start := time.Now()
	// Read before writing: every change up to rev is in the links now.
	rev := s.relRev.Load()
	if rev == 0 {
		return nil
	}
	f, err := os.CreateTemp("", "linking-links-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := s.links.writeTo(f); err != nil {
		return err
	}
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	_, err = s.snaps.Put(ctx, jetstream.ObjectMeta{
		Name:     linksObject,
		Metadata: map[string]string{metaRelatedRevision: strconv.FormatUint(rev, 10)},
		Opts:     &jetstream.ObjectMetaOptions{ChunkSize: snapshotChunk},
	}, f)
	if err != nil {
		return err
	}
	s.log.Info("links snapshot written", "related_revision", rev, "took", time.Since(start))
	return nil
}

// Snapshot writes a snapshot of the index and the links now (for tools
// and tests).
func (s *Service) Snapshot(ctx context.Context) error {
	s.snapshotM.Lock()
	defer s.snapshotM.Unlock()
	return s.writeSnapshot(ctx)
}
