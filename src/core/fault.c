/* fault.c - the fault-injection counters (see fault.h). */
#include "tunepilot/fault.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const POINT_NAMES[TP_FAULT_N_POINTS] = {"write", "fsync", "rename", "dirsync"};

/* The counters are atomic and the environment is read once under
 * pthread_once: writes may come from more than one thread. tp_fault_arm is
 * a test's set-up, called before the threads that count. */
static long g_count[TP_FAULT_N_POINTS];
static TpFaultPoint g_point;
static long g_at;
static TpFaultAction g_action;
static pthread_once_t g_env_once = PTHREAD_ONCE_INIT; /* TUNEPILOT_FAULT looked at */

static void read_env(void);

const char *tp_fault_point_name(TpFaultPoint point) {
    return point >= 0 && point < TP_FAULT_N_POINTS ? POINT_NAMES[point] : "?";
}

void tp_fault_arm(TpFaultPoint point, long n, TpFaultAction action) {
    pthread_once(&g_env_once, read_env); /* read now, so that it never overrides this arm */
    memset(g_count, 0, sizeof g_count);
    g_point = point;
    g_at = n;
    g_action = n > 0 && point >= 0 && point < TP_FAULT_N_POINTS ? action : TP_FAULT_NONE;
}

void tp_fault_reset(void) {
    tp_fault_arm(TP_FAULT_WRITE, 0, TP_FAULT_NONE);
}

long tp_fault_count(TpFaultPoint point) {
    if (point < 0 || point >= TP_FAULT_N_POINTS)
        return 0;
    return __atomic_load_n(&g_count[point], __ATOMIC_RELAXED);
}

/* TUNEPILOT_FAULT=ACTION:POINT:N; anything malformed is ignored with a
 * warning on stderr (this is a test hook: it must not be silently off).
 * Builds without TP_FAULT_ENV (Release, MinSizeRel) never read it. */
static void read_env(void) {
#ifndef TP_FAULT_ENV
    return;
#else
    const char *v = getenv("TUNEPILOT_FAULT");
    if (!v || !*v)
        return;
    char action[16], point[16];
    long n = 0;
    if (sscanf(v, "%15[a-z]:%15[a-z]:%ld", action, point, &n) != 3 || n <= 0) {
        fprintf(stderr, "tunepilot: TUNEPILOT_FAULT=%s ignored: expected ACTION:POINT:N\n", v);
        return;
    }
    TpFaultAction a = !strcmp(action, "kill")     ? TP_FAULT_KILL
                      : !strcmp(action, "enospc") ? TP_FAULT_ENOSPC
                      : !strcmp(action, "eio")    ? TP_FAULT_EIO
                                                  : TP_FAULT_NONE;
    int p = -1;
    for (int i = 0; i < TP_FAULT_N_POINTS; i++)
        if (!strcmp(point, POINT_NAMES[i]))
            p = i;
    if (a == TP_FAULT_NONE || p < 0) {
        fprintf(stderr, "tunepilot: TUNEPILOT_FAULT=%s ignored: unknown action or point\n", v);
        return;
    }
    g_point = (TpFaultPoint)p;
    g_at = n;
    g_action = a;
#endif
}

int tp_fault_hit(TpFaultPoint point) {
    pthread_once(&g_env_once, read_env);
    if (point < 0 || point >= TP_FAULT_N_POINTS)
        return 0;
    long n = __atomic_add_fetch(&g_count[point], 1, __ATOMIC_RELAXED);
    if (g_action == TP_FAULT_NONE || point != g_point || n != g_at)
        return 0;
    switch (g_action) {
    case TP_FAULT_KILL:
        raise(SIGKILL);
        abort(); /* not reached */
    case TP_FAULT_ENOSPC:
        return ENOSPC;
    case TP_FAULT_EIO:
        return EIO;
    case TP_FAULT_NONE:
        break;
    }
    return 0;
}
