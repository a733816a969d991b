/* Fuzz target: decision frameworks (the files in assets/frameworks/, or a user's
 * own) and the answers documents evaluated against them (decide --answers,
 * saved decisions). The input is a framework, optionally followed by the
 * marker line "##" and an answers document. An accepted framework is
 * evaluated with no answers, then with the parsed answers; the result goes
 * through the JSON writer and the wizard's next question. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "fuzz_util.h"
#include "tunepilot/decide.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void evaluate(const DecideFramework *fw, const DecideAnswers *a) {
    DecideResult r;
    decide_evaluate(fw, a, &r);
    cJSON *j = decide_result_json(fw, a, &r);
    if (!j)
        abort();
    char *s = cJSON_PrintUnformatted(j);
    free(s);
    cJSON_Delete(j);
    (void)decide_next_question(fw, a);
    decide_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static Pricing pricing;
    static int loaded;
    if (!loaded) {
        if (pricing_load_bundled(&pricing, NULL) != TP_OK)
            abort();
        loaded = 1;
    }
    const uint8_t *fwd, *ans;
    size_t nfw, nans;
    fuzz_split(data, size, &fwd, &nfw, &ans, &nans);
    DecideFramework fw;
    TpError err;
    if (decide_framework_parse((const char *)fwd, nfw, "fuzz.json", &pricing, &fw, &err) != TP_OK)
        return 0;
    DecideAnswers a = {0};
    evaluate(&fw, &a);
    cJSON *doc = nans ? cJSON_ParseWithLength((const char *)ans, nans) : NULL;
    if (doc && decide_answers_from_json(&fw, doc, "answers.json", &a, &err) == TP_OK) {
        decide_answers_filter(&fw, &a);
        evaluate(&fw, &a);
        cJSON *back = decide_answers_inputs_json(&a);
        cJSON_Delete(back);
    }
    cJSON_Delete(doc);
    decide_answers_free(&a);
    decide_framework_free(&fw);
    return 0;
}
