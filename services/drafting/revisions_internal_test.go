package drafting

import "testing"

// The RPC and the revision-log consumer both write a revision's snapshot;
// in one process the second waits for the first and then writes nothing
// if the first stored it, or writes it itself if the first failed.
func TestSnapshotWritersTakeTurns(t *testing.T) {
	var s storedSnapshots
	if stored, busy := s.claim("a.1"); stored || busy != nil {
		t.Fatalf("first claim: stored %v, busy %v; want it to write", stored, busy)
	}
	_, busy := s.claim("a.1")
	if busy == nil {
		t.Fatal("second claim while the first writes: want to wait")
	}
	s.release("a.1", false) // the first write failed
	<-busy
	if stored, busy := s.claim("a.1"); stored || busy != nil {
		t.Fatalf("after a failed write: stored %v, busy %v; want it to write", stored, busy)
	}
	s.release("a.1", true)
	if stored, _ := s.claim("a.1"); !stored {
		t.Fatal("after a stored write: want it known as stored")
	}
}
