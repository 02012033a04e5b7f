package tracing

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// LogHandler wraps h so every record logged with a context carries the
// context's trace_id (and span_id) and, when the context is about an
// article (WithArticle), article_id and revision. Use the *Context logging
// methods (log.InfoContext(ctx, …)) to get them.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ h slog.Handler }

func (l logHandler) Enabled(ctx context.Context, lvl slog.Level) bool { return l.h.Enabled(ctx, lvl) }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if id, rev := ArticleFrom(ctx); id != "" {
			r.AddAttrs(slog.String("article_id", id))
			if rev > 0 {
				r.AddAttrs(slog.Int64("revision", rev))
			}
		}
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
		}
	}
	return l.h.Handle(ctx, r)
}

func (l logHandler) WithAttrs(as []slog.Attr) slog.Handler { return logHandler{l.h.WithAttrs(as)} }
func (l logHandler) WithGroup(name string) slog.Handler    { return logHandler{l.h.WithGroup(name)} }

// Logger returns log with its handler wrapped by LogHandler, unless it
// already is.
func Logger(log *slog.Logger) *slog.Logger {
	if _, ok := log.Handler().(logHandler); ok {
		return log
	}
	return slog.New(LogHandler(log.Handler()))
}
