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
 * Two remedies, for the two kinds of workers:
 * - threads we own (gemmpool.h's helpers): before waking them, the waker takes its own CPU out
 *   of their affinity masks, so they wake elsewhere; each puts its mask back once it runs;
 * - OpenMP's workers, which the runtime wakes: at the start of a region, a worker that finds
 *   itself on the master's CPU moves away (its mask without that CPU, then its mask again).
 * Masks of one CPU (a process pinned by the user) are left alone; nothing here changes which
 * CPUs a thread may use once it has moved. Linux only; elsewhere these do nothing. */
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

/* Called by a worker at the start of its share of a parallel region: if it runs on `cpu` (the
 * master's), move to another CPU of its mask. */
static inline void fastnn_move_off_cpu(int cpu) {
    cpu_set_t saved;
    if (cpu < 0 || sched_getcpu() != cpu)
        return;
    if (fastnn_steer_off(0, cpu, &saved))   /* the move happens inside this call */
        fastnn_steer_restore(&saved);
}
#else
static inline int fastnn_current_cpu(void) {
    return -1;
}
static inline void fastnn_move_off_cpu(int cpu) {
    (void)cpu;
}
#endif

#endif
