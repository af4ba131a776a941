/* Keeping a woken worker thread off the CPU of the thread that woke it.
 *
 * Why: on a virtual machine whose CPUs are idle for a while (a few milliseconds between two
 * kernel calls are enough), Linux wakes a sleeping worker onto the waker's own CPU: the hypervisor
 * has descheduled the idle virtual CPU, and the guest scheduler does not pick a CPU it believes
 * preempted. Caller and worker then share one CPU while the other idles, until load balancing
 * moves one of them, milliseconds later. Measured on a 2-vCPU KVM guest (AMD EPYC Zen 5): a job of
 * 8 one-millisecond parts on 2 threads, started 60 ms after the previous one, took 4.8-7.9 ms
 * (the worker started up to 3.8 ms late, on the caller's CPU, or stalled the caller as long);
 * steered as below, 4.1-4.2 ms every time. A 1024^3 SGEMM on 2 threads took 10.2 ms after such a
 * pause against 5.8 ms back to back: the one-thread time.
 *
 * The remedy: before waking a worker, the waker takes its own CPU out of the worker's affinity
 * mask, so that it wakes elsewhere; the mask is put back once the worker runs.
 * - threads we own (gemmpool.h's helpers): each puts its own mask back when it takes the job;
 * - OpenMP's workers (libgomp reuses the same threads for a calling thread's teams, so their ids,
 *   recorded once, stay good): fastnn_team_begin steers them before a region when the team has
 *   been idle for a while, and fastnn_team_end puts their masks back after it. Each id is first
 *   checked to be a thread of this process. A worker moving itself at the start of a region
 *   came too late: it was not run for 3.5-4 ms either (8 x 1 ms parts on
 *   2 threads after 60 ms idle: 7.8 ms with or without it, 4.1 ms steered).
 * Masks of one CPU (a process pinned by the user) are left alone; nothing here changes which
 * CPUs a thread may use once the call is over. Linux only; elsewhere these do nothing. */
#ifndef FASTNN_CPUSTEER_H
#define FASTNN_CPUSTEER_H

#if defined(__linux__)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* The calling thread's CPU, or -1 if unknown. */
static inline int fastnn_current_cpu(void) {
    return sched_getcpu();
}

static inline pid_t fastnn_thread_id(void) {
    return (pid_t)syscall(SYS_gettid);
}

/* Take `cpu` out of thread tid's affinity mask, saving the mask in *saved; 1 if the mask changed
 * (the thread must then call fastnn_steer_restore), 0 if it was left alone (cpu < 0, not in the
 * mask, or the only CPU in it). */
static inline int fastnn_steer_off(pid_t tid, int cpu, cpu_set_t *saved) {
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(tid, sizeof(cpu_set_t), saved) != 0)
        return 0;
    if (!CPU_ISSET(cpu, saved) || CPU_COUNT(saved) < 2)
        return 0;
    cpu_set_t without = *saved;
    CPU_CLR(cpu, &without);
    return sched_setaffinity(tid, sizeof(cpu_set_t), &without) == 0;
}

/* The calling thread's mask back as fastnn_steer_off saved it. */
static inline void fastnn_steer_restore(const cpu_set_t *saved) {
    sched_setaffinity(0, sizeof(cpu_set_t), saved);
}

#include <signal.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* OpenMP workers steered per region, at most (a team's first workers: on a machine of many CPUs a
 * worker sharing the master's matters less). */
#define FASTNN_TEAM_STEER_MAX 8
/* A team idle this long may have been woken onto the master's CPU: a guest's vCPU left idle for
 * about a millisecond counts as preempted (back-to-back regions kept their CPUs in the tests above). */
#define FASTNN_TEAM_IDLE_NS 1000000LL

typedef struct {
    int count;                                   /* workers steered by fastnn_team_begin */
    pid_t tid[FASTNN_TEAM_STEER_MAX];
    cpu_set_t mask[FASTNN_TEAM_STEER_MAX];       /* their masks before */
} fastnn_team_steer;

/* Per calling thread (each has its own libgomp team): its workers' ids, recorded for teams up to
 * fastnn_team_known threads, and when its last region ended. */
static __thread pid_t fastnn_team_tids[FASTNN_TEAM_STEER_MAX];
static __thread int fastnn_team_known;
static __thread long long fastnn_team_last_end;

/* Monotonic nanoseconds (also gemmpool.h's spin deadlines). */
static inline long long fastnn_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Before a parallel region of `threads` threads: steer its workers off this CPU if they have been idle. */
static inline void fastnn_team_begin(fastnn_team_steer *s, int threads) {
    s->count = 0;
#ifdef _OPENMP
    if (threads < 2 || omp_in_parallel() || fastnn_now_ns() - fastnn_team_last_end < FASTNN_TEAM_IDLE_NS)
        return;
    int workers = threads < FASTNN_TEAM_STEER_MAX ? threads : FASTNN_TEAM_STEER_MAX;
    if (fastnn_team_known < workers) {
        pid_t ids[FASTNN_TEAM_STEER_MAX] = {0};   /* the master's, shared: the workers' own copies of the */
        #pragma omp parallel num_threads(workers)  /* thread-local array are not the master's */
        ids[omp_get_thread_num()] = fastnn_thread_id();
        for (int i = 0; i < workers; i++)
            fastnn_team_tids[i] = ids[i];
        fastnn_team_known = workers;
    }
    int cpu = fastnn_current_cpu();
    pid_t self = getpid();
    for (int i = 1; i < workers; i++) {
        pid_t tid = fastnn_team_tids[i];
        /* tgkill with signal 0 only checks: the id is a live thread of this process (after a fork, or
         * once the runtime replaced a worker, it is not: the ids are recorded again next time) */
        if (tid <= 0 || syscall(SYS_tgkill, self, tid, 0) != 0) {
            fastnn_team_known = 0;
            continue;
        }
        if (fastnn_steer_off(tid, cpu, &s->mask[s->count]))
            s->tid[s->count++] = tid;
    }
#else
    (void)threads;
#endif
}

/* After the region: the steered workers' masks back. */
static inline void fastnn_team_end(fastnn_team_steer *s) {
    for (int i = 0; i < s->count; i++)
        sched_setaffinity(s->tid[i], sizeof(cpu_set_t), &s->mask[i]);
    s->count = 0;
    fastnn_team_last_end = fastnn_now_ns();
}
#else
typedef struct {
    int count;
} fastnn_team_steer;
static inline int fastnn_current_cpu(void) {
    return -1;
}
static inline void fastnn_team_begin(fastnn_team_steer *s, int threads) {
    (void)threads;
    s->count = 0;
}
static inline void fastnn_team_end(fastnn_team_steer *s) {
    (void)s;
}
#endif

#endif
