/* onnx_export.c -- an ir_graph written as a new ONNX ModelProto.
 *
 * Unlike ox_save_weights_copy (onnx_write.c), which patches the file a
 * model came from, this builds the model from the graph alone: what
 * `dnnf optimize -o OUT.onnx` needs after rewriting.  Standard operators
 * go in the default domain at the graph's opset; composites the rules
 * introduced (dnnf::Gelu, ...) in the "dnnf" domain, version 1, declared
 * in opset_import so that tools accept the file and can say which
 * operator they lack.  Constants up to inline_max bytes are stored inline
 * as raw_data; larger ones go to OUT.weights next to the file, as ONNX
 * external data, like the shared models.
 *
 * Opset 13 moved the `axes` of Squeeze, Unsqueeze and ReduceSum from an
 * attribute to an input; the rules may write it as an attribute (the
 * reference operators accept both), so such nodes get their axes as an
 * initializer here. */
#include "engine.h"
#include "onnx.pb-c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t s)
{
    void *p = calloc(n ? n : 1, s);
    if (!p) abort();
    return p;
}

static Onnx__ValueInfoProto *value_info(const ir_value *v)
{
    Onnx__ValueInfoProto *vi = xcalloc(1, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = ir_strdup(v->name);
    Onnx__TypeProto *tp = xcalloc(1, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = xcalloc(1, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = v->dtype;
    if (v->shape.rank >= 0) {
        Onnx__TensorShapeProto *sp = xcalloc(1, sizeof *sp);
        onnx__tensor_shape_proto__init(sp);
        sp->n_dim = (size_t)v->shape.rank;
        sp->dim = xcalloc(sp->n_dim, sizeof *sp->dim);
        for (int i = 0; i < v->shape.rank; i++) {
            Onnx__TensorShapeProto__Dimension *d = xcalloc(1, sizeof *d);
            onnx__tensor_shape_proto__dimension__init(d);
            if (v->shape.d[i] >= 0) {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
                d->dim_value = v->shape.d[i];
            } else {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
                char buf[32];
                snprintf(buf, sizeof buf, "d%d", i);
                d->dim_param = ir_strdup(buf);
            }
            sp->dim[i] = d;
        }
        tt->shape = sp;
    }
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->type = tp;
    return vi;
}

static Onnx__StringStringEntryProto *entry(const char *k, const char *v)
{
    Onnx__StringStringEntryProto *p = xcalloc(1, sizeof *p);
    onnx__string_string_entry_proto__init(p);
    p->key = ir_strdup(k);
    p->value = ir_strdup(v);
    return p;
}

typedef struct wctx {
    FILE *ext; /* OUT.weights, opened on first use */
    char ext_path[4096];
    const char *ext_name;
    int64_t ext_off;
    int64_t inline_max;
    dn_err *e;
} wctx;

static Onnx__TensorProto *tensor(wctx *W, const char *name, int dtype, const dn_shape *s,
                                 const void *data, size_t bytes)
{
    Onnx__TensorProto *t = xcalloc(1, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = ir_strdup(name);
    t->has_data_type = 1;
    t->data_type = dtype;
    t->n_dims = (size_t)(s->rank > 0 ? s->rank : 0);
    t->dims = xcalloc(t->n_dims, sizeof *t->dims);
    for (size_t i = 0; i < t->n_dims; i++)
        t->dims[i] = s->d[i];
    if ((int64_t)bytes <= W->inline_max) {
        t->has_raw_data = 1;
        t->raw_data.len = bytes;
        t->raw_data.data = xcalloc(bytes, 1);
        if (bytes) memcpy(t->raw_data.data, data, bytes);
        return t;
    }
    if (!W->ext) {
        W->ext = fopen(W->ext_path, "wb");
        if (!W->ext) {
            dn_errf(W->e, "%s: cannot create: %s", W->ext_path, strerror(errno));
            onnx__tensor_proto__free_unpacked(t, NULL);
            return NULL;
        }
    }
    /* 64-byte alignment, as ONNX's own writer does, so readers may map it */
    while (W->ext_off % 64) {
        fputc(0, W->ext);
        W->ext_off++;
    }
    if (fwrite(data, 1, bytes, W->ext) != bytes) {
        dn_errf(W->e, "%s: write failed", W->ext_path);
        onnx__tensor_proto__free_unpacked(t, NULL);
        return NULL;
    }
    char off[32], len[32];
    snprintf(off, sizeof off, "%lld", (long long)W->ext_off);
    snprintf(len, sizeof len, "%zu", bytes);
    W->ext_off += (int64_t)bytes;
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    t->n_external_data = 3;
    t->external_data = xcalloc(3, sizeof *t->external_data);
    t->external_data[0] = entry("location", W->ext_name);
    t->external_data[1] = entry("offset", off);
    t->external_data[2] = entry("length", len);
    return t;
}

static Onnx__AttributeProto *attribute(const ir_attr *a)
{
    Onnx__AttributeProto *p = xcalloc(1, sizeof *p);
    onnx__attribute_proto__init(p);
    p->name = ir_strdup(a->name);
    p->has_type = 1;
    p->type = (Onnx__AttributeProto__AttributeType)a->type;
    switch (a->type) {
    case IR_ATTR_FLOAT:
        p->has_f = 1;
        p->f = a->f;
        break;
    case IR_ATTR_INT:
        p->has_i = 1;
        p->i = a->i;
        break;
    case IR_ATTR_STRING:
        p->has_s = 1;
        p->s.len = a->s ? strlen(a->s) : 0;
        p->s.data = (uint8_t *)ir_strdup(a->s ? a->s : "");
        break;
    case IR_ATTR_FLOATS:
        p->n_floats = (size_t)a->n;
        p->floats = xcalloc((size_t)a->n, sizeof *p->floats);
        if (a->n) memcpy(p->floats, a->floats, (size_t)a->n * sizeof *p->floats);
        break;
    case IR_ATTR_INTS:
        p->n_ints = (size_t)a->n;
        p->ints = xcalloc((size_t)a->n, sizeof *p->ints);
        if (a->n) memcpy(p->ints, a->ints, (size_t)a->n * sizeof *p->ints);
        break;
    case IR_ATTR_STRINGS:
        p->n_strings = (size_t)a->n;
        p->strings = xcalloc((size_t)a->n, sizeof *p->strings);
        for (int i = 0; i < a->n; i++) {
            p->strings[i].len = strlen(a->strings[i]);
            p->strings[i].data = (uint8_t *)ir_strdup(a->strings[i]);
        }
        break;
    case IR_ATTR_TENSOR: {
        Onnx__TensorProto *t = xcalloc(1, sizeof *t);
        onnx__tensor_proto__init(t);
        t->has_data_type = 1;
        t->data_type = a->t.dtype;
        t->n_dims = (size_t)(a->t.shape.rank > 0 ? a->t.shape.rank : 0);
        t->dims = xcalloc(t->n_dims, sizeof *t->dims);
        for (size_t i = 0; i < t->n_dims; i++)
            t->dims[i] = a->t.shape.d[i];
        size_t n = a->t.data ? dn_tensor_bytes(&a->t) : 0;
        t->has_raw_data = 1;
        t->raw_data.len = n;
        t->raw_data.data = xcalloc(n, 1);
        if (n) memcpy(t->raw_data.data, a->t.data, n);
        p->t = t;
        break;
    }
    default:
        break;
    }
    return p;
}

/* Opset >= 13 takes these axes as an input. */
static int axes_as_input(const ir_graph *g, const ir_node *n)
{
    if (g->opset && g->opset < 13) return 0;
    if (n->domain[0]) return 0;
    return (!strcmp(n->op, "Squeeze") || !strcmp(n->op, "Unsqueeze") ||
            !strcmp(n->op, "ReduceSum")) &&
           ir_attr_get(n, "axes") && n->nin < 2;
}

int eg_onnx_write(const ir_graph *g, const char *path, int64_t inline_max, dn_err *e)
{
    wctx W = {0};
    W.inline_max = inline_max;
    W.e = e;
    snprintf(W.ext_path, sizeof W.ext_path, "%s", path);
    size_t L = strlen(W.ext_path);
    if (L > 5 && !strcmp(W.ext_path + L - 5, ".onnx")) W.ext_path[L - 5] = 0;
    strncat(W.ext_path, ".weights", sizeof W.ext_path - strlen(W.ext_path) - 1);
    W.ext_name = strrchr(W.ext_path, '/') ? strrchr(W.ext_path, '/') + 1 : W.ext_path;

    Onnx__ModelProto m;
    onnx__model_proto__init(&m);
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.producer_name = "dnnf";
    m.producer_version = "0.1";
    Onnx__GraphProto *gp = xcalloc(1, sizeof *gp);
    onnx__graph_proto__init(gp);
    gp->name = ir_strdup(g->name ? g->name : "dnnf");
    m.graph = gp;

    int *order = NULL;
    int nn = ir_topo_order(g, &order, e);
    if (nn < 0) {
        free(gp->name);
        free(gp);
        return -1;
    }
    int dnnf_domain = 0, rc = 0;
    gp->n_input = (size_t)g->ninput;
    gp->input = xcalloc(gp->n_input, sizeof *gp->input);
    for (int i = 0; i < g->ninput; i++)
        gp->input[i] = value_info(&g->val[g->input[i]]);
    gp->n_output = (size_t)g->noutput;
    gp->output = xcalloc(gp->n_output, sizeof *gp->output);
    for (int i = 0; i < g->noutput; i++)
        gp->output[i] = value_info(&g->val[g->output[i]]);

    /* initializers: constants that some node or output uses */
    int *uses = ir_use_counts(g);
    gp->initializer = xcalloc((size_t)g->nval + (size_t)nn, sizeof *gp->initializer);
    for (int v = 0; v < g->nval && !rc; v++) {
        const ir_value *x = &g->val[v];
        if (x->kind != IR_VAL_CONST || !uses[v]) continue;
        if (!x->data) {
            rc = dn_errf(e,
                         "constant '%s' has no contents (weights not loaded: use --random-weights "
                         "or the weights file)",
                         x->name);
            break;
        }
        dn_tensor t = {x->dtype, x->shape, x->data};
        Onnx__TensorProto *tp =
            tensor(&W, x->name, x->dtype, &x->shape, x->data, dn_tensor_bytes(&t));
        if (!tp)
            rc = -1;
        else
            gp->initializer[gp->n_initializer++] = tp;
    }
    free(uses);

    gp->node = xcalloc((size_t)nn, sizeof *gp->node);
    for (int k = 0; k < nn && !rc; k++) {
        const ir_node *n = &g->node[order[k]];
        Onnx__NodeProto *np = xcalloc(1, sizeof *np);
        onnx__node_proto__init(np);
        np->name = ir_strdup(n->name);
        np->op_type = ir_strdup(n->op);
        np->domain = ir_strdup(n->domain);
        if (n->domain[0]) dnnf_domain |= !strcmp(n->domain, "dnnf");
        int axes = axes_as_input(g, n);
        np->n_input = (size_t)n->nin + (size_t)axes;
        np->input = xcalloc(np->n_input, sizeof *np->input);
        for (int i = 0; i < n->nin; i++)
            np->input[i] = ir_strdup(n->in[i] >= 0 ? g->val[n->in[i]].name : "");
        np->n_output = (size_t)n->nout;
        np->output = xcalloc(np->n_output, sizeof *np->output);
        for (int i = 0; i < n->nout; i++)
            np->output[i] = ir_strdup(n->out[i] >= 0 ? g->val[n->out[i]].name : "");
        np->attribute = xcalloc((size_t)n->nattr, sizeof *np->attribute);
        for (int i = 0; i < n->nattr; i++) {
            if (axes && !strcmp(n->attr[i].name, "axes")) {
                char name[1100];
                snprintf(name, sizeof name, "%s/axes", n->name);
                dn_shape s = dn_shape_make(1, (int64_t[]){n->attr[i].n});
                Onnx__TensorProto *tp = tensor(&W, name, DN_I64, &s, n->attr[i].ints,
                                               (size_t)n->attr[i].n * sizeof(int64_t));
                if (!tp) {
                    rc = -1;
                    break;
                }
                gp->initializer[gp->n_initializer++] = tp;
                if (n->nin == 0) {
                    rc = dn_errf(e, "node '%s': %s without data input", n->name, n->op);
                    break;
                }
                np->input[n->nin] = ir_strdup(name);
                continue;
            }
            np->attribute[np->n_attribute++] = attribute(&n->attr[i]);
        }
        gp->node[gp->n_node++] = np;
    }
    free(order);
    if (W.ext) fclose(W.ext);

    Onnx__OperatorSetIdProto op0, op1;
    onnx__operator_set_id_proto__init(&op0);
    onnx__operator_set_id_proto__init(&op1);
    op0.domain = "";
    op0.has_version = 1;
    op0.version = g->opset ? g->opset : 17;
    op1.domain = "dnnf";
    op1.has_version = 1;
    op1.version = 1;
    Onnx__OperatorSetIdProto *ops[2] = {&op0, &op1};
    m.n_opset_import = dnnf_domain ? 2 : 1;
    m.opset_import = ops;

    if (!rc) {
        size_t size = onnx__model_proto__get_packed_size(&m);
        uint8_t *buf = xcalloc(size, 1);
        onnx__model_proto__pack(&m, buf);
        FILE *f = fopen(path, "wb");
        if (!f)
            rc = dn_errf(e, "%s: cannot create: %s", path, strerror(errno));
        else {
            if (fwrite(buf, 1, size, f) != size) rc = dn_errf(e, "%s: write failed", path);
            if (fclose(f)) rc = dn_errf(e, "%s: write failed", path);
        }
        free(buf);
    }
    m.opset_import = NULL;
    m.n_opset_import = 0;
    m.producer_name = NULL;
    m.producer_version = NULL;
    onnx__graph_proto__free_unpacked(gp, NULL);
    return rc;
}
