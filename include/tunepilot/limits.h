/* limits.h - every bound on outside input, stated once.
 *
 * Each limit is named in the error that enforces it, so a user who meets
 * one learns what was refused, which file and field, and which limit. The
 * figures are deliberately generous: each is above anything a real file or
 * workload holds (the reason is given beside it) and low enough that work
 * and memory stay bounded (checked before allocating, never after).
 *
 * Rules the code follows with these:
 *   - sizes read from a file (dimensions, counts, offsets) are checked
 *     against the file's own length and against the machine (SIZE_MAX,
 *     physical memory) before any allocation;
 *   - no recursion whose depth the input controls;
 *   - JSON numbers become integers only through tp_json_to_i64 (json.h),
 *     which refuses NaN, infinities, fractions and out-of-range values;
 *   - checks over a file are linear in its size. */
#ifndef TUNEPILOT_LIMITS_H
#define TUNEPILOT_LIMITS_H

/* --- any input ----------------------------------------------------------- */

/* Nesting of brackets our own parsers follow (a trainer's Python dicts).
 * Real files nest under 10. JSON itself is parsed by cJSON, which refuses
 * nesting past its CJSON_NESTING_LIMIT (1000) on its own. */
#define TP_MAX_JSON_DEPTH 256

/* One line of JSON Lines (a training example). A 128k-token example is
 * about 0.5 MB of text; lines past this are refused, not parsed. */
#define TP_MAX_LINE_BYTES (128u << 20)

/* --- cost engine ------------------------------------------------------- */

/* Replicas of one self-hosted option in any month. A million replicas of
 * even one GPU is more than the largest training clusters built to date
 * (about 10^5 GPUs, 2025); a scenario that needs more describes traffic no
 * single deployment serves. */
#define TP_MAX_REPLICAS 1000000

/* Requests per day, as typed and as grown by growth_per_month over the
 * horizon. About 100 times the daily searches of the largest web search
 * engine (about 10^10 a day, 2025). */
#define TP_MAX_REQUESTS_PER_DAY 1e12

/* Scenario files (cost, tui --scenario, the Costs screen). */
#define TP_MAX_SCENARIO_BYTES (4u << 20)

#endif
