#include "tunepilot/arena.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct TpArenaBlock {
    TpArenaBlock *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

static _Atomic(TpOomHandler) oom_handler;
static atomic_long fail_at, n_allocs;

TpOomHandler tp_set_oom_handler(TpOomHandler fn) {
    return atomic_exchange(&oom_handler, fn);
}

void tp_alloc_fail_at(long n) {
    atomic_store(&n_allocs, 0);
    atomic_store(&fail_at, n > 0 ? n : 0);
}

long tp_alloc_count(void) {
    return atomic_load(&n_allocs);
}

/* true when this checked allocation is to fail (fault injection) */
static bool injected(void) {
    long n = atomic_fetch_add(&n_allocs, 1) + 1;
    long at = atomic_load(&fail_at);
    return at > 0 && n == at;
}

static void tp_oom(size_t size) {
    TpOomHandler h = atomic_load(&oom_handler);
    if (h)
        h(size);
    fprintf(stderr, "tunepilot: out of memory (%zu bytes)\n", size);
    abort();
}

void *tp_xmalloc(size_t size) {
    void *p = injected() ? NULL : malloc(size ? size : 1);
    if (!p)
        tp_oom(size);
    return p;
}

void *tp_xcalloc(size_t n, size_t size) {
    void *p = injected() ? NULL : calloc(n ? n : 1, size ? size : 1);
    if (!p)
        tp_oom(n * size);
    return p;
}

void *tp_xrealloc(void *p, size_t size) {
    void *q = injected() ? NULL : realloc(p, size ? size : 1);
    if (!q)
        tp_oom(size);
    return q;
}

char *tp_xstrdup(const char *s) {
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = tp_xmalloc(n);
    memcpy(d, s, n);
    return d;
}

void tp_arena_init(TpArena *a) { a->head = NULL; }

void *tp_arena_alloc(TpArena *a, size_t size) {
    size = (size + 15) & ~(size_t)15;
    TpArenaBlock *b = a->head;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > 32768 ? size : 32768;
        b = tp_xmalloc(sizeof *b + cap);
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *tp_arena_strdup(TpArena *a, const char *s) {
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = tp_arena_alloc(a, n);
    memcpy(d, s, n);
    return d;
}

void tp_arena_free(TpArena *a) {
    if (!a)
        return;
    TpArenaBlock *b = a->head;
    while (b) {
        TpArenaBlock *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
}
