/* demo.c - building the bundled pilot demo (see demo.h): the corpus and the
 * task data (demo_tickets.c), a BPE tokenizer learned from the corpus
 * (tokenizer_train_bpe), a small Llama pretrained on it with the trainer. */
#include "tunepilot/demo.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "pilot/demo_impl.h"
#include "tunepilot/arena.h"
#include "tunepilot/buf.h"
#include "tunepilot/fileio.h"
#include "tunepilot/llama.h"
#include "tunepilot/paths.h"
#include "tunepilot/tokenizer.h"

/* Writes tokenizer.json (learned from texts), tokenizer_config.json and
 * special_tokens_map.json into dir; *vocab_size gets the ids in use (bytes,
 * merges, <s>, </s>). */
static TpStatus write_tokenizer(const char *dir, char *const *texts, int n_merges, int *vocab_size,
                                int *merges_made, TpError *err) {
    char *js = tokenizer_train_bpe(texts, n_merges, vocab_size, merges_made);
    char path[4200];
    TpStatus st = tp_mkdirs(dir, err);
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    if (st == TP_OK)
        st = tp_file_write_atomic(path, js, strlen(js), err);
    free(js);
    static const char CONFIG[] =
        "{\n  \"add_bos_token\": true,\n  \"add_eos_token\": false,\n  \"bos_token\": \"<s>\",\n"
        "  \"eos_token\": \"</s>\",\n  \"model_max_length\": 512,\n"
        "  \"tokenizer_class\": \"PreTrainedTokenizerFast\"\n}\n";
    static const char MAP[] = "{\n  \"bos_token\": \"<s>\",\n  \"eos_token\": \"</s>\"\n}\n";
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    if (st == TP_OK)
        st = tp_file_write_atomic(path, CONFIG, strlen(CONFIG), err);
    snprintf(path, sizeof path, "%s/special_tokens_map.json", dir);
    if (st == TP_OK)
        st = tp_file_write_atomic(path, MAP, strlen(MAP), err);
    return st;
}

/* --- the build ------------------------------------------------------------------------------- */

void demo_build_defaults(DemoBuildOptions *o, bool tiny) {
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->corpus_records = tiny ? 400 : 12000;
    o->tickets = tiny ? 50 : 400;
    o->merges = tiny ? 94 : 766;
    o->hidden = tiny ? 32 : 128;
    o->intermediate = tiny ? 64 : 384;
    o->layers = tiny ? 1 : 4;
    o->heads = 4;
    o->kv_heads = 2;
    o->pretrain_steps = tiny ? 10 : 1600;
    o->batch = tiny ? 4 : 16;
    o->lr = 3e-3;
    o->threads = 2;
}

void demo_pilot_config(TrainConfig *c) {
    train_config_defaults(c);
    c->method = TRAIN_QLORA;
    c->rank = 8;
    c->alpha = 16;
    c->dropout = 0.05;
    c->lr = 2e-3;
    c->steps = 120;
    c->batch = 8;
    c->warmup = 10;
    c->seq = 256;
    c->eval_split = 0.2;
    c->eval_every = 40;
    c->checkpoint_every = 0;
    c->eval_examples = 80;
    c->seed = 1;
}

TpStatus demo_build(const DemoBuildOptions *o, const TrainSink *sink, volatile sig_atomic_t *stop,
                    TpError *err) {
    if (o->tickets < DEMO_N_TEAMS || o->tickets % DEMO_N_TEAMS)
        return tp_error_set(err, TP_EINVAL, "--tickets: expected a multiple of %d", DEMO_N_TEAMS);
    if (o->corpus_records < 10 || o->merges < 0 || o->merges > 60000)
        return tp_error_set(err, TP_EINVAL, "demo build: corpus or merge count out of range");
    char work[4200], init[4300], corpus[4300], run[4300], model[4200], tickets[4200], info[4200];
    snprintf(work, sizeof work, "%s/.work", o->out_dir);
    snprintf(init, sizeof init, "%s/init", work);
    snprintf(corpus, sizeof corpus, "%s/corpus.jsonl", work);
    snprintf(run, sizeof run, "%s/pretrain", work);
    snprintf(model, sizeof model, "%s/model", o->out_dir);
    snprintf(tickets, sizeof tickets, "%s/tickets.jsonl", o->out_dir);
    snprintf(info, sizeof info, "%s/build.json", o->out_dir);
    /* a stale checkpoint must not be resumed */
    TpStatus st = tp_remove_tree(work, err);
    if (st == TP_OK)
        st = tp_mkdirs(init, err);
    if (st != TP_OK)
        return st;

    /* 1. the corpus, and the tokenizer learned from it */
    char **texts = NULL;
    TpStrMap seen = {0};
    st = demo_write_corpus(corpus, o->seed * 7919 + 1, o->corpus_records, &texts, &seen, err);
    int vocab = 0, merges = 0;
    if (st == TP_OK) {
        train_sink_emit(sink, "info", "corpus: %d ticket transcripts without team labels -> %s",
                        o->corpus_records, corpus);
        st = write_tokenizer(init, texts, o->merges, &vocab, &merges, err);
    }
    for (int i = 0; texts && texts[i]; i++)
        free(texts[i]);
    free(texts);
    if (st == TP_OK)
        train_sink_emit(sink, "info",
                        "tokenizer: byte-level BPE, %d merges learned from the corpus, %d ids",
                        merges, vocab);

    /* 2. the task data, none of its tickets in the corpus */
    if (st == TP_OK)
        st = demo_write_task(tickets, o->seed * 7919 + 2, o->tickets, &seen, err);
    tp_strmap_free(&seen);
    if (st == TP_OK)
        train_sink_emit(sink, "info", "task: %d tickets routed to %d teams (%d each) -> %s",
                        o->tickets, DEMO_N_TEAMS, o->tickets / DEMO_N_TEAMS, tickets);

    /* 3. a random small Llama */
    LlamaConfig c = {0};
    snprintf(c.architecture, sizeof c.architecture, "LlamaForCausalLM");
    snprintf(c.model_type, sizeof c.model_type, "llama");
    c.hidden = o->hidden;
    c.intermediate = o->intermediate;
    c.n_layers = o->layers;
    c.n_heads = o->heads;
    c.n_kv_heads = o->kv_heads;
    c.head_dim = o->heads > 0 ? o->hidden / o->heads : 0;
    c.vocab = vocab;
    c.max_pos = 512;
    c.rms_eps = 1e-5;
    c.rope_theta = 10000;
    c.tie_embeddings = true;
    c.bos_id = vocab - 2;
    c.eos_ids[0] = vocab - 1;
    c.n_eos = 1;
    if (st == TP_OK && (c.head_dim < 2 || c.head_dim % 2 || o->heads % o->kv_heads))
        st = tp_error_set(err, TP_EINVAL, "demo build: bad model shape");
    if (st == TP_OK) {
        LlamaModel m;
        st = llama_model_init(&m, &c, err);
        if (st == TP_OK) {
            llama_model_randomize(&m, o->seed * 7919 + 3, 0.02f);
            st = llama_model_save(&m, init, err);
            train_sink_emit(sink, "info",
                            "model: Llama, hidden %d, %d layers, %d heads (%d key/value), %lld "
                            "parameters, random init -> %s",
                            c.hidden, c.n_layers, c.n_heads, c.n_kv_heads,
                            (long long)llama_config_n_params(&c), init);
            llama_model_free(&m);
        }
    }

    /* 4. pretraining: full training on the corpus */
    Trainer *t = NULL;
    TrainConfig tc;
    train_config_defaults(&tc);
    tc.method = TRAIN_FULL;
    tc.lr = o->lr;
    tc.weight_decay = 0.01;
    tc.steps = o->pretrain_steps;
    tc.batch = o->batch;
    tc.seq = 160;
    tc.warmup = o->pretrain_steps / 20;
    tc.eval_split = o->corpus_records >= 2000 ? 0.02 : 0.05;
    tc.eval_every = o->pretrain_steps >= 400 ? o->pretrain_steps / 8 : 0;
    tc.checkpoint_every = 200;
    tc.eval_examples = 0;
    tc.seed = o->seed;
    tc.threads = o->threads;
    if (st == TP_OK)
        st = trainer_open(init, corpus, &tc, run, &t, err);
    TrainEval before = {0}, after = {0};
    if (st == TP_OK)
        st = trainer_evaluate(t, "base", &before, NULL, 0, 0, err);
    if (st == TP_OK) {
        TrainInfo ti;
        trainer_info(t, &ti);
        train_sink_emit(sink, "info",
                        "pretraining: %lld updates of %d transcripts, full training, lr %g; %lld "
                        "training tokens per pass; held-out loss before: %.3f",
                        ti.total_steps, tc.batch, tc.lr, ti.train_tokens, before.loss);
    }
    bool finished = false;
    if (st == TP_OK)
        st = trainer_run(t, sink, stop, &finished, err);
    if (st == TP_OK && !finished)
        st = tp_error_set(err, TP_ERR, "demo build stopped; the work files are in %s", work);
    if (st == TP_OK)
        st = trainer_evaluate(t, "eval", &after, NULL, 0, 0, err);
    if (st == TP_OK) {
        train_sink_emit(sink, "info", "pretraining done: held-out loss %.3f (from %.3f)",
                        after.loss, before.loss);
        st = tp_remove_tree(model, err);
        if (st == TP_OK)
            st = trainer_export(t, model, err);
    }
    TrainInfo ti;
    if (t)
        trainer_info(t, &ti);
    trainer_close(t);

    /* 5. how it was made */
    if (st == TP_OK) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "made_by", "tunepilot demo build");
        cJSON_AddStringToObject(j, "tunepilot_version", TP_VERSION);
        cJSON_AddNumberToObject(j, "seed", (double)o->seed);
        cJSON *x = cJSON_AddObjectToObject(j, "corpus");
        cJSON_AddNumberToObject(x, "records", o->corpus_records);
        cJSON_AddStringToObject(x, "format", "completion (prompt, completion); no team labels");
        x = cJSON_AddObjectToObject(j, "tokenizer");
        cJSON_AddStringToObject(x, "type", "byte-level BPE learned from the corpus");
        cJSON_AddNumberToObject(x, "merges", merges);
        cJSON_AddNumberToObject(x, "vocab", vocab);
        x = cJSON_AddObjectToObject(j, "model");
        cJSON_AddNumberToObject(x, "hidden", c.hidden);
        cJSON_AddNumberToObject(x, "intermediate", c.intermediate);
        cJSON_AddNumberToObject(x, "layers", c.n_layers);
        cJSON_AddNumberToObject(x, "heads", c.n_heads);
        cJSON_AddNumberToObject(x, "kv_heads", c.n_kv_heads);
        cJSON_AddNumberToObject(x, "parameters", (double)llama_config_n_params(&c));
        x = cJSON_AddObjectToObject(j, "pretraining");
        cJSON_AddStringToObject(x, "method", "full");
        cJSON_AddNumberToObject(x, "steps", (double)tc.steps);
        cJSON_AddNumberToObject(x, "batch", tc.batch);
        cJSON_AddNumberToObject(x, "seq", tc.seq);
        cJSON_AddNumberToObject(x, "lr", tc.lr);
        cJSON_AddNumberToObject(x, "weight_decay", tc.weight_decay);
        cJSON_AddNumberToObject(x, "warmup", (double)tc.warmup);
        cJSON_AddNumberToObject(x, "threads", tc.threads);
        cJSON_AddNumberToObject(x, "train_records", (double)ti.n_train);
        cJSON_AddNumberToObject(x, "tokens_per_pass", (double)ti.train_tokens);
        cJSON_AddNumberToObject(x, "heldout_loss_before", round(before.loss * 1e4) / 1e4);
        cJSON_AddNumberToObject(x, "heldout_loss_after", round(after.loss * 1e4) / 1e4);
        x = cJSON_AddObjectToObject(j, "task");
        cJSON_AddNumberToObject(x, "tickets", o->tickets);
        cJSON *teams = cJSON_AddArrayToObject(x, "teams");
        for (int i = 0; i < DEMO_N_TEAMS; i++)
            cJSON_AddItemToArray(teams, cJSON_CreateString(DEMO_TEAMS[i]));
        char *js = cJSON_Print(j);
        cJSON_Delete(j);
        size_t len = strlen(js);
        js = tp_xrealloc(js, len + 2);
        js[len] = '\n';
        js[len + 1] = '\0';
        st = tp_file_write_atomic(info, js, len + 1, err);
        free(js);
    }
    if (st == TP_OK && !o->keep_work)
        st = tp_remove_tree(work, err);
    return st;
}

static bool has_demo(const char *dir) {
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/model/config.json", dir);
    snprintf(b, sizeof b, "%s/tickets.jsonl", dir);
    return access(a, R_OK) == 0 && access(b, R_OK) == 0;
}

bool demo_find_dir(char *out, size_t size) {
    const char *env = getenv("TUNEPILOT_DEMO_DIR");
    if (env && *env) {
        snprintf(out, size, "%s", env);
        return has_demo(out); /* set but wrong: do not silently use another */
    }
    snprintf(out, size, "%s", TP_DEMO_DIR);
    if (has_demo(out))
        return true;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        snprintf(out, size, "%s/../share/tunepilot/demo", exe);
        if (has_demo(out))
            return true;
    }
    return false;
}
