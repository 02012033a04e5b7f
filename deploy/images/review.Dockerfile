# newsroom/review: the review service alone, a static binary on scratch.
# Built by scripts/images, whose build context holds the binary.
FROM scratch
ARG REVISION=unknown
LABEL org.opencontainers.image.title="newsroom-review" \
      org.opencontainers.image.source="newsroom.dev" \
      org.opencontainers.image.revision=$REVISION
COPY review /review
# No secret is baked in: compose mounts them under /run/secrets.
ENV NEWSROOM_GRPC_ADDR=:9090
# The desk listens on every interface of the container, not just loopback.
ENV NEWSROOM_DESK_ADDR=:8081
# gRPC, the standards desk (NEWSROOM_DESK_ADDR), and Prometheus /metrics (NEWSROOM_METRICS_ADDR).
EXPOSE 9090 8081 9100
USER 65534:65534
# No shell in the image: the binary asks its own gRPC health service.
HEALTHCHECK --interval=5s --timeout=4s --start-period=30s --retries=3 CMD ["/review", "healthcheck"]
ENTRYPOINT ["/review"]
