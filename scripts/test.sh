#!/bin/sh
# Installs the dependencies, builds (with the training lab), runs every test suite with
# meson's summary, then every fuzz target over its corpus and for FUZZ_SECONDS more (20 by
# default; scripts/fuzz.sh prints its own summary).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh -Dtraining=true
meson test -C build --print-errorlogs --num-processes "${JOBS:-2}"
./scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
