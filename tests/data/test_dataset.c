/* test_dataset.c - SFT JSON Lines: every template's text and loss mask against
 * ids derived by hand, weights, truncation, the seeded split, every bad-input
 * path with its line, and (when $TP_SHARED_MODELS has it) a real tokenizer.
 *
 * The fixture tokenizer tests/fixtures/data/bytes_tokenizer.json is a byte-level
 * BPE without merges whose ids are the byte values, plus special tokens
 * 256.. (see make_bytes_tokenizer.py): "hi" is [104, 105], "<s>" is 256. Each
 * test puts it in a temporary folder beside one of the config_*.json fixtures
 * (as tokenizer_config.json) to pick a chat template. */
#include "tp_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tunepilot/buf.h"
#include "tunepilot/dataset.h"
#include "tunepilot/fileio.h"
#include "tunepilot/tokenizer.h"

/* --- hand-made ids ------------------------------------------------------------------ */

enum {
    BOS = 256,
    EOS = 257,
    IM_START = 258,
    IM_END = 259,
    BEGIN = 261,
    SH = 262,
    EH = 263,
    EOT = 264
};

static const char *const SPECIAL[] = {"<s>",
                                      "</s>",
                                      "<|im_start|>",
                                      "<|im_end|>",
                                      "<|endoftext|>",
                                      "<|begin_of_text|>",
                                      "<|start_header_id|>",
                                      "<|end_header_id|>",
                                      "<|eot_id|>",
                                      "<|user|>",
                                      "<|assistant|>",
                                      "<|system|>"};

/* The fixture's ids of text: a special token's text is 256 + its index above,
 * any other byte is its value. Appends to ids (room for strlen(text)). */
static int hand_ids(const char *text, int *ids) {
    int n = 0;
    for (const char *p = text; *p;) {
        int id = -1;
        size_t len = 1;
        for (size_t k = 0; k < sizeof SPECIAL / sizeof SPECIAL[0]; k++) {
            size_t l = strlen(SPECIAL[k]);
            if (!strncmp(p, SPECIAL[k], l)) {
                id = 256 + (int)k;
                len = l;
                break;
            }
        }
        ids[n++] = id >= 0 ? id : (unsigned char)*p;
        p += len;
    }
    return n;
}

/* A piece of an expected example: text (or a bare id when text is NULL) and
 * whether its tokens carry loss. */
typedef struct Seg {
    const char *text;
    int loss;
    int id;
} Seg;

#define ID(x)                                                                                      \
    { NULL, 0, (x) }

/* Asserts e's ids and labels equal the segments (labels[i] = ids[i + 1] when
 * that token has loss, else -100, and -100 at the end). */
static void assert_segs(const DatasetExample *e, const Seg *segs, int nseg) {
    int cap = 16;
    for (int s = 0; s < nseg; s++)
        cap += segs[s].text ? (int)strlen(segs[s].text) : 1;
    int *ids = malloc((size_t)cap * sizeof *ids);
    int *loss = malloc((size_t)cap * sizeof *loss);
    int n = 0;
    for (int s = 0; s < nseg; s++) {
        int k = segs[s].text ? hand_ids(segs[s].text, ids + n) : (ids[n] = segs[s].id, 1);
        for (int i = 0; i < k; i++)
            loss[n + i] = segs[s].loss;
        n += k;
    }
    if (e->n != n) {
        fprintf(stderr, "got %d ids:", e->n);
        for (int i = 0; i < e->n; i++)
            fprintf(stderr, " %d", e->ids[i]);
        fprintf(stderr, "\n");
    }
    assert_int_equal(e->n, n);
    int n_loss = 0;
    for (int i = 0; i < n; i++) {
        int want = i + 1 < n && loss[i + 1] ? ids[i + 1] : DATASET_IGNORE;
        if (e->ids[i] != ids[i] || e->labels[i] != want)
            fail_msg("position %d: id %d label %d, expected id %d label %d", i, e->ids[i],
                     e->labels[i], ids[i], want);
        n_loss += want != DATASET_IGNORE;
    }
    assert_int_equal(e->n_loss, n_loss);
    free(ids);
    free(loss);
}

/* --- fixtures -------------------------------------------------------------------------- */

static void write_file(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void copy_file(const char *from, const char *to) {
    char *data;
    size_t len;
    TpError err = {0};
    if (tp_file_read(from, 1 << 20, &data, &len, &err) != TP_OK)
        fail_msg("%s", err.msg);
    write_file(to, data, len);
    free(data);
}

/* The bytes tokenizer with tests/fixtures/data/CONFIG as its tokenizer_config.json. */
static Tokenizer *tok_with(const char *config) {
    char dir[4096], path[4200], src[4096];
    snprintf(dir, sizeof dir, "%s/tok-%s", tp_tmpdir(), config);
    mkdir(dir, 0755);
    snprintf(src, sizeof src, "%s", tp_fixture("data/bytes_tokenizer.json"));
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    copy_file(src, path);
    snprintf(src, sizeof src, "%s", tp_fixture("data/"));
    strncat(src, config, sizeof src - strlen(src) - 1);
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    copy_file(src, path);
    Tokenizer *t = NULL;
    TpError err = {0};
    if (tokenizer_load(dir, &t, &err) != TP_OK)
        fail_msg("%s", err.msg);
    return t;
}

/* Writes text to a temporary NAME and returns its path (static buffer). */
static const char *jsonl(const char *name, const char *text) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", tp_tmpdir(), name);
    write_file(path, text, strlen(text));
    return path;
}

static void load_ok(const Tokenizer *t, const char *text, const DatasetOptions *opt, Dataset *d) {
    TpError err = {0};
    if (dataset_load(jsonl("data.jsonl", text), t, opt, d, &err) != TP_OK)
        fail_msg("dataset_load: %s", err.msg);
}

/* dataset_format_prompt(system, user) equals ids[0..prompt_len) of e. */
static void assert_prompt_matches(const Tokenizer *t, const char *system, const char *user,
                                  const DatasetExample *e) {
    int *ids = NULL, n = -1;
    TpError err = {0};
    if (dataset_format_prompt(t, system, user, &ids, &n, &err) != TP_OK)
        fail_msg("dataset_format_prompt: %s", err.msg);
    assert_int_equal(n, e->prompt_len);
    for (int i = 0; i < n; i++)
        assert_int_equal(ids[i], e->ids[i]);
    free(ids);
}

/* --- templates ----------------------------------------------------------------------- */

static void test_default_template(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_default.json");
    assert_string_equal(dataset_template_name(t, NULL), "tunepilot-default");
    Dataset d;
    load_ok(t,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"},"
            " {\"role\": \"assistant\", \"content\": \"yo\"}]}\n",
            NULL, &d);
    assert_int_equal(d.format, DATASET_CHAT);
    assert_string_equal(d.template_name, "tunepilot-default");
    assert_false(d.template_fallback);
    assert_int_equal(d.n_train, 1);
    assert_int_equal(d.n_eval, 0);
    const DatasetExample *e = &d.train[0];
    /* BOS, "### User:\nhi\n\n### Assistant:\n" (29 bytes), "yo", EOS */
    static const int want[] = {256, 35,  35,  35, 32,  85,  115, 101, 114, 58,  10,
                               104, 105, 10,  10, 35,  35,  35,  32,  65,  115, 115,
                               105, 115, 116, 97, 110, 116, 58,  10,  121, 111, 257};
    assert_int_equal(e->n, 33);
    for (int i = 0; i < 33; i++)
        assert_int_equal(e->ids[i], want[i]);
    for (int i = 0; i < 29; i++)
        assert_int_equal(e->labels[i], -100);
    assert_int_equal(e->labels[29], 121); /* at "\n" the target is "y" */
    assert_int_equal(e->labels[30], 111);
    assert_int_equal(e->labels[31], 257); /* EOS is learned */
    assert_int_equal(e->labels[32], -100);
    assert_int_equal(e->n_loss, 3);
    assert_int_equal(e->prompt_len, 30);
    assert_string_equal(e->answer, "yo");
    assert_int_equal(e->line, 1);
    assert_false(e->truncated);
    assert_int_equal(d.n_tokens, 33);
    assert_int_equal(d.n_loss_tokens, 3);
    assert_int_equal(d.max_len, 33);
    assert_prompt_matches(t, NULL, "hi", e);
    dataset_free(&d);

    /* system and multi-turn */
    load_ok(t,
            "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"},"
            " {\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": "
            "\"b\"}, {\"role\": \"user\", \"content\": \"c\"}, {\"role\": \"assistant\", "
            "\"content\": \"d\"}]}\n",
            NULL, &d);
    static const Seg segs[] = {ID(BOS),
                               {"### System:\nS\n\n### User:\na\n\n### Assistant:\n", 0, 0},
                               {"b</s>", 1, 0},
                               {"\n\n### User:\nc\n\n### Assistant:\n", 0, 0},
                               {"d</s>", 1, 0}};
    assert_segs(&d.train[0], segs, 5);
    assert_string_equal(d.train[0].answer, "d");
    dataset_free(&d);
    tokenizer_free(t);
}

static void test_chatml(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_chatml.json");
    assert_false(tokenizer_adds_bos(t));
    Dataset d;
    load_ok(t,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"},"
            " {\"role\": \"assistant\", \"content\": \"yo\"}]}\n"
            "{\"messages\": [{\"role\": \"system\", \"content\": \"Be terse.\"},"
            " {\"role\": \"user\", \"content\": \"hi\"},"
            " {\"role\": \"assistant\", \"content\": \"yo\"}]}\n",
            NULL, &d);
    assert_string_equal(d.template_name, "chatml");
    assert_int_equal(d.n_train, 2);
    /* Qwen2's default system message comes in when none is given; no BOS */
    static const Seg first[] = {
        {"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi"
         "<|im_end|>\n<|im_start|>assistant\n",
         0, 0},
        {"yo<|im_end|>", 1, 0},
        {"\n", 0, 0}};
    assert_segs(&d.train[0], first, 3);
    assert_int_equal(d.train[0].ids[0], IM_START);
    static const Seg second[] = {
        {"<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
         "<|im_start|>assistant\n",
         0, 0},
        {"yo<|im_end|>", 1, 0},
        {"\n", 0, 0}};
    assert_segs(&d.train[1], second, 3);
    /* the answer's end marker is learned, the newline after it is not */
    const DatasetExample *e = &d.train[1];
    assert_int_equal(e->labels[e->n - 3], IM_END);
    assert_int_equal(e->labels[e->n - 2], -100);
    assert_string_equal(e->answer, "yo");
    assert_int_equal(e->ids[e->prompt_len], 'y');
    assert_prompt_matches(t, NULL, "hi", &d.train[0]);
    assert_prompt_matches(t, "Be terse.", "hi", &d.train[1]);
    dataset_free(&d);
    tokenizer_free(t);

    /* a ChatML template without a default system message */
    t = tok_with("config_chatml_plain.json");
    load_ok(t,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"},"
            " {\"role\": \"assistant\", \"content\": \"yo\"}]}\n",
            NULL, &d);
    static const Seg plain[] = {{"<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", 0, 0},
                                {"yo<|im_end|>", 1, 0},
                                {"\n", 0, 0}};
    assert_segs(&d.train[0], plain, 3);
    dataset_free(&d);
    tokenizer_free(t);
}

/* The tokenizer of $TP_SHARED_MODELS/NAME, or NULL (with a line saying so)
 * when that folder is absent. */
static Tokenizer *shared_tokenizer(const char *name) {
    const char *base = getenv("TP_SHARED_MODELS");
    char dir[4096];
    struct stat sb;
    snprintf(dir, sizeof dir, "%s/%s", base ? base : "", name);
    if (!base || !*base || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        printf("%s is absent: skipping its checks\n", base && *base ? dir : name);
        return NULL;
    }
    Tokenizer *t = NULL;
    TpError err = {0};
    if (tokenizer_load(dir, &t, &err) != TP_OK)
        fail_msg("%s", err.msg);
    return t;
}

/* A long conversation is tokenized as its whole rendering is (each cut
 * retokenizes from the run's last special token, not from its start: the
 * tokens must be the same as the rendered text's, and the cost linear).
 * Texts end and begin with letters so merges could straddle the cuts. */
static void long_chat(const Tokenizer *t, int turns, const char *user_pre, const char *mid,
                      const char *asst_end, const char *sep) {
    TpBuf data, whole;
    tp_buf_init(&data);
    tp_buf_init(&whole);
    tp_buf_puts(&data, "{\"messages\": [");
    for (int i = 0; i < turns; i++) {
        tp_buf_printf(&data, "%s{\"role\": \"user\", \"content\": \"question %d ab\"}, "
                             "{\"role\": \"assistant\", \"content\": \"ba answer %d\"}",
                      i ? ", " : "", i, i);
        tp_buf_printf(&whole, "%s%squestion %d ab%sba answer %d%s", i ? sep : "", user_pre, i,
                      mid, i, asst_end);
    }
    tp_buf_puts(&data, "]}\n");
    Dataset d;
    load_ok(t, data.data, NULL, &d);
    int *ids, n;
    TpError err = {0};
    assert_int_equal(tokenizer_encode(t, whole.data, whole.len, &ids, &n, &err), TP_OK);
    const DatasetExample *e = &d.train[0];
    assert_int_equal(e->n, n);
    assert_memory_equal(e->ids, ids, (size_t)n * sizeof *ids);
    free(ids);
    dataset_free(&d);
    tp_buf_free(&data);
    tp_buf_free(&whole);
}

static void test_long_chat(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_chatml_plain.json");
    long_chat(t, 400, "<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n",
              "<|im_end|>\n", "");
    tokenizer_free(t);
    if (!(t = shared_tokenizer("smollm-tokenizer")))
        return; /* checked on the byte-level fixture only */
    long_chat(t, 400, "### User:\n", "\n\n### Assistant:\n", "<|endoftext|>", "\n\n");
    tokenizer_free(t);
}

static void test_chatml_think(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_qwen3.json");
    Dataset d;
    load_ok(t,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"},"
            " {\"role\": \"assistant\", \"content\": \"b\"}, {\"role\": \"user\", \"content\": "
            "\"c\"}, {\"role\": \"assistant\", \"content\": \"d\"}]}\n",
            NULL, &d);
    assert_string_equal(d.template_name, "chatml-think");
    static const Seg segs[] = {
        {"<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\n", 0, 0},
        {"b<|im_end|>", 1, 0},
        {"\n<|im_start|>user\nc<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", 0, 0},
        {"d<|im_end|>", 1, 0},
        {"\n", 0, 0}};
    assert_segs(&d.train[0], segs, 5);
    dataset_free(&d);
    load_ok(t,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": "
            "\"assistant\", \"content\": \"r\"}]}\n",
            NULL, &d);
    assert_prompt_matches(t, NULL, "q", &d.train[0]);
    dataset_free(&d);
    tokenizer_free(t);
}

static void test_llama3(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_llama3.json");
    assert_false(tokenizer_adds_bos(t)); /* BOS comes from the template's bos_token */
    Dataset d;
    load_ok(t,
            "{\"messages\": [{\"role\": \"system\", \"content\": \" S \"},"
            " {\"role\": \"user\", \"content\": \"a\\n\"},"
            " {\"role\": \"assistant\", \"content\": \"b\", \"weight\": 0},"
            " {\"role\": \"user\", \"content\": \"c\"},"
            " {\"role\": \"assistant\", \"content\": \"  d e\\n\", \"weight\": 1}]}\n",
            NULL, &d);
    assert_string_equal(d.template_name, "llama3");
    static const Seg segs[] = {
        ID(BEGIN),
        {"<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user"
         "<|end_header_id|>\n\na<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
         0, 0},
        {"b<|eot_id|>", 0, 0}, /* weight 0 */
        {"<|start_header_id|>user<|end_header_id|>\n\nc<|eot_id|><|start_header_id|>assistant"
         "<|end_header_id|>\n\n",
         0, 0},
        {"d e<|eot_id|>", 1, 0}};
    assert_segs(&d.train[0], segs, 5);
    assert_int_equal(d.train[0].ids[0], BEGIN);
    assert_string_equal(d.train[0].answer, "d e"); /* trimmed, as the template does */
    dataset_free(&d);
    load_ok(t,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": "
            "\"assistant\", \"content\": \"r\"}]}\n",
            NULL, &d);
    assert_prompt_matches(t, NULL, "q", &d.train[0]);
    assert_int_equal(d.train[0].ids[d.train[0].prompt_len - 1], '\n');
    assert_int_equal(d.train[0].ids[d.train[0].prompt_len - 3], EH);
    dataset_free(&d);
    tokenizer_free(t);

    t = tok_with("config_llama31.json");
    load_ok(t,
            "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"},"
            " {\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": "
            "\"r\"}]}\n"
            "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", "
            "\"content\": \"r\"}]}\n",
            NULL, &d);
    assert_string_equal(d.template_name, "llama3.1");
    static const Seg with_sys[] = {
        ID(BEGIN),
        {"<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
         "Today Date: 26 Jul 2024\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nq"
         "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
         0, 0},
        {"r<|eot_id|>", 1, 0}};
    assert_segs(&d.train[0], with_sys, 3);
    static const Seg no_sys[] = {
        ID(BEGIN),
        {"<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
         "Today Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nq"
         "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
         0, 0},
        {"r<|eot_id|>", 1, 0}};
    assert_segs(&d.train[1], no_sys, 3);
    assert_prompt_matches(t, "S", "q", &d.train[0]);
    assert_prompt_matches(t, NULL, "q", &d.train[1]);
    dataset_free(&d);
    tokenizer_free(t);
}

static void test_zephyr(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_zephyr.json");
    Dataset d;
    load_ok(t,
            "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"},"
            " {\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": "
            "\"r\"}]}\n",
            NULL, &d);
    assert_string_equal(d.template_name, "zephyr");
    static const Seg segs[] = {ID(BOS),
                               {"<|system|>\nS</s>\n<|user|>\nq</s>\n<|assistant|>\n", 0, 0},
                               {"r</s>", 1, 0},
                               {"\n", 0, 0}};
    assert_segs(&d.train[0], segs, 4);
    assert_prompt_matches(t, "S", "q", &d.train[0]);
    dataset_free(&d);
    tokenizer_free(t);
}

static void test_llama2_mistral(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_llama2.json");
    Dataset d;
    load_ok(t,
            "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"},"
            " {\"role\": \"user\", \"content\": \" q \"}, {\"role\": \"assistant\", \"content\": "
            "\"r\"}, {\"role\": \"user\", \"content\": \"u\"}, {\"role\": \"assistant\", "
            "\"content\": \" v \"}]}\n",
            NULL, &d);
    assert_string_equal(d.template_name, "llama2");
    static const Seg segs[] = {
        {"<s>[INST] <<SYS>>\nS\n<</SYS>>\n\n q [/INST]", 0, 0}, /* strip() of the whole */
        {" r </s>", 1, 0},
        {"<s>[INST] u [/INST]", 0, 0},
        {" v </s>", 1, 0}};
    assert_segs(&d.train[0], segs, 4);
    assert_string_equal(d.train[0].answer, "v");
    dataset_free(&d);
    load_ok(t,
            "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"},"
            " {\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": "
            "\"r\"}]}\n",
            NULL, &d);
    assert_prompt_matches(t, "S", "q", &d.train[0]);
    dataset_free(&d);

    /* roles must alternate */
    TpError err = {0};
    const char *path = jsonl("alt.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": "
                                          "\"a\"}, {\"role\": \"user\", \"content\": \"b\"}, "
                                          "{\"role\": \"assistant\", \"content\": \"c\"}]}\n");
    assert_int_equal(dataset_load(path, t, NULL, &d, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "alt.jsonl:1: $.messages[1].role"));
    assert_non_null(strstr(err.msg, "alternating"));
    assert_null(d.train);
    /* issue 16 #17: a NUL character would cut the content silently */
    path = jsonl("nul.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\\u0000b\"}, "
                              "{\"role\": \"assistant\", \"content\": \"c\"}]}\n");
    assert_int_equal(dataset_load(path, t, NULL, &d, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "nul.jsonl:1:45: \\u0000"));
    assert_null(d.train);
    tokenizer_free(t);

    t = tok_with("config_mistral.json");
    load_ok(t,
            "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"},"
            " {\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": "
            "\"r\"}, {\"role\": \"user\", \"content\": \"u\"}, {\"role\": \"assistant\", "
            "\"content\": \"v\"}]}\n",
            NULL, &d);
    assert_string_equal(d.template_name, "mistral");
    static const Seg mis[] = {ID(BOS),
                              {"[INST] S\n\nq [/INST]", 0, 0},
                              {"r</s>", 1, 0},
                              {"[INST] u [/INST]", 0, 0},
                              {"v</s>", 1, 0}};
    assert_segs(&d.train[0], mis, 5);
    dataset_free(&d);
    tokenizer_free(t);
}

static void test_template_fallback(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_unknown.json");
    bool fb = false;
    assert_string_equal(dataset_template_name(t, &fb), "tunepilot-default");
    assert_true(fb);
    Dataset d;
    load_ok(t,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": "
            "\"assistant\", \"content\": \"r\"}]}\n",
            NULL, &d);
    assert_string_equal(d.template_name, "tunepilot-default");
    assert_true(d.template_fallback);
    static const Seg segs[] = {
        ID(BOS), {"### User:\nq\n\n### Assistant:\n", 0, 0}, {"r</s>", 1, 0}};
    assert_segs(&d.train[0], segs, 3);
    dataset_free(&d);
    tokenizer_free(t);

    /* a ChatML template whose tokenizer lacks the marker tokens is not used */
    char *json;
    size_t len;
    TpError err = {0};
    assert_int_equal(
        tp_file_read(tp_fixture("data/bytes_tokenizer.json"), 1 << 20, &json, &len, &err), TP_OK);
    assert_int_equal(tokenizer_load_json(json, len, "mem", &t, &err), TP_OK);
    free(json);
    assert_string_equal(dataset_template_name(t, &fb), "tunepilot-default");
    assert_false(fb); /* no tokenizer_config.json, so no template at all */
    tokenizer_free(t);
}

/* --- Alpaca and prompt/completion ------------------------------------------------------ */

static void test_alpaca(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_chatml.json"); /* the chat template plays no part */
    Dataset d;
    load_ok(t,
            "{\"instruction\": \"Add.\", \"input\": \"2 2\", \"output\": \"4\"}\n"
            "\n"
            "{\"instruction\": \"Greet.\", \"input\": \"\", \"output\": \"Hi\"}\n"
            "{\"instruction\": \"Count.\", \"output\": \"1 2\"}\n",
            NULL, &d);
    assert_int_equal(d.format, DATASET_ALPACA);
    assert_string_equal(d.template_name, "alpaca");
    assert_int_equal(d.n_train, 3);
    assert_int_equal(d.n_records, 3);
    static const Seg with_input[] = {
        {"Below is an instruction that describes a task, paired with an input that provides "
         "further context. Write a response that appropriately completes the request.\n\n"
         "### Instruction:\nAdd.\n\n### Input:\n2 2\n\n### Response:",
         0, 0},
        {"4<|im_end|>", 1, 0}}; /* EOS of this tokenizer is <|im_end|> */
    assert_segs(&d.train[0], with_input, 2);
    static const Seg no_input[] = {
        {"Below is an instruction that describes a task. Write a response that appropriately "
         "completes the request.\n\n### Instruction:\nGreet.\n\n### Response:",
         0, 0},
        {"Hi<|im_end|>", 1, 0}};
    assert_segs(&d.train[1], no_input, 2);
    assert_int_equal(d.train[1].line, 3);
    assert_int_equal(d.train[2].line, 4);
    assert_string_equal(d.train[2].answer, "1 2");
    assert_int_equal(d.train[2].ids[d.train[2].prompt_len], '1');
    dataset_free(&d);
    tokenizer_free(t);
}

static void test_completion(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_default.json");
    Dataset d;
    load_ok(t, "{\"prompt\": \"2+2=\", \"completion\": \"4\"}\n", NULL, &d);
    assert_int_equal(d.format, DATASET_COMPLETION);
    assert_string_equal(d.template_name, "completion");
    const DatasetExample *e = &d.train[0];
    static const int ids[] = {256, 50, 43, 50, 61, 52, 257};
    static const int labels[] = {-100, -100, -100, -100, 52, 257, -100};
    assert_int_equal(e->n, 7);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(e->ids[i], ids[i]);
        assert_int_equal(e->labels[i], labels[i]);
    }
    assert_int_equal(e->prompt_len, 5);
    assert_string_equal(e->answer, "4");
    dataset_free(&d);
    tokenizer_free(t);
}

/* --- tokenizing at the cuts ------------------------------------------------------------ */

/* The bytes tokenizer with one merge, "Ġ t" -> 300, and no split regex, so a
 * merge can cross the cut between prompt and answer. */
static Tokenizer *tok_merge(void) {
    char *json;
    size_t len;
    TpError err = {0};
    assert_int_equal(
        tp_file_read(tp_fixture("data/bytes_tokenizer.json"), 1 << 20, &json, &len, &err), TP_OK);
    TpBuf b;
    tp_buf_init(&b);
    const char *v = strstr(json, "\"\xC3\xBF\": 255"); /* "ÿ": 255, the last vocab entry */
    const char *m = strstr(json, "\"merges\": []");
    assert_non_null(v);
    assert_non_null(m);
    v += strlen("\"\xC3\xBF\": 255");
    tp_buf_append(&b, json, (size_t)(v - json));
    tp_buf_puts(&b, ", \"\xC4\xA0t\": 300");
    tp_buf_append(&b, v, (size_t)(m - v));
    tp_buf_puts(&b, "\"merges\": [\"\xC4\xA0 t\"]");
    tp_buf_puts(&b, m + strlen("\"merges\": []"));
    free(json);
    Tokenizer *t = NULL;
    if (tokenizer_load_json(b.data, b.len, "merge", &t, &err) != TP_OK)
        fail_msg("%s", err.msg);
    tp_buf_free(&b);
    return t;
}

static void test_cuts(void **state) {
    (void)state;
    Tokenizer *t = tok_merge();
    assert_false(tokenizer_adds_bos(t));
    assert_int_equal(tokenizer_eos_id(t), EOS); /* the special token spelled </s> */
    int *ids, n;
    TpError err = {0};
    assert_int_equal(tokenizer_encode(t, "a t", 3, &ids, &n, &err), TP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[1], 300);
    free(ids);
    Dataset d;
    /* "a" | " t": tokenizing the whole keeps the prompt's ids, so the answer is
     * the merged token; "a " | "t": the merge would swallow the cut, so the two
     * parts are tokenized apart */
    load_ok(t,
            "{\"prompt\": \"a\", \"completion\": \" t\"}\n"
            "{\"prompt\": \"a \", \"completion\": \"t\"}\n",
            NULL, &d);
    static const int want0[] = {'a', 300, EOS}, lab0[] = {300, EOS, -100};
    static const int want1[] = {'a', ' ', 't', EOS}, lab1[] = {-100, 't', EOS, -100};
    assert_int_equal(d.train[0].n, 3);
    assert_int_equal(d.train[1].n, 4);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(d.train[0].ids[i], want0[i]);
        assert_int_equal(d.train[0].labels[i], lab0[i]);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(d.train[1].ids[i], want1[i]);
        assert_int_equal(d.train[1].labels[i], lab1[i]);
    }
    assert_int_equal(d.train[0].prompt_len, 1);
    assert_int_equal(d.train[1].prompt_len, 2);
    dataset_free(&d);
    tokenizer_free(t);

    /* a tokenizer without EOS cannot end answers */
    char path[4096];
    snprintf(path, sizeof path, "%s", tp_fixture("tokenizer/bytelevel_split.json"));
    assert_int_equal(tokenizer_load(path, &t, &err), TP_OK);
    assert_int_equal(dataset_load(jsonl("noeos.jsonl", "{\"prompt\": \"a\", \"completion\": "
                                                       "\"b\"}\n"),
                                  t, NULL, &d, &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "noeos.jsonl:1: the tokenizer has no EOS token"));
    assert_int_equal(dataset_format_prompt(t, NULL, "hi", &ids, &n, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "no EOS token"));
    tokenizer_free(t);
}

/* --- weights, truncation, split --------------------------------------------------------- */

static void test_weights(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_chatml_plain.json");
    Dataset d;
    load_ok(t,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"},"
            " {\"role\": \"assistant\", \"content\": \"b\", \"weight\": 0},"
            " {\"role\": \"user\", \"content\": \"c\"},"
            " {\"role\": \"assistant\", \"content\": \"d\"}]}\n"
            "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"},"
            " {\"role\": \"assistant\", \"content\": \"b\", \"weight\": 1},"
            " {\"role\": \"user\", \"content\": \"c\"},"
            " {\"role\": \"assistant\", \"content\": \"d\", \"weight\": 0}]}\n"
            "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"},"
            " {\"role\": \"assistant\", \"content\": \"b\", \"weight\": 0}]}\n",
            NULL, &d);
    assert_int_equal(d.n_train, 2);
    assert_int_equal(d.n_skipped_no_loss, 1); /* line 3 has nothing to learn */
    assert_int_equal(d.n_records, 3);
    static const Seg w0[] = {{"<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\n", 0, 0},
                             {"b<|im_end|>", 0, 0},
                             {"\n<|im_start|>user\nc<|im_end|>\n<|im_start|>assistant\n", 0, 0},
                             {"d<|im_end|>", 1, 0},
                             {"\n", 0, 0}};
    assert_segs(&d.train[0], w0, 5);
    static const Seg w1[] = {{"<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\n", 0, 0},
                             {"b<|im_end|>", 1, 0},
                             {"\n<|im_start|>user\nc<|im_end|>\n<|im_start|>assistant\n", 0, 0},
                             {"d<|im_end|>", 0, 0},
                             {"\n", 0, 0}};
    assert_segs(&d.train[1], w1, 5);
    /* the final answer is the last assistant message whatever its weight */
    assert_string_equal(d.train[1].answer, "d");
    assert_int_equal(d.train[1].ids[d.train[1].prompt_len], 'd');
    /* same ids whatever the weights: only the labels differ */
    assert_int_equal(d.train[0].n, d.train[1].n);
    assert_memory_equal(d.train[0].ids, d.train[1].ids, (size_t)d.train[0].n * sizeof(int));
    dataset_free(&d);
    tokenizer_free(t);
}

static void test_truncation(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_default.json");
    Dataset d;
    DatasetOptions opt = {.max_seq = 33};
    /* 33 tokens (fits), 35 (cut, loss left), 39 before the answer (nothing left) */
    load_ok(t,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": "
            "\"assistant\", \"content\": \"yo\"}]}\n"
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": "
            "\"assistant\", \"content\": \"yolo\"}]}\n"
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hello hello\"}, {\"role\": "
            "\"assistant\", \"content\": \"yo\"}]}\n",
            &opt, &d);
    assert_int_equal(d.n_train, 2);
    assert_int_equal(d.n_truncated, 2);
    assert_int_equal(d.n_skipped_no_loss, 1);
    assert_false(d.train[0].truncated);
    assert_int_equal(d.train[0].n, 33);
    const DatasetExample *e = &d.train[1];
    assert_true(e->truncated);
    assert_int_equal(e->line, 2);
    assert_int_equal(e->n, 33);
    assert_int_equal(e->ids[30], 'y');
    assert_int_equal(e->ids[32], 'l');
    assert_int_equal(e->labels[28], -100);
    assert_int_equal(e->labels[29], 'y');
    assert_int_equal(e->labels[30], 'o');
    assert_int_equal(e->labels[31], 'l');
    assert_int_equal(e->labels[32], -100); /* the last position never has a label */
    assert_int_equal(e->n_loss, 3);
    assert_int_equal(e->prompt_len, 30);
    assert_string_equal(e->answer, "yolo");
    assert_int_equal(d.max_len, 33);
    dataset_free(&d);

    /* the answer's first token as the last kept one: no target left */
    opt.max_seq = 31;
    load_ok(t,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": "
            "\"assistant\", \"content\": \"yo\"}]}\n",
            &opt, &d);
    assert_int_equal(d.train[0].n_loss, 1);
    assert_int_equal(d.train[0].labels[29], 'y');
    dataset_free(&d);

    /* everything cut away is an error */
    opt.max_seq = 30;
    TpError err = {0};
    const char *path = jsonl("short.jsonl", "{\"prompt\": \"p\", \"completion\": \"c\"}\n"
                                            "{\"messages\": [{\"role\": \"user\", \"content\": "
                                            "\"hi\"}, {\"role\": \"assistant\", \"content\": "
                                            "\"yo\"}]}\n");
    assert_int_equal(dataset_load(path, t, &opt, &d, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "mixing formats")); /* (line 2) */
    path = jsonl("short.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, "
                                "{\"role\": \"assistant\", \"content\": \"yo\"}]}\n");
    assert_int_equal(dataset_load(path, t, &opt, &d, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "short.jsonl: no usable example"));
    assert_null(d.train);
    tokenizer_free(t);
}

/* Lines of the eval examples as a bit set. */
static uint64_t eval_lines(const Dataset *d) {
    uint64_t bits = 0;
    for (int i = 0; i < d->n_eval; i++)
        bits |= 1ull << d->eval[i].line;
    return bits;
}

static void test_split(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_default.json");
    TpBuf b;
    tp_buf_init(&b);
    for (int i = 1; i <= 20; i++)
        tp_buf_printf(&b, "{\"prompt\": \"q%d\", \"completion\": \"a%d\"}\n", i, i);
    Dataset d1, d2, d3;
    DatasetOptions opt = {.eval_split = 0.25, .seed = 7};
    load_ok(t, b.data, &opt, &d1);
    load_ok(t, b.data, &opt, &d2);
    opt.seed = 8;
    load_ok(t, b.data, &opt, &d3);
    assert_int_equal(d1.n_eval, 5);
    assert_int_equal(d1.n_train, 15);
    assert_int_equal(eval_lines(&d1), eval_lines(&d2)); /* same seed, same split */
    assert_true(eval_lines(&d1) != eval_lines(&d3));    /* another seed, another split */
    /* every line once, each part in file order, the answer kept with its line */
    uint64_t seen = 0;
    for (int part = 0; part < 2; part++) {
        const DatasetExample *e = part ? d1.eval : d1.train;
        int n = part ? d1.n_eval : d1.n_train;
        for (int i = 0; i < n; i++) {
            assert_false(seen & (1ull << e[i].line));
            seen |= 1ull << e[i].line;
            if (i)
                assert_true(e[i].line > e[i - 1].line);
            char want[16];
            snprintf(want, sizeof want, "a%d", e[i].line);
            assert_string_equal(e[i].answer, want);
        }
    }
    assert_int_equal(seen, ((1ull << 21) - 1) & ~1ull);
    dataset_free(&d1);
    dataset_free(&d2);
    dataset_free(&d3);

    opt.eval_split = 0;
    load_ok(t, b.data, &opt, &d1);
    assert_int_equal(d1.n_eval, 0);
    assert_int_equal(d1.n_train, 20);
    dataset_free(&d1);
    tp_buf_free(&b);

    /* at least one eval example from two; none from one */
    opt.eval_split = 0.01;
    load_ok(t,
            "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"c\", \"completion\": "
            "\"d\"}\n",
            &opt, &d1);
    assert_int_equal(d1.n_eval, 1);
    assert_int_equal(d1.n_train, 1);
    dataset_free(&d1);
    opt.eval_split = 0.9;
    load_ok(t, "{\"prompt\": \"a\", \"completion\": \"b\"}\n", &opt, &d1);
    assert_int_equal(d1.n_eval, 0);
    assert_int_equal(d1.n_train, 1);
    dataset_free(&d1);
    tokenizer_free(t);
}

/* --- bad input ---------------------------------------------------------------------- */

typedef struct Bad {
    const char *text;
    const char *where; /* "bad.jsonl:LINE" */
    const char *what;
} Bad;

#define MSG_U(c) "{\"messages\": [{\"role\": \"user\", \"content\": " c "}, "
#define ASSIST "{\"role\": \"assistant\", \"content\": \"ok\"}]}\n"
#define GOOD MSG_U("\"q\"") ASSIST

static const Bad BAD[] = {
    {"", "bad.jsonl: empty file", "expected JSON Lines"},
    {"\n  \n\r\n", "bad.jsonl: empty file", "one JSON object per line"},
    {GOOD "{\"messages\": [}\n", "bad.jsonl:2:15:", "invalid JSON"},
    {GOOD "{\"messages\": [\n", "bad.jsonl:2:", "invalid JSON"},
    {GOOD "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"\n",
     "bad.jsonl:2:", "invalid JSON"},
    {GOOD GOOD "{\"messages\": []} x\n", "bad.jsonl:3:18:", "trailing data"},
    {"[1, 2]\n", "bad.jsonl:1:", "expected a JSON object, got an array"},
    {"\n\n\"text\"\n", "bad.jsonl:3:", "expected a JSON object, got a string"},
    {"{\"messages\": []}\n", "bad.jsonl:1:", "$.messages: empty, expected at least one message"},
    {"{\"messages\": \"hi\"}\n", "bad.jsonl:1:", "$.messages: expected an array"},
    {"{\"messages\": null}\n", "bad.jsonl:1:",
     "$.messages: expected an array of messages, got "
     "nothing"},
    {"{\"messages\": [{\"content\": \"x\"}]}\n",
     "bad.jsonl:1:", "$.messages[0]: missing \"role\", expected a string"},
    {"{\"messages\": [{\"role\": \"user\"}]}\n",
     "bad.jsonl:1:", "$.messages[0]: missing \"content\", expected a string"},
    {"{\"messages\": [3]}\n", "bad.jsonl:1:", "$.messages[0]: expected an object"},
    {"{\"messages\": [{\"role\": 1, \"content\": \"x\"}]}\n",
     "bad.jsonl:1:", "$.messages[0].role: expected a string, got a number"},
    {MSG_U("\"q\"") "{\"role\": \"tool\", \"content\": \"x\"}]}\n",
     "bad.jsonl:1:", "$.messages[1].role: \"tool\" messages are not supported"},
    {MSG_U("\"q\"") "{\"role\": \"function\", \"content\": \"x\"}]}\n", "bad.jsonl:1:",
     "\"function\" messages are not supported, expected \"system\", \"user\" or \"assistant\""},
    {MSG_U("\"q\"") "{\"role\": \"robot\", \"content\": \"x\"}]}\n",
     "bad.jsonl:1:", "$.messages[1].role: unknown role \"robot\""},
    {MSG_U("[{\"type\": \"text\", \"text\": \"q\"}]") ASSIST,
     "bad.jsonl:1:", "$.messages[0].content: expected a string, got an array (multi-part"},
    {MSG_U("7") ASSIST, "bad.jsonl:1:", "$.messages[0].content: expected a string, got a number"},
    {MSG_U("\"q\"") "{\"role\": \"assistant\", \"content\": \"a\", \"weight\": 2}]}\n",
     "bad.jsonl:1:", "$.messages[1].weight: expected 0 or 1, got 2"},
    {MSG_U("\"q\"") "{\"role\": \"assistant\", \"content\": \"a\", \"weight\": 0.5}]}\n",
     "bad.jsonl:1:", "expected 0 or 1, got 0.5"},
    {MSG_U("\"q\"") "{\"role\": \"assistant\", \"content\": \"a\", \"weight\": \"1\"}]}\n",
     "bad.jsonl:1:", "$.messages[1].weight: expected 0 or 1, got a string"},
    {"{\"messages\": [{\"role\": \"user\", \"content\": \"q\", \"weight\": 1}, " ASSIST,
     "bad.jsonl:1:", "$.messages[0].weight: only assistant messages take a weight"},
    {GOOD "{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", "
          "\"content\": \"q\"}]}\n",
     "bad.jsonl:2:", "$.messages: no assistant message"},
    {MSG_U("\"q\"") "{\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": []}]}\n",
     "bad.jsonl:1:", "$.messages[1].tool_calls: tool and function calls are not supported"},
    {MSG_U("\"q\"") "{\"role\": \"assistant\", \"contnet\": \"a\"}]}\n", "bad.jsonl:1:",
     "$.messages[1].contnet: unknown field (expected one of: role, content, weight, name)"},
    {"{\"tools\": [], \"messages\": []}\n", "bad.jsonl:1:",
     "$.tools: tool definitions are not "
     "supported"},
    {MSG_U("\"bad \xff byte\"") ASSIST,
     "bad.jsonl:1:", "$.messages[0].content: invalid UTF-8 at byte 4"},
    {MSG_U("\"overlong \xc0\xaf\"") ASSIST, "bad.jsonl:1:", "invalid UTF-8 at byte 9"},
    {MSG_U("\"surrogate \xed\xa0\x80\"") ASSIST, "bad.jsonl:1:", "invalid UTF-8 at byte 10"},
    {MSG_U("\"cut \xe2\x82\"") ASSIST, "bad.jsonl:1:", "invalid UTF-8 at byte 4"},
    {"{\"instruction\": \"i\", \"output\": \"\"}\n",
     "bad.jsonl:1:", "$.output: empty, expected a non-empty string"},
    {"{\"instruction\": \"\", \"output\": \"o\"}\n",
     "bad.jsonl:1:", "$.instruction: empty, expected a non-empty string"},
    {"{\"output\": \"o\"}\n", "bad.jsonl:1:", "$: missing \"instruction\", expected a string"},
    {"{\"instruction\": \"i\"}\n", "bad.jsonl:1:", "$: missing \"output\", expected a string"},
    {"{\"instruction\": \"i\", \"input\": 3, \"output\": \"o\"}\n",
     "bad.jsonl:1:", "$.input: expected a string, got a number"},
    {"{\"prompt\": \"p\", \"completion\": \"\"}\n", "bad.jsonl:1:", "$.completion: empty"},
    {"{\"completion\": \"c\"}\n", "bad.jsonl:1:", "$: missing \"prompt\", expected a string"},
    {"{\"prompt\": \"p\"}\n", "bad.jsonl:1:", "$: missing \"completion\""},
    {"{\"prompt\": \"p\", \"completion\": \"\xf5\x80\x80\x80\"}\n",
     "bad.jsonl:1:", "$.completion: invalid UTF-8 at byte 0"},
    {"{\"foo\": 1}\n", "bad.jsonl:1:", "unrecognised record, expected {\"messages\""},
    {"{\"text\": \"t\"}\n", "bad.jsonl:1:", "plain {\"text\"} records are not supported"},
    {GOOD "\n{\"instruction\": \"i\", \"output\": \"o\"}\n", "bad.jsonl:3:",
     "an Alpaca record (instruction/input/output), but line 1 made this a chat file; mixing "
     "formats is not supported"},
    {"{\"prompt\": \"p\", \"completion\": \"c\"}\r\n" GOOD, "bad.jsonl:2:",
     "a chat record ({\"messages\": [...]}), but line 1 made this a completion file"},
};

static void test_bad_input(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_default.json");
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        Dataset d;
        TpError err = {0};
        TpStatus st = dataset_load(jsonl("bad.jsonl", BAD[i].text), t, NULL, &d, &err);
        if (st != TP_EINVAL || !strstr(err.msg, BAD[i].where) || !strstr(err.msg, BAD[i].what))
            fail_msg("case %zu: status %d, message \"%s\", expected \"%s\" ... \"%s\"", i, st,
                     err.msg, BAD[i].where, BAD[i].what);
        assert_null(d.train);
        assert_int_equal(d.n_train, 0);
    }
    /* blank lines (GOOD ends in a newline) and a byte order mark are fine, and count in line
     * numbers */
    Dataset d;
    load_ok(t, "\xEF\xBB\xBF\n  \n" GOOD "\r\n\t\n" GOOD, NULL, &d);
    assert_int_equal(d.n_train, 2);
    assert_int_equal(d.train[0].line, 3);
    assert_int_equal(d.train[1].line, 6);
    dataset_free(&d);
    /* "name" is accepted; a weight-1 message is the default */
    load_ok(t,
            "{\"id\": 5, \"messages\": [{\"role\": \"user\", \"content\": \"q\", \"name\": \"u\"},"
            " {\"role\": \"assistant\", \"content\": \"\", \"weight\": 1}]}\n",
            NULL, &d);
    assert_int_equal(d.train[0].n_loss, 1); /* empty answer: only EOS is learned */
    assert_string_equal(d.train[0].answer, "");
    dataset_free(&d);
    tokenizer_free(t);
}

static void test_options_and_files(void **state) {
    (void)state;
    Tokenizer *t = tok_with("config_default.json");
    Dataset d;
    TpError err = {0};
    const char *path = jsonl("opt.jsonl", GOOD);
    DatasetOptions opt = {.max_seq = 1};
    assert_int_equal(dataset_load(path, t, &opt, &d, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "max_seq: expected 0 (no limit) or at least 2"));
    opt = (DatasetOptions){.max_seq = -5};
    assert_int_equal(dataset_load(path, t, &opt, &d, &err), TP_EINVAL);
    opt = (DatasetOptions){.eval_split = 1.0};
    assert_int_equal(dataset_load(path, t, &opt, &d, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "eval_split: expected a fraction in [0, 1)"));
    opt = (DatasetOptions){.eval_split = NAN};
    assert_int_equal(dataset_load(path, t, &opt, &d, &err), TP_EINVAL);
    opt = (DatasetOptions){.eval_split = -0.1};
    assert_int_equal(dataset_load(path, t, &opt, &d, &err), TP_EINVAL);
    /* the size cap */
    opt = (DatasetOptions){.max_file_bytes = 16};
    assert_int_equal(dataset_load(path, t, &opt, &d, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "opt.jsonl: larger than the 16-byte limit"));
    /* a missing file, a directory */
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/none.jsonl", tp_tmpdir());
    assert_int_equal(dataset_load(missing, t, NULL, &d, &err), TP_ENOTFOUND);
    assert_non_null(strstr(err.msg, "none.jsonl"));
    assert_int_equal(dataset_load(tp_tmpdir(), t, NULL, &d, &err), TP_EINVAL);
    /* dataset_format_prompt checks its text */
    int *ids = NULL, n = 0;
    assert_int_equal(dataset_format_prompt(t, NULL, "bad \xff", &ids, &n, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "user message: invalid UTF-8 at byte 4"));
    assert_null(ids);
    assert_int_equal(dataset_format_prompt(t, "\xc3", "ok", &ids, &n, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "system message"));
    dataset_free(NULL);
    Dataset zero = {0};
    dataset_free(&zero);
    assert_string_equal(dataset_format_name(DATASET_ALPACA), "alpaca");
    tokenizer_free(t);
}

/* --- a real tokenizer (skipped when $TP_SHARED_MODELS is absent) --------------------- */

static void test_stories260k(void **state) {
    (void)state;
    const char *base = getenv("TP_SHARED_MODELS");
    char dir[4096];
    struct stat sb;
    if (!base || !*base) {
        printf("TP_SHARED_MODELS is not set: skipping the stories260K-hf dataset check\n");
        skip();
        return;
    }
    snprintf(dir, sizeof dir, "%s/stories260K-hf", base);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        printf("%s is absent: skipping the stories260K-hf dataset check\n", dir);
        skip();
        return;
    }
    Tokenizer *t = NULL;
    TpError err = {0};
    if (tokenizer_load(dir, &t, &err) != TP_OK)
        fail_msg("%s", err.msg);
    Dataset d;
    DatasetOptions opt = {.max_seq = 256};
    load_ok(t,
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Who found the key?\"}, "
            "{\"role\": \"assistant\", \"content\": \"The fox.\"}]}\n"
            "{\"messages\": [{\"role\": \"system\", \"content\": \"Tell a story.\"}, "
            "{\"role\": \"user\", \"content\": \"A cat\"}, "
            "{\"role\": \"assistant\", \"content\": \"Once upon a time, a cat was happy.\"}]}\n"
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, "
            "{\"role\": \"assistant\", \"content\": \"Hello!\"}]}\n",
            &opt, &d);
    assert_string_equal(d.template_name, "tunepilot-default");
    assert_int_equal(d.n_train, 3);
    for (int k = 0; k < d.n_train; k++) {
        const DatasetExample *e = &d.train[k];
        assert_int_equal(e->ids[0], 1); /* BOS */
        assert_true(e->prompt_len > 1 && e->prompt_len < e->n);
        for (int i = 0; i < e->prompt_len - 1; i++)
            assert_int_equal(e->labels[i], -100);
        assert_int_equal(e->labels[e->prompt_len - 1], e->ids[e->prompt_len]);
        assert_int_equal(e->ids[e->n - 1], 2); /* EOS ends the answer */
        assert_int_equal(e->labels[e->n - 2], 2);
        assert_int_equal(e->n_loss, e->n - e->prompt_len);
        char *ans = tokenizer_decode(t, e->ids + e->prompt_len, e->n - e->prompt_len - 1, true);
        assert_string_equal(ans, e->answer);
        free(ans);
    }
    assert_prompt_matches(t, NULL, "Who found the key?", &d.train[0]);
    assert_prompt_matches(t, "Tell a story.", "A cat", &d.train[1]);
    char *text = tokenizer_decode(t, d.train[0].ids, d.train[0].n, true);
    /* the answer is tokenized in context: no space appears before it */
    assert_string_equal(text, "### User:\nWho found the key?\n\n### Assistant:\nThe fox.");
    free(text);
    dataset_free(&d);
    tokenizer_free(t);
}

/* On a byte-level tokenizer the pieces concatenate to the tokenization of the
 * whole formatted text. */
static void test_smollm(void **state) {
    (void)state;
    Tokenizer *t = shared_tokenizer("smollm-tokenizer");
    if (!t) {
        skip();
        return;
    }
    TpError err = {0};
    Dataset d;
    load_ok(t,
            "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": "
            "\"user\", \"content\": \"What is 12+30?\"}, {\"role\": \"assistant\", "
            "\"content\": \"42, I think.\"}, {\"role\": \"user\", \"content\": \"Sure?\"}, "
            "{\"role\": \"assistant\", \"content\": \" Yes: 42.\"}]}\n",
            NULL, &d);
    static const char whole[] = "### System:\nBe brief.\n\n### User:\nWhat is 12+30?\n\n"
                                "### Assistant:\n42, I think.<|endoftext|>\n\n### User:\nSure?\n\n"
                                "### Assistant:\n Yes: 42.<|endoftext|>";
    int *ids, n;
    assert_int_equal(tokenizer_encode(t, whole, strlen(whole), &ids, &n, &err), TP_OK);
    const DatasetExample *e = &d.train[0];
    assert_int_equal(e->n, n);
    assert_memory_equal(e->ids, ids, (size_t)n * sizeof *ids);
    assert_string_equal(e->answer, " Yes: 42.");
    char *ans = tokenizer_decode(t, e->ids + e->prompt_len, e->n - e->prompt_len, true);
    assert_string_equal(ans, " Yes: 42.");
    free(ans);
    free(ids);
    dataset_free(&d);
    tokenizer_free(t);
}

static int teardown(void **state) {
    (void)state;
    tp_tmpdir_cleanup();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_template),
        cmocka_unit_test(test_chatml),
        cmocka_unit_test(test_long_chat),
        cmocka_unit_test(test_chatml_think),
        cmocka_unit_test(test_llama3),
        cmocka_unit_test(test_zephyr),
        cmocka_unit_test(test_llama2_mistral),
        cmocka_unit_test(test_template_fallback),
        cmocka_unit_test(test_alpaca),
        cmocka_unit_test(test_completion),
        cmocka_unit_test(test_cuts),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_options_and_files),
        cmocka_unit_test(test_stories260k),
        cmocka_unit_test(test_smollm),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
