/* demo.h - the bundled pilot demo: a small Llama that tunepilot pretrained
 * itself, and a narrow task to fine-tune it on (routing support tickets to
 * one of five teams).
 *
 * Everything is generated here, deterministically from a seed (tp_rng):
 *   - synthetic support tickets from templates with varied phrasing, product
 *     names, order numbers, amounts, dates and typos;
 *   - a pretraining corpus of ticket transcripts (the customer's ticket and
 *     an agent's reply) WITHOUT any team label, in the {"prompt",
 *     "completion"} format (loss on the completion);
 *   - the task data set, chat JSONL: user "Route this support ticket ...:
 *     <ticket>" -> assistant "<team>", balanced over the teams, none of its
 *     tickets occurring in the corpus;
 *   - a byte-level BPE tokenizer whose merges are learned from the corpus
 *     (tokenizer.json, tokenizer_config.json: <s>/</s>, add_bos_token, no chat
 *     template, so the dataset layer uses "tunepilot-default");
 *   - a small Llama (GQA, tied embeddings) initialised at random and then
 *     pretrained with the trainer's full fine-tuning on the corpus.
 *
 * `tunepilot demo build` runs demo_build; `tunepilot pilot --demo` fine-tunes
 * the result with demo_pilot_config's settings.
 *
 * Owned by the pilot module (src/pilot/); included by the modules of its layer (decide, cost,
 * pilot, handoff, eval) and those above (session, report, cli, tui). */
#ifndef TUNEPILOT_DEMO_H
#define TUNEPILOT_DEMO_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "tunepilot/error.h"
#include "tunepilot/rng.h"
#include "tunepilot/trainer.h"

#define DEMO_N_TEAMS 5
/* "billing", "technical", "account", "shipping", "sales" */
extern const char *const DEMO_TEAMS[DEMO_N_TEAMS];

/* The instruction that precedes each ticket in the task data set. */
#define DEMO_INSTRUCTION                                                                           \
    "Route this support ticket to one team (billing, technical, account, shipping or sales). "     \
    "Answer with the team only.\n\nTicket: "

/* One synthetic ticket for team (0 .. DEMO_N_TEAMS-1); malloc'ed. */
char *demo_ticket(TpRng *r, int team);
/* An agent's reply to a ticket of team (no team named); malloc'ed. */
char *demo_reply(TpRng *r, int team);

typedef struct DemoBuildOptions {
    const char *out_dir; /* writes OUT/model/ and OUT/tickets.jsonl, OUT/build.json */
    uint64_t seed;       /* 1 */
    int corpus_records;  /* pretraining transcripts (12000) */
    int tickets;         /* task examples, a multiple of DEMO_N_TEAMS (400) */
    int merges;          /* BPE merges learned (766: 1024 ids with <s>, </s>) */
    int hidden, intermediate, layers, heads, kv_heads; /* 128, 384, 4, 4, 2 */
    long long pretrain_steps;                          /* 1600 */
    int batch;                                         /* 16 */
    double lr;                                         /* 3e-3 */
    int threads;                                       /* OpenBLAS threads (2; 0 = leave as is) */
    bool keep_work; /* keep OUT/.work (corpus, initial model, checkpoint) */
} DemoBuildOptions;

/* The settings of the bundled assets. tiny: a smoke build that finishes in
 * seconds (small corpus, model and step count; not a useful model). */
void demo_build_defaults(DemoBuildOptions *o, bool tiny);

/* Writes n chat examples (n / DEMO_N_TEAMS per team, shuffled, no ticket
 * twice) to path. */
TpStatus demo_write_tickets(const char *path, uint64_t seed, int n, TpError *err);

/* Regenerates everything into o->out_dir. Progress (corpus, tokenizer,
 * pretraining steps and held-out loss) goes to sink (may be NULL). stop as
 * for trainer_run: a stopped build leaves the work directory in place and
 * returns TP_ERR. */
TpStatus demo_build(const DemoBuildOptions *o, const TrainSink *sink, volatile sig_atomic_t *stop,
                    TpError *err);

/* The pilot settings of `tunepilot pilot --demo` (QLoRA; sized to finish in
 * well under 3 minutes on 2 cores); other pilot options override them. */
void demo_pilot_config(TrainConfig *c);

/* Where the bundled demo lives: $TUNEPILOT_DEMO_DIR (when set, only there),
 * else the source tree's assets/demo (compiled in), else
 * <program dir>/../share/tunepilot/demo. Writes the directory (even when
 * not found, the last place tried) and returns whether model/config.json
 * and tickets.jsonl are there. */
bool demo_find_dir(char *out, size_t size);

#endif
