/* strset.h - a set of strings with a count each (open addressing, FNV-1a,
 * linear probing, doubled at half full). The order of the slots depends only
 * on the keys inserted, so walking keys[0..cap) is the same on every machine.
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_STRSET_H
#define TUNEPILOT_STRSET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct TpStrSet {
    char **keys; /* cap slots; NULL where empty; owned */
    long *vals;  /* the value of each slot (0 when inserted) */
    size_t cap, n;
} TpStrSet; /* {0} is an empty set */

/* The slot of key (n bytes, not NUL-terminated), inserting it with value 0
 * when absent and insert is set; -1 when absent and not inserted. A slot is
 * valid until the next insertion. */
long tp_strset_slot(TpStrSet *s, const char *key, size_t n, bool insert);
void tp_strset_free(TpStrSet *s);

#endif
