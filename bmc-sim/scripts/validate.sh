#!/usr/bin/env bash
# Runs the DMTF Redfish Service Validator against every bmc-sim profile (over HTTP) and exits
# non-zero if any profile reports a failure.
#
# Usage: bmc-sim/scripts/validate.sh [profile...]      (default: all five profiles)
# Env:   VENV     virtualenv to (create and) use   (default: ${TMPDIR:-/tmp}/bmc-sim-rfv-venv)
#        LOGDIR   where validator reports go         (default: ${TMPDIR:-/tmp}/bmc-sim-validator)
set -euo pipefail

ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
CSDL="$ROOT/../shared/redfish/csdl"
VENV="${VENV:-${TMPDIR:-/tmp}/bmc-sim-rfv-venv}"
LOGDIR="${LOGDIR:-${TMPDIR:-/tmp}/bmc-sim-validator}"
PROFILES=("$@")
[ ${#PROFILES[@]} -eq 0 ] && PROFILES=(dmtf idrac ilo openbmc supermicro)

if [ ! -d "$CSDL" ]; then
  echo "validate.sh: schema directory $CSDL not found" >&2
  exit 2
fi

if [ ! -x "$VENV/bin/rf_service_validator" ]; then
  echo "== creating venv $VENV and installing redfish-service-validator"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip >/dev/null
  "$VENV/bin/pip" install -q redfish-service-validator
fi
VALIDATOR="$VENV/bin/rf_service_validator"

(cd "$ROOT" && cargo build -q -p bmc-sim --bin bmc-sim)
BIN="$ROOT/target/debug/bmc-sim"
mkdir -p "$LOGDIR"

SIM_PID=""
cleanup() { if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

status=0
summary=()
for profile in "${PROFILES[@]}"; do
  rm -rf "${LOGDIR:?}/$profile"
  out="$LOGDIR/$profile.sim.out"
  "$BIN" --count 1 --base-port 0 --profile "$profile" >"$out" 2>"$LOGDIR/$profile.sim.err" &
  SIM_PID=$!
  url=""
  for _ in $(seq 1 100); do
    url=$(awk '/listening on/ {print $5; exit}' "$out")
    [ -n "$url" ] && break
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "validate.sh: bmc-sim ($profile) did not start" >&2
    exit 2
  fi
  echo "== $profile at $url"
  report="$LOGDIR/$profile.validator.txt"
  set +e
  "$VALIDATOR" --rhost "$url" -u root -p calvin --authtype Session \
    --schema_directory "$CSDL" --skipschema --collectionlimit None 0 \
    --logdir "$LOGDIR/$profile" >"$report" 2>&1
  rc=$?
  set -e
  counts=$(grep -A 3 'PASS.*WARN.*FAIL' "$report" | grep -E '^\|\s*[0-9]' | tr -d '|' | sed 's/\x1b\[[0-9;]*m//g' | xargs || true)
  read -r pass warn fail skip <<<"${counts:-? ? ? ?}"
  summary+=("$(printf '%-11s pass=%-5s warn=%-4s fail=%-4s not-tested=%s' "$profile" "$pass" "$warn" "$fail" "$skip")")
  if [ "$rc" -ne 0 ] || [ "$fail" != "0" ]; then
    status=1
    echo "-- $profile failures:"
    grep -E 'ERROR|FAIL -' "$LOGDIR/$profile"/*/RedfishServiceValidatorDebug_*.log 2>/dev/null | sed 's/^.* - ERROR - /   /' | sed -E 's#/[0-9]+/#/N/#g' | sort | uniq -c | sort -rn | head -40 || true
  fi
  cleanup
  SIM_PID=""
done

echo
echo "== Redfish Service Validator results (reports in $LOGDIR)"
printf '%s\n' "${summary[@]}"
exit "$status"
