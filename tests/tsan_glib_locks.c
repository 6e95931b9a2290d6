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

#define REAL(name, type)   \
  static type real_##name; \
  if (!real_##name) real_##name = (type)dlsym(RTLD_NEXT, #name)

typedef void (*mutex_fn)(GMutex *);
typedef gboolean (*mutex_try_fn)(GMutex *);
typedef void (*rec_fn)(GRecMutex *);
typedef gboolean (*rec_try_fn)(GRecMutex *);
typedef void (*rw_fn)(GRWLock *);
typedef void (*wait_fn)(GCond *, GMutex *);
typedef gboolean (*wait_until_fn)(GCond *, GMutex *, gint64);
typedef void (*queue_push_fn)(GAsyncQueue *, gpointer);
typedef gpointer (*queue_pop_fn)(GAsyncQueue *);
typedef gpointer (*queue_timeout_pop_fn)(GAsyncQueue *, guint64);
typedef void (*queue_fn)(GAsyncQueue *);

void g_mutex_lock(GMutex *m) {
  REAL(g_mutex_lock, mutex_fn);
  real_g_mutex_lock(m);
  __tsan_acquire(m);
}

gboolean g_mutex_trylock(GMutex *m) {
  REAL(g_mutex_trylock, mutex_try_fn);
  gboolean locked = real_g_mutex_trylock(m);
  if (locked) __tsan_acquire(m);
  return locked;
}

void g_mutex_unlock(GMutex *m) {
  REAL(g_mutex_unlock, mutex_fn);
  __tsan_release(m);
  real_g_mutex_unlock(m);
}

void g_rec_mutex_lock(GRecMutex *m) {
  REAL(g_rec_mutex_lock, rec_fn);
  real_g_rec_mutex_lock(m);
  __tsan_acquire(m);
}

gboolean g_rec_mutex_trylock(GRecMutex *m) {
  REAL(g_rec_mutex_trylock, rec_try_fn);
  gboolean locked = real_g_rec_mutex_trylock(m);
  if (locked) __tsan_acquire(m);
  return locked;
}

void g_rec_mutex_unlock(GRecMutex *m) {
  REAL(g_rec_mutex_unlock, rec_fn);
  __tsan_release(m);
  real_g_rec_mutex_unlock(m);
}

void g_rw_lock_writer_lock(GRWLock *l) {
  REAL(g_rw_lock_writer_lock, rw_fn);
  real_g_rw_lock_writer_lock(l);
  __tsan_acquire(l);
}

void g_rw_lock_writer_unlock(GRWLock *l) {
  REAL(g_rw_lock_writer_unlock, rw_fn);
  __tsan_release(l);
  real_g_rw_lock_writer_unlock(l);
}

void g_rw_lock_reader_lock(GRWLock *l) {
  REAL(g_rw_lock_reader_lock, rw_fn);
  real_g_rw_lock_reader_lock(l);
  __tsan_acquire(l);
}

void g_rw_lock_reader_unlock(GRWLock *l) {
  REAL(g_rw_lock_reader_unlock, rw_fn);
  __tsan_release(l);
  real_g_rw_lock_reader_unlock(l);
}

void g_cond_wait(GCond *c, GMutex *m) {
  REAL(g_cond_wait, wait_fn);
  __tsan_release(m);
  real_g_cond_wait(c, m);
  __tsan_acquire(m);
}

gboolean g_cond_wait_until(GCond *c, GMutex *m, gint64 end_time) {
  REAL(g_cond_wait_until, wait_until_fn);
  __tsan_release(m);
  gboolean signalled = real_g_cond_wait_until(c, m, end_time);
  __tsan_acquire(m);
  return signalled;
}

void g_async_queue_push(GAsyncQueue *q, gpointer data) {
  REAL(g_async_queue_push, queue_push_fn);
  __tsan_release(q);
  real_g_async_queue_push(q, data);
}

void g_async_queue_push_front(GAsyncQueue *q, gpointer data) {
  REAL(g_async_queue_push_front, queue_push_fn);
  __tsan_release(q);
  real_g_async_queue_push_front(q, data);
}

gpointer g_async_queue_pop(GAsyncQueue *q) {
  REAL(g_async_queue_pop, queue_pop_fn);
  gpointer data = real_g_async_queue_pop(q);
  __tsan_acquire(q);
  return data;
}

gpointer g_async_queue_try_pop(GAsyncQueue *q) {
  REAL(g_async_queue_try_pop, queue_pop_fn);
  gpointer data = real_g_async_queue_try_pop(q);
  if (data) __tsan_acquire(q);
  return data;
}

gpointer g_async_queue_timeout_pop(GAsyncQueue *q, guint64 timeout) {
  REAL(g_async_queue_timeout_pop, queue_timeout_pop_fn);
  gpointer data = real_g_async_queue_timeout_pop(q, timeout);
  if (data) __tsan_acquire(q);
  return data;
}

void g_async_queue_lock(GAsyncQueue *q) {
  REAL(g_async_queue_lock, queue_fn);
  real_g_async_queue_lock(q);
  __tsan_acquire(q);
}

void g_async_queue_unlock(GAsyncQueue *q) {
  REAL(g_async_queue_unlock, queue_fn);
  __tsan_release(q);
  real_g_async_queue_unlock(q);
}
