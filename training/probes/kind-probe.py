#!/usr/bin/env python3
"""Does a model shape the subject from the caption's kind word, at the first decoding step?

Every token is masked at the first step, so only the caption can say whether the subject is
a tall bottle or a flat car. For each kind this prints where the predicted code distribution
of the lower half moves away from the same scene without a subject (total variation, per
token): the extent of the region where it moves by at least half its peak, in columns and
rows of the token grid, beside the generator's drawn box (training/scene_layout.cc:
bottle 0.36 x 1, box 1 x 0.9, ball 1 x 1, car 1 x 0.5 of the extent). Then how far apart the
kinds' predictions are over the subject's region, beside a colour swap for scale. A model
that binds the kind word shows four different extents and kind distances as large as the
colour's; one that does not shows one blob for all four.

Runs the reference implementation (diffusers v0.27.2) on a model folder; no network:

    HF_HUB_OFFLINE=1 PYTHONPATH=<reference site-packages> /usr/bin/python3 \
        scripts/kind-probe.py models/amused-default
"""
import sys

import torch

from first_step import first_step_probs, load_pipeline

KINDS = {"bottle": (0.36, 1.0), "box": (1.0, 0.9), "ball": (1.0, 1.0), "car": (1.0, 0.5)}
SCENE = "a {} {} {} in the middle on a field under a daytime sky"
EXTENT = {"small": 0.24, "large": 0.42}  # kSizeExtent, in image heights


def moved(probs, base):
    """Per token of the lower half, how far the subject moves the prediction."""
    n = probs.shape[-1]
    return (0.5 * (probs - base).abs().sum(0))[n // 2:]


def extent(tv):
    """Columns and rows where the map reaches half its peak."""
    hot = tv >= 0.5 * tv.max()
    return int(hot.any(0).sum()), int(hot.any(1).sum())


@torch.no_grad()
def main(model_dir):
    torch.set_num_threads(2)
    pipe = load_pipeline(model_dir)
    base = first_step_probs(pipe, "a field under a daytime sky")
    n = base.shape[-1]
    print("| caption | moved region, columns x rows | drawn box, columns x rows |")
    print("|---|---|---|")
    probs = {}
    for size in ["small", "large"]:
        for kind, (w, h) in KINDS.items():
            caption = SCENE.format(size, "red", kind)
            probs[size, kind] = first_step_probs(pipe, caption)
            cols, rows = extent(moved(probs[size, kind], base))
            print(f"| {caption} | {cols} x {rows} | "
                  f"{w * EXTENT[size] * n:.0f} x {h * EXTENT[size] * n:.0f} |")

    # Kind against kind over the region any large kind moves, beside a colour swap.
    region = sum(moved(probs["large", k], base) for k in KINDS) >= 0.1

    def apart(p, q):
        return float(moved(p, q)[region].mean())

    print("\n| large, red, in the middle | TV over the subject's region |")
    print("|---|---|")
    kinds = list(KINDS)
    for i, a in enumerate(kinds):
        for b in kinds[i + 1:]:
            print(f"| {a} / {b} | {apart(probs['large', a], probs['large', b]):.3f} |")
    blue = first_step_probs(pipe, SCENE.format("large", "blue", "box"))
    print(f"| for scale: red / blue box | {apart(probs['large', 'box'], blue):.3f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/amused-default")
