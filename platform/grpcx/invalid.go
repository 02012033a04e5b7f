package grpcx

import (
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Invalid is the InvalidArgument status every validator returns: msg, and
// a BadRequest detail naming each of fields with msg as its description,
// so tools can point at the field without parsing the message.
func Invalid(msg string, fields ...string) error {
	st := status.New(codes.InvalidArgument, msg)
	br := &errdetails.BadRequest{}
	for _, f := range fields {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: f, Description: msg})
	}
	if d, err := st.WithDetails(br); err == nil {
		st = d
	}
	return st.Err()
}
