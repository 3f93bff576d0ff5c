/* nodes.h -- one-node graphs built by hand for the operator unit tests:
 * an ir_node with its inputs, outputs and attributes in one buffer, so a
 * test can call op_run_node without a whole graph.  Attribute names,
 * strings and int lists are borrowed, not copied: they must outlive the
 * node (callers pass literals or local arrays). */
#ifndef DNNF_TEST_NODES_H
#define DNNF_TEST_NODES_H

#include "engine.h"

#include <string.h>

#define NODE_MAX_ATTRS 10

typedef struct node_buf {
    ir_node n;
    int in[8], out[8];
    ir_attr attr[NODE_MAX_ATTRS];
} node_buf;

/* present: one '1' (input given) or '0' (left out) per input. */
static inline ir_node *mk(node_buf *b, const char *op, const char *present, int nout)
{
    memset(b, 0, sizeof *b);
    b->n.name = "n";
    b->n.op = (char *)op;
    b->n.domain = "";
    b->n.nin = (int)strlen(present);
    for (int i = 0; i < b->n.nin; i++) b->in[i] = present[i] == '1' ? i : -1;
    b->n.nout = nout;
    for (int i = 0; i < nout; i++) b->out[i] = 100 + i;
    b->n.in = b->in;
    b->n.out = b->out;
    b->n.attr = b->attr;
    return &b->n;
}

static inline ir_attr *attr(node_buf *b, const char *name, int type)
{
    ir_attr *a = &b->attr[b->n.nattr++];
    a->name = (char *)name;
    a->type = type;
    return a;
}
static inline void attr_i(node_buf *b, const char *name, int64_t v)
{
    attr(b, name, IR_ATTR_INT)->i = v;
}
static inline void attr_f(node_buf *b, const char *name, float v)
{
    attr(b, name, IR_ATTR_FLOAT)->f = v;
}
static inline void attr_s(node_buf *b, const char *name, const char *v)
{
    attr(b, name, IR_ATTR_STRING)->s = (char *)v;
}
static inline void attr_ints(node_buf *b, const char *name, int64_t *v, int k)
{
    ir_attr *a = attr(b, name, IR_ATTR_INTS);
    a->ints = v;
    a->n = k;
}

/* A tensor view over caller-owned data (not freed by the test). */
static inline dn_tensor tens(int dtype, int rank, const int64_t *d, const void *data)
{
    dn_tensor t;
    t.dtype = dtype;
    t.shape = dn_shape_make(rank, d);
    t.data = (void *)data;
    return t;
}

#endif
