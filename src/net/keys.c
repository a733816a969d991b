/* keys.c - API keys from the environment, and which host gets which key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tunepilot/arena.h"
#include "tunepilot/buf.h"
#include "tunepilot/net.h"

extern char **environ;

/* The host of url (no port, no user info), lower case, into out. */
static void url_host(const char *url, char *out, size_t size) {
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *end = p + strcspn(p, "/?#");
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at)
        p = at + 1;
    size_t n = 0;
    if (*p == '[') { /* IPv6 literal */
        const char *close = memchr(p, ']', (size_t)(end - p));
        end = close ? close + 1 : end;
    } else {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (colon)
            end = colon;
    }
    for (; p < end && n + 1 < size; p++)
        out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    out[n] = '\0';
}

bool net_url_is_loopback(const char *url) {
    if (!url)
        return false;
    char host[256];
    url_host(url, host, sizeof host);
    if (!strcmp(host, "localhost") || !strcmp(host, "[::1]"))
        return true;
    /* 127.0.0.0/8 as a dotted quad */
    int a, b, c, d;
    char tail;
    return sscanf(host, "%d.%d.%d.%d%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b >= 0 &&
           b <= 255 && c >= 0 && c <= 255 && d >= 0 && d <= 255 &&
           strspn(host, "0123456789.") == strlen(host);
}

bool net_url_may_carry_key(const char *url) {
    if (!url)
        return false;
    if (!strncasecmp(url, "https://", 8))
        return true;
    return !strncasecmp(url, "http://", 7) && net_url_is_loopback(url);
}

const char *net_default_key_env(const char *url) {
    if (!url)
        return NULL;
    if (strncasecmp(url, "https://", 8))
        return NULL; /* a default key never travels in clear text */
    char host[256];
    url_host(url, host, sizeof host);
    if (!strcmp(host, "api.openai.com"))
        return "OPENAI_API_KEY";
    if (!strcmp(host, "api.together.xyz") || !strcmp(host, "api.together.ai"))
        return "TOGETHER_API_KEY";
    return NULL;
}

TpStatus net_api_key(const char *env_name, bool required, const char **key, TpError *err) {
    *key = NULL;
    if (!env_name || !*env_name) {
        if (required)
            return tp_error_set(err, TP_EINVAL,
                                "no API key: name the variable that holds it "
                                "with --api-key-env NAME");
        return TP_OK;
    }
    for (const char *c = env_name; *c; c++) {
        bool ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || *c == '_' ||
                  (c > env_name && *c >= '0' && *c <= '9');
        if (!ok)
            /* not echoed: a key pasted here by mistake must not reach the screen */
            return tp_error_set(err, TP_EINVAL,
                                "--api-key-env: expected the name of an environment variable "
                                "(letters, digits and _); the key itself goes in that "
                                "variable, never on the command line");
    }
    const char *v = getenv(env_name);
    if (!v || !*v) {
        if (required)
            return tp_error_set(err, TP_EINVAL,
                                "no API key: the environment variable %s is not set (export "
                                "%s=..., or name another with --api-key-env NAME)",
                                env_name, env_name);
        return TP_OK;
    }
    *key = v;
    return TP_OK;
}

bool net_env_is_secret(const char *name) {
    static const char *const PARTS[] = {"KEY",    "APIKEY",     "TOKEN",       "SECRET",
                                        "SECRETS", "PASSWORD", "PASSWD",      "CREDENTIAL",
                                        "CREDENTIALS", NULL};
    if (!name)
        return false;
    const char *p = name;
    while (*p && *p != '=') {
        size_t n = strcspn(p, "_=");
        for (int i = 0; PARTS[i]; i++)
            if (strlen(PARTS[i]) == n && !strncasecmp(p, PARTS[i], n))
                return true;
        p += n;
        if (*p == '_')
            p++;
    }
    return false;
}

char **net_secret_values(void) {
    int n = 0, cap = 8;
    char **v = tp_xmalloc((size_t)cap * sizeof *v);
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || !net_env_is_secret(*e) || strlen(eq + 1) < NET_SECRET_MIN_LEN)
            continue;
        bool dup = false;
        for (int i = 0; i < n && !dup; i++)
            dup = !strcmp(v[i], eq + 1);
        if (dup)
            continue;
        if (n + 1 >= cap) {
            cap *= 2;
            v = tp_xrealloc(v, (size_t)cap * sizeof *v);
        }
        v[n++] = tp_xstrdup(eq + 1);
    }
    v[n] = NULL;
    return v;
}

void net_secrets_free(char **v) {
    for (char **p = v; p && *p; p++) {
        memset(*p, 0, strlen(*p));
        free(*p);
    }
    free(v);
}

char *net_redact_all(const char *s, size_t len, char *const *secrets, size_t *out_len) {
    TpBuf b;
    tp_buf_init(&b);
    size_t i = 0, from = 0;
    while (i < len) {
        size_t hit = 0;
        for (char *const *k = secrets; k && *k && !hit; k++) {
            size_t kl = strlen(*k);
            if (kl && kl <= len - i && !memcmp(s + i, *k, kl))
                hit = kl;
        }
        if (hit) {
            tp_buf_append(&b, s + from, i - from);
            tp_buf_puts(&b, "[REDACTED]");
            i += hit;
            from = i;
        } else {
            i++;
        }
    }
    tp_buf_append(&b, s + from, len - from);
    if (out_len)
        *out_len = b.len;
    if (!b.data)
        return tp_xstrdup("");
    return tp_buf_take(&b);
}
