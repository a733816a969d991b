/* draft.c - recovery drafts (session_edit.h): a scenario's unsaved edits
 * kept in a file of their own when the workbench is ended by a signal. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tunepilot/arena.h"
#include "tunepilot/fileio.h"
#include "tunepilot/limits.h"
#include "tunepilot/paths.h"
#include "tunepilot/pilot.h"
#include "tunepilot/session_edit.h"

#define DRAFT_FORMAT "tunepilot-draft"
#define DRAFT_VERSION 1

TpStatus session_draft_dir(const char *db_path, char *out, size_t size, TpError *err) {
    return pilot_db_sibling(db_path, "drafts", out, size, err);
}

TpStatus session_draft_write(const char *dir, const cJSON *doc, const char *name,
                             const char *path, long long saved_id, char *file, size_t size,
                             TpError *err) {
    if (!cJSON_IsObject(doc))
        return tp_error_set(err, TP_EINVAL, "a draft keeps a scenario document (a JSON object)");
    TpStatus st = tp_mkdirs(dir, err);
    if (st != TP_OK)
        return st;
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char at[32], stamp[32];
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    int n = snprintf(file, size, "%s/draft-%s-%ld.json", dir, stamp, (long)getpid());
    if (n < 0 || (size_t)n >= size)
        return tp_error_set(err, TP_EINVAL, "%s: the draft's path is too long", dir);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "format", DRAFT_FORMAT);
    cJSON_AddNumberToObject(o, "version", DRAFT_VERSION);
    cJSON_AddStringToObject(o, "written_at", at);
    cJSON_AddStringToObject(o, "name", name ? name : "");
    cJSON_AddStringToObject(o, "path", path ? path : "");
    cJSON_AddNumberToObject(o, "saved_id", (double)saved_id);
    cJSON_AddItemToObject(o, "scenario", cJSON_Duplicate(doc, true));
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text)
        return tp_error_set(err, TP_ERR, "%s: out of memory writing the draft", file);
    size_t len = strlen(text);
    char *out = tp_xrealloc(text, len + 2); /* ends in a newline, as scenario files do */
    out[len] = '\n';
    out[len + 1] = '\0';
    st = tp_file_write_atomic(file, out, len + 1, err);
    free(out);
    return st;
}

static void copy_text(char *dst, size_t size, const cJSON *o, const char *key) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    snprintf(dst, size, "%s", cJSON_IsString(x) ? x->valuestring : "");
}

TpStatus session_draft_parse(const char *text, const char *file, SessionDraft *out, TpError *err) {
    memset(out, 0, sizeof *out);
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(o, "format");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "version");
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "scenario");
    TpStatus st = TP_OK;
    if (!cJSON_IsObject(o))
        st = tp_error_set(err, TP_EINVAL, "%s: not a draft (expected a JSON object)", file);
    else if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, DRAFT_FORMAT))
        st = tp_error_set(err, TP_EINVAL, "%s: not a draft (\"format\" is not \"%s\")", file,
                          DRAFT_FORMAT);
    else if (!cJSON_IsNumber(ver) || ver->valuedouble != DRAFT_VERSION)
        st = tp_error_set(err, TP_EINVAL, "%s: a draft of version %g; this tunepilot reads %d",
                          file, cJSON_IsNumber(ver) ? ver->valuedouble : 0.0, DRAFT_VERSION);
    else if (!cJSON_IsObject(sc))
        st = tp_error_set(err, TP_EINVAL, "%s: $.scenario: expected the scenario document", file);
    if (st != TP_OK) {
        cJSON_Delete(o);
        return st;
    }
    snprintf(out->file, sizeof out->file, "%s", file);
    copy_text(out->written_at, sizeof out->written_at, o, "written_at");
    copy_text(out->name, sizeof out->name, o, "name");
    copy_text(out->path, sizeof out->path, o, "path");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "saved_id");
    out->saved_id = cJSON_IsNumber(id) && id->valuedouble >= 0 && id->valuedouble < 9e15
                        ? (long long)id->valuedouble
                        : 0;
    out->json = cJSON_Print(sc);
    cJSON_Delete(o);
    if (!out->json)
        return tp_error_set(err, TP_ERR, "%s: out of memory reading the draft", file);
    return TP_OK;
}

TpStatus session_draft_read(const char *file, SessionDraft *out, TpError *err) {
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t len = 0;
    TpStatus st = tp_file_read(file, SESSION_DRAFT_MAX_BYTES, &text, &len, err);
    if (st == TP_OK)
        st = session_draft_parse(text, file, out, err);
    free(text);
    return st;
}

void session_draft_free(SessionDraft *d) {
    if (!d)
        return;
    free(d->json);
    d->json = NULL;
}

static bool draft_name(const char *n) {
    size_t len = strlen(n);
    return !strncmp(n, "draft-", 6) && len > 11 && !strcmp(n + len - 5, ".json");
}

static int newest_first(const void *x, const void *y) {
    const SessionDraft *a = x, *b = y;
    int c = strcmp(b->written_at, a->written_at);
    return c ? c : strcmp(b->file, a->file);
}

TpStatus session_draft_list(const char *dir, SessionDraft **out, int *n, int *n_unreadable,
                            TpError *err) {
    *out = NULL;
    *n = 0;
    if (n_unreadable)
        *n_unreadable = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return TP_OK;
        return tp_error_set(err, TP_EIO, "%s: cannot read the drafts folder: %s", dir,
                            strerror(errno));
    }
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!draft_name(e->d_name))
            continue;
        char file[4096];
        if (snprintf(file, sizeof file, "%s/%s", dir, e->d_name) >= (int)sizeof file)
            continue;
        SessionDraft one;
        TpError ignore;
        if (session_draft_read(file, &one, &ignore) != TP_OK) {
            if (n_unreadable)
                (*n_unreadable)++;
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            *out = tp_xrealloc(*out, sizeof **out * (size_t)cap);
        }
        (*out)[(*n)++] = one;
    }
    closedir(d);
    if (*n > 1)
        qsort(*out, (size_t)*n, sizeof **out, newest_first);
    return TP_OK;
}

TpStatus session_draft_discard(const SessionDraft *d, TpError *err) {
    if (unlink(d->file) != 0 && errno != ENOENT)
        return tp_error_set(err, TP_EIO, "%s: cannot remove the draft: %s", d->file,
                            strerror(errno));
    return TP_OK;
}
