/* dataset_impl.h - what dataset.c (reading, checking, splitting) and
 * dataset_template.c (chat templates, tokenizing with loss flags) share. Not a
 * public header. */
#ifndef TP_DATASET_IMPL_H
#define TP_DATASET_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "tunepilot/dataset.h"

typedef enum { DS_SYSTEM, DS_USER, DS_ASSISTANT } DsRole;

/* One checked chat message; text is borrowed (NUL-terminated UTF-8). */
typedef struct DsMsg {
    DsRole role;
    const char *text;
    bool loss; /* assistant with weight 1 */
} DsMsg;

typedef enum {
    TPL_DEFAULT,
    TPL_CHATML,
    TPL_CHATML_THINK,
    TPL_LLAMA3,
    TPL_LLAMA31,
    TPL_ZEPHYR,
    TPL_LLAMA2,
    TPL_MISTRAL,
} DsTplKind;

typedef struct DsTemplate {
    DsTplKind kind;
    const char *name;     /* static */
    bool fallback;        /* a chat_template was present but not usable */
    bool bos;             /* BOS id first (not used by llama2, which writes BOS per turn) */
    char *default_system; /* chatml: system message the template inserts, or NULL */
} DsTemplate;

/* Chooses the template for tok (see dataset.h). */
void ds_template_init(DsTemplate *t, const Tokenizer *tok);
void ds_template_free(DsTemplate *t);

/* A tokenized example before labels: ids with a loss flag per id. */
typedef struct DsSeq {
    int *ids;
    unsigned char *loss; /* 1 = this id is a target of the loss */
    int n, cap;
    int prompt_len; /* ids before the final answer's first token */
    char *answer;   /* malloc'ed final answer text, or NULL (generation prompts) */
} DsSeq;

void ds_seq_free(DsSeq *s);

/* Formats and tokenizes n checked messages. gen_prompt false: a training
 * example (needs an assistant message; prompt_len and answer describe the last
 * one); true: the messages then the generation prompt (prompt_len = n). Errors
 * (TP_EINVAL) carry no file name: "$.messages[i]...: ..." or the tokenizer's. */
TpStatus ds_format_chat(const Tokenizer *tok, const DsTemplate *t, const DsMsg *m, int n,
                        bool gen_prompt, DsSeq *out, TpError *err);

/* Stanford Alpaca prompt (input may be NULL or "") then output + EOS. */
TpStatus ds_format_alpaca(const Tokenizer *tok, const char *instruction, const char *input,
                          const char *output, DsSeq *out, TpError *err);

/* prompt, then completion + EOS. */
TpStatus ds_format_completion(const Tokenizer *tok, const char *prompt, const char *completion,
                              DsSeq *out, TpError *err);

#endif
