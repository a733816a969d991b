/* wrap.c - see wrap.h. */
#include "tui/wrap.h"

#include <stdlib.h>
#include <string.h>

#include "tui/textfit.h"

int text_wrap_line(const char *s, int width, int *next) {
    if (width < 1)
        width = 1;
    int used = 0, i = 0, brk = -1;
    bool cut = false;
    while (s[i] && s[i] != '\n') {
        unsigned cp;
        int len = text_utf8_decode(s + i, &cp, NULL);
        int w = text_cp_width(cp);
        if (cp == ' ') {
            brk = i; /* the line may end here; spaces never overflow it */
        } else if (used + w > width) {
            cut = true;
            break;
        }
        used += w;
        i += len;
    }
    int end = i, n = i;
    if (cut && brk > 0) { /* back to the last space; the next line starts after the spaces */
        end = brk;
        n = brk;
        while (s[n] == ' ')
            n++;
    } else if (cut && i == 0) { /* a character wider than the line: alone */
        unsigned cp;
        end = n = text_utf8_decode(s, &cp, NULL);
    } else if (!cut && s[i] == '\n') {
        n = i + 1;
    }
    while (end > 0 && s[end - 1] == ' ')
        end--;
    if (next)
        *next = n;
    return end;
}

int text_wrap_rows(const char *s, int width) {
    if (!s || !*s)
        return 1;
    int rows = 0;
    for (int off = 0; s[off];) {
        int next;
        text_wrap_line(s + off, width, &next);
        off += next;
        rows++;
    }
    return rows;
}

int table_columns(const TableCol *cols, int n, int width, int *widths) {
    int order[64], m = n < 64 ? n : 64;
    for (int i = 0; i < m; i++)
        order[i] = i;
    for (int i = 1; i < m; i++) /* stable insertion sort by priority */
        for (int k = i; k > 0 && cols[order[k]].priority < cols[order[k - 1]].priority; k--) {
            int t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    for (int i = 0; i < n; i++)
        widths[i] = 0;
    int used = 0, shown = 0;
    for (int k = 0; k < m; k++) {
        int i = order[k], need = cols[i].width + (shown ? 1 : 0);
        if (cols[i].width <= 0 || used + need > width)
            continue;
        widths[i] = cols[i].width;
        used += need;
        shown++;
    }
    for (int k = 0; k < m && used < width; k++) {
        int i = order[k];
        if (!widths[i] || cols[i].max <= widths[i])
            continue;
        int grow = cols[i].max - widths[i] < width - used ? cols[i].max - widths[i] : width - used;
        widths[i] += grow;
        used += grow;
    }
    return shown;
}

void table_cell(char *line, size_t size, const char *text, int w, bool right, bool ascii) {
    size_t n = strlen(line);
    if (n && n + 1 < size)
        line[n++] = ' ', line[n] = '\0';
    text_fit(text, w, ascii, right, line + n, size - n);
}

long base64_encode(const void *in, size_t n, char *out, size_t size) {
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t need = (n + 2) / 3 * 4 + 1;
    if (!out || size < need) {
        if (out && size)
            out[0] = '\0';
        return -1;
    }
    const unsigned char *p = in;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = A[(v >> 18) & 63];
        out[o++] = A[(v >> 12) & 63];
        out[o++] = i + 1 < n ? A[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? A[v & 63] : '=';
    }
    out[o] = '\0';
    return (long)o;
}

char *osc52_sequence(const char *text, size_t n) {
    size_t b64 = (n + 2) / 3 * 4 + 1;
    char *s = malloc(b64 + 16);
    if (!s)
        abort();
    memcpy(s, "\033]52;c;", 7);
    base64_encode(text, n, s + 7, b64);
    size_t len = strlen(s);
    s[len] = '\a';
    s[len + 1] = '\0';
    return s;
}
