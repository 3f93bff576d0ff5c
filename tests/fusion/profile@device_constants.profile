# The static model with a device's constants from the file (no measured
# block): a launch this costly makes the fused block cheaper than two.
@device	slow launches	launch_us=1000	gbytes_s=20	gflops_s=100	tile=32
