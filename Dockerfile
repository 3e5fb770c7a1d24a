# Peertrack in a container: the same `peertrack` binary, run as an unprivileged user.
#   docker build -t peertrack .
#   docker run -p 8080:8080 -e PEERTRACK_DATABASE_URL=postgres://... -e PEERTRACK_LISTEN=0.0.0.0:8080 \
#     -e PEERTRACK_PUBLIC_URL=https://peertrack.example.org -v peertrack-keys:/var/lib/peertrack/keys peertrack
# SQLite and libpq are compiled in and TLS is rustls, so the image needs only the C library.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p peertrack-api \
 && cp target/release/peertrack /peertrack \
 && strip /peertrack \
 && mkdir -m 0700 /state

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /peertrack /usr/local/bin/peertrack
# The state folder (keys, mail), owned by the unprivileged user (distroless's nonroot, 65532).
COPY --from=build --chown=65532:65532 /state /var/lib/peertrack
WORKDIR /var/lib/peertrack
ENV PEERTRACK_LISTEN=0.0.0.0:8080 \
    PEERTRACK_KEY_DIR=/var/lib/peertrack/keys \
    PEERTRACK_MAIL_DIR=/var/lib/peertrack/mail
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/peertrack"]
CMD ["serve"]
