package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	auditv1 "newsroom.dev/gen/newsroom/audit/v1"
	"newsroom.dev/platform/audit"
)

// Records stored at once may share messages; each is listed exactly once,
// and each Record returns only once its record is stored.
func TestAuditConcurrentRecords(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			svc := []string{"drafting", "review"}[i%2]
			e.auditor.Record(ctx, &auditv1.AuditRecord{Service: svc, Method: "m", ArticleId: fmt.Sprintf("a%d", i)})
		})
	}
	wg.Wait()
	got := e.list(t, &auditv1.ListAuditRecordsRequest{Limit: audit.MaxLimit}).Records
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r.ArticleId] {
			t.Errorf("%s listed twice", r.ArticleId)
		}
		seen[r.ArticleId] = true
		if r.Service != "drafting" && r.Service != "review" {
			t.Errorf("record %v without a service", r)
		}
	}
	if len(seen) != n {
		t.Errorf("%d records listed, want %d", len(seen), n)
	}
	st, err := e.nats.JS.Stream(ctx, audit.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs == 0 || info.State.Msgs > n {
		t.Errorf("%d messages for %d records", info.State.Msgs, n)
	}
	t.Logf("%d records in %d messages", n, info.State.Msgs)
}

// A message holding several records is listed as those records, all with
// its sequence; a malformed one loses only what cannot be read.
func TestAuditBatchMessage(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	var data []byte
	for _, id := range []string{"b1", "b2", "b3"} {
		raw, err := proto.Marshal(&auditv1.AuditRecord{Service: "drafting", Method: "m", ArticleId: id, Subject: "wanda"})
		if err != nil {
			t.Fatal(err)
		}
		data = protowire.AppendBytes(data, raw)
	}
	m := nats.NewMsg(audit.Subject("drafting"))
	m.Data = data
	m.Header.Set(audit.HeaderBatch, "3")
	ack, err := e.nats.JS.PublishMsg(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	bad := nats.NewMsg(audit.Subject("drafting"))
	bad.Data = append(protowire.AppendBytes(nil, []byte{}), 0xff)
	bad.Header.Set(audit.HeaderBatch, "2")
	if _, err := e.nats.JS.PublishMsg(ctx, bad); err != nil {
		t.Fatal(err)
	}
	got := e.list(t, &auditv1.ListAuditRecordsRequest{Subject: "wanda"}).Records
	if len(got) != 3 {
		t.Fatalf("%d records, want 3: %v", len(got), got)
	}
	for i, r := range got {
		if want := fmt.Sprintf("b%d", i+1); r.ArticleId != want || r.Sequence != ack.Sequence {
			t.Errorf("record %d: %s at %d, want %s at %d", i, r.ArticleId, r.Sequence, want, ack.Sequence)
		}
	}
}
