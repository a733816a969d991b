/* dataset.h - supervised fine-tuning (SFT) data: JSON Lines in, token ids
 * with loss labels out.
 *
 * Input formats (one JSON object per line; blank lines are skipped; the
 * format is detected from the first record and every record must share it):
 *
 *   chat        {"messages": [{"role": "system"|"user"|"assistant",
 *                              "content": "...", "weight": 0|1}, ...]}
 *               OpenAI's chat fine-tuning format. "weight" is allowed on
 *               assistant messages only (default 1; 0 = no loss on that
 *               turn). "name" is accepted and ignored. Tool and function
 *               messages/calls ("tool", "function", "tool_calls",
 *               "function_call", a top-level "tools") are not supported.
 *               Other top-level keys are ignored.
 *   alpaca      {"instruction": "...", "input": "...", "output": "..."}
 *               (input optional). Formatted with Stanford Alpaca's PROMPT_DICT:
 *                 "Below is an instruction that describes a task, paired with
 *                 an input that provides further context. Write a response
 *                 that appropriately completes the request.\n\n### Instruction:
 *                 \n{instruction}\n\n### Input:\n{input}\n\n### Response:"
 *               or, when input is missing or "", "Below is an instruction that
 *               describes a task. Write a response that appropriately
 *               completes the request.\n\n### Instruction:\n{instruction}\n\n
 *               ### Response:"; then output + EOS. No chat template.
 *   completion  {"prompt": "...", "completion": "..."}: prompt, then
 *               completion + EOS. No chat template.
 *
 * Loss is on the assistant / output / completion tokens and the token that
 * ends them (EOS, <|im_end|>, <|eot_id|>, ...), never on the prompt. BOS is
 * prepended (as an id) when the tokenizer adds one (tokenizer_adds_bos) or the
 * chat template writes bos_token; never twice.
 *
 * Chat templates. The tokenizer's chat_template (tokenizer_config.json) is
 * recognised by its markers and reproduced by hand (no Jinja engine); the
 * marker strings must be tokens of the tokenizer. Messages are rendered as:
 *
 *   "chatml"  (<|im_start|>; Qwen, SmolLM2, many fine-tunes)
 *             <|im_start|>{role}\n{content}<|im_end|>\n per message. A default
 *             system message written literally in the template (Qwen2/2.5's
 *             "You are a helpful assistant." / "You are Qwen, ...") is inserted
 *             when the first message is not a system one. Generation prompt
 *             <|im_start|>assistant\n.
 *   "chatml-think" (ChatML with <think>, Qwen3): as chatml, and the final
 *             assistant message (when it is the last message) starts with an
 *             empty "<think>\n\n</think>\n\n", which the generation prompt also
 *             ends with (Qwen3's enable_thinking=false). Reasoning content is
 *             not split out of the messages.
 *   "llama3"  (<|start_header_id|>) <|start_header_id|>{role}<|end_header_id|>
 *             \n\n{content, trimmed}<|eot_id|> per message; prompt ends with
 *             the empty assistant header.
 *   "llama3.1" (Llama-3 with "Cutting Knowledge Date", 3.1/3.2/3.3): a system
 *             header always comes first: "Cutting Knowledge Date: December
 *             2023\nToday Date: 26 Jul 2024\n\n" + the first message if it is a
 *             system message (trimmed). The date is the template's fixed
 *             default, never today's (3.2 would use strftime_now).
 *   "zephyr"  (<|user|>; Zephyr, TinyLlama-Chat) <|{role}|>\n{content}EOS\n
 *             per message; generation prompt <|assistant|>\n.
 *   "llama2"  ([INST] with <<SYS>>) BOS [INST] {user, stripped} [/INST], then
 *             " {assistant, stripped} " EOS; a first system message goes into
 *             the first user turn as <<SYS>>\n{system}\n<</SYS>>\n\n. Roles
 *             must alternate user/assistant after the optional system message.
 *   "mistral" ([INST] without <<SYS>>) BOS once, then [INST] {user} [/INST]
 *             and {assistant}EOS. A first system message is prepended to the
 *             first user message with a blank line (the v0.1 template itself
 *             rejects system messages). Roles alternate as for llama2.
 *   "tunepilot-default" (no chat_template, e.g. a small base model, or one
 *             that is not recognised; then Dataset.template_fallback is set):
 *               ### System:\n{system}\n\n       per system message
 *               ### User:\n{user}\n\n           per user message
 *               ### Assistant:\n{assistant}EOS  per assistant message,
 *                                               then \n\n if more follow
 *             Generation prompt "### Assistant:\n".
 *
 * Tokenization. The formatted text is cut at the start and at the end of
 * every assistant answer and wherever an id is inserted directly (BOS; an end
 * token that is not a special added token). Between inserted ids, the first
 * piece is tokenized alone and each later piece together with the text before
 * it: that tokenization is kept when it begins with the ids already emitted,
 * so the pieces concatenate to the tokenization of the whole text (also on
 * SentencePiece-style tokenizers, where an answer after "\n" gets no "▁"
 * added); when a token would straddle the cut the piece is tokenized on its
 * own instead. Either way a prompt tokenizes the same whatever follows it, so
 * prompt_len is exact and dataset_format_prompt equals ids[0..prompt_len).
 * Special-token text inside a piece is matched by tokenizer_encode. Text over
 * 256 KiB since the last inserted id is tokenized piece by piece.
 *
 * Errors are TP_EINVAL with "FILE:LINE: $.path: what, expected what" (invalid
 * JSON: FILE:LINE:COL). Strings must be valid UTF-8. Nothing prints.
 *
 * Owned by the data module (src/data/); included by the modules of its layer (pricing, data,
 * train, net) and those above (decide, cost, pilot, handoff, eval, session, report, cli, tui). */
#ifndef TUNEPILOT_DATASET_H
#define TUNEPILOT_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tunepilot/limits.h"
#include "tunepilot/error.h"
#include "tunepilot/tokenizer.h"

#define DATASET_IGNORE (-100)                    /* label of a position without loss */

typedef enum { DATASET_CHAT, DATASET_ALPACA, DATASET_COMPLETION } DatasetFormat;

typedef struct DatasetExample {
    int *ids;    /* tokens of the whole formatted example (BOS first when added), length n */
    int *labels; /* length n: ids[i + 1] where that token carries loss, else DATASET_IGNORE
                    (prompt, system, user, weight-0 assistant turns, and the last position) */
    int n;
    int n_loss;     /* positions with a label (> 0 for every kept example) */
    bool truncated; /* cut to max_seq */
    int line;       /* 1-based line in the file */
    char *answer;   /* the final assistant reply / output / completion, as formatted (llama2 and
                       llama3 strip surrounding whitespace); for exact-match evaluation */
    int prompt_len; /* leading ids before the answer's first token (the generation prompt for
                       it); <= n, and == n when truncation cut the whole answer away */
} DatasetExample;

typedef struct Dataset {
    DatasetFormat format;
    DatasetExample *train, *eval; /* each in file order */
    int n_train, n_eval;
    int n_truncated;           /* examples longer than max_seq (kept or skipped) */
    int n_skipped_no_loss;     /* examples dropped because no loss token was left (all cut away by
                                  truncation, or every assistant turn had weight 0) */
    const char *template_name; /* static: "chatml", "llama3", ..., "tunepilot-default", or
                                  "alpaca" / "completion" for those formats */
    bool template_fallback;    /* the tokenizer has a chat_template that was not recognised
                                  (or lacks its marker tokens): "tunepilot-default" is used */
    int n_records;             /* non-blank lines read */
    long long n_tokens;        /* sum of n over train and eval */
    long long n_loss_tokens;   /* sum of n_loss over train and eval */
    int max_len;               /* longest kept example, after truncation */
} Dataset;

typedef struct DatasetOptions {
    int max_seq;           /* cut examples to this many tokens; 0 = no limit; else >= 2 */
    double eval_split;     /* fraction in [0, 1) of the examples held out for evaluation */
    uint64_t seed;         /* seed of the split's shuffle */
    size_t max_file_bytes; /* file size cap; 0 = DATASET_MAX_FILE_BYTES */
} DatasetOptions;

/* Reads the JSONL file at path (format detected from its first record; a
 * record of another format is an error naming its line), formats each example
 * with the template chosen for tok (see above), tokenizes, masks and cuts it to
 * opt->max_seq (counting truncated examples; one left without loss tokens is
 * skipped and counted), then splits the examples deterministically: a
 * Fisher-Yates shuffle seeded by opt->seed picks round(eval_split * n) eval
 * examples, at least 1 when n >= 2 and eval_split > 0, and always leaves at
 * least 1 for training. On success *out owns everything (dataset_free); on
 * failure *out is zeroed. TP_EINVAL for bad options or contents (also: an empty
 * file, no example with loss left, a file over the size cap, a tokenizer
 * without the EOS token a template needs), TP_ENOTFOUND / TP_EIO from
 * reading. */
TpStatus dataset_load(const char *path, const Tokenizer *tok, const DatasetOptions *opt,
                      Dataset *out, TpError *err);

/* Releases everything d owns and zeroes it; d may be NULL or zeroed. */
void dataset_free(Dataset *d);

/* Generation prompt for one user message (system may be NULL for none) in the
 * chat template chosen for tok, up to and including the assistant header: the
 * same ids as ids[0..prompt_len) of a chat example holding exactly those
 * messages. *ids is malloc'ed (caller frees), *n its length. TP_EINVAL when
 * system or user is not valid UTF-8 or a needed special token is missing. */
TpStatus dataset_format_prompt(const Tokenizer *tok, const char *system, const char *user,
                               int **ids, int *n, TpError *err);

/* Name of the chat template dataset_load would use for tok (static string);
 * *fallback (if non-NULL) tells whether a chat_template was present but not
 * recognised. */
const char *dataset_template_name(const Tokenizer *tok, bool *fallback);

/* "chat", "alpaca" or "completion". */
const char *dataset_format_name(DatasetFormat f);

#endif
