package articlefile

import "fmt"

// Error is a problem in an article file, located by its 1-based line
// number in the whole file (front matter delimiters included), so an
// editor can jump straight to it.
type Error struct {
	// File is the path, when the file was read by ParseFile.
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.File != "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("articlefile: line %d: %s", e.Line, e.Msg)
}

func errorf(line int, format string, args ...any) *Error {
	return &Error{Line: line, Msg: fmt.Sprintf(format, args...)}
}
