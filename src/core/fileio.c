/* fileio.c - whole-file reads, and the one temp-file helper behind every
 * write, copy and staged folder (see fileio.h). */
#define _GNU_SOURCE /* renameat2 and RENAME_EXCHANGE (glibc 2.28 and later) */
#include "tunepilot/limits.h"
#include "tunepilot/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "tunepilot/arena.h"
#include "tunepilot/fault.h"

#define TEMP_TRIES 1000

TpStatus tp_file_read(const char *path, size_t max_bytes, char **data, size_t *len, TpError *err) {
    *data = NULL;
    if (len)
        *len = 0;
    /* Regular files only (standard input and a shell's /dev/fd/N streams
     * aside, which the user names on purpose): opened with O_NONBLOCK so
     * that a FIFO or device put where a file belongs cannot block the open,
     * then refused by its type before any read. */
    bool in = !strcmp(path, "/dev/stdin") || !strncmp(path, "/dev/fd/", 8);
    int fd = open(path, O_RDONLY | O_CLOEXEC | (in ? 0 : O_NONBLOCK));
    if (fd < 0)
        return tp_error_set(err, errno == ENOENT ? TP_ENOTFOUND : TP_EIO, "%s: cannot open: %s",
                            path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return tp_error_set(err, TP_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!in && !S_ISREG(st.st_mode)) {
        close(fd);
        const char *kind = S_ISDIR(st.st_mode)    ? "a directory"
                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                           : S_ISSOCK(st.st_mode) ? "a socket"
                           : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                        : "not a regular file";
        return tp_error_set(err, TP_EINVAL, "%s: is %s, expected a regular file", path, kind);
    }
    if (!in)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (!in && (uint64_t)st.st_size > max_bytes) { /* before reading or allocating */
        close(fd);
        return tp_error_set(err, TP_EINVAL, "%s: larger than the %zu-byte limit", path,
                            max_bytes);
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return tp_error_set(err, TP_EIO, "%s: cannot open: %s", path, strerror(errno));
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

/* --- temp files ---------------------------------------------------------------------------- */

static unsigned g_temp_seq;

/* Atomic: temp files are made from several threads (O_EXCL already keeps two
 * names from colliding; this keeps the counter itself free of a data race). */
static unsigned next_seq(void) {
    return __atomic_fetch_add(&g_temp_seq, 1u, __ATOMIC_RELAXED);
}

/* fsync of the folder that holds path; 0 or an errno value (EINVAL, a file
 * system without folder fsync, counts as done). */
static int sync_parent(const char *path) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno;
    int e = fsync(dfd) != 0 && errno != EINVAL ? errno : 0;
    close(dfd);
    return e;
}

static TpStatus temp_name(const char *path, unsigned seq, char *tmp, size_t size, TpError *err) {
    int n = snprintf(tmp, size, "%s.tmp.%ld.%u", path, (long)getpid(), seq);
    if (n < 0 || (size_t)n >= size)
        return tp_error_set(err, TP_EINVAL, "path is too long: %s", path);
    return TP_OK;
}

int tp_temp_open(const char *path, char *tmp, size_t size, TpError *err) {
    for (int i = 0; i < TEMP_TRIES; i++) {
        if (temp_name(path, next_seq(), tmp, size, err) != TP_OK)
            return -1;
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST) {
            tp_error_set(err, TP_EIO, "%s: cannot create: %s", tmp, strerror(errno));
            return -1;
        }
        /* a leftover or a planted file or link of that name: never reused */
    }
    tp_error_set(err, TP_EIO, "%s: cannot create a temp file beside it: %d names taken", path,
                 TEMP_TRIES);
    return -1;
}

TpStatus tp_fd_write_all(int fd, const void *data, size_t len, const char *name, TpError *err) {
    const char *p = data;
    while (len > 0) {
        int e = tp_fault_hit(TP_FAULT_WRITE);
        ssize_t w = -1;
        if (e)
            errno = e;
        else
            w = write(fd, p, len > (1u << 30) ? (1u << 30) : len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return tp_error_set(err, TP_EIO, "%s: cannot write: %s", name,
                                w == 0 ? "no progress" : strerror(errno));
        p += w;
        len -= (size_t)w;
    }
    return TP_OK;
}

void tp_temp_discard(int fd, const char *tmp) {
    if (fd >= 0)
        close(fd);
    if (tmp && *tmp)
        unlink(tmp);
}

TpStatus tp_temp_commit(int fd, const char *tmp, const char *path, TpError *err) {
    int e = tp_fault_hit(TP_FAULT_FSYNC);
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e && errno != EINTR)
        e = errno;
    if (e) {
        unlink(tmp);
        return tp_error_set(err, TP_EIO, "%s: cannot write to disk: %s (the previous file, if "
                            "any, is kept)", path, strerror(e));
    }
    e = tp_fault_hit(TP_FAULT_RENAME);
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        return tp_error_set(err, TP_EIO, "%s: cannot rename into place: %s", path, strerror(e));
    }
    e = tp_fault_hit(TP_FAULT_DIRSYNC);
    if (!e)
        e = sync_parent(path);
    if (e)
        return tp_error_set(err, TP_EIO, "%s: written, but its folder cannot be flushed to disk: %s",
                            path, strerror(e));
    return TP_OK;
}

TpStatus tp_file_write_atomic(const char *path, const void *data, size_t len, TpError *err) {
    char tmp[PATH_MAX];
    int fd = tp_temp_open(path, tmp, sizeof tmp, err);
    if (fd < 0)
        return err ? err->code : TP_EIO;
    TpStatus st = tp_fd_write_all(fd, data, len, path, err);
    if (st != TP_OK) {
        tp_temp_discard(fd, tmp);
        return st;
    }
    return tp_temp_commit(fd, tmp, path, err);
}

/* --- copies ------------------------------------------------------------------------------- */

/* Opens src for a copy: O_NOFOLLOW (a link only when it resolves inside
 * link_root), a regular file outside /proc and /sys. */
static int open_source(const char *src, const char *link_root, TpError *err) {
    const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
    int fd = open(src, flags);
    if (fd < 0 && errno == ELOOP) {
        char real[PATH_MAX], root[PATH_MAX];
        if (!link_root)
            return tp_error_set(err, TP_EINVAL,
                                "%s: is a symbolic link; only regular files are copied (replace "
                                "the link by the file itself)",
                                src),
                   -1;
        if (!realpath(src, real))
            return tp_error_set(err, TP_EINVAL, "%s: a symbolic link that cannot be resolved: %s",
                                src, strerror(errno)),
                   -1;
        if (!realpath(link_root, root))
            return tp_error_set(err, TP_EIO, "%s: cannot resolve: %s", link_root, strerror(errno)),
                   -1;
        size_t n = strlen(root);
        bool inside = !strncmp(real, root, n) && (real[n] == '/' || (n == 1 && root[0] == '/'));
        if (!inside)
            return tp_error_set(err, TP_EINVAL,
                                "%s: is a symbolic link to %s, outside %s; only files inside the "
                                "model's own folder are copied",
                                src, real, root),
                   -1;
        fd = open(real, flags);
    }
    if (fd < 0)
        return tp_error_set(err, errno == ENOENT ? TP_ENOTFOUND : TP_EIO, "%s: cannot open: %s",
                            src, strerror(errno)),
               -1;
    struct stat st;
    struct statfs fs;
    const char *why = NULL;
    if (fstat(fd, &st) != 0)
        why = strerror(errno);
    else if (S_ISDIR(st.st_mode))
        why = "is a directory";
    else if (S_ISFIFO(st.st_mode))
        why = "is a FIFO";
    else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        why = "is a device";
    else if (S_ISSOCK(st.st_mode))
        why = "is a socket";
    else if (!S_ISREG(st.st_mode))
        why = "is not a regular file";
    else if (fstatfs(fd, &fs) == 0 && (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC))
        why = "is a file of /proc or /sys";
    if (why) {
        close(fd);
        return tp_error_set(err, TP_EINVAL, "%s: %s; only regular files are copied", src, why),
               -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

TpStatus tp_file_copy(const char *src, const char *dst, const char *link_root, TpError *err) {
    int in = open_source(src, link_root, err);
    if (in < 0)
        return err ? err->code : TP_EINVAL;
    char tmp[PATH_MAX];
    int out = tp_temp_open(dst, tmp, sizeof tmp, err);
    if (out < 0) {
        close(in);
        return err ? err->code : TP_EIO;
    }
    TpStatus st = TP_OK;
    char *buf = tp_xmalloc(1u << 16);
    for (;;) {
        ssize_t r = read(in, buf, 1u << 16);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            st = tp_error_set(err, TP_EIO, "%s: cannot read: %s", src, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        st = tp_fd_write_all(out, buf, (size_t)r, dst, err);
        if (st != TP_OK)
            break;
    }
    free(buf);
    close(in);
    if (st != TP_OK) {
        tp_temp_discard(out, tmp);
        return st;
    }
    return tp_temp_commit(out, tmp, dst, err);
}

FILE *tp_file_open_append(const char *path, TpError *err) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
                            O_NOCTTY,
                  0644);
    if (fd < 0) {
        tp_error_set(err, TP_EIO, "%s: cannot open for writing: %s", path,
                     errno == ELOOP ? "it is a symbolic link (never written through)"
                                    : strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        tp_error_set(err, TP_EIO, "%s: not a regular file; refusing to write to it", path);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "a");
    if (!f) {
        tp_error_set(err, TP_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

/* --- removal ------------------------------------------------------------------------------ */

/* Removes name relative to dfd without following links; 0 or an errno. */
static int remove_at(int dfd, const char *name, int depth) {
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : errno;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dfd, name, 0) == 0 || errno == ENOENT ? 0 : errno;
    if (depth >= TP_MAX_TREE_DEPTH)
        return ELOOP;
    /* removing while reading a folder may skip entries: read it again until
     * a pass finds nothing left */
    for (int pass = 0; pass < 8; pass++) {
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return errno == ENOENT ? 0 : errno;
        DIR *d = fdopendir(fd);
        if (!d) {
            int e = errno;
            close(fd);
            return e;
        }
        int e = 0, seen = 0;
        struct dirent *de;
        while (!e && (de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            seen++;
            e = remove_at(dirfd(d), de->d_name, depth + 1);
        }
        closedir(d);
        if (e)
            return e;
        if (unlinkat(dfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
            return 0;
        if (errno != ENOTEMPTY && errno != EEXIST)
            return errno;
        if (!seen)
            return ENOTEMPTY;
    }
    return ENOTEMPTY;
}

TpStatus tp_remove_tree(const char *path, TpError *err) {
    int e = remove_at(AT_FDCWD, path, 0);
    if (e)
        return tp_error_set(err, TP_EIO, "%s: cannot remove: %s", path,
                            e == ELOOP ? "folders nested too deep" : strerror(e));
    return TP_OK;
}

/* --- staged folders -------------------------------------------------------------------------- */

TpStatus tp_temp_dir(const char *path, char *tmp, size_t size, TpError *err) {
    for (int i = 0; i < TEMP_TRIES; i++) {
        TpStatus st = temp_name(path, next_seq(), tmp, size, err);
        if (st != TP_OK)
            return st;
        if (mkdir(tmp, 0755) == 0)
            return TP_OK;
        if (errno != EEXIST)
            return tp_error_set(err, TP_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    }
    return tp_error_set(err, TP_EIO, "%s: cannot create a staging folder beside it", path);
}

TpStatus tp_temp_dir_commit(const char *tmp, const char *path, TpError *err) {
    int e = tp_fault_hit(TP_FAULT_FSYNC);
    if (!e) {
        int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0 || (fsync(dfd) != 0 && errno != EINVAL))
            e = errno;
        if (dfd >= 0)
            close(dfd);
    }
    if (!e)
        e = tp_fault_hit(TP_FAULT_RENAME);
    bool exchanged = false;
    if (!e && rename(tmp, path) != 0) {
        e = errno;
        if (e == ENOTEMPTY || e == EEXIST || e == EISDIR || e == ENOTDIR) {
            /* path exists: swap the two in one step, then remove the old */
            e = renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0 ? 0 : errno;
            exchanged = e == 0;
        }
    }
    if (e) {
        tp_remove_tree(tmp, NULL);
        return tp_error_set(err, TP_EIO, "%s: cannot put the new folder in place: %s", path,
                            strerror(e));
    }
    e = tp_fault_hit(TP_FAULT_DIRSYNC);
    if (!e)
        e = sync_parent(path);
    TpError rm = {0};
    if (exchanged && tp_remove_tree(tmp, &rm) != TP_OK && !e)
        return tp_error_set(err, TP_EIO, "%s: in place, but the old copy was not removed: %s",
                            path, rm.msg);
    if (e)
        return tp_error_set(err, TP_EIO, "%s: written, but its folder cannot be flushed to disk: %s",
                            path, strerror(e));
    return TP_OK;
}

TpStatus tp_temp_dir_move_into(const char *tmp, const char *path, TpError *err) {
    DIR *d = opendir(tmp);
    if (!d)
        return tp_error_set(err, TP_EIO, "%s: cannot read: %s", tmp, strerror(errno));
    TpStatus st = TP_OK;
    struct dirent *de;
    while (st == TP_OK && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char from[PATH_MAX], to[PATH_MAX];
        snprintf(from, sizeof from, "%s/%s", tmp, de->d_name);
        int n = snprintf(to, sizeof to, "%s/%s", path, de->d_name);
        int e = n < 0 || (size_t)n >= sizeof to ? ENAMETOOLONG : tp_fault_hit(TP_FAULT_RENAME);
        if (!e && rename(from, to) != 0)
            e = errno;
        if (e)
            st = tp_error_set(err, TP_EIO, "%s: cannot put in place: %s", to, strerror(e));
    }
    closedir(d);
    int e = st == TP_OK ? tp_fault_hit(TP_FAULT_DIRSYNC) : 0;
    if (st == TP_OK) {
        char probe[PATH_MAX];
        snprintf(probe, sizeof probe, "%s/.", path);
        e = e ? e : sync_parent(probe);
        if (e)
            st = tp_error_set(err, TP_EIO, "%s: cannot flush to disk: %s", path, strerror(e));
    }
    tp_remove_tree(tmp, NULL);
    return st;
}

/* --- stale temp files -------------------------------------------------------------------------- */

static bool all_digits(const char *s, size_t n) {
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int tp_temp_name_pid(const char *name, long *pid) {
    for (const char *p = strstr(name, ".tmp."); p; p = strstr(p + 1, ".tmp.")) {
        if (p == name)
            continue;
        const char *a = p + 5, *dot = strchr(a, '.');
        size_t na = dot ? (size_t)(dot - a) : strlen(a);
        if (!all_digits(a, na))
            continue;
        if (dot && !all_digits(dot + 1, strlen(dot + 1)))
            continue;
        if (pid)
            *pid = strtol(a, NULL, 10);
        return 1;
    }
    return 0;
}

TpStatus tp_sweep_temps(const char *dir, int *removed, TpError *err) {
    if (removed)
        *removed = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? TP_OK
                               : tp_error_set(err, TP_EIO, "%s: cannot read: %s", dir,
                                              strerror(errno));
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return tp_error_set(err, TP_EIO, "%s: cannot read: %s", dir, strerror(errno));
    }
    TpStatus st = TP_OK;
    struct dirent *de;
    long self = (long)getpid();
    while ((de = readdir(d)) != NULL) {
        long pid = 0;
        if (!tp_temp_name_pid(de->d_name, &pid) || pid <= 0 || pid == self || pid > INT_MAX)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* its writer may still run */
        int e = remove_at(dirfd(d), de->d_name, 0);
        if (e && st == TP_OK)
            st = tp_error_set(err, TP_EIO, "%s/%s: cannot remove a stale temp file: %s", dir,
                              de->d_name, strerror(e));
        else if (!e && removed)
            (*removed)++;
    }
    closedir(d);
    return st;
}
