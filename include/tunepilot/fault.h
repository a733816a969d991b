/* fault.h - fault injection for tests, the way SQLite's test suite does it.
 *
 * The file writers (fileio.c: the atomic writer, the atomic copy and the
 * staged folders; safetensors.c streams through the same helpers) call
 * tp_fault_hit at every step that can fail or be interrupted:
 *
 *   TP_FAULT_WRITE    before each write(2) into a temp file
 *   TP_FAULT_FSYNC    before the temp file's fsync
 *   TP_FAULT_RENAME   before the rename into place
 *   TP_FAULT_DIRSYNC  after the rename, before the directory's fsync
 *
 * A test arms one fault: at the Nth hit of a point (counted from when it is
 * armed), TP_FAULT_KILL raises SIGKILL (the process dies at that instant,
 * as with kill -9), TP_FAULT_ENOSPC and TP_FAULT_EIO make that step fail
 * with that errno (a full or failing disk). Unarmed, a hit only counts.
 *
 * Unit tests call tp_fault_arm; CLI tests set TUNEPILOT_FAULT=ACTION:POINT:N
 * (ACTION kill, enospc or eio; POINT write, fsync, rename or dirsync; for
 * example kill:rename:2 or enospc:write:5), read at the first hit. The
 * variable is read only in builds with TP_FAULT_ENV (CMake option, on by
 * default except in Release and MinSizeRel builds, where it is compiled
 * out). The
 * counters are per process and not thread-safe: the writers run on one
 * thread.
 *
 * Owned by the core module (src/core/); any module may include it. */
#ifndef TUNEPILOT_FAULT_H
#define TUNEPILOT_FAULT_H

typedef enum {
    TP_FAULT_WRITE,
    TP_FAULT_FSYNC,
    TP_FAULT_RENAME,
    TP_FAULT_DIRSYNC,
    TP_FAULT_N_POINTS
} TpFaultPoint;

typedef enum { TP_FAULT_NONE, TP_FAULT_KILL, TP_FAULT_ENOSPC, TP_FAULT_EIO } TpFaultAction;

/* Arms action for the nth (1-based) hit of point from now; resets the
 * counters. n <= 0 or TP_FAULT_NONE disarms (the counters still reset). */
void tp_fault_arm(TpFaultPoint point, long n, TpFaultAction action);
/* Disarms and resets the counters; TUNEPILOT_FAULT is not read again. */
void tp_fault_reset(void);
/* Hits of point since the last arm or reset. */
long tp_fault_count(TpFaultPoint point);
/* Called by a writer at point: 0 to go on, or the errno value the step must
 * fail with. Does not return for TP_FAULT_KILL. */
int tp_fault_hit(TpFaultPoint point);
/* "write", "fsync", "rename", "dirsync". */
const char *tp_fault_point_name(TpFaultPoint point);

#endif
