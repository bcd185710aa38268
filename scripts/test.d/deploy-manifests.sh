#!/usr/bin/env bash
# Validates the deployment manifests offline: Kubernetes (deploy/k8s, and the row of racks in
# deploy/k8s/row: strict schema validation with kubernetes-validate from PyPI plus cross-reference
# and NetworkPolicy checks), compose.yaml, the SONiC application extension manifests and the two
# Apache configurations (deploy/check_manifests.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${REDDRUM_VENV:-.venv}"
if ! "$VENV/bin/python" -c 'import yaml, kubernetes_validate' 2>/dev/null; then
  echo "[deploy-manifests] installing PyYAML and kubernetes-validate into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pyyaml kubernetes-validate
fi
echo "[deploy-manifests] checking deploy/k8s, deploy/k8s/row, compose.yaml, docker/sonic, apache/"
"$VENV/bin/python" deploy/check_manifests.py
