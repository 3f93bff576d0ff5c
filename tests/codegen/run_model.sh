#!/bin/sh
# tests/codegen/run_model.sh DNNF MODEL.onnx [PATTERN] -- a shared model
# fused on the default OpenCL device with random weights, checked against
# the reference interpreter (worst error <= 1e-3 x max |output| per
# output).  Host blocks are allowed (they are listed); a mismatch or a
# failure is not.  PATTERN (an extended regex), when given, must appear in
# the run's output: what the case sets out to exercise.
out=$("$1" run "$2" --random-weights 1 --check 2>&1)
rc=$?
echo "$out" | grep -v '^  [^ ]* *[a-z0-9]*\['
if [ $rc -eq 0 ] && [ -n "${3:-}" ] && ! echo "$out" | grep -Eq "$3"; then
  echo "the run does not say: $3"
  exit 1
fi
exit $rc
