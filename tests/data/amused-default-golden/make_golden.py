#!/usr/bin/env python3
"""Golden outputs of the shipped default model (models/amused-default), made by the
reference implementation: diffusers v0.27.2 `AmusedPipeline.from_pretrained(variant="fp16")`,
computing in fp32 from the fp16 weight files as the engine does on CPU.

It shows that diffusers itself loads and runs the model the project trains, and gives
tests/train a reference the engine did not produce. Rerun it after retraining the model,
in an environment with the reference implementation installed (diffusers v0.27.2,
transformers v4.38.2, Debian's torch; no network):

    HF_HUB_OFFLINE=1 PYTHONPATH=<reference site-packages> /usr/bin/python3 make_golden.py \
        ../../../models/amused-default .

Writes golden.json (prompt, seed, steps, guidance, token grid [rows][cols] per case) and
case-N.png (the decoded image, 8-bit, as AmusedPipeline's PIL output).
"""
import json
import os
import sys

import numpy as np
import torch
from diffusers import AmusedPipeline
from PIL import Image


def compat_added_token():
    """transformers 4.38 without the optional `tokenizers` package falls back to an unhashable
    dataclass AddedToken, which breaks the slow CLIPTokenizer (the project's reference harness
    does the same): give it hash/eq on its content. No numerical code is touched."""
    import transformers.tokenization_utils_base as tub
    from transformers.utils import is_tokenizers_available

    if is_tokenizers_available():
        return
    added = tub.AddedToken
    added.__hash__ = lambda self: hash(self.content)
    added.__eq__ = lambda self, other: isinstance(other, added) and self.content == other.content
    if not hasattr(added, "__setstate__"):
        added.__setstate__ = lambda self, state: self.__dict__.update(state)


compat_added_token()

CASES = [
    ("a red car on a road under a sunset sky with mountains", 0),
    ("a small yellow ball on a beach under a daytime sky", 3),
    ("a green bottle in front of a city skyline at night", 7),
]
STEPS = 12


def main(model_dir, out_dir):
    torch.set_num_threads(1)
    pipe = AmusedPipeline.from_pretrained(model_dir, variant="fp16", torch_dtype=torch.float32)
    size = pipe.transformer.config.sample_size * pipe.vae_scale_factor
    # The scale the model folder recommends (generation_config.json, which diffusers itself
    # does not read): the engine uses it when a caller leaves guidance unset.
    with open(os.path.join(model_dir, "generation_config.json")) as f:
        guidance = json.load(f)["guidance_scale"]
    cases = []
    for i, (prompt, seed) in enumerate(CASES):
        kwargs = dict(height=size, width=size, num_inference_steps=STEPS, guidance_scale=guidance)
        tokens = pipe(prompt, generator=torch.Generator().manual_seed(seed), output_type="latent",
                      **kwargs).images
        image = pipe(prompt, generator=torch.Generator().manual_seed(seed), output_type="pil",
                     **kwargs).images[0]
        image.save(os.path.join(out_dir, f"case-{i}.png"))
        cases.append(dict(prompt=prompt, seed=seed, steps=STEPS, guidance_scale=guidance,
                          size=size, tokens=tokens[0].tolist(), image=f"case-{i}.png"))
        print(f"case {i}: {prompt!r} seed {seed}: tokens {tuple(tokens.shape)}, "
              f"{len(np.unique(tokens.numpy()))} distinct")
    with open(os.path.join(out_dir, "golden.json"), "w") as f:
        json.dump(dict(reference="diffusers v0.27.2 AmusedPipeline, fp16 variant files, fp32",
                       cases=cases), f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
