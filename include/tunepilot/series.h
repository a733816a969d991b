/* series.h - the data behind every chart, prepared once for the workbench's
 * terminal charts (src/tui/chart.c) and the reports' SVG charts
 * (tunepilot/svg.h): smoothing, "nice" axis ticks, the cost projection's
 * curves and break-even points, and a pilot run's curves. Pure: no I/O.
 *
 * Owned by the report module (src/report/); included by the modules of its layer (session,
 * report) and those above (cli, tui). */
#ifndef TUNEPILOT_SERIES_H
#define TUNEPILOT_SERIES_H

#include <stdbool.h>

#include "tunepilot/cost.h"
#include "tunepilot/store.h"

/* Exponential moving average over the finite points of a series: a point
 * counts when y[i] and x[i] (or i when x is NULL) are finite; s_0 = y_0 and
 * s_i = w * s_(i-1) + (1 - w) * y_i over those, out[i] = NAN elsewhere.
 * w outside [0, 1) (or NaN) means no smoothing: out = y on the counted
 * points. out may be y. */
void series_ema(const double *x, const double *y, int n, double w, double *out);

/* Axis ticks at "nice" values (1, 2 or 5 times a power of ten apart) that
 * cover [lo, hi]: ticks[0] <= lo and ticks[n-1] >= hi, about `target` of
 * them (at most max). lo == hi is widened; lo > hi is swapped. Returns the
 * number written and sets *step to the spacing (Heckbert, "Nice numbers
 * for graph labels", Graphics Gems, 1990). */
int series_nice_ticks(double lo, double hi, int target, double *ticks, int max, double *step);

/* A break-even point: from month x on, option a stays no dearer than option
 * b (cost_break_even), at cumulative cost y (a's, at month x). */
typedef struct SeriesMark {
    double x, y;
    int a, b;
} SeriesMark;

/* The cumulative cost chart: month 0 (the one-time costs) to the horizon,
 * one curve per option, the P10-P90 band of each when the scenario has
 * ranges, and every crossing (break-even month > 0). */
typedef struct SeriesCost {
    int n_options, n_points; /* n_points = horizon + 1 */
    double *x;               /* months 0..horizon */
    double **cum;            /* [option][n_points] */
    double **cum_p10, **cum_p90; /* NULL without ranges; month 0 is the one-time P10/P90 */
    int best;                /* the cheapest feasible option (else the cheapest) */
    SeriesMark *marks;
    int n_marks;
} SeriesCost;

/* Fills out from a projection. Free with series_cost_free. */
void series_cost_build(const CostProjection *p, SeriesCost *out);
void series_cost_free(SeriesCost *s); /* NULL is fine */

/* A pilot run's curves, from its stored metrics and evaluations. */
typedef struct SeriesRun {
    int n;                 /* updates */
    double *step, *loss, *loss_smooth, *lr, *grad_norm, *tokens_per_s;
    int n_eval;            /* held-out evaluations during and after training */
    double *eval_step, *eval_loss;
    bool have_base, have_tuned;
    double base_loss, tuned_loss, base_accuracy, tuned_accuracy; /* accuracy NAN if not measured */
    double smooth;         /* the EMA weight used for loss_smooth */
} SeriesRun;

/* Held-out points are the evaluations of kind "eval", "base" and "tuned"
 * (base at its step, usually 0; tuned at the last). smooth: EMA weight for
 * loss_smooth (the workbench's is 0.9). */
void series_run_build(const StoreMetric *m, int nm, const StoreEval *e, int ne, double smooth,
                      SeriesRun *out);
void series_run_free(SeriesRun *s); /* NULL is fine */

#endif
