/* strset.c - a set of strings with counts (see strset.h). */
#include "tunepilot/strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"

static uint64_t fnv(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

void tp_strset_free(TpStrSet *s) {
    for (size_t i = 0; i < s->cap; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->vals);
    memset(s, 0, sizeof *s);
}

long tp_strset_slot(TpStrSet *s, const char *key, size_t n, bool insert) {
    if (insert && (s->n + 1) * 2 > s->cap) {
        TpStrSet g = {tp_xcalloc(s->cap ? s->cap * 2 : 1024, sizeof(char *)),
                    tp_xcalloc(s->cap ? s->cap * 2 : 1024, sizeof(long)),
                    s->cap ? s->cap * 2 : 1024, s->n};
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->keys[i])
                continue;
            size_t j = fnv(s->keys[i], strlen(s->keys[i])) & (g.cap - 1);
            while (g.keys[j])
                j = (j + 1) & (g.cap - 1);
            g.keys[j] = s->keys[i];
            g.vals[j] = s->vals[i];
        }
        free(s->keys);
        free(s->vals);
        *s = g;
    }
    if (!s->cap)
        return -1;
    size_t j = fnv(key, n) & (s->cap - 1);
    while (s->keys[j]) {
        if (strlen(s->keys[j]) == n && !memcmp(s->keys[j], key, n))
            return (long)j;
        j = (j + 1) & (s->cap - 1);
    }
    if (!insert)
        return -1;
    s->keys[j] = tp_xmalloc(n + 1);
    memcpy(s->keys[j], key, n);
    s->keys[j][n] = '\0';
    s->vals[j] = 0;
    s->n++;
    return (long)j;
}
