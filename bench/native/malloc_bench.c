/* Native baseline for the allocator benchmark: the same patterns as
 * bench/alloc_child.ts (pairs; batches of 100 allocs then their frees) at
 * 16 B, 256 B and 4 KiB, against glibc malloc/free. Prints one JSON line
 * per case: {"pattern":..., "size":..., "ops_per_s":...}, where ops are
 * alloc+free pairs (a batch of 100 allocs and their frees is 100). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void) {
    static void *held[100];
    const size_t sizes[] = { 16, 256, 4096 };
    const long n = 2000000;
    for (int s = 0; s < 3; s++) {
        double t0 = now();
        for (long i = 0; i < n; i++) {
            void *p = malloc(sizes[s]);
            *(volatile char *)p = 1;
            free(p);
        }
        double pairs = n / (now() - t0);
        t0 = now();
        for (long i = 0; i < n / 100; i++) {
            for (int j = 0; j < 100; j++) { held[j] = malloc(sizes[s]); *(volatile char *)held[j] = 1; }
            for (int j = 0; j < 100; j++) free(held[j]);
        }
        double batch = n / (now() - t0);
        printf("{\"pattern\":\"pairs\",\"size\":%zu,\"ops_per_s\":%.0f}\n", sizes[s], pairs);
        printf("{\"pattern\":\"batch100\",\"size\":%zu,\"ops_per_s\":%.0f}\n", sizes[s], batch);
    }
    return 0;
}
