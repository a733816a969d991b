/* llama_io.c - Llama weights in and out of Hugging Face safetensors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/arena.h"
#include "tunepilot/fileio.h"
#include "tunepilot/llama.h"
#include "tunepilot/paths.h"
#include "tunepilot/safetensors.h"

/* One named tensor of the model with its destination and shape. */
typedef struct Slot {
    char name[96];
    float *dst;
    int ndim;
    int64_t shape[2];
    int layer, which; /* a block's linear weight: its layer and LlamaLinear; else -1 */
} Slot;

/* The checkpoint's tensors in Hugging Face naming. Returns how many; the
 * tied lm_head is not listed. With w NULL, names and shapes only (dst NULL):
 * the checkpoint is checked against config.json before anything is
 * allocated. */
static int slots(const LlamaModel *m, const LlamaWeights *w, Slot *s) {
    const LlamaConfig *c = &m->cfg;
    int64_t C = c->hidden, F = c->intermediate, V = c->vocab;
    int64_t q = (int64_t)c->n_heads * c->head_dim, kv = (int64_t)c->n_kv_heads * c->head_dim;
    int n = 0;
#define SLOT(nm, ptr, d0, d1)                                                                      \
    do {                                                                                           \
        snprintf(s[n].name, sizeof s[n].name, "%s", nm);                                           \
        s[n].dst = (ptr);                                                                          \
        s[n].ndim = (d1) ? 2 : 1;                                                                  \
        s[n].shape[0] = (d0);                                                                      \
        s[n].shape[1] = (d1);                                                                      \
        s[n].layer = s[n].which = -1;                                                              \
        n++;                                                                                       \
    } while (0)
    static const LlamaLayerWeights none;
    SLOT("model.embed_tokens.weight", w ? w->embed : NULL, V, C);
    for (int l = 0; l < c->n_layers; l++) {
        const LlamaLayerWeights *L = w ? &w->layers[l] : &none;
        char p[64];
        char nm[96];
        snprintf(p, sizeof p, "model.layers.%d.", l);
#define LS(suffix, ptr, d0, d1)                                                                    \
    do {                                                                                           \
        snprintf(nm, sizeof nm, "%s%s", p, suffix);                                                \
        SLOT(nm, ptr, d0, d1);                                                                     \
    } while (0)
#define LIN(suffix, ptr, d0, d1, id)                                                               \
    do {                                                                                           \
        LS(suffix, ptr, d0, d1);                                                                   \
        s[n - 1].layer = l;                                                                        \
        s[n - 1].which = (id);                                                                     \
    } while (0)
        LS("input_layernorm.weight", L->attn_norm, C, 0);
        LIN("self_attn.q_proj.weight", L->wq, q, C, LLAMA_Q);
        LIN("self_attn.k_proj.weight", L->wk, kv, C, LLAMA_K);
        LIN("self_attn.v_proj.weight", L->wv, kv, C, LLAMA_V);
        LIN("self_attn.o_proj.weight", L->wo, C, q, LLAMA_O);
        if (c->attention_bias) {
            LS("self_attn.q_proj.bias", L->bq, q, 0);
            LS("self_attn.k_proj.bias", L->bk, kv, 0);
            LS("self_attn.v_proj.bias", L->bv, kv, 0);
        }
        LS("post_attention_layernorm.weight", L->mlp_norm, C, 0);
        LIN("mlp.gate_proj.weight", L->wgate, F, C, LLAMA_GATE);
        LIN("mlp.up_proj.weight", L->wup, F, C, LLAMA_UP);
        LIN("mlp.down_proj.weight", L->wdown, C, F, LLAMA_DOWN);
#undef LIN
#undef LS
    }
    SLOT("model.norm.weight", w ? w->final_norm : NULL, C, 0);
    if (!c->tie_embeddings)
        SLOT("lm_head.weight", w ? w->lm_head : NULL, V, C);
#undef SLOT
    return n;
}

static int max_slots(const LlamaConfig *c) {
    return 3 + c->n_layers * 12;
}

static TpStatus check_shape(const SafetensorsTensor *t, const Slot *s, const char *dir,
                            TpError *err) {
    bool ok = t->ndim == s->ndim;
    for (int d = 0; ok && d < s->ndim; d++)
        ok = t->shape[d] == s->shape[d];
    if (ok)
        return TP_OK;
    char got[96] = "", want[64];
    for (int d = 0; d < t->ndim; d++) {
        size_t u = strlen(got);
        snprintf(got + u, sizeof got - u, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    }
    if (s->ndim == 2)
        snprintf(want, sizeof want, "%lld, %lld", (long long)s->shape[0], (long long)s->shape[1]);
    else
        snprintf(want, sizeof want, "%lld", (long long)s->shape[0]);
    /* which config.json fields give each dimension */
    const char *fields = strstr(s->name, "embed_tokens") || strstr(s->name, "lm_head")
                             ? "vocab_size, hidden_size"
                         : strstr(s->name, "q_proj") ? "num_attention_heads x head_dim, hidden_size"
                         : strstr(s->name, "k_proj") || strstr(s->name, "v_proj")
                             ? "num_key_value_heads x head_dim, hidden_size"
                         : strstr(s->name, "o_proj") ? "hidden_size, num_attention_heads x head_dim"
                         : strstr(s->name, "gate_proj") || strstr(s->name, "up_proj")
                             ? "intermediate_size, hidden_size"
                         : strstr(s->name, "down_proj") ? "hidden_size, intermediate_size"
                                                        : "hidden_size";
    return tp_error_set(err, TP_EINVAL,
                        "%s: tensor %s has shape [%s], config.json implies [%s] (%s); expected "
                        "config.json to describe these weights",
                        dir, s->name, got, want, fields);
}

/* Finds every tensor config.json implies in set and checks its shape,
 * without allocating anything the sizes ask for. s and found hold
 * max_slots(c) entries; *n is set to the count. */
static TpStatus match_checkpoint(const char *dir, const LlamaConfig *c, const SafetensorsSet *set,
                                 Slot *s, const SafetensorsTensor **found, int *n, TpError *err) {
    LlamaModel shape_only;
    memset(&shape_only, 0, sizeof shape_only);
    shape_only.cfg = *c;
    *n = slots(&shape_only, NULL, s);
    TpStatus st = TP_OK;
    for (int i = 0; i < *n && st == TP_OK; i++) {
        const SafetensorsTensor *t = safetensors_set_find(set, s[i].name);
        /* A tied checkpoint may keep the shared matrix under either name. */
        if (!t && i == 0 && c->tie_embeddings)
            t = safetensors_set_find(set, "lm_head.weight");
        if (!t)
            st =
                tp_error_set(err, TP_EINVAL, "%s: the checkpoint has no tensor %s%s", dir,
                             s[i].name, i == 0 ? " (nor lm_head.weight, for tied embeddings)" : "");
        else
            st = check_shape(t, &s[i], dir, err);
        found[i] = t;
    }
    return st;
}

TpStatus llama_checkpoint_check(const char *dir, const LlamaConfig *c, TpError *err) {
    SafetensorsSet *set = NULL;
    TpStatus st = safetensors_open_dir(dir, &set, err);
    if (st != TP_OK)
        return st;
    int cap = max_slots(c), n = 0;
    Slot *s = tp_xmalloc(sizeof *s * (size_t)cap);
    const SafetensorsTensor **found = tp_xcalloc((size_t)cap, sizeof *found);
    st = match_checkpoint(dir, c, set, s, found, &n, err);
    free(found);
    free(s);
    safetensors_set_close(set);
    return st;
}

TpStatus llama_model_load(const char *dir, LlamaModel *m, TpError *err) {
    return llama_model_load_ex(dir, m, NULL, NULL, err);
}

TpStatus llama_model_load_ex(const char *dir, LlamaModel *m, LlamaOnLinear on_linear, void *ctx,
                             TpError *err) {
    LlamaConfig c;
    memset(m, 0, sizeof *m);
    TpStatus st = llama_config_load(dir, &c, err);
    if (st != TP_OK)
        return st;
    SafetensorsSet *set = NULL;
    st = safetensors_open_dir(dir, &set, err);
    if (st != TP_OK)
        return st;
    /* every tensor's presence and shape against config.json first: sizes
     * come from the weights actually there, not from config.json alone */
    int cap = max_slots(&c);
    Slot *s = tp_xmalloc(sizeof *s * (size_t)cap);
    const SafetensorsTensor **found = tp_xcalloc((size_t)cap, sizeof *found);
    int n = 0;
    st = match_checkpoint(dir, &c, set, s, found, &n, err);
    if (st == TP_OK) {
        st = on_linear ? llama_model_init_no_linear(m, &c, err) : llama_model_init(m, &c, err);
        if (st != TP_OK)
            tp_error_prefix(err, "%s/config.json: ", dir);
    }
    if (st == TP_OK)
        n = slots(m, &m->w, s);
    for (int i = 0; i < n && st == TP_OK; i++) {
        const SafetensorsTensor *t = found[i];
        if (s[i].dst) {
            safetensors_to_f32(t, s[i].dst);
            safetensors_release(t);
        } else {
            /* a linear weight handed over one tensor at a time */
            float *tmp = malloc(sizeof(float) * (size_t)t->n_elements);
            if (!tmp) {
                st = tp_error_set(err, TP_ERR, "out of memory converting %s", s[i].name);
                break;
            }
            safetensors_to_f32(t, tmp);
            st = on_linear(ctx, s[i].layer, (LlamaLinear)s[i].which, tmp, (int)s[i].shape[0],
                           (int)s[i].shape[1], err);
            free(tmp);
            safetensors_release(t); /* at most one linear tensor of the file resident */
        }
    }
    free(found);
    free(s);
    safetensors_set_close(set);
    if (st != TP_OK)
        llama_model_free(m);
    return st;
}

TpStatus llama_model_save(const LlamaModel *m, const char *dir, TpError *err) {
    TpStatus st = tp_mkdirs(dir, err);
    if (st != TP_OK)
        return st;
    char path[4096];
    char *cfg = llama_config_to_json(&m->cfg);
    snprintf(path, sizeof path, "%s/config.json", dir);
    st = tp_file_write_atomic(path, cfg, strlen(cfg), err);
    free(cfg);
    if (st != TP_OK)
        return st;
    Slot *s = tp_xmalloc(sizeof *s * (size_t)max_slots(&m->cfg));
    int n = slots(m, &m->w, s);
    SafetensorsWriteTensor *t = tp_xcalloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++)
        t[i] =
            (SafetensorsWriteTensor){s[i].name, SAFETENSORS_F32, s[i].ndim, s[i].shape, s[i].dst};
    const char *keys[1] = {"format"}, *values[1] = {"pt"};
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    st = safetensors_write(path, t, n, keys, values, 1, err);
    free(t);
    free(s);
    return st;
}
