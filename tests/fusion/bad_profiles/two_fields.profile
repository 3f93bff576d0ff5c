# error: FILE:2: expected DEVICE<TAB>SIGNATURE<TAB>MS (MS a number >= 0)
static	0.02
