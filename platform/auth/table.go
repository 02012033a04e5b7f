package auth

import (
	"slices"
	"strings"
)

// PolicyTable renders Policy as a Markdown table for docs/security.md: one
// row per RPC, sorted by service and method, and one column per role.
func PolicyTable() string {
	methods := make([]string, 0, len(Policy))
	for m := range Policy {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	var b strings.Builder
	b.WriteString("| service | RPC |")
	for _, r := range Roles {
		b.WriteString(" " + string(r) + " |")
	}
	b.WriteString("\n|---|---|")
	for range Roles {
		b.WriteString(":-:|")
	}
	b.WriteString("\n")
	for _, m := range methods {
		svc, rpc := splitMethod(m)
		b.WriteString("| " + svc + " | `" + rpc + "` |")
		for _, r := range Roles {
			if slices.Contains(Policy[m], r) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// splitMethod turns /newsroom.review.v1.ReviewService/ApproveFlag into
// ("review", "ReviewService/ApproveFlag").
func splitMethod(full string) (service, method string) {
	full = strings.TrimPrefix(full, "/")
	svc, method, _ := strings.Cut(full, "/")
	return ServiceShortName(svc), svc[strings.LastIndexByte(svc, '.')+1:] + "/" + method
}

// ServiceShortName is the short name of a gRPC service or full method:
// "review" for newsroom.review.v1.ReviewService or
// /newsroom.review.v1.ReviewService/ApproveFlag; for anything outside the
// newsroom packages, the service name as given.
func ServiceShortName(name string) string {
	name = strings.TrimPrefix(name, "/")
	if i := strings.IndexByte(name, '/'); i >= 0 {
		name = name[:i]
	}
	parts := strings.Split(name, ".")
	if len(parts) >= 3 && parts[0] == "newsroom" {
		return parts[1]
	}
	return name
}
