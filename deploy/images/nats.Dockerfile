# newsroom/nats: nats-server (built from its Go module, the version
# platform/go.mod requires) with Newsroom's cluster configuration.
# Built by scripts/images, whose build context holds the binaries, the
# config and an empty directory.
FROM scratch
ARG REVISION=unknown
LABEL org.opencontainers.image.title="newsroom-nats" \
      org.opencontainers.image.source="newsroom.dev" \
      org.opencontainers.image.revision=$REVISION
COPY nats-server healthcheck /
COPY nats.conf /etc/nats/nats.conf
# JetStream's store; scratch has no mkdir, so copy an empty directory in,
# owned by the user the server runs as. A new named volume mounted here
# takes this ownership.
COPY --chown=65534:65534 empty/ /data/
VOLUME /data
EXPOSE 4222 6222
USER 65534:65534
# Passwords come from /run/secrets/nats_auth (see nats.conf), never the image.
HEALTHCHECK --interval=5s --timeout=4s --start-period=20s --retries=3 CMD ["/healthcheck"]
ENTRYPOINT ["/nats-server", "-c", "/etc/nats/nats.conf"]
