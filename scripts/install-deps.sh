#!/bin/sh
# Installs every Debian 12 package gst-amused builds, tests and runs with.
# clang and libclang-rt-14-dev build the fuzz targets (libFuzzer, sanitizers; scripts/fuzz.sh).
# libopenblas0-openmp matters: without it libtorch falls back to reference BLAS (~30x slower).
set -eu
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
PACKAGES="
  build-essential meson ninja-build pkg-config
  libtorch-dev libopenblas0-openmp libdnnl-dev
  nlohmann-json3-dev libicu-dev libpng-dev libcairo2-dev libglib2.0-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev ffmpeg
  libgtest-dev python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  clang libclang-rt-14-dev
"
$SUDO apt-get update -q
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $PACKAGES
