package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// tls checks the stack's transport security from outside, as a client on
// the host would meet it: NATS (the published node) and each gRPC address
// refuse a plaintext client and a TLS client that does not trust the
// stack's CA, and serve one that does (so the refusals are not just a
// dead port).
func (c *checker) tls(grpcAddrs []string) error {
	pem, err := os.ReadFile(c.ca)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("no certificates in %s", c.ca)
	}
	failed := 0
	report := func(ok bool, what string, detail any) {
		if ok {
			fmt.Printf("tls: ok   %s (%v)\n", what, detail)
		} else {
			failed++
			fmt.Printf("tls: FAIL %s (%v)\n", what, detail)
		}
	}

	// NATS.
	u, err := url.Parse(c.url)
	if err != nil {
		return err
	}
	reply, err := natsPlaintext(u.Host)
	report(err == nil && !strings.Contains(reply, "PONG"), "NATS "+u.Host+" refuses a plaintext client", fmt.Sprintf("reply %q, %v", reply, err))
	if nc, err := nats.Connect("tls://"+u.Host, nats.Timeout(5*time.Second), nats.NoReconnect()); err == nil {
		nc.Close()
		report(false, "NATS refuses a client without the CA", "connected")
	} else {
		report(isCertError(err), "NATS refuses a client without the CA", err)
	}
	nc, err := c.connect("ops")
	if err == nil {
		report(nc.TLSRequired() && nc.Flush() == nil, "NATS serves the ops user over TLS with the CA", "connected, tls_required")
		nc.Close()
	} else {
		report(false, "NATS serves the ops user over TLS with the CA", err)
	}

	// gRPC: the standard health service, which needs no token.
	for _, addr := range grpcAddrs {
		if addr = strings.TrimSpace(addr); addr == "" {
			continue
		}
		_, err := health(addr, insecure.NewCredentials())
		report(err != nil, "gRPC "+addr+" refuses a plaintext client", err)
		_, err = health(addr, credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12}))
		report(err != nil && isCertError(err), "gRPC "+addr+" refuses a client without the CA", err)
		st, err := health(addr, credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}))
		report(err == nil && st == healthpb.HealthCheckResponse_SERVING, "gRPC "+addr+" serves a client with the CA", fmt.Sprint(st, " ", err))
	}
	if failed > 0 {
		return fmt.Errorf("%d TLS checks failed", failed)
	}
	return nil
}

// natsPlaintext speaks the NATS protocol without TLS (nats.go would
// upgrade on its own) and returns what the server answers a CONNECT and a
// PING with after its INFO, which must announce that TLS is required.
func natsPlaintext(hostport string) (string, error) {
	conn, err := net.DialTimeout("tcp", hostport, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	info, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.Contains(info, `"tls_required":true`) {
		return info, errors.New("INFO does not require TLS")
	}
	if _, err := conn.Write([]byte("CONNECT {\"verbose\":false}\r\nPING\r\n")); err != nil {
		return "", nil // already closed: refused
	}
	rest, _ := io.ReadAll(r)
	return string(rest), nil
}

func health(addr string, creds credentials.TransportCredentials) (healthpb.HealthCheckResponse_ServingStatus, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return resp.GetStatus(), err
}

// isCertError: the refusal is the certificate check, not something else.
func isCertError(err error) bool {
	var unknown x509.UnknownAuthorityError
	return errors.As(err, &unknown) || strings.Contains(err.Error(), "certificate")
}
