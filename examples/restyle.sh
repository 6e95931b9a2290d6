#!/bin/sh
# restyle.sh IN OUT.mov — restyles existing footage frame by frame with amusedstylize and
# writes ProRes 422 in a QuickTime file, with the input's sound (its first audio stream) as
# AAC beside it, in sync: both keep the input's timestamps. Any file GStreamer can decode
# works as input, with or without sound. Unchanged parts of the picture keep their stylized
# look from frame to frame; only what changes in the source is regenerated.
#
# Environment overrides (all optional):
#   PROMPT     the style                              (default: an oil painting, thick brush strokes)
#   STRENGTH   0..1, how much is regenerated          (default: 0.6)
#   FRAMES     stop after this many frames; the sound is then left out, as gst-launch
#              cannot cut it at the same point        (default: all)
#   AUDIO      0 leaves the sound out                 (default: 1)
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

set -- amusedstylize prompt="$prompt" strength="${STRENGTH:-0.6}" seed="${SEED:-3}" \
  num-buffers="${FRAMES:--1}"
if [ -n "${MODEL:-}" ]; then set -- "$@" model="$MODEL"; fi

# The sound goes into the same muxer, but only when there is some: a branch waiting for an
# audio pad that never comes would keep qtmux waiting forever. GStreamer's discoverer tells
# (through PyGObject, as embed.py uses it), else ffprobe; with neither the sound is left out.
has_audio() {
  for py in /usr/bin/python3 python3; do
    if "$py" -c 'import gi' 2>/dev/null; then
      "$py" - "$1" <<'PY'
import sys, gi
gi.require_version("Gst", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import Gst, GstPbutils
Gst.init(None)
try:
    uri = Gst.filename_to_uri(sys.argv[1])
    info = GstPbutils.Discoverer.new(10 * Gst.SECOND).discover_uri(uri)
except Exception:
    sys.exit(1)
sys.exit(0 if info.get_audio_streams() else 1)
PY
      return
    fi
  done
  if command -v ffprobe >/dev/null 2>&1; then
    [ -n "$(ffprobe -v error -select_streams a -show_entries stream=index -of csv=p=0 "$1")" ]
    return
  fi
  echo "$0: neither PyGObject nor ffprobe found to look for sound: it is left out" >&2
  return 1
}
audio_branch=""
if [ "${AUDIO:-1}" != 0 ] && has_audio "$in"; then
  if [ -n "${FRAMES:-}" ]; then
    echo "$0: FRAMES is set: the sound is left out (it would not end with the frames)" >&2
  else
    # Up to 10 s of sound may wait for the slow video side before qtmux interleaves it.
    audio_branch="d. ! audio/x-raw ! queue max-size-buffers=0 max-size-bytes=0 \
      max-size-time=10000000000 ! audioconvert ! audioresample ! avenc_aac ! mux."
  fi
fi

# shellcheck disable=SC2086  # $audio_branch is a list of pipeline words
gst-launch-1.0 -q -e filesrc location="$in" ! decodebin name=d \
  d. ! video/x-raw ! queue \
  ! videoconvert ! videoscale ! "$size_caps" ! "$@" \
  ! videoconvert ! avenc_prores_ks ! mux. \
  $audio_branch \
  qtmux name=mux ! filesink location="$out"
echo "wrote $out"
