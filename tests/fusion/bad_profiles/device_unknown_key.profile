# error: FILE:2: unknown device constant 'speed' (launch_us, gbytes_s, gflops_s, tile)
@device	cpu	launch_us=2	gbytes_s=10	gflops_s=50	speed=3
