#!/usr/bin/env bash
# "Using Teleport with OpenSSH": an auth-only teleport is the CA for a real,
# unmodified sshd and ssh client. tctl exports the CAs and signs a host key and
# a user key; sshd trusts the user CA, ssh trusts the host CA, and only
# certificates from this cluster for an allowed login get in.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
T="$TP_BIN/teleport"
LOGIN="$(id -un)"
tctl() { "$TP_BIN/tctl" -c "$WORK/auth.yaml" "$@"; }

# principals <cert>: one principal per line, as ssh-keygen -L lists them.
principals() {
  ssh-keygen -L -f "$1" | awk '/^ *Principals:/ {p = 1; next} /^ *Critical Options:/ {p = 0} p {print $1}'
}

# --- the auth server ---------------------------------------------------------
AUTH_PORT="$(free_port)"
cat >"$WORK/auth.yaml" <<YAML
teleport:
  nodename: auth-host
  data_dir: $WORK/auth-data
  log:
    output: stderr
    severity: INFO
auth_service:
  enabled: yes
  cluster_name: example.test
  listen_addr: 127.0.0.1:$AUTH_PORT
ssh_service:
  enabled: no
proxy_service:
  enabled: no
YAML
start_bg "$WORK/auth.log" "$T" start -c "$WORK/auth.yaml"
AUTH_PID=$LAST_PID
wait_for 20 tctl status || fail "tctl status did not succeed within 20s"
kill -0 "$AUTH_PID" 2>/dev/null || fail "auth server exited"
[ "$(stat -c %a "$WORK/auth-data/identity/admin.json")" = 600 ] || fail "admin identity is not 0600"
[ "$(stat -c %a "$WORK/auth-data/identity")" = 700 ] || fail "identity dir is not 0700"
pass "auth-only teleport is up"

# --- the CA pin, computed independently from the exported TLS CA ---------------
status_out="$(tctl status)"
assert_contains "$status_out" "example.test" "tctl status names the cluster"
pin="$(awk '$1 == "CA" && $2 == "pin" {print $3}' <<<"$status_out")"
[[ "$pin" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "CA pin line malformed in: $status_out"
tctl auth export --type=tls >"$WORK/tls_ca.pem"
want="sha256:$(openssl x509 -in "$WORK/tls_ca.pem" -pubkey -noout |
  openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)"
[ "$pin" = "$want" ] || fail "tctl status pin $pin != pin of the exported TLS CA $want"
pass "CA pin matches the TLS CA's SubjectPublicKeyInfo"

# --- exported OpenSSH CAs ------------------------------------------------------
tctl auth export --type=user >"$WORK/user_ca.export"
grep -q '^cert-authority ' "$WORK/user_ca.export" || fail "user CA export: $(cat "$WORK/user_ca.export")"
assert_contains "$(cat "$WORK/user_ca.export")" "clustername=example.test" "user CA export"
# sshd's TrustedUserCAKeys wants bare "<type> <base64>" lines.
awk '$1 == "cert-authority" {print $2, $3}' "$WORK/user_ca.export" >"$WORK/trusted_user_ca"
ssh-keygen -l -f "$WORK/trusted_user_ca" >/dev/null || fail "exported user CA is not a public key"

tctl auth export --type=host >"$WORK/known_hosts"
grep -q '^@cert-authority \*\.example\.test ' "$WORK/known_hosts" ||
  fail "host CA export: $(cat "$WORK/known_hosts")"
awk '{print $3, $4}' "$WORK/known_hosts" >"$WORK/host_ca.pub"
ssh-keygen -l -f "$WORK/host_ca.pub" >/dev/null || fail "exported host CA is not a public key"

# tctl status shows the same CAs' fingerprints.
user_fp="$(ssh-keygen -l -f "$WORK/trusted_user_ca" | awk '{print $2}')"
host_fp="$(ssh-keygen -l -f "$WORK/host_ca.pub" | awk '{print $2}')"
assert_contains "$(grep '^User CA' <<<"$status_out")" "$user_fp" "User CA fingerprint in tctl status"
assert_contains "$(grep '^Host CA' <<<"$status_out")" "$host_fp" "Host CA fingerprint in tctl status"
pass "auth export user/host/tls"

# --- users -------------------------------------------------------------------
# user_yaml <name> <login>: the resource layout of the manual's "Resources".
user_yaml() {
  cat <<YAML
kind: user
version: v2
metadata:
  name: $1
spec:
  roles:
  - admin
  traits:
    logins:
    - $2
YAML
}
user_yaml alice "$LOGIN" >"$WORK/alice.yaml"
user_yaml bob "bob-not-a-local-login" >"$WORK/bob.yaml"
tctl create "$WORK/alice.yaml" >/dev/null || fail "tctl create alice"
tctl create "$WORK/bob.yaml" >/dev/null || fail "tctl create bob"
assert_contains "$(tctl get user/alice)" "$LOGIN" "tctl get user/alice shows the login"
pass "users created from YAML"

# get -> create -f round-trips; create without -f refuses to overwrite.
tctl get user/alice >"$WORK/alice-got.yaml" || fail "tctl get user/alice"
out="$(tctl create "$WORK/alice-got.yaml" 2>&1)" && fail "create without -f overwrote alice"
assert_contains "$out" "already exists" "create without -f"
tctl create -f "$WORK/alice-got.yaml" >/dev/null || fail "tctl create -f of tctl get's output"
[ "$(tctl get user/alice)" = "$(cat "$WORK/alice-got.yaml")" ] || fail "get/create -f did not round-trip"
# Bad resource files: a clear error naming the problem, nothing stored.
printf 'kind: user\nversion: v2\nmetadata:\n  name: carol\nspec:\n  roles: [admin]\n  tratis: {}\n' \
  >"$WORK/bad.yaml"
out="$(tctl create "$WORK/bad.yaml" 2>&1)" && fail "tctl create accepted a misspelled key"
assert_contains "$out" "tratis" "bad resource error names the key"
printf 'kind: user\nmetadata: [\n' >"$WORK/broken.yaml"
tctl create "$WORK/broken.yaml" >/dev/null 2>&1 && fail "tctl create accepted broken YAML"
assert_not_contains "$(tctl users ls)" "carol" "a refused resource was stored"
pass "tctl get/create -f round-trip; bad resource files are refused with nothing stored"

# --- host key and certificate for sshd ------------------------------------------
tctl auth sign --host=node.example.test,127.0.0.1,localhost --format=openssh --out="$WORK/hostkey" >/dev/null ||
  fail "tctl auth sign --host"
for f in hostkey hostkey.pub hostkey-cert.pub; do [ -s "$WORK/$f" ] || fail "$f not written"; done
[ "$(stat -c %a "$WORK/hostkey")" = 600 ] || fail "host private key is not 0600"
host_cert="$(ssh-keygen -L -f "$WORK/hostkey-cert.pub")" || fail "ssh-keygen cannot read the host cert"
assert_contains "$host_cert" "host certificate" "host cert type"
host_principals="$(principals "$WORK/hostkey-cert.pub")"
for p in node.example.test 127.0.0.1 localhost; do
  grep -qxF "$p" <<<"$host_principals" || fail "host cert lacks principal $p: $host_principals"
done
assert_contains "$host_cert" "$host_fp" "host cert signed by the exported host CA"
pass "host certificate"

# --- user key and certificate ------------------------------------------------------
tctl auth sign --user=alice --out="$WORK/alice" --ttl=1h >/dev/null || fail "tctl auth sign --user=alice"
for f in alice alice.pub alice-cert.pub; do [ -s "$WORK/$f" ] || fail "$f not written"; done
[ "$(stat -c %a "$WORK/alice")" = 600 ] || fail "user private key is not 0600"
user_cert="$(ssh-keygen -L -f "$WORK/alice-cert.pub")" || fail "ssh-keygen cannot read the user cert"
assert_contains "$user_cert" "user certificate" "user cert type"
assert_contains "$user_cert" "$user_fp" "user cert signed by the exported user CA"
grep -qxF "$LOGIN" <<<"$(principals "$WORK/alice-cert.pub")" || fail "user cert lacks principal $LOGIN"
# --ttl=1h: the certificate ends an hour from now (give or take a minute).
valid_to="$(sed -n 's/^ *Valid: from .* to \(.*\)$/\1/p' <<<"$user_cert")"
[ -n "$valid_to" ] || fail "no end of validity in: $user_cert"
left=$(($(date -d "$valid_to" +%s) - $(date +%s)))
{ [ "$left" -ge 3540 ] && [ "$left" -le 3660 ]; } || fail "user cert valid for ${left}s more, expected ~3600"
pass "user certificate: principal, 0600 key, ttl"

tctl auth sign --user=bob --out="$WORK/bob" --ttl=1h >/dev/null || fail "tctl auth sign --user=bob"
if tctl auth sign --user=nosuchuser --out="$WORK/nosuch" >"$WORK/nosuch.out" 2>&1; then
  fail "signing for a user that does not exist succeeded"
fi
assert_contains "$(cat "$WORK/nosuch.out")" "not found" "sign for a missing user"
assert_contains "$(cat "$WORK/nosuch.out")" "nosuchuser" "sign for a missing user names it"
if [ -e "$WORK/nosuch" ] || [ -e "$WORK/nosuch-cert.pub" ]; then fail "files written for a missing user"; fi
pass "no certificate for a missing user"

# A certificate from a CA the cluster does not know (ssh-keygen, throwaway CA).
ssh-keygen -q -t ed25519 -N '' -C '' -f "$WORK/rogue_ca"
ssh-keygen -q -t ed25519 -N '' -C '' -f "$WORK/rogue"
ssh-keygen -q -s "$WORK/rogue_ca" -I rogue -n "$LOGIN" -V +1h "$WORK/rogue.pub"

# --- a real sshd trusting the cluster ----------------------------------------------
SSHD_PORT="$(free_port)"
start_cluster_sshd sshd "$SSHD_PORT" "HostKey $WORK/hostkey
HostCertificate $WORK/hostkey-cert.pub"
pass "sshd started with the cluster's host cert and user CA"

# ssh_as <identity> <known_hosts> <command...>
# sshd listens on a non-22 port, so ssh would look the host up in known_hosts as
# "[127.0.0.1]:<port>", which the "*.example.test" cert-authority line never
# matches. HostKeyAlias makes ssh use node.example.test both for the known_hosts
# lookup and as the name the host certificate's principals must contain.
ssh_as() {
  local id="$1" kh="$2"; shift 2
  timeout 20 ssh -F /dev/null -p "$SSHD_PORT" -l "$LOGIN" -i "$id" \
    -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o ConnectTimeout=5 \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$kh" -o GlobalKnownHostsFile=/dev/null \
    -o HostKeyAlias=node.example.test 127.0.0.1 "$@"
}

out="$(ssh_as "$WORK/alice" "$WORK/known_hosts" echo hello-from-sshd 2>"$WORK/ssh-alice.err")" ||
  fail "ssh with alice's certificate failed: $(cat "$WORK/ssh-alice.err")"
[ "$out" = "hello-from-sshd" ] || fail "unexpected ssh output: $out"
pass "ssh with a cluster user cert to sshd with a cluster host cert"

# The host check is real: without the host CA (and with another CA) ssh refuses.
: >"$WORK/empty_known_hosts"
if ssh_as "$WORK/alice" "$WORK/empty_known_hosts" true 2>"$WORK/ssh-nokh.err"; then
  fail "ssh trusted sshd without the host CA"
fi
assert_contains "$(cat "$WORK/ssh-nokh.err")" "Host key verification failed" "no host CA"
echo "@cert-authority *.example.test $(cat "$WORK/rogue_ca.pub")" >"$WORK/rogue_known_hosts"
if ssh_as "$WORK/alice" "$WORK/rogue_known_hosts" true 2>"$WORK/ssh-roguekh.err"; then
  fail "ssh trusted sshd under a foreign host CA"
fi
assert_contains "$(cat "$WORK/ssh-roguekh.err")" "Host key verification failed" "foreign host CA"
pass "host certificate is verified"

# --- refusals by sshd ------------------------------------------------------------
accepted_before="$(grep -c "Accepted publickey" "$WORK/sshd.log" || true)"
if ssh_as "$WORK/bob" "$WORK/known_hosts" true 2>"$WORK/ssh-bob.err"; then
  fail "sshd let in a cert whose logins do not include $LOGIN"
fi
assert_contains "$(cat "$WORK/ssh-bob.err")" "Permission denied" "cert without the login"
wait_for 5 grep -q "not a listed principal" "$WORK/sshd.log" || fail "sshd did not log the principal mismatch"
pass "cert without the local login is refused"

if ssh_as "$WORK/rogue" "$WORK/known_hosts" true 2>"$WORK/ssh-rogue.err"; then
  fail "sshd let in a cert from a foreign CA"
fi
assert_contains "$(cat "$WORK/ssh-rogue.err")" "Permission denied" "cert from a foreign CA"
accepted_after="$(grep -c "Accepted publickey" "$WORK/sshd.log" || true)"
[ "$accepted_before" = "$accepted_after" ] || fail "sshd accepted a refused key: $(cat "$WORK/sshd.log")"
pass "cert from a foreign CA is refused"

kill -0 "$AUTH_PID" 2>/dev/null || fail "auth server died during the test"
