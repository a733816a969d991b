/* test_optim.c - AdamW, clipping and the schedule against hand calculation. */
#include <math.h>

#include "tp_test.h"
#include "tunepilot/optim.h"

/* p = 1, g = 0.5, lr = 0.1, wd = 0.01. Decay: p = 1 - 0.1*0.01 = 0.999.
 * m = 0.05, v = 0.00025; bias corrections 1 - 0.9 = 0.1 and
 * sqrt(1 - 0.999) = 0.0316228; m/0.1 = 0.5 and sqrt(v)/0.0316228 = 0.5, so
 * the step is lr * 0.5 / (0.5 + 1e-8) = 0.1 (less 2e-9): p = 0.899. Second
 * step with g = 0.5: m = 0.095, v = 0.00049975; corrections 0.19 and
 * sqrt(0.001999) = 0.04471; again 0.5 / 0.5: p = 0.899*0.999 - 0.1. */
static void test_adamw_hand(void **state) {
    (void)state;
    AdamW o;
    adamw_init(&o, 1, 0.01);
    float p = 1.0f, g = 0.5f;
    adamw_step(&o, &p, &g, 0.1);
    assert_close(p, 0.899, 1e-6);
    adamw_step(&o, &p, &g, 0.1);
    assert_close(p, 0.899 * 0.999 - 0.1, 1e-6);
    assert_int_equal(o.t, 2);
    adamw_free(&o);
}

static void test_clip(void **state) {
    (void)state;
    float g[2] = {3, 4};
    assert_close(clip_grad_norm(g, 2, 1.0), 5.0, 1e-12);
    assert_close(g[0], 3 / (5 + 1e-6), 1e-7);
    assert_close(g[1], 4 / (5 + 1e-6), 1e-7);
    float h[2] = {0.3f, 0.4f}; /* below the limit: unchanged */
    assert_close(clip_grad_norm(h, 2, 1.0), 0.5, 1e-7);
    assert_close(h[0], 0.3, 1e-7);
}

/* warmup 10 of 110: step 5 -> 0.5, step 10 -> 1, halfway through the decay
 * (step 60) -> 0.5 (1 + cos(pi/2)) = 0.5, the end -> 0. */
static void test_schedule(void **state) {
    (void)state;
    assert_close(lr_cosine_with_warmup(0, 10, 110), 0, 0);
    assert_close(lr_cosine_with_warmup(5, 10, 110), 0.5, 1e-15);
    assert_close(lr_cosine_with_warmup(10, 10, 110), 1.0, 1e-15);
    assert_close(lr_cosine_with_warmup(60, 10, 110), 0.5, 1e-15);
    assert_close(lr_cosine_with_warmup(110, 10, 110), 0.0, 1e-15);
    assert_close(lr_cosine_with_warmup(0, 0, 100), 1.0, 1e-15);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adamw_hand),
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
