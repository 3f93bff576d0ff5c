#!/bin/sh
# tests/codegen/run_model.sh DNNF MODEL.onnx -- a shared model fused on the
# default OpenCL device with random weights, checked against the reference
# interpreter (worst error <= 1e-3 x max |output| per output).  Host blocks
# are allowed (they are listed); a mismatch or a failure is not.
out=$("$1" run "$2" --random-weights 1 --check 2>&1)
rc=$?
echo "$out" | grep -v '^  [^ ]* *[a-z0-9]*\['
exit $rc
