/* weights.c -- initializer contents that are not in the .onnx file itself.
 *
 * External data (ONNX's mechanism for models over 2 GB, and the way the
 * shared models ship without weights) is read here, relative to the
 * model's folder.  When the file is missing, `--random-weights SEED`
 * fills the tensor with deterministic pseudo-random values instead.
 *
 * Random values must give meaningful outputs, not just any numbers, so
 * each tensor is scaled by its role, found from the operator that reads it
 * (through Identity chains):
 *   Conv / MatMul / Gemm weights   uniform, variance 1/fan_in (LeCun), so
 *                                  activations neither vanish nor explode;
 *   biases, LayerNorm/BN shifts,   uniform in [-0.1, 0.1];
 *   BN means
 *   LayerNorm/BN scales            1 + uniform in [-0.1, 0.1];
 *   BN variances                   uniform in [0.5, 1.5]: positive;
 *   embedding tables (Gather)      uniform in [-1, 1];
 *   anything else                  uniform in [-0.1, 0.1].
 * The generator is SplitMix64 seeded from (seed, tensor name), so a value
 * does not depend on the order tensors are visited, and every machine
 * computes the same bits (only integer arithmetic and one exact scaling). */
#include "engine.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
    return h;
}

/* uniform in [-1, 1): 24 random bits, exact in float */
static float unit(uint64_t *s) { return (float)(splitmix(s) >> 40) * (1.0f / 8388608.0f) - 1.0f; }

/* The node reading value v and at which input, looking through Identity. */
static const ir_node *reader(const ir_graph *g, int v, int *slot)
{
    for (int depth = 0; depth < 16; depth++) {
        int next = -1;
        for (int i = 0; i < g->nnode; i++) {
            const ir_node *n = &g->node[i];
            if (n->dead) continue;
            for (int k = 0; k < n->nin; k++)
                if (n->in[k] == v) {
                    if (!strcmp(n->op, "Identity") && n->out[0] >= 0) {
                        next = n->out[0];
                        break;
                    }
                    *slot = k;
                    return n;
                }
            if (next >= 0) break;
        }
        if (next < 0) return NULL;
        v = next;
    }
    return NULL;
}

/* Range and offset of the values of one tensor, by role (see the top). */
static void role_scale(const ir_graph *g, int v, float *scale, float *shift)
{
    const ir_value *val = &g->val[v];
    int slot = -1;
    const ir_node *n = reader(g, v, &slot);
    const dn_shape *s = &val->shape;
    *scale = 0.1f;
    *shift = 0.0f;
    if (!n) return;
    const char *op = n->op;
    int64_t fan_in = 0;
    if (!strcmp(op, "Conv") && slot == 1 && s->rank >= 2) {
        fan_in = 1;
        for (int i = 1; i < s->rank; i++) fan_in *= s->d[i];
    } else if (!strcmp(op, "MatMul") && s->rank >= 2) {
        fan_in = slot == 1 ? s->d[s->rank - 2] : s->d[s->rank - 1];
    } else if (!strcmp(op, "Gemm") && slot <= 1 && s->rank == 2) {
        int trans = (int)ir_attr_int(n, slot == 0 ? "transA" : "transB", 0);
        fan_in = slot == 0 ? s->d[trans ? 0 : 1] : s->d[trans ? 1 : 0];
    } else if ((!strcmp(op, "BatchNormalization") && slot == 1) ||
               ((!strcmp(op, "LayerNormalization") || !strcmp(op, "InstanceNormalization")) &&
                slot == 1)) {
        *shift = 1.0f;
    } else if (!strcmp(op, "BatchNormalization") && slot == 4) {
        *scale = 0.5f;
        *shift = 1.0f;
    } else if (!strcmp(op, "Gather") && slot == 0) {
        *scale = 1.0f;
    }
    if (fan_in > 0) *scale = sqrtf(3.0f / (float)fan_in); /* uniform [-a,a]: variance a^2/3 */
}

static void fill_random(const ir_graph *g, int v, uint64_t seed, void *data)
{
    const ir_value *val = &g->val[v];
    int64_t n = dn_shape_numel(&val->shape);
    uint64_t st = seed ^ fnv1a(val->name);
    float scale, shift;
    role_scale(g, v, &scale, &shift);
    dn_tensor t = {val->dtype, val->shape, data};
    for (int64_t i = 0; i < n; i++) {
        if (dn_dtype_is_float(val->dtype))
            dn_set(&t, i, shift + scale * unit(&st));
        else
            dn_seti(&t, i, 0); /* integer or bool weights have no safe random meaning */
    }
}

/* Location relative to the model's folder; refuses paths that leave it. */
static int ext_path(const ir_graph *g, const ir_value *v, char *buf, size_t n, dn_err *e)
{
    const char *loc = v->ext_location;
    if (loc[0] == '/' || strstr(loc, ".."))
        return dn_errf(e, "%s: initializer '%s': external data location '%s' must be a path "
                          "inside the model's folder",
                       g->path ? g->path : g->name, v->name, loc);
    snprintf(buf, n, "%s/%s", g->dir ? g->dir : ".", loc);
    return 0;
}

int ox_load_weights(ir_graph *g, int random, uint64_t seed, dn_err *e)
{
    const char *model = g->path ? g->path : g->name;
    FILE *f = NULL;
    char open_path[4096] = "";
    int rc = 0;
    for (int v = 0; v < g->nval && rc == 0; v++) {
        ir_value *val = &g->val[v];
        if (!val->ext_location || val->data) continue;
        dn_tensor t = {val->dtype, val->shape, NULL};
        if (dn_tensor_alloc(&t, e)) {
            rc = dn_errpre(e, "%s: initializer '%s': ", model, val->name);
            break;
        }
        size_t bytes = dn_tensor_bytes(&t);
        char path[4096];
        if (ext_path(g, val, path, sizeof path, e)) {
            free(t.data);
            rc = -1;
            break;
        }
        if (random != 2 && strcmp(path, open_path) != 0) {
            if (f) fclose(f);
            f = fopen(path, "rb");
            snprintf(open_path, sizeof open_path, "%s", path);
        }
        if (random == 2 || !f) {
            if (!random) {
                free(t.data);
                rc = dn_errf(e, "%s: external data file '%s' (initializer '%s') not found; "
                                "the model ships without weights: use --random-weights to run it",
                             model, path, val->name);
                break;
            }
            fill_random(g, v, seed, t.data);
        } else {
            if (val->ext_length >= 0 && (size_t)val->ext_length != bytes) {
                free(t.data);
                rc = dn_errf(e, "%s: initializer '%s': external data length %lld, its dims need %zu",
                             model, val->name, (long long)val->ext_length, bytes);
                break;
            }
            if (fseek(f, (long)val->ext_offset, SEEK_SET) != 0 || fread(t.data, 1, bytes, f) != bytes) {
                free(t.data);
                rc = dn_errf(e, "%s: initializer '%s': cannot read %zu bytes at offset %lld of '%s' "
                                "(file too short?)",
                             model, val->name, bytes, (long long)val->ext_offset, path);
                break;
            }
        }
        val->data = t.data;
    }
    if (f) fclose(f);
    return rc;
}
