/* tokenizer.h - Hugging Face tokenizer.json BPE tokenizers (encode and decode).
 *
 * Reads the tokenizer.json written by huggingface/tokenizers and reproduces
 * its BPE pipeline: added tokens matched in the raw text, normalizer,
 * pre-tokenizer, BPE model (merge ranks, byte_fallback, unk, ignore_merges),
 * decoder. Both families in use are supported:
 *
 *   byte-level (GPT-2, SmolLM, Llama-3, Qwen2): ByteLevel pre-tokenizer
 *     (add_prefix_space, use_regex), Split (the file's own regex, compiled by
 *     PCRE2 with UTF and UCP; behaviors Isolated, Removed, MergedWithPrevious,
 *     MergedWithNext, Contiguous; invert), Digits (individual_digits),
 *     Sequence, ByteLevel decoder;
 *   SentencePiece-converted (Llama-1/2, Mistral, TinyLlama): Metaspace
 *     pre-tokenizer (replacement, prepend_scheme always/first/never, split,
 *     legacy add_prefix_space), byte_fallback <0xNN> tokens, unk token with
 *     fuse_unk, decoders Sequence, Replace, ByteFallback, Fuse, Strip,
 *     Metaspace.
 *
 * Normalizers (either family): Sequence, Prepend, Replace (String or Regex),
 * Strip, NFC, NFD, NFKC, NFKD, Lowercase (Rust's per-character
 * char::to_lowercase: simple mappings plus U+0130 -> "i" U+0307, no final
 * sigma rule) and StripAccents (drops General_Category Mn, Mc, Me). The
 * Unicode data is utf8proc's (Unicode 15.0 in Debian 12's 2.8.0);
 * huggingface/tokenizers uses the Rust crates' tables, so a character
 * assigned in a later Unicode version than either may normalize differently.
 *
 * Deliberate differences from huggingface/tokenizers:
 *   - Invalid UTF-8 input is first repaired like Rust's from_utf8_lossy (and
 *     JavaScript's TextDecoder): each maximal invalid subpart becomes U+FFFD.
 *     So decode(encode(x)) is the repaired x, never a crash.
 *   - Regexes run on PCRE2, not Oniguruma; \s is widened by U+0085 to match
 *     Oniguruma's White_Space. Unicode property tables follow PCRE2's version.
 *   - dropout, truncation and padding settings are ignored (encoding is
 *     deterministic and never padded or cut); post-processors are not run
 *     (callers add BOS/EOS per tokenizer_adds_bos/tokenizer_adds_eos).
 *   - An added token whose content is also in the vocab takes the vocab's id.
 *
 * Unsupported (TP_EINVAL at load naming the file, the JSON path and what is
 * supported): models other than BPE (WordPiece, Unigram, WordLevel), other
 * normalizers (BertNormalizer, Precompiled, Nmt, ByteLevel), other
 * pre-tokenizers (Whitespace, BertPreTokenizer, Punctuation, ...), other
 * decoders (WordPiece, BPEDecoder, CTC). continuing_subword_prefix and
 * end_of_word_suffix are honoured in the model but no real file tested them.
 *
 * Round trips: decode(encode(x)) == x for any valid UTF-8 x on byte-level
 * tokenizers (added-token text included, when not skipping specials). On
 * SentencePiece-style ones it holds for text with no literal U+2581 (which
 * decodes as a space) and no added-token text (a Prepend normalizer puts a
 * "▁" after each one, as huggingface/tokenizers does). The legacy layout
 * (normalizers Prepend "▁" + Replace " " -> "▁", decoder ending in Strip)
 * keeps leading spaces; the Metaspace layout with prepend_scheme "first"
 * loses one leading space (" x" encodes like "x"), as upstream does.
 *
 * A loaded Tokenizer is read-only: encode and decode may run concurrently
 * from several threads on the same Tokenizer.
 *
 * Owned by the model module (src/model/); included by the modules of its layer (model) and
 * those above (pricing, data, train, net, decide, cost, pilot, handoff, eval, session, report,
 * cli, tui). */
#ifndef TUNEPILOT_TOKENIZER_H
#define TUNEPILOT_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>

#include "tunepilot/error.h"

typedef struct Tokenizer Tokenizer;

/* Loads a tokenizer. path is either a directory holding tokenizer.json (and,
 * when present, tokenizer_config.json: add_bos_token, add_eos_token,
 * bos_token/eos_token as strings or {"content": ...} objects, chat_template)
 * or the path of a tokenizer.json file itself (then no tokenizer_config.json
 * is read). On failure *out is NULL and err names the file and JSON path:
 * TP_ENOTFOUND for a missing file, TP_EIO for an unreadable one, TP_EINVAL
 * for invalid JSON (with line:col) or unsupported contents. */
TpStatus tokenizer_load(const char *path, Tokenizer **out, TpError *err);

/* Like tokenizer_load, from the text of a tokenizer.json held in memory (len
 * bytes); name stands for the file in messages. No tokenizer_config.json. */
TpStatus tokenizer_load_json(const char *json, size_t len, const char *name, Tokenizer **out,
                             TpError *err);

/* Releases t; t may be NULL. */
void tokenizer_free(Tokenizer *t);

/* Learns a byte-level BPE (GPT-2's byte map and pre-tokenization, ASCII
 * texts) from the NULL-terminated texts: up to n_merges merges (fewer when
 * no pair occurs twice), ids 0..255 the bytes, 256 + k merge k, then <s> and
 * </s> as special added tokens. Returns the tokenizer.json text (the caller
 * frees it); *vocab_size gets the ids in use, *merges_made the merges. The
 * same texts give the same file on every machine. */
char *tokenizer_train_bpe(char *const *texts, int n_merges, int *vocab_size, int *merges_made);

/* Max id + 1 over the vocab and the added tokens. */
int tokenizer_vocab_size(const Tokenizer *t);

/* BOS/EOS ids, or -1 if none. From tokenizer_config.json bos_token/eos_token
 * when present, else from a TemplateProcessing post-processor's first/last
 * special token, else from a special added token spelled <s>/</s>,
 * <|begin_of_text|>/<|end_of_text|>, <bos>/<eos> or <|endoftext|>. */
int tokenizer_bos_id(const Tokenizer *t);
int tokenizer_eos_id(const Tokenizer *t);

/* Whether callers should prepend BOS / append EOS: tokenizer_config.json
 * add_bos_token/add_eos_token when present, else whether a TemplateProcessing
 * post-processor's "single" template starts/ends with a special token. */
bool tokenizer_adds_bos(const Tokenizer *t);
bool tokenizer_adds_eos(const Tokenizer *t);

/* tokenizer_config.json chat_template (the "default" entry of a list form),
 * or NULL. Owned by t. */
const char *tokenizer_chat_template(const Tokenizer *t);

/* The vocab string (or added token content) of id; NULL if id is out of
 * range or unassigned. Owned by t. */
const char *tokenizer_piece(const Tokenizer *t, int id);

/* Id of a piece (added tokens first, then the vocab); -1 if absent. */
int tokenizer_token_id(const Tokenizer *t, const char *piece);

/* True when id is an added token marked special. */
bool tokenizer_is_special(const Tokenizer *t, int id);

/* Encodes len bytes of UTF-8 text WITHOUT adding BOS/EOS. Added tokens
 * (special or not) found in the text become their ids. Invalid UTF-8 is
 * repaired first (see above). On success *ids is a malloc'ed array of *n ids
 * (never NULL, even when *n is 0) that the caller frees. Fails only when a
 * regex hits PCRE2's match limit (TP_EINVAL). */
TpStatus tokenizer_encode(const Tokenizer *t, const char *text, size_t len, int **ids, int *n,
                          TpError *err);

/* Decodes ids to a malloc'ed NUL-terminated UTF-8 string (caller frees).
 * Out-of-range ids are skipped; skip_special drops special added tokens.
 * Byte sequences that do not form UTF-8 come out as U+FFFD, as in
 * huggingface/tokenizers. Without a decoder the pieces are joined by
 * spaces, as huggingface/tokenizers does. */
char *tokenizer_decode(const Tokenizer *t, const int *ids, int n, bool skip_special);

/* tokenizer_decode that also reports the length in bytes (*len, if len is
 * non-NULL), for text that contains NUL characters. */
char *tokenizer_decode_len(const Tokenizer *t, const int *ids, int n, bool skip_special,
                           size_t *len);

#endif
