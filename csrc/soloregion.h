/* One-thread OpenMP regions run inline, without libgomp's team set-up.
 *
 * Every kernel loop is a `prange(..., num_threads=nt)`, and nt is 1 whenever the work is small
 * (threads_for) or fastnn.set_num_threads(1) is in force. libgomp still builds a team of one for
 * such a region and ends it at a barrier whose last arrival always calls futex(FUTEX_WAKE), even
 * with no one to wake: two system calls per region, ~1 us on a KVM guest (AMD EPYC Zen 5;
 * linear_forward of a (32, 4) batch 2.0 -> 1.0 us without its one-thread bias region), about
 * 6 us of a 70 us MLP training step.
 *
 * setup.py links the modules with `-Wl,--wrap=GOMP_parallel` (GCC's libgomp only) and defines
 * FASTNN_SOLO_REGIONS, so every `#pragma omp parallel` in the module calls the wrapper below. A
 * one-thread region entered outside any OpenMP region (level 0: the main thread or a helper-pool
 * thread) then calls its body directly. That is the region's own meaning: the body's worksharing
 * loops and barriers, found with no enclosing team, bind to the implicit team of one thread
 * (libgomp supports such orphaned constructs), and omp_get_thread_num()/omp_get_num_threads()
 * read 0 and 1, as in a team of one. Inside another region (level >= 1) an orphaned loop would
 * bind to the enclosing team instead, so the real GOMP_parallel runs there. */
#ifndef FASTNN_SOLOREGION_H
#define FASTNN_SOLOREGION_H

#if defined(FASTNN_SOLO_REGIONS) && defined(_OPENMP)
#include <omp.h>

void __real_GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);

__attribute__((visibility("hidden"))) void __wrap_GOMP_parallel(void (*fn)(void *), void *data,
                                                                 unsigned num_threads, unsigned flags) {
    if (num_threads == 1 && omp_get_level() == 0) {
        fn(data);
        return;
    }
    __real_GOMP_parallel(fn, data, num_threads, flags);
}

static inline int fastnn_solo_regions_inline(void) { return 1; }
#else
static inline int fastnn_solo_regions_inline(void) { return 0; }
#endif

#endif
