#!/bin/sh
# Configures (once) and builds everything into ./build. JOBS defaults to 2: translation
# units that include libtorch need ~1 GB of memory each and ~30 s to compile.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release
fi
ninja -C build -j "${JOBS:-2}"
