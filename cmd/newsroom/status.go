package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func init() { register("status", nil, serviceStatus) }

// services are the gRPC health names of Newsroom's services.
var services = []struct{ short, name string }{
	{"drafting", "newsroom.drafting.v1.DraftingService"},
	{"review", "newsroom.review.v1.ReviewService"},
	{"publishing", "newsroom.publishing.v1.PublishingService"},
	{"linking", "newsroom.linking.v1.LinkingService"},
}

// serviceStatus asks each service's grpc.health.v1 and fails unless all
// four are SERVING.
func serviceStatus(a *args, out io.Writer) error {
	c := newClients(a)
	defer c.close()
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tADDRESS\tSTATUS")
	bad := 0
	for _, s := range services {
		st := "UNREACHABLE"
		if cc, err := c.conn(s.short); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: s.name})
			cancel()
			if err == nil {
				st = resp.GetStatus().String()
			}
		}
		if st != "SERVING" {
			bad++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.short, c.addr(s.short), st)
	}
	tw.Flush()
	if bad > 0 {
		return errors.New(fmt.Sprint(bad, " service(s) not serving"))
	}
	return nil
}
