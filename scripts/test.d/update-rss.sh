#!/usr/bin/env bash
# A firmware image pushed to the whole rack must not cost memory in proportion to its size: the
# real binaries (4 bmc-sim BMCs over HTTPS, aggregator-svc, frontend-svc) as processes, a 10 MiB,
# a 100 MiB and a 300 MiB image (generated into a file, streamed by curl -F) POSTed multipart to the
# aggregate's MultipartHttpPushUri targeting all four BMCs. After each push: the Task completed,
# every BMC received exactly the image (size and SHA-256 as bmc-sim's /sim/pushes records them),
# and the peak RSS (VmHWM) of the aggregator and the frontend. Fails when the 300 MiB push raised
# either peak by more than MARGIN_MIB over the 100 MiB one (a service holding the image would
# grow by 200 MiB or more, four times over in the aggregator if it buffered per BMC). The 10 MiB
# push is reported too; the first pushes warm the allocator (in CI the 100 MiB push raised the
# debug aggregator's peak by 12 to 44 MiB over the 10 MiB one), so the bound is read after them.
# The report line goes to stdout and results/update-rss.txt.
#   STACK_BIN_DIR=DIR scripts/test.d/update-rss.sh   # prebuilt binaries instead of target/debug
set -euo pipefail
cd "$(dirname "$0")/../.."
MARGIN_MIB="${MARGIN_MIB:-64}"  # a service holding the 300 MiB image would exceed it three times over
T0=$(date +%s)
say() { printf '[update-rss +%3ds] %s\n' "$(($(date +%s) - T0))" "$*"; }

# shellcheck source=../lib/stack.sh
. scripts/lib/stack.sh
DIR="$(mktemp -d /tmp/reddrum-update-rss.XXXXXX)"
trap 'stack_stop; rm -rf "$DIR"' EXIT
stack_start "$DIR/stack" "dmtf dmtf dmtf dmtf"
AGG_PID="${STACK_PIDS[1]}"
FE_PID="${STACK_PIDS[2]}"
mapfile -t SIM_URLS < <(awk '/^bmc s[0-9]+ listening on/ {print $NF}' "$STACK_DIR/bmc-sim.out")
[ "${#SIM_URLS[@]}" -eq 4 ] || { say "FAIL expected 4 BMCs, got ${#SIM_URLS[@]}"; exit 1; }

hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
PARAMS='{"Targets": ["/redfish/v1/UpdateService/FirmwareInventory/s1-BIOS", "/redfish/v1/UpdateService/FirmwareInventory/s2-BIOS", "/redfish/v1/UpdateService/FirmwareInventory/s3-BIOS", "/redfish/v1/UpdateService/FirmwareInventory/s4-BIOS"]}'

# push MIB -> sets AGG_AFTER FE_AFTER (KiB) and appends to REPORT
REPORT=""
push() {
  local mib="$1" img="$DIR/image.bin" sum code monitor state agg_before fe_before
  head -c "$((mib * 1024 * 1024))" /dev/urandom > "$img"
  sum="$(sha256sum "$img" | awk '{print $1}')"
  agg_before="$(hwm_kib "$AGG_PID")"; fe_before="$(hwm_kib "$FE_PID")"
  local started; started=$(date +%s)
  code="$(curl -sS -u "$STACK_USER:$STACK_PASSWORD" -D "$DIR/headers" -o "$DIR/reply.json" -w '%{http_code}' \
    -F "UpdateParameters=$PARAMS;type=application/json" \
    -F "UpdateFile=@$img;type=application/octet-stream" \
    "$STACK_URL/redfish/v1/UpdateService/upload")"
  [ "$code" = 202 ] || { say "FAIL push of $mib MiB answered $code: $(cat "$DIR/reply.json")"; exit 1; }
  monitor="$(awk 'tolower($1) == "location:" {print $2}' "$DIR/headers" | tr -d '\r')"
  for _ in $(seq 1 600); do
    code="$(curl -sS -u "$STACK_USER:$STACK_PASSWORD" -o "$DIR/task.json" -w '%{http_code}' "$STACK_URL$monitor")"
    [ "$code" != 202 ] && break
    sleep 0.2
  done
  state="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("TaskState"))' "$DIR/task.json")"
  [ "$code" = 200 ] && [ "$state" = Completed ] || { say "FAIL task of the $mib MiB push: $code $state $(cat "$DIR/task.json")"; exit 1; }
  local seconds=$(($(date +%s) - started)) results="" url
  for url in "${SIM_URLS[@]}"; do
    results+="$(curl -sSk "$url/sim/pushes" | python3 -c '
import json, sys
last = json.load(sys.stdin)[-1]
ok = last["complete"] and last["bytes"] == int(sys.argv[1]) and last["sha256"] == sys.argv[2]
print("ok" if ok else "BAD(%s bytes)" % last["bytes"], end=" ")' "$((mib * 1024 * 1024))" "$sum")"
  done
  rm -f "$img"
  AGG_AFTER="$(hwm_kib "$AGG_PID")"; FE_AFTER="$(hwm_kib "$FE_PID")"
  local line="image ${mib} MiB to 4 BMCs in ${seconds}s: aggregator VmHWM ${agg_before} -> ${AGG_AFTER} KiB, frontend VmHWM ${fe_before} -> ${FE_AFTER} KiB; BMCs: ${results% }"
  say "$line"
  REPORT+="$line"$'\n'
  case "$results" in *BAD*) say "FAIL a BMC did not get the whole image"; exit 1 ;; esac
}

push 10
push 100
AGG_100="$AGG_AFTER"; FE_100="$FE_AFTER"
push 300
AGG_GROWTH=$(( (AGG_AFTER - AGG_100) / 1024 ))
FE_GROWTH=$(( (FE_AFTER - FE_100) / 1024 ))
summary="300 MiB vs 100 MiB: aggregator peak +${AGG_GROWTH} MiB, frontend peak +${FE_GROWTH} MiB (allowed: ${MARGIN_MIB} MiB)"
say "$summary"
mkdir -p results
{ date -u +%Y-%m-%dT%H:%M:%SZ; printf '%s' "$REPORT"; echo "$summary"; } > results/update-rss.txt
if [ "$AGG_GROWTH" -gt "$MARGIN_MIB" ] || [ "$FE_GROWTH" -gt "$MARGIN_MIB" ]; then
  say "FAIL peak memory grew with the image size"
  exit 1
fi
say "passed"
