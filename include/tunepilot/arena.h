/* arena.h - a bump allocator for data that lives and dies together (a parsed
 * pricing table, a scenario). One tp_arena_free releases everything.
 * Allocation failure aborts (out of memory is the one fatal error). */
#ifndef TUNEPILOT_ARENA_H
#define TUNEPILOT_ARENA_H

#include <stddef.h>

typedef struct TpArenaBlock TpArenaBlock;
typedef struct TpArena {
    TpArenaBlock *head;
} TpArena;

void tp_arena_init(TpArena *a);
/* Zeroed memory aligned for any type; owned by the arena. */
void *tp_arena_alloc(TpArena *a, size_t size);
/* Copy of s (NULL stays NULL); owned by the arena. */
char *tp_arena_strdup(TpArena *a, const char *s);
/* Releases every allocation; a may be NULL. The arena can be reused after. */
void tp_arena_free(TpArena *a);

/* Checked heap helpers: abort with a message on out of memory. */
void *tp_xmalloc(size_t size);
void *tp_xcalloc(size_t n, size_t size);
void *tp_xrealloc(void *p, size_t size);
char *tp_xstrdup(const char *s);

#endif
