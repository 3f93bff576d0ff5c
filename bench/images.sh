#!/bin/sh
# bench/images.sh DNNF MODEL... -- 2.5-D memory on a GPU (docs/layout.md §4,
# "Activations in image2d_t"): per model, the fused run checked with images
# on, then ROUNDS interleaved rounds of `dnnf bench` in three settings:
#   buffer   the default: operands read from buffers, element loads
#   vload4   DNNF_GPU_AVEC=1: the same operands four floats at a time
#   image2d  DNNF_IMAGES=1: weights and activations through image2d_t
#            (images over the activations' own buffers)
# and prints one table (medians in ms, and the image2d/buffer ratio).
# Environment: DEVICE (gpu), RUNS (20), ROUNDS (2), TIMEOUT (300).  On a
# device without images over buffers (PoCL) the image2d setting reads
# only weights from images; DNNF_IMAGE_COPY=1 is a test mode, not timed.
set -u
dnnf=$1
shift
DEVICE=${DEVICE:-gpu}
RUNS=${RUNS:-20}
ROUNDS=${ROUNDS:-2}
TIMEOUT=${TIMEOUT:-300}
. "$(dirname "$0")/nvidia_icd.sh"
median() { # setting model -> the median, or "-"
    case $1 in
    vload4) export DNNF_GPU_AVEC=1 ;;
    image2d) export DNNF_IMAGES=1 ;;
    esac
    ms=$(timeout "$TIMEOUT" "$dnnf" bench "$2" --device "$DEVICE" --json --runs "$RUNS" 2>/dev/null |
        grep -o '"latency_ms": [0-9.]*' | grep -o '[0-9.]*$')
    unset DNNF_GPU_AVEC DNNF_IMAGES
    echo "${ms:--}"
}
rows=""
for m in "$@"; do
    n=$(basename "$m")
    n=${n%.*}
    chk=$(DNNF_IMAGES=1 timeout "$TIMEOUT" "$dnnf" run "$m" --device "$DEVICE" --random-weights 1 --check 2>&1)
    # the device the runs use (dnnf devices marks the default one instead)
    [ -n "${on:-}" ] || on=$(echo "$chk" | sed -n 's/^fused run of .* on \(.*\): [0-9]* compute ops.*/\1/p' | head -1)
    img=$(echo "$chk" | grep -o "image2d_t: .*" | sed 's/ kernels read weights from an image, /w, /; s/ read an activation through an image.*/a/; s/image2d_t: //')
    worst=$(echo "$chk" | grep -o "([0-9.e+-]* of max)" | tr -d '(' | sort -g -k1 | tail -1 | cut -d' ' -f1)
    echo "$chk" | grep -q MISMATCH && worst="MISMATCH $worst"
    r=1
    while [ $r -le "$ROUNDS" ]; do
        b=$(median buffer "$m")
        v=$(median vload4 "$m")
        i=$(median image2d "$m")
        ratio=$(awk -v b="$b" -v i="$i" 'BEGIN { if (b + 0 > 0 && i + 0 > 0) printf "%.3f", i / b; else print "-" }')
        line="| $n | $r | $b | $v | $i | $ratio | ${img:--} | ${worst:--} |"
        echo "$line"
        rows="$rows$line
"
        r=$((r + 1))
    done
done
echo
echo "on ${on:-$DEVICE} (activations go through images only where it makes them over buffers: dnnf devices)"
echo "| model | round | buffer ms | vload4 ms | image2d ms | image2d / buffer | images (weights, activations) | worst error / max (images) |"
echo "|---|---:|---:|---:|---:|---:|---|---|"
printf "%s" "$rows"
