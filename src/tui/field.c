/* field.c - the workbench's line editor and picker (field.h). */
#include "tui/field.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tunepilot/text.h"
#include "tunepilot/utf8.h"

void field_begin(FieldEdit *e, const char *current) {
    memset(e, 0, sizeof *e);
    e->active = true;
    snprintf(e->text, sizeof e->text, "%s", current ? current : "");
    snprintf(e->old, sizeof e->old, "%s", e->text);
    e->cursor = (int)strlen(e->text);
    e->fresh = true;
}

void field_end(FieldEdit *e) {
    e->active = false;
    e->message[0] = '\0';
}

void field_fail(FieldEdit *e, const char *message) {
    snprintf(e->message, sizeof e->message, "%s", message ? message : "refused");
    e->fresh = false;
}

static int prev_char(const char *s, int at) {
    if (at <= 0)
        return 0;
    at--;
    while (at > 0 && tp_utf8_is_cont((unsigned char)s[at]))
        at--;
    return at;
}

static int next_char(const char *s, int at) {
    int n = (int)strlen(s);
    if (at >= n)
        return n;
    at++;
    while (at < n && tp_utf8_is_cont((unsigned char)s[at]))
        at++;
    return at;
}

static void erase(FieldEdit *e, int from, int to) {
    if (to <= from)
        return;
    memmove(e->text + from, e->text + to, strlen(e->text + to) + 1);
    e->cursor = from;
}

FieldResult field_key(FieldEdit *e, int key) {
    e->message[0] = '\0';
    bool fresh = e->fresh;
    e->fresh = false;
    int n = (int)strlen(e->text);
    switch (key) {
    case FIELD_KEY_ENTER:
    case '\r':
        return FIELD_COMMIT;
    case FIELD_KEY_ESCAPE:
        snprintf(e->text, sizeof e->text, "%s", e->old);
        e->cursor = (int)strlen(e->text);
        return FIELD_CANCEL;
    case FIELD_KEY_BACKSPACE:
    case 127:
        erase(e, prev_char(e->text, e->cursor), e->cursor);
        return FIELD_EDITING;
    case FIELD_KEY_DELETE:
        erase(e, e->cursor, next_char(e->text, e->cursor));
        return FIELD_EDITING;
    case FIELD_KEY_CLEAR:
        e->text[0] = '\0';
        e->cursor = 0;
        return FIELD_EDITING;
    case FIELD_KEY_LEFT:
        e->cursor = prev_char(e->text, e->cursor);
        return FIELD_EDITING;
    case FIELD_KEY_RIGHT:
        e->cursor = next_char(e->text, e->cursor);
        return FIELD_EDITING;
    case FIELD_KEY_HOME:
        e->cursor = 0;
        return FIELD_EDITING;
    case FIELD_KEY_END:
        e->cursor = n;
        return FIELD_EDITING;
    }
    if (key < 0x20 || key == 0x7f || key > 0xff) {
        e->fresh = fresh; /* swallowed: nothing changed */
        return FIELD_EDITING;
    }
    if (fresh) {
        e->text[0] = '\0';
        e->cursor = n = 0;
    }
    if (n + 1 >= (int)sizeof e->text)
        return FIELD_EDITING;
    memmove(e->text + e->cursor + 1, e->text + e->cursor, (size_t)(n - e->cursor) + 1);
    e->text[e->cursor++] = (char)key;
    return FIELD_EDITING;
}

void field_display(const FieldEdit *e, char *out, size_t size) {
    int n = (int)strlen(e->text);
    if (e->cursor >= n)
        snprintf(out, size, "%s_", e->text);
    else
        snprintf(out, size, "%.*s|%s", e->cursor, e->text, e->text + e->cursor);
}

/* --- picker ---------------------------------------------------------------------------- */

static void refilter(Picker *p) {
    const char *keep = picker_choice(p);
    p->n_shown = 0;
    int sel = 0;
    for (int i = 0; i < p->n_items; i++) {
        if (tp_text_contains_ci(p->items[i], p->filter) ||
            (p->notes[i] && tp_text_contains_ci(p->notes[i], p->filter))) {
            if (keep && p->items[i] == keep)
                sel = p->n_shown;
            p->shown[p->n_shown++] = i;
        }
    }
    p->sel = sel;
    p->top = 0;
}

void picker_begin(Picker *p, const char *title, const char *const *items,
                  const char *const *notes, int n, const char *current) {
    memset(p, 0, sizeof *p);
    p->active = true;
    snprintf(p->title, sizeof p->title, "%s", title ? title : "");
    if (n > PICKER_MAX)
        n = PICKER_MAX;
    for (int i = 0; i < n; i++) {
        p->items[i] = items[i];
        p->notes[i] = notes ? notes[i] : NULL;
    }
    p->n_items = n;
    p->n_shown = 0;
    for (int i = 0; i < n; i++) {
        if (current && !strcmp(items[i], current))
            p->sel = i;
        p->shown[p->n_shown++] = i;
    }
}

const char *picker_choice(const Picker *p) {
    if (p->sel < 0 || p->sel >= p->n_shown)
        return NULL;
    return p->items[p->shown[p->sel]];
}

FieldResult picker_key(Picker *p, int key) {
    size_t n = strlen(p->filter);
    switch (key) {
    case FIELD_KEY_ENTER:
    case '\r':
        return picker_choice(p) ? FIELD_COMMIT : FIELD_EDITING;
    case FIELD_KEY_ESCAPE:
        return FIELD_CANCEL;
    case FIELD_KEY_UP:
        if (p->sel > 0)
            p->sel--;
        return FIELD_EDITING;
    case FIELD_KEY_DOWN:
        if (p->sel + 1 < p->n_shown)
            p->sel++;
        return FIELD_EDITING;
    case FIELD_KEY_BACKSPACE:
    case 127:
        if (n) {
            p->filter[n - 1] = '\0';
            refilter(p);
        }
        return FIELD_EDITING;
    case FIELD_KEY_CLEAR:
        p->filter[0] = '\0';
        refilter(p);
        return FIELD_EDITING;
    }
    if (key >= 0x20 && key < 0x7f && n + 1 < sizeof p->filter) {
        p->filter[n] = (char)key;
        p->filter[n + 1] = '\0';
        refilter(p);
    }
    return FIELD_EDITING;
}

void picker_scroll(Picker *p, int rows) {
    if (rows < 1)
        rows = 1;
    if (p->sel < p->top)
        p->top = p->sel;
    if (p->sel >= p->top + rows)
        p->top = p->sel - rows + 1;
    if (p->top < 0)
        p->top = 0;
}

void picker_end(Picker *p) {
    p->active = false;
}
