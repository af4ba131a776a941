/* Bytes of this CPU's last-level cache (L3; 32 MB if unknown), for the rule that sends a large
 * output to memory through non-temporal stores: an output which, with the input just read beside
 * it, will not fit there is streamed (its lines are not read for ownership and do not push the
 * input out). Smaller ones are not: a freshly allocated output usually reuses memory still in
 * cache. Measured on Cora-sized outputs (15.5 MB): streaming cost 2x for SpMM's gradient (Zen 4,
 * 32 MB L3) and 1.55x for the skinny Linear's gx (Xeon, AVX-512: 0.90 against 0.58 ms, 2 threads);
 * 100k x 64 SpMM forward (25.6 MB out, 25.6 MB x, Zen 4) gained 10-25% from it. */
#ifndef FASTNN_LLCACHE_H
#define FASTNN_LLCACHE_H
#include <unistd.h>

static inline long fastnn_llc_bytes(void) {
    long cache = 0;
#ifdef _SC_LEVEL3_CACHE_SIZE
    cache = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
    return cache > 0 ? cache : 32L << 20;
}
#endif
