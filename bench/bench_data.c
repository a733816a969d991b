/* bench_data.c - reading one long conversation: dataset_load (the pilot's
 * reader; `data check` formats with the same code) on a single chat example
 * of N user/assistant messages, for growing N. A linear reader keeps the time
 * per message flat as N grows; the ratio column is each row's time per
 * message against the first row's, measured in the same run.
 *
 * Issue 16 #8 was the audit walking the messages with cJSON_GetArrayItem;
 * after it, each cut of the chat template still retokenized its whole run
 * (up to 256 KiB) from the start: 30,000 messages took 38 s (stories260K)
 * and 76 s (smollm) in `data check --model`. Cuts now retokenize from the
 * run's last special token.
 *
 * A benchmark, not a test: it prints figures and asserts nothing.
 *
 * usage: bench_data [SCALE] [--model DIR]
 *   SCALE (default 1) multiplies the message counts (1,000 to 30,000);
 *   --model DIR reads with that model's tokenizer and template, else the
 *   byte-level fixture with a ChatML template (tests/fixtures/data). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tunepilot/buf.h"
#include "tunepilot/dataset.h"
#include "tunepilot/fileio.h"
#include "tunepilot/tokenizer.h"
#include "bench_util.h"

static int fail(const char *what, const char *msg) {
    fprintf(stderr, "bench_data: %s: %s\n", what, msg);
    return 1;
}

int main(int argc, char **argv) {
    double scale = 1;
    const char *model = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc)
            model = argv[++i];
        else if ((scale = atof(argv[i])) <= 0)
            return fail(argv[i], "usage: bench_data [SCALE] [--model DIR]");
    }
    char tmp[4096];
    if (!bench_tmpdir(tmp, sizeof tmp, "bench_data.XXXXXX"))
        return fail(tmp, strerror(errno));
    char dir[4200], path[4300];
    TpError err = {0};
    if (!model) {
        /* the byte-level fixture with a ChatML template */
        snprintf(dir, sizeof dir, "%s/tok", tmp);
        mkdir(dir, 0700);
        static const char *const files[2][2] = {
            {"bytes_tokenizer.json", "tokenizer.json"},
            {"config_chatml_plain.json", "tokenizer_config.json"}};
        for (int k = 0; k < 2; k++) {
            char src[4200];
            snprintf(src, sizeof src, "%s/tests/fixtures/data/%s", TP_SOURCE_DIR, files[k][0]);
            snprintf(path, sizeof path, "%s/%s", dir, files[k][1]);
            if (tp_file_copy(src, path, NULL, &err) != TP_OK)
                return fail(src, err.msg);
        }
        model = dir;
    }
    Tokenizer *t = NULL;
    if (tokenizer_load(model, &t, &err) != TP_OK)
        return fail(model, err.msg);
    printf("dataset_load of one chat example, tokenizer %s\n", model);
    printf("%10s %10s %10s %14s %8s\n", "messages", "bytes", "tokens", "us/message", "ratio");
    static const int counts[] = {1000, 3000, 10000, 30000};
    double first = 0;
    snprintf(path, sizeof path, "%s/chat.jsonl", tmp);
    for (int c = 0; c < 4; c++) {
        int pairs = (int)(counts[c] * scale / 2);
        if (pairs < 1)
            pairs = 1;
        TpBuf b;
        tp_buf_init(&b);
        tp_buf_puts(&b, "{\"messages\": [");
        for (int i = 0; i < pairs; i++)
            tp_buf_printf(&b,
                          "%s{\"role\": \"user\", \"content\": \"question %d\"}, "
                          "{\"role\": \"assistant\", \"content\": \"answer %d\"}",
                          i ? ", " : "", i, i);
        tp_buf_puts(&b, "]}\n");
        if (tp_file_write_atomic(path, b.data, b.len, &err) != TP_OK)
            return fail(path, err.msg);
        DatasetOptions o = {0};
        Dataset d;
        double t0 = bench_cpu_s();
        if (dataset_load(path, t, &o, &d, &err) != TP_OK)
            return fail(path, err.msg);
        double us = (bench_cpu_s() - t0) * 1e6 / (2.0 * pairs);
        if (c == 0)
            first = us;
        printf("%10d %10zu %10d %14.2f %7.2fx\n", 2 * pairs, b.len, d.train[0].n, us,
               first > 0 ? us / first : 0);
        dataset_free(&d);
        tp_buf_free(&b);
    }
    tokenizer_free(t);
    tp_remove_tree(tmp, &err);
    return 0;
}
