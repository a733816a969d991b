/* cost_impl.h - what project.c (the projection) and feasibility.c (the
 * checks on it) share. Private to src/cost/. */
#ifndef TP_COST_IMPL_H
#define TP_COST_IMPL_H

#include "tunepilot/cost.h"

/* Days from the horizon's start to a date YYYY-MM-DD (NAN when either is
 * unknown). */
double cost_days_from_start(const CostScenario *sc, const char *date);

/* Runs every feasibility check on each option of out (projected from sc),
 * setting its checks, warnings and whether it is feasible. */
void cost_feasibility(const CostScenario *sc, CostProjection *out);

#endif
