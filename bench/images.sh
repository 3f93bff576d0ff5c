#!/bin/sh
# bench/images.sh DNNF MODEL... -- 2.5-D memory on a GPU (docs/layout.md §4,
# "Activations in image2d_t"): per model, the fused run checked with images
# on, then ROUNDS interleaved rounds of `dnnf bench` in four settings:
#   buffer   the default: operands read from buffers, element loads
#   vload4   DNNF_GPU_AVEC=1: the same operands four floats at a time
#   image2d  DNNF_IMAGES=1: weights and activations through image2d_t
#            (images over the activations' own buffers)
#   ceiling  DNNF_IMAGES=1 DNNF_IMAGE_COPY=1: on a device without images
#            over buffers (PoCL, NVIDIA's OpenCL), activations through
#            images copied from their buffers before each launch; only
#            its kernel time counts (the copies left out): what images
#            for activations could give if producers wrote them for free
# and prints one table (medians in ms, the image2d/buffer ratio, and the
# summed kernel time of buffer, image2d and ceiling).
# Environment: DEVICE (gpu), RUNS (20), ROUNDS (2), TIMEOUT (300).  On a
# device without images over buffers the image2d setting reads only
# weights from images.
set -u
dnnf=$1
shift
DEVICE=${DEVICE:-gpu}
RUNS=${RUNS:-20}
ROUNDS=${ROUNDS:-2}
TIMEOUT=${TIMEOUT:-300}
. "$(dirname "$0")/nvidia_icd.sh"
median() { # setting model -> "median kernel_ms", or "- -"
    case $1 in
    vload4) export DNNF_GPU_AVEC=1 ;;
    image2d) export DNNF_IMAGES=1 ;;
    ceiling) export DNNF_IMAGES=1 DNNF_IMAGE_COPY=1 ;;
    esac
    js=$(timeout "$TIMEOUT" "$dnnf" bench "$2" --device "$DEVICE" --json --runs "$RUNS" 2>/dev/null)
    ms=$(echo "$js" | grep -o '"latency_ms": [0-9.]*' | grep -o '[0-9.]*$')
    km=$(echo "$js" | grep -o '"kernel_ms": [0-9.]*' | grep -o '[0-9.]*$')
    unset DNNF_GPU_AVEC DNNF_IMAGES DNNF_IMAGE_COPY
    echo "${ms:--} ${km:--}"
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
        set -- $(median buffer "$m") $(median vload4 "$m") $(median image2d "$m") $(median ceiling "$m")
        b=$1 v=$3 i=$5
        ratio=$(awk -v b="$b" -v i="$i" 'BEGIN { if (b + 0 > 0 && i + 0 > 0) printf "%.3f", i / b; else print "-" }')
        line="| $n | $r | $b | $v | $i | $ratio | $2 / $6 / $8 | ${img:--} | ${worst:--} |"
        echo "$line"
        rows="$rows$line
"
        r=$((r + 1))
    done
done
echo
echo "on ${on:-$DEVICE} (activations go through images only where it makes them over buffers: dnnf devices)"
echo "| model | round | buffer ms | vload4 ms | image2d ms | image2d / buffer | kernel ms: buffer / image2d / ceiling | images (weights, activations) | worst error / max (images) |"
echo "|---|---:|---:|---:|---:|---:|---|---|---|"
printf "%s" "$rows"
