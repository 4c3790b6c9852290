# Shared helpers for integration tests: a private temp dir, processes tracked
# by PID and always stopped, bounded waits, and assertions that say what broke.
set -euo pipefail

: "${TP_BIN:?TP_BIN must point at the bin directory of a build}"
TEST_NAME="$(basename "$0" .sh)"
WORK="$(mktemp -d "/tmp/tp-${TEST_NAME}.XXXXXX")"
chmod 700 "$WORK"
PIDS=()
# Commands run after every process stopped (e.g. deleting a network namespace).
CLEANUP_CMDS=()

cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for cmd in "${CLEANUP_CMDS[@]}"; do eval "$cmd" >/dev/null 2>&1 || true; done
  if [ $rc -ne 0 ]; then
    echo "--- $TEST_NAME failed; logs in $WORK:" >&2
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 40 "$f" >&2; }; done
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# free_port: a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_bg <logfile> <cmd...>: runs cmd in the background, remembers its PID in LAST_PID.
start_bg() {
  local log="$1"; shift
  "$@" >"$log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# wait_for <seconds> <cmd...>: retries cmd every 0.1 s until it succeeds or time runs out.
wait_for() {
  local secs="$1"; shift
  local tries=$((secs * 10))
  for _ in $(seq 1 "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

# wait_secs <seconds> <cmd...>: like wait_for, but bounded by the wall clock even when
# each try itself takes time (curl and tctl may).
wait_secs() {
  local end=$((SECONDS + $1)); shift
  while [ "$SECONDS" -lt "$end" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

# wait_exit <pid> <seconds>: waits for a child to exit; sets EXIT_CODE. Fails on timeout.
wait_exit() {
  local pid="$1" secs="$2"
  for _ in $(seq 1 $((secs * 10))); do
    if ! kill -0 "$pid" 2>/dev/null; then
      EXIT_CODE=0; wait "$pid" || EXIT_CODE=$?
      return 0
    fi
    sleep 0.1
  done
  fail "process $pid did not exit within ${secs}s"
}

assert_contains() {  # <haystack> <needle> <what>
  case "$1" in *"$2"*) ;; *) fail "$3: expected to find '$2' in: $1" ;; esac
}
assert_not_contains() {
  case "$1" in *"$2"*) fail "$3: did not expect '$2' in: $1" ;; *) ;; esac
}

# cluster_user <user> <login>: creates the user with `tctl create` (tctl must be a
# function of the test) and signs a 1h key + certificate at $WORK/<user>.
cluster_user() {
  printf 'kind: user\nversion: v2\nmetadata:\n  name: %s\nspec:\n  roles: [admin]\n  traits:\n    logins: [%s]\n' \
    "$1" "$2" >"$WORK/$1.yaml"
  tctl create "$WORK/$1.yaml" >/dev/null || fail "tctl create $1"
  tctl auth sign --user="$1" --out="$WORK/$1" --ttl=1h >/dev/null || fail "tctl auth sign --user=$1"
}

# pin_node_key <data_dir> <port>: writes $WORK/known_hosts with the host key
# the node stores in its identity (the key the cluster's host CA certified).
pin_node_key() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ssh_key"])' \
    "$1/identity/node.json" >"$WORK/hostkey" && chmod 600 "$WORK/hostkey" ||
    fail "cannot read the node's host key"
  echo "[127.0.0.1]:$2 $(ssh-keygen -y -f "$WORK/hostkey")" >"$WORK/known_hosts"
}

# tsh_login <proxy host:port> <user> <password> <otp>: `tsh login --insecure` in a
# terminal (expect) with the password and OTP typed at its prompts. Output in
# $WORK/login.out; fails the test unless tsh exits 0.
tsh_login() {
  cat >"$WORK/login.exp" <<'EXP'
set timeout 20
spawn $env(TP_BIN)/tsh login --proxy=$env(TSH_PROXY) --user=$env(TSH_USER) --insecure
expect {
  "Enter password for Teleport user $env(TSH_USER):" { send "$env(TSH_PASS)\r" }
  timeout { puts "no password prompt"; exit 97 }
}
expect {
  "Enter your OTP token:" { send "$env(TSH_OTP)\r" }
  timeout { puts "no OTP prompt"; exit 97 }
}
expect eof
catch wait result
exit [lindex $result 3]
EXP
  local rc=0
  TSH_PROXY="$1" TSH_USER="$2" TSH_PASS="$3" TSH_OTP="$4" \
    timeout 40 expect -f "$WORK/login.exp" >"$WORK/login.out" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "tsh login exited $rc: $(cat "$WORK/login.out")"
}

# start_cluster_sshd <name> <port> <host key lines>: a real sshd on 127.0.0.1:<port>
# trusting $WORK/trusted_user_ca (the cluster's user CA), certificates only.
start_cluster_sshd() {
  local name="$1" port="$2"
  if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
    # sshd's privilege separation directory; the Debian service creates it at boot.
    mkdir -m 0755 /run/sshd
  fi
  cat >"$WORK/$name.conf" <<CONF
Port $port
ListenAddress 127.0.0.1
$3
TrustedUserCAKeys $WORK/trusted_user_ca
PidFile $WORK/$name.pid
UsePAM no
StrictModes no
AuthorizedKeysFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
CONF
  if [ "$(id -u)" = 0 ]; then echo "PermitRootLogin yes" >>"$WORK/$name.conf"; fi
  # sshd re-executes itself and insists on an absolute path.
  /usr/sbin/sshd -t -f "$WORK/$name.conf" 2>"$WORK/$name-t.log" || fail "sshd -t: $(cat "$WORK/$name-t.log")"
  start_bg "$WORK/$name.log" /usr/sbin/sshd -D -e -f "$WORK/$name.conf"
  wait_for 10 grep -q "Server listening on 127.0.0.1 port $port" "$WORK/$name.log" ||
    fail "$name did not start"
}

# web_signup <web url> <user> <login> <password> [tctl users add flags...]: `tctl
# users add` (tctl must be a function of the test), then the signup through the web
# API with a TOTP code. Sets SIGNUP_SECRET (the user's TOTP secret) and SIGNUP_STEP
# (the 30 s step used).
web_signup() {
  local web="$1" user="$2" login="$3" pass="$4" url token code
  shift 4
  url="$(tctl users add "$user" "$login" "$@")" || fail "tctl users add $user $*"
  token="$(grep -o '/web/newuser/[A-Za-z0-9_-]*' <<<"$url" | head -n 1 | cut -d/ -f4)"
  [ -n "$token" ] || fail "no signup URL in: $url"
  curl -sk -o "$WORK/invite-$user.json" "$web/v1/webapi/users/invites/$token" || fail "GET invite"
  SIGNUP_SECRET="$(python3 -c 'import json,sys,urllib.parse
u = urllib.parse.urlparse(json.load(open(sys.argv[1]))["otp_uri"])
print(urllib.parse.parse_qs(u.query)["secret"][0])' "$WORK/invite-$user.json")" ||
    fail "invite for $user: $(cat "$WORK/invite-$user.json")"
  code="$(oathtool --totp -b "$SIGNUP_SECRET")"
  # Read after the code, so a step boundary in between cannot hand the first login
  # the step the signup took.
  SIGNUP_STEP=$(($(date +%s) / 30))
  code="$(curl -sk -o "$WORK/signup-$user.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data "{\"invite_token\": \"$token\", \"pass\": \"$pass\", \"second_factor_token\": \"$code\"}" \
    "$web/v1/webapi/users")"
  [ "$code" = 200 ] || fail "signup of $user answered $code: $(cat "$WORK/signup-$user.json")"
}

# fresh_otp <secret> <step>: a code of a 30 s step after <step> (a used code, or any
# earlier one, is refused), waiting for the next step when needed (at most 32 s).
fresh_otp() {
  for _ in $(seq 1 320); do
    if [ $(($(date +%s) / 30)) -gt "$2" ]; then oathtool --totp -b "$1"; return 0; fi
    sleep 0.1
  done
  fail "the clock did not reach the next TOTP step"
}

# write_cluster_config <name> <nodename> <auth> <node> <ssh> <web> <tunnel> [tokens yaml]:
# $WORK/<name>.yaml, a cluster named <name> of auth, node and proxy in one process on
# those ports (the trusted cluster tests).
write_cluster_config() {
  cat >"$WORK/$1.yaml" <<YAML
teleport:
  nodename: $2
  data_dir: $WORK/$1-data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: $1
  listen_addr: 127.0.0.1:$3
${8:-}
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$4
  labels:
    role: $2
proxy_service:
  enabled: yes
  listen_addr: 127.0.0.1:$5
  web_listen_addr: 127.0.0.1:$6
  tunnel_listen_addr: 127.0.0.1:$7
YAML
}

# etcd_storage_yaml <tp_etcd state file> <prefix> [cert file]: the teleport.storage
# section for the etcd that tests/tools/tp_etcd started (its client certificate unless
# another is given).
etcd_storage_yaml() {
  local st="$1" cert
  cert="${3:-$(sed -n 's/^cert=//p' "$st")}"
  cat <<YAML
  storage:
    type: etcd
    peers: [$(sed -n 's/^url=//p' "$st")]
    prefix: $2
    tls_cert_file: $cert
    tls_key_file: $(sed -n 's/^key=//p' "$st")
    tls_ca_file: $(sed -n 's/^ca=//p' "$st")
YAML
}
