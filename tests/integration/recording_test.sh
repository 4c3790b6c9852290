#!/usr/bin/env bash
# Session recording in node mode: an auth-only teleport and a node teleport
# joined with a static token. Interactive sessions (real OpenSSH, -tt) are
# recorded by the node and stored by auth as <sid>.session.bytes/.session.log;
# the print events reassemble the bytes file; `tsh play` replays it, as JSON
# and as asciicast (checked with asciinema when installed). A command without
# a terminal is not recorded. `kill -9` of the node mid-session leaves a
# playable recording of what was acknowledged. With auth stopped, the node
# spools events and chunks to its disk; after the node is killed and both
# restart, they reach auth. With session_recording: off
# nothing is recorded and the events are still written.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
T="$TP_BIN/teleport"
LOGIN="$(id -un)"
unset SSH_AUTH_SOCK SSH_AGENT_PID
AUTH_PORT="$(free_port)"
NODE_PORT="$(free_port)"
tctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/auth.yaml" "$@"; }
tsh() { timeout 60 "$TP_BIN/tsh" "$@"; }

cat >"$WORK/auth.yaml" <<YAML
teleport:
  nodename: auth-host
  data_dir: $WORK/auth-data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: rec.test
  listen_addr: 127.0.0.1:$AUTH_PORT
  tokens:
  - "node:rec-static-token"
ssh_service:
  enabled: no
proxy_service:
  enabled: no
YAML
cat >"$WORK/node.yaml" <<YAML
teleport:
  nodename: recnode
  data_dir: $WORK/node
  auth_token: rec-static-token
  auth_servers:
  - 127.0.0.1:$AUTH_PORT
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: no
proxy_service:
  enabled: no
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$NODE_PORT
YAML
start_bg "$WORK/auth.log" "$T" start -c "$WORK/auth.yaml"
wait_for 20 tctl status || fail "auth did not start"
start_bg "$WORK/node.log" "$T" start -c "$WORK/node.yaml"
NODE_PID=$LAST_PID
wait_for 20 grep -q "ssh service listening on" "$WORK/node.log" || fail "the node did not start"
cluster_user alice "$LOGIN"
pin_node_key "$WORK/node" "$NODE_PORT"
pass "auth and a joined node are up"

LOGS="$WORK/auth-data/log"
RECS="$LOGS/sessions/default"
# node_ssh <port> <known_hosts> <ssh args...>: as alice, with her certificate.
node_ssh() {
  local port="$1" kh="$2"; shift 2
  timeout 30 ssh -F /dev/null -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
    -o ConnectTimeout=5 -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$kh" \
    -i "$WORK/alice" -p "$port" "$@"
}
# sids_with_size <log dir>: session IDs of interactive sessions (session.start with a size).
sids_with_size() {
  cat "$1"/*.log 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e.get("event") == "session.start" and e.get("size"):
        print(e["sid"])'
}
ended() { grep -q '"event":"session.end"' "$1"; }

# --- an interactive session is recorded -------------------------------------------------
node_ssh "$NODE_PORT" "$WORK/known_hosts" -tt "$LOGIN@127.0.0.1" \
  'echo hello-rec; sleep 0.3; printf "caf\303\251 second-line\n"' </dev/null >"$WORK/tty.out" 2>&1 ||
  fail "the interactive session failed: $(cat "$WORK/tty.out")"
assert_contains "$(cat "$WORK/tty.out")" "hello-rec" "the session's own output"
SID="$(sids_with_size "$LOGS" | head -n 1)"
[ -n "$SID" ] || fail "no session.start with a terminal size in the audit log"
wait_for 10 ended "$RECS/$SID.session.log" || fail "the recording of $SID has no session.end"
assert_contains "$(cat "$RECS/$SID.session.bytes")" "hello-rec" "the recorded bytes"
python3 - "$RECS/$SID" "$LOGS" "$SID" "$LOGIN" <<'PY' || fail "the recording of $SID is inconsistent"
import glob, json, sys
base, logs, sid, login = sys.argv[1:5]
data = open(base + ".session.bytes", "rb").read()
events = [json.loads(l) for l in open(base + ".session.log")]
types = [e["event"] for e in events]
assert types[0] == "session.start" and types[-1] == "session.end", types
prints = [e for e in events if e["event"] == "print"]
assert prints, types
# The print events' slices, in order, are exactly the bytes file.
joined = b"".join(data[p["offset"]:p["offset"] + p["bytes"]] for p in prints)
assert joined == data, (len(joined), len(data))
assert all(b["offset"] >= a["offset"] + a["bytes"] for a, b in zip(prints, prints[1:]))
assert all(b["ms"] >= a["ms"] for a, b in zip(prints, prints[1:]))
assert [p["ci"] for p in prints] == list(range(len(prints)))
# The same session in the day file: user, login, server_id, size.
day = [json.loads(l) for f in sorted(glob.glob(logs + "/*.log")) for l in open(f)]
mine = {e["event"]: e for e in day if e.get("sid") == sid}
start, end = mine["session.start"], mine["session.end"]
node_id = open(glob.glob(logs + "/../../node/host_uuid")[0]).read().strip()
for e in (start, end):
    assert e["user"] == "alice" and e["login"] == login, e
    assert e["server_id"] == node_id, (e["server_id"], node_id)
assert ":" in start["size"], start
PY
pass "an interactive session is recorded; its print events reassemble the bytes file"

# --- playback ------------------------------------------------------------------------------
out="$(tsh play --speed=8 "$RECS/$SID.session.log")" || fail "tsh play failed: $out"
assert_contains "$out" "hello-rec" "tsh play output"
assert_contains "$out" "café second-line" "tsh play output (UTF-8)"
tsh play --format=json "$RECS/$SID" >"$WORK/play.json" || fail "tsh play --format=json failed"
python3 - "$WORK/play.json" <<'PY' || fail "tsh play --format=json: $(head -c 600 "$WORK/play.json")"
import json, sys
ev = json.load(open(sys.argv[1]))
types = [e["event"] for e in ev]
assert "session.start" in types and "print" in types and "session.end" in types, types
PY
tsh play --format=asciicast "$RECS/$SID" >"$WORK/rec.cast" || fail "tsh play --format=asciicast failed"
python3 - "$WORK/rec.cast" <<'PY' || fail "the asciicast export is malformed: $(head -c 600 "$WORK/rec.cast")"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
head = json.loads(lines[0])
assert head["version"] == 2 and head["width"] > 0 and head["height"] > 0, head
frames = [json.loads(l) for l in lines[1:]]
text = "".join(f[2] for f in frames if f[1] == "o")
assert "hello-rec" in text and "café" in text, text
assert all(b[0] >= a[0] for a, b in zip(frames, frames[1:]))
PY
if command -v asciinema >/dev/null 2>&1; then
  # asciinema opens /dev/tty: give it a terminal with script(1).
  cast_out="$(timeout 30 script -qec "asciinema cat $WORK/rec.cast" /dev/null </dev/null)" ||
    fail "asciinema cat failed: $cast_out"
  assert_contains "$cast_out" "hello-rec" "asciinema cat of the export"
fi
if tsh play --speed=0 "$RECS/$SID" >/dev/null 2>&1; then fail "tsh play accepted --speed=0"; fi
out="$(tsh play "$WORK/no-such.session.log" 2>&1)" && fail "tsh play of a missing file worked"
pass "tsh play replays the recording, as text, JSON and asciicast"

# --- no terminal: events, no recording --------------------------------------------------------
before="$(find "$RECS" -name '*.session.log' | wc -l)"
[ "$(node_ssh "$NODE_PORT" "$WORK/known_hosts" "$LOGIN@127.0.0.1" 'echo plain-exec' </dev/null)" = plain-exec ] ||
  fail "exec without a terminal failed"
wait_for 10 grep -q '"command":"echo plain-exec"' "$LOGS"/*.log || fail "no exec event for the command"
[ "$(find "$RECS" -name '*.session.log' | wc -l)" = "$before" ] || fail "a command without a terminal was recorded"
pass "a command without a terminal is logged but not recorded"

# --- kill -9 of the node mid-session ------------------------------------------------------------
start_bg "$WORK/crash-session.log" node_ssh "$NODE_PORT" "$WORK/known_hosts" -tt "$LOGIN@127.0.0.1" \
  'echo part-one-before-crash; sleep 60'
CRASH_CLIENT=$LAST_PID
crash_sid() {
  for s in $(sids_with_size "$LOGS"); do
    if grep -q part-one-before-crash "$RECS/$s.session.bytes" 2>/dev/null; then echo "$s"; return 0; fi
  done
  return 1
}
wait_for 15 crash_sid || fail "the live session's output did not reach auth"
CRASH_SID="$(crash_sid)"
kill -KILL "$NODE_PID"
wait_exit "$CRASH_CLIENT" 30 || true
ended "$RECS/$CRASH_SID.session.log" && fail "a killed session has a session.end"
out="$(tsh play --speed=100 "$RECS/$CRASH_SID")" || fail "the crashed session does not play: $out"
assert_contains "$out" "part-one-before-crash" "playback of the crashed session"
pass "kill -9 of the node leaves a playable recording of the acknowledged output"

# --- auth away: the node keeps events and recordings on its disk ----------------------------------
start_bg "$WORK/node2.log" "$T" start -c "$WORK/node.yaml"
NODE_PID=$LAST_PID
wait_for 20 grep -q "ssh service listening on" "$WORK/node2.log" || fail "the node did not restart"
AUTH_PID="$(pgrep -f "teleport start -c $WORK/auth.yaml" | head -n 1)"
[ -n "$AUTH_PID" ] || fail "cannot find the auth process"
kill -TERM "$AUTH_PID"
wait_exit "$AUTH_PID" 20 || fail "auth did not stop"
SPOOL="$WORK/node/log/upload/node"
node_ssh "$NODE_PORT" "$WORK/known_hosts" -tt "$LOGIN@127.0.0.1" 'echo during-the-outage' </dev/null \
  >"$WORK/outage.out" 2>&1 || fail "a session while auth is down failed: $(cat "$WORK/outage.out")"
spooled() { [ -n "$(find "$SPOOL" -name '*.req' 2>/dev/null | head -n 1)" ]; }
wait_for 15 spooled || fail "nothing was spooled to $SPOOL while auth was down"
# The node dies too: what it spooled is on its disk.
kill -KILL "$NODE_PID"
start_bg "$WORK/auth2.log" "$T" start -c "$WORK/auth.yaml"
wait_for 20 tctl status || fail "auth did not restart"
start_bg "$WORK/node3.log" "$T" start -c "$WORK/node.yaml"
delivered() { grep -q '"command":"echo during-the-outage"' "$LOGS"/*.log && ! spooled; }
wait_for 30 delivered || fail "the spooled events did not reach auth (spool: $(ls "$SPOOL" 2>&1))"
grep -l during-the-outage "$RECS"/*.session.bytes >/dev/null 2>&1 ||
  fail "the recording made while auth was down did not reach auth"
tctl audit verify >/dev/null || fail "the audit chain is broken after the outage"
pass "with auth down the node spools events and recording chunks to disk, and delivers them after both restart"

# --- session_recording: off ----------------------------------------------------------------------
OFF_AUTH="$(free_port)"; OFF_SSH="$(free_port)"
cat >"$WORK/off.yaml" <<YAML
teleport:
  nodename: offnode
  data_dir: $WORK/off
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: off.test
  listen_addr: 127.0.0.1:$OFF_AUTH
  session_recording: "off"
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$OFF_SSH
proxy_service:
  enabled: no
YAML
start_bg "$WORK/off.log" "$T" start -c "$WORK/off.yaml"
wait_for 20 grep -q "ssh service listening on" "$WORK/off.log" || fail "the off-mode teleport did not start"
tctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/off.yaml" "$@"; }
wait_for 20 tctl status || fail "tctl status (off mode)"
cluster_user alice "$LOGIN"
cp "$WORK/known_hosts" "$WORK/known_hosts.node"
pin_node_key "$WORK/off" "$OFF_SSH"
node_ssh "$OFF_SSH" "$WORK/known_hosts" -tt "$LOGIN@127.0.0.1" 'echo off-mode-output' </dev/null >/dev/null 2>&1 ||
  fail "the session in off mode failed"
OFF_SID="$(sids_with_size "$WORK/off/log" | head -n 1)"
[ -n "$OFF_SID" ] || fail "off mode: no session.start event"
wait_for 10 grep -q "\"sid\":\"$OFF_SID\".*session.end\|session.end.*\"sid\":\"$OFF_SID\"" "$WORK/off/log"/*.log ||
  fail "off mode: no session.end event"
[ ! -e "$WORK/off/log/sessions/default/$OFF_SID.session.bytes" ] || fail "off mode recorded the session"
pass "session_recording: off records nothing and still logs the session"

# --- session_recording: proxy: the nodes no longer record (the proxy does, see
# recording_proxy_test.sh); a session straight to a node is still logged -------------
PX_AUTH="$(free_port)"; PX_SSH="$(free_port)"
sed -e "s#$WORK/off#$WORK/px#; s#off.test#px.test#; s#:$OFF_AUTH#:$PX_AUTH#; s#:$OFF_SSH#:$PX_SSH#" \
  -e 's#session_recording: "off"#session_recording: proxy#; s#nodename: offnode#nodename: pxnode#' \
  "$WORK/off.yaml" >"$WORK/px.yaml"
start_bg "$WORK/px.log" "$T" start -c "$WORK/px.yaml"
wait_for 20 grep -q "ssh service listening on" "$WORK/px.log" || fail "the proxy-mode teleport did not start"
tctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/px.yaml" "$@"; }
wait_for 20 tctl status || fail "tctl status (proxy mode)"
cluster_user alice "$LOGIN"
pin_node_key "$WORK/px" "$PX_SSH"
node_ssh "$PX_SSH" "$WORK/known_hosts" -tt "$LOGIN@127.0.0.1" 'echo px-mode-output' </dev/null >/dev/null 2>&1 ||
  fail "the session in proxy mode failed"
PX_SID="$(sids_with_size "$WORK/px/log" | head -n 1)"
[ -n "$PX_SID" ] || fail "proxy mode: the node logged no session.start"
wait_for 10 grep -q "session.end.*\"sid\":\"$PX_SID\"\|\"sid\":\"$PX_SID\".*session.end" "$WORK/px/log"/*.log ||
  fail "proxy mode: the node logged no session.end"
[ ! -e "$WORK/px/log/sessions/default/$PX_SID.session.bytes" ] || fail "proxy mode: the node recorded the session itself"
pass "session_recording: proxy: nodes log their sessions but leave recording to the proxy"
