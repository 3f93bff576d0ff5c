/* tensor.c -- dtypes, shapes, broadcasting and dense tensors.
 * Element access through dn_get/dn_set goes through a switch on dtype: it
 * is the slow, obviously correct path used by shape-sized computations and
 * by operators that are rarely hot.  Hot operators work on float* directly. */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    int dtype;
    const char *name;
    size_t size;
} dtypes[] = {
    {DN_F32, "f32", 4},  {DN_U8, "u8", 1},   {DN_I8, "i8", 1},     {DN_U16, "u16", 2},
    {DN_I16, "i16", 2},  {DN_I32, "i32", 4}, {DN_I64, "i64", 8},   {DN_BOOL, "bool", 1},
    {DN_F16, "f16", 2},  {DN_F64, "f64", 8}, {DN_U32, "u32", 4},   {DN_U64, "u64", 8},
    {DN_STRING, "string", 0},
};

size_t dn_dtype_size(int dtype)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].dtype == dtype) return dtypes[i].size;
    return 0;
}

const char *dn_dtype_name(int dtype)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].dtype == dtype) return dtypes[i].name;
    return "?";
}

int dn_dtype_parse(const char *name)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(dtypes[i].name, name) == 0) return dtypes[i].dtype;
    return DN_UNDEF;
}

int dn_dtype_is_float(int dtype) { return dtype == DN_F32 || dtype == DN_F64 || dtype == DN_F16; }

dn_shape dn_shape_make(int rank, const int64_t *d)
{
    dn_shape s;
    memset(&s, 0, sizeof s);
    s.rank = rank;
    for (int i = 0; i < rank && i < DN_MAX_RANK; i++) s.d[i] = d ? d[i] : -1;
    return s;
}

dn_shape dn_shape_unknown(void)
{
    dn_shape s;
    memset(&s, 0, sizeof s);
    s.rank = -1;
    return s;
}

int dn_shape_known(const dn_shape *s)
{
    if (s->rank < 0) return 0;
    for (int i = 0; i < s->rank; i++)
        if (s->d[i] < 0) return 0;
    return 1;
}

int64_t dn_shape_numel(const dn_shape *s)
{
    if (!dn_shape_known(s)) return -1;
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) n *= s->d[i];
    return n;
}

int dn_shape_eq(const dn_shape *a, const dn_shape *b)
{
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i]) return 0;
    return 1;
}

const char *dn_shape_str(const dn_shape *s, char *buf, size_t n)
{
    if (s->rank < 0) {
        snprintf(buf, n, "[*]"); /* unknown rank; "[?]" is rank 1 with an unknown dim */
        return buf;
    }
    size_t k = 0;
    k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "[");
    for (int i = 0; i < s->rank; i++) {
        if (s->d[i] < 0)
            k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s?", i ? "," : "");
        else
            k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s%lld", i ? "," : "",
                                  (long long)s->d[i]);
    }
    snprintf(buf + k, k < n ? n - k : 0, "]");
    return buf;
}

int dn_broadcast(const dn_shape *a, const dn_shape *b, dn_shape *out, dn_err *e)
{
    if (a->rank < 0 || b->rank < 0) {
        *out = dn_shape_unknown();
        return 0;
    }
    int r = a->rank > b->rank ? a->rank : b->rank;
    dn_shape o = dn_shape_make(r, NULL);
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da == db)
            o.d[i] = da;
        else if (da == 1)
            o.d[i] = db;
        else if (db == 1)
            o.d[i] = da;
        else if (da < 0 || db < 0)
            o.d[i] = da < 0 ? db : da; /* the known one must be it, or it is an error at run time */
        else {
            char sa[128], sb[128];
            return dn_errf(e, "shapes %s and %s cannot broadcast (dim %d: %lld vs %lld)",
                           dn_shape_str(a, sa, sizeof sa), dn_shape_str(b, sb, sizeof sb), i,
                           (long long)da, (long long)db);
        }
    }
    *out = o;
    return 0;
}

int dn_axis(int64_t axis, int rank, int *out, dn_err *e)
{
    if (axis < -rank || axis >= (rank > 0 ? rank : 1))
        return dn_errf(e, "axis %lld out of range for rank %d", (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return 0;
}

void dn_strides(const dn_shape *s, int64_t *strides)
{
    int64_t st = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        strides[i] = st;
        st *= s->d[i] > 0 ? s->d[i] : 1;
    }
}

size_t dn_tensor_bytes(const dn_tensor *t)
{
    int64_t n = dn_shape_numel(&t->shape);
    return n < 0 ? 0 : (size_t)n * dn_dtype_size(t->dtype);
}

int dn_tensor_alloc(dn_tensor *t, dn_err *e)
{
    int64_t n = dn_shape_numel(&t->shape);
    if (n < 0) return dn_errf(e, "cannot allocate a tensor of unknown shape");
    size_t es = dn_dtype_size(t->dtype);
    if (es == 0) return dn_errf(e, "unsupported dtype %d", t->dtype);
    /* calloc of 0 bytes may return NULL; keep a valid pointer for empty tensors */
    t->data = calloc(n ? (size_t)n : 1, es);
    if (!t->data)
        return dn_errf(e, "out of memory allocating %lld bytes", (long long)((size_t)n * es));
    return 0;
}

void dn_tensor_free(dn_tensor *t)
{
    free(t->data);
    t->data = NULL;
}

double dn_get(const dn_tensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case DN_F32: return ((const float *)p)[i];
    case DN_F64: return ((const double *)p)[i];
    case DN_I64: return (double)((const int64_t *)p)[i];
    case DN_I32: return ((const int32_t *)p)[i];
    case DN_I16: return ((const int16_t *)p)[i];
    case DN_I8: return ((const int8_t *)p)[i];
    case DN_U8: return ((const uint8_t *)p)[i];
    case DN_U16: return ((const uint16_t *)p)[i];
    case DN_U32: return ((const uint32_t *)p)[i];
    case DN_U64: return (double)((const uint64_t *)p)[i];
    case DN_BOOL: return ((const uint8_t *)p)[i] ? 1.0 : 0.0;
    default: return NAN;
    }
}

int64_t dn_geti(const dn_tensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case DN_I64: return ((const int64_t *)p)[i];
    case DN_I32: return ((const int32_t *)p)[i];
    case DN_U64: return (int64_t)((const uint64_t *)p)[i];
    default: return (int64_t)dn_get(t, i);
    }
}

void dn_set(dn_tensor *t, int64_t i, double v)
{
    void *p = t->data;
    switch (t->dtype) {
    case DN_F32: ((float *)p)[i] = (float)v; break;
    case DN_F64: ((double *)p)[i] = v; break;
    case DN_I64: ((int64_t *)p)[i] = (int64_t)v; break;
    case DN_I32: ((int32_t *)p)[i] = (int32_t)v; break;
    case DN_I16: ((int16_t *)p)[i] = (int16_t)v; break;
    case DN_I8: ((int8_t *)p)[i] = (int8_t)v; break;
    case DN_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case DN_U16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case DN_U32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case DN_U64: ((uint64_t *)p)[i] = (uint64_t)v; break;
    case DN_BOOL: ((uint8_t *)p)[i] = v != 0.0; break;
    default: break;
    }
}

void dn_seti(dn_tensor *t, int64_t i, int64_t v)
{
    switch (t->dtype) {
    case DN_I64: ((int64_t *)t->data)[i] = v; break;
    case DN_I32: ((int32_t *)t->data)[i] = (int32_t)v; break;
    case DN_U64: ((uint64_t *)t->data)[i] = (uint64_t)v; break;
    default: dn_set(t, i, (double)v); break;
    }
}
