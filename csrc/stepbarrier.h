/* A barrier for the threads of one parallel region that meet once per time step.
 *
 * The recurrent loops keep one parallel region for the whole sequence and meet here between
 * steps. OpenMP's own barrier sleeps at once under OMP_WAIT_POLICY=PASSIVE (which fastnn
 * sets, see fastnn/_idle_threads.py), and a sleeping thread takes a futex wake-up per step;
 * this one spins briefly (4,000 pauses), then yields the core, so it stays cheap when the
 * machine has more runnable threads than cores. Together with evenly split row tiles it made
 * the LSTM medium forward+backward about a tenth faster than a parallel loop per step (3
 * alternating rounds; the two were not measured apart).
 *
 * Sense-reversing: each thread keeps its own `sense`, flipped at every wait. The last thread
 * to arrive resets the count and publishes the new sense (release); the others wait to see it
 * (acquire), so every write made before the barrier is visible after it. */
#ifndef FASTNN_STEPBARRIER_H
#define FASTNN_STEPBARRIER_H
#include <sched.h>

typedef struct {
    int arrived;
    int sense;
} fastnn_step_barrier;

static inline void fastnn_step_barrier_init(fastnn_step_barrier *b) {
    b->arrived = 0;
    b->sense = 0;
}

static inline void fastnn_step_barrier_wait(fastnn_step_barrier *b, int threads, int *sense) {
    int mine = !*sense;
    *sense = mine;
    if (threads <= 1)
        return;
    if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL) == threads) {
        __atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->sense, mine, __ATOMIC_RELEASE);
        return;
    }
    for (int spins = 0; __atomic_load_n(&b->sense, __ATOMIC_ACQUIRE) != mine; spins++) {
        if (spins < 4000) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        } else {
            sched_yield();
        }
    }
}

#endif
