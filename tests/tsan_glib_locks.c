/* GLib's locks for ThreadSanitizer (`meson test --setup tsan`, preloaded).
 *
 * GLib 2.74 builds GMutex, GRecMutex and GCond on raw futexes, which ThreadSanitizer cannot
 * see: every GST_OBJECT_LOCK section in GStreamer and in our elements would look
 * unsynchronised and drown a real race in false ones. These wrappers call GLib's own
 * functions and tell ThreadSanitizer what they mean (acquire after a lock, release before
 * an unlock or a wait). GLib's calls to its own locks are bound inside libglib and stay
 * invisible; GStreamer's and ours go through these. GAsyncQueue locks inside GLib, so its
 * hand-over (GstHarness's buffers) is described here too: a push releases the queue, a pop
 * that returns something acquires it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <glib.h>

void __tsan_acquire(void *addr);
void __tsan_release(void *addr);

// GLib's own `name` (whose signature the wrapper shares), looked up on first use; atomically,
// as any thread may be first.
#define REAL(name)                                                                   \
  static __typeof__(&name) cached_##name;                                            \
  __typeof__(&name) real_##name = __atomic_load_n(&cached_##name, __ATOMIC_ACQUIRE); \
  if (!real_##name) {                                                                \
    real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name);                        \
    __atomic_store_n(&cached_##name, real_##name, __ATOMIC_RELEASE);                 \
  }

// A lock acquires once it holds; an unlock releases before it lets go; a try-lock acquires
// only when it got the lock.
#define WRAP_LOCK(name, T) \
  void name(T *lock) {     \
    REAL(name);            \
    real_##name(lock);     \
    __tsan_acquire(lock);  \
  }
#define WRAP_UNLOCK(name, T) \
  void name(T *lock) {       \
    REAL(name);              \
    __tsan_release(lock);    \
    real_##name(lock);       \
  }
#define WRAP_TRYLOCK(name, T)            \
  gboolean name(T *lock) {               \
    REAL(name);                          \
    gboolean locked = real_##name(lock); \
    if (locked) __tsan_acquire(lock);    \
    return locked;                       \
  }

WRAP_LOCK(g_mutex_lock, GMutex)
WRAP_TRYLOCK(g_mutex_trylock, GMutex)
WRAP_UNLOCK(g_mutex_unlock, GMutex)
WRAP_LOCK(g_rec_mutex_lock, GRecMutex)
WRAP_TRYLOCK(g_rec_mutex_trylock, GRecMutex)
WRAP_UNLOCK(g_rec_mutex_unlock, GRecMutex)
WRAP_LOCK(g_rw_lock_writer_lock, GRWLock)
WRAP_UNLOCK(g_rw_lock_writer_unlock, GRWLock)
WRAP_LOCK(g_rw_lock_reader_lock, GRWLock)
WRAP_UNLOCK(g_rw_lock_reader_unlock, GRWLock)
WRAP_LOCK(g_async_queue_lock, GAsyncQueue)
WRAP_UNLOCK(g_async_queue_unlock, GAsyncQueue)

// A wait lets go of the mutex and takes it back.
void g_cond_wait(GCond *cond, GMutex *mutex) {
  REAL(g_cond_wait);
  __tsan_release(mutex);
  real_g_cond_wait(cond, mutex);
  __tsan_acquire(mutex);
}

gboolean g_cond_wait_until(GCond *cond, GMutex *mutex, gint64 end_time) {
  REAL(g_cond_wait_until);
  __tsan_release(mutex);
  gboolean signalled = real_g_cond_wait_until(cond, mutex, end_time);
  __tsan_acquire(mutex);
  return signalled;
}

// A push hands over what was written before it; a pop that returns an item receives it.
#define WRAP_PUSH(name)                          \
  void name(GAsyncQueue *queue, gpointer data) { \
    REAL(name);                                  \
    __tsan_release(queue);                       \
    real_##name(queue, data);                    \
  }
#define WRAP_POP(name)                  \
  gpointer name(GAsyncQueue *queue) {   \
    REAL(name);                         \
    gpointer data = real_##name(queue); \
    if (data) __tsan_acquire(queue);    \
    return data;                        \
  }

WRAP_PUSH(g_async_queue_push)
WRAP_PUSH(g_async_queue_push_front)
WRAP_POP(g_async_queue_pop)
WRAP_POP(g_async_queue_try_pop)

gpointer g_async_queue_timeout_pop(GAsyncQueue *queue, guint64 timeout) {
  REAL(g_async_queue_timeout_pop);
  gpointer data = real_g_async_queue_timeout_pop(queue, timeout);
  if (data) __tsan_acquire(queue);
  return data;
}
