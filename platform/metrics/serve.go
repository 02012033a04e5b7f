package metrics

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// Mux serves /metrics and, if withPprof, Go's /debug/pprof/ profiles.
func Mux(withPprof bool) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", Handler())
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// Serve serves h on addr until ctx ends and returns the address it
// listens on. Metrics are never worth failing a start for: if addr cannot
// be listened on, Serve logs a warning and returns "" (and so does an
// empty addr, without the warning).
func Serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger) string {
	if addr == "" {
		return ""
	}
	if log == nil {
		log = slog.Default()
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		log.Warn("not serving metrics", "addr", addr, "err", err)
		return ""
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(lis) }()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	return lis.Addr().String()
}
