/* op_movement.c -- placeholder until this family is written. */
#include "op_impl.h"

const op_def op_defs_movement[] = {
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
