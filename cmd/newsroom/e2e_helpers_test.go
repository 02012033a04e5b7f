package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the newsroom command: with NEWSROOM_E2E_CLI
// set it runs main's logic, so tests drive the real CLI as a separate
// process without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("NEWSROOM_E2E_CLI") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// devProc is a running `newsroom dev`.
type devProc struct {
	cmd    *exec.Cmd
	dir    string
	grpc   string
	site   string
	nats   string
	tokens map[string]string
	out    *syncBuffer
	done   chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	grpcLine = regexp.MustCompile(`grpc:\s+(\S+)`)
	siteLine = regexp.MustCompile(`site:\s+(\S+)`)
	natsLine = regexp.MustCompile(`nats:\s+(\S+)`)
)

// startDev runs `newsroom dev` on dir with free ports and waits for "ready".
func startDev(t *testing.T, dir string) *devProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "dev", "--data-dir", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--desk-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "NEWSROOM_E2E_CLI=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &devProc{cmd: cmd, dir: dir, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			p.out.Write([]byte(line + "\n"))
			if m := grpcLine.FindStringSubmatch(line); m != nil {
				p.grpc = m[1]
			}
			if m := siteLine.FindStringSubmatch(line); m != nil {
				p.site = m[1]
			}
			if m := natsLine.FindStringSubmatch(line); m != nil {
				p.nats = m[1]
			}
			if strings.TrimSpace(line) == "ready" && !signalled {
				signalled = true
				ready <- nil
			}
		}
		if !signalled {
			ready <- fmt.Errorf("newsroom dev exited before ready")
		}
	}()
	go func() { _ = cmd.Wait(); close(p.done) }()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("%v:\n%s", err, p.out)
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("newsroom dev not ready after 60s:\n%s", p.out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "dev-tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &p.tokens); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop sends SIGINT and waits for a graceful exit.
func (p *devProc) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Errorf("newsroom dev did not stop on SIGINT:\n%s", p.out)
	}
}

// kill ends the process with SIGKILL, as a crash would.
func (p *devProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

type cliResult struct {
	out, err string
	code     int
}

// cli runs the newsroom command against p as the holder of role's token
// ("" for no token).
func (p *devProc) cli(t *testing.T, role string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "NEWSROOM_E2E_CLI=1", "NEWSROOM_ADDR="+p.grpc, "NEWSROOM_TOKEN="+p.tokens[role])
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return cliResult{out.String(), errb.String(), code}
}

// ok runs the CLI and fails the test unless it exits 0.
func (p *devProc) ok(t *testing.T, role string, args ...string) string {
	t.Helper()
	r := p.cli(t, role, args...)
	if r.code != 0 {
		t.Fatalf("newsroom %s (as %s): exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), role, r.code, r.out, r.err)
	}
	return r.out
}

// fails runs the CLI and checks it fails with want in its error output.
func (p *devProc) fails(t *testing.T, role, want string, args ...string) {
	t.Helper()
	r := p.cli(t, role, args...)
	if r.code == 0 {
		t.Fatalf("newsroom %s (as %s) succeeded, want failure %q\n%s", strings.Join(args, " "), role, want, r.out)
	}
	if !strings.Contains(r.err, want) {
		t.Fatalf("newsroom %s (as %s): stderr %q does not contain %q", strings.Join(args, " "), role, r.err, want)
	}
}

// articleJSON is the part of `article get --json` the tests read.
type articleJSON struct {
	ID                string `json:"id"`
	Status            string `json:"status"`
	Revision          string `json:"revision"`
	PublicURL         string `json:"publicUrl"`
	PublishedRevision string `json:"publishedRevision"`
}

func (p *devProc) article(t *testing.T, id string) articleJSON {
	t.Helper()
	var a articleJSON
	if err := json.Unmarshal([]byte(p.ok(t, "editor", "article", "get", id, "--json")), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// waitStatus polls until the article reaches status.
func (p *devProc) waitStatus(t *testing.T, id, status string) articleJSON {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		a := p.article(t, id)
		if a.Status == "STATUS_"+status {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("article %s is %s, want %s\n%s", id, a.Status, status, p.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
