/* Which float32 build of a vectorised kernel the CPU runs: 2 = AVX-512, 1 = AVX2+FMA,
 * 0 = the x86-64 (SSE2) or other baseline. The AVX builds exist only with GCC on x86-64,
 * where FASTNN_HAVE_AVX2_BUILD is defined; wheels stay runnable on any x86-64 CPU.
 * FASTNN_CPU_LEVEL=0 or 1 in the environment caps the level, so the tests can run the
 * lower builds on a machine that has AVX-512.
 * Decided once per module. Threads that find it unset each compute the same answer and store it
 * with a relaxed atomic store, so concurrent first calls are not a data race (which a plain int
 * would be: undefined behaviour in C11, however "benign"). */
#ifndef FASTNN_CPULEVEL_H
#define FASTNN_CPULEVEL_H
#include <stdlib.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define FASTNN_HAVE_AVX2_BUILD 1
#endif

static inline int fastnn_cpu_level(void) {
#ifdef FASTNN_HAVE_AVX2_BUILD
    static int cached = -1;
    int level = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (level < 0) {
        __builtin_cpu_init();
        int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                     __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
        level = avx512 ? 2 : avx2;
        const char *cap = getenv("FASTNN_CPU_LEVEL");
        if (cap && cap[0] >= '0' && cap[0] <= '2' && cap[1] == '\0' && cap[0] - '0' < level)
            level = cap[0] - '0';
        __atomic_store_n(&cached, level, __ATOMIC_RELAXED);
    }
    return level;
#else
    return 0;
#endif
}

/* FASTNN_DISPATCH(stem, args): call stem_avx512, stem_avx2 or stem_base with args, the build
 * this CPU runs. An expression, so `return FASTNN_DISPATCH(...)` works for a value too. */
#ifdef FASTNN_HAVE_AVX2_BUILD
#define FASTNN_DISPATCH(stem, args) \
    (fastnn_cpu_level() == 2 ? stem##_avx512 args : fastnn_cpu_level() == 1 ? stem##_avx2 args : stem##_base args)
#else
#define FASTNN_DISPATCH(stem, args) (stem##_base args)
#endif

#endif
