#!/usr/bin/env python3
"""embed.py: amusedsrc inside a Python application (PyGObject), the twin of embed.cc.

Builds `amusedsrc ! appsink`, pulls the frames, changes the prompt while PLAYING after
--switch-after frames and prints one line per frame. Exits 0 at EOS, 1 on a pipeline error
(printed), 2 on bad arguments.

    python3 examples/embed.py --frames 12 --switch-after 6

Needs python3-gi, gir1.2-gstreamer-1.0 and gir1.2-gst-plugins-base-1.0 (Debian packages,
installed by scripts/install-deps.sh). They belong to Debian's python3: if `python3` is
another interpreter (pyenv, a virtualenv), run /usr/bin/python3 examples/embed.py.

Each buffer carries GstAmusedMeta, a C struct, and the same fields as a GstCustomMeta named
"GstAmusedFrameInfo" whose GstStructure Python reads (GStreamer >= 1.20): frame index, steps
run, tokens regenerated, camera position, prompt. This prints them with the timestamp, caps,
buffer size and pixel range.
"""

import argparse
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import Gst, GstApp, GstVideo  # noqa: E402,F401  (after require_version)


def find_plugin():
    """Run from the source tree without installing: use the build tree's plugin
    ($AMUSED_BUILD_DIR, default `build` next to examples/) when none is registered."""
    if Gst.ElementFactory.find("amusedsrc"):
        return
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.environ.get("AMUSED_BUILD_DIR") or os.path.join(here, "..", "build")
    Gst.Registry.get().scan_path(os.path.join(build, "plugin"))


def parse_args():
    p = argparse.ArgumentParser(description="amusedsrc in a Python application")
    p.add_argument("--frames", "-n", type=int, default=12, help="frames to generate")
    p.add_argument("--switch-after", "-s", type=int, default=6,
                   help="change the prompt after this many frames (0 = never)")
    p.add_argument("--prompt", "-p", default="a lighthouse on a cliff at dusk")
    p.add_argument("--second-prompt", default="a lighthouse on a cliff at night, stars")
    p.add_argument("--model", "-m", help="checkpoint folder (default: the embedded model)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--snapshot", metavar="FILE", help="save the last frame as a PNG")
    args = p.parse_args()
    if args.frames < 1 or args.switch_after < 0 or args.seed < 0:
        p.error("--frames must be >= 1; --switch-after and --seed >= 0")
    return args


def describe(sample, n, src):
    buf = sample.get_buffer()
    caps = sample.get_caps().get_structure(0)
    ok, info = buf.map(Gst.MapFlags.READ)
    lo, hi = (min(info.data), max(info.data)) if ok else (0, 0)
    if ok:
        buf.unmap(info)
    line = "frame %d pts %.3f s %dx%d %s %d bytes range %d..%d" % (
        n, buf.pts / Gst.SECOND, caps.get_value("width"), caps.get_value("height"),
        caps.get_value("format"), buf.get_size(), lo, hi)
    meta = buf.get_custom_meta("GstAmusedFrameInfo")
    if meta is None:
        return line + " | no frame info"
    info = meta.get_structure()
    return line + " | index %d steps %d/%d tokens %d/%d camera %d,%d %.1f ms%s \"%s\"" % (
        info.get_value("frame-index"), info.get_value("steps-run"), info.get_value("steps"),
        info.get_value("tokens-regenerated"), info.get_value("tokens-total"),
        info.get_value("camera-x"), info.get_value("camera-y"),
        info.get_value("generation-time") / 1e6,
        " keyframe" if info.get_value("keyframe") else "", info.get_value("prompt"))


def save_png(sample, path):
    """Encodes the frame with GStreamer's own converter (pngenc under the hood)."""
    png = GstVideo.video_convert_sample(sample, Gst.Caps.from_string("image/png"),
                                        10 * Gst.SECOND)
    buf = png.get_buffer()
    with open(path, "wb") as f:
        f.write(buf.extract_dup(0, buf.get_size()))


def main():
    args = parse_args()
    Gst.init(None)
    find_plugin()

    src = Gst.ElementFactory.make("amusedsrc", "src")
    sink = Gst.ElementFactory.make("appsink", "sink")
    if not src or not sink:
        print("embed.py: cannot create amusedsrc: is the amused plugin installed "
              "(or on GST_PLUGIN_PATH)?", file=sys.stderr)
        return 1
    src.set_property("prompt", args.prompt)
    src.set_property("seed", args.seed)
    src.set_property("num-buffers", args.frames)
    if args.model:
        src.set_property("model", args.model)
    # No clock sync: frames as fast as they are generated; a small queue bounds memory.
    sink.set_property("sync", False)
    sink.set_property("max-buffers", 4)

    pipeline = Gst.Pipeline.new("embed")
    pipeline.add(src)
    pipeline.add(sink)
    src.link(sink)
    bus = pipeline.get_bus()

    errors = []
    n = 0
    last = None
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        # The element posted why (e.g. the model folder does not exist).
        errors.append(bus.pop_filtered(Gst.MessageType.ERROR))
    while not errors:
        # Poll with a timeout: after an error no EOS ever reaches the appsink.
        sample = sink.try_pull_sample(100 * Gst.MSECOND)
        if sample:
            print(describe(sample, n, src), flush=True)
            last = sample
            n += 1
            if n == args.switch_after:
                # Mutable in PLAYING: applies from the next frame generated.
                print('-- prompt -> "%s"' % args.second_prompt, flush=True)
                src.set_property("prompt", args.second_prompt)
            continue
        msg = bus.pop_filtered(Gst.MessageType.ERROR | Gst.MessageType.EOS)
        if msg and msg.type == Gst.MessageType.ERROR:
            errors.append(msg)
        elif msg or sink.is_eos():
            break

    for msg in errors:
        if msg is None:
            print("embed.py: cannot start the pipeline", file=sys.stderr)
            continue
        err, debug = msg.parse_error()
        print("embed.py: error from %s: %s\n%s" % (msg.src.get_name(), err.message, debug or ""),
              file=sys.stderr)
    average_ms = src.get_property("average-frame-ms")
    pipeline.set_state(Gst.State.NULL)
    if errors:
        return 1
    if args.snapshot and last:
        save_png(last, args.snapshot)
        print("wrote %s" % args.snapshot)
    print("%d frames, %.1f ms per frame" % (n, average_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
