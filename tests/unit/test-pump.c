/* test-pump.c — pipe schedules (core/schedule/sluice-pump.c) on a manual clock with fake runs: intervals,
 * cron expressions (L and day-of-week forms), run_at_startup, the manual and off modes,
 * enable/disable, signalling, and a missed start after a restart, kept in a real LMDB store.
 * Nothing sleeps: the tests move the clock and end runs themselves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "fake-runner.h"
#include "sluice-pump.h"
#include "sluice-store-lmdb.h"

#define SEC SLUICE_USEC_PER_SEC
#define HOUR (3600 * SEC)

typedef struct
{
  char *dir;
  SluiceStoreBackend *store;
  FakeRunner *fake;
  SluiceClock *clock;
  SluiceScheduler *scheduler;
} Fixture;

static gint64
utc (int year, int month, int day, int hour, int minute, int second)
{
  g_autoptr (GDateTime) time = g_date_time_new_utc (year, month, day, hour, minute, second);

  return g_date_time_to_unix (time) * SEC;
}

static char *
format_utc (gint64 us)
{
  g_autoptr (GDateTime) time = NULL;

  if (us < 0)
    return g_strdup ("none");
  time = g_date_time_new_from_unix_utc (us / SEC);
  return g_date_time_format (time, "%a %Y-%m-%d %H:%M:%S");
}

#define assert_time_equal(actual, expected)                                                        \
  do                                                                                               \
    {                                                                                              \
      g_autofree char *actual_text_ = format_utc (actual);                                         \
      g_autofree char *expected_text_ = format_utc (expected);                                     \
      assert_string_equal (actual_text_, expected_text_);                                          \
    }                                                                                              \
  while (0)

/* Starts the "host": a clock at @now, a scheduler, and the store (reopened if it was closed). */
static void
host_start (Fixture *f, gint64 now)
{
  g_autoptr (GError) error = NULL;

  if (f->store == NULL)
    {
      f->store = sluice_store_lmdb_open (f->dir, NULL, &error);
      assert_null (error);
    }
  f->fake = fake_runner_new ();
  f->clock = sluice_clock_new_manual (now);
  f->scheduler = sluice_scheduler_new (f->clock, 4, &fake_runner_funcs, f->fake, NULL);
  fake_runner_watch (f->fake, f->scheduler);
}

/* Stops the "host": the pumps are gone already; whatever still runs ends as cancelled. */
static void
host_stop (Fixture *f)
{
  FakeRun *run;

  if (f->scheduler != NULL)
    sluice_scheduler_shutdown (f->scheduler);
  while (f->fake != NULL && (run = fake_runner_find_any_running (f->fake)) != NULL)
    fake_runner_finish (f->fake, run->pipe_id, "cancelled");
  g_clear_object (&f->scheduler);
  g_clear_object (&f->clock);
  g_clear_pointer (&f->fake, fake_runner_free);
  g_clear_pointer (&f->store, sluice_store_backend_free);
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("sluice-pump-XXXXXX", &error);
  assert_non_null (f->dir);
  host_start (f, utc (2024, 3, 8, 11, 0, 0));
  *state = f;
  return 0;
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  host_stop (f);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

static SluicePump *
pump_new_full (Fixture *f, const char *pipe_id, const char *json, gboolean signalling,
               GError **error)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);

  assert_non_null (node);
  return sluice_pump_new (f->scheduler, pipe_id, json_node_get_object (node), signalling, f->store,
                          error);
}

static SluicePump *
pump_new (Fixture *f, const char *pipe_id, const char *json)
{
  g_autoptr (GError) error = NULL;
  SluicePump *pump = pump_new_full (f, pipe_id, json, TRUE, &error);

  assert_null (error);
  assert_non_null (pump);
  return pump;
}

static void
advance_to (Fixture *f, gint64 when)
{
  sluice_clock_set_now (f->clock, when);
}

#define JSON_SOURCE_TO_JSON_SINK "\"source\": {\"type\": \"json\"}, \"sink\": {\"type\": \"json\"}"
#define DATASET_TO_DATASET                                                                         \
  "\"source\": {\"type\": \"dataset\", \"dataset\": \"in\"}, "                                     \
  "\"sink\": {\"type\": \"dataset\", \"dataset\": \"p\"}"

/* Intervals ------------------------------------------------------------------------------- */

static void
test_interval_is_the_pause_between_runs (void **state)
{
  Fixture *f = *state;
  gint64 t0 = sluice_clock_get_now (f->clock);
  g_autoptr (SluicePump) pump
      = pump_new (f, "p", "{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"schedule_interval\": 60}}");

  assert_int_equal (sluice_pump_get_interval (pump), 60 * SEC);
  assert_int_equal (sluice_pump_get_next_start (pump), -1);
  sluice_pump_activate (pump);
  assert_int_equal (sluice_pump_get_next_start (pump), t0 + 60 * SEC);

  advance_to (f, t0 + 59 * SEC);
  assert_int_equal (fake_runner_count (f->fake, "p"), 0);
  advance_to (f, t0 + 60 * SEC);
  assert_int_equal (fake_runner_count (f->fake, "p"), 1);
  assert_int_equal (fake_runner_find_running (f->fake, "p")->reason, SLUICE_RUN_REASON_SCHEDULE);
  assert_int_equal (sluice_pump_get_next_start (pump), -1);

  /* A run that takes longer than the interval does not cause a second one. */
  advance_to (f, t0 + 200 * SEC);
  assert_int_equal (fake_runner_count (f->fake, "p"), 1);
  fake_runner_finish (f->fake, "p", NULL);
  assert_int_equal (sluice_pump_get_next_start (pump), t0 + 260 * SEC);

  /* A failed run is followed by the next one as well. */
  advance_to (f, t0 + 260 * SEC);
  assert_int_equal (fake_runner_count (f->fake, "p"), 2);
  advance_to (f, t0 + 265 * SEC);
  fake_runner_finish (f->fake, "p", "sink refused the batch");
  assert_int_equal (sluice_pump_get_next_start (pump), t0 + 325 * SEC);
  /* Short intervals are not persisted. */
  assert_false (sluice_pump_get_persistent (pump));
}

static void
test_manual_start_moves_the_interval (void **state)
{
  Fixture *f = *state;
  gint64 t0 = sluice_clock_get_now (f->clock);
  g_autoptr (SluicePump) pump
      = pump_new (f, "p", "{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"schedule_interval\": 100}}");

  sluice_pump_activate (pump);
  advance_to (f, t0 + 30 * SEC);
  assert_true (sluice_pump_start (pump, FALSE, NULL));
  assert_int_equal (fake_runner_find_running (f->fake, "p")->reason, SLUICE_RUN_REASON_MANUAL);
  advance_to (f, t0 + 150 * SEC);
  assert_int_equal (fake_runner_count (f->fake, "p"), 1);
  fake_runner_finish (f->fake, "p", NULL);
  assert_int_equal (sluice_pump_get_next_start (pump), t0 + 250 * SEC);
}

static void
test_default_intervals (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePump) internal = pump_new (f, "orders", "{" DATASET_TO_DATASET "}");
  g_autoptr (SluicePump) internal2 = pump_new (f, "orders", "{" DATASET_TO_DATASET "}");
  g_autoptr (SluicePump) external = pump_new (f, "crm-in", "{" JSON_SOURCE_TO_JSON_SINK "}");
  g_autoptr (SluicePump) to_json
      = pump_new (f, "share",
                  "{\"source\": {\"type\": \"dataset\", \"dataset\": \"a\"}, \"sink\": {\"type\": "
                  "\"json\"}}");
  gint64 interval;

  /* 30 s ±5 % for dataset to dataset, 900 s ±5 % otherwise, fixed per pipe id. */
  interval = sluice_pump_get_interval (internal);
  assert_in_range (interval, 28500000, 31500000);
  assert_int_equal (interval, sluice_pump_get_interval (internal2));
  assert_in_range (sluice_pump_get_interval (external), 855 * SEC, 945 * SEC);
  assert_in_range (sluice_pump_get_interval (to_json), 855 * SEC, 945 * SEC);
  assert_null (sluice_pump_get_cron (internal));
  assert_int_equal (sluice_pump_get_mode (internal), SLUICE_PUMP_MODE_SCHEDULED);
}

/* Cron ------------------------------------------------------------------------------------ */

/* Activates a cron pump at @now and returns its next start. */
static gint64
cron_next_start (Fixture *f, const char *expression, gint64 now)
{
  g_autofree char *json = g_strdup_printf ("{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": "
                                           "{\"cron_expression\": \"%s\"}}",
                                           expression);
  g_autoptr (JsonNode) node = json_from_string (json, NULL);
  g_autoptr (SluiceClock) clock = sluice_clock_new_manual (now);
  g_autoptr (SluiceScheduler) scheduler
      = sluice_scheduler_new (clock, 1, &fake_runner_funcs, f->fake, NULL);
  g_autoptr (SluicePump) pump = NULL;
  g_autoptr (GError) error = NULL;

  pump = sluice_pump_new (scheduler, "cron", json_node_get_object (node), TRUE, NULL, &error);
  assert_null (error);
  sluice_pump_activate (pump);
  return sluice_pump_get_next_start (pump);
}

static void
test_cron_forms (void **state)
{
  Fixture *f = *state;

  /* Noon daily; 2024-03-08 is a Friday. */
  assert_time_equal (cron_next_start (f, "0 12 * * ?", utc (2024, 3, 8, 11, 0, 0)),
                     utc (2024, 3, 8, 12, 0, 0));
  /* Every 5 minutes from :00 during 14h and 18h. */
  assert_time_equal (cron_next_start (f, "0/5 14,18 * * ?", utc (2024, 3, 8, 14, 57, 0)),
                     utc (2024, 3, 8, 18, 0, 0));
  /* Weekdays: from Friday evening to Monday. */
  assert_time_equal (cron_next_start (f, "15 10 ? * MON-FRI", utc (2024, 3, 8, 18, 0, 0)),
                     utc (2024, 3, 11, 10, 15, 0));
  /* The last day of the month (2024 is a leap year). */
  assert_time_equal (cron_next_start (f, "15 10 L * ?", utc (2024, 3, 9, 0, 0, 0)),
                     utc (2024, 3, 31, 10, 15, 0));
  assert_time_equal (cron_next_start (f, "15 10 L * ?", utc (2024, 4, 1, 0, 0, 0)),
                     utc (2024, 4, 30, 10, 15, 0));
  /* The last Friday of the month (5L, FRIL: Sunday is 0 in sluice). */
  assert_time_equal (cron_next_start (f, "15 10 ? * 5L", utc (2024, 3, 10, 0, 0, 0)),
                     utc (2024, 3, 29, 10, 15, 0));
  assert_time_equal (cron_next_start (f, "15 10 ? * FRIL", utc (2024, 3, 30, 0, 0, 0)),
                     utc (2024, 4, 26, 10, 15, 0));
  /* Six fields: a year. */
  assert_time_equal (cron_next_start (f, "0 0 1 1 ? 2026", utc (2024, 3, 10, 0, 0, 0)),
                     utc (2026, 1, 1, 0, 0, 0));
  /* No match left: nothing is armed. */
  assert_int_equal (cron_next_start (f, "0 0 1 1 ? 2025", utc (2026, 3, 10, 0, 0, 0)), -1);
}

static void
test_cron_runs_and_wins_over_interval (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePump) pump = NULL;

  advance_to (f, utc (2024, 3, 8, 11, 59, 30));
  pump = pump_new (f, "p",
                   "{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"cron_expression\": \"0 12 * * ?\", "
                   "\"schedule_interval\": 10}}");
  assert_non_null (sluice_pump_get_cron (pump));
  assert_true (sluice_pump_get_persistent (pump));
  sluice_pump_activate (pump);
  assert_time_equal (sluice_pump_get_next_start (pump), utc (2024, 3, 8, 12, 0, 0));

  advance_to (f, utc (2024, 3, 8, 12, 0, 0));
  assert_int_equal (fake_runner_count (f->fake, "p"), 1);
  /* The next start is armed while the run goes on: cron does not depend on runs. */
  assert_time_equal (sluice_pump_get_next_start (pump), utc (2024, 3, 9, 12, 0, 0));
  advance_to (f, utc (2024, 3, 8, 12, 30, 0));
  fake_runner_finish (f->fake, "p", NULL);
  assert_time_equal (sluice_pump_get_next_start (pump), utc (2024, 3, 9, 12, 0, 0));

  /* A start that comes while the pipe still runs waits for that run. */
  advance_to (f, utc (2024, 3, 9, 12, 0, 0));
  advance_to (f, utc (2024, 3, 10, 12, 0, 0));
  assert_int_equal (fake_runner_count (f->fake, "p"), 2);
  assert_true (sluice_scheduler_is_waiting (f->scheduler, "p"));
  fake_runner_finish (f->fake, "p", NULL);
  assert_int_equal (fake_runner_count (f->fake, "p"), 3);
  fake_runner_finish (f->fake, "p", NULL);
  assert_int_equal (fake_runner_count (f->fake, "p"), 3);
}

/* Persistence: a missed start after a restart ---------------------------------------------- */

static void
test_missed_cron_start_runs_after_restart (void **state)
{
  Fixture *f = *state;
  const char *json
      = "{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"cron_expression\": \"0 12 * * ?\"}}";
  g_autoptr (SluicePump) pump = pump_new (f, "p", json);

  sluice_pump_activate (pump);
  assert_time_equal (sluice_pump_get_next_start (pump), utc (2024, 3, 8, 12, 0, 0));
  g_clear_object (&pump);

  /* Down from 11:00 to 15:00: the noon start was missed. */
  host_stop (f);
  host_start (f, utc (2024, 3, 8, 15, 0, 0));
  pump = pump_new (f, "p", json);
  sluice_pump_activate (pump);
  assert_int_equal (fake_runner_count (f->fake, "p"), 1);
  assert_int_equal (fake_runner_find_running (f->fake, "p")->reason, SLUICE_RUN_REASON_MISSED);
  assert_time_equal (sluice_pump_get_next_start (pump), utc (2024, 3, 9, 12, 0, 0));
  fake_runner_finish (f->fake, "p", NULL);
  g_clear_object (&pump);

  /* Down again, but back before the next start: nothing runs early. */
  host_stop (f);
  host_start (f, utc (2024, 3, 9, 9, 0, 0));
  pump = pump_new (f, "p", json);
  sluice_pump_activate (pump);
  assert_int_equal (fake_runner_count (f->fake, "p"), 0);
  assert_time_equal (sluice_pump_get_next_start (pump), utc (2024, 3, 9, 12, 0, 0));
  advance_to (f, utc (2024, 3, 9, 12, 0, 0));
  assert_int_equal (fake_runner_count (f->fake, "p"), 1);
  assert_int_equal (fake_runner_find_running (f->fake, "p")->reason, SLUICE_RUN_REASON_SCHEDULE);
}

static void
test_changed_cron_expression_forgets_the_persisted_start (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePump) pump = pump_new (
      f, "p", "{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"cron_expression\": \"0 12 * * ?\"}}");

  sluice_pump_activate (pump);
  g_clear_object (&pump);
  host_stop (f);
  host_start (f, utc (2024, 3, 8, 15, 0, 0));
  pump = pump_new (
      f, "p", "{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"cron_expression\": \"0 18 * * ?\"}}");
  sluice_pump_activate (pump);
  assert_int_equal (fake_runner_count (f->fake, "p"), 0);
  assert_time_equal (sluice_pump_get_next_start (pump), utc (2024, 3, 8, 18, 0, 0));
}

static void
test_long_interval_is_persisted (void **state)
{
  Fixture *f = *state;
  gint64 t0 = sluice_clock_get_now (f->clock);
  const char *json = "{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"schedule_interval\": 7200}}";
  g_autoptr (SluicePump) pump = pump_new (f, "p", json);

  assert_true (sluice_pump_get_persistent (pump));
  sluice_pump_activate (pump);
  assert_int_equal (sluice_pump_get_next_start (pump), t0 + 2 * HOUR);
  /* The run starts, and the host dies before it finished. */
  advance_to (f, t0 + 2 * HOUR);
  assert_int_equal (fake_runner_count (f->fake, "p"), 1);
  g_clear_object (&pump);
  host_stop (f);

  /* The interrupted start counts as missed. */
  host_start (f, t0 + 3 * HOUR);
  pump = pump_new (f, "p", json);
  sluice_pump_activate (pump);
  assert_int_equal (fake_runner_count (f->fake, "p"), 1);
  assert_int_equal (fake_runner_find_running (f->fake, "p")->reason, SLUICE_RUN_REASON_MISSED);
  fake_runner_finish (f->fake, "p", NULL);
  assert_int_equal (sluice_pump_get_next_start (pump), t0 + 5 * HOUR);
  g_clear_object (&pump);
  host_stop (f);

  /* Restarted before that: the persisted start is kept, not pushed back by a fresh interval. */
  host_start (f, t0 + 4 * HOUR);
  pump = pump_new (f, "p", json);
  sluice_pump_activate (pump);
  assert_int_equal (fake_runner_count (f->fake, "p"), 0);
  assert_int_equal (sluice_pump_get_next_start (pump), t0 + 5 * HOUR);
}

static void
test_short_interval_is_not_persisted (void **state)
{
  Fixture *f = *state;
  gint64 t0 = sluice_clock_get_now (f->clock);
  const char *json = "{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"schedule_interval\": 3600}}";
  g_autoptr (SluicePump) pump = pump_new (f, "p", json);
  SluicePipeState state_record = { 0 };

  sluice_pump_activate (pump);
  g_clear_object (&pump);
  assert_false (sluice_store_backend_get_pipe_state (f->store, "schedule:p", &state_record, NULL));
  host_stop (f);
  host_start (f, t0 + 5 * HOUR);
  pump = pump_new (f, "p", json);
  sluice_pump_activate (pump);
  assert_int_equal (fake_runner_count (f->fake, "p"), 0);
  assert_int_equal (sluice_pump_get_next_start (pump), t0 + 6 * HOUR);
}

/* Startup, modes, enable/disable ---------------------------------------------------------- */

static void
test_run_at_startup (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePump) pump
      = pump_new (f, "p",
                  "{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"run_at_startup\": true, "
                  "\"cron_expression\": \"0 12 * * ?\"}}");

  sluice_pump_activate (pump);
  assert_int_equal (fake_runner_count (f->fake, "p"), 1);
  assert_int_equal (fake_runner_find_running (f->fake, "p")->reason, SLUICE_RUN_REASON_STARTUP);
  /* Activating twice does not run twice. */
  sluice_pump_activate (pump);
  assert_int_equal (fake_runner_count (f->fake, "p"), 1);
}

static void
test_manual_mode (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePump) pump = pump_new (
      f, "p",
      "{" DATASET_TO_DATASET ", \"pump\": {\"mode\": \"manual\", \"run_at_startup\": true, "
      "\"schedule_interval\": 10}}");

  assert_int_equal (sluice_pump_get_mode (pump), SLUICE_PUMP_MODE_MANUAL);
  sluice_pump_activate (pump);
  assert_int_equal (sluice_pump_get_next_start (pump), -1);
  advance_to (f, sluice_clock_get_now (f->clock) + 10 * HOUR);
  assert_false (sluice_pump_notify_input_changed (pump));
  assert_int_equal (fake_runner_count (f->fake, "p"), 0);

  assert_true (sluice_pump_start (pump, FALSE, NULL));
  assert_int_equal (fake_runner_find_running (f->fake, "p")->reason, SLUICE_RUN_REASON_MANUAL);
  fake_runner_finish (f->fake, "p", NULL);
  assert_int_equal (sluice_pump_get_next_start (pump), -1);
}

static void
test_off_mode (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePump) pump = pump_new (
      f, "p", "{" DATASET_TO_DATASET ", \"pump\": {\"mode\": \"off\", \"run_at_startup\": true}}");
  g_autoptr (GError) error = NULL;

  assert_string_equal (sluice_pump_mode_to_string (sluice_pump_get_mode (pump)), "off");
  sluice_pump_activate (pump);
  advance_to (f, sluice_clock_get_now (f->clock) + 10 * HOUR);
  assert_false (sluice_pump_notify_input_changed (pump));
  assert_false (sluice_pump_start (pump, FALSE, &error));
  assert_true (g_error_matches (error, SLUICE_PUMP_ERROR, SLUICE_PUMP_ERROR_OFF));
  assert_string_equal (error->message, "pipe 'p' cannot be started: its pump mode is \"off\"");
  assert_int_equal (fake_runner_count (f->fake, NULL), 0);
}

/* A receiver or a publisher (sluice_pipe_is_pumped () is FALSE): never scheduled, signalled or
 * started, whatever its pump says. */
static void
test_not_pumped (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePump) pump = pump_new (
      f, "p", "{" DATASET_TO_DATASET ", \"pump\": {\"run_at_startup\": true, "
              "\"schedule_interval\": 10}}");
  g_autoptr (GError) error = NULL;

  sluice_pump_set_not_pumped (pump, "pipe 'p' is never run: its source (type 'http_endpoint') "
                                    "receives the entities pushed to POST "
                                    "/api/receivers/p/entities");
  sluice_pump_activate (pump);
  assert_int_equal (sluice_pump_get_next_start (pump), -1);
  advance_to (f, sluice_clock_get_now (f->clock) + 10 * HOUR);
  assert_false (sluice_pump_notify_input_changed (pump));
  assert_false (sluice_pump_start (pump, TRUE, &error));
  assert_true (g_error_matches (error, SLUICE_PUMP_ERROR, SLUICE_PUMP_ERROR_NOT_PUMPED));
  assert_string_equal (error->message, "pipe 'p' is never run: its source (type 'http_endpoint') "
                                       "receives the entities pushed to POST "
                                       "/api/receivers/p/entities");
  assert_int_equal (fake_runner_count (f->fake, NULL), 0);
}

static void
test_disable_and_enable (void **state)
{
  Fixture *f = *state;
  gint64 t0 = sluice_clock_get_now (f->clock);
  const char *json = "{" DATASET_TO_DATASET ", \"pump\": {\"schedule_interval\": 60}}";
  g_autoptr (SluicePump) pump = pump_new (f, "p", json);
  g_autoptr (GError) error = NULL;

  sluice_pump_activate (pump);
  assert_true (sluice_pump_set_enabled (pump, FALSE, &error));
  assert_false (sluice_pump_get_enabled (pump));
  assert_int_equal (sluice_pump_get_next_start (pump), -1);
  advance_to (f, t0 + HOUR);
  assert_false (sluice_pump_notify_input_changed (pump));
  assert_int_equal (fake_runner_count (f->fake, "p"), 0);

  /* Start works on a disabled pump; it stays disabled afterwards. */
  assert_true (sluice_pump_start (pump, TRUE, &error));
  assert_true (fake_runner_find_running (f->fake, "p")->full);
  fake_runner_finish (f->fake, "p", NULL);
  assert_int_equal (sluice_pump_get_next_start (pump), -1);

  /* Disabled survives a restart. */
  g_clear_object (&pump);
  host_stop (f);
  host_start (f, t0 + 2 * HOUR);
  pump = pump_new (f, "p", json);
  sluice_pump_activate (pump);
  assert_false (sluice_pump_get_enabled (pump));
  assert_int_equal (sluice_pump_get_next_start (pump), -1);

  assert_true (sluice_pump_set_enabled (pump, TRUE, &error));
  assert_int_equal (sluice_pump_get_next_start (pump), t0 + 2 * HOUR + 60 * SEC);
  advance_to (f, t0 + 2 * HOUR + 60 * SEC);
  assert_int_equal (fake_runner_count (f->fake, "p"), 1);
}

static void
test_disabled_before_activation_without_a_store (void **state)
{
  Fixture *f = *state;
  g_autoptr (JsonNode) node = json_from_string ("{" DATASET_TO_DATASET "}", NULL);
  g_autoptr (SluicePump) pump
      = sluice_pump_new (f->scheduler, "p", json_node_get_object (node), TRUE, NULL, NULL);

  assert_true (sluice_pump_set_enabled (pump, FALSE, NULL));
  sluice_pump_activate (pump);
  assert_false (sluice_pump_get_enabled (pump));
  assert_int_equal (sluice_pump_get_next_start (pump), -1);
  advance_to (f, sluice_clock_get_now (f->clock) + HOUR);
  assert_int_equal (fake_runner_count (f->fake, "p"), 0);
}

static void
test_start_while_running (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePump) pump = pump_new (f, "p", "{" JSON_SOURCE_TO_JSON_SINK "}");
  g_autoptr (GError) error = NULL;

  assert_true (sluice_pump_start (pump, FALSE, &error));
  assert_false (sluice_pump_start (pump, FALSE, &error));
  assert_true (g_error_matches (error, SLUICE_PUMP_ERROR, SLUICE_PUMP_ERROR_BUSY));
  assert_string_equal (error->message, "pipe 'p' is running already");
  g_clear_error (&error);

  sluice_scheduler_shutdown (f->scheduler);
  fake_runner_finish (f->fake, "p", NULL);
  assert_false (sluice_pump_start (pump, FALSE, &error));
  assert_true (g_error_matches (error, SLUICE_PUMP_ERROR, SLUICE_PUMP_ERROR_SHUTDOWN));
  assert_string_equal (error->message, "pipe 'p' cannot be started: the host is shutting down");
}

/* Signalling ------------------------------------------------------------------------------ */

static void
test_signalling (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePump) pump = pump_new (f, "p", "{" DATASET_TO_DATASET "}");

  assert_true (sluice_pump_get_signalling (pump));
  /* Not before the pump is active. */
  assert_false (sluice_pump_notify_input_changed (pump));
  sluice_pump_activate (pump);
  assert_true (sluice_pump_notify_input_changed (pump));
  assert_int_equal (fake_runner_find_running (f->fake, "p")->reason, SLUICE_RUN_REASON_SIGNAL);
  /* A running run is not interrupted; many signals make one more run. */
  assert_true (sluice_pump_notify_input_changed (pump));
  assert_true (sluice_pump_notify_input_changed (pump));
  assert_true (sluice_pump_notify_input_changed (pump));
  assert_int_equal (fake_runner_count (f->fake, "p"), 1);
  fake_runner_finish (f->fake, "p", NULL);
  assert_int_equal (fake_runner_count (f->fake, "p"), 2);
  fake_runner_finish (f->fake, "p", NULL);
  assert_int_equal (fake_runner_count (f->fake, "p"), 2);
}

static gboolean
signalling_of (Fixture *f, const char *json, gboolean use_signalling_internally)
{
  g_autoptr (SluicePump) pump = pump_new_full (f, "s", json, use_signalling_internally, NULL);

  assert_non_null (pump);
  return sluice_pump_get_signalling (pump);
}

static void
test_signalling_defaults (void **state)
{
  Fixture *f = *state;

  assert_true (signalling_of (f, "{" DATASET_TO_DATASET "}", TRUE));
  assert_false (signalling_of (f, "{" DATASET_TO_DATASET "}", FALSE));
  assert_true (signalling_of (f, "{\"source\": {\"type\": \"merge\"}}", TRUE));
  assert_false (signalling_of (f, "{" JSON_SOURCE_TO_JSON_SINK "}", TRUE));
  /* Off on cron and on intervals of an hour or more… */
  assert_false (signalling_of (
      f, "{" DATASET_TO_DATASET ", \"pump\": {\"cron_expression\": \"0 * * * ?\"}}", TRUE));
  assert_false (
      signalling_of (f, "{" DATASET_TO_DATASET ", \"pump\": {\"schedule_interval\": 3600}}", TRUE));
  assert_true (
      signalling_of (f, "{" DATASET_TO_DATASET ", \"pump\": {\"schedule_interval\": 3599}}", TRUE));
  /* …unless the source says otherwise. */
  assert_true (
      signalling_of (f,
                     "{\"source\": {\"type\": \"dataset\", \"supports_signalling\": true}, "
                     "\"pump\": {\"cron_expression\": \"0 * * * ?\"}}",
                     FALSE));
  assert_false (signalling_of (
      f, "{\"source\": {\"type\": \"dataset\", \"supports_signalling\": false}}", TRUE));
}

/* Errors ---------------------------------------------------------------------------------- */

static void
assert_invalid (Fixture *f, const char *json, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluicePump) pump = pump_new_full (f, "p", json, TRUE, &error);

  assert_null (pump);
  assert_true (g_error_matches (error, SLUICE_PUMP_ERROR, SLUICE_PUMP_ERROR_INVALID));
  assert_string_equal (error->message, message);
}

static void
test_invalid_configuration (void **state)
{
  Fixture *f = *state;

  assert_invalid (f, "{\"pump\": {\"cron_expression\": \"0 12 32 * ?\"}}",
                  "pipe 'p': /pump/cron_expression: cron field 3 (day-of-month) '32': value out "
                  "of range 1-31");
  assert_invalid (f, "{\"pump\": {\"schedule_interval\": 0}}",
                  "pipe 'p': /pump/schedule_interval: expected a positive number of seconds (at "
                  "most 100 years), got 0");
  assert_invalid (f, "{\"pump\": {\"schedule_interval\": \"60\"}}",
                  "pipe 'p': /pump/schedule_interval: expected a number of seconds");
  assert_invalid (f, "{\"pump\": {\"mode\": \"sometimes\"}}",
                  "pipe 'p': /pump/mode: expected \"scheduled\", \"manual\" or \"off\"");
  assert_invalid (f, "{\"pump\": {\"rescan_run_count\": 0}}",
                  "pipe 'p': /pump/rescan_run_count: expected a whole number of runs, 1 or more");
  assert_invalid (f, "{\"pump\": {\"partial_rescan_run_count\": 2.5}}",
                  "pipe 'p': /pump/partial_rescan_run_count: expected a whole number of runs, 1 "
                  "or more");
  assert_invalid (f,
                  "{\"pump\": {\"rescan_run_count\": 2, \"rescan_cron_expression\": \"0 12 * * "
                  "?\"}}",
                  "pipe 'p': /pump/rescan_cron_expression: cannot be used together with "
                  "/pump/rescan_run_count");
  assert_invalid (f, "{\"pump\": {\"rescan_cron_expression\": \"0 25 * * ?\"}}",
                  "pipe 'p': /pump/rescan_cron_expression: cron field 2 (hour) '25': value out of "
                  "range 0-23");
  assert_invalid (f, "{\"pump\": {\"partial_rescan_run_count\": 3}}",
                  "pipe 'p': /pump/partial_rescan_run_count: requires /pump/partial_rescan_delta");
  assert_invalid (f, "{\"pump\": {\"partial_rescan_delta\": -5}}",
                  "pipe 'p': /pump/partial_rescan_delta: expected a number of 0 or more (seconds "
                  "for a datetime offset)");
}

/* Run kinds: rescans and partial rescans -------------------------------------------------- */

/* Runs @n interval runs of pipe "p" one after another and returns their kinds: "i"ncremental
 * (or auto), "r"escan (full), "p"artial. */
static char *
run_kinds (Fixture *f, SluicePump *pump, guint n)
{
  GString *kinds = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      FakeRun *run;

      advance_to (f, sluice_pump_get_next_start (pump));
      run = fake_runner_find_running (f->fake, "p");
      assert_non_null (run);
      g_string_append_c (kinds, run->full ? 'r' : run->partial ? 'p' : 'i');
      fake_runner_finish (f->fake, "p", NULL);
    }
  return g_string_free (kinds, FALSE);
}

static void
assert_kinds (Fixture *f, const char *pump_json, guint n, const char *expected)
{
  g_autofree char *json
      = g_strdup_printf ("{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"schedule_interval\": 60, %s}}",
                         pump_json);
  g_autoptr (SluicePump) pump = pump_new (f, "p", json);
  g_autofree char *kinds = NULL;

  sluice_pump_activate (pump);
  kinds = run_kinds (f, pump, n);
  assert_string_equal (kinds, expected);
  sluice_pump_deactivate (pump);
}

static void
test_rescan_run_count (void **state)
{
  Fixture *f = *state;

  /* Digest Appendix B9.  Without a store each pump counts from 0. */
  g_clear_pointer (&f->store, sluice_store_backend_free);
  assert_kinds (f, "\"rescan_run_count\": 1", 4, "rrrr");
  assert_kinds (f, "\"rescan_run_count\": 2", 4, "irir");
  assert_kinds (f, "\"rescan_run_count\": 3", 6, "iiriir");
  /* A full rescan wins over a partial one when both fall on the same run. */
  assert_kinds (f, "\"rescan_run_count\": 3, \"partial_rescan_run_count\": 2, "
                   "\"partial_rescan_delta\": 100",
                6, "iprpir");
}

static void
test_run_counter_survives_a_restart (void **state)
{
  Fixture *f = *state;
  const char *json = "{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"schedule_interval\": 60, "
                     "\"rescan_run_count\": 3}}";
  g_autoptr (SluicePump) pump = pump_new (f, "p", json);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  sluice_pump_activate (pump);
  before = run_kinds (f, pump, 2);
  assert_string_equal (before, "ii");
  g_clear_object (&pump);

  host_stop (f);
  host_start (f, utc (2024, 3, 9, 11, 0, 0));
  pump = pump_new (f, "p", json);
  sluice_pump_activate (pump);
  /* The third run ever is the rescan, whatever restarts came between. */
  after = run_kinds (f, pump, 4);
  assert_string_equal (after, "riir");
}

static void
test_other_starts_count_as_runs (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePump) pump
      = pump_new (f, "p", "{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"schedule_interval\": 60, "
                          "\"rescan_run_count\": 2, \"run_at_startup\": true}}");

  /* The start-up run is run 1 (incremental); the first interval run is run 2 (a rescan); a manual
   * start is run 3; the signal-less interval run after it is run 4 (a rescan). */
  sluice_pump_activate (pump);
  assert_false (fake_runner_find_running (f->fake, "p")->full);
  fake_runner_finish (f->fake, "p", NULL);
  advance_to (f, sluice_pump_get_next_start (pump));
  assert_true (fake_runner_find_running (f->fake, "p")->full);
  fake_runner_finish (f->fake, "p", NULL);
  assert_true (sluice_pump_start (pump, FALSE, NULL));
  assert_false (fake_runner_find_running (f->fake, "p")->full);
  fake_runner_finish (f->fake, "p", NULL);
  advance_to (f, sluice_pump_get_next_start (pump));
  assert_true (fake_runner_find_running (f->fake, "p")->full);
  fake_runner_finish (f->fake, "p", NULL);
}

static void
test_rescan_cron_expression (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePump) pump = NULL;
  FakeRun *run;

  advance_to (f, utc (2024, 3, 8, 11, 58, 0));
  pump = pump_new (f, "p", "{" JSON_SOURCE_TO_JSON_SINK ", \"pump\": {\"schedule_interval\": 7200, "
                           "\"rescan_cron_expression\": \"0 12 * * ?\"}}");
  sluice_pump_activate (pump);
  assert_time_equal (sluice_pump_get_next_start (pump), utc (2024, 3, 8, 13, 58, 0));

  /* Noon: a full run, which moves the interval as any run does. */
  advance_to (f, utc (2024, 3, 8, 12, 0, 0));
  run = fake_runner_find_running (f->fake, "p");
  assert_non_null (run);
  assert_true (run->full);
  assert_int_equal (run->reason, SLUICE_RUN_REASON_SCHEDULE);
  fake_runner_finish (f->fake, "p", NULL);
  assert_time_equal (sluice_pump_get_next_start (pump), utc (2024, 3, 8, 14, 0, 0));
  advance_to (f, utc (2024, 3, 8, 14, 0, 0));
  assert_false (fake_runner_find_running (f->fake, "p")->full);
  fake_runner_finish (f->fake, "p", NULL);

  /* A disabled pump starts no rescan either. */
  assert_true (sluice_pump_set_enabled (pump, FALSE, NULL));
  advance_to (f, utc (2024, 3, 9, 12, 0, 0));
  assert_int_equal (fake_runner_count (f->fake, "p"), 2);
  assert_true (sluice_pump_set_enabled (pump, TRUE, NULL));
  advance_to (f, utc (2024, 3, 9, 14, 0, 0));
  assert_int_equal (fake_runner_count (f->fake, "p"), 3);
  assert_false (fake_runner_find_running (f->fake, "p")->full);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_interval_is_the_pause_between_runs, setup, teardown),
    cmocka_unit_test_setup_teardown (test_manual_start_moves_the_interval, setup, teardown),
    cmocka_unit_test_setup_teardown (test_default_intervals, setup, teardown),
    cmocka_unit_test_setup_teardown (test_cron_forms, setup, teardown),
    cmocka_unit_test_setup_teardown (test_cron_runs_and_wins_over_interval, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missed_cron_start_runs_after_restart, setup, teardown),
    cmocka_unit_test_setup_teardown (test_changed_cron_expression_forgets_the_persisted_start,
                                     setup, teardown),
    cmocka_unit_test_setup_teardown (test_long_interval_is_persisted, setup, teardown),
    cmocka_unit_test_setup_teardown (test_short_interval_is_not_persisted, setup, teardown),
    cmocka_unit_test_setup_teardown (test_run_at_startup, setup, teardown),
    cmocka_unit_test_setup_teardown (test_manual_mode, setup, teardown),
    cmocka_unit_test_setup_teardown (test_off_mode, setup, teardown),
    cmocka_unit_test_setup_teardown (test_not_pumped, setup, teardown),
    cmocka_unit_test_setup_teardown (test_disable_and_enable, setup, teardown),
    cmocka_unit_test_setup_teardown (test_disabled_before_activation_without_a_store, setup,
                                     teardown),
    cmocka_unit_test_setup_teardown (test_start_while_running, setup, teardown),
    cmocka_unit_test_setup_teardown (test_signalling, setup, teardown),
    cmocka_unit_test_setup_teardown (test_signalling_defaults, setup, teardown),
    cmocka_unit_test_setup_teardown (test_invalid_configuration, setup, teardown),
    cmocka_unit_test_setup_teardown (test_rescan_run_count, setup, teardown),
    cmocka_unit_test_setup_teardown (test_run_counter_survives_a_restart, setup, teardown),
    cmocka_unit_test_setup_teardown (test_other_starts_count_as_runs, setup, teardown),
    cmocka_unit_test_setup_teardown (test_rescan_cron_expression, setup, teardown),
  };

  return cmocka_run_group_tests_name ("pump", tests, NULL, NULL);
}
