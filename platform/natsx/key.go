package natsx

import "strings"

// MaxKey bounds the keys Newsroom derives from request fields (article
// ids and the like): far above any id it issues, far below what would
// burden a subject.
const MaxKey = 256

// ValidKey reports whether s can be a key of a JetStream KV bucket
// (letters, digits and -/_=. , not starting or ending with a dot nor
// holding two in a row) of at most MaxKey bytes. Services check ids
// taken from requests with it, so a malformed one is refused as
// InvalidArgument at the edge rather than failing in the store.
func ValidKey(s string) bool {
	return len(s) <= MaxKey && validKVKey(s)
}

// validKVKey is ValidKey without the bound on the length: what Store
// writes to its bucket's subjects.
func validKVKey(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}
