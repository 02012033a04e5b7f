package auth

import (
	"fmt"
	"slices"
)

// Role is a newsroom job. Roles do not imply one another: an admin is not a
// publisher unless the token says so, which keeps duties separate.
type Role string

const (
	Writer    Role = "writer"
	Editor    Role = "editor"
	Reviewer  Role = "reviewer"
	Publisher Role = "publisher"
	Admin     Role = "admin"
)

// Roles lists every role in a stable order.
var Roles = []Role{Writer, Editor, Reviewer, Publisher, Admin}

// ParseRole checks that s names a role.
func ParseRole(s string) (Role, error) {
	if slices.Contains(Roles, Role(s)) {
		return Role(s), nil
	}
	return "", fmt.Errorf("auth: unknown role %q (want one of writer, editor, reviewer, publisher, admin)", s)
}
