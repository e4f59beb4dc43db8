#!/usr/bin/env bash
# postfix-test-server.sh — throwaway PRIVATE Postfix on loopback for mail-sending tests, wired to
# a running test Dovecot (dovecot-test-server.sh started with DOVECOT_POSTFIX_SOCKETS=1).
#
#   postfix-test-server.sh start    # idempotent; prints connection info as KEY=VALUE lines
#   postfix-test-server.sh stop     # idempotent; stops this instance, sweeps leftovers by PID
#   postfix-test-server.sh status   # exit 0 if running
#   postfix-test-server.sh env      # print connection info only
#   postfix-test-server.sh pids     # PIDs of this instance's live processes (none after stop)
#   postfix-test-server.sh install  # install the package postfix if missing (see below)
#
# What it serves (all on 127.0.0.1):
#   $POSTFIX_SUBMISSION_PORT  (default 16587) submission: STARTTLS offered, AUTH required
#   $POSTFIX_SUBMISSIONS_PORT (default 16465) submission over implicit TLS, AUTH required
#   $POSTFIX_MX_PORT          (default 16525) MX-style: no AUTH, mail for local users only
# AUTH is checked by the Dovecot's auth-postfix socket, so every login that works for IMAP works
# here too (PLAIN/LOGIN with user/password, the master user, XOAUTH2/OAUTHBEARER tokens).
# Unauthenticated MAIL on the submission ports is refused (530). Mail for <user>@$POSTFIX_DOMAIN
# (users $POSTFIX_USERS) is delivered over LMTP into that Dovecot, so it appears in the user's
# INBOX over IMAP; unknown local users and every other domain are refused at RCPT (other domains:
# default_transport = error:, nothing ever leaves the machine). EHLO advertises SIZE
# $POSTFIX_MESSAGE_SIZE_LIMIT. Postfix does not check that MAIL FROM matches the SASL login.
#
# Start Dovecot first and stop Postfix BEFORE Dovecot: Dovecot's auth processes stay alive while
# an smtpd holds their socket. The daemons inherit stdout/stderr: redirect `start` to a file (or
# /dev/null), never read it through a pipe you wait on for EOF.
#
# Everything (main.cf, master.cf, queue, data, log) lives under $POSTFIX_TEST_DIR; the system's
# Postfix (/etc/postfix/main.cf, /var/spool/postfix) is neither read nor changed. Needs root.
#
# Environment overrides:
#   POSTFIX_TEST_DIR    (default /tmp/imap-gateway-test-postfix)
#   POSTFIX_DOVECOT_DIR (default /tmp/dovecot-test) the running Dovecot's DOVECOT_TEST_DIR: its
#                       run/auth-postfix, run/lmtp-postfix, tls/{cert,key,ca}.pem and users file
#   POSTFIX_USERS       (default: the users of that Dovecot, i.e. the Dovecot script's list)
#   POSTFIX_DOMAIN      (default example.org)
#   POSTFIX_SUBMISSION_PORT / POSTFIX_SUBMISSIONS_PORT / POSTFIX_MX_PORT  (16587 / 16465 / 16525)
#   POSTFIX_SUBMISSION_TLS (default may) "encrypt": STARTTLS mandatory on the submission port
#   POSTFIX_MESSAGE_SIZE_LIMIT (default 10485760 = 10 MiB) bytes, advertised in EHLO as SIZE
#
# Installing the package (`install`, and `start` when postfix is missing): apt-get with the
# debconf answer "No configuration", so the package writes no /etc/postfix/main.cf and neither
# its init script nor its systemd unit starts a system Postfix (both need that file). If a
# system Postfix runs after the install and did not before, it is stopped again.
#
# Pitfalls (facts): `postfix -c DIR start` exits 1 WITHOUT output when anything is wrong (Postfix
# writes to stderr only on a tty, early fatal errors go to syslog): the script replays
# `postfix check` under script(1) to show the error. maillog_file must lie under one of
# maillog_file_prefixes and master.cf needs the postlog service. Debian's master.cf binds port 25
# and chroots services: master.cf is written from scratch with chroot = n. data_directory must be
# owned by postfix.
set -euo pipefail

TOP=${POSTFIX_TEST_DIR:-/tmp/imap-gateway-test-postfix}
DOVECOT_DIR=${POSTFIX_DOVECOT_DIR:-/tmp/dovecot-test}
DOMAIN=${POSTFIX_DOMAIN:-example.org}
SUB_PORT=${POSTFIX_SUBMISSION_PORT:-16587}
SUBS_PORT=${POSTFIX_SUBMISSIONS_PORT:-16465}
MX_PORT=${POSTFIX_MX_PORT:-16525}
SUB_TLS=${POSTFIX_SUBMISSION_TLS:-may}
SIZE_LIMIT=${POSTFIX_MESSAGE_SIZE_LIMIT:-10485760}
CONF=$TOP/etc
QUEUE=$TOP/queue
DATA=$TOP/data
LOG=$TOP/log/postfix.log
AUTH_SOCK=$DOVECOT_DIR/run/auth-postfix
LMTP_SOCK=$DOVECOT_DIR/run/lmtp-postfix

# a TCP port someone listens on (read from /proc, not by connecting: a probe of the implicit-TLS
# port would log "SSL_accept error ... lost connection")
listening() {
  local hex; hex=$(printf '%04X' "$1")
  awk -v port=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == port { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
pf_running() { [[ -f $CONF/main.cf ]] && postfix -c "$CONF" status >/dev/null 2>&1; }
master_pid() { sed -n '1{s/ //g;p;q}' "$QUEUE/pid/master.pid" 2>/dev/null; }
# alive = exists and is not a zombie
alive() { [[ -n $1 ]] && kill -0 "$1" 2>/dev/null && [[ $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) != Z ]]; }

# PIDs of this instance's processes: every Postfix daemon inherits MAIL_CONFIG=$CONF from
# `postfix -c $CONF`, so this finds them even after the master is gone
instance_pids() {
  local d pid
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    alive "$pid" || continue
    if tr '\0' '\n' 2>/dev/null < "$d/environ" | grep -qxF "MAIL_CONFIG=$CONF"; then echo "$pid"; fi
  done
}

users() {
  if [[ -n ${POSTFIX_USERS:-} ]]; then echo "$POSTFIX_USERS"; return; fi
  # the Dovecot's passwd-file (user:{PLAIN}password:...): exactly the users it knows
  cut -d: -f1 "$DOVECOT_DIR/users" | tr '\n' ' '
}

print_env() {
  cat <<EOF
SMTP_HOST=127.0.0.1
SMTP_SUBMISSION_PORT=$SUB_PORT
SMTP_SUBMISSIONS_PORT=$SUBS_PORT
SMTP_MX_PORT=$MX_PORT
SMTP_TLS_CA=$DOVECOT_DIR/tls/ca.pem
SMTP_LOG=$LOG
MAIL_DOMAIN=$DOMAIN
SMTP_MESSAGE_SIZE_LIMIT=$SIZE_LIMIT
EOF
}

system_postfix_running() { [[ -f /etc/postfix/main.cf ]] && postfix status >/dev/null 2>&1; }

install() {
  command -v postfix >/dev/null && return 0
  echo "installing postfix ..." >&2
  local was_running=no
  system_postfix_running && was_running=yes
  # "No configuration": no /etc/postfix/main.cf, so neither the init script (policy-rc.d or not)
  # nor the systemd unit (ConditionPathExists=/etc/postfix/main.cf) starts a system Postfix
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null; }
  if [[ $was_running == no ]] && system_postfix_running; then
    echo "stopping the system Postfix that the package started" >&2
    postfix stop >/dev/null 2>&1 || true
  fi
}

write_config() {
  local u list
  list=$(users)
  [[ -n ${list// /} ]] || { echo "no users (POSTFIX_USERS empty and no $DOVECOT_DIR/users)" >&2; return 1; }
  mkdir -p "$CONF" "$QUEUE" "$DATA" "$TOP/log"
  # the queue directory belongs to root (Postfix makes its subfolders); data_directory to postfix
  chmod 0755 "$TOP" "$CONF" "$QUEUE" "$TOP/log"
  chown root:root "$QUEUE"
  chown postfix:postfix "$DATA"
  : > "$CONF/vmailbox"
  for u in $list; do echo "$u@$DOMAIN OK" >> "$CONF/vmailbox"; done
  cat > "$CONF/main.cf" <<EOF
# generated by postfix-test-server.sh — do not edit; private instance: postfix -c $CONF
compatibility_level = 3.6
queue_directory = $QUEUE
data_directory = $DATA
# no syslog: log through postlogd (the "postlog" service in master.cf) into a file, which MUST
# lie under maillog_file_prefixes, or every postfix command dies silently
maillog_file = $LOG
maillog_file_prefixes = $TOP
# identity; no local(8) delivery, no /etc/aliases
myhostname = mail.$DOMAIN
mydomain = $DOMAIN
myorigin = \$mydomain
mydestination =
local_transport = error:local delivery disabled in test instance
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks =
smtpd_banner = \$myhostname ESMTP (test instance)
biff = no
# the users: a virtual mailbox domain, delivered to Dovecot over LMTP; unknown users are
# refused at RCPT (smtpd_reject_unlisted_recipient, default yes)
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = texthash:$CONF/vmailbox
virtual_transport = lmtp:unix:$LMTP_SOCK
# other domains: refused at RCPT (550), nothing leaves the machine
default_transport = error:outbound delivery disabled in test instance
# EHLO advertises SIZE; the mailbox limits must not be smaller than message_size_limit
message_size_limit = $SIZE_LIMIT
mailbox_size_limit = 0
virtual_mailbox_limit = 0
# SMTP AUTH through Dovecot (enabled per service in master.cf)
smtpd_sasl_type = dovecot
smtpd_sasl_path = $AUTH_SOCK
smtpd_sasl_auth_enable = no
smtpd_sasl_security_options = noanonymous
smtpd_tls_auth_only = no
# never permit_mynetworks: loopback clients are not trusted
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
# the submission ports refuse MAIL before AUTH (RFC 4954's 530)
submission_sender_restrictions = permit_sasl_authenticated, check_sender_access static:{530 5.7.0 Authentication required}
# TLS with the Dovecot's test certificate (CA: $DOVECOT_DIR/tls/ca.pem)
smtpd_tls_security_level = may
smtpd_tls_cert_file = $DOVECOT_DIR/tls/cert.pem
smtpd_tls_key_file = $DOVECOT_DIR/tls/key.pem
smtp_tls_security_level = none
# test friendliness: no tarpit after errors, quick retries
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 30s
delay_warning_time = 0
EOF
  cat > "$CONF/master.cf" <<EOF
# generated by postfix-test-server.sh. chroot = n everywhere: a chroot would need copies of
# /etc/{resolv.conf,hosts,services,...} inside the private queue directory.
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$SUB_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=$SUB_TLS
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_delay_reject=no
  -o smtpd_sender_restrictions=\$submission_sender_restrictions
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$SUBS_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_delay_reject=no
  -o smtpd_sender_restrictions=\$submission_sender_restrictions
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$MX_PORT inet n - n - - smtpd
  -o syslog_name=postfix/mx
EOF
  cat >> "$CONF/master.cf" <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

start() {
  if pf_running; then print_env; return 0; fi
  install
  if [[ ! -S $AUTH_SOCK || ! -S $LMTP_SOCK ]]; then
    echo "no Dovecot sockets $AUTH_SOCK and $LMTP_SOCK: start the Dovecot first" \
      "(DOVECOT_TEST_DIR=$DOVECOT_DIR DOVECOT_POSTFIX_SOCKETS=1 dovecot-test-server.sh start)" >&2
    return 1
  fi
  local p
  for p in "$SUB_PORT" "$SUBS_PORT" "$MX_PORT"; do
    if listening "$p"; then echo "port $p already in use; set POSTFIX_*_PORT" >&2; return 1; fi
  done
  write_config
  if ! postfix -c "$CONF" start >/dev/null 2>&1; then
    # postfix writes its errors to stderr only when that is a tty: replay under script(1)
    echo "postfix -c $CONF start failed:" >&2
    script -qc "postfix -c $CONF check" /dev/null >&2 || true
    tail -n 20 "$LOG" >&2 2>/dev/null || true
    return 1
  fi
  for _ in $(seq 1 100); do
    if listening "$SUB_PORT" && listening "$SUBS_PORT" && listening "$MX_PORT"; then print_env; return 0; fi
    sleep 0.1
  done
  echo "postfix did not open ports $SUB_PORT/$SUBS_PORT/$MX_PORT; log follows:" >&2
  tail -n 30 "$LOG" >&2 || true
  return 1
}

stop() {
  local pid left
  if pf_running; then
    pid=$(master_pid)
    postfix -c "$CONF" stop >/dev/null 2>&1 || true   # waits a while, then kills the group
    for _ in $(seq 1 100); do
      alive "$pid" || break
      sleep 0.1
    done
    echo "postfix test server ($TOP) stopped"
  else
    echo "postfix test server ($TOP) not running"
  fi
  # sweep: daemons that outlived their master (killed, or a master that died)
  left=$(instance_pids | tr '\n' ' ')
  if [[ -n ${left// /} ]]; then
    echo "terminating leftover postfix processes: $left"
    # shellcheck disable=SC2086  # a list of PIDs
    kill -TERM $left 2>/dev/null || true
    for _ in $(seq 1 50); do
      left=$(for pid in $left; do alive "$pid" && echo "$pid"; done | tr '\n' ' ')
      [[ -z ${left// /} ]] && break
      sleep 0.1
    done
    # shellcheck disable=SC2086
    if [[ -n ${left// /} ]]; then kill -KILL $left 2>/dev/null || true; fi
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) if pf_running; then echo "running (master pid $(master_pid))"; else echo "stopped"; exit 1; fi ;;
  env) print_env ;;
  pids) instance_pids ;;
  install) install ;;
  *) echo "usage: $0 start|stop|restart|status|env|pids|install" >&2; exit 2 ;;
esac
