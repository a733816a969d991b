#include "tunepilot/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tunepilot/arena.h"

TpStatus tp_file_read(const char *path, size_t max_bytes, char **data, size_t *len, TpError *err) {
    *data = NULL;
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tp_error_set(err, errno == ENOENT ? TP_ENOTFOUND : TP_EIO, "%s: cannot open: %s",
                            path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return tp_error_set(err, TP_EINVAL, "%s: is a directory, expected a file", path);
    }
    size_t cap = 65536, n = 0;
    char *buf = tp_xmalloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if (cap >= max_bytes) {
                if (fgetc(f) == EOF)
                    break; /* exactly max_bytes long: allowed */
                free(buf);
                fclose(f);
                return tp_error_set(err, TP_EINVAL, "%s: larger than the %zu-byte limit", path,
                                    max_bytes);
            }
            cap = cap * 2 > max_bytes ? max_bytes : cap * 2;
            buf = tp_xrealloc(buf, cap + 1);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return tp_error_set(err, TP_EIO, "%s: read error", path);
    }
    if (n > max_bytes) {
        free(buf);
        return tp_error_set(err, TP_EINVAL, "%s: larger than the %zu-byte limit", path, max_bytes);
    }
    buf[n] = '\0';
    *data = buf;
    if (len)
        *len = n;
    return TP_OK;
}

TpStatus tp_file_write_atomic(const char *path, const void *data, size_t len, TpError *err) {
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return tp_error_set(err, TP_EINVAL, "path is too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return tp_error_set(err, TP_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            return tp_error_set(err, TP_EIO, "%s: write failed: %s", tmp, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return tp_error_set(err, TP_EIO, "%s: cannot flush: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return tp_error_set(err, TP_EIO, "%s: cannot rename into place: %s", path, strerror(e));
    }
    char dir[4096];
    strcpy(dir, path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        strcpy(dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return TP_OK;
}
