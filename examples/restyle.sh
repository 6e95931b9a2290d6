#!/bin/sh
# restyle.sh IN OUT.mov — restyles existing footage frame by frame with amusedstylize and
# writes ProRes 422 in a QuickTime file. Any file GStreamer can decode works as input (its
# audio, if any, is dropped). Unchanged parts of the picture keep their stylized look from
# frame to frame; only what changes in the source is regenerated.
#
# Environment overrides (all optional):
#   PROMPT     the style                              (default: an oil painting, thick brush strokes)
#   STRENGTH   0..1, how much is regenerated          (default: 0.6)
#   FRAMES     stop after this many frames            (default: all)
#   SIZE       WxH to scale the input to first, e.g. 320x180 (default: keep the input size)
#   SEED       random seed                            (default: 3)
#   MODEL      checkpoint folder                      (default: unset = the embedded default model)
#   AMUSED_BUILD_DIR  meson build folder used when the plugin is not installed (default: build)
set -eu
examples_dir=$(cd "$(dirname "$0")" && pwd)
. "$examples_dir/plugin-path.sh"

if [ $# -ne 2 ]; then
  echo "usage: $0 IN OUT.mov" >&2
  exit 2
fi
in=$1
out=$2
if [ ! -r "$in" ]; then
  echo "$0: cannot read $in" >&2
  exit 1
fi
prompt=${PROMPT:-an oil painting, thick brush strokes}

# Caps: decodebin gives whatever the decoder makes (I420, NV12, 10-bit, interlaced...);
# videoconvert turns it into the RGB amusedstylize takes, videoscale only acts when SIZE
# asks for a size. The element returns frames at the size it was given, so the second
# videoconvert only has to make the 10-bit 4:2:2 avenc_prores_ks wants.
size_caps="video/x-raw,format=RGB"
if [ -n "${SIZE:-}" ]; then
  size_caps="$size_caps,width=${SIZE%x*},height=${SIZE#*x},pixel-aspect-ratio=1/1"
fi

set -- amusedstylize prompt="$prompt" strength="${STRENGTH:-0.6}" seed="${SEED:-3}"
if [ -n "${MODEL:-}" ]; then set -- "$@" model="$MODEL"; fi

gst-launch-1.0 -q -e filesrc location="$in" ! decodebin ! identity eos-after="${FRAMES:--1}" \
  ! videoconvert ! videoscale ! "$size_caps" ! "$@" \
  ! videoconvert ! avenc_prores_ks ! qtmux ! filesink location="$out"
echo "wrote $out"
