#!/usr/bin/env bash
# Graceful restart as the reference's signal table says, on one process with
# auth, node and proxy: the binary is replaced by a newer build, SIGUSR2 makes a
# new process take over the listening sockets; an interactive session opened
# before goes on to its end in the old process, a loop of `ssh true` across the
# restart sees no refusal, systemd hears the new MAINPID over NOTIFY_SOCKET.
# Then SIGHUP, a restart into a broken binary (the old process goes on), a
# second daemon on the same data_dir (refused), SIGTERM and SIGQUIT.
source "$(dirname "$0")/lib.sh"

NEXT="$TP_BIN/../test-bin/teleport"
[ -x "$NEXT" ] && [ -x "$TP_BIN/../test-bin/tctl" ] ||
  fail "no $NEXT or test-bin/tctl (the *_next targets of tests/CMakeLists.txt)"
mkdir -p "$WORK/bin"
cp "$TP_BIN/teleport" "$WORK/bin/teleport"
T="$WORK/bin/teleport"
OLD_VERSION="$("$TP_BIN/teleport" version | awk '{print substr($2, 2)}')"
NEW_VERSION="$("$NEXT" version | awk '{print substr($2, 2)}')"
[ "$OLD_VERSION" != "$NEW_VERSION" ] || fail "the test build reports the same version ($OLD_VERSION)"

LOGIN="$(id -un)"
AUTH_PORT="$(free_port)" NODE_PORT="$(free_port)" PROXY_PORT="$(free_port)"
WEB_PORT="$(free_port)" TUNNEL_PORT="$(free_port)" DIAG_PORT="$(free_port)"
PIDFILE="$WORK/teleport.pid"
cat >"$WORK/teleport.yaml" <<YAML
teleport:
  nodename: phoenix
  data_dir: $WORK/data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: restart.test
  listen_addr: 127.0.0.1:$AUTH_PORT
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$NODE_PORT
proxy_service:
  enabled: yes
  listen_addr: 127.0.0.1:$PROXY_PORT
  web_listen_addr: 127.0.0.1:$WEB_PORT
  tunnel_listen_addr: 127.0.0.1:$TUNNEL_PORT
YAML
TCTL="$TP_BIN/tctl"  # the next release's tctl once the cluster is upgraded
tctl() { timeout 20 "$TCTL" -c "$WORK/teleport.yaml" "$@"; }
DIAG="http://127.0.0.1:$DIAG_PORT"
build_version() { curl -sf "$DIAG/metrics" | sed -n 's/^teleport_build_info{version="\([^"]*\)"} 1$/\1/p'; }

# systemd's side of sd_notify: a datagram socket that logs what it receives.
NOTIFY="$WORK/notify.sock"
python3 -c 'import socket,sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    out.write(s.recv(4096).decode().replace("\n", " ") + "\n")' "$NOTIFY" "$WORK/notify.txt" &
PIDS+=("$!")
wait_for 10 test -S "$NOTIFY" || fail "the notify socket"

NOTIFY_SOCKET="$NOTIFY" start_bg "$WORK/teleport.log" "$T" start -c "$WORK/teleport.yaml" \
  --diag-addr="127.0.0.1:$DIAG_PORT" --pid-file="$PIDFILE"
PID1="$LAST_PID"
wait_for 30 curl -sf "$DIAG/readyz" || fail "teleport did not become ready"
[ "$(cat "$PIDFILE")" = "$PID1" ] || fail "the pid file does not hold $PID1"
wait_for 5 grep -q "READY=1 MAINPID=$PID1" "$WORK/notify.txt" || fail "no READY=1 to systemd: $(cat "$WORK/notify.txt")"
[ "$(build_version)" = "$OLD_VERSION" ] || fail "metrics report $(build_version), not $OLD_VERSION"
wait_for 20 tctl status || fail "tctl status"
cluster_user alice "$LOGIN"
chmod 600 "$WORK/alice"
pass "started: pid file, READY=1 for systemd, version $OLD_VERSION"

# --- a second daemon on the same data_dir is refused ---------------------------------------
sed "s/$AUTH_PORT/$(free_port)/; s/$NODE_PORT/$(free_port)/; s/$PROXY_PORT/$(free_port)/; s/$WEB_PORT/$(free_port)/; s/$TUNNEL_PORT/$(free_port)/" \
  "$WORK/teleport.yaml" >"$WORK/second.yaml"
out="$(timeout 20 "$TP_BIN/teleport" start -c "$WORK/second.yaml" 2>&1)" && fail "a second teleport ran auth on the same data_dir"
assert_contains "$out" "another teleport runs the auth service on data_dir $WORK/data" "the second daemon's error"
assert_contains "$out" "pid $PID1" "the error names the holder"
pass "a second teleport on the same data_dir is refused with the holder's pid"

SSH_OPTS=(-F /dev/null -o IdentitiesOnly=yes -i "$WORK/alice" -o CertificateFile="$WORK/alice-cert.pub"
  -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o LogLevel=ERROR -o ConnectTimeout=10)
# Through the proxy, so both the proxy's and the node's listeners are exercised.
pssh() {
  timeout 20 ssh "${SSH_OPTS[@]}" -o "ProxyCommand=ssh ${SSH_OPTS[*]} -p $PROXY_PORT %r@127.0.0.1 -s proxy:%h:%p" \
    -p "$NODE_PORT" "$@"
}
# The proxy learns the node from its registry refresh (every 2 s).
hello() { pssh "$LOGIN@127.0.0.1" 'echo hello-$((2*21))' </dev/null 2>&1 | grep -q hello-42; }
wait_for 20 hello || fail "ssh through the proxy: $(pssh "$LOGIN@127.0.0.1" true </dev/null 2>&1; echo "rc $?")"

# --- an interactive session that spans the restart -------------------------------------------
mkfifo "$WORK/session.in"
exec 3<>"$WORK/session.in"
timeout 120 ssh -tt "${SSH_OPTS[@]}" \
  -o "ProxyCommand=ssh ${SSH_OPTS[*]} -p $PROXY_PORT %r@127.0.0.1 -s proxy:%h:%p" \
  -p "$NODE_PORT" "$LOGIN@127.0.0.1" <"$WORK/session.in" >"$WORK/session.out" 2>&1 &
SESSION=$!
PIDS+=("$SESSION")
echo 'echo before-$((2*3))' >&3
wait_for 20 grep -q "before-6" "$WORK/session.out" || fail "the interactive session: $(cat "$WORK/session.out")"

# --- a loop of bounded connections across the restart ------------------------------------------
: >"$WORK/loop.ok"; : >"$WORK/loop.failed"
(
  for i in $(seq 1 400); do
    [ -e "$WORK/loop.stop" ] && break
    if timeout 20 ssh "${SSH_OPTS[@]}" -p "$NODE_PORT" "$LOGIN@127.0.0.1" true </dev/null 2>"$WORK/loop.err.$i"; then
      echo "$i" >>"$WORK/loop.ok"
    else
      echo "$i $(cat "$WORK/loop.err.$i")" >>"$WORK/loop.failed"
    fi
    rm -f "$WORK/loop.err.$i"
  done
) &
LOOP=$!
PIDS+=("$LOOP")
wait_for 20 test -s "$WORK/loop.ok" || fail "the connection loop never succeeded: $(cat "$WORK/loop.failed")"

# --- the upgrade: replace the binary, SIGUSR2 ------------------------------------------------------
cp "$NEXT" "$WORK/bin/teleport.new" && mv -f "$WORK/bin/teleport.new" "$T"
before_restart="$(wc -l <"$WORK/loop.ok")"
kill -USR2 "$PID1"
new_pid() { [ -s "$PIDFILE" ] && [ "$(cat "$PIDFILE")" != "$PID1" ]; }
wait_for 60 new_pid || fail "no new process took over: $(tail -n 20 "$WORK/teleport.log")"
PID2="$(cat "$PIDFILE")"
PIDS+=("$PID2")
wait_for 10 grep -q "graceful restart: pid $PID2 serves new connections" "$WORK/teleport.log" ||
  fail "the old process did not hand over: $(tail -n 20 "$WORK/teleport.log")"
wait_for 10 grep -q "MAINPID=$PID2" "$WORK/notify.txt" || fail "systemd did not learn MAINPID=$PID2: $(cat "$WORK/notify.txt")"
grep -q "RELOADING=1" "$WORK/notify.txt" || fail "no RELOADING=1: $(cat "$WORK/notify.txt")"
[ "$(build_version)" = "$NEW_VERSION" ] || fail "after USR2 metrics report $(build_version), not $NEW_VERSION"
# The upgrade rules: the old clients are refused with a clear error, the new ones work.
out="$(tctl status 2>&1)" && fail "tctl $OLD_VERSION worked against auth $NEW_VERSION"
assert_contains "$out" "tctl $OLD_VERSION is older than the cluster's $NEW_VERSION" "old tctl"
out="$(timeout 20 "$TP_BIN/tsh" login --proxy="127.0.0.1:$WEB_PORT" --user=alice --insecure </dev/null 2>&1)" &&
  fail "tsh $OLD_VERSION logged in to $NEW_VERSION"
assert_contains "$out" "tsh $OLD_VERSION is older than the cluster's $NEW_VERSION" "old tsh"
TCTL="$TP_BIN/../test-bin/tctl"
out="$(tctl status)" || fail "tctl status after the restart"
assert_contains "$out" "$NEW_VERSION" "tctl status shows the new auth's version"
kill -0 "$PID1" 2>/dev/null || fail "the old process exited with a session still open"
pass "SIGUSR2: pid $PID2 ($NEW_VERSION) serves; systemd told RELOADING and the new MAINPID; the old one drains; old tsh/tctl refused"

# The loop goes on against the new process for a while, then stops.
loop_moved_on() { [ "$(wc -l <"$WORK/loop.ok")" -ge $((before_restart + 10)) ]; }
wait_for 30 loop_moved_on ||
  fail "the loop stalled after the restart: $(cat "$WORK/loop.failed")"
touch "$WORK/loop.stop"
wait_exit "$LOOP" 60
[ ! -s "$WORK/loop.failed" ] || fail "connections failed across the restart: $(cat "$WORK/loop.failed")"
pass "$(wc -l <"$WORK/loop.ok") bounded ssh connections across the restart, none refused or failed"

# The session opened before the restart still works, then ends; the old process follows.
echo 'echo after-$((6*7)); exit' >&3
wait_exit "$SESSION" 30
[ "$EXIT_CODE" = 0 ] || fail "the old session ended with $EXIT_CODE: $(cat "$WORK/session.out")"
assert_contains "$(cat "$WORK/session.out")" "after-42" "the session opened before the restart"
wait_exit "$PID1" 15
grep -q "graceful restart: no open connections are left" "$WORK/teleport.log" || fail "the old process's exit reason"
[ "$(cat "$PIDFILE")" = "$PID2" ] || fail "the old process removed or changed the pid file"
pass "the session from before the restart ran to its end; then the old process exited, leaving the pid file"

# Audit: the session's events reached the (new) auth.
wait_for 20 sh -c "timeout 20 '$TCTL' -c '$WORK/teleport.yaml' get events --type=session.end | grep -q session.end" ||
  fail "no session.end in the audit log after the restart"

# --- SIGHUP: the same hand-over; with no sessions the old one exits at once -----------------------
kill -HUP "$PID2"
new_pid3() { [ -s "$PIDFILE" ] && [ "$(cat "$PIDFILE")" != "$PID2" ]; }
wait_for 60 new_pid3 || fail "SIGHUP: no new process: $(tail -n 20 "$WORK/teleport.log")"
PID3="$(cat "$PIDFILE")"
PIDS+=("$PID3")
for _ in $(seq 1 150); do kill -0 "$PID2" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID2" 2>/dev/null && fail "SIGHUP: the old process (no sessions) did not exit"
out="$(pssh "$LOGIN@127.0.0.1" 'echo third-$((3*3))' </dev/null 2>&1)" || fail "ssh after SIGHUP: $out"
assert_contains "$out" "third-9" "ssh after SIGHUP"
pass "SIGHUP: pid $PID3 took over and pid $PID2 exited"

# --- a broken new binary: the restart fails, the old process goes on (auth included) ---------------
printf '#!/bin/sh\necho "broken build" >&2\nexit 3\n' >"$WORK/bin/teleport.new"
chmod 755 "$WORK/bin/teleport.new" && mv -f "$WORK/bin/teleport.new" "$T"
kill -USR2 "$PID3"
wait_for 30 grep -q "graceful restart failed" "$WORK/teleport.log" || fail "no 'graceful restart failed'"
kill -0 "$PID3" 2>/dev/null || fail "a failed restart stopped the running process"
wait_for 30 tctl status || fail "auth is not back after the failed restart"
out="$(pssh "$LOGIN@127.0.0.1" 'echo still-$((4*4))' </dev/null 2>&1)" || fail "ssh after a failed restart: $out"
assert_contains "$out" "still-16" "ssh after a failed restart"
[ "$(cat "$PIDFILE")" = "$PID3" ] || fail "the pid file changed on a failed restart"
pass "a restart into a broken binary fails cleanly: pid $PID3 keeps serving auth, proxy and node"

# --- SIGQUIT stops now, even with a session open --------------------------------------------------
exec 4<>"$WORK/session.in"
timeout 60 ssh -tt "${SSH_OPTS[@]}" -p "$NODE_PORT" "$LOGIN@127.0.0.1" <"$WORK/session.in" >"$WORK/quit.out" 2>&1 &
Q=$!
PIDS+=("$Q")
echo 'echo open-$((5*5))' >&4
wait_for 20 grep -q "open-25" "$WORK/quit.out" || fail "the session before SIGQUIT"
kill -QUIT "$PID3"
for _ in $(seq 1 30); do kill -0 "$PID3" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID3" 2>/dev/null && fail "SIGQUIT: the process did not stop within 3 s"
pass "SIGQUIT stops at once with a session open"
