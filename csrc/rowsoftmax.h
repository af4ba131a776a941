/* Row softmax kernels for float and double, stamped from rowsoftmax_impl.h. */
#ifndef FASTNN_ROWSOFTMAX_H
#define FASTNN_ROWSOFTMAX_H
#include <stddef.h>
#include "fastexp.h"

/* On x86-64 Linux/GCC, compile an AVX2+FMA copy of each row kernel beside the
 * baseline one; the loader picks by CPU, so wheels stay portable. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define FASTNN_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define FASTNN_VECTOR_CLONES
#endif

#define T float
#define SUFFIX(name) name##_f32
#define EXP fastnn_expf
#include "rowsoftmax_impl.h"
#undef T
#undef SUFFIX
#undef EXP

#define T double
#define SUFFIX(name) name##_f64
#define EXP fastnn_exp
#include "rowsoftmax_impl.h"
#undef T
#undef SUFFIX
#undef EXP

#endif
