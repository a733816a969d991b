/* fileio.h - whole-file reads with a size cap, and the one way this project
 * writes, copies and removes files.
 *
 * Temp files: every temp file is made by tp_temp_open (or a staged folder by
 * tp_temp_dir) beside its target, named "<target>.tmp.<pid>.<n>", with
 * O_CREAT|O_EXCL|O_NOFOLLOW: a file or symbolic link planted under that name
 * is never opened or written through (another name is tried). A writer
 * killed half-way leaves such a name behind; tp_sweep_temps removes the
 * ones whose process is gone. Every write, fsync and rename passes a
 * fault-injection point (fault.h).
 *
 * Copies: only regular files are copied, opened with O_NOFOLLOW and
 * O_NONBLOCK: a symbolic link (unless it resolves inside a folder the
 * caller names), a FIFO, a device, a socket, a directory or a file of
 * /proc or /sys is refused with an error naming it.
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_FILEIO_H
#define TUNEPILOT_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#include "tunepilot/error.h"

/* Reads all of `path` into a new NUL-terminated buffer (caller frees *data
 * with free()). Files larger than max_bytes are refused with TP_EINVAL. */
TpStatus tp_file_read(const char *path, size_t max_bytes, char **data, size_t *len, TpError *err);

/* Writes data to path atomically: a temp file beside it, fsync, rename, then
 * fsync of the directory. On failure the old file is untouched and no temp
 * file is left. */
TpStatus tp_file_write_atomic(const char *path, const void *data, size_t len, TpError *err);

/* Copies the regular file src to dst atomically (temp file, fsync, rename;
 * every read and write checked). src is opened with O_NOFOLLOW: a symbolic
 * link is refused unless link_root is non-NULL and the link resolves to a
 * regular file inside the folder link_root (the Hugging Face cache links
 * snapshot files to ../../blobs). FIFOs, devices, sockets, directories and
 * files on /proc or /sys are refused (TP_EINVAL). A missing src is
 * TP_ENOTFOUND. */
TpStatus tp_file_copy(const char *src, const char *dst, const char *link_root, TpError *err);

/* Removes path: a file or symbolic link is unlinked (a link's target is
 * never touched), a folder is emptied depth-first without following any
 * link, then removed. A missing path is TP_OK. Folders nested deeper than
 * 64 levels are refused. */
TpStatus tp_remove_tree(const char *path, TpError *err);

/* Opens path for appending, creating it (mode 0644): O_NOFOLLOW, and
 * refused unless it is a regular file (a planted link or FIFO is never
 * written through). Returns a stream the caller fcloses, or NULL with err. */
FILE *tp_file_open_append(const char *path, TpError *err);

/* --- the temp-file helper ------------------------------------------------------------ */

/* Creates a new empty temp file for target path (see above), mode 0644;
 * writes its name into tmp (size bytes). Returns the descriptor, or -1 with
 * err set. */
int tp_temp_open(const char *path, char *tmp, size_t size, TpError *err);
/* Writes all of data to fd (short writes and EINTR retried); name is the
 * file named in an error. */
TpStatus tp_fd_write_all(int fd, const void *data, size_t len, const char *name, TpError *err);
/* Finishes a temp file: fsync, close, rename over path, fsync of path's
 * folder. fd is closed in every case; on failure tmp is removed and path is
 * as it was. */
TpStatus tp_temp_commit(int fd, const char *tmp, const char *path, TpError *err);
/* Gives up a temp file: closes fd (when >= 0) and removes tmp. */
void tp_temp_discard(int fd, const char *tmp);

/* Creates a new empty folder for target path, "<path>.tmp.<pid>.<n>" (mode
 * 0755), to be filled and then put in place with tp_temp_dir_commit. */
TpStatus tp_temp_dir(const char *path, char *tmp, size_t size, TpError *err);
/* Puts the filled folder tmp in place as path in one rename (an existing
 * path is exchanged with it, then removed), and fsyncs the folders. On
 * failure tmp is removed and path is as it was. */
TpStatus tp_temp_dir_commit(const char *tmp, const char *path, TpError *err);

/* Moves each entry of the filled folder tmp into the existing folder path
 * (one rename each, replacing entries of the same name, leaving the others
 * alone), fsyncs path, then removes tmp. For a folder the user named, which
 * may hold files of their own. */
TpStatus tp_temp_dir_move_into(const char *tmp, const char *path, TpError *err);

/* True when name (a base name) is one of this helper's temp names:
 * "<x>.tmp.<pid>.<n>" or the older "<x>.tmp.<pid>"; *pid gets the pid. */
int tp_temp_name_pid(const char *name, long *pid);
/* Removes, in folder dir (not below it), the temp files and staged folders
 * whose process no longer runs (a writer that was killed). *removed (may
 * be NULL) gets how many. A missing dir is TP_OK. */
TpStatus tp_sweep_temps(const char *dir, int *removed, TpError *err);

#endif
