package review

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestCheckNoteText(t *testing.T) {
	cases := []struct {
		v         string
		multiline bool
		ok        bool
	}{
		{"Political sensitivity", false, true},
		{"two\nparagraphs", true, true},
		{"two\nlines", false, false},
		{"nul\x00byte", true, false},
		{"esc\x1b[31m", true, false},
		{"bad \xff utf8", true, false},
	}
	for _, c := range cases {
		err := checkNoteText("note.text", c.v, 100, c.multiline)
		if (err == nil) != c.ok {
			t.Errorf("checkNoteText(%q, multiline=%v) = %v, want ok=%v", c.v, c.multiline, err, c.ok)
		}
		if err != nil && status.Code(err) != codes.InvalidArgument {
			t.Errorf("code %v, want InvalidArgument", status.Code(err))
		}
	}
}
