/* arena.h - a bump allocator for data that lives and dies together (a parsed
 * pricing table, a scenario). One tp_arena_free releases everything.
 * Allocation failure aborts (out of memory is the one fatal error).
 *
 * Owned by the core module (src/core/); any module may include it. */
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

/* Called on out of memory, with the size asked for, before the message and
 * the abort (a face restores the terminal here). It must not allocate; it
 * may not return (a test's handler can exit or jump). NULL: none. Returns
 * the previous handler. */
typedef void (*TpOomHandler)(size_t size);
TpOomHandler tp_set_oom_handler(TpOomHandler fn);

/* Fault injection (tests): from now on the nth checked allocation (counting
 * tp_xmalloc, tp_xcalloc, tp_xrealloc, tp_xstrdup and the arena's blocks,
 * from 1) fails as if malloc had returned NULL; n <= 0 turns it off. Also
 * resets the count that tp_alloc_count returns. */
void tp_alloc_fail_at(long n);
long tp_alloc_count(void); /* checked allocations since the last tp_alloc_fail_at */

#endif
