/* check.h -- the smallest test harness: CHECK counts, DONE reports
 * "N passed, N failed" (the closing line CI reads) and gives the exit code. */
#ifndef DNNF_CHECK_H
#define DNNF_CHECK_H
#include <stdio.h>

static int check_pass, check_fail;
#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond)                                                                    \
            check_pass++;                                                            \
        else {                                                                       \
            check_fail++;                                                            \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)
#define DONE() (printf("%d passed, %d failed\n", check_pass, check_fail), check_fail != 0)
#endif
