package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	rs, err := parse([]string{"9091=drafting:9090", "127.0.0.1:8080=publishing:8080"})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].listen != ":9091" || rs[0].backend != "drafting:9090" || rs[1].listen != "127.0.0.1:8080" {
		t.Fatalf("parsed %+v", rs)
	}
	for _, bad := range [][]string{nil, {"9091"}, {"9091=drafting"}, {"=drafting:9090"}} {
		if _, err := parse(bad); err == nil {
			t.Errorf("parse(%q) accepted", bad)
		}
	}
}

// echo is a backend that answers each line with "<name>: <line>" and
// counts its connections.
func echo(t *testing.T, name string) (addr string, conns *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	conns = &atomic.Int32{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				sc.Buffer(make([]byte, 1<<20), 1<<20)
				for sc.Scan() {
					if _, err := io.WriteString(c, name+": "+sc.Text()+"\n"); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String(), conns
}

func TestForwards(t *testing.T) {
	backend, conns := echo(t, "drafting")
	_, port, _ := net.SplitHostPort(backend)
	// The backend by name, as compose's DNS would give it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []route{{listen: front, backend: "localhost:" + port}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var c net.Conn
	for deadline := time.Now().Add(5 * time.Second); ; {
		if c, err = net.Dial("tcp", front); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for _, line := range []string{"hello", strings.Repeat("x", 100<<10)} {
		if _, err := io.WriteString(c, line+"\n"); err != nil {
			t.Fatal(err)
		}
		got, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if got != "drafting: "+line+"\n" {
			t.Fatalf("got %.40q…", got)
		}
	}

	// A probe that connects and says nothing never reaches the backend.
	probe, err := net.Dial("tcp", front)
	if err != nil {
		t.Fatal(err)
	}
	probe.Close()
	if got := check([]route{{listen: front}}); got != 0 {
		t.Fatalf("healthcheck = %d, want 0", got)
	}
	time.Sleep(100 * time.Millisecond)
	if n := conns.Load(); n != 1 {
		t.Fatalf("backend saw %d connections, want 1 (probes must not reach it)", n)
	}
}
