/* llama_config.c - config.json for Llama-family models. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/buf.h"
#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/llama.h"

static const char *const SUPPORTED[] = {"LlamaForCausalLM", "MistralForCausalLM",
                                        "Qwen2ForCausalLM", NULL};

static TpStatus int_field(const cJSON *o, const char *key, const char *name, bool required,
                          long long min, long long max, int *out, TpError *err) {
    long long v = *out;
    bool have = false;
    TpStatus st = tp_json_integer(o, key, name, "$", required, min, max, &v, &have, err);
    if (st == TP_OK && have)
        *out = (int)v;
    return st;
}

static TpStatus bool_field(const cJSON *o, const char *key, const char *name, bool *out,
                           TpError *err) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it || cJSON_IsNull(it))
        return TP_OK;
    if (!cJSON_IsBool(it))
        return tp_error_set(err, TP_EINVAL, "%s: $.%s: expected true or false, got %s", name, key,
                            tp_json_type_name(it));
    *out = cJSON_IsTrue(it);
    return TP_OK;
}

/* rope_scaling (legacy) or rope_parameters (transformers v5). */
static TpStatus parse_rope(const cJSON *root, const char *name, LlamaConfig *c, TpError *err) {
    const char *key = "rope_parameters";
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!r || cJSON_IsNull(r)) {
        key = "rope_scaling";
        r = cJSON_GetObjectItemCaseSensitive(root, key);
    }
    if (!r || cJSON_IsNull(r))
        return TP_OK;
    char path[48];
    snprintf(path, sizeof path, "$.%s", key);
    if (!cJSON_IsObject(r))
        return tp_error_set(err, TP_EINVAL, "%s: %s: expected an object, got %s", name, path,
                            tp_json_type_name(r));
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "rope_type");
    if (!cJSON_IsString(t))
        t = cJSON_GetObjectItemCaseSensitive(r, "type");
    const char *type = cJSON_IsString(t) ? t->valuestring : "default";
    double theta = c->rope_theta;
    TpStatus st = tp_json_number(r, "rope_theta", name, path, false, 1, 1e12, &theta, NULL, err);
    c->rope_theta = theta;
    if (st != TP_OK)
        return st;
    if (!strcmp(type, "default"))
        return TP_OK;
    if (!strcmp(type, "linear")) {
        c->rope_type = LLAMA_ROPE_LINEAR;
        return tp_json_number(r, "factor", name, path, true, 1e-6, 1e6, &c->rope_factor, NULL, err);
    }
    if (!strcmp(type, "llama3")) {
        c->rope_type = LLAMA_ROPE_LLAMA3;
        double orig = 0;
        st = tp_json_number(r, "factor", name, path, true, 1e-6, 1e6, &c->rope_factor, NULL, err);
        if (st == TP_OK)
            st = tp_json_number(r, "low_freq_factor", name, path, true, 1e-6, 1e6,
                                &c->rope_low_freq_factor, NULL, err);
        if (st == TP_OK)
            st = tp_json_number(r, "high_freq_factor", name, path, true, 1e-6, 1e6,
                                &c->rope_high_freq_factor, NULL, err);
        if (st == TP_OK)
            st = tp_json_number(r, "original_max_position_embeddings", name, path, true, 1, 1e9,
                                &orig, NULL, err);
        if (st == TP_OK && c->rope_high_freq_factor <= c->rope_low_freq_factor)
            st = tp_error_set(err, TP_EINVAL,
                              "%s: %s: high_freq_factor must exceed low_freq_factor", name, path);
        c->rope_original_max_pos = (int)orig;
        return st;
    }
    return tp_error_set(err, TP_EINVAL,
                        "%s: %s.rope_type: \"%s\" is not supported (supported: default, linear, "
                        "llama3)",
                        name, path, type);
}

static void set_window_layer(LlamaConfig *c, int l) {
    c->window_layers[l / 64] |= (uint64_t)1 << (l % 64);
}

int llama_layer_window(const LlamaConfig *c, int layer) {
    if (c->sliding_window <= 0 || layer < 0 || layer >= LLAMA_MAX_LAYERS)
        return 0;
    return (c->window_layers[layer / 64] >> (layer % 64)) & 1 ? c->sliding_window : 0;
}

/* Sliding-window attention, as transformers defines it:
 *   MistralConfig: sliding_window (default 4096 when the key is absent, null
 *     = none) applies to every layer; layer_types is ignored there.
 *   Qwen2Config: sliding_window (default 4096) counts only when
 *     use_sliding_window (default false); then layer_types (when given) or
 *     else "layer index >= max_window_layers" (default 28) picks the layers.
 * Anything else (an unknown layer type, a layer list of the wrong length, a
 * sliding layer with no window) is refused rather than run differently. */
static TpStatus parse_window(const cJSON *root, const char *name, LlamaConfig *c, TpError *err) {
    bool mistral = !strcmp(c->architecture, "MistralForCausalLM");
    bool qwen = !strcmp(c->architecture, "Qwen2ForCausalLM");
    if (!mistral && !qwen)
        return TP_OK; /* LlamaConfig has no sliding window */
    const cJSON *sw = cJSON_GetObjectItemCaseSensitive(root, "sliding_window");
    int window = 4096;
    if (sw && cJSON_IsNull(sw))
        window = 0;
    else if (sw) {
        TpStatus st = int_field(root, "sliding_window", name, false, 1, 1 << 30, &window, err);
        if (st != TP_OK)
            return st;
    }
    if (mistral) {
        c->sliding_window = window;
        for (int l = 0; window && l < c->n_layers; l++)
            set_window_layer(c, l);
        return TP_OK;
    }
    bool use = false;
    TpStatus st = bool_field(root, "use_sliding_window", name, &use, err);
    if (st != TP_OK)
        return st;
    if (!use)
        window = 0;
    int max_window_layers = 28;
    st = int_field(root, "max_window_layers", name, false, 0, 1 << 30, &max_window_layers, err);
    if (st != TP_OK)
        return st;
    const cJSON *lt = cJSON_GetObjectItemCaseSensitive(root, "layer_types");
    bool any = false;
    if (lt && !cJSON_IsNull(lt)) {
        if (!cJSON_IsArray(lt) || cJSON_GetArraySize(lt) != c->n_layers)
            return tp_error_set(err, TP_EINVAL,
                                "%s: $.layer_types: expected a list of %d layer types "
                                "(num_hidden_layers), got %s",
                                name, c->n_layers,
                                cJSON_IsArray(lt) ? "a list of another length"
                                                  : tp_json_type_name(lt));
        int l = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, lt) {
            const char *v = cJSON_IsString(it) ? it->valuestring : "";
            if (!strcmp(v, "sliding_attention")) {
                set_window_layer(c, l);
                any = true;
            } else if (strcmp(v, "full_attention") != 0) {
                return tp_error_set(err, TP_EINVAL,
                                    "%s: $.layer_types[%d]: expected \"full_attention\" or "
                                    "\"sliding_attention\"",
                                    name, l);
            }
            l++;
        }
        if (any && !window)
            return tp_error_set(err, TP_EINVAL,
                                "%s: $.layer_types: sliding_attention layers but no window "
                                "(use_sliding_window is false or sliding_window is null); "
                                "refusing to guess one",
                                name);
    } else if (window) {
        for (int l = max_window_layers; l < c->n_layers; l++) {
            set_window_layer(c, l);
            any = true;
        }
    }
    c->sliding_window = any ? window : 0;
    return TP_OK;
}

static TpStatus parse_eos(const cJSON *root, const char *name, LlamaConfig *c, TpError *err) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "eos_token_id");
    if (!e || cJSON_IsNull(e))
        return TP_OK;
    if (cJSON_IsNumber(e)) {
        if (!tp_json_to_int(e->valuedouble, 0, (1 << 24) - 1, &c->eos_ids[0]))
            return tp_error_set(err, TP_EINVAL,
                                "%s: $.eos_token_id: expected an integer id 0..%d, got %g", name,
                                (1 << 24) - 1, e->valuedouble);
        c->n_eos = 1;
        return TP_OK;
    }
    if (!cJSON_IsArray(e))
        return tp_error_set(err, TP_EINVAL,
                            "%s: $.eos_token_id: expected an id or a list of ids, got %s", name,
                            tp_json_type_name(e));
    const cJSON *it;
    cJSON_ArrayForEach(it, e) {
        int id;
        if (!cJSON_IsNumber(it) || !tp_json_to_int(it->valuedouble, 0, (1 << 24) - 1, &id))
            return tp_error_set(err, TP_EINVAL, "%s: $.eos_token_id: expected integer ids 0..%d",
                                name, (1 << 24) - 1);
        if (c->n_eos < LLAMA_MAX_EOS)
            c->eos_ids[c->n_eos++] = id;
    }
    return TP_OK;
}

TpStatus llama_config_parse(const char *text, size_t len, const char *name, LlamaConfig *c,
                            TpError *err) {
    memset(c, 0, sizeof *c);
    cJSON *root;
    TpStatus st = tp_json_parse(text, len, name, &root, err);
    if (st != TP_OK)
        return st;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return tp_error_set(err, TP_EINVAL, "%s: $: expected an object", name);
    }
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(root, "architectures");
    const cJSON *a0 = cJSON_IsArray(arch) ? cJSON_GetArrayItem(arch, 0) : NULL;
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    snprintf(c->model_type, sizeof c->model_type, "%s", cJSON_IsString(mt) ? mt->valuestring : "");
    if (cJSON_IsString(a0))
        snprintf(c->architecture, sizeof c->architecture, "%s", a0->valuestring);
    else if (!strcmp(c->model_type, "llama"))
        snprintf(c->architecture, sizeof c->architecture, "LlamaForCausalLM");
    bool ok = false;
    for (int i = 0; SUPPORTED[i]; i++)
        ok |= !strcmp(c->architecture, SUPPORTED[i]);
    if (!ok) {
        st = tp_error_set(err, TP_EINVAL,
                          "%s: $.architectures: \"%s\" is not supported (supported: "
                          "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)",
                          name, c->architecture[0] ? c->architecture : c->model_type);
        cJSON_Delete(root);
        return st;
    }
    bool qwen = !strcmp(c->architecture, "Qwen2ForCausalLM");
    c->bos_id = -1;
    c->rms_eps = 1e-6;
    c->rope_theta = 10000;
    c->max_pos = 2048;
    c->attention_bias = qwen;
    st = int_field(root, "hidden_size", name, true, 1, 1 << 20, &c->hidden, err);
    if (st == TP_OK)
        st = int_field(root, "intermediate_size", name, true, 1, 1 << 22, &c->intermediate, err);
    if (st == TP_OK)
        st = int_field(root, "num_hidden_layers", name, true, 1, LLAMA_MAX_LAYERS, &c->n_layers,
                       err);
    if (st == TP_OK)
        st = int_field(root, "num_attention_heads", name, true, 1, 4096, &c->n_heads, err);
    c->n_kv_heads = c->n_heads;
    if (st == TP_OK)
        st = int_field(root, "num_key_value_heads", name, false, 1, 4096, &c->n_kv_heads, err);
    c->head_dim = c->n_heads ? c->hidden / c->n_heads : 0;
    if (st == TP_OK)
        st = int_field(root, "head_dim", name, false, 2, 1 << 16, &c->head_dim, err);
    if (st == TP_OK && c->head_dim < 2) /* derived: hidden_size / num_attention_heads */
        st = tp_error_set(err, TP_EINVAL,
                          "%s: $.num_attention_heads: %d heads of a hidden_size of %d leave %d "
                          "values per head (expected at least 2; or set head_dim)",
                          name, c->n_heads, c->hidden, c->head_dim);
    if (st == TP_OK)
        st = int_field(root, "vocab_size", name, true, 1, 1 << 24, &c->vocab, err);
    if (st == TP_OK)
        st = int_field(root, "max_position_embeddings", name, false, 1, 1 << 30, &c->max_pos, err);
    if (st == TP_OK)
        st = int_field(root, "bos_token_id", name, false, 0, 1 << 24, &c->bos_id, err);
    if (st == TP_OK)
        st = tp_json_number(root, "rms_norm_eps", name, "$", false, 0, 1, &c->rms_eps, NULL, err);
    if (st == TP_OK)
        st = tp_json_number(root, "rope_theta", name, "$", false, 1, 1e12, &c->rope_theta, NULL,
                            err);
    if (st == TP_OK)
        st = bool_field(root, "tie_word_embeddings", name, &c->tie_embeddings, err);
    if (st == TP_OK)
        st = bool_field(root, "attention_bias", name, &c->attention_bias, err);
    if (st == TP_OK)
        st = bool_field(root, "mlp_bias", name, &c->mlp_bias, err);
    if (st == TP_OK)
        st = parse_eos(root, name, c, err);
    if (st == TP_OK && c->bos_id >= c->vocab)
        st = tp_error_set(err, TP_EINVAL,
                          "%s: $.bos_token_id: %d is outside the vocabulary (vocab_size %d)", name,
                          c->bos_id, c->vocab);
    for (int i = 0; st == TP_OK && i < c->n_eos; i++)
        if (c->eos_ids[i] >= c->vocab)
            st = tp_error_set(err, TP_EINVAL,
                              "%s: $.eos_token_id: %d is outside the vocabulary (vocab_size %d)",
                              name, c->eos_ids[i], c->vocab);
    if (st == TP_OK)
        st = parse_rope(root, name, c, err);
    if (st == TP_OK)
        st = parse_window(root, name, c, err);
    const char *act = "silu";
    if (st == TP_OK)
        st = tp_json_string(root, "hidden_act", name, "$", false, &act, NULL, err);
    if (st == TP_OK && strcmp(act, "silu") != 0)
        st = tp_error_set(err, TP_EINVAL,
                          "%s: $.hidden_act: \"%s\" is not supported (supported: silu)", name, act);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(root, "torch_dtype");
    snprintf(c->torch_dtype, sizeof c->torch_dtype, "%s",
             cJSON_IsString(dt) ? dt->valuestring : "float32");
    if (st == TP_OK && c->n_heads % c->n_kv_heads != 0)
        st = tp_error_set(err, TP_EINVAL,
                          "%s: $.num_key_value_heads: %d does not divide num_attention_heads %d",
                          name, c->n_kv_heads, c->n_heads);
    if (st == TP_OK && c->head_dim % 2 != 0)
        st = tp_error_set(err, TP_EINVAL, "%s: $.head_dim: %d is odd; RoPE needs an even size",
                          name, c->head_dim);
    if (st == TP_OK && c->mlp_bias)
        st = tp_error_set(err, TP_EINVAL, "%s: $.mlp_bias: MLP biases are not supported", name);
    cJSON_Delete(root);
    return st;
}

TpStatus llama_config_load(const char *dir, LlamaConfig *c, TpError *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    char *text;
    size_t len;
    TpStatus st = tp_file_read(path, 4u << 20, &text, &len, err);
    if (st != TP_OK)
        return st;
    st = llama_config_parse(text, len, path, c, err);
    free(text);
    return st;
}

char *llama_config_to_json(const LlamaConfig *c) {
    cJSON *o = cJSON_CreateObject();
    cJSON *arch = cJSON_AddArrayToObject(o, "architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString(c->architecture));
    cJSON_AddStringToObject(o, "model_type", c->model_type[0] ? c->model_type : "llama");
    cJSON_AddNumberToObject(o, "hidden_size", c->hidden);
    cJSON_AddNumberToObject(o, "intermediate_size", c->intermediate);
    cJSON_AddNumberToObject(o, "num_hidden_layers", c->n_layers);
    cJSON_AddNumberToObject(o, "num_attention_heads", c->n_heads);
    cJSON_AddNumberToObject(o, "num_key_value_heads", c->n_kv_heads);
    cJSON_AddNumberToObject(o, "head_dim", c->head_dim);
    cJSON_AddNumberToObject(o, "vocab_size", c->vocab);
    cJSON_AddNumberToObject(o, "max_position_embeddings", c->max_pos);
    cJSON_AddNumberToObject(o, "rms_norm_eps", c->rms_eps);
    cJSON_AddNumberToObject(o, "rope_theta", c->rope_theta);
    cJSON_AddStringToObject(o, "hidden_act", "silu");
    cJSON_AddBoolToObject(o, "tie_word_embeddings", c->tie_embeddings);
    cJSON_AddBoolToObject(o, "attention_bias", c->attention_bias);
    cJSON_AddBoolToObject(o, "mlp_bias", false);
    if (c->bos_id >= 0)
        cJSON_AddNumberToObject(o, "bos_token_id", c->bos_id);
    if (c->n_eos == 1)
        cJSON_AddNumberToObject(o, "eos_token_id", c->eos_ids[0]);
    else if (c->n_eos > 1) {
        cJSON *e = cJSON_AddArrayToObject(o, "eos_token_id");
        for (int i = 0; i < c->n_eos; i++)
            cJSON_AddItemToArray(e, cJSON_CreateNumber(c->eos_ids[i]));
    }
    if (c->rope_type != LLAMA_ROPE_DEFAULT) {
        cJSON *r = cJSON_AddObjectToObject(o, "rope_scaling");
        cJSON_AddStringToObject(r, "rope_type",
                                c->rope_type == LLAMA_ROPE_LLAMA3 ? "llama3" : "linear");
        cJSON_AddNumberToObject(r, "factor", c->rope_factor);
        if (c->rope_type == LLAMA_ROPE_LLAMA3) {
            cJSON_AddNumberToObject(r, "low_freq_factor", c->rope_low_freq_factor);
            cJSON_AddNumberToObject(r, "high_freq_factor", c->rope_high_freq_factor);
            cJSON_AddNumberToObject(r, "original_max_position_embeddings",
                                    c->rope_original_max_pos);
        }
    } else {
        cJSON_AddNullToObject(o, "rope_scaling");
    }
    if (!strcmp(c->architecture, "MistralForCausalLM")) {
        if (c->sliding_window > 0)
            cJSON_AddNumberToObject(o, "sliding_window", c->sliding_window);
        else
            cJSON_AddNullToObject(o, "sliding_window");
    } else if (c->sliding_window > 0) {
        cJSON_AddBoolToObject(o, "use_sliding_window", true);
        cJSON_AddNumberToObject(o, "sliding_window", c->sliding_window);
        cJSON *lt = cJSON_AddArrayToObject(o, "layer_types");
        for (int l = 0; l < c->n_layers; l++)
            cJSON_AddItemToArray(lt,
                                 cJSON_CreateString(llama_layer_window(c, l) ? "sliding_attention"
                                                                             : "full_attention"));
    }
    cJSON_AddStringToObject(o, "torch_dtype", "float32");
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    return s;
}

int64_t llama_config_n_params(const LlamaConfig *c) {
    int64_t C = c->hidden, F = c->intermediate, V = c->vocab;
    int64_t q = (int64_t)c->n_heads * c->head_dim, kv = (int64_t)c->n_kv_heads * c->head_dim;
    int64_t layer = C + q * C + 2 * kv * C + C * q + C + 3 * F * C;
    if (c->attention_bias)
        layer += q + 2 * kv;
    return V * C + c->n_layers * layer + C + (c->tie_embeddings ? 0 : V * C);
}

/* transformers modeling_rope_utils.py: default theta^(-2i/D); linear
 * divides by factor; llama3 rescales by wavelength band. */
void llama_rope_inv_freq(const LlamaConfig *c, double *inv_freq) {
    int half = c->head_dim / 2;
    for (int i = 0; i < half; i++) {
        double f = pow(c->rope_theta, -2.0 * i / c->head_dim);
        if (c->rope_type == LLAMA_ROPE_LINEAR) {
            f /= c->rope_factor;
        } else if (c->rope_type == LLAMA_ROPE_LLAMA3) {
            double orig = c->rope_original_max_pos;
            double low_wavelen = orig / c->rope_low_freq_factor;
            double high_wavelen = orig / c->rope_high_freq_factor;
            double wavelen = 2 * M_PI / f;
            if (wavelen > low_wavelen) {
                f /= c->rope_factor;
            } else if (wavelen >= high_wavelen) {
                double s = (orig / wavelen - c->rope_low_freq_factor) /
                           (c->rope_high_freq_factor - c->rope_low_freq_factor);
                f = (1 - s) * f / c->rope_factor + s * f;
            }
        }
        inv_freq[i] = f;
    }
}
