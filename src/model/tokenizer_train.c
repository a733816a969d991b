/* tokenizer_train.c - learning a byte-level BPE tokenizer from texts, the
 * way GPT-2's tokenizer was made (see tokenizer.h: tokenizer_train_bpe). */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tokenizer_impl.h"
#include "tunepilot/arena.h"
#include "tunepilot/hashmap.h"
#include "tunepilot/tokenizer.h"

/* GPT-2's byte-to-character map (bytes_to_unicode, tk_byte_to_cp) as UTF-8
 * strings. */
static void byte_chars(char out[256][4]) {
    for (int b = 0; b < 256; b++)
        out[b][tp_utf8_put(tk_byte_to_cp[b], out[b])] = '\0';
}

/* GPT-2's pre-tokenization on ASCII text (the corpus is ASCII):
 * 's|'t|'re|'ve|'m|'ll|'d| ?letters| ?digits| ?[^\s letters digits]+|\s+(?!\S)|\s+
 * Returns the length of the piece at s[i]. */
static size_t gpt2_piece(const char *s, size_t n, size_t i) {
    if (s[i] == '\'' && i + 1 < n) {
        static const char *const C[] = {"s", "t", "m", "d", "re", "ve", "ll"};
        for (size_t k = 0; k < sizeof C / sizeof C[0]; k++) {
            size_t l = strlen(C[k]);
            if (i + 1 + l <= n && !memcmp(s + i + 1, C[k], l))
                return 1 + l;
        }
    }
    size_t j = i;
    if (s[j] == ' ' && j + 1 < n && !isspace((unsigned char)s[j + 1]))
        j++;
    unsigned char c = (unsigned char)s[j];
    if (!isspace(c)) {
        int cls = isalpha(c) ? 0 : isdigit(c) ? 1 : 2;
        size_t k = j + 1;
        while (k < n) {
            unsigned char d = (unsigned char)s[k];
            int dc = isspace(d) ? -1 : isalpha(d) ? 0 : isdigit(d) ? 1 : 2;
            if (dc != cls)
                break;
            k++;
        }
        return k - i;
    }
    size_t k = i;
    while (k < n && isspace((unsigned char)s[k]))
        k++;
    if (k == n || k - i == 1)
        return k - i;
    return k - i - 1;
}

typedef struct Word {
    int *sym, n;
    long count;
} Word;

/* Learns up to n_merges merges; ids 0..255 are the bytes, merge k makes id
 * 256 + k. vocab[id] gets each token's byte-level string; returns the merge
 * count (fewer when no pair occurs twice). */
static int learn_bpe(char *const *texts, int n_merges, char ***vocab_out, int (**merges_out)[2]) {
    TpStrMap words = {0};
    for (int t = 0; texts[t]; t++) {
        const char *s = texts[t];
        size_t n = strlen(s);
        for (size_t i = 0; i < n;) {
            size_t len = gpt2_piece(s, n, i);
            long slot = tp_strmap_slot(&words, s + i, len, true);
            words.vals[slot]++;
            i += len;
        }
    }
    int nw = 0;
    Word *w = tp_xcalloc(words.n ? words.n : 1, sizeof *w);
    for (size_t i = 0; i < words.cap; i++) {
        if (!words.keys[i])
            continue;
        size_t len = words.lens[i];
        w[nw].sym = tp_xmalloc(sizeof(int) * (len ? len : 1));
        for (size_t k = 0; k < len; k++)
            w[nw].sym[k] = (unsigned char)words.keys[i][k];
        w[nw].n = (int)len;
        w[nw].count = words.vals[i];
        nw++;
    }
    /* (the hash table's order depends only on the keys inserted; ties
     * between pair counts go to the smallest pair of ids either way) */
    tp_strmap_free(&words);
    char bc[256][4];
    byte_chars(bc);
    int V = 256 + n_merges;
    char **vocab = tp_xcalloc((size_t)V, sizeof(char *));
    for (int b = 0; b < 256; b++)
        vocab[b] = tp_xstrdup(bc[b]);
    int(*merges)[2] = tp_xcalloc((size_t)(n_merges ? n_merges : 1), sizeof *merges);
    long *count = tp_xcalloc((size_t)V * V, sizeof(long));
    int *touched = tp_xmalloc(sizeof(int) * (size_t)V * V);
    int done = 0;
    for (; done < n_merges; done++) {
        int nt = 0;
        for (int i = 0; i < nw; i++)
            for (int k = 0; k + 1 < w[i].n; k++) {
                int key = w[i].sym[k] * V + w[i].sym[k + 1];
                if (count[key] == 0)
                    touched[nt++] = key;
                count[key] += w[i].count;
            }
        int best = -1;
        long best_n = 1;
        for (int i = 0; i < nt; i++) {
            int key = touched[i];
            if (count[key] > best_n || (count[key] == best_n && best >= 0 && key < best)) {
                best = key;
                best_n = count[key];
            }
        }
        for (int i = 0; i < nt; i++)
            count[touched[i]] = 0;
        if (best < 0)
            break;
        int a = best / V, c = best % V, id = 256 + done;
        merges[done][0] = a;
        merges[done][1] = c;
        size_t la = strlen(vocab[a]), lc = strlen(vocab[c]);
        vocab[id] = tp_xmalloc(la + lc + 1);
        memcpy(vocab[id], vocab[a], la);
        memcpy(vocab[id] + la, vocab[c], lc + 1);
        for (int i = 0; i < nw; i++) {
            int o = 0;
            for (int k = 0; k < w[i].n; k++) {
                if (k + 1 < w[i].n && w[i].sym[k] == a && w[i].sym[k + 1] == c) {
                    w[i].sym[o++] = id;
                    k++;
                } else {
                    w[i].sym[o++] = w[i].sym[k];
                }
            }
            w[i].n = o;
        }
    }
    free(count);
    free(touched);
    for (int i = 0; i < nw; i++)
        free(w[i].sym);
    free(w);
    *vocab_out = vocab;
    *merges_out = merges;
    return done;
}

char *tokenizer_train_bpe(char *const *texts, int n_merges, int *vocab_size, int *merges_made) {
    char **vocab;
    int(*merges)[2];
    int nm = learn_bpe(texts, n_merges, &vocab, &merges);
    int bos = 256 + nm, eos = bos + 1;
    *vocab_size = eos + 1;
    *merges_made = nm;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "version", "1.0");
    cJSON_AddNullToObject(root, "truncation");
    cJSON_AddNullToObject(root, "padding");
    cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
    const char *special[2] = {"<s>", "</s>"};
    for (int i = 0; i < 2; i++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddNumberToObject(a, "id", bos + i);
        cJSON_AddStringToObject(a, "content", special[i]);
        cJSON_AddBoolToObject(a, "single_word", false);
        cJSON_AddBoolToObject(a, "lstrip", false);
        cJSON_AddBoolToObject(a, "rstrip", false);
        cJSON_AddBoolToObject(a, "normalized", false);
        cJSON_AddBoolToObject(a, "special", true);
        cJSON_AddItemToArray(added, a);
    }
    cJSON_AddNullToObject(root, "normalizer");
    for (int i = 0; i < 2; i++) {
        cJSON *p = cJSON_AddObjectToObject(root, i ? "decoder" : "pre_tokenizer");
        if (!i)
            cJSON_AddNullToObject(root, "post_processor");
        cJSON_AddStringToObject(p, "type", "ByteLevel");
        cJSON_AddBoolToObject(p, "add_prefix_space", false);
        cJSON_AddBoolToObject(p, "trim_offsets", true);
        cJSON_AddBoolToObject(p, "use_regex", true);
    }
    cJSON *model = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(model, "type", "BPE");
    cJSON_AddNullToObject(model, "dropout");
    cJSON_AddNullToObject(model, "unk_token");
    cJSON_AddNullToObject(model, "continuing_subword_prefix");
    cJSON_AddNullToObject(model, "end_of_word_suffix");
    cJSON_AddBoolToObject(model, "fuse_unk", false);
    cJSON_AddBoolToObject(model, "byte_fallback", false);
    cJSON_AddBoolToObject(model, "ignore_merges", false);
    cJSON *v = cJSON_AddObjectToObject(model, "vocab");
    for (int id = 0; id < 256 + nm; id++)
        cJSON_AddNumberToObject(v, vocab[id], id);
    cJSON *m = cJSON_AddArrayToObject(model, "merges");
    for (int k = 0; k < nm; k++) {
        size_t la = strlen(vocab[merges[k][0]]), lb = strlen(vocab[merges[k][1]]);
        char *s = tp_xmalloc(la + lb + 2);
        memcpy(s, vocab[merges[k][0]], la);
        s[la] = ' ';
        memcpy(s + la + 1, vocab[merges[k][1]], lb + 1);
        cJSON_AddItemToArray(m, cJSON_CreateString(s));
        free(s);
    }
    char *js = cJSON_Print(root);
    cJSON_Delete(root);
    for (int id = 0; id < 256 + n_merges; id++)
        free(vocab[id]);
    free(vocab);
    free(merges);
    return js;
}
