# error: FILE:3: expected DEVICE<TAB>SIGNATURE<TAB>MS (MS a number >= 0)
static	ReduceMean[1,64,1]	0.02
static	Expand[1,64,4096]+Relu[1,64,4096]	fast
