/* sluice-clock.c — the system clock and the manual clock of sluice-clock.h.
 *
 * The system clock arms a GLib timeout per timer.  GLib timeouts count monotonic time while
 * schedules are wall-clock times, and the two drift apart (NTP steps, suspend), so a timeout never
 * waits longer than MAX_WAIT_MS: when it fires before the wall clock reached the due time it is
 * armed again for what is left.  A timer therefore never fires early, and fires at most
 * MAX_WAIT_MS late after a jump of the wall clock.
 */
#include "sluice-clock.h"

#define MAX_WAIT_MS 60000

typedef struct
{
  SluiceClock *clock; /* unowned: the clock owns its timers */
  guint id;
  gint64 when;
  SluiceClockFunc func;
  gpointer user_data;
  GSource *source; /* system clock: the armed timeout */
} Timer;

struct _SluiceClock
{
  GObject parent_instance;

  gboolean manual;
  gint64 now;            /* manual clocks */
  GMainContext *context; /* system clocks: where timeouts run */
  GHashTable *timers;    /* id -> Timer */
  guint next_id;
};

G_DEFINE_FINAL_TYPE (SluiceClock, sluice_clock, G_TYPE_OBJECT)

static void
timer_free (gpointer data)
{
  Timer *timer = data;

  if (timer->source != NULL)
    {
      g_source_destroy (timer->source);
      g_source_unref (timer->source);
    }
  g_free (timer);
}

static void
sluice_clock_finalize (GObject *object)
{
  SluiceClock *self = SLUICE_CLOCK (object);

  g_hash_table_unref (self->timers);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (sluice_clock_parent_class)->finalize (object);
}

static void
sluice_clock_class_init (SluiceClockClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sluice_clock_finalize;
}

static void
sluice_clock_init (SluiceClock *self)
{
  self->timers = g_hash_table_new_full (NULL, NULL, NULL, timer_free);
  self->next_id = 1;
}

SluiceClock *
sluice_clock_new (void)
{
  SluiceClock *self = g_object_new (SLUICE_TYPE_CLOCK, NULL);

  self->context = g_main_context_ref_thread_default ();
  return self;
}

SluiceClock *
sluice_clock_new_manual (gint64 now_us)
{
  SluiceClock *self = g_object_new (SLUICE_TYPE_CLOCK, NULL);

  self->manual = TRUE;
  self->now = now_us;
  return self;
}

gboolean
sluice_clock_is_manual (SluiceClock *clock)
{
  g_return_val_if_fail (SLUICE_IS_CLOCK (clock), FALSE);
  return clock->manual;
}

gint64
sluice_clock_get_now (SluiceClock *clock)
{
  g_return_val_if_fail (SLUICE_IS_CLOCK (clock), 0);
  return clock->manual ? clock->now : g_get_real_time ();
}

/* Takes the timer out of the table without freeing it, then calls it. */
static void
fire (SluiceClock *self, Timer *timer)
{
  SluiceClockFunc func = timer->func;
  gpointer user_data = timer->user_data;

  g_hash_table_steal (self->timers, GUINT_TO_POINTER (timer->id));
  if (timer->source != NULL)
    {
      g_source_destroy (timer->source);
      g_source_unref (timer->source);
    }
  g_free (timer);
  func (user_data);
}

static void arm (Timer *timer);

static gboolean
on_timeout (gpointer data)
{
  Timer *timer = data;
  SluiceClock *self = timer->clock;

  if (g_get_real_time () >= timer->when)
    {
      g_object_ref (self);
      fire (self, timer);
      g_object_unref (self);
    }
  else
    arm (timer);
  return G_SOURCE_REMOVE;
}

static void
arm (Timer *timer)
{
  gint64 wait_us = timer->when - g_get_real_time ();
  guint wait_ms;

  if (timer->source != NULL)
    {
      g_source_destroy (timer->source);
      g_source_unref (timer->source);
    }
  /* Rounded up, so that the timeout does not fire just before the due time. */
  wait_ms = wait_us <= 0 ? 0 : (guint)MIN ((wait_us + 999) / 1000, MAX_WAIT_MS);
  timer->source = g_timeout_source_new (wait_ms);
  g_source_set_static_name (timer->source, "[sluice] clock timer");
  g_source_set_callback (timer->source, on_timeout, timer, NULL);
  g_source_attach (timer->source, timer->clock->context);
}

guint
sluice_clock_call_at (SluiceClock *clock, gint64 when_us, SluiceClockFunc func, gpointer user_data)
{
  Timer *timer;

  g_return_val_if_fail (SLUICE_IS_CLOCK (clock), 0);
  g_return_val_if_fail (func != NULL, 0);

  timer = g_new0 (Timer, 1);
  timer->clock = clock;
  timer->id = clock->next_id++;
  if (clock->next_id == 0)
    clock->next_id = 1;
  timer->when = when_us;
  timer->func = func;
  timer->user_data = user_data;
  g_hash_table_insert (clock->timers, GUINT_TO_POINTER (timer->id), timer);
  if (!clock->manual)
    arm (timer);
  return timer->id;
}

void
sluice_clock_cancel (SluiceClock *clock, guint id)
{
  g_return_if_fail (SLUICE_IS_CLOCK (clock));
  if (id != 0)
    g_hash_table_remove (clock->timers, GUINT_TO_POINTER (id));
}

guint
sluice_clock_get_n_pending (SluiceClock *clock)
{
  g_return_val_if_fail (SLUICE_IS_CLOCK (clock), 0);
  return g_hash_table_size (clock->timers);
}

/* The earliest timer: smallest due time, then smallest id (ids grow with every timer added, so
 * they order timers due at the same time by when they were added, ignoring wrap-around). */
static Timer *
earliest (SluiceClock *self)
{
  GHashTableIter iter;
  gpointer value;
  Timer *best = NULL;

  g_hash_table_iter_init (&iter, self->timers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Timer *timer = value;

      if (best == NULL || timer->when < best->when
          || (timer->when == best->when && timer->id < best->id))
        best = timer;
    }
  return best;
}

gint64
sluice_clock_get_next_due (SluiceClock *clock)
{
  Timer *timer;

  g_return_val_if_fail (SLUICE_IS_CLOCK (clock), -1);
  timer = earliest (clock);
  return timer != NULL ? timer->when : -1;
}

void
sluice_clock_set_now (SluiceClock *clock, gint64 now_us)
{
  g_autoptr (SluiceClock) self = NULL;
  Timer *timer;

  g_return_if_fail (SLUICE_IS_CLOCK (clock));
  g_return_if_fail (clock->manual);
  g_return_if_fail (now_us >= clock->now);

  /* A callback may drop the last reference of whoever owns the clock. */
  self = g_object_ref (clock);
  while ((timer = earliest (self)) != NULL && timer->when <= now_us)
    {
      if (timer->when > self->now)
        self->now = timer->when;
      fire (self, timer);
    }
  self->now = now_us;
}

void
sluice_clock_advance (SluiceClock *clock, gint64 delta_us)
{
  g_return_if_fail (SLUICE_IS_CLOCK (clock));
  g_return_if_fail (delta_us >= 0);
  sluice_clock_set_now (clock, clock->now + delta_us);
}
