# imap-gateway container image.
#
#   docker build -t imap-gateway .
#   docker run --rm -p 8080:8080 \
#     -e IMAP_GATEWAY__AUTH__JWT_SECRET=... -e IMAP_GATEWAY__AUTH__ENCRYPTION_KEY=... \
#     -e IMAP_GATEWAY__IMAP__HOST=imap.example.org imap-gateway
#
# The stack is pure Rust + ring + SQLite bundled by sqlx (libsqlite3-sys compiled with cc) +
# mimalloc (libmimalloc-sys, also compiled with cc):
# the rust image's gcc is all the C toolchain needed; no pkg-config, no OpenSSL.

############################ build ############################
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0

# 1. Dependencies only: a dummy crate with the real manifest and lock file, so this layer is
#    reused until Cargo.toml or Cargo.lock change.
#    The manifest names a bench target (bench/main.rs); a stub keeps every declared target's
#    file present, though `cargo build` does not build benches.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src bench \
 && echo 'fn main() {}' > src/main.rs \
 && : > src/lib.rs \
 && echo 'fn main() {}' > bench/main.rs \
 && cargo build --release --locked \
 && rm -rf src bench

# 2. The real crate. `sqlx::migrate!("./migrations")` embeds the migrations at compile time, and
#    the checked-in spec lives in openapi/, so both must be present before this build.
COPY src/ src/
COPY migrations/ migrations/
COPY openapi/ openapi/
# The web client, built and checked in (web/dist/), is embedded by include_bytes!.
COPY web/dist/ web/dist/
# COPY keeps the files' original mtimes, which can be older than the dummy build: touch the crate
# roots so cargo rebuilds the crate instead of shipping the dummy binary.
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked \
 && cp target/release/imap-gateway /usr/local/bin/imap-gateway

############################ runtime ############################
FROM debian:bookworm-slim AS runtime

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 gateway \
 && useradd --uid 10001 --gid gateway --home-dir /var/lib/imap-gateway --no-create-home \
      --shell /usr/sbin/nologin gateway \
 && mkdir -p /var/lib/imap-gateway \
 && chown gateway:gateway /var/lib/imap-gateway \
 && chmod 0750 /var/lib/imap-gateway

COPY --from=build /usr/local/bin/imap-gateway /usr/local/bin/imap-gateway

WORKDIR /var/lib/imap-gateway
USER gateway

# No network is needed at run time: Swagger UI is vendored in the binary. Secrets
# (IMAP_GATEWAY__AUTH__JWT_SECRET, IMAP_GATEWAY__AUTH__ENCRYPTION_KEY) come from the runtime
# environment, never from the image. The default store is SQLite in the working directory; set
# IMAP_GATEWAY__DATABASE__URL=postgres://... to run several instances.
ENV IMAP_GATEWAY__HTTP__LISTEN=0.0.0.0:8080 \
    IMAP_GATEWAY__DATABASE__URL=sqlite:///var/lib/imap-gateway/imap-gateway.db
EXPOSE 8080

# The binary probes its own readiness (no curl in the image).
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["imap-gateway", "healthcheck", "--url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["imap-gateway"]
CMD ["serve"]
