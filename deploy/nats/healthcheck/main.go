// Command healthcheck is the NATS container's health probe. The image is
// FROM scratch, so there is no shell or curl: Docker runs this static binary
// instead. It exits 0 only if the local nats-server's monitoring endpoint
// says JetStream is enabled and, when the server is clustered, the node
// knows the JetStream meta leader (so services started after it can create
// their streams at once). It deliberately does not wait for every stream
// replica to catch up: a node that is still syncing is alive and serving.
//
//	healthcheck [-url http://127.0.0.1:8222] [-timeout 3s]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8222", "nats-server monitoring address")
	timeout := flag.Duration("timeout", 3*time.Second, "give up after")
	flag.Parse()
	if err := check(*base, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "unhealthy:", err)
		os.Exit(1)
	}
}

func check(base string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout}
	if _, err := get(c, base+"/healthz?js-enabled-only=true"); err != nil {
		return err
	}
	body, err := get(c, base+"/jsz")
	if err != nil {
		return err
	}
	var jsz struct {
		Disabled bool `json:"disabled"`
		Meta     *struct {
			Name   string `json:"name"`
			Leader string `json:"leader"`
		} `json:"meta_cluster"`
	}
	if err := json.Unmarshal(body, &jsz); err != nil {
		return fmt.Errorf("/jsz: %w", err)
	}
	if jsz.Disabled {
		return fmt.Errorf("JetStream is disabled")
	}
	if jsz.Meta != nil && jsz.Meta.Name != "" && jsz.Meta.Leader == "" {
		return fmt.Errorf("no JetStream meta leader yet in cluster %s", jsz.Meta.Name)
	}
	return nil
}

func get(c *http.Client, url string) ([]byte, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s %s", url, resp.Status, b)
	}
	return b, nil
}
