// Command edge is the compose stack's front door: it owns the ports
// published on the host and forwards each TCP connection to a service by
// its compose name, so the services themselves publish no port and can be
// scaled (`docker-compose up -d --scale review=2`) without their host ports
// clashing. Each new connection goes to a randomly chosen replica among
// those the compose network's DNS lists; a replica that refuses is skipped.
//
//	edge PORT=HOST:PORT ...   e.g. edge 9091=drafting:9090 8080=publishing:8080
//	edge                      the same, routes from NEWSROOM_EDGE_ROUTES (space-separated)
//	edge healthcheck          exits 0 if every listener of NEWSROOM_EDGE_ROUTES accepts
//
// gRPC (HTTP/2) and the public site (HTTP/1.1) both pass through untouched:
// edge copies bytes and knows no protocol.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

type route struct {
	listen  string // ":9091"
	backend string // "drafting:9090"
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("service", "edge")
	args := os.Args[1:]
	if len(args) == 0 {
		args = strings.Fields(os.Getenv("NEWSROOM_EDGE_ROUTES"))
	}
	healthcheck := len(args) > 0 && args[0] == "healthcheck"
	if healthcheck {
		args = strings.Fields(os.Getenv("NEWSROOM_EDGE_ROUTES"))
	}
	routes, err := parse(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "edge:", err)
		os.Exit(2)
	}
	if healthcheck {
		os.Exit(check(routes))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, routes, log); err != nil {
		log.Error("exiting", "err", err)
		os.Exit(1)
	}
}

func parse(args []string) ([]route, error) {
	if len(args) == 0 {
		return nil, errors.New("no routes: give PORT=HOST:PORT arguments or set NEWSROOM_EDGE_ROUTES")
	}
	var rs []route
	for _, a := range args {
		l, b, ok := strings.Cut(a, "=")
		if !ok || l == "" || b == "" {
			return nil, fmt.Errorf("bad route %q, want PORT=HOST:PORT", a)
		}
		if !strings.Contains(l, ":") {
			l = ":" + l
		}
		if _, _, err := net.SplitHostPort(b); err != nil {
			return nil, fmt.Errorf("bad backend in %q: %w", a, err)
		}
		rs = append(rs, route{listen: l, backend: b})
	}
	return rs, nil
}

func serve(ctx context.Context, routes []route, log *slog.Logger) error {
	var lis []net.Listener
	for _, r := range routes {
		l, err := net.Listen("tcp", r.listen)
		if err != nil {
			for _, l := range lis {
				l.Close()
			}
			return err
		}
		lis = append(lis, l)
	}
	var wg sync.WaitGroup
	for i, r := range routes {
		wg.Go(func() { accept(ctx, lis[i], r, log) })
	}
	log.Info("ready", "routes", len(routes))
	<-ctx.Done()
	for _, l := range lis {
		l.Close()
	}
	wg.Wait()
	return nil
}

func accept(ctx context.Context, l net.Listener, r route, log *slog.Logger) {
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("accept", "listen", r.listen, "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		conns.Go(func() { forward(ctx, c, r, log) })
	}
}

// forward connects c to one replica of r.backend and copies both ways
// until either side is done.
func forward(ctx context.Context, c net.Conn, r route, log *slog.Logger) {
	defer c.Close()
	// gRPC and HTTP clients speak first; a connection that closes without a
	// byte (a health probe, a port scan) never reaches a backend.
	first := make([]byte, 32<<10)
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	n, err := c.Read(first)
	if n == 0 || (err != nil && !errors.Is(err, io.EOF)) {
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	b, err := dial(ctx, r.backend)
	if err != nil {
		log.Warn("no backend", "listen", r.listen, "backend", r.backend, "err", err)
		return
	}
	defer b.Close()
	if _, err := b.Write(first[:n]); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(b, c)
	go pipe(c, b)
	select {
	case <-done:
		// One side finished; give the other a moment to flush its half.
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		case <-ctx.Done():
		}
	case <-ctx.Done():
	}
}

// dial resolves host afresh for every connection, so replicas that come
// and go are picked up, and tries them in random order.
func dial(ctx context.Context, backend string) (net.Conn, error) {
	host, port, _ := net.SplitHostPort(backend)
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	addrs, err := net.DefaultResolver.LookupHost(rctx, host)
	cancel()
	if err != nil {
		return nil, err
	}
	rand.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	d := net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}
	var last error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(a, port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

// check reports whether every listener accepts a connection; it says
// nothing about the services behind them, which have their own checks.
func check(routes []route) int {
	for _, r := range routes {
		_, port, _ := net.SplitHostPort(r.listen)
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), 2*time.Second)
		if err != nil {
			fmt.Fprintln(os.Stderr, "unhealthy:", err)
			return 1
		}
		c.Close()
	}
	return 0
}
