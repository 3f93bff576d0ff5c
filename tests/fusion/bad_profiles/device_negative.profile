# error: FILE:2: expected KEY=VALUE with a positive number, got 'launch_us=-2'
@device	cpu	launch_us=-2	gbytes_s=10	gflops_s=50
