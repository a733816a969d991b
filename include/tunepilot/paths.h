/* paths.h - where tunepilot keeps its files (XDG base directories).
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_PATHS_H
#define TUNEPILOT_PATHS_H

#include <stddef.h>

#include "tunepilot/error.h"

/* The database path: `override` when non-NULL and non-empty (--db), else
 * $TUNEPILOT_DB, else $XDG_DATA_HOME/tunepilot/tunepilot.db, else
 * $HOME/.local/share/tunepilot/tunepilot.db. Writes into out (size bytes). */
TpStatus tp_path_db(char *out, size_t size, const char *override, TpError *err);

/* $XDG_CONFIG_HOME/tunepilot, else $HOME/.config/tunepilot. */
TpStatus tp_path_config_dir(char *out, size_t size, TpError *err);

/* Creates every missing directory of `dir` (mode 0700 for new ones). */
TpStatus tp_mkdirs(const char *dir, TpError *err);

/* Creates the parent directories of the file `path`. */
TpStatus tp_mkdirs_for_file(const char *path, TpError *err);

#endif
