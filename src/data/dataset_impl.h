/* dataset_impl.h - what dataset.c (reading, checking, splitting) and
 * dataset_template.c (chat templates, tokenizing with loss flags) share. Not a
 * public header. */
#ifndef TP_DATASET_IMPL_H
#define TP_DATASET_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "tunepilot/dataset.h"

typedef enum { DATASET_ROLE_SYSTEM, DATASET_ROLE_USER, DATASET_ROLE_ASSISTANT } DatasetRole;

/* One checked chat message; text is borrowed (NUL-terminated UTF-8). */
typedef struct DatasetMsg {
    DatasetRole role;
    const char *text;
    bool loss; /* assistant with weight 1 */
} DatasetMsg;

typedef enum {
    TPL_DEFAULT,
    TPL_CHATML,
    TPL_CHATML_THINK,
    TPL_LLAMA3,
    TPL_LLAMA31,
    TPL_ZEPHYR,
    TPL_LLAMA2,
    TPL_MISTRAL,
} DatasetTemplateKind;

typedef struct DatasetTemplate {
    DatasetTemplateKind kind;
    const char *name;     /* static */
    bool fallback;        /* a chat_template was present but not usable */
    bool bos;             /* BOS id first (not used by llama2, which writes BOS per turn) */
    char *default_system; /* chatml: system message the template inserts, or NULL */
} DatasetTemplate;

/* Chooses the template for tok (see dataset.h). */
void dataset_template_init(DatasetTemplate *t, const Tokenizer *tok);
void dataset_template_free(DatasetTemplate *t);

/* A tokenized example before labels: ids with a loss flag per id. */
typedef struct DatasetSeq {
    int *ids;
    unsigned char *loss; /* 1 = this id is a target of the loss */
    int n, cap;
    int prompt_len; /* ids before the final answer's first token */
    char *answer;   /* malloc'ed final answer text, or NULL (generation prompts) */
} DatasetSeq;

void dataset_seq_free(DatasetSeq *s);

/* Formats and tokenizes n checked messages. gen_prompt false: a training
 * example (needs an assistant message; prompt_len and answer describe the last
 * one); true: the messages then the generation prompt (prompt_len = n). Errors
 * (TP_EINVAL) carry no file name: "$.messages[i]...: ..." or the tokenizer's. */
TpStatus dataset_format_chat(const Tokenizer *tok, const DatasetTemplate *t, const DatasetMsg *m,
                             int n, bool gen_prompt, DatasetSeq *out, TpError *err);

/* Stanford Alpaca prompt (input may be NULL or "") then output + EOS. */
TpStatus dataset_format_alpaca(const Tokenizer *tok, const char *instruction, const char *input,
                               const char *output, DatasetSeq *out, TpError *err);

/* prompt, then completion + EOS. */
TpStatus dataset_format_completion(const Tokenizer *tok, const char *prompt, const char *completion,
                                   DatasetSeq *out, TpError *err);

#endif
