/* field.h - the workbench's one line editor and one picker, without
 * ncurses (tested as pure functions). The screen maps its keys to the
 * FIELD_KEY_* codes below (printable characters are themselves) and asks
 * the session layer what the text means (session_value_parse): the editor
 * only holds the text, the old value to restore, and the cursor.
 *
 * While an editor or a picker is open every key goes to it: none runs a
 * command (field_key and picker_key never return "not mine"). */
#ifndef TP_TUI_FIELD_H
#define TP_TUI_FIELD_H

#include <stdbool.h>
#include <stddef.h>

/* Keys besides printable ASCII and UTF-8 bytes (>= 0x20, != 0x7f). */
enum {
    FIELD_KEY_ENTER = '\n',
    FIELD_KEY_ESCAPE = 27,
    FIELD_KEY_BACKSPACE = 8,
    FIELD_KEY_CLEAR = 21, /* Ctrl-U: the whole text */
    FIELD_KEY_LEFT = -100,
    FIELD_KEY_RIGHT,
    FIELD_KEY_HOME,
    FIELD_KEY_END,
    FIELD_KEY_DELETE,
    FIELD_KEY_UP,
    FIELD_KEY_DOWN,
    FIELD_KEY_OTHER, /* any other key: swallowed */
};

typedef enum {
    FIELD_EDITING, /* the text or the cursor changed, or the key was swallowed */
    FIELD_COMMIT,  /* Enter: the caller checks the text; field_fail keeps editing */
    FIELD_CANCEL,  /* Escape: the text is the old one again */
} FieldResult;

#define FIELD_TEXT_MAX 1024 /* a path fits (Pilot's model and dataset) */

typedef struct FieldEdit {
    bool active;
    char text[FIELD_TEXT_MAX];
    char old[FIELD_TEXT_MAX]; /* restored by Escape */
    int cursor;               /* byte offset into text */
    bool fresh;               /* nothing typed yet: the first character replaces the text */
    char message[320];        /* why the last commit was refused ("" when none) */
} FieldEdit;

/* Opens the editor on the current value (shown, cursor at its end; the
 * first character typed replaces it, as in a spreadsheet). */
void field_begin(FieldEdit *e, const char *current);

/* One key. Printable characters are inserted at the cursor (whatever they
 * are: "7e" is text for the parser, never a command); Backspace and Delete
 * remove one character (a whole UTF-8 sequence); Left/Right/Home/End move;
 * Ctrl-U clears. Every key clears the message. */
FieldResult field_key(FieldEdit *e, int key);

/* After FIELD_COMMIT: the caller refused the text; the editor stays open
 * with the message. */
void field_fail(FieldEdit *e, const char *message);

/* Closes the editor. */
void field_end(FieldEdit *e);

/* The text with a cursor mark ("_" at the end, or "|" inside) into out,
 * for drawing. */
void field_display(const FieldEdit *e, char *out, size_t size);

/* --- a picker: one of a list, narrowed by typing ------------------------------------ */

#define PICKER_MAX 512

typedef struct Picker {
    bool active;
    char title[96];
    const char *items[PICKER_MAX]; /* borrowed: valid while the picker is open */
    const char *notes[PICKER_MAX]; /* shown beside each item; may be NULL */
    int n_items;
    char filter[64];
    int shown[PICKER_MAX]; /* indexes of items matching the filter */
    int n_shown;
    int sel, top;
} Picker;

/* Opens a picker over n items (at most PICKER_MAX kept); the one equal to
 * `current` (may be NULL) is selected. */
void picker_begin(Picker *p, const char *title, const char *const *items,
                  const char *const *notes, int n, const char *current);

/* One key: printable characters narrow the list (case-insensitive
 * substring), Backspace widens it, Up/Down move, Enter chooses (FIELD_COMMIT;
 * nothing when no item matches), Escape cancels. */
FieldResult picker_key(Picker *p, int key);

/* The chosen item (after FIELD_COMMIT), or NULL. */
const char *picker_choice(const Picker *p);

/* Keeps the selection visible in a list of `rows` rows (sets top). */
void picker_scroll(Picker *p, int rows);

void picker_end(Picker *p);

#endif
