#!/usr/bin/env bash
# Fresh machine → the whole test suite: lint, types, unit + integration tests (the real
# model on the real seeds), then the eval harness on the gold test split with floors just
# under the current numbers (eval/README.md), so a regression fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"

eval_index="$(mktemp -d)"
trap 'rm -rf "$eval_index"' EXIT
RAG_INDEX_DIR="$eval_index/index" .venv/bin/rag ingest seeds
RAG_INDEX_DIR="$eval_index/index" .venv/bin/rag eval --split test --mode hybrid \
  --out "$eval_index/report" \
  --min-hit5 0.95 --min-accuracy 0.65 --min-abstain 0.5 --max-false-abstain 0.12
