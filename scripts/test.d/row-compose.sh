#!/usr/bin/env bash
# A row of racks end to end, as deployed (compose.row.yaml): builds the images without a registry
# (dev profile, as compose-e2e.sh: docker's cache makes this quick once they exist), starts two
# simulated racks (each apache + frontend-svc + aggregator-svc and two bmc-sim containers on a
# management network of its own: OpenBMCs in rack 1, iDRACs in rack 2) and the row over them
# (the racks' Apache over HTTPS, trusted by a CA made here), under a unique project name with only
# the row's Apache published, on loopback. Through the row's Apache over HTTPS it checks:
#   - every system of both racks listed at the row as <rackId>-<bmcId>-<memberId>, as many as each
#     rack lists itself; the row's chassis a Row containing the racks' enclosures, its manager
#     managing theirs;
#   - a crawl from the row's ServiceRoot (scripts/dev/row_crawl.py): every link resolves, or fails
#     at its rack too; the racks' front doors in no body or header, no rack or BMC container's
#     address or name as the host of a Redfish URL or in a header;
#   - a ComputerSystem.Reset through the row reaches the right bmc-sim container exactly once (the
#     sim logs every reset it applies; bmc-sim's /sim/ control API keeps no request log);
#   - a BMC stopped in rack 1: 503 + Redfish error body for its system at the row, 200 for rack 1's
#     other BMC and for rack 2; rack 1's source Warning with a condition naming the BMC, the row's
#     HealthRollup Warning; served and OK again once it is started;
#   - rack 1's whole stack stopped: its members 503 (Retry-After, naming r1), its source
#     UnavailableOffline/Critical, rack 2 served; all well again once it is back;
#   - the DMTF Service Validator over the row: 0 failures (reports in results/row-compose/).
# Tears everything down (containers, volumes, networks) whatever happens; exits non-zero on failure.
#
# Env: REDDRUM_NO_CARGO=1 builds the images from the binaries already in target/debug (no cargo
# build); REDDRUM_ROW_CONFIG_FILE is passed on to compose (a broken copy shows the layer fail).
# The networks are compose.row.yaml's fixed 172.31.242.0/24-172.31.247.0/24: one run at a
# time per machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
T0=$(date +%s)
SHARED="${REDDRUM_SHARED:-$ROOT/../shared}"

say() { printf "[row-compose +%3ds] %s\n" "$(($(date +%s) - T0))" "$*"; }
passed=0
ok() { passed=$((passed + 1)); say "PASS $*"; }

# ---- tools
command -v docker >/dev/null || { say "FAIL docker is not installed"; exit 1; }
docker info >/dev/null 2>&1 || { say "FAIL the docker daemon is not reachable"; exit 1; }
if docker compose version >/dev/null 2>&1; then
  DC=(docker compose)
elif command -v docker-compose >/dev/null; then
  DC=(docker-compose)
else
  say "FAIL neither 'docker compose' nor docker-compose is installed"; exit 1
fi
command -v curl >/dev/null && command -v python3 >/dev/null && command -v openssl >/dev/null \
  || { say "FAIL curl, python3 and openssl are required"; exit 1; }
[ -d "$SHARED/redfish/csdl" ] || { say "FAIL the Service Validator needs $SHARED/redfish/csdl"; exit 1; }

TAG="row-e2e"
PROJECT="reddrum-row-$$-$RANDOM"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/reddrum-row.XXXXXX")"
OUT="$ROOT/results/row-compose"
export REDDRUM_TAG="$TAG"
HTTPS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export REDDRUM_HTTPS_BIND=127.0.0.1 REDDRUM_HTTPS_PUBLISH="$HTTPS_PORT" REDDRUM_SERVER_NAME=localhost
export REDDRUM_ROW_TLS_DIR="$WORK/tls" REDDRUM_SECRETS_DIR="$WORK/secrets"
# Short timeouts and retries keep the layer quick; the row's stays above the racks' (README).
export REDDRUM_RACK_REQUEST_TIMEOUT_MS=4000 REDDRUM_ROW_REQUEST_TIMEOUT_MS=8000 REDDRUM_RETRY_MAX_SECS=3
export REDDRUM_HEALTH_INTERVAL=3s
ROW="https://localhost:$HTTPS_PORT"
# The racks' front doors as the row reaches them (compose.row.yaml's row network); the host
# reaches them there too (the bridge's gateway), to compare with what the row shows.
declare -A RACK_URL=([r1]="https://172.31.247.11:8443" [r2]="https://172.31.247.12:8443")
declare -A RACK_NO=([r1]=1 [r2]=2)

dc() { "${DC[@]}" -f compose.row.yaml -p "$PROJECT" --profile racks "$@"; }
cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ]; then
    say "--- container state and recent logs (failure diagnostics)"
    dc ps 2>/dev/null
    dc logs --tail=20 --no-color 2>/dev/null | tail -200
  fi
  dc down -v --remove-orphans -t 5 >/dev/null 2>&1
  # Belt and braces: nothing of this project may outlive the test.
  leftover=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
  [ -z "$leftover" ] || docker rm -f $leftover >/dev/null 2>&1
  for n in $(docker network ls -q --filter "label=com.docker.compose.project=$PROJECT"); do docker network rm "$n" >/dev/null 2>&1; done
  for v in $(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT"); do docker volume rm "$v" >/dev/null 2>&1; done
  rm -rf "$WORK"
  if [ "$rc" = 0 ]; then say "PASS row-compose: $passed checks"; else say "FAIL row-compose"; fi
  say "torn down project $PROJECT ($(($(date +%s) - T0)) s in all)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  say "FAIL $*"
  exit 1
}
# A failure the later checks do not depend on: said now, counted at the end (exit 1 then).
deferred=()
fail_later() {
  deferred+=("$*")
  say "FAIL $*"
}

# ---- HTTP helpers: req BASE CACERT USER:PW METHOD PATH [JSON] sets STATUS, BODY, HDRS (a file), TOOK (ms)
BODY=""
STATUS=""
TOOK=0
HDRS="$WORK/headers"
req() { # ... [JSON] [curl args...]
  local base=$1 ca=$2 cred=$3 method=$4 path=$5 data=${6:-}
  shift 6 2>/dev/null || shift $#
  local args=(-sS --cacert "$ca" --max-time 60 -u "$cred" -X "$method" -D "$HDRS" -o "$WORK/body"
    -w '%{http_code} %{time_total}')
  [ -z "$data" ] || args+=(-H 'Content-Type: application/json' --data "$data")
  local out
  out=$(curl "${args[@]}" "$@" "$base$path") || out="000 0"
  STATUS=${out%% *}
  TOOK=$(python3 -c "print(round(${out#* } * 1000))")
  BODY=$(cat "$WORK/body" 2>/dev/null || true)
}
row() { req "$ROW" "$WORK/tls/row/tls.crt" "admin:$ROW_PW" "$@"; }
rack() { local r=$1; shift; req "${RACK_URL[$r]}" "$WORK/tls/ca/ca.crt" "admin:$(cat "$WORK/secrets/rack${RACK_NO[$r]}_admin_password")" "$@"; }
header() { grep -i "^$1:" "$HDRS" | head -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ //'; }
json() { # json EXPR: evaluates EXPR on the parsed BODY (as d) and prints it
  printf '%s' "$BODY" | python3 -c "import json,sys; d=json.load(sys.stdin); v=$1; print(v if not isinstance(v,(dict,list)) else json.dumps(v))"
}
members() { json '" ".join(sorted(m["@odata.id"] for m in d["Members"]))'; }
is_redfish_error() {
  printf '%s' "$BODY" | python3 -c 'import json,sys; d=json.load(sys.stdin); e=d["error"]; assert e["code"].startswith("Base.") and e["@Message.ExtendedInfo"]' 2>/dev/null
}
wait_until() { # wait_until SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2
  shift 2
  local end=$(($(date +%s) + limit))
  until "$@"; do
    [ "$(date +%s)" -lt "$end" ] || fail "$what: not within ${limit}s"
    sleep 1
  done
}
# A service's container (the docker CLI: compose's own `ps` takes seconds a call).
cid() {
  docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1"
}

# ---- 1. images, PKI, secrets
for net in $(docker network ls -q); do
  if docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}' "$net" | grep -qE '172\.31\.24[2-7]\.'; then
    fail "a docker network already uses 172.31.242-247.0/24 ($(docker network inspect -f '{{.Name}}' "$net")): another row-compose run?"
  fi
done
say "building images (dev profile, tag $TAG; no registry)"
build_args=(--profile dev --tag "$TAG")
[ "${REDDRUM_NO_CARGO:-0}" != 1 ] || build_args+=(--no-cargo)
scripts/build-images "${build_args[@]}" | sed 's/^/  /'
ok "images reddrum/{apache,frontend-svc,aggregator-svc,bmc-sim}:$TAG"

mkdir -p "$WORK/secrets"
ROW_PW="$(openssl rand -hex 12)"
printf '%s\n' "$ROW_PW" > "$WORK/secrets/admin_password"
for n in 1 2; do openssl rand -hex 12 > "$WORK/secrets/rack${n}_admin_password"; done
printf 'calvin\n' > "$WORK/secrets/bmc_password"         # bmc-sim's account
owner=()
if [ "$(id -u)" = 0 ]; then
  owner=(--owner 10001:10001)
  chown 10001:10001 "$WORK/secrets/"* && chmod 0400 "$WORK/secrets/"*
else  # the containers run as 10001: without root, let them read the test's throwaway files
  chmod 0444 "$WORK/secrets/"*
fi
scripts/make-cert "${owner[@]}" --ca "$WORK/tls/ca" "$WORK/tls/rack1" rack1.example.net 172.31.247.11 >/dev/null
scripts/make-cert "${owner[@]}" --ca "$WORK/tls/ca" "$WORK/tls/rack2" rack2.example.net 172.31.247.12 >/dev/null
scripts/make-cert "${owner[@]}" "$WORK/tls/row" localhost 127.0.0.1 >/dev/null
if [ "$(id -u)" != 0 ]; then chmod 0444 "$WORK"/tls/*/tls.key && chmod 0777 "$WORK"/tls/{rack1,rack2,row}; fi
openssl verify -CAfile "$WORK/tls/ca/ca.crt" "$WORK/tls/rack1/tls.crt" "$WORK/tls/rack2/tls.crt" >/dev/null \
  || fail "the racks' certificates do not verify against the CA"
ok "a CA for the racks' front doors (make-cert --ca), the racks' and the row's certificates, secrets as files"

# ---- 2. the stacks
say "starting project $PROJECT: 4 BMCs first, then 2 racks and the row (https on 127.0.0.1:$HTTPS_PORT)"
SIMS=(rack1-bmc1 rack1-bmc2 rack2-bmc1 rack2-bmc2)
dc up -d "${SIMS[@]}" 2>&1 | sed 's/^/  /'
sims_healthy() {
  [ "$(for s in "${SIMS[@]}"; do cid "$s"; done | xargs -r docker inspect -f '{{.State.Health.Status}}' | grep -c '^healthy$')" = 4 ]
}
wait_until 60 "the 4 BMC containers healthy" sims_healthy
dc up -d 2>&1 | sed 's/^/  /'
two_systems() { rack "$1" GET /redfish/v1/Systems && [ "$STATUS" = 200 ] && [ "$(json 'd["Members@odata.count"]')" = 2 ]; }
wait_until 90 "rack 1 listing its 2 systems" two_systems r1
wait_until 60 "rack 2 listing its 2 systems" two_systems r2
say "both racks list their systems (over HTTPS from the host, trusted by the CA)"
four_systems() { row GET /redfish/v1/Systems && [ "$STATUS" = 200 ] && [ "$(json 'd["Members@odata.count"]')" -ge 4 ]; }
wait_until 90 "4 systems at the row" four_systems
all_ids() { docker ps -aq --filter "label=com.docker.compose.project=$PROJECT"; }
all_healthy() { [ "$(all_ids | xargs -r docker inspect -f '{{.State.Health.Status}}' | grep -vc '^healthy$')" = 0 ]; }
wait_until 90 "every container healthy" all_healthy
[ "$(all_ids | wc -l)" = 13 ] || fail "expected 13 containers, got $(all_ids | wc -l)"
published=$(for c in $(all_ids); do
  p=$(docker port "$c"); [ -z "$p" ] || echo "$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$c"): $p"
done)
[ "$published" = "apache: 8443/tcp -> 127.0.0.1:$HTTPS_PORT" ] || fail "published ports: $published"
row_agg_nets=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$(cid aggregator-svc)")
case "$row_agg_nets" in *management*) fail "the row's aggregator is on a management network: $row_agg_nets" ;; esac
ok "13 containers healthy; only the row's Apache is published (127.0.0.1:$HTTPS_PORT); the row's aggregator is on $row_agg_nets(no management network)"

# ---- 3. the listing
row GET /redfish/v1/Systems
row_systems=$(members)
expected=""
for r in r1 r2; do
  rack "$r" GET /redfish/v1/Systems
  [ "$STATUS" = 200 ] || fail "GET /redfish/v1/Systems at rack $r: $STATUS"
  n=$(json 'd["Members@odata.count"]')
  at_row=$(tr ' ' '\n' <<< "$row_systems" | grep -c "^/redfish/v1/Systems/$r-" || true)
  [ "$n" = "$at_row" ] || fail "rack $r lists $n systems, the row $at_row of it"
  for m in $(members); do expected+="/redfish/v1/Systems/$r-${m##*/} "; done
done
expected=$(tr ' ' '\n' <<< "$expected" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')
[ "$row_systems" = "$expected" ] || fail "the row lists [$row_systems], the racks [$expected]"
for m in $row_systems; do
  [[ "${m##*/}" =~ ^r[12]-s[12]-[A-Za-z0-9._]+$ ]] || fail "$m is not <rackId>-<bmcId>-<memberId>"
done
ok "the row lists every system of both racks, as many as each lists: $row_systems"
links_of() { json "sorted(x['@odata.id'] for x in d['Links']['$1'])" | tr -d '[]",' ; }
row_contains_racks() {
  row GET /redfish/v1/Chassis/Row1 && [ "$STATUS" = 200 ] && [ "$(json 'd["ChassisType"]')" = Row ] \
    && [ "$(links_of Contains)" = "/redfish/v1/Chassis/r1-Rack1 /redfish/v1/Chassis/r2-Rack1" ]
}
wait_until 30 "the Row chassis containing the racks' enclosures (chassis_type = Row)" row_contains_racks
row GET /redfish/v1/Managers/Aggregator
[ "$(links_of ManagerForManagers)" = "/redfish/v1/Managers/r1-Aggregator /redfish/v1/Managers/r2-Aggregator" ] \
  || fail "the row manager's ManagerForManagers: $BODY"
ok "Chassis/Row1 is a Row containing r1-Rack1 and r2-Rack1; the row manager manages r1-Aggregator and r2-Aggregator"
# Clients may send OData-Version: 4.0 (the Service Validator does, on every request): through the
# row a rack's resource must answer as the row's own do.
odata_ok=1
for p in /redfish/v1/Chassis/Row1 "$(tr ' ' '\n' <<< "$row_systems" | head -1)"; do
  row GET "$p" "" -H "OData-Version: 4.0"
  if [ "$STATUS" != 200 ]; then
    odata_ok=0
    fail_later "GET $p with OData-Version: 4.0 -> $STATUS $(json 'd["error"]["@Message.ExtendedInfo"][0]["Message"]' 2>/dev/null || echo "$BODY")"
  fi
done
[ "$odata_ok" = 0 ] || ok "a request with OData-Version: 4.0 answers 200 for the row's own and a rack's resource"

# ---- 4. the crawl
# The racks' front doors as the row reaches them: nowhere. Every rack and BMC container's
# addresses and names (and bmc-sim's loopback default): never as the host of a Redfish URL, never
# in a header (row_crawl.py says what stays: the rack managers' own interfaces, GUI links).
leaks=(--leak 172.31.247.11 --leak 172.31.247.12)
for h in rack1.example.net rack2.example.net 127.0.0.1:443; do leaks+=(--leak-host "$h"); done
for svc in rack1-apache rack1-frontend-svc rack1-aggregator-svc rack2-apache rack2-frontend-svc rack2-aggregator-svc "${SIMS[@]}"; do
  c=$(cid "$svc")
  for x in $(docker inspect -f '{{.Config.Hostname}} {{.Name}} {{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$c"); do
    leaks+=(--leak-host "${x#/}")
  done
done
mkdir -p "$OUT"
say "crawling the row from its ServiceRoot"
crawl_args=(--row "$ROW" --row-ca "$WORK/tls/row/tls.crt" --user admin --password "$ROW_PW" --rack-ca "$WORK/tls/ca/ca.crt"
  --out "$OUT/crawl.txt" "${leaks[@]}")
for r in r1 r2; do crawl_args+=(--rack "$r=${RACK_URL[$r]},admin,$(cat "$WORK/secrets/rack${RACK_NO[$r]}_admin_password")"); done
python3 scripts/dev/row_crawl.py "${crawl_args[@]}" > "$OUT/crawl.out" 2>&1 || { sed 's/^/  /' "$OUT/crawl.out" | head -80; fail "the crawl through the row"; }
sed 's/^/  /' "$OUT/crawl.out"
ok "$(head -1 "$OUT/crawl.out")"

# ---- 5. a reset through the row reaches the right sim once
resets() { docker logs "$(cid "$1")" 2>&1 | grep -c "system reset" || true; }
declare -A before
for s in "${SIMS[@]}"; do before[$s]=$(resets "$s"); done
TARGET_SYS=$(tr ' ' '\n' <<< "$row_systems" | grep '/r2-s2-' | head -1)
row GET "$TARGET_SYS"
[ "$STATUS" = 200 ] || fail "GET $TARGET_SYS: $STATUS"
target=$(json 'd["Actions"]["#ComputerSystem.Reset"]["target"]')
[[ "$target" == /redfish/v1/Systems/r2-s2-* ]] || fail "the reset target at the row is $target"
row POST "$target" '{"ResetType": "ForceRestart"}'
case "$STATUS" in 200|202|204) ;; *) fail "POST $target: $STATUS $BODY" ;; esac
say "POST $target -> $STATUS (${TOOK} ms); reading the sims' logs"
reset_seen() { [ "$(resets rack2-bmc2)" -gt "${before[rack2-bmc2]}" ]; }
wait_until 15 "the reset in rack2-bmc2's log" reset_seen
for s in "${SIMS[@]}"; do
  want=${before[$s]}
  [ "$s" != rack2-bmc2 ] || want=$((want + 1))
  [ "$(resets "$s")" = "$want" ] || fail "$s applied $(($(resets "$s") - ${before[$s]})) resets (expected $((want - ${before[$s]})))"
done
docker logs "$(cid rack2-bmc2)" 2>&1 | grep "system reset" | tail -1 | grep -q ForceRestart || fail "rack2-bmc2's reset is no ForceRestart"
ok "POST $target {ForceRestart} -> $STATUS: rack2-bmc2 applied it once, the other 3 BMCs none"

# ---- 6. a BMC down inside rack 1
SRC=/redfish/v1/AggregationService/AggregationSources
sys_of() { tr ' ' '\n' <<< "$row_systems" | grep "/$1-" | head -1; }
R1S1=$(sys_of r1-s1); R1S2=$(sys_of r1-s2); R2S1=$(sys_of r2-s1); R2S2=$(sys_of r2-s2)
docker stop -t 5 "$(cid rack1-bmc1)" >/dev/null
say "rack1-bmc1 stopped"
row GET "$R1S1"
[ "$STATUS" = 503 ] && is_redfish_error || fail "GET $R1S1 with its BMC stopped: $STATUS $BODY"
ok "BMC down in rack 1: GET $R1S1 -> 503 $(json 'd["error"]["@Message.ExtendedInfo"][0]["MessageId"]') (${TOOK} ms), Retry-After: $(header retry-after)"
for s in "$R1S2" "$R2S1" "$R2S2"; do
  row GET "$s"
  [ "$STATUS" = 200 ] || fail "GET $s while rack1-bmc1 is stopped: $STATUS $BODY"
done
ok "rack 1's other BMC and rack 2 answer 200"
# Rack 1 reads its BMC down and says so on its event stream: the row shows it on r1's source.
source_names_s1() {
  row GET "$SRC/r1" && [ "$(json 'd["Status"]["Health"]')" = Warning ] && [ "$(json 'd["Status"]["State"]')" = Enabled ] \
    && [ "$(json '[c["MessageId"].split(".")[-1] for c in d["Status"]["Conditions"] if c["MessageArgs"][0] == "BMC r1-s1"]')" = '["ResourceStatusChangedCritical"]' ]
}
wait_until 30 "source r1 Warning with a condition naming BMC r1-s1" source_names_s1
row GET "$SRC/r2"
[ "$(json 'd["Status"]["Health"]')" = OK ] || fail "source r2 while a BMC of rack 1 is down: $BODY"
row GET /redfish/v1/Chassis/Row1
[ "$(json 'd["Status"]["HealthRollup"]')" = Warning ] || fail "Row1's HealthRollup with a BMC down in rack 1: $BODY"
ok "source r1 Enabled/Warning, its condition ResourceStatusChangedCritical naming BMC r1-s1; r2 OK; Row1 HealthRollup Warning"
docker start "$(cid rack1-bmc1)" >/dev/null
r1s1_back() { row GET "$R1S1" && [ "$STATUS" = 200 ]; }
wait_until 60 "$R1S1 served again after rack1-bmc1 started" r1s1_back
source_ok() { row GET "$SRC/r1" && [ "$(json 'd["Status"]["Health"]')" = OK ] && [ "$(json 'd["Status"]["Conditions"]')" = '[]' ]; }
wait_until 30 "source r1 OK again, no condition" source_ok
ok "rack1-bmc1 started again: GET $R1S1 -> 200, source r1 OK with no condition"

# ---- 7. rack 1's whole stack down
RACK1_STACK=(rack1-apache rack1-frontend-svc rack1-aggregator-svc)
dc stop -t 5 "${RACK1_STACK[@]}" 2>&1 | sed 's/^/  /'
say "rack 1's apache, frontend-svc and aggregator-svc stopped"
row GET "$R1S1"
[ "$STATUS" = 503 ] && is_redfish_error && [ -n "$(header retry-after)" ] \
  && [ "$(json 'd["error"]["@Message.ExtendedInfo"][0]["Oem"]["RedDrum"]["Bmc"]')" = r1 ] \
  || fail "GET $R1S1 with rack 1 down: $STATUS $BODY"
first=$TOOK
row GET "$R1S2"
[ "$STATUS" = 503 ] && is_redfish_error || fail "GET $R1S2 with rack 1 down: $STATUS $BODY"
ok "rack 1 down: $R1S1 -> 503 naming r1, Retry-After $(header retry-after) (${first} ms); $R1S2 -> 503 (${TOOK} ms)"
for s in "$R2S1" "$R2S2"; do
  row GET "$s"
  [ "$STATUS" = 200 ] || fail "GET $s while rack 1 is down: $STATUS $BODY"
done
row GET /redfish/v1/Systems
[ "$(members)" = "$row_systems" ] || fail "Systems while rack 1 is down: $(members)"
source_down() { row GET "$SRC/r1" && [ "$(json 'd["Status"]["Health"]')" = Critical ]; }
wait_until 30 "source r1 Critical" source_down
[ "$(json 'd["Status"]["State"]')" = UnavailableOffline ] || fail "source r1: $BODY"
row GET "$SRC/r2"
[ "$(json 'd["Status"]["Health"]')" = OK ] || fail "source r2 while rack 1 is down: $BODY"
ok "rack 2 answers 200, all 4 systems still listed, source r1 UnavailableOffline/Critical, r2 OK"
dc start "${RACK1_STACK[@]}" 2>&1 | sed 's/^/  /'
t=$(date +%s)
wait_until 90 "$R1S1 served again after rack 1 came back" r1s1_back
source_up() { row GET "$SRC/r1" && [ "$(json 'd["Status"]["Health"]')" = OK ] && [ "$(json 'd["Status"]["State"]')" = Enabled ]; }
wait_until 30 "source r1 OK again" source_up
row GET "$R1S2"
[ "$STATUS" = 200 ] || fail "GET $R1S2 after rack 1 came back: $STATUS"
ok "rack 1 back: its systems 200 and source r1 Enabled/OK within $(($(date +%s) - t)) s"

# ---- 8. the DMTF Service Validator over the row
VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/rf_service_validator" ]; then
  say "installing redfish-service-validator into $VENV"
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check redfish-service-validator==3.1.8
fi
say "redfish-service-validator over the row"
rm -rf "$OUT/service"
(cd "$OUT" && REQUESTS_CA_BUNDLE="$WORK/tls/row/tls.crt" "$VENV/bin/rf_service_validator" -i "$ROW" -u admin -p "$ROW_PW" \
   --authtype Session --schema_directory "$SHARED/redfish/csdl" --logdir "$OUT/service" > "$OUT/service.out" 2>&1) || true
if python3 scripts/dev/validator_report.py service "$OUT/service" "$OUT/service.out" > "$OUT/service.report" 2>&1; then
  sed 's/^/  /' "$OUT/service.report"
  ok "$(head -1 "$OUT/service.report")"
else
  sed 's/^/  /' "$OUT/service.report"
  fail_later "the Service Validator over the row: $(head -1 "$OUT/service.report") (reports in $OUT)"
fi

[ ${#deferred[@]} = 0 ] || fail "${#deferred[@]} check(s) failed above: $(printf '%s; ' "${deferred[@]}")"
say "all $passed checks passed in $(($(date +%s) - T0)) s"
