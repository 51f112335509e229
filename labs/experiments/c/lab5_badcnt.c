/* The textbook's badcnt.c, in our words (labs/experiments/lab5_threads.py):
 * two threads each add 1 to a shared counter N times, with no lock. The
 * counter is volatile so that each += is a real load, add and store, as in
 * the textbook's build. Prints the total; 2 N is right.
 *
 * The two start on a spinning line, not a pthread barrier: a barrier wakes
 * one thread through the kernel, and on a busy machine it may run only after
 * the other has finished. Spinning, neither starts until both are on a CPU. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static volatile long cnt = 0;
static long niters;
static atomic_int ready;

static void *count(void *arg) {
    (void)arg;
    atomic_fetch_add(&ready, 1);
    while (atomic_load(&ready) < 2)
        ; /* both begin together */
    for (long i = 0; i < niters; i++)
        cnt++;
    return NULL;
}

int main(int argc, char **argv) {
    niters = argc > 1 ? atol(argv[1]) : 10000000;
    pthread_t a, b;
    pthread_create(&a, NULL, count, NULL);
    pthread_create(&b, NULL, count, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%ld\n", cnt);
    return 0;
}
