# newsroom/edge: the TCP forwarder that owns the stack's published ports
# (deploy/edge), so services publish none and can be scaled.
FROM scratch
ARG REVISION=unknown
LABEL org.opencontainers.image.title="newsroom-edge" \
      org.opencontainers.image.source="newsroom.dev" \
      org.opencontainers.image.revision=$REVISION
COPY edge /edge
USER 65534:65534
HEALTHCHECK --interval=5s --timeout=4s --start-period=5s --retries=3 CMD ["/edge", "healthcheck"]
ENTRYPOINT ["/edge"]
