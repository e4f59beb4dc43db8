#!/usr/bin/env bash
# Entrypoint of the demo Dovecot container (see docker-compose.yml).
#
# 1. Creates a test CA and a leaf certificate for the host name `dovecot` in $TLS_DIR (a volume
#    shared read-only with the gateways, which trust $TLS_DIR/ca.pem). Kept across restarts.
# 2. Writes the passwd-file with the demo users: user U has the password "U-pass".
# 3. Runs Dovecot in the foreground, logging to stderr.
#
# Environment overrides:
#   DOVECOT_USERS (default "alice bob")   demo users
#   TLS_DIR       (default /tls)          must match ssl_cert/ssl_key in dovecot.conf
set -euo pipefail

TLS_DIR=${TLS_DIR:-/tls}
USERS=${DOVECOT_USERS:-alice bob}
MAIL_ROOT=/var/mail
USERS_FILE=/etc/dovecot/users
CONF=/etc/dovecot/dovecot.conf
MAIL_USER=vmail

make_certs() {
  local tmp
  mkdir -p "$TLS_DIR"
  chmod 0755 "$TLS_DIR"
  # Same directory, so the final mv is an atomic rename.
  tmp=$(mktemp -d "$TLS_DIR/.new.XXXXXX")
  # test CA + leaf (rustls/webpki rejects a self-signed CA:TRUE cert used as server cert)
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=imap-gateway-demo-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=dovecot" \
    -keyout "$tmp/key.pem" -out "$tmp/leaf.csr" >/dev/null 2>&1
  printf '%s\n' \
    'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature,keyEncipherment' \
    'extendedKeyUsage=serverAuth' \
    'subjectAltName=DNS:dovecot,DNS:localhost,IP:127.0.0.1' > "$tmp/leaf.ext"
  openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
    -CAcreateserial -days 3650 -extfile "$tmp/leaf.ext" -out "$tmp/cert.pem" >/dev/null 2>&1
  # Private keys: root only (Dovecot's config process reads them as root). Certificates: world
  # readable, the gateways run as uid 10001.
  chmod 0600 "$tmp/ca.key" "$tmp/key.pem"
  chmod 0644 "$tmp/ca.pem" "$tmp/cert.pem"
  mv -f "$tmp/ca.key" "$tmp/key.pem" "$tmp/cert.pem" "$TLS_DIR/"
  mv -f "$tmp/ca.pem" "$TLS_DIR/ca.pem"   # last: its presence means the set is complete
  rm -rf "$tmp"
  echo "entrypoint: created test CA $TLS_DIR/ca.pem and certificate for DNS:dovecot" >&2
}

write_users() {
  local uid gid u tmp
  uid=$(id -u "$MAIL_USER")
  gid=$(id -g "$MAIL_USER")
  tmp=$(mktemp "$USERS_FILE.XXXXXX")
  for u in $USERS; do
    # passwd-file: user:{SCHEME}password:uid:gid::home
    printf '%s:{PLAIN}%s-pass:%s:%s::%s/%s\n' "$u" "$u" "$uid" "$gid" "$MAIL_ROOT" "$u" >> "$tmp"
    mkdir -p "$MAIL_ROOT/$u"
    chown "$uid:$gid" "$MAIL_ROOT/$u"
    chmod 0700 "$MAIL_ROOT/$u"
  done
  # Read by the auth process, which runs as the dovecot user.
  chown root:dovecot "$tmp"
  chmod 0640 "$tmp"
  mv -f "$tmp" "$USERS_FILE"
  echo "entrypoint: demo users: $USERS (password: <user>-pass)" >&2
}

if [[ ! -s "$TLS_DIR/ca.pem" || ! -s "$TLS_DIR/cert.pem" || ! -s "$TLS_DIR/key.pem" ]]; then
  make_certs
fi
write_users
mkdir -p /run/dovecot

# `docker compose run dovecot doveconf -n` and the like run the given command instead.
if [[ $# -gt 0 ]]; then
  exec "$@"
fi
exec dovecot -F -c "$CONF"
