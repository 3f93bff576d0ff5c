# error: FILE:2: expected @device<TAB>NAME<TAB>launch_us=X<TAB>gbytes_s=X<TAB>gflops_s=X
@device		launch_us=2	gbytes_s=10	gflops_s=50
