/* panel.h - the app's side of the panels (panel.c): the focused panel of
 * the shown screen scrolls, opens full-screen, goes to the clipboard
 * (OSC 52) or to a file; the help is shown the same way. Screens draw
 * panels with tui_panel (tui.h) and know nothing of this. */
#ifndef TP_TUI_PANEL_H
#define TP_TUI_PANEL_H

#include "tui/tui.h"

/* Forgets the last frame's panels (before the screen draws). */
void panels_begin_frame(TuiApp *a);
/* With a->full, draws the focused panel over the body and side panel. */
void panels_draw_full(TuiApp *a);
/* Draws doc full-screen (the help), scrolled by *scroll. */
void panels_draw_doc_full(TuiApp *a, const char *title, const TuiDoc *doc, int *scroll);
/* The panel keys, after the screen declined the key: PgUp/PgDn,
 * Shift-Up/Down, Home/End scroll the focused panel; ] and [ move the focus;
 * v opens it full-screen; y (and Y) copy it; W asks where to write it.
 * In full screen Up/Down scroll too and Esc, v and q close it. Returns
 * TUI_* flags (TUI_NONE: not a panel key). screen: the shown screen's name. */
int panels_key(TuiApp *a, const char *screen, int ch);
/* Whether the full-screen view takes the keys before the screen does (keys
 * it does not use go to the app's: switching screens closes it). */
bool panels_modal(const TuiApp *a);
/* While a->prompting: the key edits the path; Enter writes, Esc cancels. */
int panels_prompt_key(TuiApp *a, int ch);
/* Scroll keys for a full-screen document of total rows (help). */
bool panels_scroll_key(int ch, int *scroll, int page);
/* Frees what the panels hold. */
void panels_free(TuiApp *a);

#endif
