package securitytest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
	auditv1 "newsroom.dev/gen/newsroom/audit/v1"
	draftingv1 "newsroom.dev/gen/newsroom/drafting/v1"
	linkingv1 "newsroom.dev/gen/newsroom/linking/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/audit"
	"newsroom.dev/platform/auth"
	"newsroom.dev/platform/clock"
	"newsroom.dev/platform/service"
	"newsroom.dev/platform/testutil"
)

var update = flag.Bool("update", false, "rewrite the role matrix in docs/security.md from auth.Policy")

// serviceDescs are the generated services; rpcs also walks the protobuf
// registry, so a service or RPC added to gen/ later is covered at once.
var serviceDescs = []grpc.ServiceDesc{
	draftingv1.DraftingService_ServiceDesc,
	reviewv1.ReviewService_ServiceDesc,
	publishingv1.PublishingService_ServiceDesc,
	linkingv1.LinkingService_ServiceDesc,
	auditv1.AuditService_ServiceDesc,
}

// rpc is one method of one service, with its descriptor for building
// empty requests and responses.
type rpc struct {
	full string // /pkg.Service/Method
	desc protoreflect.MethodDescriptor
}

// rpcs lists every method of every newsroom.* service in the registry,
// after checking that every ServiceDesc method is among them.
func rpcs(t *testing.T) []rpc {
	t.Helper()
	var out []rpc
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "newsroom.") {
			return true
		}
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				md := sd.Methods().Get(j)
				out = append(out, rpc{full: fmt.Sprintf("/%s/%s", sd.FullName(), md.Name()), desc: md})
			}
		}
		return true
	})
	slices.SortFunc(out, func(a, b rpc) int { return strings.Compare(a.full, b.full) })
	for _, sd := range serviceDescs {
		for _, m := range sd.Methods {
			full := "/" + sd.ServiceName + "/" + m.MethodName
			if !slices.ContainsFunc(out, func(r rpc) bool { return r.full == full }) {
				t.Errorf("%s is not in the protobuf registry", full)
			}
		}
		for _, s := range sd.Streams {
			full := "/" + sd.ServiceName + "/" + s.StreamName
			if !slices.ContainsFunc(out, func(r rpc) bool { return r.full == full }) {
				t.Errorf("%s is not in the protobuf registry", full)
			}
		}
	}
	if len(out) < 15 {
		t.Fatalf("found only %d RPCs", len(out))
	}
	return out
}

// call invokes r generically with an empty request.
func call(ctx context.Context, conn *grpc.ClientConn, r rpc, opts ...grpc.CallOption) error {
	req := dynamicpb.NewMessage(r.desc.Input())
	resp := dynamicpb.NewMessage(r.desc.Output())
	if !r.desc.IsStreamingClient() && !r.desc.IsStreamingServer() {
		return conn.Invoke(ctx, r.full, req, resp, opts...)
	}
	st, err := conn.NewStream(ctx, &grpc.StreamDesc{
		StreamName: string(r.desc.Name()), ClientStreams: r.desc.IsStreamingClient(), ServerStreams: r.desc.IsStreamingServer(),
	}, r.full, opts...)
	if err != nil {
		return err
	}
	if err := st.SendMsg(req); err != nil && err.Error() != "EOF" {
		return err
	}
	if err := st.CloseSend(); err != nil {
		return err
	}
	return st.RecvMsg(resp)
}

// Every RPC of every service, called with every role and with three kinds
// of bad token, answers exactly as auth.Policy says: Unauthenticated for a
// missing, expired or foreign token; PermissionDenied exactly when the
// policy refuses the role; otherwise the call reaches the service, which
// answers anything but those two (an empty request is usually
// InvalidArgument or NotFound).
func TestRoleMatrix(t *testing.T) {
	n := testutil.StartNATS(t, "")
	key := auth.NewKey()
	keys, err := auth.NewKeyring(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := testutil.Deps(n, keys, nil)
	auditor, err := audit.New(context.Background(), audit.Config{JS: n.JS, Replicas: 1, Log: d.Log})
	if err != nil {
		t.Fatal(err)
	}
	conn := testutil.Serve(t, keys, append(buildAll(t, d), service.Service(auditor))...)

	// Signed with the right key by a keyring whose clock is two hours
	// behind: expired an hour ago.
	past, err := auth.NewKeyring(key, clock.NewFake(time.Now().Add(-2*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	expired, err := past.Issue("matrix-expired", auth.Roles, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	foreign := testutil.Token(t, testutil.Keys(t), "matrix-foreign", auth.Roles...)
	bad := []struct {
		name string
		opts []grpc.CallOption
	}{
		{"no token", nil},
		{"expired token", []grpc.CallOption{testutil.As(expired)}},
		{"token signed with another key", []grpc.CallOption{testutil.As(foreign)}},
	}
	roles := map[auth.Role]grpc.CallOption{}
	for _, r := range auth.Roles {
		roles[r] = testutil.As(testutil.Token(t, keys, "matrix-"+string(r), r))
	}

	all := rpcs(t)
	counts := map[string]int{}
	for _, r := range all {
		t.Run(strings.TrimPrefix(r.full, "/newsroom."), func(t *testing.T) {
			if _, ok := auth.Policy[r.full]; !ok {
				t.Errorf("%s is not in auth.Policy: closed to everyone until it is", r.full)
			}
			// A service nobody registered answers Unimplemented before any
			// interceptor runs: say so once instead of failing every case.
			if err := call(context.Background(), conn, r); status.Code(err) == codes.Unimplemented && strings.Contains(err.Error(), "unknown service") {
				t.Fatalf("%s is in gen/ but not served by the four services (buildAll): %v", r.full, err)
			}
			for _, b := range bad {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err := call(ctx, conn, r, b.opts...)
				cancel()
				if got := status.Code(err); got != codes.Unauthenticated {
					t.Errorf("%s: %v (%v), want Unauthenticated", b.name, got, err)
				}
			}
			for _, role := range auth.Roles {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err := call(ctx, conn, r, roles[role])
				cancel()
				got := status.Code(err)
				allowed := auth.Allowed(r.full, auth.Identity{Subject: "matrix-" + string(role), Roles: []auth.Role{role}})
				switch {
				case !allowed && got != codes.PermissionDenied:
					t.Errorf("%s: %v (%v), want PermissionDenied", role, got, err)
				case allowed && (got == codes.PermissionDenied || got == codes.Unauthenticated || got == codes.ResourceExhausted):
					t.Errorf("%s is allowed but got %v (%v)", role, got, err)
				case allowed:
					counts[got.String()]++
					if got == codes.Unimplemented || got == codes.Internal || got == codes.Unknown {
						t.Logf("note: %s as %s answers %v to an empty request: %v", r.full, role, got, err)
					}
				}
			}
		})
	}
	t.Logf("%d RPCs; allowed calls answered %v", len(all), counts)
}

const (
	matrixBegin = "<!-- role-matrix:begin (generated from auth.Policy by TestRoleMatrixDoc; go test ./internal/securitytest -run TestRoleMatrixDoc -update) -->"
	matrixEnd   = "<!-- role-matrix:end -->"
)

// docs/security.md shows the role matrix exactly as auth.Policy has it.
func TestRoleMatrixDoc(t *testing.T) {
	const path = "../../docs/security.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, matrixBegin), strings.Index(doc, matrixEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the role matrix markers:\n%s\n%s", path, matrixBegin, matrixEnd)
	}
	want := "\n\n" + auth.PolicyTable() + "\n"
	got := doc[i+len(matrixBegin) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(doc[:i+len(matrixBegin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the role matrix in %s differs from auth.Policy; run\n  go test ./internal/securitytest -run TestRoleMatrixDoc -update\ngot:%s\nwant:%s", path, got, want)
}
