#!/bin/sh
# The reference implementation (diffusers v0.27.2 on Debian's torch 1.13.1) in each of its
# configurations and libamused in each precision, on the same machine in one run, on the
# real amused-256 architecture (random weights, one 256x256 image, 12 steps, guidance 10):
# seconds per image, peak RSS and where the time goes, as one markdown table.
#
#   REF=/path/to/ref bench/compare-reference.sh
#
# REF is the environment ../shared/reference/setup_env.sh builds (development only; nothing
# in the project needs it). Both sides load the same checkpoint folder (written first by
# amused-bench-image --save-random, fp16 files) as a user would, converting at load.
# The reference runs fp32 with OpenBLAS's kernel as the environment sets it, fp32 with the
# best kernel for this processor (OPENBLAS_CORETYPE; skipped when it is the one already in
# use) and bf16. Speeds differ between machines: quote ratios.
set -eu
cd "$(dirname "$0")/.."
: "${REF:?set REF to the reference environment (see ../shared/reference/README.md)}"
BUILD=${BUILD:-./build}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
export REFERENCE=${REFERENCE:-$(cd ../shared/reference && pwd)}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

flags=$(grep -m1 '^flags' /proc/cpuinfo)
has() { case " $flags " in *" $1 "*) echo yes ;; *) echo no ;; esac; }
python_ref() {
  env HF_HUB_OFFLINE=1 PYTHONPATH="$REF/site" REF="$REF" REF_MODEL="$WORK/amused-256" "$@" \
    /usr/bin/python3 bench/reference_profile.py
}
kernel=$(env OPENBLAS_VERBOSE=2 /usr/bin/python3 -c 'import torch; torch.ones(64, 64) @ torch.ones(64, 64)' 2>&1 |
  sed -n 's/^Core: //p' | head -1)
if [ "$(has avx512_bf16)" = yes ]; then best=Cooperlake
elif [ "$(has avx512f)" = yes ]; then best=SkylakeX
elif [ "$(has avx2)" = yes ]; then best=Haswell
else best=$kernel; fi

{
  echo "MACHINE cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') threads=$OMP_NUM_THREADS" \
    "avx512_bf16=$(has avx512_bf16) avx512_vnni=$(has avx512_vnni) amx_bf16=$(has amx_bf16)" \
    "amx_int8=$(has amx_int8) openblas_kernel=$kernel best_kernel=$best"
} >"$WORK/machine.txt"

"$BUILD/bench/amused-bench-image" --save-random "$WORK/amused-256" >&2
echo "reference, fp32, OpenBLAS $kernel (as the environment sets it)" >&2
python_ref DTYPE=float32 | sed "s/precision=fp32/precision=fp32:$kernel/" >"$WORK/ref-fp32.txt"
if [ "$best" != "$kernel" ]; then
  echo "reference, fp32, OpenBLAS $best (OPENBLAS_CORETYPE)" >&2
  python_ref DTYPE=float32 OPENBLAS_CORETYPE=$best | sed "s/precision=fp32/precision=fp32:$best/" \
    >"$WORK/ref-fp32-best.txt"
fi
echo "reference, bf16" >&2
python_ref DTYPE=bfloat16 >"$WORK/ref-bf16.txt"
for p in fp32 bf16 int8; do
  echo "libamused, $p" >&2
  "$BUILD/bench/amused-bench-image" --model "$WORK/amused-256" --precision $p --profile \
    --no-matmuls --runs 2 >"$WORK/ours-$p.txt"
done
/usr/bin/python3 bench/compare_table.py "$WORK"
