package review

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/grpcx"
	"newsroom.dev/platform/natsx"
)

// Request validation, kept apart from the handlers as pure functions so
// the fuzzers (validate_fuzz_test.go) can run them without a stack. Every
// refusal is InvalidArgument with a BadRequest detail naming the field.

// Limits of the sensitivity note, the reader-facing text review sets,
// and of the reviewers' own texts: a dismissal's reason and a request for
// changes.
const (
	MaxNoteTitle   = 300  // runes
	MaxNoteText    = 2000 // runes
	MaxReason      = 2000 // runes
	MaxChangesNote = 5000 // runes
	MaxFlagID      = 128  // bytes
)

// requireArticleID: every call on a review names its article, by an id
// that can be a key of the review buckets.
func requireArticleID(id string) error {
	if id == "" {
		return grpcx.Invalid("article_id is required", "article_id")
	}
	if !natsx.ValidKey(id) {
		return grpcx.Invalid("article_id is not a valid article id", "article_id")
	}
	return nil
}

// validateDecision checks the ids ApproveFlag and DismissFlag act on.
func validateDecision(articleID, flagID string) error {
	if err := requireArticleID(articleID); err != nil {
		return err
	}
	if flagID == "" {
		return grpcx.Invalid("flag_id is required", "flag_id")
	}
	if !validFlagID(flagID) {
		return grpcx.Invalid("flag_id is not a valid flag id", "flag_id")
	}
	return nil
}

// validFlagID: flag ids are short ASCII tokens (review issues them as hex);
// anything else cannot name a flag.
func validFlagID(id string) bool {
	if len(id) > MaxFlagID {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// dismissReason is DismissFlag's reason, trimmed; it must not be empty.
func dismissReason(req *reviewv1.DismissFlagRequest) (string, error) {
	reason := strings.TrimSpace(req.GetReason())
	if reason == "" {
		return "", grpcx.Invalid("reason is required to dismiss a flag", "reason")
	}
	if err := checkNoteText("reason", reason, MaxReason, true); err != nil {
		return "", err
	}
	return reason, nil
}

// approveNote is ApproveFlag's optional note, trimmed.
func approveNote(req *reviewv1.ApproveFlagRequest) (string, error) {
	note := strings.TrimSpace(req.GetNote())
	if err := checkNoteText("note", note, MaxReason, true); err != nil {
		return "", err
	}
	return note, nil
}

// changesNote validates RequestChanges and returns its note, trimmed.
func changesNote(req *reviewv1.RequestChangesRequest) (string, error) {
	if err := requireArticleID(req.GetArticleId()); err != nil {
		return "", err
	}
	note := strings.TrimSpace(req.GetNote())
	if note == "" {
		return "", grpcx.Invalid("note is required: tell the author what to change", "note")
	}
	if err := checkNoteText("note", note, MaxChangesNote, true); err != nil {
		return "", err
	}
	return note, nil
}

// sensitivityNote validates SetSensitivityNote and returns the note's
// title and text, trimmed; empty reports that both are empty (remove the
// note, unless accept_proposed).
func sensitivityNote(req *reviewv1.SetSensitivityNoteRequest) (title, text string, empty bool, err error) {
	if err := requireArticleID(req.GetArticleId()); err != nil {
		return "", "", false, err
	}
	note := req.GetNote()
	title, text = strings.TrimSpace(note.GetTitle()), strings.TrimSpace(note.GetText())
	empty = title == "" && text == ""
	if req.GetAcceptProposed() && !empty {
		return "", "", false, grpcx.Invalid("send either note or accept_proposed, not both", "accept_proposed")
	}
	if !empty && text == "" {
		return "", "", false, grpcx.Invalid("note.text is required", "note.text")
	}
	if err := checkNoteText("note.title", title, MaxNoteTitle, false); err != nil {
		return "", "", false, err
	}
	if err := checkNoteText("note.text", text, MaxNoteText, true); err != nil {
		return "", "", false, err
	}
	return title, text, empty, nil
}

// checkNoteText holds the sensitivity note (and the reviewers' reasons
// and notes, which the desk and the author read) to the same rules drafting
// applies to article text: valid UTF-8, bounded, no control characters
// (newlines only where paragraphs make sense).
func checkNoteText(field, v string, maxRunes int, multiline bool) error {
	if !utf8.ValidString(v) {
		return grpcx.Invalid(field+" is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(v); n > maxRunes {
		return grpcx.Invalid(fmt.Sprintf("%s is %d characters; at most %d", field, n, maxRunes), field)
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			return grpcx.Invalid(fmt.Sprintf("%s contains a control character (U+%04X)", field, r), field)
		}
	}
	return nil
}

// validateCheckText: CheckText needs an article to scan.
func validateCheckText(req *reviewv1.CheckTextRequest) error {
	if req.GetArticle() == nil {
		return grpcx.Invalid("article is required", "article")
	}
	return nil
}
