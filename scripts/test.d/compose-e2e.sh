#!/usr/bin/env bash
# End to end, as deployed: builds the images without a registry (dev profile: the binaries
# scripts/test already built), starts compose.yaml with the `sim` profile (4 bmc-sim containers,
# each its own host on the management network) under a unique project name, and checks through
# Apache over HTTPS (loopback-published ports only):
#   TLS and headers, HTTP redirect, the aggregated Systems, a ComputerSystem.Reset, a paused BMC
#   (504/503 with a Redfish body while the others answer), a stopped BMC (503 + Redfish body),
#   then a restart of frontend-svc and aggregator-svc, after which accounts, sessions and PATCHed
#   rack properties must still be there; curl -k and redfishtool as a user runs them.
# Tears everything down (containers, volumes, networks) whatever happens. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
T0=$(date +%s)

say() { printf "[compose-e2e +%3ds] %s\n" "$(($(date +%s) - T0))" "$*"; }
passed=0
skipped=0
ok() { passed=$((passed + 1)); say "PASS $*"; }
skip() { skipped=$((skipped + 1)); say "SKIP $*"; }

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

TAG="e2e"
PROJECT="reddrum-e2e-$$-$RANDOM"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/reddrum-e2e.XXXXXX")"
export REDDRUM_TAG="$TAG"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTPS_PORT=$(free_port)
HTTP_PORT=$(free_port)
while [ "$HTTP_PORT" = "$HTTPS_PORT" ]; do HTTP_PORT=$(free_port); done
export REDDRUM_HTTPS_BIND=127.0.0.1 REDDRUM_HTTPS_PUBLISH="$HTTPS_PORT"
export REDDRUM_HTTP_BIND=127.0.0.1 REDDRUM_HTTP_PUBLISH="$HTTP_PORT"
export REDDRUM_TLS_DIR="$WORK/tls" REDDRUM_SECRETS_DIR="$WORK/secrets"
export REDDRUM_SERVER_NAME=localhost REDDRUM_HTTP=redirect
# A paused BMC answers nothing: a short BMC timeout keeps the test quick.
export REDDRUM_BMC_REQUEST_TIMEOUT_MS=4000
# Health checks every 3 s instead of 15 s, so "all healthy" is seen soon after start.
export REDDRUM_HEALTH_INTERVAL=3s
BASE="https://localhost:$HTTPS_PORT"

dc() { "${DC[@]}" -p "$PROJECT" --profile sim "$@"; }
cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ]; then
    say "--- container state and recent logs (failure diagnostics)"
    dc ps 2>/dev/null
    dc logs --tail=25 --no-color 2>/dev/null | tail -150
  fi
  for id in $(docker ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter status=paused); do
    docker unpause "$id" >/dev/null 2>&1
  done
  dc down -v --remove-orphans -t 5 >/dev/null 2>&1
  # Belt and braces: nothing of this project may outlive the test.
  leftover=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT")
  [ -z "$leftover" ] || docker rm -f $leftover >/dev/null 2>&1
  for n in $(docker network ls -q --filter "label=com.docker.compose.project=$PROJECT"); do docker network rm "$n" >/dev/null 2>&1; done
  for v in $(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT"); do docker volume rm "$v" >/dev/null 2>&1; done
  rm -rf "$WORK"
  say "torn down project $PROJECT ($(($(date +%s) - T0)) s in all)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  say "FAIL $*"
  exit 1
}

# ---- HTTP helpers: req METHOD PATH [JSON] [curl args...] sets STATUS, BODY, and HDRS (a file)
BODY=""
STATUS=""
HDRS="$WORK/headers"
req() {
  local method=$1 path=$2 data=${3:-}
  shift 3 2>/dev/null || shift $#
  local args=(-sS --cacert "$WORK/tls/tls.crt" --max-time 60 -X "$method" -D "$HDRS" -o "$WORK/body" -w '%{http_code}')
  [ -z "$data" ] || args+=(-H 'Content-Type: application/json' --data "$data")
  STATUS=$(curl "${args[@]}" "$@" "$BASE$path") || STATUS="000"
  BODY=$(cat "$WORK/body" 2>/dev/null || true)
}
admin() { req "$1" "$2" "${3:-}" -u "admin:$ADMIN_PW" "${@:4}"; }
header() { grep -i "^$1:" "$HDRS" | head -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ //'; }
uri_of() { sed -E 's#^https?://[^/]+##'; }  # a Location as a path
json() { # json EXPR: evaluates EXPR on the parsed BODY (as d) and prints it
  printf '%s' "$BODY" | python3 -c "import json,sys; d=json.load(sys.stdin); v=$1; print(v if not isinstance(v,(dict,list)) else json.dumps(v))"
}
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

# ---- 1. images, certificate, secrets
say "building images (dev profile, tag $TAG; no registry)"
scripts/build-images --profile dev --tag "$TAG" | sed 's/^/  /'
for name in apache frontend-svc aggregator-svc bmc-sim; do
  user=$(docker image inspect -f '{{.Config.User}}' "reddrum/$name:$TAG")
  hc=$(docker image inspect -f '{{if .Config.Healthcheck}}{{len .Config.Healthcheck.Test}}{{else}}0{{end}}' "reddrum/$name:$TAG")
  ver=$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "reddrum/$name:$TAG")
  [ "$user" = "10001:10001" ] && [ "$hc" != 0 ] && [ -n "$ver" ] \
    || fail "image reddrum/$name:$TAG: user '$user', healthcheck $hc, version label '$ver'"
done
for pair in apache:reddrum-apache frontend-svc:reddrum-frontend aggregator-svc:reddrum-aggregator; do
  docker image inspect -f '{{index .Config.Labels "com.azure.sonic.manifest"}}' "reddrum/${pair%%:*}:$TAG" \
    | python3 -c 'import json,sys; m=json.load(sys.stdin); assert m["package"]["name"]==sys.argv[1]==m["service"]["name"], m; assert m["package"]["version"][0].isdigit()' "${pair#*:}" \
    || fail "reddrum/${pair%%:*}: com.azure.sonic.manifest label"
done
ok "images: non-root (10001), HEALTHCHECK, OCI version label, SONiC manifest label"

mkdir -p "$WORK/secrets"
ADMIN_PW="$(openssl rand -hex 12)"
printf '%s\n' "$ADMIN_PW" > "$WORK/secrets/admin_password"
printf 'calvin\n' > "$WORK/secrets/bmc_password"         # bmc-sim's account
if [ "$(id -u)" = 0 ]; then
  chown 10001:10001 "$WORK/secrets/"* && chmod 0400 "$WORK/secrets/"*
  scripts/make-cert --owner 10001:10001 "$WORK/tls" localhost 127.0.0.1 ::1 >/dev/null
else  # the containers run as 10001: without root, let them read the test's throwaway files
  chmod 0444 "$WORK/secrets/"*
  scripts/make-cert "$WORK/tls" localhost 127.0.0.1 ::1 >/dev/null && chmod 0444 "$WORK/tls/tls.key"
  chmod 0777 "$WORK/tls"   # aggregator-svc replaces the pair there (ReplaceCertificate)
fi
ok "make-cert: self-signed certificate with SANs, secrets as files"

# ---- 2. the stack
say "starting project $PROJECT (sim profile), https on 127.0.0.1:$HTTPS_PORT"
# The rack first, as in real life (BMCs are there before the aggregator): a BMC that is down at
# the aggregator's first discovery is only retried at the next discovery interval.
dc up -d bmc1 bmc2 bmc3 bmc4 2>&1 | sed 's/^/  /'
bmcs_healthy() {
  [ "$(dc ps -q bmc1 bmc2 bmc3 bmc4 | xargs -r docker inspect -f '{{.State.Health.Status}}' | grep -c '^healthy$')" = 4 ]
}
wait_until 60 "the 4 BMC containers healthy" bmcs_healthy
say "BMCs healthy; starting apache, frontend-svc, aggregator-svc"
dc up -d 2>&1 | sed 's/^/  /'
nbmc=$(dc ps -q | xargs -r docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' | grep -c '^bmc')
[ "$nbmc" -ge 4 ] || fail "expected at least 4 bmc-sim containers, got $nbmc"
root_ok() { req GET /redfish/v1 && [ "$STATUS" = 200 ]; }
wait_until 90 "the service root through Apache" root_ok
four_systems() { admin GET /redfish/v1/Systems && [ "$STATUS" = 200 ] && [ "$(json 'd["Members@odata.count"]')" -ge 4 ]; }
say "service root answers through Apache"
wait_until 90 "4 aggregated Systems" four_systems
say "4 Systems aggregated; waiting for every health check"
all_healthy() {
  [ "$(dc ps -q | xargs -r docker inspect -f '{{.State.Health.Status}}' | grep -vc '^healthy$')" = 0 ]
}
wait_until 90 "every container healthy" all_healthy
ok "stack up: $nbmc BMC containers, all containers healthy, frontend and aggregator published nowhere"
# Their health checks are /readyz of the operations listener; /healthz and /metrics answer there too.
for probe in frontend-svc:9464/healthz frontend-svc:9464/metrics aggregator-svc:9465/healthz aggregator-svc:9465/metrics; do
  svc=${probe%%:*}
  dc exec -T "$svc" "/usr/local/bin/$svc" --health-check "http://127.0.0.1:${probe#*:}" > /dev/null \
    || fail "$svc: GET ${probe#*:} on the operations listener"
done
ok "operations listeners: /readyz (the health checks), /healthz and /metrics answer 200"
for svc in frontend-svc aggregator-svc; do
  [ -z "$(docker port "$(dc ps -q "$svc")")" ] || fail "$svc publishes a port"
done
scripts/image-report --tag "$TAG" --project "$PROJECT" | sed 's/^/  /'

# ---- 3. TLS front
curl -sS -k -o "$WORK/root.json" -w '%{http_code}' "https://127.0.0.1:$HTTPS_PORT/redfish/v1" > "$WORK/code"
[ "$(cat "$WORK/code")" = 200 ] && grep -q '"RedfishVersion"' "$WORK/root.json" || fail "curl -k /redfish/v1"
ok "curl -k https://127.0.0.1:$HTTPS_PORT/redfish/v1 -> 200 ServiceRoot"
req GET /redfish/v1
[ "$(header strict-transport-security)" != "" ] && [ "$(header x-content-type-options)" = nosniff ] \
  && [ "$(header x-frame-options)" = DENY ] || fail "security headers missing: $(cat "$HDRS")"
ok "HSTS, X-Content-Type-Options, X-Frame-Options set"
if curl -sS -k --tls-max 1.1 -o /dev/null "https://127.0.0.1:$HTTPS_PORT/redfish/v1" 2>/dev/null; then
  fail "TLS 1.1 was accepted"
fi
ok "TLS 1.1 refused"
code=$(curl -sS -o /dev/null -D "$WORK/redir" -w '%{http_code}' "http://localhost:$HTTP_PORT/redfish/v1/Systems")
grep -qi "^location: https://localhost:$HTTPS_PORT/redfish/v1/Systems" "$WORK/redir" && [ "$code" = 301 ] \
  || fail "plain HTTP not redirected ($code)"
ok "plain HTTP -> 301 https://localhost:$HTTPS_PORT/..."
req GET /redfish/v1/Systems
[ "$STATUS" = 401 ] && is_redfish_error || fail "unauthenticated Systems: $STATUS $BODY"
ok "unauthenticated request -> 401 with a Redfish error body"

# ---- 4. the aggregate: list, reset
admin GET /redfish/v1/Systems
members=$(json '" ".join(m["@odata.id"] for m in d["Members"])')
say "Systems: $members"
for p in s1 s2 s3 s4; do
  echo "$members" | grep -q "/redfish/v1/Systems/$p-" || fail "no system of BMC $p"
done
ok "Systems lists the members of all 4 BMCs"
member_of() { echo "$members" | tr ' ' '\n' | grep "/redfish/v1/Systems/$1-" | head -1 | sed 's#/$##'; }
S1=$(member_of s1); S2=$(member_of s2); S3=$(member_of s3); S4=$(member_of s4)
admin GET "$S1"
[ "$STATUS" = 200 ] || fail "GET $S1: $STATUS"
target=$(json 'd["Actions"]["#ComputerSystem.Reset"]["target"]')
admin POST "$target" '{"ResetType": "ForceRestart"}'
case "$STATUS" in 200|202|204) ;; *) fail "POST $target: $STATUS $BODY" ;; esac
ok "POST $target {ForceRestart} -> $STATUS"
if .venv/bin/redfishtool -V >/dev/null 2>&1 || { python3 -m venv .venv && .venv/bin/pip install -q redfishtool; }; then
  .venv/bin/redfishtool -r "127.0.0.1:$HTTPS_PORT" -S Always -u admin -p "$ADMIN_PW" Systems > "$WORK/rft.out" 2>&1 \
    || { cat "$WORK/rft.out"; fail "redfishtool Systems"; }
  grep -q "$S1" "$WORK/rft.out" || { cat "$WORK/rft.out"; fail "redfishtool Systems output"; }
  .venv/bin/redfishtool -r "127.0.0.1:$HTTPS_PORT" -S Always -A Session -u admin -p "$ADMIN_PW" Systems -I "${S3##*/}" get \
    > "$WORK/rft.out" 2>&1 || { cat "$WORK/rft.out"; fail "redfishtool -A Session Systems -I ${S3##*/} get"; }
  ok "redfishtool -r 127.0.0.1:$HTTPS_PORT -S Always: Systems (Basic) and Systems -I ${S3##*/} get (Session)"
else
  fail "could not install redfishtool into .venv"
fi

# ---- 4b. events: s1 (dmtf profile: push subscriptions only) posts its events to the aggregator's
# inbound listener on the management network; an SSE client through Apache, filtering on s1's
# system, gets its power change localized.
sse_subscribed() {
  admin GET /redfish/v1/Oem/RedDrum/Bmcs/s1/EventService/Subscriptions
  [ "$STATUS" = 200 ] && [ "$(json 'd.get("Members@odata.count", 0)')" -ge 1 ]
}
wait_until 60 "the aggregator's push subscription at s1" sse_subscribed
curl -sS -N --cacert "$WORK/tls/tls.crt" --max-time 45 -u "admin:$ADMIN_PW" \
  "$BASE/redfish/v1/EventService/SSE?\$filter=OriginResource%20eq%20'$S1'" > "$WORK/sse.out" 2>/dev/null &
sse_pid=$!
sleep 2
admin POST "$target" '{"ResetType": "ForceRestart"}'
sse_got() { grep -q "ResourcePoweredOff" "$WORK/sse.out"; }
wait_until 30 "s1's power event on the aggregate's SSE stream" sse_got
kill "$sse_pid" 2>/dev/null || true
grep -q "\"OriginOfCondition\":{\"@odata.id\":\"$S1\"}" "$WORK/sse.out" || fail "SSE event not localized: $(cat "$WORK/sse.out")"
! grep -q "172\.31\.241\." "$WORK/sse.out" || fail "SSE event shows a BMC address: $(cat "$WORK/sse.out")"
ok "s1 pushes its events to the inbound listener; its power change reached an SSE client through Apache, localized ($S1)"

# ---- 5. state to survive a restart: account, session, rack property
E2E_USER="e2e-op"
E2E_PW="E2e-$(openssl rand -hex 6)"
account_uri=""
admin POST /redfish/v1/AccountService/Accounts "{\"UserName\": \"$E2E_USER\", \"Password\": \"$E2E_PW\", \"RoleId\": \"Operator\"}"
if [ "$STATUS" = 201 ]; then
  account_uri=$(header location | uri_of)
  ok "account $E2E_USER created ($account_uri)"
else
  skip "accounts: POST /redfish/v1/AccountService/Accounts answered $STATUS (account creation not available yet)"
fi
session_uri=""
token=""
req POST /redfish/v1/SessionService/Sessions "{\"UserName\": \"admin\", \"Password\": \"$ADMIN_PW\"}"
if [ "$STATUS" = 201 ]; then
  session_uri=$(header location | uri_of)
  token=$(header x-auth-token)
  [ -n "$token" ] || fail "session without X-Auth-Token"
  ok "session created ($session_uri)"
  line=$(docker logs "$(dc ps -q frontend-svc)" 2>&1 | grep "session opened" | tail -1)
  apache_ip=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{if eq $k "'"$PROJECT"'_internal"}}{{$v.IPAddress}}{{end}}{{end}}' "$(dc ps -q apache)")
  echo "$line" | grep -q 'scheme="https"' && ! echo "$line" | grep -q "addr=$apache_ip " \
    || fail "frontend-svc should log the client Apache saw, over https, not Apache ($apache_ip): $line"
  ok "frontend-svc logs the client from Apache's X-Forwarded-For and scheme https: $(echo "$line" | grep -o 'client{[^}]*}')"
else
  skip "sessions: POST /redfish/v1/SessionService/Sessions answered $STATUS (sessions not available yet)"
fi
asset_tag=""
admin GET /redfish/v1/Chassis/Rack1
if [ "$STATUS" = 200 ]; then
  etag=$(header etag)
  asset_tag="e2e-$(openssl rand -hex 4)"
  if [ -n "$etag" ]; then
    admin PATCH /redfish/v1/Chassis/Rack1 "{\"AssetTag\": \"$asset_tag\"}" -H "If-Match: $etag"
  else
    admin PATCH /redfish/v1/Chassis/Rack1 "{\"AssetTag\": \"$asset_tag\"}"
  fi
  case "$STATUS" in 200|204) ok "PATCH /redfish/v1/Chassis/Rack1 AssetTag=$asset_tag -> $STATUS" ;;
    *) fail "PATCH /redfish/v1/Chassis/Rack1: $STATUS $BODY" ;; esac
else
  skip "rack properties: GET /redfish/v1/Chassis/Rack1 answered $STATUS (the Rack chassis is not available yet)"
fi

# ---- 6. a BMC that hangs (docker pause), then one that is gone (docker stop)
BMC2=$(dc ps -q bmc2)
docker pause "$BMC2" >/dev/null
say "bmc2 paused"
t=$(date +%s)
admin GET "$S2"
took=$(($(date +%s) - t))
case "$STATUS" in 503|504) ;; *) fail "GET $S2 on a paused BMC: $STATUS $BODY" ;; esac
is_redfish_error || fail "GET $S2 on a paused BMC: not a Redfish error body: $BODY"
ok "paused BMC: GET $S2 -> $STATUS $(json 'd["error"]["code"]') after ${took}s"
for s in "$S1" "$S3" "$S4"; do
  admin GET "$s"
  [ "$STATUS" = 200 ] || fail "GET $s while bmc2 is paused: $STATUS"
done
admin GET /redfish/v1/Systems
[ "$STATUS" = 200 ] && [ "$(json 'd["Members@odata.count"]')" -ge 4 ] || fail "Systems while bmc2 is paused: $STATUS $BODY"
ok "the other BMCs answer 200, and Systems still lists 4 members, while bmc2 is paused"
docker unpause "$BMC2" >/dev/null
docker stop -t 5 "$BMC2" >/dev/null
say "bmc2 stopped"
admin GET "$S2"
[ "$STATUS" = 503 ] || fail "GET $S2 on a stopped BMC: $STATUS $BODY"
is_redfish_error || fail "GET $S2 on a stopped BMC: not a Redfish error body: $BODY"
ok "stopped BMC: GET $S2 -> 503 $(json 'd["error"]["code"]'), Retry-After: $(header retry-after)"
for s in "$S1" "$S3" "$S4"; do
  admin GET "$s"
  [ "$STATUS" = 200 ] || fail "GET $s while bmc2 is stopped: $STATUS"
done
ok "the other BMCs answer 200 while bmc2 is stopped"

# ---- 7. restart frontend-svc and aggregator-svc; state must survive
dc restart -t 10 frontend-svc aggregator-svc 2>&1 | sed 's/^/  /'
wait_until 90 "the service root after the restart" root_ok
three_up() { admin GET "$S1" && [ "$STATUS" = 200 ]; }
wait_until 60 "BMC s1 answering after the restart" three_up
admin GET /redfish/v1/Systems
[ "$STATUS" = 200 ] && [ "$(json 'd["Members@odata.count"]')" -ge 4 ] \
  || fail "after the restart Systems should still list bmc2's last known members: $STATUS $BODY"
admin GET "$S2"
[ "$STATUS" = 503 ] && is_redfish_error || fail "after the restart GET $S2 (bmc2 still stopped): $STATUS $BODY"
ok "after the restart: 4 members listed (bmc2 remembered), $S2 -> 503"
if [ -n "$account_uri" ]; then
  admin GET "$account_uri"
  [ "$STATUS" = 200 ] && [ "$(json 'd["UserName"]')" = "$E2E_USER" ] || fail "account after the restart: $STATUS $BODY"
  req GET /redfish/v1/Systems "" -u "$E2E_USER:$E2E_PW"
  [ "$STATUS" = 200 ] || fail "$E2E_USER cannot log in after the restart: $STATUS $BODY"
  ok "account $E2E_USER survived the restart and still logs in"
else
  skip "account survival (no account could be created)"
fi
if [ -n "$session_uri" ]; then
  req GET "$session_uri" "" -H "X-Auth-Token: $token"
  [ "$STATUS" = 200 ] || fail "session after the restart: $STATUS $BODY"
  req GET /redfish/v1/Systems "" -H "X-Auth-Token: $token"
  [ "$STATUS" = 200 ] || fail "session token on Systems after the restart: $STATUS"
  ok "session $session_uri survived the restart (token still valid)"
else
  skip "session survival (no session could be created)"
fi
if [ -n "$asset_tag" ]; then
  admin GET /redfish/v1/Chassis/Rack1
  [ "$STATUS" = 200 ] && [ "$(json 'd.get("AssetTag")')" = "$asset_tag" ] \
    || fail "Rack1 AssetTag after the restart: $STATUS $BODY"
  ok "PATCHed Rack1 AssetTag survived the restart"
else
  skip "rack property survival (no Rack chassis)"
fi

# ---- 7. the HTTPS certificate replaced through Redfish: a CSR from the service, signed by a CA
# of the test's own, installed with ReplaceCertificate; Apache serves it without a restart by hand.
CA="$WORK/ca"
mkdir -p "$CA"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=e2e test CA" \
  -keyout "$CA/ca.key" -out "$CA/ca.crt" 2>/dev/null
CERTS=/redfish/v1/Managers/Aggregator/NetworkProtocol/HTTPS/Certificates
admin POST /redfish/v1/CertificateService/Actions/CertificateService.GenerateCSR \
  "{\"CertificateCollection\": {\"@odata.id\": \"$CERTS\"}, \"CommonName\": \"localhost\", \"AlternativeNames\": [\"127.0.0.1\", \"::1\"]}"
[ "$STATUS" = 200 ] || fail "GenerateCSR: $STATUS $BODY"
json 'd["CSRString"]' > "$CA/req.csr"
openssl x509 -req -in "$CA/req.csr" -CA "$CA/ca.crt" -CAkey "$CA/ca.key" -CAcreateserial -days 2 \
  -copy_extensions copyall -out "$CA/new.crt" 2>/dev/null || fail "openssl could not sign the service's CSR"
payload=$(python3 -c 'import json,sys; print(json.dumps({"CertificateString": open(sys.argv[1]).read(), "CertificateType": "PEM", "CertificateUri": {"@odata.id": sys.argv[2]}}))' "$CA/new.crt" "$CERTS/HTTPS")
admin POST /redfish/v1/CertificateService/Actions/CertificateService.ReplaceCertificate "$payload"
[ "$STATUS" = 200 ] || fail "ReplaceCertificate: $STATUS $BODY"
new_cert_served() { curl -sf --cacert "$CA/ca.crt" --max-time 5 -o /dev/null "$BASE/redfish/v1"; }
wait_until 30 "Apache serving the replaced certificate (signed by the test CA)" new_cert_served
# Read whole first: with pipefail, grep -q closing the pipe early would fail docker logs (SIGPIPE).
apache_log="$(docker logs "$(dc ps -q apache)" 2>&1)"
grep -q "changed; graceful restart" <<< "$apache_log" \
  || fail "the Apache container should log its graceful restart for the new certificate"
req GET "$CERTS/HTTPS" "" --cacert "$CA/ca.crt" -u "admin:$ADMIN_PW"
[ "$STATUS" = 200 ] && [ "$(json 'd["Issuer"]["CommonName"]')" = "e2e test CA" ] \
  || fail "the rack manager should list the new certificate: $STATUS $BODY"
ok "GenerateCSR -> signed by a test CA -> ReplaceCertificate: Apache serves it (graceful restart on its own)"

say "all $passed checks passed ($skipped skipped) in $(($(date +%s) - T0)) s"
