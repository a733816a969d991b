/* vexp.c - vectorised exp (vexp.h). Range reduction x = n ln2 + r with
 * |r| <= ln2/2, ln2 split in two parts as in Cephes' expf (C1 = 0.693359375,
 * C2 = -2.12194440e-4), and Cephes' degree-6 polynomial for e^r; 2^n goes
 * into the exponent bits. Plain loops over floats that the compiler
 * vectorises for each target of target_clones. */
#include "model/vexp.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                             \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
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

/* exp(x) in double: x = n ln2 + r with |r| <= ln2/2 (ln2 in two parts, fdlibm's
 * ln2_hi and ln2_lo), e^r by its Taylor series to r^13 (the first term left
 * out, r^14/14!, is under 5e-18 there), 2^n into the exponent bits. Within a
 * few ulp of exp() for x in [-708, 709]; below, the value stays about
 * 3e-308 (1 + it is 1, as with exp's); above, infinity; NaN gives NaN. */
static inline double exp_d(double x) {
    double xc = x < -708.0 ? -708.0 : x > 709.0 ? 709.0 : x;
    double t = xc * 1.4426950408889634 + 6755399441055744.0; /* 1.5 * 2^52 */
    double n = t - 6755399441055744.0;
    double r = (xc - n * 6.93147180369123816490e-01) - n * 1.90821492927058770002e-10;
    double p = 1.0 / 6227020800.0; /* 1/13! */
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t ti, pi;
    memcpy(&ti, &t, 8);
    memcpy(&pi, &p, 8);
    pi += (ti - 0x4338000000000000ull) << 52; /* times 2^n */
    memcpy(&p, &pi, 8);
    return x > 709.0 ? __builtin_inf() : p; /* NaN: p is NaN */
}

VEXP_CLONES void tp_vswiglu_forward(float *out, const float *gate, const float *up, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double g = gate[i];
        out[i] = (float)(g / (1 + exp_d(-g)) * up[i]);
    }
}

VEXP_CLONES void tp_vswiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                                     const float *up, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double g = gate[i], s = 1 / (1 + exp_d(-g));
        dgate[i] += (float)(dout[i] * up[i] * s * (1 + g * (1 - s)));
        dup[i] += (float)(dout[i] * g * s);
    }
}

/* a bf16 value (its 16 high bits) widened to float exactly */
static inline float widen16(uint16_t h) {
    uint32_t w = (uint32_t)h << 16;
    float f;
    memcpy(&f, &w, 4);
    return f;
}

VEXP_CLONES void tp_vswiglu16_forward(float *out, const uint16_t *gate, const uint16_t *up,
                                      size_t n) {
    for (size_t i = 0; i < n; i++) {
        float g = widen16(gate[i]);
        out[i] = g / (1.0f + exp_one(-g)) * widen16(up[i]);
    }
}

VEXP_CLONES void tp_vswiglu16_backward(float *dgate, float *dup, const float *dout,
                                       const uint16_t *gate, const uint16_t *up, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float g = widen16(gate[i]), u = widen16(up[i]), s = 1.0f / (1.0f + exp_one(-g));
        dgate[i] += dout[i] * u * s * (1.0f + g * (1.0f - s));
        dup[i] += dout[i] * g * s;
    }
}

VEXP_CLONES void tp_vsoftmax_row(float *row, int lo, int t, int T) {
    float mx = tp_vmaxf(row + lo, (size_t)(t - lo + 1));
    /* the terms stored, their sum in double 16 at a time (as tp_vexpsumf) */
    double sum = 0;
    int s = lo;
    for (; s + 16 <= t + 1; s += 16) {
        for (int k = 0; k < 16; k++) { /* vectorised */
            float d = row[s + k] - mx;
            row[s + k] = exp_fix(d, exp_one(d));
        }
        double part = 0;
        for (int k = 0; k < 16; k++)
            part += row[s + k];
        sum += part;
    }
    for (; s <= t; s++) {
        float d = row[s] - mx;
        row[s] = exp_fix(d, exp_one(d));
        sum += row[s];
    }
    for (s = lo; s <= t; s++)
        row[s] = (float)(row[s] / sum);
    for (s = 0; s < lo; s++)
        row[s] = 0;
    for (s = t + 1; s < T; s++)
        row[s] = 0;
}

VEXP_CLONES void tp_vsoftmax_backward_row(float *row, const float *p, int t, int T) {
    double dot = 0;
    int s = 0;
    for (; s + 16 <= t + 1; s += 16) {
        double prod[16], part = 0;
        for (int k = 0; k < 16; k++) /* vectorised */
            prod[k] = (double)row[s + k] * p[s + k];
        for (int k = 0; k < 16; k++)
            part += prod[k];
        dot += part;
    }
    for (; s <= t; s++)
        dot += (double)row[s] * p[s];
    for (s = 0; s <= t; s++)
        row[s] = (float)(p[s] * (row[s] - dot));
    for (s = t + 1; s < T; s++)
        row[s] = 0;
}
