package auth_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	auditv1 "newsroom.dev/gen/newsroom/audit/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
)

// services are the gRPC services in gen/ this module builds against; the
// scan of gen/ below finds any added since.
var services = []grpc.ServiceDesc{
	draftingv1.DraftingService_ServiceDesc,
	reviewv1.ReviewService_ServiceDesc,
	publishingv1.PublishingService_ServiceDesc,
	linkingv1.LinkingService_ServiceDesc,
	auditv1.AuditService_ServiceDesc,
}

var fullMethod = regexp.MustCompile(`_FullMethodName\s*=\s*"(/[^"]+)"`)

// methods lists every RPC: those of the ServiceDescs above, and every
// full method name declared in a *_grpc.pb.go file under gen/.
func methods(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, sd := range services {
		for _, m := range sd.Methods {
			out = append(out, fmt.Sprintf("/%s/%s", sd.ServiceName, m.MethodName))
		}
		for _, s := range sd.Streams {
			out = append(out, fmt.Sprintf("/%s/%s", sd.ServiceName, s.StreamName))
		}
	}
	scanned := 0
	err := filepath.WalkDir("../../gen", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, "_grpc.pb.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range fullMethod.FindAllStringSubmatch(string(src), -1) {
			scanned++
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned == 0 {
		t.Fatal("found no *_grpc.pb.go files under gen/")
	}
	return out
}

// No RPC is ever left unclassified: each has roles in the policy, and the
// policy names no RPC that does not exist (a renamed one left behind).
func TestPolicyCoversEveryRPC(t *testing.T) {
	all := methods(t)
	if len(all) < 18 {
		t.Fatalf("found only %d methods in gen/", len(all))
	}
	for _, m := range all {
		roles, ok := auth.Policy[m]
		if !ok {
			t.Errorf("%s has no entry in auth.Policy", m)
			continue
		}
		if len(roles) == 0 {
			t.Errorf("%s: the policy lets no role call it", m)
		}
		if auth.Open[m] {
			t.Errorf("%s is open to callers without a token", m)
		}
	}
	for m, roles := range auth.Policy {
		if !slices.Contains(all, m) {
			t.Errorf("auth.Policy names %s, which no service in gen/ has", m)
		}
		for _, r := range roles {
			if _, err := auth.ParseRole(string(r)); err != nil {
				t.Errorf("%s: %v", m, err)
			}
		}
	}
	for m := range auth.Open {
		if !strings.HasPrefix(m, "/grpc.") {
			t.Errorf("open method %s is not a gRPC infrastructure service", m)
		}
	}
}

func TestAllowed(t *testing.T) {
	as := func(roles ...auth.Role) auth.Identity { return auth.Identity{Subject: "x", Roles: roles} }
	tests := []struct {
		method string
		id     auth.Identity
		want   bool
	}{
		{draftingv1.DraftingService_CreateArticle_FullMethodName, as(auth.Writer), true},
		{draftingv1.DraftingService_CreateArticle_FullMethodName, as(auth.Reviewer), false},
		{draftingv1.DraftingService_GetArticle_FullMethodName, as(auth.Publisher), true},
		{reviewv1.ReviewService_ApproveFlag_FullMethodName, as(auth.Reviewer), true},
		{reviewv1.ReviewService_ApproveFlag_FullMethodName, as(auth.Editor), false},
		{publishingv1.PublishingService_PublishArticle_FullMethodName, as(auth.Publisher), true},
		// Roles do not imply one another: an admin is not a publisher.
		{publishingv1.PublishingService_PublishArticle_FullMethodName, as(auth.Admin), false},
		{publishingv1.PublishingService_PublishArticle_FullMethodName, as(auth.Writer, auth.Editor, auth.Reviewer, auth.Admin), false},
		{publishingv1.PublishingService_PublishArticle_FullMethodName, as(auth.Writer, auth.Publisher), true},
		{publishingv1.PublishingService_PublishArticle_FullMethodName, as(), false},
		// A method missing from the policy is closed to everyone.
		{"/newsroom.drafting.v1.DraftingService/DeleteEverything", as(auth.Roles...), false},
	}
	for _, tc := range tests {
		if got := auth.Allowed(tc.method, tc.id); got != tc.want {
			t.Errorf("Allowed(%s, %v) = %v, want %v", tc.method, tc.id.Roles, got, tc.want)
		}
	}
}
