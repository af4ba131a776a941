/* GCC vector types of the kernels' float and double builds, shared by their headers: 16 bytes
 * is one SSE2 register on the x86-64 baseline (NEON on aarch64), 32 bytes AVX2, 64 AVX-512. */
#ifndef FASTNN_VECTYPES_H
#define FASTNN_VECTYPES_H
#include <stdint.h>

typedef float fastnn_v4f __attribute__((vector_size(16)));
typedef int32_t fastnn_v4i __attribute__((vector_size(16)));
typedef double fastnn_v2d __attribute__((vector_size(16)));
typedef int64_t fastnn_v2l __attribute__((vector_size(16)));
typedef float fastnn_v8f __attribute__((vector_size(32)));
typedef int32_t fastnn_v8i __attribute__((vector_size(32)));
typedef double fastnn_v4d __attribute__((vector_size(32)));
typedef float fastnn_v16f __attribute__((vector_size(64)));
typedef int32_t fastnn_v16i __attribute__((vector_size(64)));
typedef double fastnn_v8d __attribute__((vector_size(64)));

#endif
