#include "cli.h"
#include "tunepilot/limits.h"
#include "tunepilot/json.h"
#include "tunepilot/session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tunepilot/arena.h"
#include "tunepilot/assets.h"
#include "tunepilot/fileio.h"
#include "tunepilot/paths.h"

int cli_fail(TpStatus st, const TpError *err) {
    fprintf(stderr, "tunepilot: %s\n", err && err->msg[0] ? err->msg : "failed");
    return tp_status_exit_code(st);
}

int cli_usage(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("tunepilot: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see: tunepilot %s%s--help)\n", cmd ? cmd : "", cmd ? " " : "");
    return CLI_USAGE;
}

bool cli_take(int argc, char **argv, int *i, const char *name, const char **val) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return false;
    if (a[n] == '=') {
        *val = a + n + 1;
        return true;
    }
    if (a[n] != '\0')
        return false;
    if (*i + 1 < argc) {
        *val = argv[++*i];
    } else {
        *val = NULL;
    }
    return true;
}

bool cli_parse_ll(const char *s, long long *out) {
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 0)
        return false;
    *out = v;
    return true;
}

bool cli_parse_num(const char *s, double lo, double hi, double *out) {
    char *end;
    if (!s || !*s)
        return false;
    double x = strtod(s, &end);
    if (*end || !(x >= lo && x <= hi))
        return false;
    *out = x;
    return true;
}

TpStatus cli_open_store(const CliGlobal *g, Store **out, TpError *err) {
    char path[4096];
    TpStatus st = tp_path_db(path, sizeof path, g->db_path, err);
    if (st == TP_OK)
        st = store_open(path, out, err);
    return st;
}

Store *cli_store_or_null(const CliGlobal *g) {
    Store *s = NULL;
    TpError e = {0};
    if (cli_open_store(g, &s, &e) != TP_OK)
        return NULL;
    return s;
}

TpStatus cli_load_pricing(const CliGlobal *g, Store **store, long long snapshot, Pricing *p,
                          TpError *err) {
    if (snapshot != 0 && !*store) {
        TpError e2 = {0};
        TpStatus st = cli_open_store(g, store, &e2);
        if (st != TP_OK && snapshot > 0) {
            *err = e2;
            return st;
        }
        /* newest without a database: the bundled tables are the newest */
    }
    return session_pricing_load(*store, snapshot, p, err);
}

void cli_pricing_note(const Pricing *p, char *out, size_t size) {
    if (p->snapshot_id > 0)
        snprintf(out, size, "snapshot %lld (%s%s%s) over the bundled tables", p->snapshot_id,
                 p->snapshot_label ? p->snapshot_label : "", p->snapshot_as_of ? ", as of " : "",
                 p->snapshot_as_of ? p->snapshot_as_of : "");
    else
        snprintf(out, size, "snapshot 0 (the bundled tables)");
}

cJSON *cli_pricing_json(const Pricing *p) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "snapshot", (double)p->snapshot_id);
    tp_json_add_str(o, "label", p->snapshot_id > 0 ? p->snapshot_label : "bundled tables");
    tp_json_add_str(o, "as_of", p->snapshot_id > 0 ? p->snapshot_as_of : NULL);
    return o;
}

TpStatus cli_output_check(const char *path, const char *const *inputs, int n_inputs,
                          const CliOutputKind *kind, bool force, TpError *err) {
    if (!path || !strcmp(path, "-"))
        return TP_OK;
    struct stat out;
    if (stat(path, &out) != 0) {
        if (errno == ENOENT)
            return TP_OK; /* a new file */
        return tp_error_set(err, TP_EIO, "-o %s: %s", path, strerror(errno));
    }
    for (int i = 0; i < n_inputs; i++) {
        struct stat in;
        if (inputs[i] && stat(!strcmp(inputs[i], "-") ? "/dev/stdin" : inputs[i], &in) == 0 &&
            in.st_dev == out.st_dev && in.st_ino == out.st_ino)
            return tp_error_set(err, TP_EINVAL,
                                "-o %s: that is %s, which this command reads: refusing to write "
                                "over an input (choose another file)",
                                path, strcmp(inputs[i], "-") ? inputs[i] : "standard input");
    }
    if (!S_ISREG(out.st_mode))
        return tp_error_set(err, TP_EINVAL, "-o %s: not a regular file", path);
    if (force)
        return TP_OK;
    char head[4097];
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        n = fread(head, 1, sizeof head - 1, f);
        fclose(f);
    }
    head[n] = '\0';
    if (kind && kind->recognize && kind->recognize(head, n))
        return TP_OK; /* an earlier output of the same command */
    return tp_error_set(err, TP_EINVAL,
                        "-o %s: the file exists and is not a %s written by tunepilot: refusing "
                        "to overwrite it (add --force to replace it)",
                        path, kind ? kind->name : "file");
}

TpStatus cli_write_output(const char *path, const char *text, TpError *err) {
    if (!path || !strcmp(path, "-")) {
        fputs(text, stdout);
        if (fflush(stdout) != 0)
            return tp_error_set(err, TP_EIO, "cannot write to standard output");
        return TP_OK;
    }
    return tp_file_write_atomic(path, text, strlen(text), err);
}


TpStatus cli_read_scenario(const char *file, const char *example, char **text, size_t *len,
                           char *name, size_t nsize, TpError *err) {
    if (file) {
        bool in = !strcmp(file, "-");
        snprintf(name, nsize, "%s", in ? "stdin" : file);
        return tp_file_read(in ? "/dev/stdin" : file, TP_MAX_SCENARIO_BYTES, text, len, err);
    }
    char asset[256];
    snprintf(asset, sizeof asset, "assets/scenarios/%s.json", example);
    const char *data = tp_asset_get(asset, len);
    if (!data) {
        char list[512] = "";
        const char *n;
        for (int i = 0; (n = tp_asset_name("assets/scenarios/", i)); i++) {
            size_t used = strlen(list);
            const char *base = n + strlen("assets/scenarios/");
            snprintf(list + used, sizeof list - used, "%s%.*s", i ? ", " : "",
                     (int)(strlen(base) - 5), base);
        }
        return tp_error_set(err, TP_EINVAL, "no bundled example \"%s\" (examples: %s)", example,
                            list);
    }
    snprintf(name, nsize, "example %s", example);
    *text = tp_xmalloc(*len + 1);
    memcpy(*text, data, *len + 1);
    return TP_OK;
}
