/* The tile transforms of Winograd F(2x2, 3x3) (csrc/conv_winograd.pxi), over a "segment": nt
 * consecutive tiles of one tile row of one plane, tile t covering columns x + 2t onwards. Each
 * reads (or writes) the plane's rows directly and splits them into even and odd columns, so
 * that every loop runs over t with unit stride and vectorises (a per-tile gather of 4x4 patches
 * with bounds tests was 30% of a ResNet layer's forward). `restrict` tells the compiler the
 * streams do not overlap. `buf` is scratch of 8 * (nt + 1) values.
 *
 * input:  v[xi*vs + t] = (B^T d_t B)[xi], d_t the 4x4 patch at rows y.., columns x + 2t..
 *         of the H x W plane (zero outside)
 * grad:   z[xi*zs + t] = (A g_t A^T)[xi], g_t the 2x2 block at rows y.., columns x + 2t..
 *         of the H x W plane (zero outside)
 * output: rows y, y + 1 (those < H) of the H x W plane, columns x + 2t, x + 2t + 1 (those < W)
 *         = (A^T m_t A) + bias, m_t = m[xi*ms + t]; returns 1 if a value of the segment's tiles
 *         is inf or NaN (the caller's check that its inputs were finite, at no extra pass)
 * with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1] and A^T = [1 1 1 0; 0 1 -1 -1]. The
 * transforms are separable: rows are combined first (whole rows at once), then columns. */
#ifndef FASTNN_WINOGRAD_H
#define FASTNN_WINOGRAD_H
#include <stddef.h>
#include <string.h>
#include "cpulevel.h"

/* The same rows two planes on (the caller's next channels but one): one plane's rows are read
 * in less time than memory takes to deliver them. A prefetch past the array is harmless. */
#if defined(__GNUC__)
#define FNN_PREFETCH(p) __builtin_prefetch(p)
#else
#define FNN_PREFETCH(p) ((void)0)
#endif

#define FNN_WINOGRAD(T_, S)                                                                     \
/* ev[r*n + j] = plane[y + r, x + 2j], od[r*n + j] = plane[y + r, x + 2j + 1], j < n, r < rows    \
 * (zero outside the plane): pairs [jlo, jhi) lie inside the row, the few others are tested      \
 * one by one (copying edge rows into a zero-padded line first stalled the loads after it). */   \
static void wino_split_##S(const T_ *restrict plane, ptrdiff_t H, ptrdiff_t W, ptrdiff_t y,       \
                           ptrdiff_t x, ptrdiff_t rows, ptrdiff_t n, T_ *restrict ev,             \
                           T_ *restrict od) {                                                    \
    ptrdiff_t jlo = x >= 0 ? 0 : (1 - x) / 2;                                                    \
    ptrdiff_t jhi = W - 2 - x >= 0 ? (W - 2 - x) / 2 + 1 : 0;                                    \
    if (jhi > n) jhi = n;                                                                        \
    if (jlo > jhi) jlo = jhi;                                                                    \
    for (ptrdiff_t r = 0; r < rows; r++) {                                                       \
        T_ *e = ev + r * n, *o = od + r * n;                                                     \
        if (y + r < 0 || y + r >= H) {                                                           \
            for (ptrdiff_t j = 0; j < n; j++) e[j] = o[j] = 0;                                   \
            continue;                                                                            \
        }                                                                                        \
        const T_ *row = plane + (y + r) * W;                                                     \
        for (ptrdiff_t q = 0; q < 2 * n; q += 64 / sizeof(T_))                                   \
            FNN_PREFETCH(row + 2 * H * W + x + q);                                               \
        for (ptrdiff_t j = jlo; j < jhi; j++) {                                                  \
            e[j] = row[x + 2 * j];                                                               \
            o[j] = row[x + 2 * j + 1];                                                           \
        }                                                                                        \
        for (ptrdiff_t j = 0; j < n; j++) {                                                      \
            if (j == jlo) j = jhi;  /* past the pairs inside */                                  \
            if (j >= n) break;                                                                   \
            ptrdiff_t c = x + 2 * j;                                                             \
            e[j] = c >= 0 && c < W ? row[c] : 0;                                                 \
            o[j] = c + 1 >= 0 && c + 1 < W ? row[c + 1] : 0;                                     \
        }                                                                                        \
    }                                                                                            \
}                                                                                               \
static void wino_input_##S(const T_ *restrict plane, ptrdiff_t H, ptrdiff_t W, ptrdiff_t y,       \
                           ptrdiff_t x, ptrdiff_t nt, T_ *restrict v, ptrdiff_t vs,               \
                           T_ *restrict buf) {                                                   \
    ptrdiff_t n = nt + 1;                                                                        \
    T_ *restrict ev = buf, *restrict od = buf + 4 * n;                                           \
    wino_split_##S(plane, H, W, y, x, 4, n, ev, od);                         \
    for (int half = 0; half < 2; half++) {  /* rows: B^T d, on the even and the odd columns */  \
        T_ *restrict p = half ? od : ev;                                                         \
        for (ptrdiff_t j = 0; j < n; j++) {                                                      \
            T_ d0 = p[j], d1 = p[n + j], d2 = p[2 * n + j], d3 = p[3 * n + j];                   \
            p[j] = d0 - d2;                                                                      \
            p[n + j] = d1 + d2;                                                                  \
            p[2 * n + j] = d2 - d1;                                                              \
            p[3 * n + j] = d1 - d3;                                                              \
        }                                                                                        \
    }                                                                                            \
    for (int r = 0; r < 4; r++) {  /* columns: (.) B */                                          \
        const T_ *restrict e = ev + r * n, *restrict o = od + r * n;                             \
        T_ *restrict v0 = v + (r * 4) * vs, *restrict v1 = v0 + vs;                              \
        T_ *restrict v2 = v1 + vs, *restrict v3 = v2 + vs;                                       \
        for (ptrdiff_t t = 0; t < nt; t++) {                                                     \
            v0[t] = e[t] - e[t + 1];                                                             \
            v1[t] = o[t] + e[t + 1];                                                             \
            v2[t] = e[t + 1] - o[t];                                                             \
            v3[t] = o[t] - o[t + 1];                                                             \
        }                                                                                        \
    }                                                                                            \
}                                                                                               \
static void wino_grad_##S(const T_ *restrict plane, ptrdiff_t H, ptrdiff_t W, ptrdiff_t y,        \
                          ptrdiff_t x, ptrdiff_t nt, T_ *restrict z, ptrdiff_t zs,                \
                          T_ *restrict buf) {                                                    \
    T_ *restrict ev = buf, *restrict od = buf + 4 * nt;                                          \
    wino_split_##S(plane, H, W, y, x, 2, nt, ev, od);                       \
    for (ptrdiff_t j = 0; j < nt; j++) {  /* rows: A g, into rows 0..3 of ev and od */             \
        T_ a = ev[j], b = ev[nt + j], c = od[j], d = od[nt + j];                                 \
        ev[j] = a;                                                                               \
        ev[nt + j] = a + b;                                                                      \
        ev[2 * nt + j] = a - b;                                                                  \
        ev[3 * nt + j] = -b;                                                                     \
        od[j] = c;                                                                               \
        od[nt + j] = c + d;                                                                      \
        od[2 * nt + j] = c - d;                                                                  \
        od[3 * nt + j] = -d;                                                                     \
    }                                                                                            \
    for (int r = 0; r < 4; r++) {  /* columns: (.) A^T */                                        \
        const T_ *restrict e = ev + r * nt, *restrict o = od + r * nt;                           \
        T_ *restrict z0 = z + (r * 4) * zs, *restrict z1 = z0 + zs;                              \
        T_ *restrict z2 = z1 + zs, *restrict z3 = z2 + zs;                                       \
        for (ptrdiff_t t = 0; t < nt; t++) {                                                     \
            z0[t] = e[t];                                                                        \
            z1[t] = e[t] + o[t];                                                                 \
            z2[t] = e[t] - o[t];                                                                 \
            z3[t] = -o[t];                                                                       \
        }                                                                                        \
    }                                                                                            \
}                                                                                               \
static int wino_output_##S(const T_ *restrict m, ptrdiff_t ms, ptrdiff_t nt, T_ bias,             \
                           T_ *restrict plane, ptrdiff_t H, ptrdiff_t W, ptrdiff_t y,            \
                           ptrdiff_t x, T_ *restrict buf) {                                      \
    /* rows that fit the plane are written in place; the others go through buf (copying a row  \
     * written as pairs of values stalled on every load of the copy) */                          \
    ptrdiff_t cols = W - x < 2 * nt ? W - x : 2 * nt;                                            \
    int whole = cols == 2 * nt;                                                                  \
    T_ *restrict r0 = whole ? plane + y * W + x : buf;                                           \
    T_ *restrict r1 = whole && y + 1 < H ? plane + (y + 1) * W + x : buf + 2 * nt;               \
    int bad = 0;                                                                                 \
    for (ptrdiff_t t = 0; t < nt; t++) {                                                         \
        T_ s[8];                                                                                 \
        for (int c = 0; c < 4; c++) {  /* rows: A^T m */                                         \
            s[c] = m[c * ms + t] + m[(4 + c) * ms + t] + m[(8 + c) * ms + t];                    \
            s[4 + c] = m[(4 + c) * ms + t] - m[(8 + c) * ms + t] - m[(12 + c) * ms + t];         \
        }                                                                                        \
        T_ a = s[0] + s[1] + s[2] + bias, b = s[1] - s[2] - s[3] + bias;  /* columns: (.) A */   \
        T_ c = s[4] + s[5] + s[6] + bias, d = s[5] - s[6] - s[7] + bias;                         \
        bad |= (a - a) + (b - b) + (c - c) + (d - d) != 0;  /* 0 unless one is inf or NaN */     \
        r0[2 * t] = a;                                                                           \
        r0[2 * t + 1] = b;                                                                       \
        r1[2 * t] = c;                                                                           \
        r1[2 * t + 1] = d;                                                                       \
    }                                                                                            \
    if (!whole)                                                                                  \
        memcpy(plane + y * W + x, r0, cols * sizeof(T_));                                        \
    if (y + 1 < H && r1 == buf + 2 * nt)                                                         \
        memcpy(plane + (y + 1) * W + x, r1, cols * sizeof(T_));                                  \
    return bad;                                                                                  \
}

/* regroup: z[xi*z_stride + t*cp + k] = zg[k*zs + xi*T + t] for xi < 16, t < T, k < ng (the weight
 * gradient's grad_out transforms, written channel-major, moved into the tile-major rows its
 * products read). Scalar, it was 15% of the ResNet layer's weight gradient; the AVX-512 build
 * transposes blocks of one vector of channels by one of tiles in registers (VBYTES > 0): four
 * (float) or three (double) rounds of interleaving row j with row j + L/2 transpose L x L. */
#define FNN_REGROUP(T_, S, VBYTES)                                                               \
static void wino_regroup_##S(const T_ *restrict zg, ptrdiff_t zs, ptrdiff_t T, ptrdiff_t ng,       \
                             T_ *restrict z, ptrdiff_t z_stride, ptrdiff_t cp) {                  \
    enum { L = VBYTES ? VBYTES / sizeof(T_) : 1 };                                               \
    for (int xi = 0; xi < 16; xi++) {                                                            \
        const T_ *src = zg + xi * T;                                                             \
        T_ *dst = z + xi * z_stride;                                                             \
        ptrdiff_t k0 = 0;                                                                        \
        if (VBYTES && T % L == 0)                                                                \
            for (; k0 + L <= ng; k0 += L)                                                        \
                for (ptrdiff_t t0 = 0; t0 < T; t0 += L)                                          \
                    FNN_TRANSPOSE_##S(src + k0 * zs + t0, zs, dst + t0 * cp + k0, cp);           \
        for (ptrdiff_t t = 0; t < T; t++)                                                        \
            for (ptrdiff_t k = k0; k < ng; k++)                                                  \
                dst[t * cp + k] = src[k * zs + t];                                               \
    }                                                                                            \
}

#define FNN_NO_TRANSPOSE(src, ss, dst, ds) ((void)0)
#define FNN_TRANSPOSE_f_base FNN_NO_TRANSPOSE
#define FNN_TRANSPOSE_d_base FNN_NO_TRANSPOSE
#define FNN_TRANSPOSE_f_avx2 FNN_NO_TRANSPOSE
#define FNN_TRANSPOSE_d_avx2 FNN_NO_TRANSPOSE
#define FNN_TRANSPOSE_f_avx512 fnn_transpose_f_avx512
#define FNN_TRANSPOSE_d_avx512 fnn_transpose_d_avx512

FNN_WINOGRAD(float, f_base)
FNN_WINOGRAD(double, d_base)
FNN_REGROUP(float, f_base, 0)
FNN_REGROUP(double, d_base, 0)
#ifdef FASTNN_HAVE_AVX2_BUILD
#pragma GCC push_options
#pragma GCC target("avx2,fma")
FNN_WINOGRAD(float, f_avx2)
FNN_WINOGRAD(double, d_avx2)
FNN_REGROUP(float, f_avx2, 0)
FNN_REGROUP(double, d_avx2, 0)
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
/* dst rows i = src columns: an L x L block, rows ss (src) and ds (dst) values apart */
#define FNN_DEFINE_TRANSPOSE(T_, S, IT)                                                          \
typedef T_ fnn_tv_##S __attribute__((vector_size(64)));                                         \
typedef IT fnn_ti_##S __attribute__((vector_size(64)));                                         \
static inline void fnn_transpose_##S(const T_ *src, ptrdiff_t ss, T_ *dst, ptrdiff_t ds) {       \
    enum { L = 64 / sizeof(T_) };                                                                \
    fnn_tv_##S r[L], o[L];                                                                       \
    fnn_ti_##S lo, hi;                                                                           \
    for (int i = 0; i < L / 2; i++) {                                                            \
        lo[2 * i] = i;                                                                           \
        lo[2 * i + 1] = L + i;                                                                   \
        hi[2 * i] = L / 2 + i;                                                                   \
        hi[2 * i + 1] = L + L / 2 + i;                                                           \
    }                                                                                            \
    for (int i = 0; i < L; i++) memcpy(&r[i], src + i * ss, sizeof r[i]);                        \
    for (int round = 1; round < L; round *= 2) {                                                 \
        for (int j = 0; j < L / 2; j++) {                                                        \
            o[2 * j] = __builtin_shuffle(r[j], r[j + L / 2], lo);                                \
            o[2 * j + 1] = __builtin_shuffle(r[j], r[j + L / 2], hi);                            \
        }                                                                                        \
        memcpy(r, o, sizeof r);                                                                  \
    }                                                                                            \
    for (int i = 0; i < L; i++) memcpy(dst + i * ds, &r[i], sizeof r[i]);                        \
}
FNN_DEFINE_TRANSPOSE(float, f_avx512, int)
FNN_DEFINE_TRANSPOSE(double, d_avx512, long long)
FNN_WINOGRAD(float, f_avx512)
FNN_WINOGRAD(double, d_avx512)
FNN_REGROUP(float, f_avx512, 64)
FNN_REGROUP(double, d_avx512, 64)
#pragma GCC pop_options
#endif

#define FNN_WINOGRAD_FRONT(T_, S)                                                                 \
static inline void wino_input_##S(const T_ *plane, ptrdiff_t H, ptrdiff_t W, ptrdiff_t y, ptrdiff_t x, \
                                  ptrdiff_t nt, T_ *v, ptrdiff_t vs, T_ *buf) {                    \
    FASTNN_DISPATCH(wino_input_##S, (plane, H, W, y, x, nt, v, vs, buf));                          \
}                                                                                                 \
static inline void wino_grad_##S(const T_ *plane, ptrdiff_t H, ptrdiff_t W, ptrdiff_t y, ptrdiff_t x, \
                                 ptrdiff_t nt, T_ *z, ptrdiff_t zs, T_ *buf) {                      \
    FASTNN_DISPATCH(wino_grad_##S, (plane, H, W, y, x, nt, z, zs, buf));                           \
}                                                                                                 \
static inline int wino_output_##S(const T_ *m, ptrdiff_t ms, ptrdiff_t nt, T_ bias, T_ *plane,     \
                                  ptrdiff_t H, ptrdiff_t W, ptrdiff_t y, ptrdiff_t x, T_ *buf) {   \
    return FASTNN_DISPATCH(wino_output_##S, (m, ms, nt, bias, plane, H, W, y, x, buf));            \
}
FNN_WINOGRAD_FRONT(float, f)
static inline void wino_regroup_f(const float *zg, ptrdiff_t zs, ptrdiff_t T, ptrdiff_t ng, float *z,
                                  ptrdiff_t z_stride, ptrdiff_t cp) {
    FASTNN_DISPATCH(wino_regroup_f, (zg, zs, T, ng, z, z_stride, cp));
}
static inline void wino_regroup_d(const double *zg, ptrdiff_t zs, ptrdiff_t T, ptrdiff_t ng, double *z,
                                  ptrdiff_t z_stride, ptrdiff_t cp) {
    FASTNN_DISPATCH(wino_regroup_d, (zg, zs, T, ng, z, z_stride, cp));
}
FNN_WINOGRAD_FRONT(double, d)
#undef FNN_WINOGRAD_FRONT

#endif
