/* A pool of helper threads that run the parts of one job, where the caller never waits for a
 * helper that has not started.
 *
 * An OpenMP region ends in a join: every thread of the team must arrive, so on a busy machine
 * (more runnable threads than cores) each region waits for the scheduler to run a descheduled
 * thread, however little work that thread has. Here the caller publishes a job of `parts`
 * independent parts, wakes the helpers, and claims parts itself like any helper; it then waits
 * only for parts that a helper has claimed and not yet finished. A helper that wakes late finds
 * nothing left and sleeps again, so a busy core costs at most the part it holds.
 *
 * Claims go through one 64-bit ticket, (job number << 32) | next part. When a job's parts are
 * all done, the caller closes its ticket (next = all ones) before writing the next job, so a
 * helper that read an old job's fields can never claim a part of it (its CAS fails).
 *
 * One pool per process: its state lives in fastnn._runtime and every extension module finds it
 * through the capsule fastnn._runtime._pool on its first job, so the helpers still spinning after
 * one module's job (a Linear layer's GEMM) take part in the next module's (an SpMM, an LSTM's
 * steps). Its helpers sleep on a futex between jobs. A second caller while a job runs (another
 * Python thread, or a part that calls the pool) runs its own parts itself. Linux only (futex); elsewhere FASTNN_HAVE_POOL is 0 and
 * the callers use an OpenMP region instead. After fork() the child starts without helpers.
 *
 * Sleeping helpers are woken off the caller's CPU (cpusteer.h says why: on a virtual machine
 * that was idle, they would otherwise wake onto it and share it with the caller). */
#ifndef FASTNN_GEMMPOOL_H
#define FASTNN_GEMMPOOL_H

typedef void (*fastnn_part_fn)(void *ctx, int part);

#if defined(__linux__)
#define FASTNN_HAVE_POOL 1
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "cpusteer.h"

#define FASTNN_POOL_MAX 64
#define FASTNN_POOL_SPIN_NS 30000   /* spin this long (the next GEMM of a kernel, a part held by a helper) before sleeping */
#define FASTNN_POOL_CLOSED 0xFFFFFFFFu

typedef struct {
    pid_t tid;                    /* 0 until the helper has started */
    int steered;                  /* the caller took its CPU out of this helper's mask, saved here: */
    cpu_set_t mask;
} fastnn_pool_helper_t;

typedef struct {
    pthread_mutex_t start_lock;   /* guards starting helpers */
    int helpers;                  /* helpers started */
    int busy;                     /* a job is being run (try-lock) */
    int job;                      /* job number: the futex word helpers sleep on */
    int sleepers;                 /* helpers in (or entering) futex_wait on job */
    unsigned long long ticket;    /* (job << 32) | next part */
    int done;                     /* parts finished: the futex word the caller sleeps on */
    int caller_sleeping;
    int parts, active;            /* the job: its parts, and how many helpers take part */
    fastnn_part_fn fn;
    void *ctx;
    int fork_handler;             /* pthread_atfork registered */
    fastnn_pool_helper_t helper[FASTNN_POOL_MAX];
} fastnn_pool_t;

/* This module's own pool: the process's one in fastnn._runtime (which publishes it), and elsewhere
 * only if the capsule cannot be found (a module used without fastnn._runtime, a C test harness). */
static fastnn_pool_t fastnn_pool_local = {.start_lock = PTHREAD_MUTEX_INITIALIZER};
static fastnn_pool_t *fastnn_pool_shared = NULL;

/* The process's pool. The first call of a module looks the capsule up, under the GIL (a kernel's
 * caller runs without it, so no thread that waits for this one holds it). */
static fastnn_pool_t *fastnn_the_pool(void) {
    fastnn_pool_t *p = __atomic_load_n(&fastnn_pool_shared, __ATOMIC_ACQUIRE);
    if (p != NULL)
        return p;
#ifdef Py_PYTHON_H
    PyGILState_STATE gil = PyGILState_Ensure();
    p = (fastnn_pool_t *)PyCapsule_Import("fastnn._runtime._pool", 0);
    if (p == NULL)
        PyErr_Clear();
    PyGILState_Release(gil);
#endif
    if (p == NULL)
        p = &fastnn_pool_local;
    __atomic_store_n(&fastnn_pool_shared, p, __ATOMIC_RELEASE);
    return p;
}

static inline void fastnn_pool_futex(int *addr, int op, int value) {
    syscall(SYS_futex, addr, op, value, NULL, NULL, 0);
}

/* Claim and run parts of job `job` until none is left; returns how many this thread ran. */
static inline int fastnn_pool_work(fastnn_pool_t *p, unsigned job) {
    int ran = 0;
    for (;;) {
        unsigned long long t = __atomic_load_n(&p->ticket, __ATOMIC_ACQUIRE);
        if ((unsigned)(t >> 32) != job)
            return ran;
        unsigned next = (unsigned)t;
        int parts = __atomic_load_n(&p->parts, __ATOMIC_ACQUIRE);
        fastnn_part_fn fn = __atomic_load_n(&p->fn, __ATOMIC_ACQUIRE);
        void *ctx = __atomic_load_n(&p->ctx, __ATOMIC_ACQUIRE);
        if (next == FASTNN_POOL_CLOSED || next >= (unsigned)parts)
            return ran;
        /* success means the ticket was still this job's and open, so the fields read above were its own */
        if (!__atomic_compare_exchange_n(&p->ticket, &t, t + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
            continue;
        fn(ctx, (int)next);
        ran++;
        if (__atomic_add_fetch(&p->done, 1, __ATOMIC_SEQ_CST) == parts &&
            __atomic_load_n(&p->caller_sleeping, __ATOMIC_SEQ_CST))
            fastnn_pool_futex(&p->done, FUTEX_WAKE_PRIVATE, 1);
    }
}

static void *fastnn_pool_helper(void *arg) {
    fastnn_pool_t *p = fastnn_the_pool();   /* known: the module that starts a helper looked it up */
    int index = (int)(size_t)arg;
    fastnn_pool_helper_t *self = &p->helper[index];
    int seen = __atomic_load_n(&p->job, __ATOMIC_ACQUIRE);
    __atomic_store_n(&self->tid, fastnn_thread_id(), __ATOMIC_RELEASE);
    for (;;) {
        long long deadline = fastnn_now_ns() + FASTNN_POOL_SPIN_NS;
        int job, spins = 0;
        while ((job = __atomic_load_n(&p->job, __ATOMIC_ACQUIRE)) == seen) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
            if (++spins % 64 == 0 && fastnn_now_ns() > deadline) {
                __atomic_add_fetch(&p->sleepers, 1, __ATOMIC_SEQ_CST);
                if (__atomic_load_n(&p->job, __ATOMIC_SEQ_CST) == seen)
                    fastnn_pool_futex(&p->job, FUTEX_WAIT_PRIVATE, seen);
                __atomic_sub_fetch(&p->sleepers, 1, __ATOMIC_SEQ_CST);
                deadline = fastnn_now_ns() + FASTNN_POOL_SPIN_NS;
            }
        }
        seen = job;
        if (__atomic_load_n(&self->steered, __ATOMIC_ACQUIRE)) {   /* woken off the caller's CPU: all CPUs again */
            fastnn_steer_restore(&self->mask);
            __atomic_store_n(&self->steered, 0, __ATOMIC_RELEASE);
        }
        if (index < __atomic_load_n(&p->active, __ATOMIC_ACQUIRE))
            fastnn_pool_work(p, (unsigned)job);
    }
    return NULL;
}

static void fastnn_pool_after_fork(void) {
    /* the child has only the forking thread: no helpers, no job in progress */
    fastnn_pool_t *p = fastnn_the_pool();
    p->helpers = 0;
    p->busy = 0;
    for (int i = 0; i < FASTNN_POOL_MAX; i++) {
        p->helper[i].tid = 0;
        p->helper[i].steered = 0;
    }
    pthread_mutex_init(&p->start_lock, NULL);
}

/* Start helpers until there are `want` (or as many as could be started). */
static inline int fastnn_pool_grow(fastnn_pool_t *p, int want) {
    if (want > FASTNN_POOL_MAX)
        want = FASTNN_POOL_MAX;
    if (__atomic_load_n(&p->helpers, __ATOMIC_ACQUIRE) >= want)
        return want;
    pthread_mutex_lock(&p->start_lock);
    if (!p->fork_handler)
        p->fork_handler = pthread_atfork(NULL, NULL, fastnn_pool_after_fork) == 0;
    while (p->helpers < want) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 1 << 20);   /* parts are BLAS calls: OpenBLAS needs well under this */
        int err = pthread_create(&thread, &attr, fastnn_pool_helper, (void *)(size_t)p->helpers);
        pthread_attr_destroy(&attr);
        if (err)
            break;
        __atomic_add_fetch(&p->helpers, 1, __ATOMIC_RELEASE);
    }
    int have = p->helpers;
    pthread_mutex_unlock(&p->start_lock);
    return have < want ? have : want;
}

/* Run fn(ctx, 0 .. parts-1), each part once, on up to `threads` threads (the caller is one).
 * Returns when every part is done. */
static inline void fastnn_pool_run(int parts, int threads, fastnn_part_fn fn, void *ctx) {
    fastnn_pool_t *p = fastnn_the_pool();
    int helpers = threads - 1 < parts - 1 ? threads - 1 : parts - 1;
    int expected = 0;
    if (helpers > 0)
        helpers = fastnn_pool_grow(p, helpers);
    if (helpers <= 0 || !__atomic_compare_exchange_n(&p->busy, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        for (int i = 0; i < parts; i++)
            fn(ctx, i);
        return;
    }
    if (__atomic_load_n(&p->sleepers, __ATOMIC_SEQ_CST) > 0) {
        /* Helpers are asleep: the ones this job wakes, wake off this CPU. The caller alone sets `steered`,
         * the helper alone clears it (after restoring its mask), so a saved mask is never overwritten. */
        int cpu = fastnn_current_cpu();
        for (int h = 0; h < helpers; h++) {
            fastnn_pool_helper_t *w = &p->helper[h];
            pid_t tid = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE);
            if (tid && !__atomic_load_n(&w->steered, __ATOMIC_ACQUIRE) && fastnn_steer_off(tid, cpu, &w->mask))
                __atomic_store_n(&w->steered, 1, __ATOMIC_RELEASE);
        }
    }
    /* the previous job's ticket is closed: no helper can claim anything while the fields change */
    unsigned job = (unsigned)__atomic_load_n(&p->job, __ATOMIC_RELAXED) + 1;
    __atomic_store_n(&p->fn, fn, __ATOMIC_RELEASE);
    __atomic_store_n(&p->ctx, ctx, __ATOMIC_RELEASE);
    __atomic_store_n(&p->parts, parts, __ATOMIC_RELEASE);
    __atomic_store_n(&p->active, helpers, __ATOMIC_RELEASE);
    __atomic_store_n(&p->done, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&p->ticket, (unsigned long long)job << 32, __ATOMIC_SEQ_CST);
    __atomic_store_n(&p->job, (int)job, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&p->sleepers, __ATOMIC_SEQ_CST) > 0)
        fastnn_pool_futex(&p->job, FUTEX_WAKE_PRIVATE, INT_MAX);
    fastnn_pool_work(p, job);
    /* wait for the parts helpers hold: spin briefly (a part is short), then sleep */
    long long deadline = fastnn_now_ns() + FASTNN_POOL_SPIN_NS;
    int done, spins = 0;
    while ((done = __atomic_load_n(&p->done, __ATOMIC_ACQUIRE)) < parts) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        if (++spins % 64 == 0 && fastnn_now_ns() > deadline) {
            __atomic_store_n(&p->caller_sleeping, 1, __ATOMIC_SEQ_CST);
            done = __atomic_load_n(&p->done, __ATOMIC_SEQ_CST);
            if (done < parts)
                fastnn_pool_futex(&p->done, FUTEX_WAIT_PRIVATE, done);
            __atomic_store_n(&p->caller_sleeping, 0, __ATOMIC_SEQ_CST);
        }
    }
    __atomic_store_n(&p->ticket, ((unsigned long long)job << 32) | FASTNN_POOL_CLOSED, __ATOMIC_SEQ_CST);
    __atomic_store_n(&p->busy, 0, __ATOMIC_RELEASE);
}

#else
#define FASTNN_HAVE_POOL 0
static inline void fastnn_pool_run(int parts, int threads, fastnn_part_fn fn, void *ctx) {
    (void)threads;
    for (int i = 0; i < parts; i++)
        fn(ctx, i);
}
#endif

#endif
