package natsx

import (
	"fmt"
	"testing"
)

func TestRecordCacheBounds(t *testing.T) {
	var c recordCache
	c.put("a", []byte("v2"), 2)
	c.put("a", []byte("v1"), 1) // older: ignored
	if r, ok := c.get("a"); !ok || string(r.value) != "v2" || r.rev != 2 {
		t.Fatalf("get a = %+v, %v; want v2 at 2", r, ok)
	}
	c.put("big", make([]byte, maxCachedBytes/64+1), 1)
	if _, ok := c.get("big"); ok {
		t.Error("an oversized record was cached")
	}
	c.forget("a")
	if _, ok := c.get("a"); ok || c.bytes != 0 {
		t.Errorf("after forget: cached %v, %d bytes", ok, c.bytes)
	}
	for i := range maxCachedRecords + 1 {
		c.put(fmt.Sprint(i), []byte("x"), 1)
	}
	if len(c.m) > maxCachedRecords || c.bytes != len(c.m) {
		t.Errorf("%d records, %d bytes after %d puts", len(c.m), c.bytes, maxCachedRecords+1)
	}
	value := make([]byte, maxCachedBytes/64)
	for i := range 70 {
		c.put(fmt.Sprint("v", i), value, 1)
		if c.bytes > maxCachedBytes {
			t.Fatalf("%d bytes cached, over %d", c.bytes, maxCachedBytes)
		}
	}
}
