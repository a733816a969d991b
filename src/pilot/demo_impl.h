/* demo_impl.h - the demo's data writers (demo_tickets.c) as the build
 * (demo.c) calls them. Private to src/pilot. */
#ifndef TP_DEMO_IMPL_H
#define TP_DEMO_IMPL_H

#include <stdint.h>

#include "tunepilot/error.h"
#include "tunepilot/hashmap.h"

/* The task data set: n tickets (n / DEMO_N_TEAMS per team) as chat JSONL,
 * none in avoid (may be NULL) nor repeated. */
TpStatus demo_write_task(const char *path, uint64_t seed, int n, const TpStrMap *avoid,
                         TpError *err);
/* The corpus: transcripts "Customer: <ticket>\nAgent: <reply>" (some
 * tickets alone) as prompt/completion JSONL. *texts gets every transcript
 * (NULL-terminated, the caller frees each and the array) and tickets every
 * ticket text. */
TpStatus demo_write_corpus(const char *path, uint64_t seed, int n, char ***texts,
                           TpStrMap *tickets, TpError *err);

#endif
