/* screen_pilot.c - prepare and launch a pilot: base model (the bundled demo
 * or a directory), dataset (the demo tickets or a file) checked before
 * launch (errors block it), method and settings with the defaults of
 * `tunepilot pilot`, and a memory and time estimate. The run starts as its
 * own process (its own session, so it outlives the workbench) and shows in
 * Runs. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <fcntl.h>
#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tui/field.h"
#include "tui/screen.h"
#include "tui/tui.h"
#include "tui/wrap.h"
#include "tunepilot/audit.h"
#include "tunepilot/catalog.h"
#include "tunepilot/dataset.h"
#include "tunepilot/demo.h"
#include "tunepilot/llama.h"
#include "tunepilot/paths.h"
#include "tunepilot/session.h"
#include "tunepilot/tokenizer.h"
#include "tunepilot/trainer.h"

enum { F_MODEL, F_DATA, F_METHOD, F_STEPS, F_RANK, F_LR, F_BATCH, F_SEQ, N_F };
enum { GIVEN_RANK = 16, GIVEN_SEQ = 32 }; /* beside TRAIN_GIVEN_STEPS, _BATCH, _LR */

typedef struct PilotState {
    int field;
    FieldEdit edit; /* the open editor (field.h): paths, and numbers read by the session layer */
    char model[1024], data[1024]; /* "" = the bundled demo */
    TrainMethod method;
    long long steps;
    int rank, batch, seq;
    double lr;
    /* the check of the chosen data with the chosen model's tokenizer */
    bool checked, ok;
    char check[1024];
    long long n_train, n_eval, n_tokens, n_truncated;
    LlamaConfig cfg;
    bool have_cfg;
    TrainRates rates; /* measured at the shapes of rates_key (as pilot --estimate) */
    char rates_key[96];
    char audit[8][256]; /* the data audit: counts, then the first issues */
    int n_audit, audit_errors, audit_warnings;
    time_t launched_at;
    /* settings the user typed (TRAIN_GIVEN_* and the two below) are kept;
     * the others fit the data (train_auto_settings, as `tunepilot pilot`
     * does) or, for the demo, are the demo's (as `pilot --demo`) */
    unsigned edited;
    bool method_changed;
    double epochs;
    char note[400]; /* the epoch warning, or "" */
    /* Left/Right on the base model: the demo, then the supported models
     * found in the Hugging Face cache (scanned at the first press) */
    ModelCatalog cache;
    bool scanned;
    int choice; /* 0 = the demo, i = cache.items[i - 1] */
} PilotState;

/* The trainer's setting behind each number field (its bounds and message). */
static const TrainSetting SETTING[N_F] = {
    [F_STEPS] = TRAIN_SETTING_STEPS, [F_RANK] = TRAIN_SETTING_RANK, [F_LR] = TRAIN_SETTING_LR,
    [F_BATCH] = TRAIN_SETTING_BATCH, [F_SEQ] = TRAIN_SETTING_SEQ,
};

static bool is_number(int field) {
    return field >= F_STEPS && field < N_F;
}

static const char *const LABELS[N_F] = {"base model", "dataset",       "method", "steps",
                                        "rank",       "learning rate", "batch",  "sequence"};

static const TuiKey KEYS[] = {
    {"Up/Down, k/j", "pick a field"},
    {"Enter", "edit it: a path, or a number (2k = 2000, 2e-4) within the trainer's bounds; "
              "Enter applies (a refused value says why), Esc restores the old one"},
    {"Left/Right", "base model: the demo or a model in the Hugging Face cache; method: "
                   "qlora, lora, full; dataset: back to the demo's"},
    {"L", "launch the run (after the data check passes); Runs shows it"},
    {NULL, NULL},
};

static bool pilot_typing(const TuiApp *a, const void *self) {
    (void)a;
    const PilotState *p = self;
    return p && p->edit.active;
}

/* launched in the last minute: redraw while the run starts */
static bool pilot_recent_launch(const TuiApp *a, const void *self) {
    (void)a;
    const PilotState *p = self;
    return p && p->launched_at && time(NULL) - p->launched_at < 60;
}

static void paths(const PilotState *p, char *model, char *data, size_t size) {
    char demo[4096];
    demo_find_dir(demo, sizeof demo);
    if (p->model[0])
        snprintf(model, size, "%s", p->model);
    else
        snprintf(model, size, "%s/model", demo);
    if (p->data[0])
        snprintf(data, size, "%s", p->data);
    else
        snprintf(data, size, "%s/tickets.jsonl", demo);
}

static bool is_demo(const PilotState *p) {
    return !p->model[0] && !p->data[0];
}

/* The settings the user did not type: the demo's, or those that fit the
 * data and the model (the same function as `tunepilot pilot`). */
static void derive(PilotState *p) {
    TrainConfig c;
    if (is_demo(p)) {
        demo_pilot_config(&c);
        if (p->method_changed)
            c.method = p->method;
    } else {
        train_config_defaults(&c);
        c.method = p->method;
    }
    if (p->edited & TRAIN_GIVEN_STEPS)
        c.steps = p->steps;
    if (p->edited & TRAIN_GIVEN_BATCH)
        c.batch = p->batch;
    if (p->edited & TRAIN_GIVEN_LR)
        c.lr = p->lr;
    unsigned given =
        is_demo(p) ? TRAIN_GIVEN_STEPS | TRAIN_GIVEN_BATCH | TRAIN_GIVEN_LR : p->edited;
    double params = p->have_cfg ? (double)llama_config_n_params(&p->cfg) : 0;
    if (p->ok)
        train_auto_settings(p->n_train, params, given, &c, &p->epochs, p->note, sizeof p->note);
    else
        p->note[0] = '\0';
    p->steps = c.steps > 0 ? c.steps : p->steps;
    p->batch = c.batch;
    p->lr = c.lr;
    p->method = c.method;
    if (!(p->edited & GIVEN_RANK))
        p->rank = c.rank;
}

/* Loads the config and runs the dataset through the same reader the
 * trainer uses: its errors block the launch. */
static void check(PilotState *p) {
    char model[4096], data[4096];
    paths(p, model, data, sizeof model);
    TpError err = {0};
    Tokenizer *tok = NULL;
    Dataset d = {0};
    p->checked = true;
    p->ok = false;
    p->have_cfg = llama_config_load(model, &p->cfg, &err) == TP_OK;
    TpStatus st = p->have_cfg ? tokenizer_load(model, &tok, &err) : TP_EINVAL;
    TrainConfig run; /* the split of what will run: the demo's, or pilot's default */
    if (is_demo(p))
        demo_pilot_config(&run);
    else
        train_config_defaults(&run);
    DatasetOptions o = {p->seq, run.eval_split, run.seed, 0};
    if (st == TP_OK)
        st = dataset_load(data, tok, &o, &d, &err);
    if (st == TP_OK) {
        p->ok = true;
        p->n_train = d.n_train;
        p->n_eval = d.n_eval;
        p->n_tokens = d.n_tokens;
        p->n_truncated = d.n_truncated;
        snprintf(p->check, sizeof p->check,
                 "ok: %d examples (%lld train, %lld held out), %lld tokens, %d truncated to %d, "
                 "template %s",
                 d.n_train + d.n_eval, p->n_train, p->n_eval, p->n_tokens, d.n_truncated, p->seq,
                 d.template_name);
    } else {
        snprintf(p->check, sizeof p->check, "blocked: %s", err.msg);
    }
    dataset_free(&d);
    /* the full audit (tunepilot data check): errors block, warnings inform */
    p->n_audit = p->audit_errors = p->audit_warnings = 0;
    AuditOptions ao;
    audit_options_default(&ao);
    ao.seq = p->seq;
    ao.pilot_seq = p->seq;
    AuditResult ar;
    TpError aerr = {0};
    if (tok && audit_run(data, tok, &ao, &ar, &aerr) == TP_OK) {
        p->audit_errors = ar.n_errors;
        p->audit_warnings = ar.n_warnings;
        for (int i = 0; i < ar.n_issues && p->n_audit < 8; i++)
            snprintf(p->audit[p->n_audit++], sizeof p->audit[0], "%s line %d: %s",
                     ar.issues[i].severity == AUDIT_ERROR ? "error" : "warning", ar.issues[i].line,
                     ar.issues[i].message);
        if (ar.n_errors > 0) {
            p->ok = false;
            snprintf(p->check, sizeof p->check,
                     "blocked: the audit found %d error(s) (tunepilot data check %s)", ar.n_errors,
                     data);
        }
        audit_free(&ar);
    }
    tokenizer_free(tok);
    derive(p);
}

static void *pilot_open(TuiApp *a) {
    (void)a;
    PilotState *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    TrainConfig c;
    demo_pilot_config(&c); /* the demo's settings as the starting point */
    p->method = c.method;
    p->steps = c.steps > 0 ? c.steps : 120;
    p->rank = c.rank;
    p->batch = c.batch;
    p->seq = c.seq;
    p->lr = c.lr;
    return p;
}

static void pilot_close(TuiApp *a, void *self) {
    (void)a;
    PilotState *p = self;
    if (p)
        model_catalog_free(&p->cache);
    free(p);
}

static void launch(TuiApp *a, PilotState *p) {
    if (!p->checked)
        check(p);
    if (!p->ok) {
        snprintf(a->message, sizeof a->message, "not launched: the data check failed");
        return;
    }
    char model[4096], data[4096], steps[32], rank[32], lr[32], batch[32], seq[32], db[4096];
    paths(p, model, data, sizeof model);
    snprintf(steps, sizeof steps, "%lld", p->steps);
    snprintf(rank, sizeof rank, "%d", p->rank);
    snprintf(lr, sizeof lr, "%g", p->lr);
    snprintf(batch, sizeof batch, "%d", p->batch);
    snprintf(seq, sizeof seq, "%d", p->seq);
    TpError err;
    if (tp_path_db(db, sizeof db, a->opt.db_path, &err) != TP_OK) {
        snprintf(a->message, sizeof a->message, "not launched: %s", err.msg);
        return;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(a->message, sizeof a->message, "not launched: cannot find the program");
        return;
    }
    self[n] = '\0';
    pid_t pid = fork();
    if (pid == 0) {
        /* a new session: the run outlives the workbench and its terminal */
        setsid();
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (fork() != 0)
            _exit(0); /* the grandchild runs; nobody has to wait for it */
        /* the demo entry runs exactly `pilot --demo` (its split, alpha,
         * evaluation size), with only what the user changed added */
        const char *argv[32];
        int n_arg = 0;
        argv[n_arg++] = "tunepilot";
        argv[n_arg++] = "--db";
        argv[n_arg++] = db;
        argv[n_arg++] = "pilot";
        bool demo = is_demo(p);
        if (demo) {
            argv[n_arg++] = "--demo";
        } else {
            argv[n_arg++] = "--model";
            argv[n_arg++] = model;
            argv[n_arg++] = "--data";
            argv[n_arg++] = data;
        }
#define ARG(flag, cond, val)                                                                       \
    do {                                                                                           \
        if (!demo || (cond)) {                                                                     \
            argv[n_arg++] = flag;                                                                  \
            argv[n_arg++] = val;                                                                   \
        }                                                                                          \
    } while (0)
        ARG("--method", p->method_changed, train_method_name(p->method));
        ARG("--steps", p->edited & TRAIN_GIVEN_STEPS, steps);
        ARG("--rank", p->edited & GIVEN_RANK, rank);
        ARG("--lr", p->edited & TRAIN_GIVEN_LR, lr);
        ARG("--batch", p->edited & TRAIN_GIVEN_BATCH, batch);
        ARG("--seq", p->edited & GIVEN_SEQ, seq);
#undef ARG
        argv[n_arg++] = "--json";
        argv[n_arg] = NULL;
        execv(self, (char *const *)argv);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
    p->launched_at = time(NULL);
    snprintf(a->message, sizeof a->message, "launched: follow it in Runs (6)");
    tui_post(a, TUI_EV_RUN_STARTED, 0, NULL, NULL); /* Runs comes to the front */
}

/* Enter in the editor: a path is taken as typed ("" is the demo's); a
 * number goes through the session layer, which reads it as the scenario
 * editor does and holds it to the trainer's bounds. A refusal keeps the
 * editor open with the message. Returns whether the field changed. */
static bool commit(PilotState *p) {
    const char *text = p->edit.text;
    if (!strcmp(text, p->edit.old)) { /* Enter on the value as it was: nothing typed */
        field_end(&p->edit);
        return false;
    }
    double v = 0;
    char msg[400];
    if (is_number(p->field) &&
        !session_setting_parse(SETTING[p->field], text, &v, msg, sizeof msg)) {
        field_fail(&p->edit, msg);
        return false;
    }
    switch (p->field) {
    case F_MODEL:
        snprintf(p->model, sizeof p->model, "%s", text);
        break;
    case F_DATA:
        snprintf(p->data, sizeof p->data, "%s", text);
        break;
    case F_STEPS:
        p->steps = (long long)v;
        p->edited |= TRAIN_GIVEN_STEPS;
        break;
    case F_RANK:
        p->rank = (int)v;
        p->edited |= GIVEN_RANK;
        break;
    case F_LR:
        p->lr = v;
        p->edited |= TRAIN_GIVEN_LR;
        break;
    case F_BATCH:
        p->batch = (int)v;
        p->edited |= TRAIN_GIVEN_BATCH;
        break;
    case F_SEQ:
        p->seq = (int)v;
        p->edited |= GIVEN_SEQ;
        break;
    }
    field_end(&p->edit);
    p->checked = false;
    return true;
}

/* The value a field shows and its editor starts from. */
static void field_value(const PilotState *p, int field, char *out, size_t size) {
    switch (field) {
    case F_MODEL:
        snprintf(out, size, "%s", p->model);
        break;
    case F_DATA:
        snprintf(out, size, "%s", p->data);
        break;
    case F_STEPS:
        snprintf(out, size, "%lld", p->steps);
        break;
    case F_RANK:
        snprintf(out, size, "%d", p->rank);
        break;
    case F_LR:
        snprintf(out, size, "%g", p->lr);
        break;
    case F_BATCH:
        snprintf(out, size, "%d", p->batch);
        break;
    case F_SEQ:
        snprintf(out, size, "%d", p->seq);
        break;
    default:
        snprintf(out, size, "%s", "");
    }
}

/* Steps through the bundled demo and the supported models of the Hugging
 * Face cache; unsupported ones are skipped, a message says how many. */
static void choose_model(TuiApp *a, PilotState *p, int dir) {
    if (!p->scanned) {
        char hub[4096];
        model_catalog_hub_dir(hub, sizeof hub);
        model_catalog_scan_hub(&p->cache, hub);
        p->scanned = true;
        int ok = 0;
        for (int i = 0; i < p->cache.n; i++)
            ok += p->cache.items[i].supported;
        snprintf(a->message, sizeof a->message,
                 "%d model(s) in %s, %d usable (tunepilot model list shows why not)", p->cache.n,
                 hub, ok);
    }
    int n = p->cache.n + 1;
    for (int k = 0; k < n; k++) {
        p->choice = ((p->choice + dir) % n + n) % n;
        if (p->choice == 0 || p->cache.items[p->choice - 1].supported)
            break;
    }
    if (p->choice == 0)
        p->model[0] = '\0';
    else
        snprintf(p->model, sizeof p->model, "%s", p->cache.items[p->choice - 1].path);
    check(p);
}

static int pilot_key(TuiApp *a, void *self, int ch) {
    PilotState *p = self;
    if (p->edit.active) { /* every key is the editor's: none runs a command */
        switch (field_key(&p->edit, tui_field_code(ch))) {
        case FIELD_COMMIT:
            if (commit(p))
                check(p);
            break;
        case FIELD_CANCEL:
            field_end(&p->edit);
            break;
        case FIELD_EDITING:
            break;
        }
        return TUI_REDRAW;
    }
    switch (ch) {
    case KEY_UP:
    case 'k':
        p->field = (p->field + N_F - 1) % N_F;
        return TUI_REDRAW;
    case KEY_DOWN:
    case 'j':
        p->field = (p->field + 1) % N_F;
        return TUI_REDRAW;
    case KEY_LEFT:
    case KEY_RIGHT:
        if (p->field == F_METHOD) {
            p->method = (TrainMethod)((p->method + (ch == KEY_RIGHT ? 1 : 2)) % 3);
            p->method_changed = true;
            derive(p); /* full fine-tuning takes another learning rate */
        } else if (p->field == F_MODEL) {
            choose_model(a, p, ch == KEY_RIGHT ? 1 : -1);
        } else if (p->field == F_DATA) {
            p->data[0] = '\0'; /* back to the bundled demo */
            check(p);
        }
        return TUI_REDRAW;
    case '\n':
    case KEY_ENTER:
        if (p->field != F_METHOD) {
            char cur[FIELD_TEXT_MAX];
            field_value(p, p->field, cur, sizeof cur);
            field_begin(&p->edit, cur);
        }
        return TUI_REDRAW;
    case 'L':
        launch(a, p);
        return TUI_REDRAW;
    }
    return TUI_NONE;
}

/* The engine's estimate for the settings on the screen, computed as
 * `pilot --estimate` computes it: recomputation by the pilot's rule and
 * rates measured at the run's own shapes (measured again only when the
 * model or a setting that changes the shapes changes). */
static void estimate(PilotState *p, TrainEstimate *e) {
    TrainConfig t;
    train_config_defaults(&t);
    t.method = p->method;
    t.rank = p->rank;
    t.batch = p->batch;
    t.seq = p->seq;
    t.steps = p->steps;
    t.grad_accum = 1;
    train_recompute_resolve(&p->cfg, &t);
    char key[sizeof p->rates_key];
    snprintf(key, sizeof key, "%d %d %d %d %d %d %d %d", (int)t.method, t.rank, t.batch, t.seq,
             p->cfg.hidden, p->cfg.intermediate, p->cfg.vocab, p->cfg.n_layers);
    if (strcmp(key, p->rates_key)) {
        train_measure_rates(&p->cfg, &t, &p->rates);
        snprintf(p->rates_key, sizeof p->rates_key, "%s", key);
    }
    double tpe = p->n_train ? (double)p->n_tokens / (double)(p->n_train + p->n_eval) : 0;
    train_estimate_rates(&p->cfg, &t, tpe, &p->rates, e);
}

static void pilot_draw(TuiApp *a, void *self) {
    PilotState *p = self;
    if (!p->checked)
        check(p);
    Rect b = a->lay.body;
    tui_text(a, b.y, b.x, b.w, ROLE_HEADER, false, "Pilot: fine-tune here, then see in Runs");
    char vals[N_F][1100];
    if (!p->model[0])
        snprintf(vals[F_MODEL], sizeof vals[0], "the bundled demo model");
    else if (p->choice > 0 && !strcmp(p->model, p->cache.items[p->choice - 1].path))
        snprintf(vals[F_MODEL], sizeof vals[0], "%s (Hugging Face cache, revision %s)",
                 p->cache.items[p->choice - 1].name, strrchr(p->model, '/') + 1);
    else
        snprintf(vals[F_MODEL], sizeof vals[0], "%s", p->model);
    snprintf(vals[F_DATA], sizeof vals[0], "%s",
             p->data[0] ? p->data : "the demo's ticket routing");
    snprintf(vals[F_METHOD], sizeof vals[0], "%s", train_method_name(p->method));
    snprintf(vals[F_STEPS], sizeof vals[0], "%lld", p->steps);
    if (p->ok && p->n_train)
        snprintf(vals[F_STEPS] + strlen(vals[F_STEPS]), sizeof vals[0] - strlen(vals[F_STEPS]),
                 " (%.2f epochs of %lld examples; %s)", p->epochs, p->n_train,
                 p->edited & TRAIN_GIVEN_STEPS ? "typed"
                 : is_demo(p)                  ? "the demo's"
                                               : "fits the data, see pilot --help");
    snprintf(vals[F_RANK], sizeof vals[0], "%d", p->rank);
    snprintf(vals[F_LR], sizeof vals[0], "%g", p->lr);
    snprintf(vals[F_BATCH], sizeof vals[0], "%d", p->batch);
    snprintf(vals[F_SEQ], sizeof vals[0], "%d", p->seq);
    for (int i = 0; i < N_F; i++) {
        char line[1200], shown[FIELD_TEXT_MAX + 2];
        if (i == p->field && p->edit.active) {
            field_display(&p->edit, shown, sizeof shown);
            snprintf(line, sizeof line, "%-14s %s", LABELS[i], shown);
        } else {
            snprintf(line, sizeof line, "%-14s %s", LABELS[i], vals[i]);
        }
        tui_text(a, b.y + 2 + i, b.x, b.w, i == p->field ? ROLE_SELECTED : ROLE_NORMAL, true, line);
    }
    /* under the fields: what the open editor takes, or why it refused */
    int hint_rows = 0;
    if (p->edit.active) {
        char hint[600];
        const TrainSettingLimit *l =
            is_number(p->field) ? train_setting_limit(SETTING[p->field]) : NULL;
        if (p->edit.message[0])
            snprintf(hint, sizeof hint, "%s", p->edit.message);
        else if (l && l->integer)
            snprintf(
                hint, sizeof hint,
                "a whole number in [%.10g, %.10g] (%s; 2k = 2000); Enter applies, Esc restores",
                l->lo, l->hi, l->flag);
        else if (l)
            snprintf(hint, sizeof hint,
                     "a number in (%.10g, %.10g) (%s; 2e-4); Enter applies, Esc restores", l->lo,
                     l->hi, l->flag);
        else
            snprintf(hint, sizeof hint, "a path (empty: the demo's); Enter applies, Esc restores");
        /* wrapped: a refusal is read to its end (up to three rows) */
        TuiRole role = p->edit.message[0] ? ROLE_BAD : ROLE_DIM;
        for (int off = 0, row = 0; hint[off] && row < 3; row++, hint_rows = row) {
            int next, len = text_wrap_line(hint + off, b.w, &next);
            char part[600];
            snprintf(part, sizeof part, "%.*s", len, hint + off);
            tui_text(a, b.y + 2 + N_F + row, b.x, b.w, role, true, part);
            off += next > 0 ? next : (int)strlen(hint + off);
        }
    }
    /* the check, the audit and the estimate: a panel (long messages wrap; v, y, W) */
    int y = b.y + 3 + N_F + (hint_rows > 1 ? hint_rows - 1 : 0);
    TuiDoc d = {0};
    doc_add(&d, p->ok ? ROLE_GOOD : ROLE_BAD, 0, false, p->check);
    if (p->note[0])
        doc_addf(&d, ROLE_BAD, "warning: %s", p->note);
    for (int i = 0; i < p->n_audit; i++)
        doc_add(&d, !strncmp(p->audit[i], "error", 5) ? ROLE_BAD : ROLE_DIM, 2, false, p->audit[i]);
    if (p->ok && p->have_cfg) {
        TrainEstimate e;
        estimate(p, &e);
        doc_add(&d, ROLE_HEADER, 0, false, "estimate");
        doc_addf(&d, ROLE_NORMAL,
                 "%s, %.2fM parameters: about %.0f MB of memory, about %.1f minutes at %.0f "
                 "GFLOP/s (rates measured here at these shapes, as pilot --estimate)",
                 p->cfg.architecture, llama_config_n_params(&p->cfg) / 1e6, e.memory_mb, e.minutes,
                 e.gflops);
        doc_add(&d, ROLE_DIM, 0, false,
                "L launches: the run continues if you quit; Runs (6) shows its curves");
    }
    char title[96];
    snprintf(title, sizeof title, "data check: %d error(s), %d warning(s)", p->audit_errors,
             p->audit_warnings);
    tui_panel(a, title, &d, (Rect){y, b.x, b.y + b.h - y, b.w});
}

const TuiScreenClass tui_pilot_screen = {
    .name = "Pilot",
    .keys = KEYS,
    .footer = "Up/Down field  Enter edit  Left/Right demo or cached model  L launch",
    .open = pilot_open,
    .close = pilot_close,
    .draw = pilot_draw,
    .key = pilot_key,
    .typing = pilot_typing,
    .live = pilot_recent_launch,
};
