/* Work sharing for the threads of one parallel region that run a recurrence step by step.
 *
 * Each step's work is a list of blocks of hidden units (one panel of columns each). A step
 * may start once every block of the previous step is finished; no thread waits for another
 * thread as such. Thread r owns the blocks [first(r), first(r + 1)) and takes them in order
 * (the same panels of W_hh every step, so they stay in its cache); a thread that runs out
 * takes the blocks the others have not started. So a descheduled thread (a busy machine:
 * more runnable threads than cores) costs the block it is in the middle of at most, not its
 * whole share of every step, as a barrier would; one that falls behind skips through the
 * finished steps.
 *
 * A thread waiting for a step spins for ~FASTNN_STEP_SPIN_NS, then sleeps on a futex (Linux;
 * elsewhere it yields): a sleeping waiter frees its core, where the scheduler can then run
 * the thread being waited for, instead of leaving it queued behind another process.
 *
 * Results do not depend on which thread takes a block: each block is computed by one call
 * with the same arguments, whoever makes it.
 *
 * Memory: one cache line per thread, whatever the number of steps. */
#ifndef FASTNN_STEPWORK_H
#define FASTNN_STEPWORK_H
#include <stdlib.h>
#include <stddef.h>
#include <sched.h>
#include <time.h>
#ifdef __linux__
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define FASTNN_STEP_LINE 8              /* counters per 64-byte line */
#define FASTNN_STEP_SPIN_NS 30000       /* about one block of an LSTM medium step */

/* The counters only grow, over all steps, so nothing is reset between steps and the memory does
 * not grow with T: owner r's count of blocks claimed lies in [s * n_r, (s + 1) * n_r) during step
 * s (n_r its blocks per step), and step s is complete once (s + 1) * blocks are done. */
typedef struct {
    long long *claims;  /* per owner, one line each */
    long long done;     /* blocks finished, all steps */
    int steps_done;     /* steps completed: the futex word waiters sleep on */
    int sleepers;       /* waiters inside futex_wait (or about to be) */
    ptrdiff_t blocks;   /* blocks per step */
    int owners;         /* threads the blocks are split between */
} fastnn_steps;

/* 0, or -1 when out of memory. */
static inline int fastnn_steps_init(fastnn_steps *w, ptrdiff_t blocks, int owners) {
    w->blocks = blocks;
    w->owners = owners < 1 ? 1 : owners;
    w->done = 0;
    w->steps_done = 0;
    w->sleepers = 0;
    w->claims = (long long *)calloc((size_t)w->owners * FASTNN_STEP_LINE, sizeof(long long));
    return w->claims ? 0 : -1;
}

static inline void fastnn_steps_free(fastnn_steps *w) {
    free(w->claims);
    w->claims = NULL;
}

static inline ptrdiff_t fastnn_steps_first(const fastnn_steps *w, int owner) {
    return owner * w->blocks / w->owners;
}

/* The next block of step s for thread tid, or -1 when none is left. *owner starts at -1 for
 * each step (then tid's own blocks come first). Call only once step s - 1 is complete. */
static inline ptrdiff_t fastnn_steps_claim(fastnn_steps *w, ptrdiff_t s, int tid, int *owner) {
    int start = tid % w->owners;
    if (*owner < 0)
        *owner = start;
    for (;;) {
        long long *claim = w->claims + (size_t)*owner * FASTNN_STEP_LINE;
        ptrdiff_t first = fastnn_steps_first(w, *owner), count = fastnn_steps_first(w, *owner + 1) - first;
        long long end = (long long)(s + 1) * count;
        long long k = __atomic_load_n(claim, __ATOMIC_RELAXED);
        while (k < end) {   /* never past this step's range: the next step's claims start at end */
            if (__atomic_compare_exchange_n(claim, &k, k + 1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                return first + (ptrdiff_t)(k - (long long)s * count);
        }
        *owner = (*owner + 1) % w->owners;
        if (*owner == start)
            return -1;
    }
}

#ifdef __linux__
static inline void fastnn_futex(int *addr, int op, int value) {
    syscall(SYS_futex, addr, op, value, NULL, NULL, 0);
}
#endif

/* Thread finished `finished` blocks of step s (all it will take of it): publish their writes. */
static inline void fastnn_steps_finish(fastnn_steps *w, ptrdiff_t s, int finished) {
    if (finished == 0)
        return;
    if (__atomic_add_fetch(&w->done, finished, __ATOMIC_SEQ_CST) == (long long)(s + 1) * w->blocks) {
        __atomic_add_fetch(&w->steps_done, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&w->sleepers, __ATOMIC_SEQ_CST) > 0) {
#ifdef __linux__
            fastnn_futex(&w->steps_done, FUTEX_WAKE_PRIVATE, INT_MAX);
#endif
        }
    }
}

static inline long long fastnn_steps_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Whether every block of step s is finished (its writes are then visible). */
static inline int fastnn_steps_complete(fastnn_steps *w, ptrdiff_t s) {
    return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE) >= (long long)(s + 1) * w->blocks;
}

/* Return once every block of step s is finished; its writes are then visible. */
static inline void fastnn_steps_wait(fastnn_steps *w, ptrdiff_t s) {
    long long target = (long long)(s + 1) * w->blocks;
    if (fastnn_steps_complete(w, s))
        return;
    long long deadline = fastnn_steps_now_ns() + FASTNN_STEP_SPIN_NS;
    for (int spins = 1;; spins++) {
        if (fastnn_steps_complete(w, s))
            return;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        if (spins % 32 == 0 && fastnn_steps_now_ns() > deadline)
            break;
    }
    for (;;) {
        __atomic_add_fetch(&w->sleepers, 1, __ATOMIC_SEQ_CST);
        int seen = __atomic_load_n(&w->steps_done, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&w->done, __ATOMIC_SEQ_CST) < target) {
#ifdef __linux__
            fastnn_futex(&w->steps_done, FUTEX_WAIT_PRIVATE, seen);   /* returns at once if a step completed */
#else
            sched_yield();
#endif
        }
        __atomic_sub_fetch(&w->sleepers, 1, __ATOMIC_SEQ_CST);
        if (fastnn_steps_complete(w, s))
            return;
    }
}

/* Work ahead: the part of a block that needs nothing of the step before it (an LSTM's input projection), which
 * a thread waiting for that step may do early. Its state word goes 0 (free) -> 1 (taken) -> 2 (done): whoever
 * takes it (fastnn_ahead_take returns 1) does it, then calls fastnn_ahead_done; the block itself, finding it
 * taken by another thread, waits for it (fastnn_ahead_wait): one block's part at most. */
static inline int fastnn_ahead_take(int *state) {
    int expected = 0;
    return __atomic_compare_exchange_n(state, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}
static inline void fastnn_ahead_done(int *state) {
    __atomic_store_n(state, 2, __ATOMIC_RELEASE);
}
static inline void fastnn_ahead_wait(int *state) {
    for (int spins = 1; __atomic_load_n(state, __ATOMIC_ACQUIRE) != 2; spins++) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        if (spins % 1024 == 0)
            sched_yield();   /* its taker is descheduled (a busy machine) */
    }
}

#endif
