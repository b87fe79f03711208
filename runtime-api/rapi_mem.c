/* rapi_mem.c: libcurl's allocator for the Runtime API client (rapi.h,
 * rapi_global_init).
 *
 * Why: libcurl 7.88 allocates a transfer's receive buffer (CURLOPT_BUFFERSIZE
 * + 1 bytes, in Curl_preconnect) and, for bodies of 64 KiB and more, its
 * upload buffer (CURLOPT_UPLOAD_BUFFERSIZE, Curl_get_upload_buffer) at the
 * start of every transfer, and frees both in multi_done, even when the easy
 * handle and the connection are reused. glibc's malloc serves the next
 * transfer from the heap it just freed. musl's (the static layer build) maps
 * blocks of 128 KiB and more with mmap and unmaps them on free, and returns
 * emptied groups of smaller size classes too: each invocation then paid 2
 * mmap + 2 munmap and a page fault for every 4 KiB of buffer it touched (4
 * faults for a small event, ~370 for a 1 MiB one; bench/README.md).
 *
 * What: blocks of RAPI_MEM_KEEP_MIN bytes and more are tracked in a small
 * table; freeing one marks it idle instead of freeing it, and the next
 * request of exactly that size gets it back. libcurl asks for the same few
 * sizes on every transfer, so after the first invocation its big buffers are
 * never allocated again. Everything else goes straight to libc.
 *
 * Process-wide state, as libcurl's allocator itself is (curl_global_init_mem):
 * the table lives as long as libcurl is initialised. libcurl may call these
 * functions from several threads (its threaded resolver), so the table is
 * guarded by a mutex; the free path, which runs for every small block, first
 * scans the pointers without the lock (see mem_find). */
#include "rapi.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "rapi_internal.h"

struct mem_slot {
    void *p;     /* NULL: empty slot; written under lock, read atomically */
    size_t size; /* bytes of p */
    bool busy;   /* handed out (true) or idle, kept for reuse (false) */
};

/* The one global of the module: see the header comment. */
static struct {
    pthread_mutex_t lock;
    struct mem_slot slot[RAPI_MEM_SLOTS];
} mem = {PTHREAD_MUTEX_INITIALIZER, {{NULL, 0, false}}};

/* Index of the slot holding p, or -1. Safe without the lock: a slot holding
 * p is busy (p was handed out and not yet freed), and only its owner, the
 * caller, can make it change. Other slots may change meanwhile, but cannot
 * come to hold p: p is not free in libc's heap. */
static int mem_find(const void *p)
{
    int i;

    for (i = 0; i < RAPI_MEM_SLOTS; i++) {
        if (__atomic_load_n(&mem.slot[i].p, __ATOMIC_ACQUIRE) == p)
            return i;
    }
    return -1;
}

void *rapi_mem_malloc(size_t size)
{
    void *p;
    void *victim = NULL;
    int i;
    int empty = -1;
    int idle = -1;

    if (size < RAPI_MEM_KEEP_MIN)
        return malloc(size);
    pthread_mutex_lock(&mem.lock);
    for (i = 0; i < RAPI_MEM_SLOTS; i++) {
        struct mem_slot *s = &mem.slot[i];
        if (s->p != NULL && !s->busy && s->size == size) {
            s->busy = true;
            pthread_mutex_unlock(&mem.lock);
            return s->p;
        }
    }
    pthread_mutex_unlock(&mem.lock);
    p = malloc(size);
    if (p == NULL)
        return NULL;
    pthread_mutex_lock(&mem.lock);
    for (i = 0; i < RAPI_MEM_SLOTS; i++) {
        if (mem.slot[i].p == NULL && empty < 0)
            empty = i;
        else if (mem.slot[i].p != NULL && !mem.slot[i].busy && idle < 0)
            idle = i;
    }
    /* No empty slot: an idle block of another size makes room (libcurl's
     * sizes changed); all busy: this block is simply not kept. */
    i = empty >= 0 ? empty : idle;
    if (i >= 0) {
        victim = empty >= 0 ? NULL : mem.slot[i].p;
        mem.slot[i].size = size;
        mem.slot[i].busy = true;
        __atomic_store_n(&mem.slot[i].p, p, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&mem.lock);
    free(victim);
    return p;
}

void rapi_mem_free(void *p)
{
    int i;

    if (p == NULL)
        return;
    i = mem_find(p);
    if (i < 0) {
        free(p);
        return;
    }
    pthread_mutex_lock(&mem.lock);
    mem.slot[i].busy = false;
    pthread_mutex_unlock(&mem.lock);
}

void *rapi_mem_realloc(void *p, size_t size)
{
    void *q;
    size_t old;
    int i;

    if (p == NULL)
        return rapi_mem_malloc(size);
    i = mem_find(p);
    if (i < 0)
        return realloc(p, size); /* an untracked block stays untracked */
    if (size == 0) {
        rapi_mem_free(p);
        return NULL;
    }
    /* The slot is busy and ours: its size cannot change under us. */
    old = mem.slot[i].size;
    if (size <= old)
        return p;
    q = rapi_mem_malloc(size);
    if (q == NULL)
        return NULL; /* p is left as it was, as realloc does */
    memcpy(q, p, old);
    rapi_mem_free(p);
    return q;
}

void *rapi_mem_calloc(size_t nmemb, size_t size)
{
    size_t total;
    void *p;

    if (__builtin_mul_overflow(nmemb, size, &total))
        return NULL;
    if (total < RAPI_MEM_KEEP_MIN)
        return calloc(nmemb, size);
    p = rapi_mem_malloc(total);
    if (p != NULL)
        memset(p, 0, total); /* a kept block holds the previous transfer's bytes */
    return p;
}

static char *mem_strdup(const char *s)
{
    return strdup(s);
}

/* Free the idle blocks (busy ones belong to a live libcurl object). */
static void mem_release_idle(void)
{
    int i;

    pthread_mutex_lock(&mem.lock);
    for (i = 0; i < RAPI_MEM_SLOTS; i++) {
        struct mem_slot *s = &mem.slot[i];
        if (s->p != NULL && !s->busy) {
            free(s->p);
            __atomic_store_n(&s->p, NULL, __ATOMIC_RELEASE);
            s->size = 0;
        }
    }
    pthread_mutex_unlock(&mem.lock);
}

int rapi_global_init(void)
{
    CURLcode rc = curl_global_init_mem(CURL_GLOBAL_NOTHING, rapi_mem_malloc, rapi_mem_free,
                                       rapi_mem_realloc, mem_strdup, rapi_mem_calloc);

    return rc == CURLE_OK ? 0 : -1;
}

void rapi_global_cleanup(void)
{
    curl_global_cleanup();
    mem_release_idle();
}

size_t rapi_mem_kept(void)
{
    size_t n = 0;
    int i;

    pthread_mutex_lock(&mem.lock);
    for (i = 0; i < RAPI_MEM_SLOTS; i++) {
        if (mem.slot[i].p != NULL && !mem.slot[i].busy)
            n += mem.slot[i].size;
    }
    pthread_mutex_unlock(&mem.lock);
    return n;
}
