# newsroom/drafting: the drafting service alone, a static binary on scratch.
# Built by scripts/images, whose build context holds the binary.
FROM scratch
ARG REVISION=unknown
LABEL org.opencontainers.image.title="newsroom-drafting" \
      org.opencontainers.image.source="newsroom.dev" \
      org.opencontainers.image.revision=$REVISION
COPY drafting /drafting
# No secret is baked in: compose mounts them under /run/secrets.
ENV NEWSROOM_GRPC_ADDR=:9090
# gRPC, and Prometheus /metrics (NEWSROOM_METRICS_ADDR).
EXPOSE 9090 9100
USER 65534:65534
# No shell in the image: the binary asks its own gRPC health service.
HEALTHCHECK --interval=5s --timeout=4s --start-period=30s --retries=3 CMD ["/drafting", "healthcheck"]
ENTRYPOINT ["/drafting"]
