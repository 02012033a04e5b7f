package natsx

import (
	"net"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// InProcess is a Connect option for a client in the same process as the
// embedded server s (`newsroom dev`): it connects without a socket, so a
// message costs no system call. Over loopback TCP every message an
// article's trip sends (about 110 each way: events, KV writes, their acks,
// deliveries and acks) is a write by one side and a wake-up and a read by
// the other; at 100 articles a second, when each message goes alone,
// those were 30 % of the CPU of `newsroom dev` (docs/benchmarks.md).
//
// The server offers such connections as net.Pipe, which has no buffer: a
// write waits until the other side reads it. Used as it is, the client's
// flusher, which holds the connection's lock while it writes, stalls
// behind the server's reader, and under load that lost 10 % of the
// throughput TCP gives. So the client's end is a bufferedConn, which
// buffers what the client writes as a socket does. (Buffering what the
// server writes too was measured level with this: the client's reader
// keeps up.)
func InProcess(s *server.Server) nats.Option {
	return nats.InProcessServer(inProcess{s})
}

type inProcess struct{ s *server.Server }

func (p inProcess) InProcessConn() (net.Conn, error) {
	c, err := p.s.InProcessConn()
	if err != nil {
		return nil, err
	}
	return newBufferedConn(c), nil
}

// bufferedConn is the client's end of an in-process connection: reads
// come from the pipe as they are, and a goroutine writes to the pipe what
// the client wrote, so Write returns at once unless connBuffer bytes are
// already waiting. The bound keeps the backpressure a socket gives: a
// client the server cannot keep up with waits in Write.
//
// The write deadline applies to that wait (nats.go sets one around each
// flush); the read deadline is the pipe's.
type bufferedConn struct {
	net.Conn               // the pipe
	done     chan struct{} // closed when the writer goroutine ends

	mu      sync.Mutex
	cond    sync.Cond // broadcast when out, the write deadline or closing changes
	out     connBuf
	outErr  error // why the writer goroutine stopped
	closing bool
	wdl     time.Time // write deadline
}

// connBuffer is how far the client's writes may run ahead of the server's
// reader: about what a loopback socket buffers.
const connBuffer = 1 << 20

// closeFlushTimeout bounds how long Close waits for what the client wrote
// to reach a server that does not read it.
const closeFlushTimeout = 2 * time.Second

func newBufferedConn(pipe net.Conn) *bufferedConn {
	c := &bufferedConn{Conn: pipe, done: make(chan struct{})}
	c.cond.L = &c.mu
	go c.writePipe()
	return c
}

// writePipe passes what the client wrote to the server, and ends once the
// conn is closing and all of it is passed on, or the pipe fails.
func (c *bufferedConn) writePipe() {
	defer close(c.done)
	var chunk []byte
	for {
		c.mu.Lock()
		for c.out.len() == 0 && !c.closing {
			c.cond.Wait()
		}
		if c.out.len() == 0 {
			c.mu.Unlock()
			return
		}
		if c.out.len() >= connBuffer {
			c.cond.Broadcast() // a Write may be waiting for room
		}
		chunk = c.out.swap(chunk)
		c.mu.Unlock()
		if _, err := c.Conn.Write(chunk); err != nil {
			c.mu.Lock()
			c.outErr = err
			c.cond.Broadcast()
			c.mu.Unlock()
			return
		}
	}
}

func (c *bufferedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for len(p) > 0 {
		for {
			switch {
			case c.closing:
				return n, net.ErrClosed
			case c.outErr != nil:
				return n, c.outErr
			case expired(c.wdl):
				return n, os.ErrDeadlineExceeded
			}
			if c.out.len() < connBuffer {
				break
			}
			c.wait(c.wdl)
		}
		if c.out.len() == 0 {
			c.cond.Broadcast() // writePipe may be waiting
		}
		k := min(len(p), connBuffer-c.out.len())
		c.out.write(p[:k])
		p, n = p[k:], n+k
	}
	return n, nil
}

// Close passes on what was written before it, as a socket does (nats.go
// flushes its last messages, then closes), then closes the pipe.
func (c *bufferedConn) Close() error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.closing = true
	c.cond.Broadcast()
	c.mu.Unlock()
	select {
	case <-c.done:
	case <-time.After(closeFlushTimeout):
	}
	return c.Conn.Close()
}

func (c *bufferedConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *bufferedConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wdl = t
	c.cond.Broadcast() // a wait may now end sooner
	return nil
}

// wait waits for a broadcast, or until deadline if there is one; c.mu is
// held. A timer is armed only here, when a wait is needed, not each time
// the deadline is set (nats.go sets one around every flush).
func (c *bufferedConn) wait(deadline time.Time) {
	if deadline.IsZero() {
		c.cond.Wait()
		return
	}
	t := time.AfterFunc(time.Until(deadline), func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	c.cond.Wait()
	t.Stop()
}

func expired(deadline time.Time) bool {
	return !deadline.IsZero() && !time.Now().Before(deadline)
}

// connBuf is a byte queue: b[r:] is unread.
type connBuf struct {
	b []byte
	r int
}

func (q *connBuf) len() int { return len(q.b) - q.r }

func (q *connBuf) write(p []byte) {
	if q.r > 0 && q.r >= len(q.b)/2 {
		// Move the unread part down rather than let the slice grow.
		q.b = q.b[:copy(q.b, q.b[q.r:])]
		q.r = 0
	}
	q.b = append(q.b, p...)
}

// swap hands the unread bytes over in a slice of their own, taking spare
// (emptied) to fill next.
func (q *connBuf) swap(spare []byte) []byte {
	out := q.b[q.r:]
	q.b, q.r = spare[:0], 0
	return out
}
