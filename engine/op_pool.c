/* op_pool.c -- placeholder until this family is written. */
#include "op_impl.h"

const op_def op_defs_pool[] = {
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
