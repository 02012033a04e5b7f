package grpcx_test

import (
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"newsroom.dev/platform/grpcx"
)

func TestInvalidNamesEachField(t *testing.T) {
	st := status.Convert(grpcx.Invalid("ids are required", "article_id", "other_id"))
	if st.Code() != codes.InvalidArgument || st.Message() != "ids are required" {
		t.Fatalf("status %v", st)
	}
	var got []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				if fv.GetDescription() != "ids are required" {
					t.Fatalf("violation %v", fv)
				}
				got = append(got, fv.GetField())
			}
		}
	}
	if len(got) != 2 || got[0] != "article_id" || got[1] != "other_id" {
		t.Fatalf("fields %v", got)
	}
}
