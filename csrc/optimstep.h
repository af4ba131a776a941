/* Element loops of the fused optimizer updates, written so GCC vectorises them: restrict
 * pointers, and the option branches hoisted out of the loop (each inline body is compiled once
 * per option combination, with the flags as constants). Arithmetic in T, like PyTorch's. */
#ifndef FASTNN_OPTIMSTEP_H
#define FASTNN_OPTIMSTEP_H
#include <math.h>
#include <stddef.h>

#define FASTNN_DEFINE_OPTIM(T, SUFFIX, SQRT)                                                          \
static inline __attribute__((always_inline)) void adam_body_##SUFFIX(                                  \
        T *restrict p, const T *restrict g, T *restrict m, T *restrict v, T *restrict vmax,           \
        ptrdiff_t n, T sign, T decay, T l2, T b1, T b2, T one_b1, T one_b2, T step_size, T bc2, T eps,  \
        const int amsgrad, const int use_l2, const int use_decay) {                                   \
    for (ptrdiff_t i = 0; i < n; i++) {                                                                \
        T gi = sign * g[i];                                                                            \
        T pi = p[i];                                                                                   \
        if (use_decay) pi = pi * decay;                                                                \
        if (use_l2) gi = gi + l2 * pi;                                                                 \
        T mi = m[i] * b1 + one_b1 * gi;                                                                \
        T vi = v[i] * b2 + one_b2 * (gi * gi);                                                         \
        m[i] = mi;                                                                                     \
        v[i] = vi;                                                                                     \
        if (amsgrad) {                                                                                 \
            T mx = vmax[i];                                                                            \
            vi = (mx > vi || mx != mx) ? mx : vi; /* a NaN on either side stays, as np.maximum */      \
            vmax[i] = vi;                                                                              \
        }                                                                                              \
        p[i] = pi - step_size * (mi / (SQRT(vi) / bc2 + eps));                                         \
    }                                                                                                  \
}                                                                                                      \
static void fastnn_adam_##SUFFIX(T *p, const T *g, T *m, T *v, T *vmax, ptrdiff_t n, T sign, T decay,  \
                                 T l2, T b1, T b2, T one_b1, T one_b2, T step_size, T bc2, T eps,     \
                                 int amsgrad, int use_l2, int use_decay) {                            \
    if (amsgrad) {                                                                                     \
        if (use_l2) adam_body_##SUFFIX(p, g, m, v, vmax, n, sign, decay, l2, b1, b2, one_b1, one_b2,   \
                                       step_size, bc2, eps, 1, 1, 0);                                  \
        else if (use_decay) adam_body_##SUFFIX(p, g, m, v, vmax, n, sign, decay, l2, b1, b2, one_b1,   \
                                               one_b2, step_size, bc2, eps, 1, 0, 1);                  \
        else adam_body_##SUFFIX(p, g, m, v, vmax, n, sign, decay, l2, b1, b2, one_b1, one_b2,          \
                                step_size, bc2, eps, 1, 0, 0);                                         \
    } else {                                                                                           \
        if (use_l2) adam_body_##SUFFIX(p, g, m, v, vmax, n, sign, decay, l2, b1, b2, one_b1, one_b2,   \
                                       step_size, bc2, eps, 0, 1, 0);                                  \
        else if (use_decay) adam_body_##SUFFIX(p, g, m, v, vmax, n, sign, decay, l2, b1, b2, one_b1,   \
                                               one_b2, step_size, bc2, eps, 0, 0, 1);                  \
        else adam_body_##SUFFIX(p, g, m, v, vmax, n, sign, decay, l2, b1, b2, one_b1, one_b2,          \
                                step_size, bc2, eps, 0, 0, 0);                                         \
    }                                                                                                  \
}                                                                                                      \
static inline __attribute__((always_inline)) void sgd_body_##SUFFIX(                                   \
        T *restrict p, const T *restrict g, T *restrict buf, ptrdiff_t n, T sign, T lr, T l2, T mom,  \
        T keep, const int use_l2, const int has_buf, const int first, const int nesterov) {            \
    for (ptrdiff_t i = 0; i < n; i++) {                                                                \
        T gi = sign * g[i];                                                                            \
        if (use_l2) gi = gi + l2 * p[i];                                                               \
        if (has_buf) {                                                                                 \
            T bi = first ? gi : buf[i] * mom + keep * gi;                                              \
            buf[i] = bi;                                                                               \
            gi = nesterov ? gi + mom * bi : bi;                                                        \
        }                                                                                              \
        p[i] = p[i] - lr * gi;                                                                         \
    }                                                                                                  \
}                                                                                                      \
static void fastnn_sgd_##SUFFIX(T *p, const T *g, T *buf, ptrdiff_t n, T sign, T lr, T l2, T mom,      \
                                T keep, int use_l2, int has_buf, int first, int nesterov) {            \
    if (!has_buf) {                                                                                    \
        if (use_l2) sgd_body_##SUFFIX(p, g, buf, n, sign, lr, l2, mom, keep, 1, 0, 0, 0);              \
        else sgd_body_##SUFFIX(p, g, buf, n, sign, lr, l2, mom, keep, 0, 0, 0, 0);                     \
    } else if (first) {                                                                                \
        if (nesterov) sgd_body_##SUFFIX(p, g, buf, n, sign, lr, l2, mom, keep, use_l2, 1, 1, 1);       \
        else sgd_body_##SUFFIX(p, g, buf, n, sign, lr, l2, mom, keep, use_l2, 1, 1, 0);                \
    } else {                                                                                           \
        if (nesterov) sgd_body_##SUFFIX(p, g, buf, n, sign, lr, l2, mom, keep, use_l2, 1, 0, 1);       \
        else sgd_body_##SUFFIX(p, g, buf, n, sign, lr, l2, mom, keep, use_l2, 1, 0, 0);                \
    }                                                                                                  \
}

FASTNN_DEFINE_OPTIM(float, f32, sqrtf)
FASTNN_DEFINE_OPTIM(double, f64, sqrt)

#endif
