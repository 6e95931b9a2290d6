#!/usr/bin/python3
"""Formats the RESULT and PROFILE lines bench/compare-reference.sh collected into one
markdown table: the machine, each configuration's seconds per image and peak RSS, the ratio
of our fastest to the reference's fastest, and where each configuration's time goes."""
import glob
import os
import sys


def parse(path):
    results, profile = {}, {}
    for line in open(path):
        words = line.split()
        if not words or words[0] not in ("RESULT", "PROFILE", "MACHINE"):
            continue
        fields, rest = {}, []
        for w in words[1:]:
            if "=" in w and not rest:
                k, v = w.split("=", 1)
                fields[k] = v
                if k == "part":
                    rest.append(v)
            elif rest:
                rest.append(w)
        if words[0] == "PROFILE":
            profile[" ".join(rest)] = float(fields["seconds"])
        else:
            results.update(fields)
    return results, profile


def main(work):
    machine, _ = parse(os.path.join(work, "machine.txt"))
    columns = []  # (label, results, profile)
    for name in ["ref-fp32", "ref-fp32-best", "ref-bf16", "ours-fp32", "ours-bf16", "ours-int8"]:
        path = os.path.join(work, name + ".txt")
        if not os.path.exists(path):
            continue
        results, profile = parse(path)
        side = "reference" if name.startswith("ref") else "libamused"
        precision = results["precision"]
        if precision.startswith("fp32:"):
            precision = "fp32, OpenBLAS " + precision.split(":")[1]
        columns.append(("%s %s" % (side, precision), results, profile))

    print("Machine: %s, %s threads; avx512_bf16 %s, avx512_vnni %s, amx_bf16 %s, amx_int8 %s; "
          "OpenBLAS kernel as set: %s" % (machine["cpu"], machine["threads"], machine["avx512_bf16"],
                                          machine["avx512_vnni"], machine["amx_bf16"],
                                          machine["amx_int8"], machine["openblas_kernel"]))
    print()
    print("| configuration | s / image | peak RSS |")
    print("|---|---|---|")
    for label, results, _ in columns:
        print("| %s | %.2f | %.2f GiB |" % (label, float(results["image_s"]),
                                            float(results["peak_rss_gib"])))
    ref = [float(r["image_s"]) for label, r, _ in columns if label.startswith("reference")]
    ours = [(float(r["image_s"]), label) for label, r, _ in columns if label.startswith("libamused")]
    if ref and ours:
        best_ours, label = min(ours)
        print()
        print("Our fastest (%s) / the reference's fastest: **%.2fx** the time (%.2f s against %.2f s)."
              % (label.split(" ", 1)[1], best_ours / min(ref), best_ours, min(ref)))
    print()
    parts = []
    for _, _, profile in columns:
        for part in profile:
            if part not in parts:
                parts.append(part)
    print("| part (seconds, one image) | " + " | ".join(label for label, _, _ in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for part in parts:
        print("| %s | " % part + " | ".join(
            "%.2f" % profile[part] if part in profile else "-" for _, _, profile in columns) + " |")
    print("| **total** | " + " | ".join("%.2f" % sum(p.values()) for _, _, p in columns) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
