/* test-clock.c — the clocks of core/schedule/sluice-clock.c: the manual clock fires due timers in time
 * order as a test moves it; the system clock fires on the main loop, never before the due time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-clock.h"

#define SEC SLUICE_USEC_PER_SEC

typedef struct
{
  SluiceClock *clock;
  GString *log; /* "name@now " per fired timer */
  guint extra;  /* a timer added from a callback */
} Fixture;

typedef struct
{
  Fixture *f;
  const char *name;
} Tag;

static void
on_fire (gpointer user_data)
{
  Tag *tag = user_data;

  g_string_append_printf (tag->f->log, "%s@%" G_GINT64_FORMAT " ", tag->name,
                          sluice_clock_get_now (tag->f->clock) / SEC);
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->clock = sluice_clock_new_manual (1000 * SEC);
  f->log = g_string_new (NULL);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  g_object_unref (f->clock);
  g_string_free (f->log, TRUE);
  g_free (f);
  return 0;
}

static void
test_manual_clock_stands_still (void **state)
{
  Fixture *f = *state;

  assert_true (sluice_clock_is_manual (f->clock));
  assert_int_equal (sluice_clock_get_now (f->clock), 1000 * SEC);
  assert_int_equal (sluice_clock_get_next_due (f->clock), -1);
  sluice_clock_advance (f->clock, 5 * SEC);
  assert_int_equal (sluice_clock_get_now (f->clock), 1005 * SEC);
}

static void
test_manual_timers_fire_in_time_order (void **state)
{
  Fixture *f = *state;
  Tag c = { f, "c" }, a = { f, "a" }, b = { f, "b" }, b2 = { f, "b2" }, late = { f, "late" };

  sluice_clock_call_at (f->clock, 1030 * SEC, on_fire, &c);
  sluice_clock_call_at (f->clock, 1010 * SEC, on_fire, &a);
  sluice_clock_call_at (f->clock, 1020 * SEC, on_fire, &b);
  sluice_clock_call_at (f->clock, 1020 * SEC, on_fire, &b2);
  sluice_clock_call_at (f->clock, 2000 * SEC, on_fire, &late);
  assert_int_equal (sluice_clock_get_n_pending (f->clock), 5);
  assert_int_equal (sluice_clock_get_next_due (f->clock), 1010 * SEC);

  sluice_clock_advance (f->clock, 9 * SEC);
  assert_string_equal (f->log->str, "");
  /* Each callback sees the clock at its own due time; ties fire in the order they were added. */
  sluice_clock_advance (f->clock, 21 * SEC);
  assert_string_equal (f->log->str, "a@1010 b@1020 b2@1020 c@1030 ");
  assert_int_equal (sluice_clock_get_now (f->clock), 1030 * SEC);
  assert_int_equal (sluice_clock_get_n_pending (f->clock), 1);
}

static void
test_manual_timer_in_the_past_fires_on_next_move (void **state)
{
  Fixture *f = *state;
  Tag past = { f, "past" };

  sluice_clock_call_at (f->clock, 10 * SEC, on_fire, &past);
  assert_string_equal (f->log->str, "");
  sluice_clock_advance (f->clock, 0);
  /* The clock never goes backwards, not even for a late timer. */
  assert_string_equal (f->log->str, "past@1000 ");
}

static Tag chained_second;

static void
on_fire_and_add (gpointer user_data)
{
  Tag *tag = user_data;

  on_fire (tag);
  chained_second = (Tag){ tag->f, "second" };
  sluice_clock_call_at (tag->f->clock, sluice_clock_get_now (tag->f->clock) + 5 * SEC, on_fire,
                        &chained_second);
}

static void
test_timer_added_by_a_callback_fires_in_the_same_move (void **state)
{
  Fixture *f = *state;
  Tag first = { f, "first" };

  sluice_clock_call_at (f->clock, 1010 * SEC, on_fire_and_add, &first);
  sluice_clock_advance (f->clock, 60 * SEC);
  assert_string_equal (f->log->str, "first@1010 second@1015 ");
  assert_int_equal (sluice_clock_get_now (f->clock), 1060 * SEC);
}

static void
test_cancel (void **state)
{
  Fixture *f = *state;
  Tag a = { f, "a" }, b = { f, "b" };
  guint id;

  id = sluice_clock_call_at (f->clock, 1010 * SEC, on_fire, &a);
  assert_int_not_equal (id, 0);
  sluice_clock_call_at (f->clock, 1020 * SEC, on_fire, &b);
  sluice_clock_cancel (f->clock, id);
  sluice_clock_cancel (f->clock, 0);
  sluice_clock_advance (f->clock, 100 * SEC);
  assert_string_equal (f->log->str, "b@1020 ");
  /* Cancelling a fired timer is harmless. */
  sluice_clock_cancel (f->clock, id);
  assert_int_equal (sluice_clock_get_n_pending (f->clock), 0);
}

/* The system clock ------------------------------------------------------------------------- */

typedef struct
{
  gint64 due;
  gint64 fired_at; /* 0: not fired */
} RealTimer;

static void
on_real_fire (gpointer user_data)
{
  RealTimer *timer = user_data;

  timer->fired_at = g_get_real_time ();
}

static void
test_system_clock (void **state)
{
  g_autoptr (SluiceClock) clock = sluice_clock_new ();
  gint64 now = sluice_clock_get_now (clock);
  RealTimer past = { now - 10 * SEC, 0 }, soon = { now + 30000, 0 }, cancelled = { now + 10000, 0 };
  guint id;

  assert_false (sluice_clock_is_manual (clock));
  assert_true (llabs (now - g_get_real_time ()) < 5 * SEC);
  sluice_clock_call_at (clock, past.due, on_real_fire, &past);
  sluice_clock_call_at (clock, soon.due, on_real_fire, &soon);
  id = sluice_clock_call_at (clock, cancelled.due, on_real_fire, &cancelled);
  sluice_clock_cancel (clock, id);

  /* Blocking iterations wait for the timeouts themselves; nothing sleeps a fixed time. */
  while (soon.fired_at == 0)
    g_main_context_iteration (NULL, TRUE);
  assert_int_not_equal (past.fired_at, 0);
  assert_true (soon.fired_at >= soon.due);
  assert_int_equal (cancelled.fired_at, 0);
  assert_int_equal (sluice_clock_get_n_pending (clock), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_manual_clock_stands_still, setup, teardown),
    cmocka_unit_test_setup_teardown (test_manual_timers_fire_in_time_order, setup, teardown),
    cmocka_unit_test_setup_teardown (test_manual_timer_in_the_past_fires_on_next_move, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (test_timer_added_by_a_callback_fires_in_the_same_move, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (test_cancel, setup, teardown),
    cmocka_unit_test (test_system_clock),
  };

  return cmocka_run_group_tests_name ("clock", tests, NULL, NULL);
}
