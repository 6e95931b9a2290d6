#!/bin/sh
# Installs the dependencies, builds (with the training lab), and runs every test suite with
# meson's summary.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh -Dtraining=true
meson test -C build --print-errorlogs --num-processes "${JOBS:-2}"
