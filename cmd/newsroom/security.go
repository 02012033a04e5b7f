package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/types/known/timestamppb"
	auditv1 "newsroom.dev/gen/newsroom/audit/v1"
	"newsroom.dev/platform/grpcx"
)

func init() {
	// Client certificate for mutual TLS, and AuditService's address,
	// accepted by every verb.
	globalFlags["cert"] = true
	globalFlags["key"] = true
	globalFlags["audit-addr"] = true
	register("audit list", spec{"article": true, "subject": true, "since": true, "limit": true}, auditList)
}

// devTLS is the gRPC server TLS of `newsroom dev --tls-cert F --tls-key F`
// (or NEWSROOM_TLS_CERT and NEWSROOM_TLS_KEY, as for the services); none
// (plaintext, on loopback) by default.
func devTLS(a *args) ([]grpc.ServerOption, error) {
	cert, key := a.str("tls-cert", "NEWSROOM_TLS_CERT", ""), a.str("tls-key", "NEWSROOM_TLS_KEY", "")
	if cert == "" && key == "" {
		return nil, nil
	}
	if cert == "" || key == "" {
		return nil, usageError("dev --tls-cert FILE --tls-key FILE (both, or neither)")
	}
	cfg, err := grpcx.TLSConfig(cert, key, "")
	if err != nil {
		return nil, err
	}
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(cfg))}, nil
}

// auditList prints the audit trail (admins only): the newest records
// matching the filters, oldest first.
func auditList(a *args, out io.Writer) error {
	const u = "audit list [--article ID] [--subject S] [--since RFC3339] [--limit N]"
	if err := a.need(0, u); err != nil {
		return err
	}
	req := &auditv1.ListAuditRecordsRequest{ArticleId: a.str("article", "", ""), Subject: a.str("subject", "", "")}
	if s := a.str("since", "", ""); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return usageError(u + " (--since is a time such as 2026-03-01T09:00:00Z)")
		}
		req.Since = timestamppb.New(t)
	}
	if s := a.str("limit", "", ""); s != "" {
		var n int32
		if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n <= 0 {
			return usageError(u)
		}
		req.Limit = n
	}
	c := newClients(a)
	defer c.close()
	cc, err := c.conn("audit")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := auditv1.NewAuditServiceClient(cc).ListAuditRecords(ctx, req)
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, resp)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tSUBJECT\tSERVICE\tMETHOD\tARTICLE\tCODE\tPEER")
	for _, r := range resp.GetRecords() {
		method := r.GetMethod()
		method = method[strings.LastIndexByte(method, '/')+1:]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.GetTime().AsTime().UTC().Format(time.RFC3339), r.GetSubject(),
			r.GetService(), method, dash(r.GetArticleId()), r.GetCode(), r.GetPeer())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if resp.GetTruncated() {
		_, err = fmt.Fprintln(out, "(older records left out: narrow the filters or raise --limit)")
	}
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
