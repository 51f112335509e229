/* Forks a multi-threaded process N times (labs/experiments/lab5_fork.py).
 *
 * Two threads call malloc and free without pause; a third takes and
 * releases a pthread mutex of ours, holding it about two thirds of the
 * time. Each child, right after fork, calls malloc (a child stuck there is
 * killed by alarm after 1 s) and then tries the mutex for 50 ms: the thread
 * that held it at the fork does not exist in the child, so a mutex held
 * then is never released. Prints: N, children stuck in malloc, children
 * that found our mutex locked for good.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include <time.h>

static pthread_mutex_t ours = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop;

static void *allocator(void *arg) {
    (void)arg;
    while (!stop) { void *p = malloc(64 + rand() % 4096); free(p); }
    return NULL;
}
static void *holder(void *arg) {
    (void)arg;
    while (!stop) {
        pthread_mutex_lock(&ours);
        for (volatile int i = 0; i < 2000; i++) {}
        pthread_mutex_unlock(&ours);
        for (volatile int i = 0; i < 1000; i++) {}
    }
    return NULL;
}
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 300;
    pthread_t a[2], h;
    for (int i = 0; i < 2; i++) pthread_create(&a[i], NULL, allocator, NULL);
    pthread_create(&h, NULL, holder, NULL);
    int malloc_stuck = 0, lock_stuck = 0;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(1);  /* a child stuck for 1 s is killed by SIGALRM */
            void *p = malloc(1000);  /* exit 10: malloc done */
            free(p);
            struct timespec t; clock_gettime(CLOCK_REALTIME, &t); t.tv_nsec += 50000000;
            if (t.tv_nsec >= 1000000000) { t.tv_sec++; t.tv_nsec -= 1000000000; }
            int e = pthread_mutex_timedlock(&ours, &t);
            _exit(e == 0 ? 0 : 11);
        }
        int status;
        waitpid(pid, &status, 0);
        if (WIFSIGNALED(status)) malloc_stuck++;
        else if (WEXITSTATUS(status) == 11) lock_stuck++;
    }
    stop = 1;
    printf("%d %d %d\n", n, malloc_stuck, lock_stuck);
    return 0;
}
