#!/usr/bin/env bash
# Dev-only: the BLAS kernels VolSAM could run on this host, measured in alternating rounds of `volsam bench`
# (sgemm on the encoder's shape, the encoder per slice, the decoder per prompt): each OpenBLAS core this CPU can
# run (OPENBLAS_CORETYPE), and BLIS (Debian's libblis4-pthread, through LD_PRELOAD of its cblas_sgemm) when
# installed. VolSAM picks OpenBLAS's core at start-up (Tensor/BLASCore.swift); this is how that choice was made.
#   tools/bench/blas_cores.sh [ROUNDS]      (after `make build`)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
BIN=.build/release/volsam
flags=$(grep -m1 '^flags' /proc/cpuinfo)
cores="Prescott"
echo "$flags" | grep -qw avx2 && cores="$cores Haswell Zen"
echo "$flags" | grep -qw avx512f && cores="$cores SkylakeX Cooperlake"
BLIS=$(ls /usr/lib/x86_64-linux-gnu/libblis.so.* 2>/dev/null | head -1 || true)
[ -n "$BLIS" ] && cores="$cores BLIS"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-); $(nproc) threads; $ROUNDS rounds, engines alternating"
declare -A results
for round in $(seq "$ROUNDS"); do
    for core in $cores; do
        if [ "$core" = BLIS ]; then
            out=$(LD_PRELOAD=$BLIS BLIS_NUM_THREADS=1 OPENBLAS_CORETYPE=SkylakeX $BIN bench --slices 1 --prompts 10 --json)
        else
            out=$(OPENBLAS_CORETYPE=$core $BIN bench --slices 1 --prompts 10 --json)
        fi
        results[$core]+=$(echo "$out" | python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.0f/%.0f/%.1f" % (j["sgemm_gflops"], j["encoder_ms_per_slice"], j["decoder_ms_per_prompt"]), end=" ")')
    done
done
echo "per round: sgemm GFLOPS / encoder ms per slice / decoder ms per prompt"
for core in $cores; do printf "  %-12s %s\n" "$core" "${results[$core]}"; done
