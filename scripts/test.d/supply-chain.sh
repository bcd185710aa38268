#!/usr/bin/env bash
# Supply chain (deny.toml): every dependency's license is one we allow for a BSD-3-Clause product,
# no wildcard version requirements, crates from crates.io only. Offline: only the crates
# `cargo build` already fetched are read. Then proves the check bites: small manifests in a temp
# dir, each with one disallowed thing (a GPL crate, a git source, a wildcard), must each fail with
# their own diagnostic while an allowed one passes. Last, RustSec advisories where the database
# can be fetched (GitHub); where it cannot, they are skipped with the reason printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
DENY_VERSION=0.20.2   # builds with rust 1.88 and newer
say() { printf '[supply-chain] %s\n' "$*"; }

if ! cargo deny --version 2>/dev/null | grep -q "^cargo-deny ${DENY_VERSION%.*}\."; then
  say "installing cargo-deny $DENY_VERSION"
  cargo install --locked "cargo-deny@$DENY_VERSION"
fi

say "licenses, bans, sources of the workspace (deny.toml)"
cargo deny --offline --locked check --hide-inclusion-graph licenses bans sources

# The probes: a workspace `app` whose only fault is the one named.
PROBE="$(mktemp -d)"
trap 'rm -rf "$PROBE"' EXIT
crate() { # crate DIR NAME LICENSE [publish] [dependency lines...]
  local dir="$PROBE/$1" name="$2" license="$3" publish="$4"; shift 4
  mkdir -p "$dir/src"; : > "$dir/src/lib.rs"
  {
    printf '[package]\nname = "%s"\nversion = "0.1.0"\nedition = "2021"\nlicense = "%s"\n' "$name" "$license"
    [ "$publish" = private ] && printf 'publish = false\n'
    printf '[dependencies]\n'
    printf '%s\n' "$@"
  } > "$dir/Cargo.toml"
}
crate lib-mit mitdep MIT public
crate lib-gpl gpldep GPL-3.0-only public
crate lib-git gitdep MIT public
git -C "$PROBE/lib-git" init -q
git -C "$PROBE/lib-git" add .
git -C "$PROBE/lib-git" -c user.email=probe@localhost -c user.name=probe commit -qm probe
crate allowed app MIT private 'mitdep = { path = "../lib-mit", version = "0.1.0" }'
crate gpl app MIT private 'gpldep = { path = "../lib-gpl", version = "0.1.0" }'
crate git app MIT private "gitdep = { git = \"file://$PROBE/lib-git\" }"
crate wildcard app MIT public 'mitdep = { path = "../lib-mit" }'

# probe DIR CHECK EXPECTED: EXPECTED is "ok" or the diagnostic code the check must fail with.
probe() {
  local dir="$PROBE/$1" check="$2" expected="$3" out rc=0
  # No --offline: the git probe fetches from a local file:// repository; nothing else is fetched.
  out="$(cd "$dir" && cargo deny --config "$ROOT/deny.toml" check --hide-inclusion-graph "$check" 2>&1)" || rc=$?
  if [ "$expected" = ok ]; then
    [ "$rc" -eq 0 ] || { printf '%s\n' "$out"; say "FAILED: the allowed probe ($1) was refused"; return 1; }
    say "probe $1: $check passes, as it should"
  else
    if [ "$rc" -eq 0 ] || ! grep -q "error\[$expected\]" <<<"$out"; then
      printf '%s\n' "$out"
      say "FAILED: probe $1 must fail $check with error[$expected] (exit $rc)"
      return 1
    fi
    say "probe $1: $check fails with error[$expected] (exit $rc), as it should"
  fi
}
probe allowed licenses ok
probe allowed sources ok
probe allowed bans ok
probe gpl licenses rejected
probe git sources source-not-allowed
probe wildcard bans wildcard

# Advisories need the RustSec database from GitHub; its absence must not fail the tests.
rc=0
fetched="$(timeout 120 cargo deny fetch db 2>&1)" || rc=$?
if [ "$rc" -eq 0 ]; then
  say "advisories (RustSec database fetched)"
  cargo deny --offline --locked check --hide-inclusion-graph advisories
else
  why="$(grep -m1 -oE 'Could not resolve host: [A-Za-z0-9.-]+|Connection (refused|timed out)|Failed to connect to [^ ]+' <<<"$fetched" || true)"
  [ "$rc" -ne 124 ] || why="no answer within 120 s"
  [ -n "$why" ] || why="$(tail -n1 <<<"$fetched")"
  say "advisories SKIPPED: the RustSec advisory database cannot be fetched here ($why)"
fi
say "ok"
