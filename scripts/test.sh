#!/usr/bin/env bash
# Fresh machine → the whole test suite (unit + integration with the real model and seeds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
