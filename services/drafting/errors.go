package drafting

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/platform/grpcx"
)

// errIDTaken is returned by CreateArticle's update function in the
// (astronomically unlikely) case that a fresh id is already in use.
var errIDTaken = errors.New("drafting: article id already taken")

// rpcError turns an error from a handler into a status: statuses made
// deliberately (NotFound, Aborted, ...) pass through; anything else is an
// internal failure, logged and hidden from the caller.
func (s *Service) rpcError(ctx context.Context, what string, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, what+" canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, what+" timed out")
	}
	return grpcx.Internal(ctx, s.log, what, err)
}

func notFound(id string) error {
	return status.Errorf(codes.NotFound, "article %s not found", id)
}

func stale(expected, current int64) error {
	return status.Errorf(codes.Aborted, "stale revision %d: current revision is %d", expected, current)
}

// wrongState is FailedPrecondition naming the article's status and what
// would make the call possible.
func wrongState(a *articlev1.Article, format string, args ...any) error {
	return status.Errorf(codes.FailedPrecondition, "article %s is %s: %s", a.GetId(), statusName(a.GetStatus()), fmt.Sprintf(format, args...))
}

// statusName is a status as people say it: STATUS_IN_REVIEW → "in review".
func statusName(st articlev1.Status) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(st.String(), "STATUS_")), "_", " ")
}
