/* layout_impl.h -- the plan's insides, shared by the files of layout/ only. */
#ifndef DNNF_LAYOUT_IMPL_H
#define DNNF_LAYOUT_IMPL_H

#include "layout.h"

struct ly_plan {
    const ir_graph *g;
    ly_options o;
    ly_groups *groups;
    dn_arena *arena; /* every map's expressions */
    int *block_of;   /* per node (a copy, or one block per node) */
    int *block_kind; /* per block */
    int nblocks;
    int unfused; /* no blocks were given */
    int *uses;   /* per value: live consumer count (graph outputs count one more) */
    /* elimination */
    int *fate_of; /* per node: index into fates, -1 */
    ly_fate *fates;
    int nfates;
    ly_access *acc;
    int nacc;
    int *acc_of; /* per node: first access index, -1; accesses of a node are contiguous */
    ly_store *st;
    int nst;
    int *st_of; /* per node: first store index, -1 */
    char *mat;  /* per value: 1 in memory */
    /* selection */
    int *ncopies;     /* per value */
    ly_layout **lays; /* per value: ncopies entries, or NULL */
    /* textures */
    ly_texture *tex;
    int ntex;
    int *tex_of; /* per value: index into tex, -1 */
};

/* The stages, in order (each file's entry point). */
int ly_eliminate(ly_plan *p, dn_err *e);
int ly_select(ly_plan *p, dn_err *e);
int ly_textures(ly_plan *p, dn_err *e);

/* A node elimination considers: data movement with an index map to try
   (a Gather with computed indices is a lookup kernel, not movement). */
int ly_is_candidate(const ir_graph *g, int node);

/* The dim of node n's input `slot` that n reduces over (a MatMul's K, a
   Softmax's axis, a Conv's channels: *blocked = 1), -1 for none
   (select.c). */
int ly_reduction_dim(const ir_graph *g, const ir_node *n, int slot, int *blocked);

/* The row-major layout of s (identity map). */
int ly_layout_row_major(dn_arena *a, const dn_shape *s, ly_layout *l, dn_err *e);

#endif
