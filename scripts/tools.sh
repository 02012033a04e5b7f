# Pinned developer tools, built from the Go module proxy into .bin/.
# Sourced by scripts; tools_install builds whatever is missing or stale.
BIN="$(pwd)/.bin"
BUF_VERSION=v1.75.0
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.0

tools_install() {
  mkdir -p "$BIN"
  local stamp="$BIN/.versions" want="$BUF_VERSION $PROTOC_GEN_GO_VERSION $PROTOC_GEN_GO_GRPC_VERSION"
  if [[ -x "$BIN/buf" && -x "$BIN/protoc-gen-go" && -x "$BIN/protoc-gen-go-grpc" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
    return 0
  fi
  echo "building buf and protoc plugins into .bin/ (first run only)..." >&2
  (cd / && GOWORK=off GOFLAGS=-mod=mod GOBIN="$BIN" go install "github.com/bufbuild/buf/cmd/buf@$BUF_VERSION" \
    && GOWORK=off GOBIN="$BIN" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION" \
    && GOWORK=off GOBIN="$BIN" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION")
  echo "$want" > "$stamp"
}
