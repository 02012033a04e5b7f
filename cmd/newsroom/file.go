package main

import (
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	"newsroom.dev/internal/articlefile"
)

// readArticleFile parses an article file (Markdown with YAML front
// matter); its errors name the file and line.
func readArticleFile(path string) (*articlev1.Article, error) {
	a, _, err := articlefile.ParseFile(path)
	return a, err
}
