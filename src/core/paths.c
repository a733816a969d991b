#include "tunepilot/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *nonempty_env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static TpStatus xdg_join(char *out, size_t size, const char *xdg_var, const char *home_rel,
                         const char *tail, TpError *err) {
    const char *base = nonempty_env(xdg_var);
    int n;
    if (base) {
        n = snprintf(out, size, "%s/tunepilot%s", base, tail);
    } else {
        const char *home = nonempty_env("HOME");
        if (!home)
            return tp_error_set(err, TP_EINVAL,
                                "neither %s nor HOME is set: cannot place tunepilot's files "
                                "(set %s or pass a path explicitly)",
                                xdg_var, xdg_var);
        n = snprintf(out, size, "%s/%s/tunepilot%s", home, home_rel, tail);
    }
    if (n < 0 || (size_t)n >= size)
        return tp_error_set(err, TP_EINVAL, "path under %s is too long", xdg_var);
    return TP_OK;
}

TpStatus tp_path_db(char *out, size_t size, const char *override, TpError *err) {
    const char *p = override && *override ? override : nonempty_env("TUNEPILOT_DB");
    if (p) {
        if (strlen(p) >= size)
            return tp_error_set(err, TP_EINVAL, "database path is too long: %s", p);
        strcpy(out, p);
        return TP_OK;
    }
    return xdg_join(out, size, "XDG_DATA_HOME", ".local/share", "/tunepilot.db", err);
}

TpStatus tp_path_config_dir(char *out, size_t size, TpError *err) {
    return xdg_join(out, size, "XDG_CONFIG_HOME", ".config", "", err);
}

TpStatus tp_mkdirs(const char *dir, TpError *err) {
    char buf[4096];
    if (strlen(dir) >= sizeof buf)
        return tp_error_set(err, TP_EINVAL, "directory path is too long: %s", dir);
    strcpy(buf, dir);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST)
                return tp_error_set(err, TP_EIO, "cannot create directory %s: %s", buf,
                                    strerror(errno));
            *p = c;
            if (c == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return tp_error_set(err, TP_EIO, "%s exists and is not a directory", dir);
    return TP_OK;
}

TpStatus tp_mkdirs_for_file(const char *path, TpError *err) {
    char buf[4096];
    if (strlen(path) >= sizeof buf)
        return tp_error_set(err, TP_EINVAL, "path is too long: %s", path);
    strcpy(buf, path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return TP_OK;
    *slash = '\0';
    return tp_mkdirs(buf, err);
}
