/* arena.c -- bump allocation for memory that lives and dies together: an
 * AST, an e-graph, a kernel's index expressions.  One implementation for
 * every module (grammar/, engine/, codegen/, layout/).  Memory is zeroed
 * and 16-byte aligned; running out of memory aborts, as every allocator in
 * dnnf does, because it is not a user error to report. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK ((size_t)64 << 10)

struct dn_arena_block {
    struct dn_arena_block *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

dn_arena *dn_arena_new(void)
{
    dn_arena *a = calloc(1, sizeof *a);
    if (!a) abort();
    return a;
}

void dn_arena_clear(dn_arena *a)
{
    for (struct dn_arena_block *b = a->head, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    a->head = NULL;
    a->used = 0;
}

void dn_arena_free(dn_arena *a)
{
    if (!a) return;
    dn_arena_clear(a);
    free(a);
}

void *dn_arena_alloc(dn_arena *a, size_t n)
{
    n = n ? (n + 15) & ~(size_t)15 : 16;
    struct dn_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof *b + size);
        if (!b) abort();
        b->used = 0;
        b->size = size;
        /* a big one-off block goes second, so the current block keeps filling */
        if (a->head && n > ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *dn_arena_strndup(dn_arena *a, const char *s, size_t n)
{
    char *d = dn_arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *dn_arena_strdup(dn_arena *a, const char *s)
{
    return dn_arena_strndup(a, s, strlen(s));
}
