/* onnx_write.c -- writing ONNX back out.
 *
 * ox_save_weights_copy re-reads the source ModelProto and changes only
 * where each external initializer's bytes live: all of them go into one
 * data file next to the output, with their offsets.  Everything else in
 * the file (including fields this schema subset does not name, which
 * protobuf-c keeps as unknown fields) is written back unchanged, so ONNX
 * Runtime sees exactly the graph dnnf sees, with the same weights. */
#include "engine.h"
#include "onnx.pb-c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static Onnx__StringStringEntryProto *entry(const char *k, const char *v)
{
    Onnx__StringStringEntryProto *p = malloc(sizeof *p);
    if (!p) abort();
    onnx__string_string_entry_proto__init(p);
    p->key = ir_strdup(k);
    p->value = ir_strdup(v);
    return p;
}

int ox_save_weights_copy(const char *src, const ir_graph *g, const char *out, dn_err *e)
{
    FILE *f = fopen(src, "rb");
    if (!f) return dn_errf(e, "%s: cannot open: %s", src, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    if (!buf) abort();
    size_t got = fread(buf, 1, (size_t)len, f);
    fclose(f);
    Onnx__ModelProto *m = got == (size_t)len ? onnx__model_proto__unpack(NULL, got, buf) : NULL;
    free(buf);
    if (!m || !m->graph) {
        if (m) onnx__model_proto__free_unpacked(m, NULL);
        return dn_errf(e, "%s: not a valid ONNX model", src);
    }

    /* data file: "<out without .onnx>.weights", next to out */
    char data_path[4096];
    snprintf(data_path, sizeof data_path, "%s", out);
    size_t L = strlen(data_path);
    if (L > 5 && !strcmp(data_path + L - 5, ".onnx")) data_path[L - 5] = 0;
    strncat(data_path, ".weights", sizeof data_path - strlen(data_path) - 1);
    const char *data_name = strrchr(data_path, '/') ? strrchr(data_path, '/') + 1 : data_path;
    FILE *d = fopen(data_path, "wb");
    if (!d) {
        onnx__model_proto__free_unpacked(m, NULL);
        return dn_errf(e, "%s: cannot create: %s", data_path, strerror(errno));
    }
    int rc = 0;
    int64_t off = 0;
    for (size_t i = 0; i < m->graph->n_initializer && rc == 0; i++) {
        Onnx__TensorProto *tp = m->graph->initializer[i];
        if (!(tp->has_data_location &&
              tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
            continue;
        int v = tp->name ? ir_find_value(g, tp->name) : -1;
        if (v < 0 || !g->val[v].data) {
            rc = dn_errf(e, "%s: initializer '%s' has no data loaded to write", src,
                         tp->name ? tp->name : "");
            break;
        }
        dn_tensor t = {g->val[v].dtype, g->val[v].shape, g->val[v].data};
        size_t bytes = dn_tensor_bytes(&t);
        if (fwrite(t.data, 1, bytes, d) != bytes) {
            rc = dn_errf(e, "%s: write failed: %s", data_path, strerror(errno));
            break;
        }
        for (size_t k = 0; k < tp->n_external_data; k++)
            onnx__string_string_entry_proto__free_unpacked(tp->external_data[k], NULL);
        free(tp->external_data);
        char so[32], sl[32];
        snprintf(so, sizeof so, "%lld", (long long)off);
        snprintf(sl, sizeof sl, "%zu", bytes);
        tp->n_external_data = 3;
        tp->external_data = malloc(3 * sizeof *tp->external_data);
        if (!tp->external_data) abort();
        tp->external_data[0] = entry("location", data_name);
        tp->external_data[1] = entry("offset", so);
        tp->external_data[2] = entry("length", sl);
        off += (int64_t)bytes;
    }
    if (fclose(d) != 0 && rc == 0) rc = dn_errf(e, "%s: write failed", data_path);
    if (rc == 0) {
        size_t n = onnx__model_proto__get_packed_size(m);
        uint8_t *pb = malloc(n ? n : 1);
        if (!pb) abort();
        onnx__model_proto__pack(m, pb);
        FILE *o = fopen(out, "wb");
        if (!o)
            rc = dn_errf(e, "%s: cannot create: %s", out, strerror(errno));
        else {
            if (fwrite(pb, 1, n, o) != n) rc = dn_errf(e, "%s: write failed", out);
            if (fclose(o) != 0 && rc == 0) rc = dn_errf(e, "%s: write failed", out);
        }
        free(pb);
    }
    onnx__model_proto__free_unpacked(m, NULL);
    return rc;
}
