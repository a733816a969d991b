/* test_tokenizer.c - the tokenizer.json BPE tokenizer: hand-made fixtures
 * (tests/fixtures/tokenizer/, expected ids derived by hand below), round
 * trips on hard text, invalid UTF-8, error paths, and the two real tokenizers
 * in $TP_SHARED_MODELS against ids made by the Hugging Face library
 * (tests/fixtures/tokenizer/make_smollm_expected.mjs wrote *_expected.json). */
#include "tp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tunepilot/buf.h"
#include "tunepilot/json.h"
#include "tunepilot/tokenizer.h"

/* --- helpers ------------------------------------------------------------------ */

static Tokenizer *load(const char *path) {
    Tokenizer *t = NULL;
    TpError err = {0};
    if (tokenizer_load(path, &t, &err) != TP_OK)
        fail_msg("cannot load %s: %s", path, err.msg);
    return t;
}

static Tokenizer *load_fixture(const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s", tp_fixture(name));
    return load(path);
}

/* Encodes s (len bytes) and returns the ids (caller frees). */
static int *enc_n(const Tokenizer *t, const char *s, size_t len, int *n) {
    int *ids = NULL;
    TpError err = {0};
    if (tokenizer_encode(t, s, len, &ids, n, &err) != TP_OK)
        fail_msg("encode failed: %s", err.msg);
    assert_non_null(ids);
    return ids;
}

static int *enc(const Tokenizer *t, const char *s, int *n) {
    return enc_n(t, s, strlen(s), n);
}

static void print_ids(const char *what, const int *ids, int n) {
    fprintf(stderr, "%s (%d):", what, n);
    for (int i = 0; i < n; i++)
        fprintf(stderr, " %d", ids[i]);
    fprintf(stderr, "\n");
}

#define assert_encodes(t, text, ...)                                                               \
    do {                                                                                           \
        static const int want_[] = {__VA_ARGS__};                                                  \
        assert_ids((t), (text), want_, (int)(sizeof want_ / sizeof want_[0]));                     \
    } while (0)

static void assert_ids(const Tokenizer *t, const char *text, const int *want, int nwant) {
    int n;
    int *ids = enc(t, text, &n);
    bool same = n == nwant;
    for (int i = 0; same && i < n; i++)
        same = ids[i] == want[i];
    if (!same) {
        fprintf(stderr, "text: \"%s\"\n", text);
        print_ids("got", ids, n);
        print_ids("want", want, nwant);
    }
    free(ids);
    assert_true(same);
}

/* decode(encode(s)) must give back s exactly. */
static void assert_roundtrip_n(const Tokenizer *t, const char *s, size_t len) {
    int n;
    size_t dlen;
    int *ids = enc_n(t, s, len, &n);
    char *d = tokenizer_decode_len(t, ids, n, false, &dlen);
    assert_non_null(d);
    bool same = dlen == len && memcmp(d, s, len) == 0;
    if (!same)
        fprintf(stderr, "round trip:\n  in:  \"%s\"\n  out: \"%s\"\n", s, d);
    free(ids);
    free(d);
    assert_true(same);
}

static void assert_roundtrip(const Tokenizer *t, const char *s) {
    assert_roundtrip_n(t, s, strlen(s));
}

static char *decode(const Tokenizer *t, const int *ids, int n, bool skip) {
    char *d = tokenizer_decode(t, ids, n, skip);
    assert_non_null(d);
    return d;
}

/* $TP_SHARED_MODELS/NAME when that folder exists, else NULL (and a message). */
static const char *shared_model(const char *name) {
    static char path[4096];
    const char *dir = getenv("TP_SHARED_MODELS");
    struct stat sb;
    if (!dir || !*dir) {
        printf("TP_SHARED_MODELS is not set: skipping the %s check\n", name);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        printf("%s is absent: skipping the %s check\n", path, name);
        return NULL;
    }
    return path;
}

/* Reads {"text": ..., "ids": [...]} from a fixture. */
static char *read_expected(const char *name, int **ids, int *n) {
    cJSON *root = NULL;
    TpError err = {0};
    if (tp_json_parse_file(tp_fixture(name), 1 << 20, &root, &err) != TP_OK)
        fail_msg("%s", err.msg);
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(root, "text");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "ids");
    assert_true(cJSON_IsString(text));
    assert_true(cJSON_IsArray(arr));
    *n = cJSON_GetArraySize(arr);
    *ids = calloc((size_t)*n + 1, sizeof **ids);
    int i = 0;
    for (const cJSON *c = arr->child; c; c = c->next)
        (*ids)[i++] = (int)c->valuedouble;
    char *s = strdup(text->valuestring);
    cJSON_Delete(root);
    return s;
}

/* Hard text that every byte-level tokenizer must round-trip. */
static const char *const HARD[] = {
    "",
    " ",
    "a",
    "Hello, world!",
    "   three leading spaces and two trailing  ",
    "runs   of    spaces\n\n\nand\n newlines \n\n",
    "\ttabs\t\tand\r\nCRLF\r\n",
    "digits 0 12 345 6789 12345 3.14 -42 1e10 ٣٤ ①② ½",
    "emoji 😀👍🏽 family 👨‍👩‍👧‍👦 flag 🏳️‍🌈 heart ❤️ keycap "
    "1️⃣",
    "CJK 日本語のテキスト 中文测试 한국어 텍스트",
    "combining e\u0301 a\u0308 o\u0302\u0323 Z\u0335\u0321\u0330 क्षि",
    "mixed English русский ελληνικά עברית العربية हिन्दी ไทย",
    "code:\n    if (x > 0) {\n        return y;\n    }\n",
    "NBSP\u00a0EM\u2003IDEO\u3000NEL\xC2\x85"
    "ZWJ\u200dZWNJ\u200cBOM\ufeff",
    "contractions: I'm you're we've they'll she'd it's IT'S",
    "symbols ~!@#$%^&*()_+`-=[]{}|;':\",./<>?\\",
    "▁ Ġ Ċ <0x0A> look like pieces",
    "\x7f\x01\x1f control",
};

/* --- fixture 1: byte-level with a Split regex ------------------------------------ */

static void test_bytelevel_split(void **state) {
    (void)state;
    /* bytelevel_split.json: vocab = the 256 byte-level characters with id ==
     * byte value ("Ġ" = byte 0x20 = 32, "Ċ" = 0x0A = 10), then 256 "Ġt",
     * 257 "he", 258 "Ġthe", 259 "in", 260 "Ġin", 261 "12", 262 "123",
     * 263 "ĠĠ", 264 "ll", 265 "ĊĊ" (merge ranks 0..9 in that order).
     * Pre-tokenizer: Split with the Llama-3 regex (Isolated), then ByteLevel
     * without regex. */
    Tokenizer *t = load_fixture("tokenizer/bytelevel_split.json");
    assert_int_equal(tokenizer_vocab_size(t), 266);
    assert_int_equal(tokenizer_bos_id(t), -1);
    assert_false(tokenizer_adds_bos(t));
    assert_string_equal(tokenizer_piece(t, 32), "Ġ");
    assert_string_equal(tokenizer_piece(t, 10), "Ċ");
    assert_int_equal(tokenizer_token_id(t, "Ġthe"), 258);
    assert_null(tokenizer_piece(t, 266));
    assert_null(tokenizer_piece(t, -1));
    /* regex pieces: "the" " cat" " in" " the" " hall" "\n\n" "123" "4"
     *   "the":   t h e -> (h,e) rank 1 -> t he; no "t he" merge -> 116 257
     *   " cat":  Ġ c a t, no merges -> 32 99 97 116
     *   " in":   (i,n) rank 3 -> in, then (Ġ,in) rank 4 -> 260
     *   " the":  (Ġ,t) rank 0, (h,e) rank 1, (Ġt,he) rank 2 -> 258
     *   " hall": Ġ h a l l, (l,l) rank 8 -> 32 104 97 264
     *   "\n\n":  Ċ Ċ rank 9 -> 265
     *   "123":   (1,2) rank 5 -> 12, (12,3) rank 6 -> 262;  "4" -> 52 */
    assert_encodes(t, "the cat in the hall\n\n1234", 116, 257, 32, 99, 97, 116, 260, 258, 32, 104,
                   97, 264, 265, 262, 52);
    /* "   x": the regex gives "  " (\s+(?!\S)) then " x": ĠĠ rank 7 -> 263, Ġ x -> 32 120 */
    assert_encodes(t, "   x", 263, 32, 120);
    /* 'll is one regex piece: ' l l -> 39 264 */
    assert_encodes(t, "we'll", 119, 101, 39, 264);
    int n;
    int *ids = enc(t, "", &n);
    assert_int_equal(n, 0);
    free(ids);
    for (size_t i = 0; i < sizeof HARD / sizeof HARD[0]; i++)
        assert_roundtrip(t, HARD[i]);
    tokenizer_free(t);
}

/* --- fixture 2: SentencePiece style with byte fallback ----------------------------- */

static void test_sentencepiece_byte_fallback(void **state) {
    (void)state;
    /* sentencepiece.json: 0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF>,
     * 259 "▁", 260 a, 261 b, 262 c, 263 h, 264 e, 265 l, 266 o, 267 "▁h",
     * 268 el, 269 "▁hel", 270 lo, 271 "▁hello", 272 "▁a"; merges (ranks
     * 0..5): "▁ h", "e l", "▁h el", "l o", "▁hel lo", "▁ a". Metaspace with
     * prepend_scheme first, no split; Llama-2 decoder chain. */
    Tokenizer *t = load_fixture("tokenizer/sentencepiece.json");
    assert_int_equal(tokenizer_vocab_size(t), 273);
    /* TemplateProcessing "single" starts with <s>: BOS added, id 1 */
    assert_true(tokenizer_adds_bos(t));
    assert_false(tokenizer_adds_eos(t));
    assert_int_equal(tokenizer_bos_id(t), 1);
    assert_int_equal(tokenizer_eos_id(t), 2); /* no config: the special "</s>" */
    assert_true(tokenizer_is_special(t, 0));
    assert_true(tokenizer_is_special(t, 2));
    assert_false(tokenizer_is_special(t, 271));
    /* "hello a ü" -> "▁hello▁a▁ü" (one piece):
     *   ▁ h e l l o: (▁,h) r0, (e,l) r1, (▁h,el) r2, (l,o) r3, (▁hel,lo) r4 -> 271
     *   ▁ a: r5 -> 272;  ▁ -> 259;  ü = C3 BC has no piece -> <0xC3> = 3+0xC3 = 198,
     *   <0xBC> = 3+0xBC = 191 */
    assert_encodes(t, "hello a ü", 271, 272, 259, 198, 191);
    /* a leading space is the prefix itself: " hello" encodes like "hello" */
    assert_encodes(t, " hello", 271);
    /* special tokens in the text; pieces after them get no "▁" (not at offset 0):
     * "<s>" 1, "hello" -> h el lo = 263 268 270, "</s>" 2, " a" -> ▁a 272 */
    assert_encodes(t, "<s>hello</s> a", 1, 263, 268, 270, 2, 272);
    int ids[] = {271, 272, 259, 198, 191};
    char *d = decode(t, ids, 5, false);
    assert_string_equal(d, "hello a ü");
    free(d);
    int with_special[] = {1, 271, 2};
    d = decode(t, with_special, 3, false);
    assert_string_equal(d, "<s> hello</s>");
    free(d);
    d = decode(t, with_special, 3, true);
    assert_string_equal(d, "hello");
    free(d);
    /* a lone byte that is not UTF-8 decodes to U+FFFD */
    int lone[] = {271, 3 + 0xE2};
    d = decode(t, lone, 2, false);
    assert_string_equal(d, "hello\xEF\xBF\xBD");
    free(d);
    /* round trips: everything has a piece or bytes (no leading space here) */
    static const char *const texts[] = {
        "hello",           "ab c",        "emoji 😀👨‍👩‍👧 and CJK 日本語",
        "x  y   z\n\n\tw", "e\u0301 ש ب",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        assert_roundtrip(t, texts[i]);
    tokenizer_free(t);
}

/* --- fixture 3: merges as pairs, unk fusing, ignore_merges -------------------------- */

static void test_pair_merges(void **state) {
    (void)state;
    /* pair_merges.json: 0 <unk>, 1 "▁", 2 a, 3 b, 4 c, 5 "▁a", 6 "▁ab",
     * 7 "▁abc", 8 "a b", 9 "a bc", 10 d; merges [["▁","a"], ["▁a","b"],
     * ["a b","c"]] (the last has a space inside a token, only possible in
     * pair form); ignore_merges, fuse_unk; Metaspace always + split. */
    Tokenizer *t = load_fixture("tokenizer/pair_merges.json");
    assert_string_equal(tokenizer_piece(t, 8), "a b");
    assert_int_equal(tokenizer_token_id(t, "a bc"), 9);
    /* "ab abc xd" -> "▁ab" "▁abc" "▁xd":
     *   "▁ab" and "▁abc" are whole vocab entries (ignore_merges) -> 6, 7
     *   "▁xd": ▁ 1, x unknown -> <unk> 0, d 10 */
    assert_encodes(t, "ab abc xd", 6, 7, 1, 0, 10);
    /* "▁xyz": three unknown characters fuse into one <unk> */
    assert_encodes(t, "xyz", 1, 0);
    /* "▁abd" is not in the vocab: (▁,a) r0 -> ▁a, (▁a,b) r1 -> ▁ab, d -> 6 10 */
    assert_encodes(t, "abd", 6, 10);
    /* Metaspace decoder: the first token's "▁" is dropped, the others are spaces */
    int ids[] = {6, 7, 1, 0, 10};
    char *d = decode(t, ids, 5, false);
    assert_string_equal(d, "ab abc <unk>d");
    free(d);
    d = decode(t, ids, 5, true);
    assert_string_equal(d, "ab abc d");
    free(d);
    tokenizer_free(t);
}

/* --- fixture 4: added and special tokens, tokenizer_config.json ------------------ */

static void test_added_tokens(void **state) {
    (void)state;
    /* added/tokenizer.json: byte-level alphabet (id == byte), 256 "hi",
     * 257 "Ġhi"; merges [h,i], [Ġ,hi]. Added: 258 <|bos|> special,
     * 259 <|eot|> special, 260 "[[" and 261 "[[[" (normalized, not special),
     * 262 <mask> special lstrip, 263 "hey" single_word, 264 <sep> special
     * rstrip. tokenizer_config.json: bos "<|bos|>", eos {"content":
     * "<|eot|>"}, a chat_template, no add_bos_token: the TemplateProcessing
     * post-processor (<|bos|> $A <|eot|>) decides. */
    Tokenizer *t = load_fixture("tokenizer/added");
    assert_int_equal(tokenizer_vocab_size(t), 265);
    assert_int_equal(tokenizer_bos_id(t), 258);
    assert_int_equal(tokenizer_eos_id(t), 259);
    assert_true(tokenizer_adds_bos(t));
    assert_true(tokenizer_adds_eos(t));
    assert_non_null(tokenizer_chat_template(t));
    assert_non_null(strstr(tokenizer_chat_template(t), "m.content"));
    assert_int_equal(tokenizer_token_id(t, "<mask>"), 262);
    assert_true(tokenizer_is_special(t, 262));
    assert_false(tokenizer_is_special(t, 263));
    assert_false(tokenizer_is_special(t, 256));
    assert_string_equal(tokenizer_piece(t, 261), "[[[");
    /* <|bos|> 258; "hi " -> "hi" 256, " " 32; "hey" 263 (spaces around);
     * " heyo " -> "hey" is followed by "o": not a single word, so byte-level
     * " heyo" 32 104 101 121 111 and " " 32; "hey" 263 (then "<", not a
     * word character); <|eot|> 259 */
    assert_encodes(t, "<|bos|>hi hey heyo hey<|eot|>", 258, 256, 32, 263, 32, 104, 101, 121, 111,
                   32, 263, 259);
    /* "a" 97; " <mask>" (lstrip takes the space) 262; " b" 32 98;
     * "<sep>  " (rstrip takes the spaces) 264; "c " 99 32; "[[[" longest
     * match 261; "x" 120 */
    assert_encodes(t, "a <mask> b<sep>  c [[[x", 97, 262, 32, 98, 264, 99, 32, 261, 120);
    /* "[[" 260 then "x", " " 32, "[[[" 261, "[" 91 */
    assert_encodes(t, "[[x [[[[", 260, 120, 32, 261, 91);
    /* "heyhey": "hey" followed by "h" is not a word; the second one is
     * preceded by "y": byte-level 104 101 121 104 101 121; " " 32; "hey" 263; "." 46 */
    assert_encodes(t, "heyhey hey.", 104, 101, 121, 104, 101, 121, 32, 263, 46);

    int n;
    int *ids = enc(t, "a <mask> b<sep>  c [[[x", &n);
    char *d = decode(t, ids, n, false);
    assert_string_equal(d, "a<mask> b<sep>c [[[x"); /* stripped spaces are gone */
    free(d);
    d = decode(t, ids, n, true);
    assert_string_equal(d, "a bc [[[x"); /* special ones dropped, "[[[" kept */
    free(d);
    free(ids);
    /* special-token text round-trips when specials are kept */
    assert_roundtrip(t, "<|bos|>Hi there<|eot|><|eot|>x");
    for (size_t i = 0; i < sizeof HARD / sizeof HARD[0]; i++)
        assert_roundtrip(t, HARD[i]);
    tokenizer_free(t);
}

/* --- invalid UTF-8 -------------------------------------------------------------- */

typedef struct BadCase {
    const char *in, *repaired; /* repaired: what decode(encode(in)) must give */
    size_t len, rlen;
} BadCase;

#define FFFD "\xEF\xBF\xBD"
#define CASE(in, out)                                                                              \
    { in, out, sizeof in - 1, sizeof out - 1 }

static const BadCase BAD[] = {
    CASE("\x80", FFFD), /* lone continuation byte */
    CASE("a\xBF\xBF"
         "b",
         "a" FFFD FFFD "b"),     /* two of them */
    CASE("abc\xC3", "abc" FFFD), /* truncated 2-byte sequence */
    CASE("\xE2\x82", FFFD),      /* truncated 3-byte: one maximal subpart */
    CASE("\xF0\x9F\x98"
         "x",
         FFFD "x"),                                /* truncated 4-byte */
    CASE("\xC0\xAF", FFFD FFFD),                   /* overlong "/" */
    CASE("\xE0\x80\xAF", FFFD FFFD FFFD),          /* overlong 3-byte */
    CASE("\xED\xA0\x80", FFFD FFFD FFFD),          /* UTF-16 surrogate */
    CASE("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD), /* above U+10FFFF */
    CASE("\xFE\xFF", FFFD FFFD),                   /* never valid */
    CASE("ok\x00nul", "ok\x00nul"),                /* NUL is valid UTF-8 */
};

static void check_bad_inputs(const Tokenizer *t, bool exact) {
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        int n;
        size_t dlen;
        int *ids = enc_n(t, BAD[i].in, BAD[i].len, &n);
        assert_true(n > 0);
        char *d = tokenizer_decode_len(t, ids, n, false, &dlen);
        assert_non_null(d);
        if (exact) {
            assert_int_equal(dlen, BAD[i].rlen);
            assert_memory_equal(d, BAD[i].repaired, dlen);
        }
        free(d);
        free(ids);
    }
}

static void test_invalid_utf8(void **state) {
    (void)state;
    Tokenizer *bl = load_fixture("tokenizer/bytelevel_split.json");
    Tokenizer *sp = load_fixture("tokenizer/sentencepiece.json");
    Tokenizer *pm = load_fixture("tokenizer/pair_merges.json");
    /* byte-level and byte fallback give back the repaired text exactly;
     * pair_merges has neither (unknown characters become <unk>): no crash */
    check_bad_inputs(bl, true);
    check_bad_inputs(sp, true);
    check_bad_inputs(pm, false);
    /* the repair happens before encoding: U+FFFD's own bytes EF BF BD */
    assert_encodes(bl, "\x80", 0xEF, 0xBF, 0xBD);
    /* decode skips ids out of range */
    int ids[] = {-5, 104, 100000, 105};
    char *d = decode(bl, ids, 4, false);
    assert_string_equal(d, "hi");
    free(d);
    tokenizer_free(bl);
    tokenizer_free(sp);
    tokenizer_free(pm);
}

/* --- long input (no quadratic behaviour, no stack use per character) --------------- */

static void test_long_input(void **state) {
    (void)state;
    Tokenizer *t = load_fixture("tokenizer/sentencepiece.json");
    size_t reps = 20000;
    TpBuf b;
    tp_buf_init(&b);
    for (size_t i = 0; i < reps; i++)
        tp_buf_puts(&b, i % 7 ? "hello " : "日本 ");
    /* no pre-tokenizer split: one 120 KB word through the merge heap */
    int n;
    int *ids = enc_n(t, b.data, b.len, &n);
    assert_true(n > (int)reps);
    char *d = decode(t, ids, n, false);
    assert_string_equal(d, b.data);
    free(d);
    free(ids);
    tokenizer_free(t);
    tp_buf_free(&b);
}

/* --- errors ----------------------------------------------------------------------- */

static TpStatus load_text(const char *json, TpError *err) {
    Tokenizer *t = NULL;
    tp_error_clear(err);
    TpStatus st = tokenizer_load_json(json, strlen(json), "t.json", &t, err);
    if (st == TP_OK)
        tokenizer_free(t);
    else
        assert_null(t);
    return st;
}

#define BPE_OK                                                                                     \
    "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, "                  \
    "\"merges\": [\"a b\"]}"

static void test_errors(void **state) {
    (void)state;
    Tokenizer *t = (Tokenizer *)1;
    TpError err = {0};
    assert_int_equal(tokenizer_load("/nonexistent/tokenizer.json", &t, &err), TP_ENOTFOUND);
    assert_null(t);
    assert_non_null(strstr(err.msg, "/nonexistent/tokenizer.json"));

    /* a directory without tokenizer.json */
    assert_int_equal(tokenizer_load(tp_tmpdir(), &t, &err), TP_ENOTFOUND);
    assert_non_null(strstr(err.msg, "tokenizer.json"));

    /* invalid JSON: line 3, column 43 (the "}" after a trailing comma) */
    assert_int_equal(tokenizer_load(tp_fixture("tokenizer/invalid.json"), &t, &err), TP_EINVAL);
    assert_null(t);
    assert_non_null(strstr(err.msg, "invalid.json:3:"));

    assert_int_equal(tokenizer_load(tp_fixture("tokenizer/wordpiece.json"), &t, &err), TP_EINVAL);
    assert_non_null(strstr(err.msg, "wordpiece.json"));
    assert_non_null(strstr(err.msg, "$.model.type"));
    assert_non_null(strstr(err.msg, "\"WordPiece\""));
    assert_non_null(strstr(err.msg, "supported: BPE"));

    assert_int_equal(load_text("{" BPE_OK "}", &err), TP_OK);
    assert_int_equal(load_text("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}", &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "t.json: $.model.type: unsupported model \"Unigram\""));
    assert_int_equal(load_text("{\"pre_tokenizer\": {\"type\": \"Whitespace\"}, " BPE_OK "}", &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.pre_tokenizer.type"));
    assert_non_null(strstr(err.msg, "Whitespace"));
    assert_non_null(strstr(err.msg, "Metaspace"));
    assert_int_equal(load_text("{\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": "
                               "[{\"type\": \"NFC\"}, {\"type\": \"Precompiled\"}]}, " BPE_OK "}",
                               &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.normalizer.normalizers[1].type"));
    assert_non_null(strstr(err.msg, "Precompiled"));
    assert_int_equal(load_text("{\"decoder\": {\"type\": \"WordPiece\"}, " BPE_OK "}", &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.decoder.type"));
    assert_int_equal(load_text("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": "
                               "{\"Regex\": \"(\"}, \"behavior\": \"Isolated\"}, " BPE_OK "}",
                               &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.pre_tokenizer.pattern.Regex: invalid regex"));
    assert_int_equal(load_text("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": "
                               "{\"String\": \"x\"}, \"behavior\": \"Sideways\"}, " BPE_OK "}",
                               &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.pre_tokenizer.behavior"));
    assert_int_equal(load_text("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, "
                               "\"merges\": [\"a c\"]}}",
                               &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.model.merges[0]: token \"c\" is not in the vocab"));
    assert_int_equal(load_text("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, "
                               "\"merges\": [[\"a\", \"b\"]]}}",
                               &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "merged token \"ab\" is not in the vocab"));
    assert_int_equal(load_text("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}}}", &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.model.vocab[\"a\"]"));
    assert_int_equal(load_text("{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": [], "
                               "\"unk_token\": \"<unk>\"}}",
                               &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.model.unk_token"));
    /* a BPE model without its merges list, and two tokens sharing an id */
    assert_int_equal(load_text("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}", &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.model.merges: missing"));
    assert_int_equal(load_text("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 0}, "
                               "\"merges\": []}}",
                               &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.model.vocab[\"b\"]: id 0 is already another token's"));
    assert_int_equal(load_text("{\"added_tokens\": [{\"content\": \"x\"}], " BPE_OK "}", &err),
                     TP_EINVAL);
    assert_non_null(strstr(err.msg, "$.added_tokens[0]"));
    assert_int_equal(load_text("[]", &err), TP_EINVAL);
    tp_tmpdir_cleanup();
}

/* --- no decoder, Split behaviours, Digits, legacy normalizers ---------------------- */

static void test_components(void **state) {
    (void)state;
    /* vocab a=0 b=1 "-"=2 "1"=3 "2"=4, no merges, no decoder (joined by spaces) */
    static const char json[] =
        "{\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": ["
        "{\"type\": \"Split\", \"pattern\": {\"String\": \"-\"}, \"behavior\": \"BEHAVIOR\"},"
        "{\"type\": \"Digits\", \"individual_digits\": false}]},"
        "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"-\": 2, \"1\": 3, "
        "\"2\": 4, \"12\": 5, \"a-\": 6, \"-b\": 7, \"--\": 8}, \"merges\": [\"1 2\", \"a -\", "
        "\"- b\", \"- -\"]}}";
    static const struct {
        const char *behavior;
        int n, ids[8];
    } cases[] = {
        /* "a-b--12": Removed -> a b 12; Isolated -> a - b - - 12;
         * MergedWithPrevious -> "a-" "b-" "-" "12"; MergedWithNext -> "a" "-b"
         * "-" "-12" (whose "-" and "12" then split by Digits); Contiguous ->
         * "a" "-" "b" "--" "12" (all checked against huggingface/tokenizers) */
        {"Removed", 3, {0, 1, 5}},
        {"Isolated", 6, {0, 2, 1, 2, 2, 5}},
        {"MergedWithPrevious", 5, {6, 1, 2, 2, 5}}, /* "b-" has no piece: b - */
        {"MergedWithNext", 5, {0, 7, 2, 2, 5}},
        {"Contiguous", 5, {0, 2, 1, 8, 5}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TpBuf b;
        tp_buf_init(&b);
        const char *at = strstr(json, "BEHAVIOR");
        tp_buf_append(&b, json, (size_t)(at - json));
        tp_buf_puts(&b, cases[i].behavior);
        tp_buf_puts(&b, at + 8);
        Tokenizer *t = NULL;
        TpError err = {0};
        if (tokenizer_load_json(b.data, b.len, "split.json", &t, &err) != TP_OK)
            fail_msg("%s", err.msg);
        tp_buf_free(&b);
        int n;
        int *ids = enc(t, "a-b--12", &n);
        bool same = n == cases[i].n;
        for (int k = 0; same && k < n; k++)
            same = ids[k] == cases[i].ids[k];
        if (!same) {
            fprintf(stderr, "behavior %s\n", cases[i].behavior);
            print_ids("got", ids, n);
        }
        assert_true(same);
        if (i == 1) { /* no decoder: pieces joined by spaces */
            char *d = decode(t, ids, n, false);
            assert_string_equal(d, "a - b - - 12");
            free(d);
        }
        free(ids);
        tokenizer_free(t);
    }

    /* legacy SentencePiece normalizers with a Strip normalizer before them */
    static const char legacy[] =
        "{\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": ["
        "{\"type\": \"Strip\", \"strip_left\": false, \"strip_right\": true},"
        "{\"type\": \"Prepend\", \"prepend\": \"\\u2581\"},"
        "{\"type\": \"Replace\", \"pattern\": {\"Regex\": \" +\"}, \"content\": \"\\u2581\"}]},"
        "\"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Replace\", "
        "\"pattern\": {\"String\": \"\\u2581\"}, \"content\": \" \"}, {\"type\": \"Fuse\"}, "
        "{\"type\": \"Strip\", \"content\": \" \", \"start\": 1, \"stop\": 0}]},"
        "\"model\": {\"type\": \"BPE\", \"vocab\": {\"\\u2581\": 0, \"a\": 1, \"b\": 2, "
        "\"\\u2581a\": 3}, \"merges\": [\"\\u2581 a\"]}}";
    Tokenizer *t = NULL;
    TpError err = {0};
    if (tokenizer_load_json(legacy, strlen(legacy), "legacy.json", &t, &err) != TP_OK)
        fail_msg("%s", err.msg);
    /* "a   b  " -> strip right "a   b" -> "▁a   b" -> " +" to one "▁": "▁a▁b" -> 3 0 2 */
    assert_encodes(t, "a   b  ", 3, 0, 2);
    int n;
    int *ids = enc(t, "a   b  ", &n);
    char *d = decode(t, ids, n, false);
    assert_string_equal(d, "a b");
    free(d);
    free(ids);
    tokenizer_free(t);
}

/* --- real tokenizers (skipped when $TP_SHARED_MODELS is absent) -------------------- */

static void test_stories260k(void **state) {
    (void)state;
    const char *dir = shared_model("stories260K-hf");
    if (!dir) {
        skip();
        return;
    }
    Tokenizer *t = load(dir);
    assert_int_equal(tokenizer_vocab_size(t), 512);
    assert_int_equal(tokenizer_bos_id(t), 1);
    assert_int_equal(tokenizer_eos_id(t), 2);
    assert_true(tokenizer_adds_bos(t)); /* tokenizer_config.json add_bos_token: true */
    assert_false(tokenizer_adds_eos(t));
    assert_string_equal(tokenizer_piece(t, 13), "<0x0A>");

    int *want, nwant, n;
    char *text = read_expected("tokenizer/stories260k_expected.json", &want, &nwant);
    assert_string_equal(text, "One day, a clever fox found a shiny key under the old oak tree.");
    /* SOURCE.txt: 35 tokens with BOS (id 1) prepended, so 34 without */
    assert_int_equal(nwant, 34);
    assert_ids(t, text, want, nwant);
    int *ids = enc(t, text, &n);
    char *d = decode(t, ids, n, false);
    assert_string_equal(d, text);
    free(d);
    int *with_bos = malloc((size_t)(n + 1) * sizeof *with_bos);
    with_bos[0] = tokenizer_bos_id(t);
    memcpy(with_bos + 1, ids, (size_t)n * sizeof *ids);
    assert_int_equal(n + 1, 35);
    d = decode(t, with_bos, n + 1, true);
    assert_string_equal(d, text);
    free(d);
    free(with_bos);
    free(ids);
    free(want);
    free(text);

    /* the legacy layout round-trips leading spaces too; not "▁" or <s> text */
    for (size_t i = 0; i < sizeof HARD / sizeof HARD[0]; i++)
        if (!strstr(HARD[i], "\xE2\x96\x81"))
            assert_roundtrip(t, HARD[i]);
    assert_roundtrip(t, "  Once upon a time, there was a little girl named Lily.\n");
    tokenizer_free(t);
}

/* Every normalizer type against the official library: for each case of
 * normalizers_expected.json (written by make_normalizer_expected.mjs with npm
 * tokenizers, the Rust library; see its how_made) the fixture's byte-level
 * BPE base gets the case's normalizer, and each hard text must encode to the
 * recorded ids. The base's ids 0..255 are the bytes, so a mismatch shows the
 * normalized UTF-8 directly. */
static void test_normalizers_match_reference(void **state) {
    (void)state;
    cJSON *root = NULL;
    TpError err = {0};
    if (tp_json_parse_file(tp_fixture("tokenizer/normalizers_expected.json"), 1 << 22, &root,
                           &err) != TP_OK)
        fail_msg("%s", err.msg);
    cJSON *base = cJSON_GetObjectItemCaseSensitive(root, "base");
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
    assert_true(cJSON_IsObject(base) && cJSON_IsArray(cases));
    int n_cases = 0, n_texts = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        const cJSON *texts = cJSON_GetObjectItemCaseSensitive(c, "texts");
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c, "ids");
        cJSON_ReplaceItemInObjectCaseSensitive(
            base, "normalizer",
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "normalizer"), true));
        char *json = cJSON_PrintUnformatted(base);
        Tokenizer *t = NULL;
        if (tokenizer_load_json(json, strlen(json), name->valuestring, &t, &err) != TP_OK)
            fail_msg("%s: %s", name->valuestring, err.msg);
        free(json);
        assert_int_equal(cJSON_GetArraySize(texts), cJSON_GetArraySize(ids));
        for (int i = 0; i < cJSON_GetArraySize(texts); i++) {
            const cJSON *want = cJSON_GetArrayItem(ids, i);
            int nw = cJSON_GetArraySize(want);
            int *w = calloc((size_t)nw + 1, sizeof *w);
            for (int j = 0; j < nw; j++)
                w[j] = cJSON_GetArrayItem(want, j)->valueint;
            if (nw == 0) {
                int n;
                int *got = enc(t, cJSON_GetArrayItem(texts, i)->valuestring, &n);
                assert_int_equal(n, 0);
                free(got);
            } else {
                print_message("  %-32s text %d: %d ids\n", name->valuestring, i, nw);
                assert_ids(t, cJSON_GetArrayItem(texts, i)->valuestring, w, nw);
            }
            free(w);
            n_texts++;
        }
        tokenizer_free(t);
        n_cases++;
    }
    print_message("  %d normalizer cases, %d texts: ids identical to the reference\n", n_cases,
                  n_texts);
    assert_true(n_cases >= 13);
    cJSON_Delete(root);
}

static void test_smollm(void **state) {
    (void)state;
    const char *dir = shared_model("smollm-tokenizer");
    if (!dir) {
        skip();
        return;
    }
    Tokenizer *t = load(dir);
    assert_int_equal(tokenizer_vocab_size(t), 49153);
    assert_string_equal(tokenizer_piece(t, 49152), "[PAD]");
    assert_int_equal(tokenizer_bos_id(t), 0);
    assert_int_equal(tokenizer_eos_id(t), 0);
    assert_false(tokenizer_adds_bos(t)); /* GPT2Tokenizer, no post-processor */
    assert_true(tokenizer_is_special(t, 1));

    int *want, nwant, n;
    char *text = read_expected("tokenizer/smollm_expected.json", &want, &nwant);
    assert_true(nwant > 192); /* longer than the file's leftover truncation */
    assert_ids(t, text, want, nwant);
    int *ids = enc(t, text, &n);
    char *d = decode(t, ids, n, false);
    assert_string_equal(d, text);
    free(d);
    free(ids);
    free(want);
    free(text);

    /* "12345" splits into single digits (Digits individual_digits) */
    int *one = enc(t, "12345", &n);
    assert_int_equal(n, 5);
    free(one);
    /* special tokens in the text become their ids */
    assert_encodes(t, "<|im_start|>", 1);
    for (size_t i = 0; i < sizeof HARD / sizeof HARD[0]; i++)
        assert_roundtrip(t, HARD[i]);
    assert_roundtrip(t, "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n");
    static const char nul[] = "a\0b\0\0c";
    assert_roundtrip_n(t, nul, sizeof nul - 1);
    tokenizer_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytelevel_split),
        cmocka_unit_test(test_sentencepiece_byte_fallback),
        cmocka_unit_test(test_pair_merges),
        cmocka_unit_test(test_added_tokens),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_long_input),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_components),
        cmocka_unit_test(test_stories260k),
        cmocka_unit_test(test_smollm),
        cmocka_unit_test(test_normalizers_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
