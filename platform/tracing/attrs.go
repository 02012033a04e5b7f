package tracing

import "go.opentelemetry.io/otel/attribute"

// AttrArticleID is the span attribute naming the article a span is about.
const AttrArticleID = "newsroom.article_id"

func semconvArticle(id string) attribute.KeyValue { return attribute.String(AttrArticleID, id) }
