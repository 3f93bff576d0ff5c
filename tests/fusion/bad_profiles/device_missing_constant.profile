# error: FILE:3: device 'cpu' lacks gflops_s

@device	cpu	launch_us=2	gbytes_s=10
