#!/usr/bin/env bash
# Fresh machine → running service: install, provision the model, ingest seeds/, serve.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/rag ingest seeds
exec .venv/bin/rag serve "$@"
