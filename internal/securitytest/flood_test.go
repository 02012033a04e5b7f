package securitytest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/testutil"
)

// The default limit (grpcx.DefaultRateLimit, 20/s in bursts of 40) is in
// force on a server built like service.Main's: a burst of writes beyond it
// is refused with ResourceExhausted, reads are not limited, and the caller
// gets through again once the bucket refills.
func TestRateLimitBurst(t *testing.T) {
	t.Setenv("NEWSROOM_RATE_LIMIT", "")
	s := startSystem(t)
	dr := draftingv1.NewDraftingServiceClient(s.conn)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wanda := s.as(t, "wanda", auth.Writer)

	// Invalid creates: they cost a token each but store nothing.
	burst := grpcx.DefaultRateLimit.Burst
	passed := 0
	var refused error
	for range 3 * burst {
		_, err := dr.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: &articlev1.Article{}}, wanda)
		if status.Code(err) == codes.ResourceExhausted {
			refused = err
			break
		}
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("create %d: %v", passed, err)
		}
		passed++
	}
	if refused == nil || passed < burst || passed > 2*burst {
		t.Fatalf("%d writes passed before %v; want the burst of %d, then ResourceExhausted", passed, refused, burst)
	}
	for range 50 {
		if _, err := dr.ListArticles(ctx, &draftingv1.ListArticlesRequest{}, wanda); err != nil {
			t.Fatalf("a read while rate limited: %v", err)
		}
	}
	if _, err := dr.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: hedged()}, s.as(t, "walt", auth.Writer)); err != nil {
		t.Fatalf("another writer while wanda is limited: %v", err)
	}
	testutil.Eventually(t, wait, "wanda to get through again", func() bool {
		_, err := dr.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: hedged()}, wanda)
		return err == nil
	})
}

// rawCodec sends bytes as they are, to put what the protobuf library
// refuses to marshal (invalid UTF-8 in a string) on the wire.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return v.([]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// invalidUTF8Create is a CreateArticleRequest whose headline is not UTF-8.
func invalidUTF8Create() []byte {
	art := (&articlev1.Article{}).ProtoReflect().Descriptor()
	req := (&draftingv1.CreateArticleRequest{}).ProtoReflect().Descriptor()
	var a []byte
	a = protowire.AppendTag(a, art.Fields().ByName("headline").Number(), protowire.BytesType)
	a = protowire.AppendBytes(a, []byte("Bad \xff\xfe headline"))
	a = protowire.AppendTag(a, art.Fields().ByName("desk").Number(), protowire.BytesType)
	a = protowire.AppendString(a, "metro")
	var b []byte
	b = protowire.AppendTag(b, req.Fields().ByName("article").Number(), protowire.BytesType)
	return protowire.AppendBytes(b, a)
}

// Thousands of bad requests — garbage tokens, messages over the 4 MiB
// limit, bytes that are not UTF-8, control characters, and writes from
// thousands of distinct (valid) callers — are all refused, and afterwards
// the server still answers a good request and the heap has not grown
// without bound.
func TestFloodOfBadRequests(t *testing.T) {
	t.Setenv("NEWSROOM_RATE_LIMIT", "")
	s := startSystem(t)
	dr := draftingv1.NewDraftingServiceClient(s.conn)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	writer := s.as(t, "wanda", auth.Writer)
	// Warm up: the first calls allocate connection buffers and caches.
	if _, err := dr.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: hedged()}, writer); err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()

	huge := &articlev1.Article{Headline: "Huge", Desk: "metro", Body: strings.Repeat("x", grpcx.MaxMessageBytes+1024)}
	control := &articlev1.Article{Headline: "Bell \a in the headline", Desk: "metro", Body: "NUL \x00 in the body"}
	raw := invalidUTF8Create()
	type kind struct {
		name  string
		n     int
		call  func(i int) error
		codes []codes.Code
	}
	kinds := []kind{
		{"garbage token", 2000, func(i int) error {
			_, err := dr.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: hedged()}, testutil.As(fmt.Sprintf("garbage.%d.token", i)))
			return err
		}, []codes.Code{codes.Unauthenticated}},
		{"oversized message", 40, func(int) error {
			_, err := dr.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: huge}, writer)
			return err
		}, []codes.Code{codes.ResourceExhausted}},
		{"invalid UTF-8", 1000, func(int) error {
			var out []byte
			return s.conn.Invoke(ctx, draftingv1.DraftingService_CreateArticle_FullMethodName, raw, &out, grpc.ForceCodec(rawCodec{}), writer)
		}, []codes.Code{codes.Internal, codes.InvalidArgument}},
		{"control characters (one caller: rate limited)", 1000, func(int) error {
			_, err := dr.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: control}, writer)
			return err
		}, []codes.Code{codes.InvalidArgument, codes.ResourceExhausted}},
		{"bad ids (reads: not rate limited)", 1000, func(i int) error {
			_, err := dr.GetArticle(ctx, &draftingv1.GetArticleRequest{Id: fmt.Sprintf("../../etc/passwd\x00%d", i)}, writer)
			return err
		}, []codes.Code{codes.InvalidArgument, codes.NotFound}},
		{"distinct callers", 2000, func(i int) error {
			_, err := dr.CreateArticle(ctx, &draftingv1.CreateArticleRequest{Article: control}, s.as(t, fmt.Sprintf("flood-%d", i), auth.Writer))
			return err
		}, []codes.Code{codes.InvalidArgument}},
	}
	total := 0
	for _, k := range kinds {
		var wg sync.WaitGroup
		var next atomic.Int64
		var mu sync.Mutex
		got := map[codes.Code]int{}
		for range 16 {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= k.n {
						return
					}
					c := status.Code(k.call(i))
					mu.Lock()
					got[c]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		total += k.n
		for c, n := range got {
			ok := false
			for _, want := range k.codes {
				ok = ok || c == want
			}
			if !ok {
				t.Errorf("%s: %d answered %v, want one of %v", k.name, n, c, k.codes)
			}
		}
		t.Logf("%s: %v", k.name, got)
	}

	// Still serving, promptly (the context bounds it; no timing asserted).
	gctx, gcancel := context.WithTimeout(ctx, 10*time.Second)
	defer gcancel()
	resp, err := dr.CreateArticle(gctx, &draftingv1.CreateArticleRequest{Article: hedged()}, s.as(t, "after-the-flood", auth.Writer))
	if err != nil || resp.GetArticle().GetId() == "" {
		t.Fatalf("a good request after %d bad ones: %v", total, err)
	}
	after := heap()
	const bound = 64 << 20
	growth := int64(after) - int64(before)
	t.Logf("heap %d MiB before, %d MiB after %d bad requests", before>>20, after>>20, total)
	if growth > bound {
		t.Errorf("heap grew by %d MiB over the flood (bound %d MiB)", growth>>20, bound>>20)
	}
}
