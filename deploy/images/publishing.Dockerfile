# newsroom/publishing: the publishing service alone, a static binary on scratch.
# Built by scripts/images, whose build context holds the binary.
FROM scratch
ARG REVISION=unknown
LABEL org.opencontainers.image.title="newsroom-publishing" \
      org.opencontainers.image.source="newsroom.dev" \
      org.opencontainers.image.revision=$REVISION
COPY publishing /publishing
# CA roots for webhook deliveries over HTTPS (scripts/images copies the
# build machine's bundle; scratch has none).
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# No secret is baked in: compose mounts them under /run/secrets.
ENV NEWSROOM_GRPC_ADDR=:9090
# The public site.
ENV NEWSROOM_HTTP_ADDR=:8080
# gRPC, the public site, and Prometheus /metrics (NEWSROOM_METRICS_ADDR).
EXPOSE 9090 8080 9100
USER 65534:65534
# No shell in the image: the binary asks its own gRPC health service.
HEALTHCHECK --interval=5s --timeout=4s --start-period=30s --retries=3 CMD ["/publishing", "healthcheck"]
ENTRYPOINT ["/publishing"]
