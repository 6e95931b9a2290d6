#!/usr/bin/python3
"""The reference implementation (diffusers v0.27.2, transformers v4.38.2) timed on the real
amused-256 architecture with random weights, as ../shared/reference/time_amused256.py does,
plus where one image's time goes, with the same part names as amused-bench-image --profile.

    HF_HUB_OFFLINE=1 PYTHONPATH=$REF/site REF=$REF DTYPE=float32|bfloat16 \\
        /usr/bin/python3 bench/reference_profile.py

Prints RESULT and PROFILE lines for bench/compare-reference.sh. Module times come from
forward hooks, exclusive of the timed modules nested in them, so the parts add up to the
whole; the hooks themselves cost a few milliseconds per image.
"""
import os
import resource
import sys
import time

import torch

REFERENCE = os.environ.get("REFERENCE", os.path.join(os.path.dirname(__file__), "..", "..",
                                                      "shared", "reference"))
sys.path.insert(0, REFERENCE)
import make_goldens as mf  # noqa: E402  (the tokenizer and its compat shim)
import time_amused256 as ref  # noqa: E402  (the architecture's configs)

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
from diffusers import AmusedPipeline, AmusedScheduler, UVit2DModel, VQModel  # noqa: E402
from transformers import CLIPTextConfig, CLIPTextModelWithProjection  # noqa: E402


class Profile:
    """Exclusive time per part: entering a part pauses the one it is nested in."""

    def __init__(self):
        self.seconds, self.calls = {}, {}
        self.stack = ["other"]
        self.since = time.perf_counter()
        self.on = False

    def _charge(self):
        now = time.perf_counter()
        self.seconds[self.stack[-1]] = self.seconds.get(self.stack[-1], 0.0) + now - self.since
        self.since = now

    def enter(self, name):
        if not self.on:
            return
        self._charge()
        self.calls[name] = self.calls.get(name, 0) + 1
        self.stack.append(name)

    def leave(self):
        if not self.on:
            return
        self._charge()
        if len(self.stack) > 1:
            self.stack.pop()

    def start(self):
        self.seconds, self.calls, self.stack = {}, {}, ["other"]
        self.since, self.on = time.perf_counter(), True

    def stop(self):
        self._charge()
        self.on = False


def hook(profile, module, name):
    module.register_forward_pre_hook(lambda *_: profile.enter(name))
    module.register_forward_hook(lambda *_: profile.leave())


def wrap_method(profile, obj, method, name):
    original = getattr(obj, method)

    def timed(*args, **kwargs):
        profile.enter(name)
        try:
            return original(*args, **kwargs)
        finally:
            profile.leave()

    setattr(obj, method, timed)


def instrument(profile, te, tr, vq, scheduler):
    hook(profile, te, "text encoder")
    hook(profile, tr, "transformer: embedding and conditioning")
    for name, m in tr.named_modules():
        kind = type(m).__name__
        if kind == "ConvNextBlock":
            hook(profile, m, "transformer: conv blocks")
        elif kind == "SkipFFTransformerBlock":
            hook(profile, m, "transformer: conv-stage attention (text)")
        elif kind in ("Downsample2D", "Upsample2D"):
            hook(profile, m, "transformer: down/upsampling")
        elif kind == "BasicTransformerBlock":
            hook(profile, m, "transformer: residuals and copies")
        elif kind == "AdaLayerNormContinuous":
            hook(profile, m, "transformer: norms and modulation")
        elif kind == "FeedForward":
            hook(profile, m, "transformer: feed-forward")
        elif kind == "ConvMlmLayer":
            hook(profile, m, "transformer: logits head")
        elif kind == "Attention" and name.endswith("attn1") and "transformer_layers" in name:
            hook(profile, m, "transformer: self-attention scores, softmax, values")
            for proj in (m.to_q, m.to_k, m.to_v):
                hook(profile, proj, "transformer: self-attention q/k/v")
            hook(profile, m.to_out[0], "transformer: self-attention output")
        elif kind == "Attention" and name.endswith("attn2") and "transformer_layers" in name:
            hook(profile, m, "transformer: cross-attention (text)")
    wrap_method(profile, vq, "decode", "VQ decode")
    wrap_method(profile, scheduler, "step", "scheduler")


def main():
    dtype = getattr(torch, os.environ.get("DTYPE", "float32"))
    folder = os.environ.get("REF_MODEL")
    if folder:
        # As a user loads a checkpoint: the folder amused-bench-image --save-random wrote.
        pipe = AmusedPipeline.from_pretrained(folder, variant="fp16", torch_dtype=dtype)
        te, tr, vq, scheduler = pipe.text_encoder, pipe.transformer, pipe.vqvae, pipe.scheduler
    else:
        torch.manual_seed(0)
        te = CLIPTextModelWithProjection(CLIPTextConfig(**ref.TE)).eval().to(dtype)
        tr = UVit2DModel(**ref.TR).eval().to(dtype)
        vq = VQModel(**ref.VQ).eval().to(dtype)
        scheduler = AmusedScheduler(mask_token_id=8255)
        pipe = AmusedPipeline(vqvae=vq, tokenizer=mf.new_tokenizer(), text_encoder=te,
                              transformer=tr, scheduler=scheduler)
    pipe.set_progress_bar_config(disable=True)
    profile = Profile()
    instrument(profile, te, tr, vq, scheduler)
    name = {"float32": "fp32", "bfloat16": "bf16"}[str(dtype).split(".")[-1]]
    prompt = "a photo of an astronaut riding a horse on mars"

    def image():
        return pipe(prompt, num_inference_steps=12, guidance_scale=10.0,
                    generator=torch.Generator().manual_seed(0)).images[0]

    image()  # first-call costs, as amused-bench-image pays them before timing
    runs = int(os.environ.get("RUNS", "2"))
    best = min(timed(image) for _ in range(runs))
    profile.start()
    t = time.perf_counter()
    image()
    total = time.perf_counter() - t
    profile.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024.0 * 1024.0)
    print("RESULT precision=%s image_s=%.3f peak_rss_gib=%.3f profiled_s=%.3f" % (name, best, peak, total))
    for part, seconds in sorted(profile.seconds.items(), key=lambda kv: -kv[1]):
        print("PROFILE precision=%s seconds=%.4f part=%s" % (name, seconds, part))


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
