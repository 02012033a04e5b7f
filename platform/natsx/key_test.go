package natsx_test

import (
	"strings"
	"testing"

	"newsroom.dev/platform/natsx"
	"newsroom.dev/platform/testutil"
)

// FuzzValidKey: every key ValidKey accepts is one JetStream KV accepts,
// checked against a real bucket.
func FuzzValidKey(f *testing.F) {
	for _, s := range []string{"01m8f5z31setc2gh", "a.b", "a..b", ".a", "a.", "a b", "a*", "a>", "", "é", "a/b=c_d-e", strings.Repeat("k", natsx.MaxKey+1)} {
		f.Add(s)
	}
	ctx := testCtx(f)
	n := testutil.StartNATS(f, "")
	kv, err := natsx.EnsureKV(ctx, n.JS, "keys", 1)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !natsx.ValidKey(s) {
			return
		}
		if _, err := kv.Put(ctx, s, []byte("x")); err != nil {
			t.Fatalf("ValidKey(%q) but Put: %v", s, err)
		}
	})
}
