#!/usr/bin/env python3
"""Does a model place the subject from the caption's position word?

At the first decoding step every token is masked, so the only thing that can put a subject
"at the left" is the caption. This swaps "left" for "right" in held-out-style captions and
prints, per third of the image (columns), the total-variation distance between the two code
distributions the transformer predicts, averaged over the lower rows where subjects stand.
A model that places subjects by the word shows large distances on both sides; one that
ignores it shows ~0 everywhere. The last row swaps the colour word instead, for scale.
Then, per column, how far each position's caption moves the lower half away from the same
scene without a subject: where the model expects the subject, for each word. Last, how far
apart the down block's features are for the columns where subjects stand at the left and at
the right (27% and 73% of the width, the generator's kPositionU): ~0 means the model cannot
tell the two places apart.

Runs the reference implementation (diffusers v0.27.2) on a model folder; no network:

    HF_HUB_OFFLINE=1 PYTHONPATH=<reference site-packages> /usr/bin/python3 \
        scripts/position-probe.py models/amused-default
"""
import sys

import torch

from first_step import first_step_probs, load_pipeline


def tv_by_thirds(p, q):
    """Total-variation distance per column over the lower half, averaged per third."""
    n = p.shape[-1]
    tv = 0.5 * (p - q).abs().sum(0)[n // 2:].mean(0)
    return [tv[: n // 3].mean(), tv[n // 3: 2 * n // 3].mean(), tv[2 * n // 3:].mean()]


def row(label, thirds):
    print(f"| {label} | " + " | ".join(f"{v:.3f}" for v in thirds) + " |")


@torch.no_grad()
def main(model_dir):
    torch.set_num_threads(1)
    pipe = load_pipeline(model_dir)
    print("| caption (left / right) | TV left third | middle | right third |")
    print("|---|---|---|---|")
    text = "a {} at the {} on a field under a daytime sky"
    for subject in ["large red box", "large blue ball", "small yellow car", "large white bottle"]:
        row(text.format(subject, "…"),
            tv_by_thirds(first_step_probs(pipe, text.format(subject, "left")),
                         first_step_probs(pipe, text.format(subject, "right"))))
    # For scale: the same distance when the colour word changes instead.
    text = "a large {} box at the left on a field under a daytime sky"
    row("for scale: red / blue in " + text.format("…"),
        tv_by_thirds(first_step_probs(pipe, text.format("red")),
                     first_step_probs(pipe, text.format("blue"))))

    # Where the subject is expected: the distance to the subject-less caption, per column.
    # The down block's output for the first caption is kept for the last line.
    base = first_step_probs(pipe, "a field under a daytime sky")
    features = {}
    hook = pipe.transformer.down_block.register_forward_hook(
        lambda module, inputs, output: features.setdefault("down", output))
    n = base.shape[-1]
    print()
    print("| caption | subject expected per column, lower half (TV to no subject, x10) |")
    print("|---|---|")
    for phrase in ["at the left", "in the middle", "at the right"]:
        p = first_step_probs(pipe, f"a large red box {phrase} on a field under a daytime sky")
        per_column = (0.5 * (p - base).abs().sum(0))[n // 2:].mean(0)
        print(f"| {phrase} | " + " ".join(f"{10 * v:.0f}" for v in per_column) + " |")
    hook.remove()

    down = features["down"][0]  # [channels, rows, columns]
    middle = down[:, down.shape[1] // 2]
    left, right = round(0.27 * middle.shape[1]), round(0.73 * middle.shape[1])
    apart = (middle[:, left] - middle[:, right]).norm() / middle.norm(dim=0).mean()
    print(f"\ndown block features, columns {left} and {right} of {middle.shape[1]} (middle row): "
          f"{apart:.4f} apart, relative to their size")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/amused-default")
