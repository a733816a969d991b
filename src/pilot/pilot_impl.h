/* pilot_impl.h - pieces shared by pilot.c, external.c and run.c. Private to
 * src/pilot/. */
#ifndef TP_PILOT_IMPL_H
#define TP_PILOT_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tunepilot/error.h"

/* The lock a process holds on its run's folder, with its heartbeat thread. */
typedef struct PilotLock {
    int fd;
    int64_t run_id;
    dev_t dev;
    ino_t ino;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, started;
} PilotLock;

/* Takes <dir>/run.lock for run id (dir must exist) and starts the heartbeat.
 * TP_EINVAL naming the holder when another process holds it. */
TpStatus pilot_lock_take(const char *dir, int64_t id, const char *db_path, PilotLock *l,
                         TpError *err);
void pilot_lock_release(PilotLock *l); /* a lock never taken is fine */

/* A new run's --out: absent or empty, else TP_EINVAL (naming the run that
 * owns it when its run.lock says). */
TpStatus pilot_check_new_dir(const char *dir, TpError *err);

#endif
