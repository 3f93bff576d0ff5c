#!/bin/sh
# tests/codegen/run_graph.sh DNNF FILE.graph -- a template family on a small
# graph: fused and unfused OpenCL runs must match the reference interpreter
# (dnnf run --check), and the fused run must launch kernels, not fall back
# to the host for everything.
set -e
dnnf=$1
g=$2
# a case may set variables for all its runs (# env: NAME=VALUE ...)
envs=$(sed -n 's/^# env: //p' "$g")
if [ -n "$envs" ]; then export $envs; fi
# a case may hold its runs to a tighter tolerance than --check's 1e-3 x max
tol=$(sed -n 's/^# check-tolerance: //p' "$g")
check="--check${tol:+ --tolerance $tol}"
out=$("$dnnf" run "$g" --random-weights 1 $check)
echo "$out"
echo "$out" | grep -q "MISMATCH" && exit 1
echo "$out" | grep -Eq ": [1-9][0-9]* kernels" || { echo "no kernel launched"; exit 1; }
# a case whose every block has a template says so: a host block fails it
if grep -q "^# expect: no host blocks" "$g"; then
  echo "$out" | grep -q " 0 host blocks" || { echo "host blocks where none are expected"; exit 1; }
fi
# and may name text the fused run must print (a step of runtime/split.c),
# on the default device or with the GPU family forced on it
want=$(sed -n 's/^# expect-run: //p' "$g")
if [ -n "$want" ]; then
  echo "$out" | grep -qF "$want" || { echo "the fused run does not say: $want"; exit 1; }
fi
want=$(sed -n 's/^# expect-run-gpu: //p' "$g")
if [ -n "$want" ]; then
  gout=$(DNNF_FORCE_GPU_TEMPLATES=1 "$dnnf" run "$g" --random-weights 1 $check)
  echo "$gout"
  echo "$gout" | grep -qF "$want" || { echo "the GPU-family run does not say: $want"; exit 1; }
fi
"$dnnf" run "$g" --random-weights 1 $check --no-fuse
# a case may name text its generated kernels must contain (the form it tests)
# (each such line on its own)
if grep -q "^# expect-source: " "$g"; then
  dir=$(mktemp -d)
  "$dnnf" codegen "$g" -o "$dir" >/dev/null
  sed -n 's/^# expect-source: //p' "$g" | while IFS= read -r pat; do
    grep -qF "$pat" "$dir"/*.cl || { echo "no kernel contains: $pat"; exit 1; }
  done || { rm -rf "$dir"; exit 1; }
  rm -rf "$dir"
fi
# and text a kernel written for the GPU family must contain (each line)
if grep -q "^# expect-source-gpu: " "$g"; then
  dir=$(mktemp -d)
  DNNF_FORCE_GPU_TEMPLATES=1 "$dnnf" codegen "$g" -o "$dir" >/dev/null
  sed -n 's/^# expect-source-gpu: //p' "$g" | while IFS= read -r pat; do
    grep -qF "$pat" "$dir"/*.cl || { echo "no GPU-family kernel contains: $pat"; exit 1; }
  done || { rm -rf "$dir"; exit 1; }
  rm -rf "$dir"
fi
