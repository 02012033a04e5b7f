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
	if len(c.m) > maxCachedRecords || c.bytes != len(c.m) || len(c.old) > maxCachedRecords {
		t.Errorf("%d+%d records, %d bytes after %d puts", len(c.m), len(c.old), c.bytes, maxCachedRecords+1)
	}
	// A full generation turns over: the records written last are still
	// there, those two turns back are not.
	for _, k := range []string{"0", fmt.Sprint(maxCachedRecords)} {
		if _, ok := c.get(k); !ok {
			t.Errorf("record %s was dropped at the first turn", k)
		}
	}
	c.put("0", []byte("y"), 2) // from the older generation to the newer
	if r, ok := c.get("0"); !ok || string(r.value) != "y" {
		t.Errorf("get 0 = %+v, %v; want y", r, ok)
	}
	if _, ok := c.old["0"]; ok {
		t.Error("a record rewritten is still in the older generation")
	}
	for i := range 2 * maxCachedRecords {
		c.put(fmt.Sprint("n", i), []byte("x"), 1)
	}
	if _, ok := c.get("1"); ok {
		t.Error("a record two turns old is still cached")
	}
	value := make([]byte, maxCachedBytes/64)
	for i := range 70 {
		c.put(fmt.Sprint("v", i), value, 1)
		if c.bytes > maxCachedBytes {
			t.Fatalf("%d bytes cached, over %d", c.bytes, maxCachedBytes)
		}
	}
}
