package natsx

import (
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// A replicated stream refuses a publish whose Nats-Msg-Id is still being
// proposed (code 10158); publishRaw must try it again rather than fail
// the handler, and must not retry every API error.
func TestDuplicateInProcessIsRetried(t *testing.T) {
	inProcess := fmt.Errorf("publish: %w", &jetstream.APIError{Code: 409, ErrorCode: 10158, Description: "duplicate message id is in process"})
	if !retryable(inProcess) {
		t.Error("duplicate message id in process is not retried")
	}
	wrongSeq := &jetstream.APIError{Code: 400, ErrorCode: jetstream.JSErrCodeStreamWrongLastSequence, Description: "wrong last sequence"}
	if retryable(wrongSeq) {
		t.Error("a compare-and-set refusal is retried as if transient")
	}
}
