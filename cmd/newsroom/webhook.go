package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
)

// Webhook verbs (admin only; the publishing service serves them):
//
//	newsroom webhook add --url U --events E1,E2 [--secret S]
//	newsroom webhook list
//	newsroom webhook remove ID
//	newsroom webhook deliveries ID [--limit N]
//
// The secret may come from NEWSROOM_WEBHOOK_SECRET instead of --secret
// (it stays out of shell history); without either, the service generates
// one, printed once.
func init() {
	register("webhook add", spec{"url": true, "events": true, "secret": true}, webhookAdd)
	register("webhook list", nil, webhookList)
	register("webhook remove", nil, webhookRemove)
	register("webhook deliveries", spec{"limit": true}, webhookDeliveries)
}

func (c *clients) webhooks() (publishingv1.WebhookServiceClient, error) {
	cc, err := c.conn("publishing")
	if err != nil {
		return nil, err
	}
	return publishingv1.NewWebhookServiceClient(cc), nil
}

func webhookAdd(a *args, out io.Writer) error {
	const u = "webhook add --url U --events E1,E2 [--secret S]"
	if err := a.need(0, u); err != nil {
		return err
	}
	url, evs := a.str("url", "", ""), splitList(a.str("events", "", ""))
	if url == "" || len(evs) == 0 {
		return usageError(u + " (events are subjects such as newsroom.publishing.article.published, or newsroom.publishing.>)")
	}
	c := newClients(a)
	defer c.close()
	w, err := c.webhooks()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := w.AddWebhook(ctx, &publishingv1.AddWebhookRequest{
		Url: url, Events: evs, Secret: a.str("secret", "NEWSROOM_WEBHOOK_SECRET", ""),
	})
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, resp)
	}
	printWebhook(out, resp.GetWebhook())
	if s := resp.GetSecret(); s != "" {
		fmt.Fprintf(out, "secret:  %s\n         (shown once: give it to the receiver now)\n", s)
	}
	return nil
}

func webhookList(a *args, out io.Writer) error {
	if err := a.need(0, "webhook list"); err != nil {
		return err
	}
	c := newClients(a)
	defer c.close()
	w, err := c.webhooks()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := w.ListWebhooks(ctx, &publishingv1.ListWebhooksRequest{})
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, resp)
	}
	if len(resp.GetWebhooks()) == 0 {
		fmt.Fprintln(out, "no webhooks")
	}
	for i, wh := range resp.GetWebhooks() {
		if i > 0 {
			fmt.Fprintln(out)
		}
		printWebhook(out, wh)
	}
	return nil
}

func webhookRemove(a *args, out io.Writer) error {
	if err := a.need(1, "webhook remove ID"); err != nil {
		return err
	}
	c := newClients(a)
	defer c.close()
	w, err := c.webhooks()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	if _, err := w.RemoveWebhook(ctx, &publishingv1.RemoveWebhookRequest{Id: a.pos[0]}); err != nil {
		return err
	}
	fmt.Fprintf(out, "removed %s\n", a.pos[0])
	return nil
}

func webhookDeliveries(a *args, out io.Writer) error {
	const u = "webhook deliveries ID [--limit N]"
	if err := a.need(1, u); err != nil {
		return err
	}
	req := &publishingv1.ListDeliveriesRequest{WebhookId: a.pos[0]}
	if l := a.str("limit", "", ""); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			return usageError(u + " (--limit is a positive number)")
		}
		req.Limit = int32(min(n, 1<<30))
	}
	c := newClients(a)
	defer c.close()
	w, err := c.webhooks()
	if err != nil {
		return err
	}
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := w.ListDeliveries(ctx, req)
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, resp)
	}
	if len(resp.GetDeliveries()) == 0 {
		fmt.Fprintln(out, "no delivery attempts yet")
		return nil
	}
	if resp.GetTruncated() {
		fmt.Fprintln(out, "(older attempts left out; raise --limit to see more)")
	}
	for _, d := range resp.GetDeliveries() {
		code := "-"
		if d.GetStatusCode() != 0 {
			code = strconv.Itoa(int(d.GetStatusCode()))
		}
		fmt.Fprintf(out, "%s  #%d  %-9s  %3s  %5dms  %s\n", fmtTime(d.GetTime()), d.GetAttempt(),
			outcomeName(d.GetOutcome()), code, d.GetDurationMs(), d.GetDeliveryId())
		if d.GetError() != "" {
			fmt.Fprintf(out, "    %s\n", d.GetError())
		}
	}
	return nil
}

func printWebhook(out io.Writer, w *publishingv1.Webhook) {
	fmt.Fprintf(out, "id:      %s\n", w.GetId())
	fmt.Fprintf(out, "url:     %s\n", w.GetUrl())
	fmt.Fprintf(out, "events:  %s\n", strings.Join(w.GetEvents(), ", "))
	fmt.Fprintf(out, "created: %s by %s\n", fmtTime(w.GetCreatedAt()), w.GetCreatedBy())
}

// outcomeName is DELIVERED, RETRYING or FAILED.
func outcomeName(o publishingv1.DeliveryOutcome) string {
	return strings.TrimPrefix(o.String(), "DELIVERY_OUTCOME_")
}

// splitList splits "a,b, c" into its non-empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
