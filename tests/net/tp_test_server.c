/* tp_test_server.c - a scripted HTTP/1.1 server for the network tests.
 *
 * usage: tp_test_server SCRIPT [--log FILE] [--lifetime SECONDS]
 *
 * Binds 127.0.0.1 on an ephemeral port, prints the port on standard output,
 * and serves one connection at a time (Connection: close) until it has run
 * for --lifetime seconds (default 60; SIGALRM ends it), so a test that
 * forgets it cannot leave it behind for long.
 *
 * The script is a list of rules; a request gets the first rule that matches
 * it and has uses left (else a 404 whose message names the request):
 *
 *   on METHOD PATH        starts a rule; PATH without the query; a final *
 *                         matches any path with that prefix; METHOD * = any
 *   if-header NAME VALUE  the request must carry this header with this value
 *   if-query TEXT         the query string must contain TEXT
 *   times N               the rule answers at most N requests
 *   expect-key            answer 401 unless "Authorization: Bearer $TP_TEST_KEY"
 *   status CODE [REASON]
 *   header NAME: VALUE
 *   chunked               send the body with chunked transfer encoding
 *   body TEXT             a piece of body (escapes \n \r \t \\); in chunked
 *                         mode each piece is one chunk
 *   chunk TEXT            the same as body, and turns on chunked
 *   body-file FILE        a piece read from FILE (relative to the script)
 *   repeat N TEXT         a piece made of TEXT N times
 *   echo-header NAME      a piece holding the request's header NAME value
 *   delay MS              wait before the next piece (before the headers when
 *                         no piece was sent yet)
 *   stall MS              send nothing for MS ms (ends early if the client
 *                         goes away), then go on
 *   cut                   close the connection here (a cut stream)
 *   truncate N            announce the whole length but send only N bytes
 *   length N              announce Content-Length N
 *
 * --log FILE gets one block per request: the request line, a few headers
 * (authorization only as present/absent, never its value) and the body. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 128
#define MAX_ACTS 512
#define MAX_HEADERS 32
#define MAX_REQ_HEAD (256 * 1024)
#define MAX_REQ_BODY (64 * 1024 * 1024)

typedef enum { A_DATA, A_ECHO, A_DELAY, A_STALL, A_CUT } ActKind;

typedef struct Act {
    ActKind k;
    char *data;
    size_t len;
    long ms;
} Act;

typedef struct Rule {
    char method[16], path[1024];
    bool prefix;
    char if_name[128], if_value[1024];
    char if_query[512];
    bool expect_key;
    int times, used;
    int status;
    char reason[128];
    char *headers[MAX_HEADERS];
    int n_headers;
    Act acts[MAX_ACTS];
    int n_acts;
    bool chunked;
    long truncate, length;
} Rule;

static Rule *rules;
static int n_rules;
static FILE *log_file;

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "tp_test_server: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static char *unescape(const char *s, size_t *len) {
    char *o = xmalloc(strlen(s) + 1);
    size_t n = 0;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            o[n++] = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : *s;
        } else {
            o[n++] = *s;
        }
    }
    o[n] = '\0';
    *len = n;
    return o;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        die("%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = xmalloc((size_t)n + 1);
    if (n > 0 && fread(b, 1, (size_t)n, f) != (size_t)n)
        die("%s: short read", path);
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

static Act *add_act(Rule *r, ActKind k) {
    if (r->n_acts == MAX_ACTS)
        die("too many pieces in one rule");
    Act *a = &r->acts[r->n_acts++];
    memset(a, 0, sizeof *a);
    a->k = k;
    return a;
}

static void load_script(const char *path) {
    size_t len;
    char *text = read_file(path, &len);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    rules = calloc(MAX_RULES, sizeof *rules);
    Rule *r = NULL;
    int lineno = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        char *sp = strchr(line, ' ');
        char *arg = sp ? sp + 1 : line + strlen(line);
        if (sp)
            *sp = '\0';
        const char *d = line;
        if (!strcmp(d, "on")) {
            if (n_rules == MAX_RULES)
                die("too many rules");
            r = &rules[n_rules++];
            r->status = 200;
            r->truncate = r->length = -1;
            if (sscanf(arg, "%15s %1023s", r->method, r->path) != 2)
                die("%s:%d: expected: on METHOD PATH", path, lineno);
            size_t pl = strlen(r->path);
            if (pl && r->path[pl - 1] == '*') {
                r->prefix = true;
                r->path[pl - 1] = '\0';
            }
            continue;
        }
        if (!r)
            die("%s:%d: \"%s\" before any \"on\"", path, lineno, d);
        if (!strcmp(d, "status")) {
            char reason[128] = "";
            if (sscanf(arg, "%d %127[^\n]", &r->status, reason) < 1)
                die("%s:%d: expected: status CODE", path, lineno);
            snprintf(r->reason, sizeof r->reason, "%s", reason);
        } else if (!strcmp(d, "header")) {
            if (r->n_headers == MAX_HEADERS)
                die("too many headers");
            r->headers[r->n_headers++] = strdup(arg);
        } else if (!strcmp(d, "if-header")) {
            char *v = strchr(arg, ' ');
            if (!v)
                die("%s:%d: expected: if-header NAME VALUE", path, lineno);
            *v++ = '\0';
            snprintf(r->if_name, sizeof r->if_name, "%s", arg);
            snprintf(r->if_value, sizeof r->if_value, "%s", v);
        } else if (!strcmp(d, "if-query")) {
            snprintf(r->if_query, sizeof r->if_query, "%s", arg);
        } else if (!strcmp(d, "times")) {
            r->times = atoi(arg);
        } else if (!strcmp(d, "expect-key")) {
            r->expect_key = true;
        } else if (!strcmp(d, "chunked")) {
            r->chunked = true;
        } else if (!strcmp(d, "body") || !strcmp(d, "chunk")) {
            Act *a = add_act(r, A_DATA);
            a->data = unescape(arg, &a->len);
            if (!strcmp(d, "chunk"))
                r->chunked = true;
        } else if (!strcmp(d, "body-file")) {
            char p[8192];
            snprintf(p, sizeof p, "%s%s%s", arg[0] == '/' ? "" : dir, arg[0] == '/' ? "" : "/",
                     arg);
            Act *a = add_act(r, A_DATA);
            a->data = read_file(p, &a->len);
        } else if (!strcmp(d, "repeat")) {
            char *t = strchr(arg, ' ');
            if (!t)
                die("%s:%d: expected: repeat N TEXT", path, lineno);
            long times = atol(arg);
            size_t pl;
            char *piece = unescape(t + 1, &pl);
            Act *a = add_act(r, A_DATA);
            a->len = pl * (size_t)times;
            a->data = xmalloc(a->len + 1);
            for (long i = 0; i < times; i++)
                memcpy(a->data + (size_t)i * pl, piece, pl);
            a->data[a->len] = '\0';
            free(piece);
        } else if (!strcmp(d, "echo-header")) {
            Act *a = add_act(r, A_ECHO);
            a->data = strdup(arg);
        } else if (!strcmp(d, "delay") || !strcmp(d, "stall")) {
            Act *a = add_act(r, !strcmp(d, "delay") ? A_DELAY : A_STALL);
            a->ms = atol(arg);
        } else if (!strcmp(d, "cut")) {
            add_act(r, A_CUT);
        } else if (!strcmp(d, "truncate")) {
            r->truncate = atol(arg);
        } else if (!strcmp(d, "length")) {
            r->length = atol(arg);
        } else {
            die("%s:%d: unknown directive \"%s\"", path, lineno, d);
        }
    }
    free(text);
}

/* --- requests ------------------------------------------------------------------- */

typedef struct Req {
    char method[16], target[4096], path[4096], query[4096];
    char *head; /* the header block, lines NUL-separated after parsing */
    size_t head_len;
    char *body;
    size_t body_len;
} Req;

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static bool send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static bool sendf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool sendf(int fd, const char *fmt, ...) {
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return send_all(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Reads with a timeout; 0 on EOF or error. */
static ssize_t recv_some(int fd, char *buf, size_t n, int timeout_ms) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
        return 0;
    ssize_t k = recv(fd, buf, n, 0);
    return k < 0 ? 0 : k;
}

static const char *header(const Req *q, const char *name) {
    size_t n = strlen(name);
    const char *p = q->head;
    const char *end = q->head + q->head_len;
    while (p < end) {
        size_t l = strlen(p);
        if (l > n && !strncasecmp(p, name, n) && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            return v;
        }
        p += l + 1;
    }
    return NULL;
}

/* Reads a request; false when the client sent nothing usable. */
static bool read_request(int fd, Req *q) {
    memset(q, 0, sizeof *q);
    size_t cap = 65536, len = 0;
    char *buf = xmalloc(cap + 1);
    char *end = NULL;
    while (!end) {
        if (len == cap) {
            if (cap >= MAX_REQ_HEAD) {
                free(buf);
                return false;
            }
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        ssize_t k = recv_some(fd, buf + len, cap - len, 5000);
        if (k <= 0) {
            free(buf);
            return false;
        }
        len += (size_t)k;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    size_t head_len = (size_t)(end - buf) + 4;
    size_t extra = len - head_len;
    /* request line */
    char *nl = strstr(buf, "\r\n");
    *nl = '\0';
    if (sscanf(buf, "%15s %4095s", q->method, q->target) != 2) {
        free(buf);
        return false;
    }
    char *qm = strchr(q->target, '?');
    snprintf(q->path, sizeof q->path, "%.*s", qm ? (int)(qm - q->target) : (int)strlen(q->target),
             q->target);
    snprintf(q->query, sizeof q->query, "%s", qm ? qm + 1 : "");
    /* header lines, NUL-separated */
    q->head_len = (size_t)(end - (nl + 2));
    q->head = xmalloc(q->head_len + 1);
    memcpy(q->head, nl + 2, q->head_len);
    q->head[q->head_len] = '\0';
    for (size_t i = 0; i + 1 < q->head_len; i++)
        if (q->head[i] == '\r' && q->head[i + 1] == '\n')
            q->head[i] = q->head[i + 1] = '\0';
    const char *ex = header(q, "Expect");
    if (ex && !strncasecmp(ex, "100-continue", 12))
        sendf(fd, "HTTP/1.1 100 Continue\r\n\r\n");
    const char *cl = header(q, "Content-Length");
    const char *te = header(q, "Transfer-Encoding");
    size_t want = cl ? (size_t)atol(cl) : 0;
    if (want > MAX_REQ_BODY)
        want = MAX_REQ_BODY;
    if (te && !strncasecmp(te, "chunked", 7)) {
        /* read until the terminating chunk; decoded below */
        size_t bcap = extra + 65536, blen = extra;
        char *raw = xmalloc(bcap + 1);
        memcpy(raw, end + 4, extra);
        raw[blen] = '\0';
        while (!strstr(raw, "\r\n0\r\n\r\n") && strncmp(raw, "0\r\n\r\n", 5) &&
               blen < MAX_REQ_BODY) {
            if (blen == bcap) {
                bcap *= 2;
                raw = realloc(raw, bcap + 1);
            }
            ssize_t k = recv_some(fd, raw + blen, bcap - blen, 5000);
            if (k <= 0)
                break;
            blen += (size_t)k;
            raw[blen] = '\0';
        }
        q->body = xmalloc(blen + 1);
        size_t o = 0;
        for (char *p = raw; p < raw + blen;) {
            long n = strtol(p, NULL, 16);
            char *crlf = strstr(p, "\r\n");
            if (n <= 0 || !crlf)
                break;
            memcpy(q->body + o, crlf + 2, (size_t)n);
            o += (size_t)n;
            p = crlf + 2 + n + 2;
        }
        q->body[o] = '\0';
        q->body_len = o;
        free(raw);
    } else {
        q->body = xmalloc(want + 1);
        size_t have = extra < want ? extra : want;
        memcpy(q->body, end + 4, have);
        while (have < want) {
            ssize_t k = recv_some(fd, q->body + have, want - have, 5000);
            if (k <= 0)
                break;
            have += (size_t)k;
        }
        q->body[have] = '\0';
        q->body_len = have;
    }
    free(buf);
    return true;
}

static void log_request(const Req *q) {
    if (!log_file)
        return;
    fprintf(log_file, "%s %s\n", q->method, q->target);
    static const char *const shown[] = {
        "If-None-Match", "If-Modified-Since", "User-Agent", "Content-Type", "Accept", NULL};
    for (int i = 0; shown[i]; i++) {
        const char *v = header(q, shown[i]);
        if (v)
            fprintf(log_file, "  %s: %s\n", shown[i], v);
    }
    fprintf(log_file, "  authorization: %s\n", header(q, "Authorization") ? "present" : "absent");
    if (q->body_len) {
        fprintf(log_file, "  body: ");
        for (size_t i = 0; i < q->body_len && i < 65536; i++) {
            char c = q->body[i];
            if (c == '\n')
                fputs("\\n", log_file);
            else if (c == '\r')
                fputs("\\r", log_file);
            else
                fputc(c, log_file);
        }
        fputc('\n', log_file);
    }
    fflush(log_file);
}

static bool matches(Rule *r, const Req *q) {
    if (r->times > 0 && r->used >= r->times)
        return false;
    if (strcmp(r->method, "*") && strcmp(r->method, q->method))
        return false;
    if (r->prefix ? strncmp(q->path, r->path, strlen(r->path)) : strcmp(q->path, r->path))
        return false;
    if (r->if_name[0]) {
        const char *v = header(q, r->if_name);
        if (!v || strcmp(v, r->if_value))
            return false;
    }
    if (r->if_query[0] && !strstr(q->query, r->if_query))
        return false;
    return true;
}

/* Waits ms, or less when the client closes. False when it closed. */
static bool stall(int fd, long ms) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long gone = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (gone >= ms)
            return true;
        struct pollfd p = {fd, POLLIN, 0};
        int k = poll(&p, 1, (int)(ms - gone));
        if (k > 0) {
            char junk[4096];
            ssize_t n = recv(fd, junk, sizeof junk, 0);
            if (n <= 0)
                return false;
        }
    }
}

static void simple(int fd, int status, const char *reason, const char *body) {
    sendf(fd,
          "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
          "Connection: close\r\n\r\n%s",
          status, reason, strlen(body), body);
}

static void respond(int fd, Rule *r, const Req *q) {
    r->used++;
    if (r->expect_key) {
        const char *key = getenv("TP_TEST_KEY");
        const char *auth = header(q, "Authorization");
        char want[1024];
        snprintf(want, sizeof want, "Bearer %s", key ? key : "");
        if (!key || !auth || strcmp(auth, want)) {
            simple(fd, 401, "Unauthorized",
                   "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":"
                   "\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
            return;
        }
    }
    size_t total = 0;
    for (int i = 0; i < r->n_acts; i++) {
        const Act *a = &r->acts[i];
        if (a->k == A_DATA)
            total += a->len;
        else if (a->k == A_ECHO) {
            const char *v = header(q, a->data);
            total += v ? strlen(v) : 0;
        }
    }
    bool head_sent = false;
    size_t sent = 0;
    long limit = r->truncate;
    for (int i = 0; i <= r->n_acts; i++) {
        const Act *a = i < r->n_acts ? &r->acts[i] : NULL;
        if (a && (a->k == A_DELAY || a->k == A_STALL) && !head_sent) {
            if (a->k == A_DELAY)
                sleep_ms(a->ms);
            else if (!stall(fd, a->ms))
                return;
            continue;
        }
        if (!head_sent) {
            head_sent = true;
            sendf(fd, "HTTP/1.1 %d %s\r\n", r->status, r->reason[0] ? r->reason : "Status");
            for (int h = 0; h < r->n_headers; h++)
                sendf(fd, "%s\r\n", r->headers[h]);
            if (r->chunked)
                sendf(fd, "Transfer-Encoding: chunked\r\n");
            else if (r->status != 304 && r->status != 204)
                sendf(fd, "Content-Length: %ld\r\n", r->length >= 0 ? r->length : (long)total);
            if (!sendf(fd, "Connection: close\r\n\r\n"))
                return;
        }
        if (!a)
            break;
        const char *data = NULL;
        size_t len = 0;
        switch (a->k) {
        case A_DATA:
            data = a->data;
            len = a->len;
            break;
        case A_ECHO:
            data = header(q, a->data);
            len = data ? strlen(data) : 0;
            break;
        case A_DELAY:
            sleep_ms(a->ms);
            continue;
        case A_STALL:
            if (!stall(fd, a->ms))
                return;
            continue;
        case A_CUT:
            return;
        }
        if (limit >= 0 && sent + len > (size_t)limit) {
            send_all(fd, data, (size_t)limit - sent);
            return; /* truncated: close before the announced length */
        }
        bool ok = r->chunked ? sendf(fd, "%zx\r\n", len) && send_all(fd, data, len) &&
                                   send_all(fd, "\r\n", 2)
                             : send_all(fd, data, len);
        if (!ok)
            return;
        sent += len;
    }
    if (r->chunked && r->status != 304)
        send_all(fd, "0\r\n\r\n", 5);
}

static void serve(int fd) {
    Req q;
    if (!read_request(fd, &q))
        return;
    log_request(&q);
    Rule *r = NULL;
    for (int i = 0; i < n_rules && !r; i++)
        if (matches(&rules[i], &q))
            r = &rules[i];
    if (r) {
        respond(fd, r, &q);
    } else {
        char body[8400];
        snprintf(body, sizeof body, "{\"error\":{\"message\":\"no rule for %s %s\"}}", q.method,
                 q.path);
        simple(fd, 404, "Not Found", body);
    }
    free(q.head);
    free(q.body);
}

int main(int argc, char **argv) {
    const char *script = NULL, *log_path = NULL;
    long lifetime = 60;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--log") && i + 1 < argc)
            log_path = argv[++i];
        else if (!strcmp(argv[i], "--lifetime") && i + 1 < argc)
            lifetime = atol(argv[++i]);
        else if (!script)
            script = argv[i];
        else
            die("usage: tp_test_server SCRIPT [--log FILE] [--lifetime SECONDS]");
    }
    if (!script)
        die("usage: tp_test_server SCRIPT [--log FILE] [--lifetime SECONDS]");
    load_script(script);
    if (log_path && !(log_file = fopen(log_path, "a")))
        die("%s: %s", log_path, strerror(errno));
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)(lifetime > 0 ? lifetime : 60));
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(s, (struct sockaddr *)&addr, sizeof addr) || listen(s, 64))
        die("cannot listen on 127.0.0.1: %s", strerror(errno));
    socklen_t al = sizeof addr;
    getsockname(s, (struct sockaddr *)&addr, &al);
    printf("%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            die("accept: %s", strerror(errno));
        }
        serve(c);
        shutdown(c, SHUT_WR);
        close(c);
    }
}
