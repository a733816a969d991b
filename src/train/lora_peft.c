/* lora_peft.c - adapters in the PEFT layout: adapter_config.json with a
 * conservative key set that old and new PEFT versions accept, and
 * adapter_model.safetensors with PEFT's tensor names (qlora-reference.md
 * sections 3.2, 3.3). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/fileio.h"
#include "tunepilot/json.h"
#include "tunepilot/lora.h"
#include "tunepilot/paths.h"
#include "tunepilot/safetensors.h"

static char *config_json(const Lora *l, const char *base_model) {
    /* keys in sorted order, as PEFT writes them (json.dumps sort_keys) */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddObjectToObject(o, "alpha_pattern");
    tp_json_add_str(o, "base_model_name_or_path", base_model);
    cJSON_AddStringToObject(o, "bias", "none");
    cJSON_AddFalseToObject(o, "fan_in_fan_out");
    cJSON_AddTrueToObject(o, "inference_mode");
    cJSON_AddTrueToObject(o, "init_lora_weights");
    cJSON_AddNullToObject(o, "layers_pattern");
    cJSON_AddNullToObject(o, "layers_to_transform");
    cJSON_AddNumberToObject(o, "lora_alpha", l->cfg.alpha);
    cJSON_AddNumberToObject(o, "lora_dropout", l->cfg.dropout);
    cJSON_AddNullToObject(o, "modules_to_save");
    cJSON_AddStringToObject(o, "peft_type", "LORA");
    cJSON_AddNumberToObject(o, "r", l->cfg.rank);
    cJSON_AddObjectToObject(o, "rank_pattern");
    cJSON_AddNullToObject(o, "revision");
    cJSON *t = cJSON_AddArrayToObject(o, "target_modules");
    for (int w = 0; w < LLAMA_N_LINEAR; w++)
        if (l->cfg.targets & (1u << w))
            cJSON_AddItemToArray(t, cJSON_CreateString(LLAMA_LINEAR_NAMES[w]));
    cJSON_AddStringToObject(o, "task_type", "CAUSAL_LM");
    cJSON_AddFalseToObject(o, "use_dora");
    cJSON_AddBoolToObject(o, "use_rslora", l->cfg.rslora);
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    return s;
}

TpStatus lora_save_peft(const Lora *l, const char *dir, const char *base_model, TpError *err) {
    TpStatus st = tp_mkdirs(dir, err);
    if (st != TP_OK)
        return st;
    char path[4096];
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    char *cfg = config_json(l, base_model);
    st = tp_file_write_atomic(path, cfg, strlen(cfg), err);
    free(cfg);
    if (st != TP_OK)
        return st;
    int n_pairs = l->n_layers * LLAMA_N_LINEAR, n = 0;
    SafetensorsWriteTensor *t = calloc((size_t)n_pairs * 2 + 1, sizeof *t);
    char(*names)[128] = calloc((size_t)n_pairs * 2 + 1, sizeof *names);
    int64_t(*shapes)[2] = calloc((size_t)n_pairs * 2 + 1, sizeof *shapes);
    for (int i = 0; i < n_pairs; i++) {
        const LoraPair *p = &l->pairs[i];
        if (!p->A)
            continue;
        for (int b = 0; b < 2; b++) {
            lora_tensor_name(i / LLAMA_N_LINEAR, (LlamaLinear)(i % LLAMA_N_LINEAR), b, names[n],
                             sizeof names[n]);
            shapes[n][0] = b ? p->out : l->cfg.rank;
            shapes[n][1] = b ? l->cfg.rank : p->in;
            t[n] = (SafetensorsWriteTensor){names[n], SAFETENSORS_F32, 2, shapes[n],
                                            b ? p->B : p->A};
            n++;
        }
    }
    const char *keys[1] = {"format"}, *values[1] = {"pt"};
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
    st = safetensors_write(path, t, n, keys, values, 1, err);
    free(t);
    free(names);
    free(shapes);
    return st;
}

/* target_modules: a list of names, or "all-linear". */
static TpStatus parse_targets(const cJSON *t, const char *name, unsigned *mask, TpError *err) {
    *mask = 0;
    if (cJSON_IsString(t)) {
        TpStatus st = lora_parse_targets(t->valuestring, mask, err);
        if (st != TP_OK)
            tp_error_prefix(err, "%s: $.target_modules", name);
        return st;
    }
    if (!cJSON_IsArray(t))
        return tp_error_set(err, TP_EINVAL, "%s: $.target_modules: expected a list of module "
                            "names", name);
    const cJSON *it;
    cJSON_ArrayForEach(it, t) {
        unsigned one;
        if (!cJSON_IsString(it))
            return tp_error_set(err, TP_EINVAL, "%s: $.target_modules: expected strings", name);
        TpStatus st = lora_parse_targets(it->valuestring, &one, err);
        if (st != TP_OK) {
            tp_error_prefix(err, "%s: $.target_modules", name);
            return st;
        }
        *mask |= one;
    }
    return TP_OK;
}

static bool empty_or_null(const cJSON *x) {
    return !x || cJSON_IsNull(x) || ((cJSON_IsObject(x) || cJSON_IsArray(x)) && !x->child);
}

TpStatus lora_peft_read_config(const char *dir, LoraConfig *cfg, TpError *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    cJSON *o;
    TpStatus st = tp_json_parse_file(path, 1u << 20, &o, err);
    if (st != TP_OK)
        return st;
    const char *type = NULL, *bias = "none";
    *cfg = (LoraConfig){.rank = 8, .alpha = 8, .dropout = 0}; /* PEFT's defaults */
    long long r = 8;
    st = tp_json_string(o, "peft_type", path, "$", true, &type, NULL, err);
    if (st == TP_OK && strcmp(type, "LORA") != 0)
        st = tp_error_set(err, TP_EINVAL, "%s: $.peft_type: \"%s\" is not supported (expected "
                          "\"LORA\")", path, type);
    if (st == TP_OK)
        st = tp_json_integer(o, "r", path, "$", false, 1, 4096, &r, NULL, err);
    if (st == TP_OK)
        st = tp_json_number(o, "lora_alpha", path, "$", false, 1e-9, 1e9, &cfg->alpha, NULL, err);
    if (st == TP_OK)
        st = tp_json_number(o, "lora_dropout", path, "$", false, 0, 0.999, &cfg->dropout, NULL,
                            err);
    if (st == TP_OK)
        st = parse_targets(cJSON_GetObjectItemCaseSensitive(o, "target_modules"), path,
                           &cfg->targets, err);
    if (st == TP_OK)
        st = tp_json_string(o, "bias", path, "$", false, &bias, NULL, err);
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(o, "use_rslora");
    cfg->rslora = cJSON_IsTrue(rs);
    const cJSON *dora = cJSON_GetObjectItemCaseSensitive(o, "use_dora");
    if (st == TP_OK && cJSON_IsTrue(dora))
        st = tp_error_set(err, TP_EINVAL, "%s: $.use_dora: DoRA adapters are not supported", path);
    if (st == TP_OK && bias && strcmp(bias, "none") != 0)
        st = tp_error_set(err, TP_EINVAL, "%s: $.bias: \"%s\" is not supported (only \"none\": "
                          "adapters without bias weights)", path, bias);
    if (st == TP_OK && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "fan_in_fan_out")))
        st = tp_error_set(err, TP_EINVAL, "%s: $.fan_in_fan_out: true is not supported (Llama "
                          "linears are [out, in])", path);
    /* per-layer or per-module variations would be computed differently */
    static const char *const UNSUPPORTED[] = {"layers_to_transform", "rank_pattern",
                                              "alpha_pattern", "modules_to_save"};
    for (size_t i = 0; st == TP_OK && i < sizeof UNSUPPORTED / sizeof UNSUPPORTED[0]; i++)
        if (!empty_or_null(cJSON_GetObjectItemCaseSensitive(o, UNSUPPORTED[i])))
            st = tp_error_set(err, TP_EINVAL, "%s: $.%s: not supported (expected null or empty)",
                              path, UNSUPPORTED[i]);
    cJSON_Delete(o);
    cfg->rank = (int)r;
    return st;
}

/* Reads every A and B of l from DIR/adapter_model.safetensors: each must be
 * there with its exact shape, finite; and the file must hold nothing else
 * (another layer, module or a bias would mean a different model). */
static TpStatus load_tensors(Lora *l, const char *dir, TpError *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
    SafetensorsFile *f = NULL;
    TpStatus st = safetensors_open(path, &f, err);
    int found = 0;
    for (int i = 0; st == TP_OK && i < l->n_layers * LLAMA_N_LINEAR; i++) {
        LoraPair *p = &l->pairs[i];
        if (!p->A)
            continue;
        for (int b = 0; b < 2 && st == TP_OK; b++) {
            char name[128];
            lora_tensor_name(i / LLAMA_N_LINEAR, (LlamaLinear)(i % LLAMA_N_LINEAR), b, name,
                             sizeof name);
            const SafetensorsTensor *t = safetensors_find(f, name);
            int64_t d0 = b ? p->out : l->cfg.rank, d1 = b ? l->cfg.rank : p->in;
            float *dst = b ? p->B : p->A;
            if (!t) {
                st = tp_error_set(err, TP_EINVAL, "%s: no tensor %s", path, name);
            } else if (t->ndim != 2 || t->shape[0] != d0 || t->shape[1] != d1) {
                st = tp_error_set(err, TP_EINVAL,
                                  "%s: %s: expected shape [%lld, %lld] (rank %d, the model's "
                                  "%s), got [%lld%s%lld]",
                                  path, name, (long long)d0, (long long)d1, l->cfg.rank,
                                  b ? "output size" : "input size", (long long)t->shape[0],
                                  t->ndim > 1 ? ", " : "", t->ndim > 1 ? (long long)t->shape[1]
                                                                        : 0LL);
            } else {
                safetensors_to_f32(t, dst);
                found++;
                for (int64_t k = 0; k < d0 * d1 && st == TP_OK; k++)
                    if (!isfinite(dst[k]))
                        st = tp_error_set(err, TP_EINVAL,
                                          "%s: %s: element %lld is not finite", path, name,
                                          (long long)k);
            }
        }
    }
    if (st == TP_OK && found != safetensors_count(f)) {
        for (int k = 0; k < safetensors_count(f); k++) {
            const char *name = safetensors_get(f, k)->name;
            bool ours = false;
            for (int i = 0; !ours && i < l->n_layers * LLAMA_N_LINEAR; i++)
                for (int b = 0; l->pairs[i].A && b < 2 && !ours; b++) {
                    char want[128];
                    lora_tensor_name(i / LLAMA_N_LINEAR, (LlamaLinear)(i % LLAMA_N_LINEAR), b,
                                     want, sizeof want);
                    ours = !strcmp(want, name);
                }
            if (!ours) {
                st = tp_error_set(err, TP_EINVAL,
                                  "%s: tensor %s is not part of this adapter for this model "
                                  "(%d layers, target_modules as in adapter_config.json)",
                                  path, name, l->n_layers);
                break;
            }
        }
    }
    if (f)
        safetensors_close(f);
    return st;
}

TpStatus lora_load_peft(Lora *l, const LlamaConfig *c, const char *dir, TpError *err) {
    LoraConfig cfg;
    TpStatus st = lora_peft_read_config(dir, &cfg, err);
    if (st == TP_OK)
        st = lora_init(l, c, &cfg, 0, err);
    if (st != TP_OK)
        return st;
    l->training = false;
    st = load_tensors(l, dir, err);
    if (st != TP_OK)
        lora_free(l);
    return st;
}

static void targets_text(unsigned mask, char *out, size_t size) {
    size_t n = 0;
    out[0] = '\0';
    for (int w = 0; w < LLAMA_N_LINEAR; w++)
        if (mask & (1u << w))
            n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s", n ? "," : "",
                                  LLAMA_LINEAR_NAMES[w]);
}

TpStatus lora_load_peft_into(Lora *l, const char *dir, TpError *err) {
    LoraConfig a;
    TpStatus st = lora_peft_read_config(dir, &a, err);
    if (st != TP_OK)
        return st;
    const LoraConfig *r = &l->cfg;
    char path[4096];
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    if (a.rank != r->rank)
        return tp_error_set(err, TP_EINVAL,
                            "%s: $.r: the adapter's rank is %d but the run's is %d (--rank %d)",
                            path, a.rank, r->rank, a.rank);
    if (a.targets != r->targets) {
        char x[128], y[128];
        targets_text(a.targets, x, sizeof x);
        targets_text(r->targets, y, sizeof y);
        return tp_error_set(err, TP_EINVAL,
                            "%s: $.target_modules: the adapter adapts %s but the run %s "
                            "(--targets %s)",
                            path, x, y, x);
    }
    if (fabs(a.alpha - r->alpha) > 1e-12 * fabs(r->alpha))
        return tp_error_set(err, TP_EINVAL,
                            "%s: $.lora_alpha: the adapter's alpha is %g but the run's is %g "
                            "(--alpha %g)",
                            path, a.alpha, r->alpha, a.alpha);
    if (a.rslora != r->rslora)
        return tp_error_set(err, TP_EINVAL,
                            "%s: $.use_rslora: the adapter's is %s but the run's is %s "
                            "(--rslora %s)",
                            path, a.rslora ? "true" : "false", r->rslora ? "true" : "false",
                            a.rslora ? "to add" : "to drop");
    return load_tensors(l, dir, err);
}
