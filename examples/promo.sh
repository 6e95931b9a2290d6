#!/bin/sh
# promo.sh [OUT.mp4] — renders a short promotional clip from a text prompt: amusedsrc
# generates the frames while the camera pans right (only the revealed strip of the scene is
# generated for each frame, the rest is kept), gst-libav encodes MPEG-4 Part 2 into MP4.
#
# Environment overrides (all optional):
#   PROMPT        what to show            (default: a red car on a road under a sunset sky)
#   FRAMES        number of frames        (default: 48)
#   FPS           frames per second       (default: 12)
#   MOTION_SPEED  camera speed, px/frame  (default: 2)
#   SEED          random seed             (default: 3)
#   MODEL         checkpoint folder       (default: unset = the embedded default model)
#   AMUSED_BUILD_DIR  meson build folder used when the plugin is not installed (default: build)
#
# Note: Debian 12's gst-libav 1.22.0 avenc_mpeg4 stamps every packet at the same time, so
# players show the right frames but a duration of one frame. The frames are all there; the
# ProRes path (restyle.sh) and `amused video` (libavcodec directly) are not affected.
set -eu
examples_dir=$(cd "$(dirname "$0")" && pwd)
. "$examples_dir/plugin-path.sh"

out=${1:-promo.mp4}
prompt=${PROMPT:-a red car on a road under a daytime sky with mountains}

# `model=` only when MODEL is set: without it the element uses the embedded default model.
# Guidance is the model's own (1.75 for the default model, 10 for amused-256/512) unless
# GUIDANCE is set.
set -- amusedsrc prompt="$prompt" seed="${SEED:-3}" camera-motion=pan-right \
  motion-speed="${MOTION_SPEED:-2}" num-buffers="${FRAMES:-48}"
if [ -n "${MODEL:-}" ]; then set -- "$@" model="$MODEL"; fi
if [ -n "${GUIDANCE:-}" ]; then set -- "$@" guidance-scale="$GUIDANCE"; fi

gst-launch-1.0 -q -e "$@" ! "video/x-raw,framerate=${FPS:-12}/1" \
  ! videoconvert ! avenc_mpeg4 ! mp4mux ! filesink location="$out"
echo "wrote $out"
