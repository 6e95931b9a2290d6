#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora, tests/fuzz/corpus/<target>/, from tests/data, the
shipped default model and a few files crafted here (standard library and Debian's ffmpeg
only). Run from anywhere; it rewrites the seeds it makes (file names seed-*) and leaves
regression inputs (regress-*, added by hand when a finding is fixed) alone.

    python3 tests/fuzz/make_corpus.py
"""
import glob
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def target_dir(name):
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    for f in glob.glob(os.path.join(d, "seed-*")):
        os.remove(f)
    return d


def write(d, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# --- safetensors -------------------------------------------------------------------------

DTYPE_SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2,
              "I8": 1, "U8": 1, "BOOL": 1}


def safetensors(tensors, metadata=None, raw_form=True):
    """tensors: [(name, dtype, shape)]; data bytes are a counting pattern."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape in tensors:
        n = DTYPE_SIZE[dtype]
        for s in shape:
            n *= s
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":")).encode()
    data = bytes(i % 251 for i in range(offset))
    if not raw_form:  # the fuzzer's '{' form: header, NUL, data
        return text + b"\0" + data
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def make_safetensors():
    d = target_dir("safetensors")
    write(d, "f32.safetensors", safetensors([("w", "F32", [2, 3])]))
    write(d, "every-dtype.safetensors",
          safetensors([(k.lower(), k, [2]) for k in DTYPE_SIZE], {"format": "pt"}))
    write(d, "scalar-and-empty.safetensors",
          safetensors([("scalar", "F32", []), ("empty", "F16", [0, 4]), ("b", "BF16", [1, 1, 2])]))
    write(d, "metadata-only.safetensors", safetensors([], {"format": "pt", "k": "v"}))
    write(d, "form-f16.bin", safetensors([("a.weight", "F16", [4, 2]), ("a.bias", "F16", [4])],
                                         raw_form=False))
    write(d, "form-i64.bin", safetensors([("ids", "I64", [3])], {"x": "y"}, raw_form=False))
    # The header of the shipped model's text encoder (keys, shapes, offsets as exported),
    # without its data: the offsets then lie past the end.
    real = read(os.path.join(ROOT, "models", "amused-default", "text_encoder",
                             "model.fp16.safetensors"))
    n = struct.unpack("<Q", real[:8])[0]
    write(d, "real-header.bin", real[8:8 + n].rstrip(b" "))
    write(d, "real-truncated.safetensors", real[:8 + n + 64])
    write(d, "too-short.safetensors", b"\x10\0\0")


# --- configs -----------------------------------------------------------------------------

def make_config():
    d = target_dir("config")
    folders = [os.path.join(DATA, "amused-tiny"), os.path.join(ROOT, "models", "amused-default")]
    folders += sorted(glob.glob(os.path.join(DATA, "variants", "variant-*")))
    real = os.path.join(ROOT, "..", "shared", "fixtures", "real-configs")
    folders += sorted(glob.glob(os.path.join(real, "amused-*")))
    files = [("0", "model_index.json"), ("1", "transformer/config.json"),
             ("2", "vqvae/config.json"), ("3", "text_encoder/config.json"),
             ("4", "scheduler/scheduler_config.json"), ("5", "generation_config.json")]
    seen = set()
    for folder in folders:
        for sel, rel in files:
            p = os.path.join(folder, rel)
            if not os.path.exists(p):
                continue
            body = read(p)
            if body in seen:
                continue
            seen.add(body)
            name = os.path.basename(folder) + "-" + rel.replace("/", "-")
            write(d, sel + "-" + name, sel.encode() + body)
    write(d, "5-generation-empty.json", b"5{}")
    index = {"metadata": {"total_size": 1234},
             "weight_map": {"text_model.a": "model-00001-of-00002.safetensors",
                            "text_model.b": "model-00002-of-00002.safetensors",
                            "text_projection.weight": "model-00001-of-00002.safetensors"}}
    write(d, "6-index.json", b"6" + json.dumps(index, indent=2).encode())


# --- tokenizer ---------------------------------------------------------------------------

def make_tokenizer():
    d = target_dir("tokenizer")
    texts = []
    golden = os.path.join(DATA, "clip-tokenizer", "golden")
    for case in json.load(open(os.path.join(golden, "tokens.json")))["cases"]:
        texts.append(case["prompt"])
    for name in ("extra_tokens.json", "ftfy_fix_text.json"):
        for case in json.load(open(os.path.join(golden, name)))["cases"]:
            texts.append(case.get("text", case.get("prompt", "")))
    # Every fifth case (of ~800): the first cases are prompts, the later ones mojibake,
    # entities and other scripts, so the sample spans them all.
    for i, t in enumerate(list(dict.fromkeys(texts))[::5]):
        write(d, "%03d.txt" % i, t.encode("utf-8", "surrogatepass"))
    # Bytes that are not UTF-8 (Latin-1, a lone continuation byte, a truncated sequence).
    write(d, "latin1.txt", "caf\xe9 cr\xe8me".encode("latin-1"))
    write(d, "bad-utf8.txt", b"a \x80 b \xe2\x82 c \xf0\x9f\x98")


# --- PNG ---------------------------------------------------------------------------------

def make_png():
    d = target_dir("png")
    for p in sorted(glob.glob(os.path.join(DATA, "media", "*.png"))):
        write(d, os.path.basename(p), read(p))


# --- video -------------------------------------------------------------------------------

def ffmpeg(args, out):
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"] + args + [out]
    subprocess.run(cmd, check=True)


def make_video():
    d = target_dir("video")
    tmp = tempfile.mkdtemp()
    try:
        src = ["-f", "lavfi", "-i", "testsrc2=size=32x24:rate=8:duration=0.5"]
        clips = [
            ("h264.mp4", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]),
            ("h264-bframes.mkv", ["-c:v", "libx264", "-preset", "medium", "-bf", "2"]),
            ("mpeg4.avi", ["-c:v", "mpeg4", "-q:v", "8"]),
            ("mpeg2.mpg", ["-c:v", "mpeg2video", "-q:v", "8", "-r", "25"]),
            ("vp8.webm", ["-c:v", "libvpx", "-b:v", "50k"]),
            ("vp9.mkv", ["-c:v", "libvpx-vp9", "-b:v", "50k", "-deadline", "realtime"]),
            ("theora.ogv", ["-c:v", "libtheora", "-q:v", "3"]),
            ("prores.mov", ["-c:v", "prores_ks", "-profile:v", "0"]),
            ("mjpeg.avi", ["-c:v", "mjpeg", "-q:v", "10", "-pix_fmt", "yuvj420p"]),
            ("ffv1.mkv", ["-c:v", "ffv1"]),
            ("gif.gif", ["-c:v", "gif"]),
            ("png.mov", ["-c:v", "png"]),
        ]
        for name, args in clips:
            out = os.path.join(tmp, name)
            ffmpeg(src + args + ["-an"], out)
            write(d, name, read(out))
        # Variable frame rate with sound, as tests/data/footage/birds-vfr.mp4 is made.
        out = os.path.join(tmp, "vfr-audio.mp4")
        ffmpeg(src + ["-f", "lavfi", "-i", "sine=duration=0.5:sample_rate=8000",
                      "-vf", "select='not(mod(n\\,3))'", "-fps_mode", "vfr",
                      "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "16k"],
               out)
        write(d, "vfr-audio.mp4", read(out))
        # The first packets of a real file (the demuxer's view of real footage).
        write(d, "base_pal-head.mpg", read(os.path.join(DATA, "footage", "base_pal.mpg"))[:12288])
    finally:
        shutil.rmtree(tmp)


# --- strings -----------------------------------------------------------------------------

def make_strings():
    d = target_dir("strings")
    seeds = {
        "precision": ["0fp32", "0bf16", "0int8"],
        "cfa": ["1none", "1first", "1first-and-previous"],
        "motion": ["2none", "2pan-left", "2pan-right", "2pan-up", "2pan-down", "2zoom-in",
                   "2zoom-out"],
        "device": ["3cpu", "3cuda", "3cuda:0", "3cuda:12"],
        "seconds": ["412", "412.5", "4.25", "40.040", "4999999.999999"],
        "argv": ["5--frames\x0048\x00--seed\x0018446744073709551615",
                 "5-n\x00-3\x00--strength=0.25\x00-g\x007.5",
                 "5--prompt\x00a cat\x00--no-audio\x00--\x00",
                 "5--frames=2147483648\x00--guidance-scale\x00inf"],
        "fps": ["630", "629.97", "630000/1001", "64294967.297", "64294967297/1", "6240.0005",
                "6 30", "630/1x"],
    }
    for group, values in seeds.items():
        for i, v in enumerate(values):
            write(d, "%s-%d" % (group, i), v)


def main():
    for make in (make_safetensors, make_config, make_tokenizer, make_png, make_video,
                 make_strings):
        make()
    for name in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, name))
        size = sum(os.path.getsize(os.path.join(CORPUS, name, f)) for f in files)
        print("%-12s %3d files %7d bytes" % (name, len(files), size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
