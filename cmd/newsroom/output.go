package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
)

// printJSON writes m as indented protojson (the --json output).
func printJSON(out io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  ", EmitUnpopulated: false}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(b))
	return err
}

// statusName is the status as documented: DRAFT, IN_REVIEW, ….
func statusName(s articlev1.Status) string {
	return strings.TrimPrefix(s.String(), "STATUS_")
}

// parseStatus accepts "in_review", "IN-REVIEW", "STATUS_IN_REVIEW" and so on.
func parseStatus(s string) (articlev1.Status, error) {
	n := strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
	if !strings.HasPrefix(n, "STATUS_") {
		n = "STATUS_" + n
	}
	v, ok := articlev1.Status_value[n]
	if !ok || v == 0 {
		return 0, fmt.Errorf("unknown status %q (want DRAFT, IN_REVIEW, CHANGES_REQUESTED, READY, SCHEDULED, PUBLISHED or UNPUBLISHED)", s)
	}
	return articlev1.Status(v), nil
}

func fmtTime(ts *timestamppb.Timestamp) string {
	if ts == nil || (ts.Seconds == 0 && ts.Nanos == 0) {
		return "-"
	}
	return ts.AsTime().Local().Format(time.RFC3339)
}

func printArticle(out io.Writer, a *articlev1.Article) {
	fmt.Fprintf(out, "id:        %s\n", a.GetId())
	fmt.Fprintf(out, "status:    %s\n", statusName(a.GetStatus()))
	fmt.Fprintf(out, "revision:  %d\n", a.GetRevision())
	if a.GetPublishedRevision() > 0 {
		fmt.Fprintf(out, "live:      revision %d at %s\n", a.GetPublishedRevision(), a.GetPublicUrl())
	}
	fmt.Fprintf(out, "desk:      %s\n", a.GetDesk())
	fmt.Fprintf(out, "byline:    %s\n", a.GetByline())
	fmt.Fprintf(out, "headline:  %s\n", a.GetHeadline())
	if a.GetDek() != "" {
		fmt.Fprintf(out, "dek:       %s\n", a.GetDek())
	}
	if len(a.GetTags()) > 0 {
		fmt.Fprintf(out, "tags:      %s\n", strings.Join(a.GetTags(), ", "))
	}
	fmt.Fprintf(out, "created:   %s by %s\n", fmtTime(a.GetCreatedAt()), a.GetCreatedBy())
	fmt.Fprintf(out, "updated:   %s by %s\n", fmtTime(a.GetUpdatedAt()), a.GetUpdatedBy())
	if a.GetScheduledAt() != nil {
		fmt.Fprintf(out, "scheduled: %s\n", fmtTime(a.GetScheduledAt()))
	}
	if a.GetPublishedAt() != nil {
		fmt.Fprintf(out, "published: %s\n", fmtTime(a.GetPublishedAt()))
	}
	if n := a.GetSensitivityNote(); n.GetTitle() != "" || n.GetText() != "" {
		fmt.Fprintf(out, "note:      %s — %s\n", n.GetTitle(), n.GetText())
	}
}
