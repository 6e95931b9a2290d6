#!/bin/sh
# Times the reference Python implementation (diffusers v0.27.2 on Debian's torch 1.13.1)
# and libamused on the real amused-256 architecture with random weights, in turn on the
# same machine, and prints both. Speeds differ between machines of one kind (AVX2 or
# AVX-512/AMX): quote the ratio, not the seconds.
#
#   REF=/path/to/ref bench/compare-reference.sh [fp32|bf16]
#
# REF is the environment built by ../shared/reference/setup_env.sh (development only;
# nothing in the project needs it).
set -eu
cd "$(dirname "$0")/.."
DTYPE=${1:-fp32}
: "${REF:?set REF to the reference environment (see ../shared/reference/README.md)}"
REFERENCE=${REFERENCE:-../shared/reference}
case "$DTYPE" in
  fp32) PYDTYPE=float32 ;;
  bf16) PYDTYPE=bfloat16 ;;
  *) echo "usage: $0 [fp32|bf16]" >&2; exit 2 ;;
esac
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
echo "== reference ($DTYPE, $OMP_NUM_THREADS threads)"
/usr/bin/time -f "reference peak RSS %M KB, wall %e s" env HF_HUB_OFFLINE=1 PYTHONPATH="$REF/site" REF="$REF" \
  DTYPE=$PYDTYPE /usr/bin/python3 "$REFERENCE/time_amused256.py"
echo "== libamused ($DTYPE, $OMP_NUM_THREADS threads)"
/usr/bin/time -f "libamused peak RSS %M KB, wall %e s" \
  ${BUILD:-./build}/bench/amused-bench-image --precision "$DTYPE" --runs 1 --threads "$OMP_NUM_THREADS"
