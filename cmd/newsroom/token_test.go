package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"newsroom.dev/platform/auth"
)

// issue runs `newsroom token issue` and returns the token it prints.
func issue(t *testing.T, argv ...string) (string, int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"token", "issue", "--subject", "ana", "--role", "writer,editor"}, argv...), &out, &errOut)
	return strings.TrimSpace(out.String()), code, errOut.String()
}

// The key file the services read may list several keys while a key is
// being rotated (newest first); `token issue --key-file` reads the same
// format and signs with the first, so its tokens verify on services that
// know only the new key, and not on ones that know only the old.
func TestTokenIssueKeyFileWithSeveralKeys(t *testing.T) {
	t.Setenv("NEWSROOM_TOKEN_KEY", "")
	t.Setenv("NEWSROOM_TOKEN_KEY_FILE", "")
	newKey, oldKey := auth.NewKey(), auth.NewKey()
	dir := t.TempDir()
	only := func(k []byte) *auth.Keyring {
		kr, err := auth.NewKeyring(k, nil)
		if err != nil {
			t.Fatal(err)
		}
		return kr
	}
	for name, content := range map[string]string{
		"newlines": auth.EncodeKey(newKey) + "\n" + auth.EncodeKey(oldKey) + "\n",
		"commas":   auth.EncodeKey(newKey) + ", " + auth.EncodeKey(oldKey),
		"single":   auth.EncodeKey(newKey) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(dir, name)
			if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			tok, code, stderr := issue(t, "--key-file", f)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			id, err := only(newKey).Verify(tok)
			if err != nil {
				t.Fatalf("token does not verify with the first (active) key: %v", err)
			}
			if id.Subject != "ana" || !id.Has(auth.Writer) || !id.Has(auth.Editor) {
				t.Errorf("identity %+v", id)
			}
			if _, err := only(oldKey).Verify(tok); err == nil {
				t.Error("token verifies with the old key: it was not signed with the first")
			}
			// What the services load from the same file accepts it.
			t.Setenv("NEWSROOM_TOKEN_KEY_FILE", f)
			kr, err := auth.KeyringFromEnv(nil)
			t.Setenv("NEWSROOM_TOKEN_KEY_FILE", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := kr.Verify(tok); err != nil {
				t.Errorf("the services' keyring from the same file refuses the token: %v", err)
			}
		})
	}

	// Bad files are refused with the file named, not signed with garbage.
	for name, content := range map[string]string{"empty": "\n", "not base64": "not*base64\n", "short": auth.EncodeKey([]byte("short")) + "\n"} {
		f := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if tok, code, _ := issue(t, "--key-file", f); code == 0 || tok != "" {
			t.Errorf("%s key file: exit %d, token %q", name, code, tok)
		}
	}
}
