package natsx

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// A bufferedConn keeps a socket's backpressure: while the server reads
// nothing, Write takes what the buffer and the chunk in flight hold, then
// waits, here until its deadline; what it took arrives whole and in order.
func TestBufferedConnWriteWaitsForAReader(t *testing.T) {
	client, server := net.Pipe()
	c := newBufferedConn(client)
	defer c.Close()
	p := make([]byte, 5*connBuffer)
	for i := range p {
		p[i] = byte(i * 7)
	}
	if err := c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	n, err := c.Write(p)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write to a server that does not read: %d bytes, %v; want a deadline error", n, err)
	}
	if n < connBuffer || n >= len(p) {
		t.Fatalf("Write took %d bytes before waiting; want between %d and %d", n, connBuffer, len(p))
	}
	got := make([]byte, n)
	if _, err := io.ReadFull(server, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, p[:n]) {
		t.Fatal("the bytes written arrived changed or out of order")
	}
	// With the deadline lifted and the server reading, the rest goes.
	if err := c.SetWriteDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = c.Write(p[n:]) }()
	rest := make([]byte, len(p)-n)
	if _, err := io.ReadFull(server, rest); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rest, p[n:]) {
		t.Fatal("the rest arrived changed")
	}
}

// Reads wait for the server, until a deadline if one is set, and end
// with io.EOF once the server has closed and everything it sent is read;
// writes fail once the server is gone.
func TestBufferedConnReadDeadlineAndEOF(t *testing.T) {
	client, server := net.Pipe()
	c := newBufferedConn(client)
	defer c.Close()
	buf := make([]byte, 64)
	if err := c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err := c.Read(buf)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read with nothing sent: %v; want a timeout", err)
	}
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	// The server's end writes, then closes (a pipe's write waits for the
	// read, as the server's write loop does).
	go func() {
		_, _ = server.Write([]byte("INFO {}\r\n"))
		_ = server.Close()
	}()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "INFO {}\r\n" {
		t.Fatalf("after the server closed: %q, %v", got, err)
	}
	if _, err := c.Write([]byte("PING\r\n")); err == nil {
		// The first write may still be taken before the writer sees the
		// closed pipe; later ones must fail.
		if !eventuallyFails(func() error { _, err := c.Write([]byte("PING\r\n")); return err }) {
			t.Fatal("writes to a closed server keep succeeding")
		}
	}
}

func eventuallyFails(f func() error) bool {
	for range 100 {
		if f() != nil {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}
