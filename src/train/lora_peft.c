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
    if (cJSON_IsString(t))
        return lora_parse_targets(t->valuestring, mask, err);
    if (!cJSON_IsArray(t))
        return tp_error_set(err, TP_EINVAL, "%s: $.target_modules: expected a list of module "
                            "names", name);
    const cJSON *it;
    cJSON_ArrayForEach(it, t) {
        unsigned one;
        if (!cJSON_IsString(it))
            return tp_error_set(err, TP_EINVAL, "%s: $.target_modules: expected strings", name);
        TpStatus st = lora_parse_targets(it->valuestring, &one, err);
        if (st != TP_OK)
            return st;
        *mask |= one;
    }
    return TP_OK;
}

TpStatus lora_load_peft(Lora *l, const LlamaConfig *c, const char *dir, TpError *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    cJSON *o;
    TpStatus st = tp_json_parse_file(path, 1u << 20, &o, err);
    if (st != TP_OK)
        return st;
    const char *type = NULL;
    LoraConfig cfg = {.rank = 8, .alpha = 8, .dropout = 0};
    long long r = 8;
    st = tp_json_string(o, "peft_type", path, "$", true, &type, NULL, err);
    if (st == TP_OK && strcmp(type, "LORA") != 0)
        st = tp_error_set(err, TP_EINVAL, "%s: $.peft_type: \"%s\" is not supported (expected "
                          "\"LORA\")", path, type);
    if (st == TP_OK)
        st = tp_json_integer(o, "r", path, "$", false, 1, 4096, &r, NULL, err);
    if (st == TP_OK)
        st = tp_json_number(o, "lora_alpha", path, "$", false, 1e-9, 1e9, &cfg.alpha, NULL, err);
    if (st == TP_OK)
        st = tp_json_number(o, "lora_dropout", path, "$", false, 0, 0.999, &cfg.dropout, NULL,
                            err);
    if (st == TP_OK)
        st = parse_targets(cJSON_GetObjectItemCaseSensitive(o, "target_modules"), path,
                           &cfg.targets, err);
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(o, "use_rslora");
    cfg.rslora = cJSON_IsTrue(rs);
    const cJSON *dora = cJSON_GetObjectItemCaseSensitive(o, "use_dora");
    if (st == TP_OK && cJSON_IsTrue(dora))
        st = tp_error_set(err, TP_EINVAL, "%s: $.use_dora: DoRA adapters are not supported", path);
    cJSON_Delete(o);
    cfg.rank = (int)r;
    if (st == TP_OK)
        st = lora_init(l, c, &cfg, 0, err);
    if (st != TP_OK)
        return st;
    l->training = false;
    SafetensorsFile *f;
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
    st = safetensors_open(path, &f, err);
    for (int i = 0; st == TP_OK && i < l->n_layers * LLAMA_N_LINEAR; i++) {
        LoraPair *p = &l->pairs[i];
        if (!p->A)
            continue;
        for (int b = 0; b < 2 && st == TP_OK; b++) {
            char name[128];
            lora_tensor_name(i / LLAMA_N_LINEAR, (LlamaLinear)(i % LLAMA_N_LINEAR), b, name,
                             sizeof name);
            const SafetensorsTensor *t = safetensors_find(f, name);
            int64_t d0 = b ? p->out : cfg.rank, d1 = b ? cfg.rank : p->in;
            if (!t)
                st = tp_error_set(err, TP_EINVAL, "%s: no tensor %s", path, name);
            else if (t->ndim != 2 || t->shape[0] != d0 || t->shape[1] != d1)
                st = tp_error_set(err, TP_EINVAL, "%s: %s: expected shape [%lld, %lld]", path,
                                  name, (long long)d0, (long long)d1);
            else
                safetensors_to_f32(t, b ? p->B : p->A);
        }
    }
    if (f)
        safetensors_close(f);
    if (st != TP_OK)
        lora_free(l);
    return st;
}
