package natsx

import "testing"

// The watermark never covers a write in flight: one whose sequence is not
// known yet holds it at the highest sequence acked before it was sent,
// one acked and not yet published just below its own.
func TestMarksHoldBelowWritesInFlight(t *testing.T) {
	w := newMarks(nil, "b")
	w.armed = true // no flush: there is no bucket
	t1 := w.begin()
	t2 := w.begin()
	w.sent(t2, 10)
	w.published(t2, "k2")
	if w.mark != 0 {
		t.Fatalf("mark %d with a write sent before 10 and not acked, want 0", w.mark)
	}
	w.sent(t1, 12)
	if w.mark != 0 {
		t.Fatalf("mark %d, want 0", w.mark)
	}
	t3 := w.begin() // sent after 12 was acked: stored above it
	w.published(t1, "k1")
	if w.mark != 12 {
		t.Fatalf("mark %d, want 12", w.mark)
	}
	w.sent(t3, 15)
	t4 := w.begin()
	w.sent(t4, 20)
	w.published(t4, "k4")
	if w.mark != 14 {
		t.Fatalf("mark %d with 15 acked and not published, want 14", w.mark)
	}
	w.refused(t3) // (a refused write has no sequence; as if never sent)
	if w.mark != 20 {
		t.Fatalf("mark %d, want 20", w.mark)
	}
	t5 := w.begin()
	w.unknown(t5)
	t6 := w.begin()
	w.sent(t6, 30)
	w.published(t6, "k6")
	if w.mark != 20 {
		t.Fatalf("mark %d after a write of unknown outcome, want it held at 20", w.mark)
	}
	if !w.vouched(t.Context(), w.id, "k6", 30) || w.vouched(t.Context(), w.id, "k5", 25) {
		t.Error("own published write not vouched for, or an unknown one vouched for")
	}
}
