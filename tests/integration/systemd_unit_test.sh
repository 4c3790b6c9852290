#!/usr/bin/env bash
# examples/systemd: `systemd-analyze verify` accepts the unit and the auth/proxy
# hardening drop-in without a single warning, and the unit keeps what the
# graceful restart needs (notify + NotifyAccess=all, ExecReload HUP, PIDFile).
source "$(dirname "$0")/lib.sh"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (scripts/setup installs systemd)"
SRC="${TP_SOURCE_DIR:?}/examples/systemd"
UNIT="$SRC/teleport.service"

for want in "Type=notify" "NotifyAccess=all" 'ExecReload=/bin/kill -HUP $MAINPID' \
  "PIDFile=/run/teleport/teleport.pid" "Restart=on-failure" "--pid-file=/run/teleport/teleport.pid"; do
  grep -qF -- "$want" "$UNIT" || fail "teleport.service lacks $want"
done
pass "the unit has what a graceful restart needs"

# verify checks that ExecStart's binary exists: point it at the build's.
mkdir -p "$WORK/units/teleport.service.d"
sed "s|/usr/local/bin/teleport|$TP_BIN/teleport|" "$UNIT" >"$WORK/units/teleport.service"
check() {
  local out rc=0
  out="$(cd "$WORK/units" && SYSTEMD_UNIT_PATH="$WORK/units:" systemd-analyze verify teleport.service 2>&1)" || rc=$?
  [ "$rc" = 0 ] || fail "$1: systemd-analyze verify exited $rc: $out"
  [ -z "$out" ] || fail "$1: systemd-analyze verify warned: $out"
}
check "teleport.service"
pass "systemd-analyze verify teleport.service"

cp "$SRC/auth-proxy-hardening.conf" "$WORK/units/teleport.service.d/hardening.conf"
check "teleport.service with the hardening drop-in"
pass "systemd-analyze verify with auth-proxy-hardening.conf"

# The check itself notices a broken unit (so a pass above means something).
echo "NotARealKey=1" >>"$WORK/units/teleport.service.d/hardening.conf"
out="$(cd "$WORK/units" && SYSTEMD_UNIT_PATH="$WORK/units:" systemd-analyze verify teleport.service 2>&1 || true)"
assert_contains "$out" "NotARealKey" "systemd-analyze reports an unknown key"
pass "a broken drop-in is reported"
