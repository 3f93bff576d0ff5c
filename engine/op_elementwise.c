/* op_elementwise.c -- placeholder until this family is written. */
#include "op_impl.h"

const op_def op_defs_elementwise[] = {
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
