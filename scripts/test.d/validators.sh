#!/usr/bin/env bash
# The DMTF validators (service, protocol, interop with the OCP profiles) against the running stack
# over HTTPS through Apache; fails on any failure that counts (see scripts/dev/validator_report.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec scripts/validate
