/* vexp.c - vectorised exp (vexp.h). Range reduction x = n ln2 + r with
 * |r| <= ln2/2, ln2 split in two parts as in Cephes' expf (C1 = 0.693359375,
 * C2 = -2.12194440e-4), and Cephes' degree-6 polynomial for e^r; 2^n goes
 * into the exponent bits. Plain loops over floats that the compiler
 * vectorises for each target of target_clones. */
#include "model/vexp.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define VEXP_CLONES __attribute__((target_clones("avx512f", "avx2", "default"), optimize("O3")))
#else
#define VEXP_CLONES
#endif

static inline float exp_one(float x) {
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    /* n = round(x / ln2) by the 1.5 * 2^23 trick: t's low mantissa bits hold n */
    float t = x * 1.44269504088896341f + 12582912.0f;
    float n = t - 12582912.0f;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t ti, pi;
    memcpy(&ti, &t, 4);
    memcpy(&pi, &p, 4);
    pi += (ti - 0x4B400000u) << 23; /* times 2^n (unsigned: a NaN's bits wrap harmlessly) */
    memcpy(&p, &pi, 4);
    return p;
}

/* exp(d) from exp_one(d): 0 below -87, NaN for NaN */
static inline float exp_fix(float d, float v) {
    return d < -87.0f ? 0.0f : d == d ? v : d;
}

VEXP_CLONES void tp_vexpf(float *y, const float *x, float shift, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float d = x[i] - shift;
        y[i] = exp_fix(d, exp_one(d));
    }
}

VEXP_CLONES float tp_vmaxf(const float *x, size_t n) {
    float m[16];
    for (int k = 0; k < 16; k++)
        m[k] = x[0];
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++)
            m[k] = x[i + k] > m[k] ? x[i + k] : m[k];
    float mx = m[0];
    for (int k = 1; k < 16; k++)
        mx = m[k] > mx ? m[k] : mx;
    for (; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    return mx;
}

VEXP_CLONES double tp_vexpsumf(const float *x, float shift, size_t n) {
    /* 16 float lanes summed into double every 16 elements keep the double
     * accumulation of the reference within fp32 rounding */
    double sum = 0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        float e[16];
        for (int k = 0; k < 16; k++) {
            float d = x[i + k] - shift;
            e[k] = exp_fix(d, exp_one(d));
        }
        double s = 0;
        for (int k = 0; k < 16; k++)
            s += e[k];
        sum += s;
    }
    for (; i < n; i++) {
        float d = x[i] - shift;
        sum += exp_fix(d, exp_one(d));
    }
    return sum;
}
