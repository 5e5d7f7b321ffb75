/* sluice-clock.h — wall-clock time and timers for pump schedules, real or driven by a test.
 *
 * Schedules (intervals, cron expressions, persisted next starts) are points in wall-clock time, so
 * everything that decides when a pipe runs asks a SluiceClock for "now" and for "call me at T"
 * instead of calling g_get_real_time () and g_timeout_add () itself.  The system clock does exactly
 * that, on the thread-default main context of the thread that created it.  A manual clock never
 * moves by itself: a test sets its time and sluice_clock_advance () fires every callback that
 * became due, in time order, synchronously, so scheduling tests run without sleeping.
 *
 * Callbacks are one-shot.  A callback may add or cancel timers, those of the same clock included.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SLUICE_USEC_PER_SEC G_GINT64_CONSTANT (1000000)

#define SLUICE_TYPE_CLOCK (sluice_clock_get_type ())
G_DECLARE_FINAL_TYPE (SluiceClock, sluice_clock, SLUICE, CLOCK, GObject)

typedef void (*SluiceClockFunc) (gpointer user_data);

/* The system clock: g_get_real_time () and main-loop timeouts. */
SluiceClock *sluice_clock_new (void);
/* A clock that stands at @now_us (µs since the epoch) until it is moved. */
SluiceClock *sluice_clock_new_manual (gint64 now_us);

gboolean sluice_clock_is_manual (SluiceClock *clock);
/* µs since the Unix epoch. */
gint64 sluice_clock_get_now (SluiceClock *clock);

/* Calls @func (@user_data) once, on the main loop, as soon as the clock reads @when_us or later
 * (at once, on the next main-loop iteration or advance, when that is already past).  Returns an id
 * for sluice_clock_cancel (), never 0. */
guint sluice_clock_call_at (SluiceClock *clock, gint64 when_us, SluiceClockFunc func,
                            gpointer user_data);
/* Cancels a timer that has not fired yet; an id of 0 or of a fired timer is ignored. */
void sluice_clock_cancel (SluiceClock *clock, guint id);
/* Timers that have not fired. */
guint sluice_clock_get_n_pending (SluiceClock *clock);

/* Manual clocks only.  Moves the clock forward to @now_us, firing every timer due on the way in
 * time order (timers due at the same time in the order they were added); while a callback runs,
 * the clock reads that timer's due time.  Moving backwards is a programming error. */
void sluice_clock_set_now (SluiceClock *clock, gint64 now_us);
void sluice_clock_advance (SluiceClock *clock, gint64 delta_us);
/* The due time of the earliest pending timer, or -1 when there is none. */
gint64 sluice_clock_get_next_due (SluiceClock *clock);

G_END_DECLS
