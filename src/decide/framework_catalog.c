/* framework_catalog.c - built-in frameworks (compiled in) and the user's own
 * ($XDG_CONFIG_HOME/tunepilot/frameworks/<id>.json). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decide/decide_impl.h"
#include "tunepilot/assets.h"
#include "tunepilot/fileio.h"
#include "tunepilot/paths.h"

#define ASSET_PREFIX "assets/frameworks/"

/* "<id>.json" -> id; false for anything else or an id with odd characters. */
static bool id_from_file(const char *file, char *id, size_t size) {
    size_t n = strlen(file);
    if (n <= 5 || strcmp(file + n - 5, ".json") != 0 || n - 5 >= size)
        return false;
    memcpy(id, file, n - 5);
    id[n - 5] = '\0';
    for (size_t i = 0; id[i]; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i && (c == '_' || c == '-'))))
            return false;
    }
    return true;
}

static TpStatus user_dir(char *out, size_t size, TpError *err) {
    char base[4096];
    TpStatus st = tp_path_config_dir(base, sizeof base, err);
    if (st == TP_OK)
        snprintf(out, size, "%s/frameworks", base);
    return st;
}

/* The title of a framework document, "" when it has none or does not parse. */
static void title_of(const char *text, size_t len, char *out, size_t size) {
    out[0] = '\0';
    cJSON *doc = cJSON_ParseWithLength(text, len);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "title");
    if (cJSON_IsString(t))
        snprintf(out, size, "%s", t->valuestring);
    cJSON_Delete(doc);
}

static int by_id(const void *a, const void *b) {
    return strcmp(((const DecideCatalogEntry *)a)->id, ((const DecideCatalogEntry *)b)->id);
}

static DecideCatalogEntry *slot(DecideCatalogEntry **list, int *n, int *cap, const char *id) {
    for (int i = 0; i < *n; i++)
        if (!strcmp((*list)[i].id, id))
            return &(*list)[i];
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *list = tp_xrealloc(*list, sizeof **list * (size_t)*cap);
    }
    DecideCatalogEntry *e = &(*list)[(*n)++];
    memset(e, 0, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", id);
    return e;
}

TpStatus decide_catalog_list(DecideCatalogEntry **out, int *n, TpError *err) {
    int cap = 0;
    *out = NULL;
    *n = 0;
    const char *name;
    for (int i = 0; (name = tp_asset_name(ASSET_PREFIX, i)); i++) {
        char id[DECIDE_ID_MAX];
        if (!id_from_file(name + strlen(ASSET_PREFIX), id, sizeof id))
            continue;
        DecideCatalogEntry *e = slot(out, n, &cap, id);
        size_t len;
        const char *data = tp_asset_get(name, &len);
        title_of(data, len, e->title, sizeof e->title);
        snprintf(e->path, sizeof e->path, "%s", name);
    }
    char dir[4096];
    TpError ignore = {0};
    if (user_dir(dir, sizeof dir, &ignore) == TP_OK) {
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            char id[DECIDE_ID_MAX], path[4096 + 300];
            if (!id_from_file(de->d_name, id, sizeof id))
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            char *text;
            size_t len;
            if (tp_file_read(path, DECIDE_MAX_FRAMEWORK_BYTES, &text, &len, &ignore) != TP_OK)
                continue;
            DecideCatalogEntry *e = slot(out, n, &cap, id);
            title_of(text, len, e->title, sizeof e->title);
            free(text);
            e->user = true;
            snprintf(e->path, sizeof e->path, "%s", path);
        }
        if (d)
            closedir(d);
    }
    (void)err;
    if (*n > 1)
        qsort(*out, (size_t)*n, sizeof **out, by_id);
    return TP_OK;
}

static TpStatus parse_checked(const char *text, size_t len, const char *name, const char *want_id,
                              const Pricing *pricing, DecideFramework *fw, TpError *err) {
    TpStatus st = decide_framework_parse(text, len, name, pricing, fw, err);
    if (st == TP_OK && want_id && strcmp(fw->id, want_id) != 0) {
        st = tp_error_set(err, TP_EINVAL,
                          "%s: $.id: expected \"%s\" (the file's name), got \"%s\"", name,
                          want_id, fw->id);
        decide_framework_free(fw);
    }
    return st;
}

TpStatus decide_framework_load(const char *ref, const Pricing *pricing, DecideFramework *fw,
                               TpError *err) {
    memset(fw, 0, sizeof *fw);
    size_t rn = strlen(ref);
    char *text = NULL;
    size_t len = 0;
    TpStatus st;
    if (strchr(ref, '/') || (rn > 5 && !strcmp(ref + rn - 5, ".json"))) {
        st = tp_file_read(ref, DECIDE_MAX_FRAMEWORK_BYTES, &text, &len, err);
        if (st == TP_OK)
            st = parse_checked(text, len, ref, NULL, pricing, fw, err);
        free(text);
        return st;
    }
    char id[DECIDE_ID_MAX + 8];
    snprintf(id, sizeof id, "%s.json", ref);
    char want[DECIDE_ID_MAX];
    bool ok_id = rn < DECIDE_ID_MAX && id_from_file(id, want, sizeof want);
    if (ok_id) {
        char dir[4096], path[4096 + 100];
        TpError ignore = {0};
        if (user_dir(dir, sizeof dir, &ignore) == TP_OK) {
            snprintf(path, sizeof path, "%s/%s.json", dir, ref);
            struct stat sb;
            if (stat(path, &sb) == 0) {
                st = tp_file_read(path, DECIDE_MAX_FRAMEWORK_BYTES, &text, &len, err);
                if (st == TP_OK)
                    st = parse_checked(text, len, path, ref, pricing, fw, err);
                free(text);
                return st;
            }
        }
        char asset[256];
        snprintf(asset, sizeof asset, ASSET_PREFIX "%s.json", ref);
        const char *data = tp_asset_get(asset, &len);
        if (data)
            return parse_checked(data, len, asset, ref, pricing, fw, err);
    }
    DecideCatalogEntry *list;
    int n;
    char names[1024] = "";
    if (decide_catalog_list(&list, &n, NULL) == TP_OK) {
        for (int i = 0; i < n; i++) {
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", list[i].id);
        }
        free(list);
    }
    return tp_error_set(err, TP_EINVAL, "unknown framework \"%s\" (frameworks: %s)", ref, names);
}
