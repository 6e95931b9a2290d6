#!/usr/bin/env python3
"""Does a model draw the sun or moon the caption names, at the first decoding step?

Every token is masked at the first step, so only the caption can put a disc in the sky. This
adds "and the sun" (a daytime sky) or "and the moon" (a night sky) to a caption and prints,
per column, how far it moves the predicted code distribution of the sky rows where the disc
stands (total variation, x100, rows 2-7 of 32: v 0.06-0.25), and the largest probability
any column gives to the codes the VQ encodes a drawn disc with. A model that draws the disc
shows a bump where it expects it; one that leaves the sky plain, and fills the disc's place
with sky before it could ever be drawn, shows a flat line and ~0 disc probability.

Runs the reference implementation (diffusers v0.27.2) on a model folder; no network:

    HF_HUB_OFFLINE=1 PYTHONPATH=<reference site-packages> /usr/bin/python3 \
        scripts/celestial-probe.py models/amused-default
"""
import sys

import torch

from first_step import first_step_probs, load_pipeline

SKY_ROWS = slice(2, 8)
# The generator's disc (training/scene_layout.cc: a daytime sun stands at v 0.12-0.14
# with radius 0.055; training/scene_palette.cc: sun_colour(day), moon_colour()).
DISC_V, DISC_RADIUS = 0.13, 0.055
DISC_COLOUR = {"sun": (255, 236, 120), "moon": (236, 234, 214)}


def disc_codes(pipe, sky_probs, body):
    """The codes of a disc drawn on the model's own first-step sky, at three places in the
    sky band: the codes of the tokens inside the discs that the plain sky does not use."""
    n = sky_probs.shape[-1]
    vq = pipe.vqvae
    shape = (1, n, n, vq.config.latent_channels)
    sky = vq.decode(sky_probs.argmax(0)[None], force_not_quantize=True, shape=shape).sample
    sky = sky.clip(0, 1)
    size = sky.shape[-1]
    yy, xx = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    discs = torch.zeros(size, size, dtype=torch.bool)
    for u in (0.25, 0.5, 0.75):
        discs |= (xx - u * size) ** 2 + (yy - DISC_V * size) ** 2 < (DISC_RADIUS * size) ** 2
    drawn = sky.clone()
    colour = torch.tensor(DISC_COLOUR[body], dtype=torch.float32) / 255
    drawn[0][:, discs] = colour[:, None]

    def encode(image):
        return vq.quantize(vq.encode(image * 2 - 1).latents)[2][2].view(n, n)

    # Only tokens wholly inside a disc: the tokens at its rim also hold sky.
    cell = size // n
    inside = discs.view(n, cell, n, cell).all(3).all(1)
    return sorted(set(encode(drawn)[inside].tolist()) - set(encode(sky).view(-1).tolist()))


@torch.no_grad()
def main(model_dir):
    torch.set_num_threads(1)
    pipe = load_pipeline(model_dir)
    for body, sky in [("sun", "daytime"), ("moon", "night")]:
        text = f"a large red box in the middle on a field under a {sky} sky with hills"
        plain = first_step_probs(pipe, text)
        named = first_step_probs(pipe, f"{text} and the {body}")
        tv = (0.5 * (named - plain).abs().sum(0))[SKY_ROWS].mean(0)
        codes = disc_codes(pipe, plain, body)
        disc = named[codes][:, SKY_ROWS].sum(0).max(0).values
        print(f"| {body}: TV x100 per column | " + " ".join(f"{100 * v:.0f}" for v in tv) + " |")
        print(f"| {body}: disc codes ({len(codes)}), max p per column x100 | " +
              " ".join(f"{100 * v:.0f}" for v in disc) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/amused-default")
