/* test-scheduler.c — the run queue (core/schedule/sluice-scheduler.c): the concurrency limit, FIFO order,
 * coalescing, a pipe never running twice at once, stop and shutdown.  Runs are fakes that end when
 * the test ends them; nothing sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake-runner.h"
#include "sluice-scheduler.h"

typedef struct
{
  FakeRunner *fake;
  SluiceClock *clock;
  SluiceScheduler *scheduler;
  GPtrArray *started; /* "pipe reason", in order */
} Fixture;

static void
on_started (SluiceScheduler *scheduler, const char *pipe_id, int reason, Fixture *f)
{
  g_ptr_array_add (f->started,
                   g_strdup_printf ("%s %s", pipe_id, sluice_run_reason_to_string (reason)));
}

static Fixture *
fixture_new (guint max_concurrent)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->fake = fake_runner_new ();
  f->clock = sluice_clock_new_manual (0);
  f->scheduler = sluice_scheduler_new (f->clock, max_concurrent, &fake_runner_funcs, f->fake, NULL);
  f->started = g_ptr_array_new_with_free_func (g_free);
  fake_runner_watch (f->fake, f->scheduler);
  g_signal_connect (f->scheduler, "run-started", G_CALLBACK (on_started), f);
  return f;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  g_object_unref (f->scheduler);
  g_object_unref (f->clock);
  fake_runner_free (f->fake);
  g_ptr_array_unref (f->started);
  g_free (f);
  return 0;
}

static int
setup_limit_2 (void **state)
{
  *state = fixture_new (2);
  return 0;
}

static int
setup_limit_1 (void **state)
{
  *state = fixture_new (1);
  return 0;
}

static void
assert_started (Fixture *f, guint index, const char *what)
{
  assert_true (index < f->started->len);
  assert_string_equal (g_ptr_array_index (f->started, index), what);
}

static void
test_starts_at_once_when_a_slot_is_free (void **state)
{
  Fixture *f = *state;

  assert_int_equal (sluice_scheduler_request (f->scheduler, "a", SLUICE_RUN_REASON_MANUAL, FALSE),
                    SLUICE_SCHEDULE_STARTED);
  assert_true (sluice_scheduler_is_running (f->scheduler, "a"));
  assert_false (sluice_scheduler_is_waiting (f->scheduler, "a"));
  assert_int_equal (sluice_scheduler_get_n_running (f->scheduler), 1);
  assert_int_equal (f->started->len, 1);
  assert_started (f, 0, "a manual");
  assert_int_equal (fake_runner_find_running (f->fake, "a")->reason, SLUICE_RUN_REASON_MANUAL);

  fake_runner_finish (f->fake, "a", NULL);
  assert_false (sluice_scheduler_is_running (f->scheduler, "a"));
  assert_string_equal (g_ptr_array_index (f->fake->finished, 0), "a ok");
  assert_int_equal (f->fake->n_idle, 1);
}

static void
test_limit_and_fifo_order (void **state)
{
  Fixture *f = *state;
  const char *pipes[] = { "a", "b", "c", "d" };
  const SluiceScheduleResult expected[] = { SLUICE_SCHEDULE_STARTED, SLUICE_SCHEDULE_STARTED,
                                            SLUICE_SCHEDULE_QUEUED, SLUICE_SCHEDULE_QUEUED };

  for (guint i = 0; i < G_N_ELEMENTS (pipes); i++)
    assert_int_equal (
        sluice_scheduler_request (f->scheduler, pipes[i], SLUICE_RUN_REASON_SCHEDULE, FALSE),
        expected[i]);
  assert_int_equal (sluice_scheduler_get_n_running (f->scheduler), 2);
  assert_int_equal (sluice_scheduler_get_n_queued (f->scheduler), 2);
  assert_true (sluice_scheduler_is_waiting (f->scheduler, "c"));

  /* A finished run frees its slot for the request that waited longest. */
  fake_runner_finish (f->fake, "b", NULL);
  assert_int_equal (f->started->len, 3);
  assert_started (f, 2, "c schedule");
  assert_int_equal (sluice_scheduler_get_n_running (f->scheduler), 2);
  fake_runner_finish (f->fake, "a", "source 'a' is down");
  assert_started (f, 3, "d schedule");
  assert_string_equal (g_ptr_array_index (f->fake->finished, 1), "a source 'a' is down");
  assert_int_equal (sluice_scheduler_get_n_queued (f->scheduler), 0);
  assert_int_equal (f->fake->n_idle, 0);

  fake_runner_finish (f->fake, "c", NULL);
  fake_runner_finish (f->fake, "d", NULL);
  assert_int_equal (f->fake->n_idle, 1);
  assert_int_equal (fake_runner_count (f->fake, NULL), 4);
}

static void
test_a_pipe_never_runs_twice_and_requests_coalesce (void **state)
{
  Fixture *f = *state;

  assert_int_equal (sluice_scheduler_request (f->scheduler, "a", SLUICE_RUN_REASON_SCHEDULE, FALSE),
                    SLUICE_SCHEDULE_STARTED);
  /* One run may wait behind the running one; more requests change nothing. */
  assert_int_equal (sluice_scheduler_request (f->scheduler, "a", SLUICE_RUN_REASON_SIGNAL, FALSE),
                    SLUICE_SCHEDULE_QUEUED);
  for (int i = 0; i < 5; i++)
    assert_int_equal (sluice_scheduler_request (f->scheduler, "a", SLUICE_RUN_REASON_SIGNAL, FALSE),
                      SLUICE_SCHEDULE_COALESCED);
  assert_true (sluice_scheduler_is_waiting (f->scheduler, "a"));
  /* Waiting behind its own run, not for a slot: the other slot stays usable. */
  assert_int_equal (sluice_scheduler_get_n_queued (f->scheduler), 0);
  assert_int_equal (sluice_scheduler_request (f->scheduler, "b", SLUICE_RUN_REASON_SCHEDULE, FALSE),
                    SLUICE_SCHEDULE_STARTED);
  assert_int_equal (fake_runner_count (f->fake, "a"), 1);

  fake_runner_finish (f->fake, "a", NULL);
  assert_int_equal (fake_runner_count (f->fake, "a"), 2);
  assert_int_equal (fake_runner_find_running (f->fake, "a")->reason, SLUICE_RUN_REASON_SIGNAL);
  assert_false (sluice_scheduler_is_waiting (f->scheduler, "a"));

  fake_runner_finish (f->fake, "a", NULL);
  fake_runner_finish (f->fake, "b", NULL);
  assert_int_equal (fake_runner_count (f->fake, "a"), 2);
  assert_int_equal (sluice_scheduler_get_n_running (f->scheduler), 0);
}

static void
test_full_request_wins_when_coalescing (void **state)
{
  Fixture *f = *state;

  sluice_scheduler_request (f->scheduler, "a", SLUICE_RUN_REASON_SCHEDULE, FALSE);
  assert_int_equal (sluice_scheduler_request (f->scheduler, "b", SLUICE_RUN_REASON_SCHEDULE, FALSE),
                    SLUICE_SCHEDULE_QUEUED);
  assert_int_equal (sluice_scheduler_request (f->scheduler, "b", SLUICE_RUN_REASON_MANUAL, TRUE),
                    SLUICE_SCHEDULE_COALESCED);
  fake_runner_finish (f->fake, "a", NULL);
  assert_true (fake_runner_find_running (f->fake, "b")->full);
  assert_int_equal (fake_runner_find_running (f->fake, "b")->reason, SLUICE_RUN_REASON_SCHEDULE);
  fake_runner_finish (f->fake, "b", NULL);
}

/* A partial rescan request keeps its kind alone, and gives way to a full request. */
static void
test_partial_request_and_full_wins (void **state)
{
  Fixture *f = *state;
  FakeRun *run;

  sluice_scheduler_request (f->scheduler, "a", SLUICE_RUN_REASON_SCHEDULE, FALSE);
  sluice_scheduler_request_partial (f->scheduler, "b", SLUICE_RUN_REASON_SCHEDULE);
  assert_int_equal (sluice_scheduler_request (f->scheduler, "c", SLUICE_RUN_REASON_SCHEDULE, FALSE),
                    SLUICE_SCHEDULE_QUEUED);
  assert_int_equal (sluice_scheduler_request_partial (f->scheduler, "c", SLUICE_RUN_REASON_SIGNAL),
                    SLUICE_SCHEDULE_COALESCED);
  assert_int_equal (sluice_scheduler_request (f->scheduler, "c", SLUICE_RUN_REASON_MANUAL, TRUE),
                    SLUICE_SCHEDULE_COALESCED);
  fake_runner_finish (f->fake, "a", NULL);
  run = fake_runner_find_running (f->fake, "b");
  assert_true (run->partial);
  assert_false (run->full);
  fake_runner_finish (f->fake, "b", NULL);
  run = fake_runner_find_running (f->fake, "c");
  assert_true (run->full);
  assert_false (run->partial);
  fake_runner_finish (f->fake, "c", NULL);
}

static void
test_raising_the_limit_starts_waiting_runs (void **state)
{
  Fixture *f = *state;

  sluice_scheduler_request (f->scheduler, "a", SLUICE_RUN_REASON_SCHEDULE, FALSE);
  sluice_scheduler_request (f->scheduler, "b", SLUICE_RUN_REASON_SCHEDULE, FALSE);
  sluice_scheduler_request (f->scheduler, "c", SLUICE_RUN_REASON_SCHEDULE, FALSE);
  assert_int_equal (sluice_scheduler_get_n_running (f->scheduler), 1);
  sluice_scheduler_set_max_concurrent (f->scheduler, 3);
  assert_int_equal (sluice_scheduler_get_max_concurrent (f->scheduler), 3);
  assert_int_equal (sluice_scheduler_get_n_running (f->scheduler), 3);
  assert_started (f, 1, "b schedule");
  assert_started (f, 2, "c schedule");
  fake_runner_finish (f->fake, "a", NULL);
  fake_runner_finish (f->fake, "b", NULL);
  fake_runner_finish (f->fake, "c", NULL);
}

static void
test_stop_cancels_the_run_and_drops_the_waiting_one (void **state)
{
  Fixture *f = *state;
  FakeRun *run;

  assert_false (sluice_scheduler_stop (f->scheduler, "a"));
  sluice_scheduler_request (f->scheduler, "a", SLUICE_RUN_REASON_SCHEDULE, FALSE);
  sluice_scheduler_request (f->scheduler, "a", SLUICE_RUN_REASON_SIGNAL, FALSE);
  run = fake_runner_find_running (f->fake, "a");
  assert_true (sluice_scheduler_stop (f->scheduler, "a"));
  assert_true (g_cancellable_is_cancelled (run->cancellable));
  assert_false (sluice_scheduler_is_waiting (f->scheduler, "a"));
  /* The run still owns its slot until it reports. */
  assert_true (sluice_scheduler_is_running (f->scheduler, "a"));

  fake_runner_finish (f->fake, "a", NULL);
  assert_string_equal (g_ptr_array_index (f->fake->finished, 0), "a Operation was cancelled");
  assert_int_equal (fake_runner_count (f->fake, "a"), 1);
  assert_int_equal (sluice_scheduler_get_n_running (f->scheduler), 0);
}

static void
test_stop_of_a_queued_run (void **state)
{
  Fixture *f = *state;

  sluice_scheduler_request (f->scheduler, "a", SLUICE_RUN_REASON_SCHEDULE, FALSE);
  sluice_scheduler_request (f->scheduler, "b", SLUICE_RUN_REASON_SCHEDULE, FALSE);
  assert_true (sluice_scheduler_stop (f->scheduler, "b"));
  assert_int_equal (sluice_scheduler_get_n_queued (f->scheduler), 0);
  fake_runner_finish (f->fake, "a", NULL);
  assert_int_equal (fake_runner_count (f->fake, "b"), 0);
}

static void
test_shutdown (void **state)
{
  Fixture *f = *state;
  FakeRun *a, *b;

  sluice_scheduler_request (f->scheduler, "a", SLUICE_RUN_REASON_SCHEDULE, FALSE);
  sluice_scheduler_request (f->scheduler, "b", SLUICE_RUN_REASON_SCHEDULE, FALSE);
  sluice_scheduler_request (f->scheduler, "c", SLUICE_RUN_REASON_SCHEDULE, FALSE);
  sluice_scheduler_request (f->scheduler, "a", SLUICE_RUN_REASON_SIGNAL, FALSE);
  a = fake_runner_find_running (f->fake, "a");
  b = fake_runner_find_running (f->fake, "b");

  sluice_scheduler_shutdown (f->scheduler);
  assert_true (sluice_scheduler_is_shut_down (f->scheduler));
  assert_true (g_cancellable_is_cancelled (a->cancellable));
  assert_true (g_cancellable_is_cancelled (b->cancellable));
  assert_int_equal (sluice_scheduler_get_n_queued (f->scheduler), 0);
  assert_int_equal (sluice_scheduler_request (f->scheduler, "d", SLUICE_RUN_REASON_MANUAL, FALSE),
                    SLUICE_SCHEDULE_REFUSED);
  assert_int_equal (f->fake->n_idle, 0);

  /* Running runs report; nothing else starts; "idle" comes with the last one. */
  fake_runner_finish (f->fake, "a", NULL);
  assert_int_equal (f->fake->n_idle, 0);
  fake_runner_finish (f->fake, "b", NULL);
  assert_int_equal (f->fake->n_idle, 1);
  assert_int_equal (fake_runner_count (f->fake, NULL), 2);
}

static void
test_shutdown_when_idle (void **state)
{
  Fixture *f = *state;

  sluice_scheduler_shutdown (f->scheduler);
  assert_int_equal (f->fake->n_idle, 1);
  sluice_scheduler_shutdown (f->scheduler);
  assert_int_equal (f->fake->n_idle, 1);
}

static void
test_reason_names (void **state)
{
  assert_string_equal (sluice_run_reason_to_string (SLUICE_RUN_REASON_SCHEDULE), "schedule");
  assert_string_equal (sluice_run_reason_to_string (SLUICE_RUN_REASON_STARTUP), "startup");
  assert_string_equal (sluice_run_reason_to_string (SLUICE_RUN_REASON_MISSED), "missed");
  assert_string_equal (sluice_run_reason_to_string (SLUICE_RUN_REASON_SIGNAL), "signal");
  assert_string_equal (sluice_run_reason_to_string (SLUICE_RUN_REASON_MANUAL), "manual");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_starts_at_once_when_a_slot_is_free, setup_limit_2,
                                     teardown),
    cmocka_unit_test_setup_teardown (test_limit_and_fifo_order, setup_limit_2, teardown),
    cmocka_unit_test_setup_teardown (test_a_pipe_never_runs_twice_and_requests_coalesce,
                                     setup_limit_2, teardown),
    cmocka_unit_test_setup_teardown (test_partial_request_and_full_wins, setup_limit_1, teardown),
    cmocka_unit_test_setup_teardown (test_full_request_wins_when_coalescing, setup_limit_1,
                                     teardown),
    cmocka_unit_test_setup_teardown (test_raising_the_limit_starts_waiting_runs, setup_limit_1,
                                     teardown),
    cmocka_unit_test_setup_teardown (test_stop_cancels_the_run_and_drops_the_waiting_one,
                                     setup_limit_2, teardown),
    cmocka_unit_test_setup_teardown (test_stop_of_a_queued_run, setup_limit_1, teardown),
    cmocka_unit_test_setup_teardown (test_shutdown, setup_limit_2, teardown),
    cmocka_unit_test_setup_teardown (test_shutdown_when_idle, setup_limit_2, teardown),
    cmocka_unit_test (test_reason_names),
  };

  return cmocka_run_group_tests_name ("scheduler", tests, NULL, NULL);
}
