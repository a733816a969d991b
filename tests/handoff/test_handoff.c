/* test_handoff.c - the hand-off plan on model shapes a test cannot train: a
 * recorded (not trained) pilot of a Llama-3.2-1B-shaped model, with its
 * summary's GPU-hours written here, handed to torchtune (builder, LoRA keys,
 * batch over GPUs) and to axolotl as a full fine-tune that needs DeepSpeed
 * ZeRO-3 on 16 GB GPUs. Expected numbers are worked out by hand beside each
 * assertion from handoff.c's documented rules. */
#include "tp_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tunepilot/fileio.h"
#include "tunepilot/handoff.h"
#include "tunepilot/llama.h"
#include "tunepilot/pricing.h"
#include "tunepilot/store.h"

/* Llama-3.2-1B's published config.json values (meta-llama/Llama-3.2-1B). */
static const char CONFIG_1B[] =
    "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"hidden_size\": 2048,"
    " \"intermediate_size\": 8192, \"num_hidden_layers\": 16, \"num_attention_heads\": 32,"
    " \"num_key_value_heads\": 8, \"head_dim\": 64, \"vocab_size\": 128256,"
    " \"max_position_embeddings\": 131072, \"rms_norm_eps\": 1e-05, \"rope_theta\": 500000.0,"
    " \"tie_word_embeddings\": true, \"hidden_act\": \"silu\", \"bos_token_id\": 128000,"
    " \"eos_token_id\": 128001}";

static void write_text(const char *path, const char *text) {
    TpError err = {0};
    if (tp_file_write_atomic(path, text, strlen(text), &err) != TP_OK)
        fail_msg("%s", err.msg);
}

static void copy_fixture(const char *name, const char *to) {
    char *data = NULL;
    size_t len = 0;
    TpError err = {0};
    if (tp_file_read(tp_fixture(name), 1 << 22, &data, &len, &err) != TP_OK)
        fail_msg("%s", err.msg);
    if (tp_file_write_atomic(to, data, len, &err) != TP_OK)
        fail_msg("%s", err.msg);
    free(data);
}

static char *read_all(const char *path) {
    char *data = NULL;
    size_t len = 0;
    TpError err = {0};
    if (tp_file_read(path, 1 << 22, &data, &len, &err) != TP_OK)
        fail_msg("%s", err.msg);
    return data;
}

static Store *g_store;
static Pricing g_pricing;
static char g_model[4096], g_data[4096];
static double g_params;

/* A completed pilot run as tunepilot records one: settings, plan and summary. */
static int64_t record_run(const char *method, int batch, int grad_accum, const char *gpus_json) {
    char config[1024], summary[2048];
    snprintf(config, sizeof config,
             "{\"method\":\"%s\",\"rank\":16,\"alpha\":32,\"dropout\":0.05,\"rslora\":false,"
             "\"targets\":127,\"lr\":0.0002,\"weight_decay\":0,\"max_grad_norm\":1,\"warmup\":10,"
             "\"steps\":0,\"epochs\":2,\"batch\":%d,\"grad_accum\":%d,\"seq\":128,"
             "\"eval_every\":50,\"checkpoint_every\":50,\"eval_split\":0.2,\"seed\":7,"
             "\"threads\":1,\"eval_examples\":0}",
             method, batch, grad_accum);
    snprintf(summary, sizeof summary,
             "{\"n_params\":%.0f,\"n_trainable\":11272192,\"template\":\"chatml\","
             "\"full_run\":{\"epochs\":2,\"gpus\":%s}}",
             g_params, gpus_json);
    StoreRun r;
    memset(&r, 0, sizeof r);
    snprintf(r.kind, sizeof r.kind, "local");
    r.status = RUN_RUNNING;
    snprintf(r.model, sizeof r.model, "%s", g_model);
    snprintf(r.data, sizeof r.data, "%s", g_data);
    snprintf(r.method, sizeof r.method, "%s", method);
    r.config = config;
    int64_t id = 0;
    TpError err = {0};
    if (store_run_create(g_store, &r, &id, &err) != TP_OK ||
        store_run_set_plan(g_store, id, "/nowhere", 100, &err) != TP_OK ||
        store_run_set_summary(g_store, id, summary, &err) != TP_OK ||
        store_run_set_status(g_store, id, RUN_COMPLETED, "", &err) != TP_OK)
        fail_msg("%s", err.msg);
    return id;
}

static int setup(void **state) {
    (void)state;
    char path[4200], db[4200];
    snprintf(g_model, sizeof g_model, "%s/m", tp_tmpdir());
    mkdir(g_model, 0755);
    snprintf(path, sizeof path, "%s/config.json", g_model);
    write_text(path, CONFIG_1B);
    snprintf(path, sizeof path, "%s/tokenizer.json", g_model);
    copy_fixture("data/bytes_tokenizer.json", path);
    snprintf(path, sizeof path, "%s/tokenizer_config.json", g_model);
    copy_fixture("data/config_chatml.json", path);
    /* 10 chat records: eval split 0.2 holds out round(0.2 x 10) = 2 */
    snprintf(g_data, sizeof g_data, "%s/d.jsonl", tp_tmpdir());
    char data[4096] = "";
    for (int i = 0; i < 10; i++) {
        char line[256];
        snprintf(line, sizeof line,
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"q%d\"},"
                 "{\"role\":\"assistant\",\"content\":\"a%d\"}]}\n",
                 i, i);
        strcat(data, line);
    }
    write_text(g_data, data);
    snprintf(db, sizeof db, "%s/tp.db", tp_tmpdir());
    TpError err = {0};
    if (store_open(db, &g_store, &err) != TP_OK || pricing_load_bundled(&g_pricing, &err) != TP_OK)
        fail_msg("%s", err.msg);
    LlamaConfig c;
    if (llama_config_parse(CONFIG_1B, strlen(CONFIG_1B), "config.json", &c, &err) != TP_OK)
        fail_msg("%s", err.msg);
    g_params = (double)llama_config_n_params(&c);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    store_close(g_store);
    pricing_free(&g_pricing);
    tp_tmpdir_cleanup();
    return 0;
}

static void test_torchtune_lora_1b(void **state) {
    (void)state;
    int64_t id = record_run("lora", 4, 2, "[{\"gpu\":\"a100-80gb\",\"hours\":6}]");
    char out[4200];
    snprintf(out, sizeof out, "%s/tt", tp_tmpdir());
    HandoffOptions o = {.engine = HANDOFF_TORCHTUNE, .gpus = 2, .gpu = "a100-80gb", .out_dir = out};
    HandoffPlan pl;
    TpError err = {0};
    assert_int_equal(handoff_write(g_store, &g_pricing, id, &o, &pl, &err), TP_OK);
    /* effective batch 4 x 2 = 8 over 2 GPUs: 4 a GPU, accumulation 8 / (4 x 2) = 1 */
    assert_int_equal(pl.micro_batch, 4);
    assert_int_equal(pl.grad_accum, 1);
    assert_int_equal(pl.effective_batch, 8);
    /* 8 training examples x 2 epochs / 8 = 2 updates; warmup 10 of the pilot's 100 = 0.1 */
    assert_int_equal(pl.n_train, 8);
    assert_int_equal(pl.updates, 2);
    assert_close(pl.warmup_ratio, 0.1, 1e-12);
    /* 6 GPU-hours over 2 GPUs: 3 h; dollars: 6 x the table's cheapest A100 80GB rate */
    assert_close(pl.gpu_hours, 6, 1e-9);
    assert_close(pl.wall_hours, 3, 1e-9);
    const PricingGpu *g = pricing_find_gpu(&g_pricing, "a100-80gb");
    assert_non_null(g);
    assert_close(pl.usd, 6 * pricing_gpu_rate(g, NULL)->usd_per_hour, 1e-9);
    char path[4300];
    snprintf(path, sizeof path, "%s/torchtune.yml", out);
    char *y = read_all(path);
    assert_non_null(strstr(y, "_component_: torchtune.models.llama3_2.lora_llama3_2_1b\n"));
    assert_non_null(strstr(y, "lora_attn_modules: [\"q_proj\", \"k_proj\", \"v_proj\", "
                              "\"output_proj\"]\n  apply_lora_to_mlp: true\n"));
    assert_non_null(strstr(y, "  lora_rank: 16\n  lora_alpha: 32\n"));
    assert_non_null(strstr(y, "conversation_style: openai\n"));
    assert_non_null(strstr(y, "batch_size: 4\n"));
    free(y);
    snprintf(path, sizeof path, "%s/run.sh", out);
    y = read_all(path);
    assert_non_null(strstr(y, "tune run --nproc_per_node 2 lora_finetune_distributed --config "
                              "torchtune.yml"));
    free(y);

    /* QLoRA takes the qlora builder */
    int64_t q = record_run("qlora", 4, 2, "[{\"gpu\":\"a100-80gb\",\"hours\":6}]");
    snprintf(out, sizeof out, "%s/ttq", tp_tmpdir());
    o.out_dir = out;
    assert_int_equal(handoff_write(g_store, &g_pricing, q, &o, &pl, &err), TP_OK);
    snprintf(path, sizeof path, "%s/torchtune.yml", out);
    y = read_all(path);
    assert_non_null(strstr(y, "torchtune.models.llama3_2.qlora_llama3_2_1b\n"));
    free(y);
}

static void test_full_needs_zero3_on_t4(void **state) {
    (void)state;
    /* a full fine-tune keeps 16 bytes a weight (bf16 weight and gradient, fp32 master and two
     * AdamW moments): 16 x 1.236e9 = 19.8 GB, over a T4's 16 GB on one GPU, so ZeRO-3 shards it
     * across the 8 GPUs: 19.8 / 8 = 2.5 GB each (plus activations and 1.5 GB of overhead) */
    assert_true(16 * g_params / 1e9 > 16);
    int64_t id =
        record_run("full", 8, 1, "[{\"gpu\":\"t4\",\"hours\":40},{\"gpu\":\"h100\",\"hours\":2}]");
    char out[4200];
    snprintf(out, sizeof out, "%s/z3", tp_tmpdir());
    HandoffOptions o = {.engine = HANDOFF_AXOLOTL, .gpus = 8, .gpu = "t4", .out_dir = out};
    HandoffPlan pl;
    TpError err = {0};
    assert_int_equal(handoff_write(g_store, &g_pricing, id, &o, &pl, &err), TP_OK);
    assert_string_equal(pl.deepspeed, "zero3");
    assert_true(pl.need_memory_gb < 16);
    char path[4300];
    snprintf(path, sizeof path, "%s/deepspeed.json", out);
    char *y = read_all(path);
    assert_non_null(strstr(y, "\"stage\": 3"));
    free(y);
    snprintf(path, sizeof path, "%s/accelerate.yml", out);
    y = read_all(path);
    assert_non_null(strstr(y, "distributed_type: DEEPSPEED\n"));
    assert_non_null(strstr(y, "num_processes: 8\n"));
    free(y);
    snprintf(path, sizeof path, "%s/config.yml", out);
    y = read_all(path);
    assert_null(strstr(y, "adapter:")); /* every weight trains */
    assert_non_null(strstr(y, "deepspeed: deepspeed.json\n"));
    free(y);

    /* on one H100 (80 GB) the same state fits without sharding: no DeepSpeed at all */
    snprintf(out, sizeof out, "%s/h1", tp_tmpdir());
    HandoffOptions o1 = {.engine = HANDOFF_AXOLOTL, .gpus = 1, .gpu = "h100", .out_dir = out};
    assert_int_equal(handoff_write(g_store, &g_pricing, id, &o1, &pl, &err), TP_OK);
    assert_null(pl.deepspeed);

    /* without --gpu: the cheapest full run among GPUs that fit. A T4 on one GPU cannot hold
     * it; the tables' rates decide between 8 T4 (40 GPU-hours) and 1 H100 (2 GPU-hours) */
    snprintf(out, sizeof out, "%s/auto", tp_tmpdir());
    HandoffOptions oa = {.engine = HANDOFF_AXOLOTL, .out_dir = out};
    assert_int_equal(handoff_write(g_store, &g_pricing, id, &oa, &pl, &err), TP_OK);
    double t4 = 40 * pricing_gpu_rate(pricing_find_gpu(&g_pricing, "t4"), NULL)->usd_per_hour;
    double h100 = 2 * pricing_gpu_rate(pricing_find_gpu(&g_pricing, "h100"), NULL)->usd_per_hour;
    assert_string_equal(pl.gpu_id, t4 < h100 ? "t4" : "h100");
    assert_close(pl.usd, t4 < h100 ? t4 : h100, 1e-9);
}

static void test_refusals(void **state) {
    (void)state;
    int64_t id = record_run("lora", 4, 2, "[{\"gpu\":\"a100-80gb\",\"hours\":6}]");
    char out[4200];
    HandoffPlan pl;
    TpError err = {0};
    /* a full fine-tune is not written for torchtune */
    int64_t full = record_run(
        "full", 4, 2, "[{\"gpu\":\"a100-80gb\",\"hours\":6},{\"gpu\":\"t4\",\"hours\":40}]");
    snprintf(out, sizeof out, "%s/r1", tp_tmpdir());
    HandoffOptions o = {.engine = HANDOFF_TORCHTUNE, .out_dir = out};
    assert_int_equal(handoff_write(g_store, &g_pricing, full, &o, &pl, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "full_finetune_distributed"));
    /* fractional epochs beyond one: torchtune counts whole epochs */
    o.epochs = 2.5;
    assert_int_equal(handoff_write(g_store, &g_pricing, id, &o, &pl, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "whole numbers"));
    /* a GPU too small for even one micro-batch of a full run on 1 GPU */
    HandoffOptions o2 = {.engine = HANDOFF_AXOLOTL, .gpus = 1, .gpu = "t4", .out_dir = out};
    assert_int_equal(handoff_write(g_store, &g_pricing, full, &o2, &pl, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "cannot hold the training state"));
    struct stat sb;
    assert_int_not_equal(stat(out, &sb), 0); /* nothing written for a refused plan */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_torchtune_lora_1b),
        cmocka_unit_test(test_full_needs_zero3_on_t4),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
