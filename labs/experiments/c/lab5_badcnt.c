/* The textbook's badcnt.c, in our words (labs/experiments/lab5_threads.py):
 * two threads each add 1 to a shared counter N times, with no lock. The
 * counter is volatile so that each += is a real load, add and store, as in
 * the textbook's build. Prints the total; 2 N is right. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static volatile long cnt = 0;
static long niters;
static pthread_barrier_t start;

static void *count(void *arg) {
    (void)arg;
    pthread_barrier_wait(&start); /* both begin together */
    for (long i = 0; i < niters; i++)
        cnt++;
    return NULL;
}

int main(int argc, char **argv) {
    niters = argc > 1 ? atol(argv[1]) : 10000000;
    pthread_t a, b;
    pthread_barrier_init(&start, NULL, 2);
    pthread_create(&a, NULL, count, NULL);
    pthread_create(&b, NULL, count, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("%ld\n", cnt);
    return 0;
}
