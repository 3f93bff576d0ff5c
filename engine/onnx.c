/* onnx.c -- ONNX import: a ModelProto (protobuf-c, engine/onnx.proto) into
 * the graph IR.
 *
 * Everything that can be wrong with a file is reported here, naming the
 * file and, where there is one, the node or tensor: a file that is not a
 * protobuf, a model without a graph, a node reading a name nothing
 * produces, a tensor whose data does not match its dims.  Initializers
 * stored as external data are only located here (ext_location/offset/
 * length); weights.c reads them, so `dnnf info` works on a structure-only
 * model whose weight file is absent. */
#include "engine.h"
#include "onnx.pb-c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole file; NULL with a message on failure. */
static uint8_t *read_file(const char *path, size_t *len, dn_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        dn_errf(e, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) abort();
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        cap *= 2;
        buf = realloc(buf, cap);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        dn_errf(e, "%s: read error", path);
        return NULL;
    }
    *len = n;
    return buf;
}

static char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    if (!s) return ir_strdup(".");
    char *d = ir_strdup(path);
    d[s - path] = 0;
    if (!d[0]) strcpy(d, "/");
    return d;
}

/* Fills t (dtype, shape, and data when stored inline) from a TensorProto. */
static int tensor_from_proto(const Onnx__TensorProto *tp, dn_tensor *t, ir_value *ext,
                             const char *file, dn_err *e)
{
    const char *tname = tp->name ? tp->name : "";
    memset(t, 0, sizeof *t);
    t->dtype = tp->has_data_type ? tp->data_type : DN_UNDEF;
    if (tp->n_dims > DN_MAX_RANK)
        return dn_errf(e, "%s: tensor '%s' has rank %zu, more than %d", file, tname, tp->n_dims,
                       DN_MAX_RANK);
    t->shape.rank = (int)tp->n_dims;
    for (size_t i = 0; i < tp->n_dims; i++) {
        if (tp->dims[i] < 0)
            return dn_errf(e, "%s: tensor '%s' has a negative dim", file, tname);
        t->shape.d[i] = tp->dims[i];
    }
    size_t es = dn_dtype_size(t->dtype);
    if (es == 0)
        return dn_errf(e, "%s: tensor '%s' has unsupported data type %d", file, tname, t->dtype);
    int64_t n = dn_shape_numel(&t->shape);
    size_t bytes = (size_t)n * es;

    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        if (!ext)
            return dn_errf(e, "%s: tensor '%s' uses external data where it is not allowed", file,
                           tname);
        ext->ext_offset = 0;
        ext->ext_length = -1;
        for (size_t i = 0; i < tp->n_external_data; i++) {
            const char *k = tp->external_data[i]->key, *v = tp->external_data[i]->value;
            if (!k || !v) continue;
            if (!strcmp(k, "location")) {
                free(ext->ext_location);
                ext->ext_location = ir_strdup(v);
            } else if (!strcmp(k, "offset"))
                ext->ext_offset = strtoll(v, NULL, 10);
            else if (!strcmp(k, "length"))
                ext->ext_length = strtoll(v, NULL, 10);
        }
        if (!ext->ext_location)
            return dn_errf(e, "%s: tensor '%s' has external data without a location", file, tname);
        return 0;
    }
    if (dn_tensor_alloc(t, e)) return dn_errpre(e, "%s: tensor '%s': ", file, tname);
    /* The data is in raw_data (little-endian bytes) or in the typed field
       that ONNX assigns to the dtype. */
    size_t have = 0;
    if (tp->has_raw_data) {
        have = tp->raw_data.len;
        if (have == bytes && bytes) memcpy(t->data, tp->raw_data.data, bytes);
    } else if (t->dtype == DN_F32) {
        have = tp->n_float_data * 4;
        if (have == bytes && bytes) memcpy(t->data, tp->float_data, bytes);
    } else if (t->dtype == DN_I64) {
        have = tp->n_int64_data * 8;
        if (have == bytes && bytes) memcpy(t->data, tp->int64_data, bytes);
    } else if (t->dtype == DN_F64) {
        have = tp->n_double_data * 8;
        if (have == bytes && bytes) memcpy(t->data, tp->double_data, bytes);
    } else if (t->dtype == DN_U32 || t->dtype == DN_U64) {
        have = tp->n_uint64_data * es;
        if (have == bytes)
            for (int64_t i = 0; i < n; i++) dn_seti(t, i, (int64_t)tp->uint64_data[i]);
    } else if (t->dtype == DN_STRING) {
        have = 0;
    } else { /* i32, i16, i8, u8, u16, bool, f16: one int32 per element */
        have = tp->n_int32_data * es;
        if (have == bytes) {
            for (int64_t i = 0; i < n; i++) {
                if (t->dtype == DN_F16)
                    ((uint16_t *)t->data)[i] = (uint16_t)tp->int32_data[i];
                else
                    dn_seti(t, i, tp->int32_data[i]);
            }
        }
    }
    if (have != bytes) {
        dn_tensor_free(t);
        return dn_errf(e, "%s: tensor '%s' %s holds %zu bytes of data, its dims need %zu", file,
                       tname, dn_dtype_name(t->dtype), have, bytes);
    }
    return 0;
}

static void type_from_valueinfo(const Onnx__ValueInfoProto *vi, int *dtype, dn_shape *shape)
{
    *dtype = DN_UNDEF;
    *shape = dn_shape_unknown();
    if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) return;
    const Onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
    if (tt->has_elem_type) *dtype = tt->elem_type;
    if (!tt->shape || tt->shape->n_dim > DN_MAX_RANK) return;
    shape->rank = (int)tt->shape->n_dim;
    for (size_t i = 0; i < tt->shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        shape->d[i] = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                              d->dim_value >= 0
                          ? d->dim_value
                          : -1;
    }
}

static int attr_from_proto(ir_graph *g, int node, const Onnx__AttributeProto *ap,
                           const char *file, dn_err *e)
{
    const char *nname = g->node[node].name;
    if (!ap->name) return dn_errf(e, "%s: node '%s' has an attribute without a name", file, nname);
    int type = ap->has_type ? (int)ap->type : IR_ATTR_UNDEF;
    switch (type) {
    case IR_ATTR_FLOAT: ir_add_attr(g, node, ap->name, type)->f = ap->f; break;
    case IR_ATTR_INT: ir_add_attr(g, node, ap->name, type)->i = ap->i; break;
    case IR_ATTR_STRING: {
        ir_attr *a = ir_add_attr(g, node, ap->name, type);
        a->s = malloc(ap->s.len + 1);
        if (!a->s) abort();
        memcpy(a->s, ap->s.data, ap->s.len);
        a->s[ap->s.len] = 0;
        break;
    }
    case IR_ATTR_INTS: {
        ir_attr *a = ir_add_attr(g, node, ap->name, type);
        a->n = (int)ap->n_ints;
        a->ints = malloc((ap->n_ints ? ap->n_ints : 1) * sizeof(int64_t));
        if (!a->ints) abort();
        if (ap->n_ints) memcpy(a->ints, ap->ints, ap->n_ints * sizeof(int64_t));
        break;
    }
    case IR_ATTR_FLOATS: {
        ir_attr *a = ir_add_attr(g, node, ap->name, type);
        a->n = (int)ap->n_floats;
        a->floats = malloc((ap->n_floats ? ap->n_floats : 1) * sizeof(float));
        if (!a->floats) abort();
        if (ap->n_floats) memcpy(a->floats, ap->floats, ap->n_floats * sizeof(float));
        break;
    }
    case IR_ATTR_STRINGS: {
        ir_attr *a = ir_add_attr(g, node, ap->name, type);
        a->n = (int)ap->n_strings;
        a->strings = calloc(ap->n_strings ? ap->n_strings : 1, sizeof(char *));
        if (!a->strings) abort();
        for (size_t i = 0; i < ap->n_strings; i++) {
            a->strings[i] = malloc(ap->strings[i].len + 1);
            if (!a->strings[i]) abort();
            memcpy(a->strings[i], ap->strings[i].data, ap->strings[i].len);
            a->strings[i][ap->strings[i].len] = 0;
        }
        break;
    }
    case IR_ATTR_TENSOR: {
        if (!ap->t)
            return dn_errf(e, "%s: node '%s': attribute '%s' has no tensor", file, nname, ap->name);
        dn_tensor t;
        if (tensor_from_proto(ap->t, &t, NULL, file, e))
            return dn_errpre(e, "node '%s' attribute '%s': ", nname, ap->name);
        ir_add_attr(g, node, ap->name, type)->t = t;
        break;
    }
    case IR_ATTR_GRAPH:
    case 10: /* GRAPHS */
        return dn_errf(e, "%s: node '%s' (%s): subgraph attributes (control flow) are not supported",
                       file, nname, g->node[node].op);
    default:
        return dn_errf(e, "%s: node '%s': attribute '%s' has unsupported type %d", file, nname,
                       ap->name, type);
    }
    return 0;
}

static int build_graph(ir_graph *g, const Onnx__ModelProto *m, const char *file, dn_err *e)
{
    const Onnx__GraphProto *gp = m->graph;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        if ((!o->domain || !o->domain[0] || !strcmp(o->domain, "ai.onnx")) && o->has_version)
            g->opset = o->version;
    }
    if (g->opset < 7 || g->opset > 23)
        return dn_errf(e, "%s: default-domain opset %lld is outside what dnnf reads (13..21)",
                       file, (long long)g->opset);

    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        if (!tp->name || !tp->name[0])
            return dn_errf(e, "%s: initializer %zu has no name", file, i);
        int id = ir_add_value(g, tp->name, IR_VAL_CONST, DN_UNDEF, NULL);
        if (id < 0) return dn_errf(e, "%s: initializer '%s' is defined twice", file, tp->name);
        dn_tensor t;
        if (tensor_from_proto(tp, &t, &g->val[id], file, e)) return -1;
        g->val[id].dtype = t.dtype;
        g->val[id].shape = t.shape;
        g->val[id].data = t.data;
    }
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name) return dn_errf(e, "%s: graph input %zu has no name", file, i);
        if (ir_find_value(g, vi->name) >= 0) continue; /* an initializer listed as input (IR < 4) */
        int dt;
        dn_shape s;
        type_from_valueinfo(vi, &dt, &s);
        int id = ir_add_value(g, vi->name, IR_VAL_INPUT, dt, &s);
        ir_add_input(g, id);
    }
    /* Outputs of nodes first, so that inputs can be resolved whatever the node order. */
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        if (!np->op_type || !np->op_type[0])
            return dn_errf(e, "%s: node %zu has no op_type", file, i);
        int out[np->n_output ? np->n_output : 1];
        for (size_t k = 0; k < np->n_output; k++) {
            const char *o = np->output[k];
            if (!o || !o[0]) {
                out[k] = -1;
                continue;
            }
            out[k] = ir_add_value(g, o, IR_VAL_NODE, DN_UNDEF, NULL);
            if (out[k] < 0)
                return dn_errf(e, "%s: node '%s' (%s) writes '%s', which is already defined",
                               file, np->name ? np->name : "", np->op_type, o);
        }
        int id = ir_add_node(g, np->op_type, np->name, NULL, 0, out, (int)np->n_output);
        ir_node *n = &g->node[id];
        free(n->domain);
        n->domain = ir_strdup(np->domain ? np->domain : "");
        for (size_t k = 0; k < np->n_attribute; k++)
            if (attr_from_proto(g, id, np->attribute[k], file, e)) return -1;
    }
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        ir_node *n = &g->node[i];
        n->nin = (int)np->n_input;
        free(n->in);
        n->in = malloc((np->n_input ? np->n_input : 1) * sizeof(int));
        if (!n->in) abort();
        for (size_t k = 0; k < np->n_input; k++) {
            const char *s = np->input[k];
            n->in[k] = (s && s[0]) ? ir_find_value(g, s) : -1;
            if (s && s[0] && n->in[k] < 0)
                return dn_errf(e, "%s: node '%s' (%s) reads '%s', which no node, input or "
                                  "initializer defines",
                               file, n->name, n->op, s);
        }
    }
    for (size_t i = 0; i < gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi = gp->output[i];
        int id = vi->name ? ir_find_value(g, vi->name) : -1;
        if (id < 0)
            return dn_errf(e, "%s: graph output '%s' is not defined", file,
                           vi->name ? vi->name : "");
        ir_add_output(g, id);
    }
    if (g->noutput == 0) return dn_errf(e, "%s: the graph has no outputs", file);
    return 0;
}

ir_graph *ox_load(const char *path, dn_err *e)
{
    size_t len = 0;
    uint8_t *buf = read_file(path, &len, e);
    if (!buf) return NULL;
    if (len == 0) {
        free(buf);
        dn_errf(e, "%s: empty file, not an ONNX model", path);
        return NULL;
    }
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
    free(buf);
    if (!m) {
        dn_errf(e, "%s: not a valid ONNX model (the protobuf cannot be parsed: truncated or not "
                   "ONNX)",
                path);
        return NULL;
    }
    if (!m->graph || (!m->graph->n_node && !m->graph->n_output)) {
        onnx__model_proto__free_unpacked(m, NULL);
        dn_errf(e, "%s: not an ONNX model (no graph in the file)", path);
        return NULL;
    }
    const char *base = strrchr(path, '/');
    ir_graph *g = ir_new(m->graph->name && m->graph->name[0] ? m->graph->name
                                                             : (base ? base + 1 : path));
    g->path = ir_strdup(path);
    g->dir = dir_of(path);
    int rc = build_graph(g, m, path, e);
    onnx__model_proto__free_unpacked(m, NULL);
    if (rc) {
        ir_free(g);
        return NULL;
    }
    return g;
}
