/* cmd_model.c - `tunepilot model info|tokenize|score|generate|list`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "tunepilot/catalog.h"
#include "tunepilot/fileio.h"
#include "tunepilot/llama.h"
#include "tunepilot/lora.h"
#include "tunepilot/paths.h"
#include "tunepilot/tokenizer.h"

static const char USAGE[] =
    "usage: tunepilot model info DIR [--json]\n"
    "       tunepilot model tokenize DIR --text TEXT [--json]\n"
    "       tunepilot model score DIR --text TEXT [--json]\n"
    "       tunepilot model generate DIR [--prompt TEXT] [--max-tokens N] [--temperature T]\n"
    "                                    [--top-p P] [--seed S]\n"
    "       tunepilot model list [DIR ...] [--json]\n"
    "       tunepilot model merge BASE ADAPTER OUT   write BASE with a PEFT adapter merged in\n"
    "score and generate accept --adapter DIR (a PEFT LoRA adapter for the model).\n"
    "\n"
    "DIR is a Hugging Face model directory (config.json, model.safetensors or a sharded\n"
    "index, tokenizer.json), e.g. a snapshot in the Hugging Face cache. tokenize needs only\n"
    "the tokenizer files. list searches $HF_HOME/hub (else ~/.cache/huggingface/hub) and the\n"
    "directories given.\n";

/* Bits per weight of NF4 with double quantisation (QLoRA, Dettmers et al.
 * 2023, sec. 3): 4-bit codes, an 8-bit absmax per block of 64 and a 32-bit
 * second-level constant per 256 blocks: 4 + 8/64 + 32/(64*256). */
#define NF4_BITS (4.0 + 8.0 / 64 + 32.0 / (64 * 256))

typedef struct ModelArgs {
    const char *dir, *text, *prompt, *adapter;
    long long max_tokens, seed;
    double temperature, top_p;
    bool json, has_text;
} ModelArgs;

static void print_json(cJSON *o) {
    char *s = cJSON_Print(o);
    puts(s);
    free(s);
}

/* Parameters of the linear layers (what QLoRA quantises). */
static int64_t linear_params(const LlamaConfig *c) {
    int64_t C = c->hidden, F = c->intermediate;
    int64_t q = (int64_t)c->n_heads * c->head_dim, kv = (int64_t)c->n_kv_heads * c->head_dim;
    return c->n_layers * (q * C + 2 * kv * C + C * q + 3 * F * C);
}

static int info(const ModelArgs *a) {
    LlamaConfig c;
    TpError err = {0};
    TpStatus st = llama_config_load(a->dir, &c, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    int64_t p = llama_config_n_params(&c), lin = linear_params(&c);
    double fp32 = p * 4.0, bf16 = p * 2.0, nf4 = lin * NF4_BITS / 8 + (p - lin) * 2.0;
    const char *rope = c.rope_type == LLAMA_ROPE_LLAMA3   ? "llama3"
                       : c.rope_type == LLAMA_ROPE_LINEAR ? "linear"
                                                          : "default";
    if (a->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "architecture", c.architecture);
        cJSON_AddNumberToObject(o, "parameters", (double)p);
        cJSON_AddNumberToObject(o, "hidden_size", c.hidden);
        cJSON_AddNumberToObject(o, "intermediate_size", c.intermediate);
        cJSON_AddNumberToObject(o, "layers", c.n_layers);
        cJSON_AddNumberToObject(o, "attention_heads", c.n_heads);
        cJSON_AddNumberToObject(o, "kv_heads", c.n_kv_heads);
        cJSON_AddNumberToObject(o, "head_dim", c.head_dim);
        cJSON_AddNumberToObject(o, "vocab_size", c.vocab);
        cJSON_AddBoolToObject(o, "tied_embeddings", c.tie_embeddings);
        cJSON_AddBoolToObject(o, "attention_bias", c.attention_bias);
        cJSON_AddNumberToObject(o, "rope_theta", c.rope_theta);
        cJSON_AddStringToObject(o, "rope_type", rope);
        cJSON_AddNumberToObject(o, "rms_norm_eps", c.rms_eps);
        cJSON_AddStringToObject(o, "checkpoint_dtype", c.torch_dtype);
        if (c.sliding_window > 0) {
            cJSON_AddNumberToObject(o, "sliding_window", c.sliding_window);
            cJSON *wl = cJSON_AddArrayToObject(o, "sliding_window_layers");
            for (int l = 0; l < c.n_layers; l++)
                if (llama_layer_window(&c, l))
                    cJSON_AddItemToArray(wl, cJSON_CreateNumber(l));
        } else {
            cJSON_AddNullToObject(o, "sliding_window");
        }
        cJSON *mem = cJSON_AddObjectToObject(o, "weights_memory_bytes");
        cJSON_AddNumberToObject(mem, "fp32", fp32);
        cJSON_AddNumberToObject(mem, "bf16", bf16);
        cJSON_AddNumberToObject(mem, "nf4", nf4);
        print_json(o);
        cJSON_Delete(o);
        return CLI_OK;
    }
    printf("%s (%s)\n", a->dir, c.architecture);
    printf("  parameters        %.3fM (%lld)\n", p / 1e6, (long long)p);
    printf("  layers            %d, hidden %d, MLP %d\n", c.n_layers, c.hidden, c.intermediate);
    printf("  attention         %d heads, %d key/value heads (GQA x%d), head dim %d%s\n", c.n_heads,
           c.n_kv_heads, c.n_heads / c.n_kv_heads, c.head_dim,
           c.attention_bias ? ", q/k/v bias" : "");
    printf("  vocabulary        %d%s\n", c.vocab, c.tie_embeddings ? ", tied embeddings" : "");
    printf("  rope              theta %g, %s scaling; RMSNorm eps %g\n", c.rope_theta, rope,
           c.rms_eps);
    if (c.sliding_window > 0) {
        int n = 0, first = -1;
        for (int l = 0; l < c.n_layers; l++)
            if (llama_layer_window(&c, l)) {
                if (first < 0)
                    first = l;
                n++;
            }
        printf("  sliding window    %d tokens (each position sees itself and the %d before it) "
               "in %d of %d layers",
               c.sliding_window, c.sliding_window - 1, n, c.n_layers);
        if (n < c.n_layers)
            printf(" (first: layer %d)", first);
        printf("\n");
    } else {
        printf("  sliding window    none (full causal attention)\n");
    }
    printf("  checkpoint dtype  %s\n", c.torch_dtype);
    printf("  weights memory    fp32 %.1f MB, bf16 %.1f MB, NF4 %.1f MB (linear layers at %.3f "
           "bits, the rest bf16)\n",
           fp32 / 1e6, bf16 / 1e6, nf4 / 1e6, NF4_BITS);
    return CLI_OK;
}

/* Token ids of text, with BOS first when the tokenizer config says so. */
static TpStatus encode(const Tokenizer *t, const char *text, bool with_bos, int **ids, int *n,
                       TpError *err) {
    int *raw = NULL, m = 0;
    TpStatus st = tokenizer_encode(t, text, strlen(text), &raw, &m, err);
    if (st != TP_OK)
        return st;
    bool bos = with_bos && tokenizer_adds_bos(t) && tokenizer_bos_id(t) >= 0;
    *ids = malloc(sizeof(int) * (size_t)(m + 1));
    *n = 0;
    if (bos)
        (*ids)[(*n)++] = tokenizer_bos_id(t);
    memcpy(*ids + *n, raw, sizeof(int) * (size_t)m);
    *n += m;
    free(raw);
    return TP_OK;
}

static int tokenize(const ModelArgs *a) {
    Tokenizer *t;
    TpError err = {0};
    TpStatus st = tokenizer_load(a->dir, &t, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    int *ids, n;
    st = encode(t, a->text, true, &ids, &n, &err);
    if (st != TP_OK) {
        tokenizer_free(t);
        return cli_fail(st, &err);
    }
    if (a->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON *ji = cJSON_AddArrayToObject(o, "ids"), *jp = cJSON_AddArrayToObject(o, "pieces");
        for (int i = 0; i < n; i++) {
            cJSON_AddItemToArray(ji, cJSON_CreateNumber(ids[i]));
            const char *p = tokenizer_piece(t, ids[i]);
            cJSON_AddItemToArray(jp, cJSON_CreateString(p ? p : ""));
        }
        cJSON_AddBoolToObject(o, "bos_added", tokenizer_adds_bos(t));
        cJSON_AddNumberToObject(o, "count", n);
        print_json(o);
        cJSON_Delete(o);
    } else {
        printf("%d tokens%s\n", n,
               tokenizer_adds_bos(t) ? " (BOS added, as the tokenizer "
                                       "config says)"
                                     : "");
        for (int i = 0; i < n; i++) {
            const char *p = tokenizer_piece(t, ids[i]);
            printf("%6d  %s\n", ids[i], p ? p : "?");
        }
    }
    free(ids);
    tokenizer_free(t);
    return CLI_OK;
}

/* Loads the model and its tokenizer, and an adapter when given (served
 * through the model's hooks; *lora is then owned by the caller). */
static TpStatus load_both(const char *dir, const char *adapter, LlamaModel *m, Tokenizer **t,
                          Lora *lora, TpError *err) {
    memset(lora, 0, sizeof *lora);
    TpStatus st = tokenizer_load(dir, t, err);
    if (st != TP_OK)
        return st;
    st = llama_model_load(dir, m, err);
    if (st == TP_OK && adapter) {
        st = lora_load_peft(lora, &m->cfg, adapter, err);
        if (st == TP_OK)
            lora_attach(lora, m);
        else
            llama_model_free(m);
    }
    if (st != TP_OK) {
        tokenizer_free(*t);
        *t = NULL;
    }
    return st;
}

static int score(const ModelArgs *a) {
    LlamaModel m;
    Tokenizer *t = NULL;
    Lora lora;
    TpError err = {0};
    TpStatus st = load_both(a->dir, a->adapter, &m, &t, &lora, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    int *ids = NULL, n = 0;
    st = encode(t, a->text, true, &ids, &n, &err);
    if (st == TP_OK && n < 2)
        st = tp_error_set(&err, TP_EINVAL, "--text: need at least two tokens to score, got %d", n);
    int V = m.cfg.vocab;
    double *nll = NULL, sum = 0;
    if (st == TP_OK) {
        int *tg = malloc(sizeof(int) * (size_t)n);
        for (int i = 0; i < n; i++)
            tg[i] = i + 1 < n ? ids[i + 1] : LLAMA_IGNORE;
        st = llama_forward(&m, ids, tg, 1, n, NULL, NULL, &err);
        free(tg);
    }
    if (st == TP_OK) {
        /* -log softmax(logits[i])[ids[i+1]], in double */
        const float *lg = llama_logits(&m);
        nll = calloc((size_t)n, sizeof *nll);
        for (int i = 0; i + 1 < n; i++) {
            const float *row = lg + (size_t)i * V;
            double mx = row[0], s = 0;
            for (int v = 1; v < V; v++)
                if (row[v] > mx)
                    mx = row[v];
            for (int v = 0; v < V; v++)
                s += exp(row[v] - mx);
            nll[i + 1] = log(s) + mx - row[ids[i + 1]];
            sum += nll[i + 1];
        }
    }
    int rc = CLI_OK;
    if (st != TP_OK) {
        rc = cli_fail(st, &err);
    } else if (a->json) {
        cJSON *o = cJSON_CreateObject(), *toks = cJSON_AddArrayToObject(o, "tokens");
        for (int i = 0; i < n; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "id", ids[i]);
            const char *p = tokenizer_piece(t, ids[i]);
            cJSON_AddStringToObject(e, "piece", p ? p : "");
            if (i == 0)
                cJSON_AddNullToObject(e, "nll");
            else
                cJSON_AddNumberToObject(e, "nll", nll[i]);
            cJSON_AddItemToArray(toks, e);
        }
        cJSON_AddNumberToObject(o, "n_tokens", n);
        cJSON_AddNumberToObject(o, "n_predicted", n - 1);
        cJSON_AddBoolToObject(o, "bos_prepended", tokenizer_adds_bos(t));
        cJSON_AddNumberToObject(o, "sum_nll", sum);
        cJSON_AddNumberToObject(o, "mean_nll", sum / (n - 1));
        cJSON_AddNumberToObject(o, "perplexity", exp(sum / (n - 1)));
        print_json(o);
        cJSON_Delete(o);
    } else {
        for (int i = 0; i < n; i++) {
            const char *p = tokenizer_piece(t, ids[i]);
            if (i == 0)
                printf("%6d  %-20s\n", ids[i], p ? p : "?");
            else
                printf("%6d  %-20s %9.5f\n", ids[i], p ? p : "?", nll[i]);
        }
        printf("\n%d tokens%s, %d predicted: summed NLL %.5f, mean %.6f, perplexity %.5f\n", n,
               tokenizer_adds_bos(t) ? " (BOS prepended)" : "", n - 1, sum, sum / (n - 1),
               exp(sum / (n - 1)));
    }
    free(nll);
    free(ids);
    tokenizer_free(t);
    llama_model_free(&m);
    lora_free(&lora);
    return rc;
}

static bool is_eos(const LlamaConfig *c, const Tokenizer *t, int id) {
    for (int i = 0; i < c->n_eos; i++)
        if (c->eos_ids[i] == id)
            return true;
    return id == tokenizer_eos_id(t);
}

static int generate(const ModelArgs *a) {
    LlamaModel m;
    Tokenizer *t = NULL;
    Lora lora;
    TpError err = {0};
    TpStatus st = load_both(a->dir, a->adapter, &m, &t, &lora, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    int *ids = NULL, n = 0;
    st = encode(t, a->prompt ? a->prompt : "", true, &ids, &n, &err);
    if (st == TP_OK && n == 0) {
        if (tokenizer_bos_id(t) < 0)
            st = tp_error_set(&err, TP_EINVAL,
                              "--prompt: empty, and the model has no BOS token "
                              "to start from");
        else
            ids[n++] = tokenizer_bos_id(t);
    }
    int total = n + (int)a->max_tokens;
    if (st == TP_OK && total > m.cfg.max_pos)
        total = m.cfg.max_pos;
    LlamaKV *kv = NULL;
    if (st == TP_OK)
        st = llama_kv_new(&m, total, &kv, &err);
    float *logits = malloc(sizeof(float) * (size_t)m.cfg.vocab);
    if (st == TP_OK && n > 0)
        st = llama_prefill(&m, kv, ids, n, logits, &err);
    if (st == TP_OK) {
        if (a->prompt)
            fputs(a->prompt, stdout);
        LlamaSampler s = {(float)a->temperature, (float)a->top_p, (uint64_t)a->seed};
        uint64_t rng = (uint64_t)a->seed;
        /* decode incrementally: print the text of all generated ids each
         * time and emit only what is new, so multi-token characters come
         * out whole */
        int *gen = malloc(sizeof(int) * (size_t)(total + 1));
        int ng = 0;
        size_t shown = 0;
        while (llama_kv_len(kv) < total) {
            int next = llama_sample(logits, m.cfg.vocab, &s, &rng);
            if (is_eos(&m.cfg, t, next))
                break;
            gen[ng++] = next;
            char *text = tokenizer_decode(t, gen, ng, true);
            size_t len = strlen(text);
            if (len > shown) {
                fwrite(text + shown, 1, len - shown, stdout);
                fflush(stdout);
                shown = len;
            }
            free(text);
            st = llama_decode_step(&m, kv, next, logits, &err);
            if (st != TP_OK)
                break;
        }
        putchar('\n');
        free(gen);
    }
    int rc = st == TP_OK ? CLI_OK : cli_fail(st, &err);
    free(logits);
    llama_kv_free(kv);
    free(ids);
    tokenizer_free(t);
    llama_model_free(&m);
    lora_free(&lora);
    return rc;
}

/* BASE + adapter -> OUT: W += s B A, saved with the tokenizer files. OUT
 * is staged beside itself and renamed into place whole; the tokenizer
 * files are copied as regular files only (a link out of BASE's own folder
 * is refused: it could point at /proc/self/environ or a file of keys). */
static int merge(const char *base, const char *adapter, const char *out) {
    LlamaModel m;
    Lora lora;
    TpError err = {0};
    TpStatus st = llama_model_load(base, &m, &err);
    if (st != TP_OK)
        return cli_fail(st, &err);
    char stage[4200] = "", root[4200];
    st = lora_load_peft(&lora, &m.cfg, adapter, &err);
    if (st == TP_OK) {
        lora_merge(&lora, &m);
        lora_free(&lora);
        st = tp_mkdirs_for_file(out, &err);
        if (st == TP_OK)
            st = tp_temp_dir(out, stage, sizeof stage, &err);
        if (st == TP_OK)
            st = llama_model_save(&m, stage, &err);
    }
    model_link_root(base, root, sizeof root);
    const char *files[3] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"};
    for (int i = 0; st == TP_OK && i < 3; i++) {
        char src[4200], dst[4400];
        snprintf(src, sizeof src, "%s/%s", base, files[i]);
        snprintf(dst, sizeof dst, "%s/%s", stage, files[i]);
        st = tp_file_copy(src, dst, root, &err);
        if (st == TP_ENOTFOUND) /* optional files */
            st = TP_OK;
    }
    struct stat sb;
    if (st == TP_OK && stat(out, &sb) == 0 && S_ISDIR(sb.st_mode))
        st = tp_temp_dir_move_into(stage, out, &err); /* keeps files of the user's */
    else if (st == TP_OK)
        st = tp_temp_dir_commit(stage, out, &err);
    else if (stage[0])
        tp_remove_tree(stage, NULL);
    llama_model_free(&m);
    if (st != TP_OK)
        return cli_fail(st, &err);
    printf("merged %s into %s: %s\n", adapter, base, out);
    return CLI_OK;
}

/* --- list ------------------------------------------------------------------------------ */

static int list(int n_dirs, char **dirs, bool json) {
    ModelCatalog cat = {0};
    char hub[4096];
    model_catalog_hub_dir(hub, sizeof hub);
    model_catalog_scan_hub(&cat, hub);
    for (int i = 0; i < n_dirs; i++)
        if (!model_catalog_scan_dir(&cat, dirs[i]))
            fprintf(stderr, "tunepilot: warning: cannot read directory %s\n", dirs[i]);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < cat.n; i++) {
            const ModelEntry *e = &cat.items[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", e->name);
            cJSON_AddStringToObject(o, "path", e->path);
            if (e->supported) {
                cJSON_AddStringToObject(o, "architecture", e->architecture);
                cJSON_AddNumberToObject(o, "parameters", (double)e->parameters);
                cJSON_AddStringToObject(o, "dtype", e->dtype);
            }
            cJSON_AddBoolToObject(o, "supported", e->supported);
            if (!e->supported)
                cJSON_AddStringToObject(o, "reason", e->reason ? e->reason : "");
            cJSON_AddItemToArray(arr, o);
        }
        print_json(arr);
        cJSON_Delete(arr);
    } else if (cat.n == 0) {
        printf("no models found in %s%s (download one with the Hugging Face tools, or name a "
               "directory)\n",
               hub, n_dirs ? " or the directories given" : "");
    } else {
        for (int i = 0; i < cat.n; i++) {
            const ModelEntry *e = &cat.items[i];
            printf("%-36s %-20s %10s  %s\n", e->name,
                   e->supported ? e->architecture : "(unsupported)", "", e->path);
            if (e->supported)
                printf("%-36s %.2fM parameters\n", "", (double)e->parameters / 1e6);
        }
    }
    model_catalog_free(&cat);
    return CLI_OK;
}

int cmd_model(const CliGlobal *g, int argc, char **argv) {
    (void)g;
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *sub = argv[1];
    ModelArgs a = {.max_tokens = 128, .temperature = 0, .top_p = 1, .seed = 1};
    char **pos = calloc((size_t)argc, sizeof *pos);
    int npos = 0;
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--json")) {
            a.json = true;
        } else if (cli_take(argc, argv, &i, "--text", &v)) {
            if (!v) {
                free(pos);
                return cli_usage("model", "--text: expected text");
            }
            a.text = v;
        } else if (cli_take(argc, argv, &i, "--adapter", &v)) {
            if (!v) {
                free(pos);
                return cli_usage("model", "--adapter: expected a PEFT adapter directory");
            }
            a.adapter = v;
        } else if (cli_take(argc, argv, &i, "--prompt", &v)) {
            if (!v) {
                free(pos);
                return cli_usage("model", "--prompt: expected text");
            }
            a.prompt = v;
        } else if (cli_take(argc, argv, &i, "--max-tokens", &v)) {
            if (!cli_parse_ll(v, &a.max_tokens) || a.max_tokens < 1 || a.max_tokens > 1000000) {
                free(pos);
                return cli_usage("model", "--max-tokens: expected a positive integer");
            }
        } else if (cli_take(argc, argv, &i, "--seed", &v)) {
            if (!cli_parse_ll(v, &a.seed)) {
                free(pos);
                return cli_usage("model", "--seed: expected a non-negative integer");
            }
        } else if (cli_take(argc, argv, &i, "--temperature", &v)) {
            if (!cli_parse_num(v, 0, 100, &a.temperature)) {
                free(pos);
                return cli_usage("model", "--temperature: expected a number >= 0 (0 = greedy)");
            }
        } else if (cli_take(argc, argv, &i, "--top-p", &v)) {
            if (!cli_parse_num(v, 0, 1, &a.top_p) || a.top_p == 0) {
                free(pos);
                return cli_usage("model", "--top-p: expected a number in (0, 1]");
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            free(pos);
            return cli_usage("model", "unknown option %s", argv[i]);
        } else {
            pos[npos++] = argv[i];
        }
    }
    int rc;
    if (!strcmp(sub, "list")) {
        rc = list(npos, pos, a.json);
    } else if (!strcmp(sub, "merge")) {
        rc = npos == 3 ? merge(pos[0], pos[1], pos[2])
                       : cli_usage("model", "merge: expected BASE ADAPTER OUT");
    } else if (strcmp(sub, "info") && strcmp(sub, "tokenize") && strcmp(sub, "score") &&
               strcmp(sub, "generate")) {
        rc = cli_usage("model",
                       "unknown subcommand \"%s\" (expected info, tokenize, score, "
                       "generate, list or merge)",
                       sub);
    } else if (npos != 1) {
        rc = cli_usage("model", "%s: expected one model directory", sub);
    } else {
        a.dir = pos[0];
        if ((!strcmp(sub, "tokenize") || !strcmp(sub, "score")) && !a.text)
            rc = cli_usage("model", "%s: expected --text TEXT", sub);
        else if (!strcmp(sub, "info"))
            rc = info(&a);
        else if (!strcmp(sub, "tokenize"))
            rc = tokenize(&a);
        else if (!strcmp(sub, "score"))
            rc = score(&a);
        else
            rc = generate(&a);
    }
    free(pos);
    return rc;
}
