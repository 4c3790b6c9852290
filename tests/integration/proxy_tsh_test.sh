#!/usr/bin/env bash
# The proxy as users meet it: one teleport with auth, node and proxy roles.
# A user signs up through the web API with an invite from `tctl users add` and a
# TOTP code from oathtool, logs in with `tsh login` (password + OTP typed into a
# terminal, driven by expect), lists nodes, runs commands and copies files via
# the proxy, and reaches the node with plain OpenSSH using `tsh config`. The
# login API refuses wrong passwords, wrong and replayed OTP codes, and locks a
# user after 5 failures. A second teleport with --insecure-no-tls answers plain HTTP.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
T="$TP_BIN/teleport"
LOGIN="$(id -un)"
umask 077
# Sessions must not inherit an agent from whoever runs the test; the test starts its own.
unset SSH_AUTH_SOCK SSH_AGENT_PID TELEPORT_PROXY TELEPORT_USER TELEPORT_HOME
export HOME="$WORK/home"
mkdir -p "$HOME"
tctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/teleport.yaml" "$@"; }
tsh() { timeout 30 "$TP_BIN/tsh" "$@"; }
# tsh_piped <stdin text> <args...>: tsh without a controlling terminal, so it reads
# its answers from stdin even when the test itself runs in a terminal.
tsh_piped() {
  local input="$1"; shift
  printf '%s' "$input" | timeout 30 setsid -w "$TP_BIN/tsh" "$@"
}

# --- two teleports: the main one, and an auth+proxy one without TLS ------------------
AUTH_PORT="$(free_port)"; NODE_PORT="$(free_port)"; PROXY_SSH_PORT="$(free_port)"
WEB_PORT="$(free_port)"; TUNNEL_PORT="$(free_port)"
cat >"$WORK/teleport.yaml" <<YAML
teleport:
  nodename: luna
  data_dir: $WORK/data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: example.test
  listen_addr: 127.0.0.1:$AUTH_PORT
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$NODE_PORT
  labels:
    env: test
proxy_service:
  enabled: yes
  listen_addr: 127.0.0.1:$PROXY_SSH_PORT
  web_listen_addr: 127.0.0.1:$WEB_PORT
  tunnel_listen_addr: 127.0.0.1:$TUNNEL_PORT
  public_addr: 127.0.0.1:$WEB_PORT
YAML
PLAIN_WEB_PORT="$(free_port)"
cat >"$WORK/plain.yaml" <<YAML
teleport:
  nodename: plain
  data_dir: $WORK/plain-data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: plain.test
  listen_addr: 127.0.0.1:$(free_port)
ssh_service:
  enabled: no
proxy_service:
  enabled: yes
  listen_addr: 127.0.0.1:$(free_port)
  web_listen_addr: 127.0.0.1:$PLAIN_WEB_PORT
  tunnel_listen_addr: 127.0.0.1:$(free_port)
YAML
start_bg "$WORK/teleport.log" "$T" start -c "$WORK/teleport.yaml"
TP_PID=$LAST_PID
start_bg "$WORK/plain.log" "$T" start -c "$WORK/plain.yaml" --insecure-no-tls
PLAIN_PID=$LAST_PID

WEB="https://127.0.0.1:$WEB_PORT"
wait_secs 30 curl -skf --max-time 2 "$WEB/webapi/ping" || fail "no answer on $WEB/webapi/ping within 30s"
kill -0 "$TP_PID" 2>/dev/null || fail "teleport exited"
# node_listed: tctl nodes ls has a row for luna.
node_listed() { tctl nodes ls 2>/dev/null | awk '$1 == "luna" {found = 1} END {exit !found}'; }
wait_secs 20 node_listed || fail "tctl nodes ls does not list luna: $(tctl nodes ls 2>&1)"
pass "teleport with auth, node and proxy roles is up"

# --- /webapi/ping over TLS --------------------------------------------------------------
code="$(curl -sk -o "$WORK/ping.json" -w '%{http_code}' "$WEB/webapi/ping")"
[ "$code" = 200 ] || fail "/webapi/ping answered $code"
python3 - "$WORK/ping.json" "$PROXY_SSH_PORT" <<'PY' || fail "/webapi/ping: $(cat "$WORK/ping.json")"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["cluster_name"] == "example.test", p
assert p["auth"]["second_factor"] == "otp", p
assert p["proxy"]["ssh"]["listen_addr"].endswith(":" + sys.argv[2]), p
assert p["proxy_host_key"].startswith("ssh-"), p
PY
# "<type> <base64>" without a comment: how tsh pins keys.
proxy_host_key="$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["proxy_host_key"].split()[:2]))' "$WORK/ping.json")"
# The listener really is TLS: a plain HTTP request gets no HTTP answer.
if curl -sf --max-time 3 "http://127.0.0.1:$WEB_PORT/webapi/ping" >/dev/null 2>&1; then
  fail "the proxy answered plain HTTP on its TLS port"
fi
pass "/webapi/ping over TLS names the cluster, the OTP second factor and the SSH listener"

# --- tsh before login: clear errors -------------------------------------------------------
out="$(tsh ls 2>&1)" && fail "tsh ls worked before login: $out"
assert_contains "$out" "not logged in" "tsh ls before login"
out="$(tsh_piped $'pw\n123456\n' login --proxy="127.0.0.1:$WEB_PORT" --user=joe 2>&1)" &&
  fail "tsh login trusted the self-signed certificate: $out"
assert_contains "$out" "not trusted" "tsh login against a self-signed proxy without --insecure"
out="$(tsh_piped $'pw\n123456\n' login --proxy="127.0.0.1:$(free_port)" --user=joe --insecure 2>&1)" &&
  fail "tsh login to a closed port worked: $out"
assert_contains "$out" "cannot reach the proxy" "tsh login to a closed port"
[ ! -e "$HOME/.tsh/current-profile" ] || fail "a failed login left a profile"
pass "tsh: not logged in, untrusted TLS and unreachable proxy are clear errors"

# --- signup: invite token -> OTP secret -> account --------------------------------------
# signup <user> <password>: sets SIGNUP_SECRET (the user's TOTP secret) and
# SIGNUP_STEP (the 30 s step of the code it used).
signup() {
  local user="$1" pass="$2" url token secret otp code
  url="$(tctl users add "$user" "$LOGIN")" || fail "tctl users add $user"
  token="$(grep -o '/web/newuser/[A-Za-z0-9_-]*' <<<"$url" | head -n 1 | cut -d/ -f4)"
  [ -n "$token" ] || fail "no signup URL in: $url"
  code="$(curl -sk -o "$WORK/invite-$user.json" -w '%{http_code}' "$WEB/v1/webapi/users/invites/$token")"
  [ "$code" = 200 ] || fail "GET invite for $user answered $code: $(cat "$WORK/invite-$user.json")"
  secret="$(python3 - "$WORK/invite-$user.json" "$user" <<'PY'
import json, sys, urllib.parse
inv = json.load(open(sys.argv[1]))
assert inv["user"] == sys.argv[2], inv
uri = urllib.parse.urlparse(inv["otp_uri"])
assert uri.scheme == "otpauth" and uri.netloc == "totp", inv["otp_uri"]
print(urllib.parse.parse_qs(uri.query)["secret"][0])
PY
)" || fail "invite for $user: $(cat "$WORK/invite-$user.json")"
  otp="$(oathtool --totp -b "$secret")"
  # The step is read after the code: read before, a step boundary in between would
  # let the first login use the step the signup already took (a replay).
  SIGNUP_STEP=$(($(date +%s) / 30))
  code="$(curl -sk -o "$WORK/signup-$user.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data "{\"invite_token\": \"$token\", \"pass\": \"$pass\", \"second_factor_token\": \"$otp\"}" \
    "$WEB/v1/webapi/users")"
  [ "$code" = 200 ] || fail "signup of $user answered $code: $(cat "$WORK/signup-$user.json")"
  assert_contains "$(cat "$WORK/signup-$user.json")" "\"$user\"" "signup answer for $user"
  SIGNUP_SECRET="$secret"
}
JOE_PASS="joe-pass-$RANDOM$RANDOM"
EVE_PASS="eve-pass-$RANDOM$RANDOM"
signup joe "$JOE_PASS"
JOE_SECRET="$SIGNUP_SECRET" JOE_STEP="$SIGNUP_STEP"
signup eve "$EVE_PASS"
EVE_SECRET="$SIGNUP_SECRET" EVE_STEP="$SIGNUP_STEP"
assert_contains "$(tctl users ls)" "joe" "tctl users ls after signup"
pass "signup through the web API with an invite token and a TOTP code"

# certs <user> <password> <otp>: HTTP status of a login API call (body in $WORK/certs.json).
ssh-keygen -q -t ed25519 -N '' -C '' -f "$WORK/probe"
certs() {
  local body
  body="$(python3 -c 'import json, sys
print(json.dumps({"user": sys.argv[1], "password": sys.argv[2], "otp_token": sys.argv[3],
                  "pub_key": open(sys.argv[4]).read().strip(), "ttl": 0}))' "$1" "$2" "$3" "$WORK/probe.pub")"
  curl -sk -o "$WORK/certs.json" -w '%{http_code}' -H 'Content-Type: application/json' --data "$body" \
    "$WEB/v1/webapi/ssh/certs"
}

# Five failures lock eve. They need no fresh OTP code, so they run while the clock
# moves on to the next TOTP step that joe's login needs (password checks are slow).
for i in 1 2 3 4 5; do
  code="$(certs eve "wrong-$i" 000000)"
  [ "$code" = 401 ] || [ "$code" = 429 ] || fail "failure $i for eve answered $code"
done

# --- tsh login in a terminal (expect) --------------------------------------------------------
start_bg "$WORK/agent.log" ssh-agent -D -a "$WORK/agent.sock"
wait_for 5 test -S "$WORK/agent.sock" || fail "ssh-agent did not create its socket"
export SSH_AUTH_SOCK="$WORK/agent.sock"
JOE_OTP="$(fresh_otp "$JOE_SECRET" "$JOE_STEP")"
tsh_login "127.0.0.1:$WEB_PORT" joe "$JOE_PASS" "$JOE_OTP"
login_out="$(tr -d '\r' <"$WORK/login.out")"
assert_not_contains "$login_out" "$JOE_PASS" "the password is not echoed"
assert_contains "$login_out" "Profile URL:  https://127.0.0.1:$WEB_PORT" "tsh login status"
assert_contains "$login_out" "Logged in as: joe" "tsh login status"
assert_contains "$login_out" "Cluster:      example.test" "tsh login status"
assert_contains "$login_out" "valid for" "tsh login status"
KEYS="$HOME/.tsh/keys/127.0.0.1"
for f in joe joe.pub joe-cert.pub; do
  [ -s "$KEYS/$f" ] || fail "$KEYS/$f not written"
  [ "$(stat -c %a "$KEYS/$f")" = 600 ] || fail "$KEYS/$f is not 0600"
done
[ "$(stat -c %a "$HOME/.tsh")" = 700 ] || fail "$HOME/.tsh is not 0700"
[ "$(cat "$HOME/.tsh/current-profile")" = 127.0.0.1 ] || fail "current-profile: $(cat "$HOME/.tsh/current-profile")"
cert_text="$(ssh-keygen -L -f "$KEYS/joe-cert.pub")" || fail "ssh-keygen cannot read joe's certificate"
assert_contains "$cert_text" "user certificate" "joe's certificate"
assert_contains "$cert_text" "$LOGIN" "joe's certificate lists the login"
grep -qxF "[127.0.0.1]:$PROXY_SSH_PORT $proxy_host_key tsh/proxy/127.0.0.1" "$HOME/.tsh/known_hosts" ||
  fail "the proxy's host key is not pinned: $(cat "$HOME/.tsh/known_hosts")"
grep -q '^@cert-authority \*\.example\.test ' "$HOME/.tsh/known_hosts" ||
  fail "no host CA line: $(cat "$HOME/.tsh/known_hosts")"
agent_keys="$(ssh-add -L)" || fail "ssh-add -L failed after login"
grep -q '^ssh-ed25519-cert-v01@openssh.com .* teleport:joe$' <<<"$agent_keys" ||
  fail "the agent does not hold joe's certificate: $agent_keys"
status_out="$(tsh status)" || fail "tsh status"
assert_contains "$status_out" "Logged in as: joe" "tsh status"
pass "tsh login: prompts in a terminal, 0600 key and certificate, pinned proxy key and host CA, agent"

# --- refused logins ---------------------------------------------------------------------------
MSG="invalid user name, password or second factor"
code="$(certs joe "$JOE_PASS" "$JOE_OTP")"
[ "$code" = 401 ] || fail "a replayed OTP code was answered $code: $(cat "$WORK/certs.json")"
assert_contains "$(cat "$WORK/certs.json")" "$MSG" "replayed OTP"
now_otp="$(oathtool --totp -b "$JOE_SECRET")"
wrong_otp="$(printf '%06d' $(((10#$now_otp + 500000) % 1000000)))"
code="$(certs joe "$JOE_PASS" "$wrong_otp")"
[ "$code" = 401 ] || fail "a wrong OTP code was answered $code: $(cat "$WORK/certs.json")"
assert_contains "$(cat "$WORK/certs.json")" "$MSG" "wrong OTP"
code="$(certs joe "not-$JOE_PASS" "$wrong_otp")"
[ "$code" = 401 ] || fail "a wrong password was answered $code: $(cat "$WORK/certs.json")"
assert_contains "$(cat "$WORK/certs.json")" "$MSG" "wrong password"
before="$(sha256sum <"$KEYS/joe-cert.pub")"
out="$(tsh_piped "not-$JOE_PASS"$'\n'"$wrong_otp"$'\n' login --proxy="127.0.0.1:$WEB_PORT" --user=joe --insecure 2>&1)" &&
  fail "tsh login with a wrong password worked: $out"
assert_contains "$out" "$MSG" "tsh login with a wrong password shows the server's message"
[ "$(sha256sum <"$KEYS/joe-cert.pub")" = "$before" ] || fail "a refused login replaced joe's certificate"
pass "login API: wrong password, wrong OTP and replayed OTP are refused (401) with one message"

EVE_OTP="$(fresh_otp "$EVE_SECRET" "$EVE_STEP")"
code="$(certs eve "$EVE_PASS" "$EVE_OTP")"
{ [ "$code" = 429 ] || [ "$code" = 401 ]; } ||
  fail "the right password after 5 failures was answered $code: $(cat "$WORK/certs.json")"
# The spec wants the same vague message here; the status already tells a lock apart.
assert_contains "$(cat "$WORK/certs.json")" '"message"' "locked user's error"
out="$(tsh_piped "$EVE_PASS"$'\n'"$EVE_OTP"$'\n' login --proxy="127.0.0.1:$WEB_PORT" --user=eve --insecure 2>&1)" &&
  fail "tsh login for a locked user worked: $out"
assert_contains "$out" "access denied" "tsh login for a locked user"
pass "5 failures lock the user: the 6th attempt, with the right password, is refused ($code)"

# --- tsh ls, ssh, scp through the proxy -----------------------------------------------------
# The proxy learns about nodes from auth: give it a moment after tctl saw luna.
tsh_lists_luna() { tsh ls | awk '$1 == "luna" {found = 1} END {exit !found}'; }
wait_secs 15 tsh_lists_luna || fail "tsh ls does not list luna: $(tsh ls 2>&1)"
ls_out="$(tsh ls)" || fail "tsh ls: $ls_out"
row="$(awk '$1 == "luna"' <<<"$ls_out")"
[ -n "$row" ] || fail "tsh ls does not list luna: $ls_out"
assert_contains "$ls_out" "Node Name" "tsh ls header"
assert_contains "$row" "127.0.0.1:$NODE_PORT" "tsh ls address of luna"
assert_contains "$row" "env=test" "tsh ls labels of luna"
[ -z "$(tsh ls env=prod | awk '$1 == "luna"')" ] || fail "tsh ls env=prod lists luna"
node_key="$(tctl get nodes --format=json | python3 -c '
import json, sys
for n in json.load(sys.stdin):
    if n["spec"].get("hostname") == "luna":
        print(" ".join(n["spec"]["host_key"].split()[:2]))')"
[ -n "$node_key" ] || fail "no host key for luna in the registry"
grep -q "^luna,.* $node_key tsh/node/127.0.0.1$" "$HOME/.tsh/known_hosts" ||
  fail "tsh ls did not pin luna's registered host key: $(cat "$HOME/.tsh/known_hosts")"
pass "tsh ls lists luna with its address and labels, and pins its host key"

out="$(tsh ssh "$LOGIN@luna" id -un </dev/null 2>"$WORK/ssh.err")" || fail "tsh ssh id -un: $(cat "$WORK/ssh.err")"
[ "$out" = "$LOGIN" ] || fail "tsh ssh id -un printed '$out', expected $LOGIN"
out="$(tsh ssh -l "$LOGIN" luna.example.test echo by-fqdn </dev/null)" || fail "tsh ssh luna.example.test"
[ "$out" = by-fqdn ] || fail "tsh ssh luna.example.test printed '$out'"
rc=0; tsh ssh "$LOGIN@luna" 'exit 7' </dev/null 2>/dev/null || rc=$?
[ "$rc" = 7 ] || fail "'exit 7' through tsh ssh gave $rc"
out="$(tsh ssh "$LOGIN@env=test" 'echo labelled; exit 3' </dev/null)" && fail "label run hid exit code 3"
[ "$out" = "[luna] labelled" ] || fail "tsh ssh by label printed '$out', expected '[luna] labelled'"
out="$(tsh ssh "$LOGIN@nosuchnode" true </dev/null 2>&1)" && fail "tsh ssh to an unknown node worked"
assert_contains "$out" "node nosuchnode not found" "tsh ssh to an unknown node"
pass "tsh ssh: by name and FQDN, exit codes, label targets with prefixed output, unknown nodes"

echo "copied-through-the-proxy-$RANDOM" >"$WORK/up.txt"
tsh scp "$WORK/up.txt" "$LOGIN@luna:$WORK/remote.txt" </dev/null 2>"$WORK/scp.err" ||
  fail "tsh scp upload: $(cat "$WORK/scp.err")"
tsh scp "$LOGIN@luna:$WORK/remote.txt" "$WORK/down.txt" </dev/null 2>"$WORK/scp2.err" ||
  fail "tsh scp download: $(cat "$WORK/scp2.err")"
cmp -s "$WORK/up.txt" "$WORK/down.txt" || fail "tsh scp round trip changed the file"
pass "tsh scp upload and download"

# --- plain OpenSSH with the tsh config block ----------------------------------------------------
tsh config >"$WORK/ssh_config" || fail "tsh config"
assert_contains "$(cat "$WORK/ssh_config")" "Host *.example.test" "tsh config"
assert_contains "$(cat "$WORK/ssh_config")" "tsh known-hosts %H %p" "tsh config"
out="$(timeout 30 ssh -F "$WORK/ssh_config" -o BatchMode=yes "$LOGIN@luna.example.test" id -un \
  </dev/null 2>"$WORK/openssh.err")" || fail "ssh -F <tsh config> failed: $(cat "$WORK/openssh.err")"
[ "$out" = "$LOGIN" ] || fail "ssh with the tsh config printed '$out'"
kh="$(tsh known-hosts luna.example.test 22)" || fail "tsh known-hosts"
assert_contains "$kh" "$node_key" "tsh known-hosts luna.example.test"
[ -z "$(tsh known-hosts NONE NONE)" ] || fail "tsh known-hosts NONE NONE printed something"
# With only the KnownHostsCommand to go by (no known_hosts file), ssh still trusts luna.
sed 's#^\( *UserKnownHostsFile \).*#\1/dev/null#' "$WORK/ssh_config" >"$WORK/ssh_config_khc"
out="$(timeout 30 ssh -F "$WORK/ssh_config_khc" -o BatchMode=yes "$LOGIN@luna.example.test" echo khc \
  </dev/null 2>"$WORK/openssh-khc.err")" || fail "ssh with only KnownHostsCommand: $(cat "$WORK/openssh-khc.err")"
[ "$out" = khc ] || fail "ssh with only KnownHostsCommand printed '$out'"
pass "OpenSSH with tsh config reaches luna.example.test through the proxy (known_hosts and KnownHostsCommand)"

# --- sessions in progress and recordings, through the proxy ------------------------------
start_bg "$WORK/live.log" tsh ssh "$LOGIN@luna" 'sleep 6'
LIVE_PID=$LAST_PID
live_listed() { tsh sessions ls | awk '$2 == "joe" && $3 == "luna" {found = 1} END {exit !found}'; }
wait_secs 10 live_listed || fail "tsh sessions ls does not show joe's session: $(tsh sessions ls 2>&1)"
wait_exit "$LIVE_PID" 20 || true
gone() { ! live_listed; }
wait_secs 10 gone || fail "an ended session is still listed: $(tsh sessions ls 2>&1)"
pass "tsh sessions ls shows a session while it runs, and not after"

REC_TAG="recorded-through-the-proxy-$RANDOM"
timeout 30 ssh -F "$WORK/ssh_config" -o BatchMode=yes -tt "$LOGIN@luna.example.test" "echo $REC_TAG" \
  </dev/null >"$WORK/rec-session.out" 2>&1 || fail "interactive session: $(cat "$WORK/rec-session.out")"
# recorded_sid: the session whose playback shows the tag (the newest rows come last).
recorded_sid() {
  local sid
  for sid in $(tsh recordings ls | awk '$2 == "joe" && $3 == "luna" {print $1}' | tac); do
    if tsh play --format=json "$sid" | grep -q "$REC_TAG"; then echo "$sid"; return 0; fi
  done
  return 1
}
wait_secs 15 recorded_sid || fail "no recording shows $REC_TAG: $(tsh recordings ls 2>&1)"
REC_SID="$(recorded_sid)"
play_out="$(tsh play --speed=10 "$REC_SID")" || fail "tsh play $REC_SID"
assert_contains "$play_out" "$REC_TAG" "tsh play through the proxy"
rec_row="$(tsh recordings ls --since="$(date -u +%F)" | awk -v s="$REC_SID" '$1 == s')"
[ -n "$rec_row" ] || fail "tsh recordings ls --since=today misses $REC_SID"
[ -z "$(tsh recordings ls --until=2000-01-01 | awk -v s="$REC_SID" '$1 == s')" ] ||
  fail "tsh recordings ls --until=2000-01-01 lists $REC_SID"
out="$(tsh play 00000000-0000-0000-0000-000000000000 2>&1)" && fail "tsh play of an unknown session worked"
assert_contains "$out" "no recording of session" "tsh play of an unknown session"
out="$(tsh play 'bad*sid' 2>&1)" && fail "tsh play of a malformed session ID worked"
assert_contains "$out" "bad session ID" "tsh play of a malformed session ID"
out="$(tsh recordings ls --since=yesterday 2>&1)" && fail "tsh recordings ls --since=yesterday worked"
assert_contains "$out" "--since: expected a date" "tsh recordings ls with a bad date"
pass "tsh recordings ls and tsh play through the proxy"

# --- tsh join: a second user in a session in progress ------------------------------------
# alice owns the session (plain OpenSSH to the node with a tctl-signed certificate);
# joe joins it with tsh join; each sees what the other types.
cluster_user alice "$LOGIN"
pin_node_key "$WORK/data" "$NODE_PORT"
cat >"$WORK/join.exp" <<'EXP'
set timeout 20
spawn ssh -F /dev/null -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
  -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$env(KH) -i $env(ALICE_KEY) \
  -p $env(NODE_PORT) -tt $env(LOGIN)@127.0.0.1
set owner $spawn_id
send "echo SID=\$TELEPORT_SESSION\r"
expect {
  -re {SID=([0-9a-f-]{36})} { set sid $expect_out(1,string) }
  timeout { puts "JOINFAIL: no session ID from the owner's shell"; exit 91 }
}
puts "\nSESSION $sid"
spawn $env(TP_BIN)/tsh join $sid
set joiner $spawn_id
sleep 2
send -i $owner "echo owner-says-$env(TAG)\r"
expect {
  -i $joiner "owner-says-$env(TAG)" {}
  timeout { puts "JOINFAIL: the joiner does not see the owner's output"; exit 92 }
}
send -i $joiner "echo joiner-says-$env(TAG)\r"
expect {
  -i $owner "joiner-says-$env(TAG)" {}
  timeout { puts "JOINFAIL: the owner does not see what the joiner typed"; exit 93 }
}
send -i $owner "exit\r"
expect {
  -i $joiner eof {}
  timeout { puts "JOINFAIL: the joiner stayed after the session ended"; exit 94 }
}
expect -i $owner eof
puts "JOINOK"
EXP
rc=0
KH="$WORK/known_hosts" ALICE_KEY="$WORK/alice" NODE_PORT="$NODE_PORT" LOGIN="$LOGIN" TAG="$RANDOM$RANDOM" \
  timeout 60 expect -f "$WORK/join.exp" >"$WORK/join.out" 2>&1 || rc=$?
grep -q JOINOK "$WORK/join.out" || fail "tsh join (rc $rc): $(tr -d '\r' <"$WORK/join.out" | tail -n 20)"
JOIN_SID="$(tr -d '\r' <"$WORK/join.out" | sed -n 's/^SESSION \([0-9a-f-]*\)$/\1/p' | head -n 1)"
[ -n "$JOIN_SID" ] || fail "no session ID in the join transcript"
joined_logged() {
  cat "$WORK/data/log/"*.log | python3 -c '
import json, sys
sid = sys.argv[1]
ev = [json.loads(l) for l in sys.stdin]
kinds = {(e["event"], e.get("user")) for e in ev if e.get("sid") == sid}
want = {("session.join", "joe"), ("session.leave", "joe"), ("session.start", "alice")}
sys.exit(0 if want <= kinds else 1)' "$JOIN_SID"
}
wait_secs 10 joined_logged || fail "session.join/session.leave of joe in $JOIN_SID are not in the audit log"
out="$(tsh join 'not-a-sid!' 2>&1)" && fail "tsh join of a malformed session ID worked"
assert_contains "$out" "is not a session ID" "tsh join of a malformed session ID"
out="$(tsh join 00000000-0000-0000-0000-000000000000 2>&1)" && fail "tsh join of an unknown session worked"
assert_contains "$out" "is not in progress" "tsh join of an unknown session"
pass "tsh join: joe joins alice's session, both see each other's input and output; join/leave logged"

# --- logout ------------------------------------------------------------------------------------
tsh logout >"$WORK/logout.out" 2>&1 || fail "tsh logout: $(cat "$WORK/logout.out")"
for f in joe joe.pub joe-cert.pub; do [ ! -e "$KEYS/$f" ] || fail "tsh logout left $KEYS/$f"; done
if ssh-add -L 2>/dev/null | grep -q 'teleport:joe'; then fail "tsh logout left the key in the agent"; fi
out="$(tsh ssh "$LOGIN@luna" true </dev/null 2>&1)" && fail "tsh ssh worked after logout"
assert_contains "$out" "not logged in" "tsh ssh after logout"
pass "tsh logout removes the key, the certificate and the agent's copy"

# --- a proxy with --insecure-no-tls -------------------------------------------------------------
wait_secs 30 curl -sf --max-time 2 "http://127.0.0.1:$PLAIN_WEB_PORT/webapi/ping" ||
  fail "the --insecure-no-tls proxy gave no plain HTTP answer within 30s"
assert_contains "$(curl -s "http://127.0.0.1:$PLAIN_WEB_PORT/webapi/ping")" "plain.test" "plain HTTP ping"
out="$(tsh_piped $'pw\n123456\n' login --proxy="http://127.0.0.1:$PLAIN_WEB_PORT" --user=nobody 2>&1)" &&
  fail "tsh sent a password over plain HTTP without --insecure"
assert_contains "$out" "unencrypted" "tsh login over http:// without --insecure"
out="$(tsh_piped $'password\n123456\n' login --proxy="http://127.0.0.1:$PLAIN_WEB_PORT" --user=nobody --insecure 2>&1)" &&
  fail "a login for a user that does not exist worked: $out"
assert_contains "$out" "access denied" "tsh login over plain HTTP reaches the login API"
kill -0 "$PLAIN_PID" 2>/dev/null || fail "the --insecure-no-tls teleport died"
pass "--insecure-no-tls: the proxy serves plain HTTP; tsh uses it only with http:// and --insecure"

kill -0 "$TP_PID" 2>/dev/null || fail "teleport died during the test"

# --- every web login attempt is in the audit log ----------------------------------
python3 - "$WORK/data/log" <<'PY' || fail "user.login events missing from the audit log"
import glob, json, sys
events = [json.loads(l) for p in glob.glob(sys.argv[1] + "/*.log") for l in open(p)]
logins = [e for e in events if e.get("event") == "user.login" and e.get("user") == "joe"]
assert any(e["success"] for e in logins), "no successful user.login"
assert any(not e["success"] for e in logins), "no failed user.login"
assert all("password" not in json.dumps(e).lower().replace("bad password", "") for e in logins)
PY
pass "audit log: user.login for successful and failed web logins"
