package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"newsroom.dev/platform/auth"
)

func init() {
	register("token issue", spec{"subject": true, "role": true, "ttl": true, "key-file": true}, tokenIssue)
}

// tokenIssue signs a token. It needs the signing key itself (from
// --key-file, NEWSROOM_TOKEN_KEY or NEWSROOM_TOKEN_KEY_FILE), so only
// whoever holds the key — an admin — can issue tokens. The key file is the
// one the services read (NEWSROOM_TOKEN_KEY_FILE, compose's token_key):
// during a rotation it lists several keys, and, as in the services, the
// first is the active one and signs.
func tokenIssue(a *args, out io.Writer) error {
	const u = "token issue --subject S --role R[,R2] [--ttl D] [--key-file F]"
	if err := a.need(0, u); err != nil {
		return err
	}
	subject, roleList := a.str("subject", "", ""), a.str("role", "", "")
	if subject == "" || roleList == "" {
		return usageError(u)
	}
	var roles []auth.Role
	for _, r := range splitComma(roleList) {
		role, err := auth.ParseRole(r)
		if err != nil {
			return err
		}
		roles = append(roles, role)
	}
	ttl, err := time.ParseDuration(a.str("ttl", "", "12h"))
	if err != nil || ttl <= 0 {
		return usageError(u + " (--ttl is a Go duration such as 12h)")
	}
	var key []byte
	if f := a.str("key-file", "", ""); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		keys, err := auth.DecodeKeys(string(b))
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		key = keys[0]
	} else if key, err = auth.KeyFromEnv(); err != nil {
		return err
	}
	keys, err := auth.NewKeyring(key, nil)
	if err != nil {
		return err
	}
	tok, err := keys.Issue(subject, roles, ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, tok)
	return err
}

func splitComma(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
