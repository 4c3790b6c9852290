#!/usr/bin/env bash
# teleport start --diag-addr: /healthz, /readyz and /metrics, scraped and parsed with
# the Prometheus client library's own parser; the counters move when the cluster works.
source "$(dirname "$0")/lib.sh"

T="$TP_BIN/teleport"
LOGIN="$(id -un)"
AUTH_PORT="$(free_port)" NODE_PORT="$(free_port)" DIAG_PORT="$(free_port)"
cat >"$WORK/teleport.yaml" <<YAML
teleport:
  nodename: diagnode
  data_dir: $WORK/data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: diag.test
  listen_addr: 127.0.0.1:$AUTH_PORT
ssh_service:
  enabled: yes
  listen_addr: 127.0.0.1:$NODE_PORT
proxy_service:
  enabled: no
YAML
tctl() { timeout 20 "$TP_BIN/tctl" -c "$WORK/teleport.yaml" "$@"; }
DIAG="http://127.0.0.1:$DIAG_PORT"

# --- a bad address, and one that is taken --------------------------------------------
out="$(timeout 20 "$T" start -c "$WORK/teleport.yaml" --diag-addr=127.0.0.1 2>&1)" && fail "a port-less --diag-addr started"
assert_contains "$out" "--diag-addr" "the error names the flag"
# A port that stays taken: the holder binds port 0 and says which it got.
python3 -c 'import socket,sys,time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
open(sys.argv[1], "w").write(str(s.getsockname()[1])); time.sleep(30)' "$WORK/taken.port" &
HOLDER=$!
PIDS+=("$HOLDER")
wait_for 10 test -s "$WORK/taken.port" || fail "the port holder did not start"
TAKEN="$(cat "$WORK/taken.port")"
out="$(timeout 20 "$T" start -c "$WORK/teleport.yaml" --diag-addr="127.0.0.1:$TAKEN" 2>&1)" &&
  fail "teleport started on a taken --diag-addr"
assert_contains "$out" "--diag-addr 127.0.0.1:$TAKEN" "a taken diag port is a clear error"
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || true
pass "a bad or taken --diag-addr stops teleport with a clear error"

start_bg "$WORK/teleport.log" "$T" start -c "$WORK/teleport.yaml" --diag-addr="127.0.0.1:$DIAG_PORT"
wait_for 20 curl -sf "$DIAG/healthz" || fail "/healthz"
wait_for 20 curl -sf "$DIAG/readyz" || fail "/readyz never became ready: $(curl -s "$DIAG/readyz")"
grep -q "teleport started" "$WORK/teleport.log" || fail "/readyz was ready before the roles were"
assert_contains "$(curl -s "$DIAG/readyz")" '"ok"' "/readyz body"
code="$(curl -s -o /dev/null -w '%{http_code}' "$DIAG/nothing")"
[ "$code" = 404 ] || fail "an unknown path answered $code"
pass "/healthz and /readyz"

# metric <name> [label=value ...]: the value of one sample, parsed by prometheus_client.
metric() {
  curl -sf "$DIAG/metrics" >"$WORK/metrics.txt" || fail "GET /metrics"
  # Debian's interpreter: python3-prometheus-client is installed for it (scripts/setup).
  /usr/bin/python3 - "$WORK/metrics.txt" "$@" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
name, want = sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
for family in text_string_to_metric_families(text):  # raises on malformed text
    for s in family.samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in want.items()):
            print(s.value)
            sys.exit(0)
print("missing")
sys.exit(1)
PY
}
wait_for 20 tctl status || fail "tctl status"
for m in process_cpu_seconds_total process_resident_memory_bytes process_open_fds process_start_time_seconds; do
  v="$(metric "$m")" || fail "/metrics has no $m"
done
[ "$(metric teleport_ready)" = "1.0" ] || fail "teleport_ready is not 1"
metric teleport_roles role=auth >/dev/null || fail "teleport_roles{role=auth}"
metric teleport_roles role=node >/dev/null || fail "teleport_roles{role=node}"
metric teleport_build_info >/dev/null || fail "teleport_build_info"
rss="$(metric process_resident_memory_bytes)"
python3 -c "import sys; assert float(sys.argv[1]) > 1e6" "$rss" || fail "RSS $rss is implausible"
pass "/metrics parses with prometheus_client: process, build, roles, ready"

# No user certificate yet: the counter may not exist.
if ! users_before="$(metric teleport_certificates_issued_total type=user)"; then users_before=0; fi
cluster_user alice "$LOGIN"
users_after="$(metric teleport_certificates_issued_total type=user)" || fail "no user certificate counter"
python3 -c "import sys; assert float(sys.argv[2]) == float(sys.argv[1]) + 1, sys.argv" "$users_before" "$users_after" ||
  fail "issuing a user certificate moved the counter from $users_before to $users_after"
metric teleport_certificates_issued_total type=host >/dev/null || fail "no host certificate counter"
beats() { python3 -c "import sys; assert float(sys.argv[1]) >= 2" "$(metric teleport_heartbeats_received_total role=node)"; }
wait_for 15 beats || fail "node heartbeats are not counted"
metric teleport_auth_requests_total request=sign_user result=ok >/dev/null || fail "auth requests are not counted"

pin_node_key "$WORK/data" "$NODE_PORT"
ssh_opts=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$WORK/alice"
  -o CertificateFile="$WORK/alice-cert.pub" -o UserKnownHostsFile="$WORK/known_hosts" -p "$NODE_PORT")
start_bg "$WORK/held.log" ssh "${ssh_opts[@]}" "$LOGIN@127.0.0.1" 'sleep 8'
HELD=$LAST_PID
open_conns() { python3 -c "import sys; assert float(sys.argv[1]) >= 1" "$(metric teleport_ssh_connections service=node)"; }
wait_for 10 open_conns || fail "an open SSH connection is not counted"
wait_exit "$HELD" 20
sessions="$(metric teleport_sessions_total service=node)" || fail "no session counter"
python3 -c "import sys; assert float(sys.argv[1]) >= 1" "$sessions" || fail "sessions: $sessions"
commits="$(metric teleport_audit_commit_seconds_count)" || fail "no audit commit histogram"
python3 -c "import sys; assert float(sys.argv[1]) >= 1" "$commits" || fail "audit commits: $commits"
ops="$(metric teleport_backend_op_seconds_count backend=lmdb op=get)" || fail "no backend latency histogram"
/usr/bin/python3 -c "import sys; assert float(sys.argv[1]) >= 1" "$ops" || fail "backend gets: $ops"
pass "certificates, heartbeats, auth requests, SSH connections, sessions, audit commits and backend operations are counted"
