/* Fuzz target: answers from an OpenAI-compatible endpoint. The input is a
 * Server-Sent Events stream, fed to the incremental parser (net_sse) in
 * slices whose sizes come from the input's first byte (any slicing must
 * give the same events), each event's data going to the probe's
 * chat-completion chunk reader (probe_stream_data) and to the provider
 * error-message reader (net_provider_message). Checked: slicing does not
 * change the events; the probe's counters stay sane. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tunepilot/net.h"
#include "tunepilot/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Seen {
    ProbeStream ps;
    uint64_t hash; /* of every event name and data, in order */
    long long n;
} Seen;

static uint64_t mix(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull;
}

static int on_event(void *ctx, const char *event, const char *d, size_t len) {
    Seen *s = ctx;
    if (strlen(d) > len)
        abort(); /* data is NUL-terminated at len (it may hold NULs itself) */
    s->hash = mix(mix(s->hash, event, strlen(event)), d, len);
    s->n++;
    char msg[200];
    net_provider_message(d, len, msg, sizeof msg);
    if (strlen(msg) >= sizeof msg)
        abort();
    (void)probe_stream_data(&s->ps, d, len, 1000.0 + (double)s->n);
    return 0; /* read everything, so both slicings see the same events */
}

static void parse(const uint8_t *d, size_t n, size_t step, Seen *s) {
    memset(s, 0, sizeof *s);
    probe_stream_init(&s->ps, 1000.0);
    NetSse p;
    net_sse_init(&p, on_event, s);
    for (size_t i = 0; i < n; i += step)
        net_sse_feed(&p, (const char *)d + i, n - i < step ? n - i : step);
    net_sse_finish(&p);
    net_sse_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    size_t step = 1 + data[0] % 7;
    data++;
    size--;
    Seen whole, sliced;
    parse(data, size, size ? size : 1, &whole);
    parse(data, size, step, &sliced);
    if (whole.n != sliced.n || whole.hash != sliced.hash)
        abort();
    if (whole.ps.content_chunks < 0 || whole.ps.content_chunks > whole.n)
        abort();
    return 0;
}
