package articlefile

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts
// Format writes back so that it parses to the same article and the same
// text again.
func FuzzParse(f *testing.F) {
	f.Add([]byte(full))
	f.Add([]byte("---\nheadline: h\ndesk: d\n---\n"))
	f.Add([]byte("---\nheadline: \"a\\tb\"\ndesk: '---'\ntags: [x, 'y: z']\n---\n---\nbody\n"))
	f.Add([]byte("---\nheadline: &a h\ndesk: *a\nsummary: |\n  one\n\n  two\n---\r\nbody\r\n"))
	f.Add([]byte("---\nheadline: h\ndesk: d\ntakeaways:\n  - {quote: q, context: \"c\\nd\"}\npublished_at: 2024-02-29T23:59:59.123456789-08:00\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, published, err := Parse(data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, not *Error", err, err)
			}
			return
		}
		out := Format(a)
		b, published2, err := Parse(out)
		if err != nil {
			t.Fatalf("Format output does not parse: %v\ninput:\n%q\noutput:\n%q", err, data, out)
		}
		if !proto.Equal(a, b) {
			t.Fatalf("round trip changed the article:\n%v\n%v\noutput:\n%q", a, b, out)
		}
		if !published.Equal(published2) {
			t.Fatalf("published_at %v became %v", published, published2)
		}
		if again := Format(b); string(again) != string(out) {
			t.Fatalf("Format is not stable:\n%q\n%q", out, again)
		}
	})
}
