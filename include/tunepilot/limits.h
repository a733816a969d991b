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
 *   - checks over a file are linear in its size.
 *
 * Owned by the core module (src/core/); any module may include it. */
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

/* Scenario files (cost, tui --scenario, the Costs screen). The bundled
 * examples are under 4 KiB; a scenario with every option the price tables
 * hold stays under 100 KiB. */
#define TP_MAX_SCENARIO_BYTES (4u << 20)

/* Source citations of one option and options sharing a workload: a few a
 * scenario in practice; the arrays are sized by these. */
#define TP_MAX_OPTION_SOURCES 24
#define TP_MAX_SHARED_OPTIONS 32

/* Months projected (20 years: beyond any hardware's or model's life). */
#define COST_MAX_HORIZON_MONTHS 240
/* Monte Carlo draws: a million gives P10/P90 to about 0.1% (the default is
 * 10,000); more only costs time and 8 bytes per draw per option. */
#define COST_MAX_DRAWS 1000000

/* Answers to decide's and review's questions (--answers): a few hundred
 * bytes each; 4 MiB, like a scenario, is far past any hand-written file. */
#define TP_MAX_ANSWERS_BYTES (4u << 20)

/* A decision framework (decide --framework): the bundled one is about
 * 20 KiB. */
#define DECIDE_MAX_FRAMEWORK_BYTES (1u << 20)
/* An id in a framework or an answers file (question, rule, option): short
 * names such as "frontier_fails"; the buffers are sized by it. */
#define DECIDE_ID_MAX 64

/* --- prices -------------------------------------------------------------- */

/* A price table (a pricing/ JSON file or TUNEPILOT_PRICING_DIR): the bundled
 * tables are under 100 KiB. */
#define TP_MAX_PRICE_TABLE_BYTES (16u << 20)
/* Any one price in USD (per million tokens, per hour, per job): the dearest
 * listed today is under $1,000; above a million is a unit mistake. */
#define TP_MAX_PRICE_USD 1e6
/* LiteLLM's model_prices_and_context_window.json, downloaded or imported
 * from a file: 1.4 MiB (the December 2026 copy); room for forty times that. */
#define NET_PRICES_MAX_BYTES (64u << 20)

/* --- datasets ------------------------------------------------------------ */

/* A training or evaluation JSON Lines file read whole (dataset_load, the
 * audit, eval, handoff). A pilot trains minutes on thousands of examples,
 * a few MB; 1 GiB leaves room for large sets and bounds the memory a
 * mistaken path (a model file, a disk image) can take. */
#define DATASET_MAX_FILE_BYTES ((size_t)1 << 30)
/* A file for a hosted fine-tuning job: OpenAI accepts up to 512 MB per
 * uploaded file (files API limit, 2026). */
#define REMOTE_MAX_FILE_BYTES (512u << 20)

/* --- models -------------------------------------------------------------- */

/* tokenizer.json: Hugging Face's largest (Gemma's 262k vocab) is about
 * 33 MiB. */
#define TP_MAX_TOKENIZER_BYTES (512u << 20)
/* Token ids at or above are refused: real vocabularies stay under 2^19
 * (Gemma 3: 262,144 = 2^18). */
#define TP_MAX_TOKEN_ID (1 << 22)
/* model.safetensors.index.json: a few hundred KiB for a 400B model. */
#define TP_MAX_SAFETENSORS_INDEX_BYTES (64u << 20)
/* num_hidden_layers: the deepest open models have about 130 (Llama 3.1
 * 405B: 126). */
#define LLAMA_MAX_LAYERS 1024
/* End-of-sequence ids in config.json's eos_token_id list: Llama 3 lists 3. */
#define LLAMA_MAX_EOS 8
/* Folders followed by the recursive copy and remove: model folders nest 2
 * or 3 deep; the bound stops a loop of bind mounts or a hostile tree. */
#define TP_MAX_TREE_DEPTH 64

/* --- network ------------------------------------------------------------- */

/* A response body when a request names no cap: API answers are a few KiB. */
#define NET_DEFAULT_MAX_BYTES (16u << 20)
/* What is kept of a 4xx/5xx body for the error message (a provider's error
 * object is under 1 KiB; HTML error pages are cut). */
#define TP_MAX_ERROR_BODY_BYTES (64u << 10)
/* Likewise per probe request, of which up to PROBE_MAX_CONCURRENCY run at
 * once. */
#define TP_MAX_PROBE_ERROR_BODY_BYTES (16u << 10)
/* One line of a Server-Sent Events stream: a streamed chunk is a few
 * hundred bytes; a whole long answer in one event stays under 1 MiB. */
#define NET_SSE_MAX_LINE (4u << 20)
/* A hosted fine-tuning API answer (a job, a page of events). */
#define TP_MAX_API_ANSWER_BYTES (32u << 20)
/* Pages of job events followed (100 a page): 100,000 events is far past a
 * job's few hundred. */
#define TP_MAX_API_PAGES 1000

/* Latency probe: requests and concurrent requests of one probe (a
 * measurement, not a load test: 10,000 requests at 64 at once is already
 * hundreds of dollars on a frontier model). */
#define PROBE_MAX_REQUESTS 10000
#define PROBE_MAX_CONCURRENCY 64
/* Prompt and answer sizes a probe may ask for: past every model's context
 * window (1M tokens, 2026). */
#define TP_MAX_PROBE_PROMPT_TOKENS 200000
#define TP_MAX_PROBE_OUTPUT_TOKENS 1000000

/* --- evaluations --------------------------------------------------------- */

/* Held-out examples one evaluation sends: at $0.01 a request that is
 * $1,000; an interval at n = 100,000 is already within 0.3%. */
#define EVAL_MAX_EXAMPLES 100000
/* Few-shot examples in one prompt: more than 64 real examples overflow
 * most context windows, and the shots come from the training split. */
#define EVAL_MAX_SHOTS 64
/* Distinct labels scored with a confusion table; past this the answers
 * are free text, not labels. */
#define EVAL_MAX_LABELS 32
/* Requests in flight at once: enough to saturate a loopback or a small
 * endpoint; more only meets the provider's rate limit (429, retried). */
#define EVAL_MAX_CONCURRENCY 32
/* One answer kept and scored: a long answer of 8k tokens is about 32 KiB. */
#define EVAL_MAX_ANSWER_BYTES (256u << 10)
/* A label as scored: labels are a few words (the audit's rule). */
#define TP_MAX_LABEL_BYTES 40

/* --- external trainers --------------------------------------------------- */

/* One line of a trainer's output, cut beyond this for parsing and storing
 * (a progress dict is a few hundred bytes). */
#define TP_MAX_TRAINER_LINE_BYTES (64 * 1024)
/* Text of one stored event, and output lines stored as events by default
 * (--max-events): the run's record stays small and readable. */
#define TP_MAX_EVENT_TEXT 1000
#define EXTERNAL_MAX_EVENTS 200

#endif
