/* catalog.c - find base models in the Hugging Face cache and in named
 * directories (see catalog.h). */
#include "tunepilot/catalog.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tunepilot/arena.h"
#include "tunepilot/error.h"
#include "tunepilot/llama.h"

void model_catalog_hub_dir(char *out, size_t size) {
    const char *hf = getenv("HF_HOME"), *home = getenv("HOME");
    if (hf && *hf)
        snprintf(out, size, "%s/hub", hf);
    else
        snprintf(out, size, "%s/.cache/huggingface/hub", home && *home ? home : ".");
}

static void add(ModelCatalog *c, const char *dir, const char *name) {
    char cfg[4096];
    struct stat st;
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    if (stat(cfg, &st) != 0)
        return;
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 8;
        c->items = tp_xrealloc(c->items, (size_t)cap * sizeof *c->items);
        c->cap = cap;
    }
    ModelEntry *e = &c->items[c->n];
    memset(e, 0, sizeof *e);
    e->name = tp_xstrdup(name);
    e->path = tp_xstrdup(dir);
    LlamaConfig cf;
    TpError err = {0};
    if (llama_config_load(dir, &cf, &err) == TP_OK) {
        e->supported = true;
        e->architecture = tp_xstrdup(cf.architecture);
        e->dtype = tp_xstrdup(cf.torch_dtype);
        e->parameters = llama_config_n_params(&cf);
    } else {
        e->reason = tp_xstrdup(err.msg);
    }
    c->n++;
}

static int cmp_entry(const void *x, const void *y) {
    const ModelEntry *a = x, *b = y;
    int r = strcmp(a->name, b->name);
    return r ? r : strcmp(a->path, b->path);
}

void model_catalog_scan_hub(ModelCatalog *c, const char *hub) {
    DIR *d = opendir(hub);
    if (!d)
        return;
    int first = c->n;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "models--", 8) != 0)
            continue;
        char snaps[4096];
        snprintf(snaps, sizeof snaps, "%s/%s/snapshots", hub, e->d_name);
        DIR *s = opendir(snaps);
        if (!s)
            continue;
        /* models--ORG--NAME -> ORG/NAME */
        char name[512];
        snprintf(name, sizeof name, "%s", e->d_name + 8);
        for (char *p = strstr(name, "--"); p; p = strstr(p, "--")) {
            *p = '/';
            memmove(p + 1, p + 2, strlen(p + 2) + 1);
        }
        struct dirent *r;
        while ((r = readdir(s))) {
            if (r->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", snaps, r->d_name);
            add(c, path, name);
        }
        closedir(s);
    }
    closedir(d);
    /* readdir's order is the file system's: sort for a stable listing */
    qsort(c->items + first, (size_t)(c->n - first), sizeof *c->items, cmp_entry);
}

bool model_catalog_scan_dir(ModelCatalog *c, const char *dir) {
    char cfg[4096];
    struct stat st;
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    if (stat(cfg, &st) == 0) {
        const char *base = strrchr(dir, '/');
        add(c, dir, base && base[1] ? base + 1 : dir);
        return true;
    }
    DIR *d = opendir(dir);
    if (!d)
        return false;
    int first = c->n;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        add(c, sub, e->d_name);
    }
    closedir(d);
    qsort(c->items + first, (size_t)(c->n - first), sizeof *c->items, cmp_entry);
    return true;
}

void model_catalog_free(ModelCatalog *c) {
    for (int i = 0; i < c->n; i++) {
        free(c->items[i].name);
        free(c->items[i].path);
        free(c->items[i].architecture);
        free(c->items[i].dtype);
        free(c->items[i].reason);
    }
    free(c->items);
    memset(c, 0, sizeof *c);
}

/* dir resolved, without trailing slashes, into out. */
static void resolved(const char *dir, char *out, size_t size) {
    char real[PATH_MAX];
    snprintf(out, size, "%s", realpath(dir, real) ? real : dir);
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/')
        out[--n] = '\0';
}

/* In a resolved snapshot path .../models--X/snapshots/REV, the start of
 * "models--X" and its length; NULL when dir is not one. */
static const char *hub_repo(const char *path, size_t *len) {
    const char *rev = strrchr(path, '/');
    if (!rev || rev == path)
        return NULL;
    const char *snaps = rev;
    while (snaps > path && snaps[-1] != '/')
        snaps--;
    if ((size_t)(rev - snaps) != 9 || strncmp(snaps, "snapshots", 9) || snaps == path)
        return NULL;
    const char *repo = snaps - 1;
    while (repo > path && repo[-1] != '/')
        repo--;
    if (strncmp(repo, "models--", 8) || snaps - 1 - repo <= 8)
        return NULL;
    *len = (size_t)(snaps - 1 - repo);
    return repo;
}

void model_share_name(const char *dir, char *out, size_t size) {
    char path[PATH_MAX];
    resolved(dir, path, sizeof path);
    size_t len;
    const char *repo = hub_repo(path, &len);
    if (repo) {
        /* models--ORG--NAME -> ORG/NAME */
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(len - 8), repo + 8);
        for (char *p = strstr(name, "--"); p; p = strstr(p, "--")) {
            *p = '/';
            memmove(p + 1, p + 2, strlen(p + 2) + 1);
        }
        snprintf(out, size, "%s", name);
        return;
    }
    const char *base = strrchr(path, '/');
    snprintf(out, size, "%s",
             base && base[1]             ? base + 1
             : path[0] && path[0] != '/' ? path
                                         : "model");
}

void model_link_root(const char *dir, char *out, size_t size) {
    char path[PATH_MAX];
    resolved(dir, path, sizeof path);
    size_t len;
    const char *repo = hub_repo(path, &len);
    if (repo)
        snprintf(out, size, "%.*s", (int)(repo - path + len), path);
    else
        snprintf(out, size, "%s", path);
}
