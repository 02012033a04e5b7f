package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"newsroom.dev/internal/certgen"
)

// `newsroom dev` with TLS: plaintext clients are refused, the CLI with the
// CA works, and every change lands in the audit trail, which `newsroom
// audit list` shows to admins only.
func TestDevTLSAndAuditList(t *testing.T) {
	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	if err := certgen.Generate(certs, certgen.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NEWSROOM_TLS_CERT", filepath.Join(certs, certgen.ServerFile))
	t.Setenv("NEWSROOM_TLS_KEY", filepath.Join(certs, certgen.ServerKeyFile))
	t.Setenv("NEWSROOM_CA", "")
	p := startDev(t, filepath.Join(dir, "data"))
	if !strings.Contains(p.out.String(), "TLS") {
		t.Errorf("dev does not say it serves TLS:\n%s", p.out)
	}

	if r := p.cli(t, "writer", "status"); r.code == 0 {
		t.Fatalf("a plaintext client got through to a TLS server:\n%s", r.out)
	}
	t.Setenv("NEWSROOM_CA", filepath.Join(certs, certgen.CAFile))
	p.ok(t, "writer", "status")

	id := strings.TrimSpace(p.ok(t, "writer", "draft", "create", "testdata/budget.md"))
	p.ok(t, "writer", "draft", "submit", id)
	out := p.ok(t, "admin", "audit", "list", "--article", id)
	for _, want := range []string{"SUBJECT", "dev-writer", "CreateArticle", "SubmitArticle", "127.0.0.1:"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit list lacks %q:\n%s", want, out)
		}
	}
	var resp struct {
		Records []struct {
			Subject   string `json:"subject"`
			Method    string `json:"method"`
			ArticleID string `json:"articleId"`
			Code      string `json:"code"`
		} `json:"records"`
	}
	js := p.ok(t, "admin", "audit", "list", "--json", "--subject", "dev-writer", "--since", "2000-01-01T00:00:00Z")
	if err := json.Unmarshal([]byte(js), &resp); err != nil {
		t.Fatalf("%v:\n%s", err, js)
	}
	if len(resp.Records) != 2 || resp.Records[0].ArticleID != id || resp.Records[1].Code != "OK" {
		t.Errorf("records %+v", resp.Records)
	}
	p.fails(t, "writer", "PermissionDenied", "audit", "list")
	p.fails(t, "admin", "usage: newsroom audit list", "audit", "list", "--since", "yesterday")
}
