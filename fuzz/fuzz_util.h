/* fuzz_util.h - helpers shared by the fuzz targets (header-only: each target
 * is one translation unit plus this).
 *
 * Inputs that the program reads from files (a model folder, a dataset) are
 * written to a private scratch folder made once per process: in /dev/shm
 * when it exists (memory, no disk), else in $TMPDIR or /tmp; it is removed
 * at exit. Fixtures come from the source tree (TP_SOURCE_DIR, set by
 * fuzz/CMakeLists.txt). */
#ifndef TP_FUZZ_UTIL_H
#define TP_FUZZ_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tunepilot/fileio.h"

#define FUZZ_FN static __attribute__((unused))

static char fuzz_scratch_dir[512];

FUZZ_FN void fuzz_scratch_cleanup(void) {
    DIR *d = opendir(fuzz_scratch_dir);
    if (d) {
        struct dirent *e;
        char p[1024];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", fuzz_scratch_dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(fuzz_scratch_dir);
}

/* The scratch folder (created on first use). */
FUZZ_FN const char *fuzz_scratch(void) {
    if (fuzz_scratch_dir[0])
        return fuzz_scratch_dir;
    struct stat sb;
    const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0
                           ? "/dev/shm"
                           : getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(fuzz_scratch_dir, sizeof fuzz_scratch_dir, "%s/tp-fuzz.XXXXXX", base);
    if (!mkdtemp(fuzz_scratch_dir)) {
        perror(fuzz_scratch_dir);
        abort();
    }
    atexit(fuzz_scratch_cleanup);
    return fuzz_scratch_dir;
}

/* Writes data to SCRATCH/name (replacing it); returns the path (static). */
FUZZ_FN const char *fuzz_put(const char *name, const void *data, size_t size) {
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", fuzz_scratch(), name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    const char *p = data;
    while (size > 0) {
        ssize_t w = write(fd, p, size);
        if (w <= 0) {
            perror(path);
            abort();
        }
        p += w;
        size -= (size_t)w;
    }
    close(fd);
    return path;
}

/* Removes SCRATCH/name if present. */
FUZZ_FN void fuzz_drop(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", fuzz_scratch(), name);
    unlink(path);
}

/* Reads a fixture (path under the source tree) into a malloc'ed buffer;
 * aborts when missing (the target cannot run without it). */
FUZZ_FN char *fuzz_fixture(const char *rel, size_t *len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TP_SOURCE_DIR, rel);
    char *data;
    TpError err;
    if (tp_file_read(path, 64u << 20, &data, len, &err) != TP_OK) {
        fprintf(stderr, "fuzz: %s\n", err.msg);
        abort();
    }
    return data;
}

/* Copies a fixture to SCRATCH/name. */
FUZZ_FN void fuzz_put_fixture(const char *name, const char *rel) {
    size_t n;
    char *d = fuzz_fixture(rel, &n);
    fuzz_put(name, d, n);
    free(d);
}

/* Splits an input at the first occurrence of the 4-byte marker "\n##\n"
 * (a structure-aware form for targets that read two documents): *a is the
 * part before, *b the part after (empty when there is no marker). */
FUZZ_FN void fuzz_split(const uint8_t *data, size_t size, const uint8_t **a, size_t *na,
                       const uint8_t **b, size_t *nb) {
    static const char mark[] = "\n##\n";
    *a = data;
    *na = size;
    *b = data + size;
    *nb = 0;
    for (size_t i = 0; i + 4 <= size; i++) {
        if (!memcmp(data + i, mark, 4)) {
            *na = i;
            *b = data + i + 4;
            *nb = size - i - 4;
            return;
        }
    }
}

#endif
