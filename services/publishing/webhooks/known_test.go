package webhooks_test

import (
	"fmt"
	"slices"
	"testing"

	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/platform/events"
	"newsroom.dev/platform/testutil"
	"newsroom.dev/services/publishing/webhooks"
)

// TestSubscriptionSeenAtOnceByEveryReplica: the fan-out reads each
// replica's watched copy of the subscriptions, and that copy must never
// make it miss an event published right after a subscription was added
// on another replica. Two replicas share the fan-out; a subscription
// added on one gets every one of the events published at once after it.
func TestSubscriptionSeenAtOnceByEveryReplica(t *testing.T) {
	e := setup(t)
	other, err := webhooks.New(e.ctx, testutil.Deps(e.n, e.keys, nil), testConfig())
	if err != nil {
		t.Fatal(err)
	}
	otherClient := publishingv1.NewWebhookServiceClient(testutil.Serve(t, e.keys, other))

	var want []string
	for round := range 5 {
		rc := newReceiver(t, secret, nil)
		client := e.client
		if round%2 == 1 {
			client = otherClient
		}
		resp, err := client.AddWebhook(e.ctx, &publishingv1.AddWebhookRequest{Url: rc.srv.URL, Events: []string{events.ArticlePublished}, Secret: secret}, e.admin)
		if err != nil {
			t.Fatal(err)
		}
		id := resp.GetWebhook().GetId()
		var articles []string
		for i := range 4 {
			a := fmt.Sprintf("r%da%d", round, i)
			publish(t, e.ctx, e.n.JS, a)
			articles = append(articles, a)
		}
		got := rc.waitDelivered(t, deliveryIDs(id, articles...))
		if ids := keys(got); !slices.Equal(ids, deliveryIDs(id, articles...)) {
			t.Fatalf("round %d: delivered %v", round, ids)
		}
		want = append(want, id)
	}
	if len(want) != 5 {
		t.Fatal(want)
	}
}
