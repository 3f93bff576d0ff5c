# bench/nvidia_icd.sh -- sourced by bench/gpu.sh and bench/images.sh: when
# NVIDIA's OpenCL library is installed but its ICD is not registered in
# /etc/OpenCL/vendors (the H100 machine, docs/runtime.md), list it beside
# the registered ones in a temporary vendors folder (OCL_ICD_VENDORS).
nv=/usr/local/nvidia/lib64/libnvidia-opencl.so.1
if [ -z "${OCL_ICD_VENDORS:-}" ] && [ -e $nv ] && ! grep -qs nvidia /etc/OpenCL/vendors/*.icd; then
    v=$(mktemp -d)
    cp /etc/OpenCL/vendors/*.icd "$v"/ 2>/dev/null
    echo $nv >"$v/nvidia.icd"
    export OCL_ICD_VENDORS=$v
fi
