/* fuzz_rules.c -- libFuzzer target for the lexer, the parser, the checker
 * and the .graph reader: every input is read both as a `.rules` text
 * (parse + check) and as a `.graph` text (parse + IR construction).  The
 * input's name has no directory, so `include "x"` looks in the current
 * directory: run the fuzzer from an empty one.
 *
 * With DNNF_FUZZ_VERIFY=1 in the environment, inputs that check cleanly
 * are also verified numerically (few tries per rule), which exercises
 * verify.c and the engine's operators on odd shapes and attributes.
 *
 *   cmake -S . -B build-fuzz -DDNNF_FUZZ=ON -DCMAKE_C_COMPILER=clang
 *   cmake --build build-fuzz --target fuzz_rules
 *   mkdir -p /tmp/fz && cd /tmp/fz && mkdir -p corpus
 *   .../build-fuzz/fuzz_rules -max_total_time=600 -dict=.../grammar/fuzz_rules.dict \
 *       corpus .../rules .../tests/rules/pass .../tests/rules/fail .../examples
 */
#include "grammar.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int verify = -1;
    if (verify < 0) {
        const char *v = getenv("DNNF_FUZZ_VERIFY");
        verify = v && v[0] == '1';
    }
    gm_diags *d = gm_diags_new();
    gm_rules *r = gm_rules_parse("fuzz.rules", (const char *)data, size, d);
    if (verify && gm_diags_count(d) == 0) {
        rl_options o;
        rl_options_default(&o);
        o.max_tries = 20;
        rl_verify(r, &o, NULL, NULL, d);
    }
    gm_rules_free(r);
    gm_diags_free(d);
    d = gm_diags_new();
    ir_graph *g = gm_graph_parse("fuzz.graph", (const char *)data, size, d);
    ir_free(g);
    gm_diags_free(d);
    return 0;
}
