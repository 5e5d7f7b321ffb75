/* test-retries.c — read retries, write retries and dead letters (digest §15.1–§15.3,
 * docs/retries.md), one test per rule, in-process.
 *
 * The pipe `p` reads the test-flaky-source (entities e0…e9, one read call failing on demand) and
 * writes the test-picky-sink (which rejects chosen ids and logs every write call to a file), both
 * from tests/plugins/engine/retry-test.c.  Each test checks what a user sees: the dataset written,
 * the offset, the run's error, and the entities of the execution log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "engine-fixture.h"
#include "sluice-clock.h"
#include "sluice-control-retries.h"
#include "sluice-execution-log.h"
#include "sluice-retry-log.h"
#include "sluice-store.h"

typedef EngineFixture Fixture;

#define LOG_DATASET "system:pump_execution:p"

static int
setup (void **state)
{
  Fixture *f;
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  engine_fixture_setup (state);
  f = *state;
  path = g_build_filename (g_getenv ("SLUICE_TEST_BUILDDIR"), "tests", "plugins", "engine",
                           "sluice-retry-test.so", NULL);
  if (!sluice_registry_load_file (f->registry, path, &error))
    fail_msg ("%s", error->message);
  return 0;
}

static char *
pipe_config (Fixture *f, guint batch_size, const char *source, const char *sink, const char *pump)
{
  g_autofree char *writes = g_build_filename (f->dir, "writes.log", NULL);

  return g_strdup_printf (
      "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": %u,"
      " \"source\": {\"type\": \"test-flaky-source\"%s},"
      " \"sink\": {\"type\": \"test-picky-sink\", \"dataset\": \"out\", \"log_file\": \"%s\"%s},"
      " \"pump\": {\"mode\": \"manual\"%s}}",
      batch_size, source, writes, sink, pump);
}

/* Builds the pipe `p`: @batch_size, the source's extra options, the sink's extra options (the
 * sink writes dataset "out" and logs its writes), and the pump's keys.  Options start with ", ". */
static void
build (Fixture *f, guint batch_size, const char *source, const char *sink, const char *pump)
{
  g_autofree char *json = pipe_config (f, batch_size, source, sink, pump);

  engine_fixture_build (f, json);
}

/* The write calls the sink saw since the last call, one "<ids> ok|fail" line each. */
static char *
take_writes (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->dir, "writes.log", NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");
  g_unlink (path);
  return contents;
}

/* The ids of the live entities of @dataset, in offset order: "e0,e1,…". */
static char *
live_ids (Fixture *f, const char *dataset)
{
  SluiceStoreQuery query = { .dataset = dataset, .since = -1, .history = FALSE, .deleted = FALSE };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (f->store, &query, &error);
  GString *out = g_string_new (NULL);
  SluiceEntity *entity;

  if (cursor == NULL)
    return g_string_free (out, FALSE);
  while ((entity = sluice_store_cursor_next_entity (cursor, dataset, &error)) != NULL)
    {
      g_string_append_printf (out, "%s%s", out->len > 0 ? "," : "", sluice_entity_get_id (entity));
      sluice_entity_unref (entity);
    }
  assert_null (error);
  return g_string_free (out, FALSE);
}

/* The latest versions of the execution-log entities whose `_id` starts with @prefix. */
static GPtrArray *
log_entities (Fixture *f, const char *prefix)
{
  SluiceStoreQuery query
      = { .dataset = LOG_DATASET, .since = -1, .history = FALSE, .deleted = FALSE };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (f->store, &query, &error);
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify)sluice_entity_unref);
  SluiceEntity *entity;

  if (cursor == NULL)
    return found;
  while ((entity = sluice_store_cursor_next_entity (cursor, LOG_DATASET, &error)) != NULL)
    {
      if (g_str_has_prefix (sluice_entity_get_id (entity), prefix))
        g_ptr_array_add (found, entity);
      else
        sluice_entity_unref (entity);
    }
  assert_null (error);
  return found;
}

static SluiceEntity *
log_entity (Fixture *f, const char *id)
{
  g_autoptr (GError) error = NULL;
  SluiceEntity *entity = sluice_store_dup_entity (f->store, LOG_DATASET, id, NULL, &error);

  assert_null (error);
  if (entity == NULL)
    fail_msg ("the execution log has no entity '%s'", id);
  return entity;
}

/* The value at @path ("metrics.entities.read_errors_last_run") of @entity as JSON; "absent" when
 * there is none. */
static char *
field (SluiceEntity *entity, const char *path)
{
  g_auto (GStrv) keys = g_strsplit (path, ".", -1);
  SluiceValue *value = sluice_entity_get_body (entity);

  for (guint i = 0; keys[i] != NULL && value != NULL; i++)
    value = sluice_value_get_kind (value) == SLUICE_VALUE_DICT
                ? sluice_value_dict_lookup (value, keys[i])
                : NULL;
  return value != NULL ? sluice_value_to_json (value) : g_strdup ("absent");
}

static void
assert_field (SluiceEntity *entity, const char *path, const char *expected)
{
  g_autofree char *actual = field (entity, path);

  if (strcmp (actual, expected) != 0)
    fail_msg ("%s of %s: expected %s, got %s", path, sluice_entity_get_id (entity), expected,
              actual);
}

static SluiceEntity *
finished_event (Fixture *f, const SluiceRunStats *stats)
{
  g_autofree char *id = g_strdup_printf (
      "%s:%s", stats->error != NULL ? "pump-failed" : "pump-completed", stats->run_id);

  return log_entity (f, id);
}

/* max_read_retries: a read that asks to be retried is called again, and each failure is logged
 * as a read-error; the run then goes on as if nothing happened. */
/* A key the schema knows but sluice does not implement is refused where it is, not ignored. */
static void
test_track_dead_letters_refused (void **state)
{
  EngineFixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *problems = NULL;

  assert_false (engine_fixture_try_build (
    f,
    "[{\"_id\": \"p\", \"type\": \"pipe\", \"source\": {\"type\": \"test-sequence\"},\n"
    "  \"pump\": {\"track_dead_letters\": true}}]",
    &problems, &error));
  assert_non_null (strstr (problems, "p: /pump/track_dead_letters: track_dead_letters: true is not "
                                     "supported yet"));
}

static void
test_read_retry_succeeds (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autoptr (GPtrArray) errors = NULL;
  g_autoptr (SluiceEntity) completed = NULL;
  g_autofree char *ids = NULL;
  g_autofree char *run_id = NULL;

  build (f, 3, ", \"fail_at_read\": 2, \"fail_times\": 2", "", ", \"max_read_retries\": 2");
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  run_id = g_strdup_printf ("\"%s\"", stats->run_id);
  assert_int_equal (stats->entities_read, 10);
  assert_int_equal (stats->read_errors, 2);
  assert_string_equal (stats->since_after, "9");
  ids = live_ids (f, "out");
  assert_string_equal (ids, "e0,e1,e2,e3,e4,e5,e6,e7,e8,e9");

  errors = log_entities (f, "read-error:");
  assert_int_equal (errors->len, 2);
  for (guint i = 0; i < 2; i++)
    {
      SluiceEntity *error = g_ptr_array_index (errors, i);
      g_autofree char *message
          = g_strdup_printf ("\"read 2 failed (failure %u of 2) as configured\"", i + 1);
      g_autofree char *attempt = g_strdup_printf ("%u", i + 1);

      assert_field (error, "event_type", "\"read-error\"");
      assert_field (error, "pipe", "\"p\"");
      assert_field (error, "error_code", "0");
      assert_field (error, "error_message", message);
      assert_field (error, "attempt", attempt);
      assert_field (error, "will_retry", "true");
      assert_field (error, "run_id", run_id);
      g_free (message);
      message = field (error, "event_time");
      assert_string_not_equal (message, "absent");
    }
  completed = finished_event (f, stats);
  assert_field (completed, "metrics.entities.read_errors_last_run", "2");
  assert_field (completed, "metrics.entities.write_errors_last_run", "0");
}

/* read_retry_delay: the retries wait that long, and stopping the run ends the wait at once. */
typedef struct
{
  Fixture *f;
  GCancellable *cancellable;
} CancelData;

static gpointer
cancel_after_read_error (gpointer user_data)
{
  CancelData *data = user_data;

  /* Polls the execution log (the run writes a read-error before it waits), for 10 s at most. */
  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr (GPtrArray) errors = log_entities (data->f, "read-error:");

      if (errors->len > 0)
        break;
      g_usleep (10 * 1000);
    }
  g_cancellable_cancel (data->cancellable);
  return NULL;
}

static void
test_read_retry_delay (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autoptr (SluiceRunStats) stopped = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  CancelData data = { f, cancellable };
  GThread *thread;
  gint64 start;

  build (f, 3, ", \"fail_at_read\": 1, \"fail_times\": 2", "",
         ", \"max_read_retries\": 2, \"read_retry_delay\": 0.2");
  start = g_get_monotonic_time ();
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_true (g_get_monotonic_time () - start >= 400 * 1000);
  assert_int_equal (stats->read_errors, 2);

  /* A full run with an hour between retries, stopped while it waits. */
  build (f, 3, ", \"fail_at_read\": 1", "",
         ", \"max_read_retries\": 1, \"read_retry_delay\": 3600");
  sluice_store_backend_delete_dataset (f->store, LOG_DATASET, NULL);
  thread = g_thread_new ("cancel", cancel_after_read_error, &data);
  start = g_get_monotonic_time ();
  assert_false (sluice_pipe_run_sync (sluice_engine_lookup_pipe (f->engine, "p"),
                                      SLUICE_RUN_TYPE_FULL, cancellable, &stopped, &error));
  g_thread_join (thread);
  assert_true (g_get_monotonic_time () - start < 30 * G_USEC_PER_SEC);
  assert_true (g_error_matches (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CANCELLED));
  assert_string_equal (error->message, "the run was stopped while it waited to read batch 1 again");
  {
    g_autoptr (SluiceEntity) failed = finished_event (f, stopped);

    assert_field (failed, "reason_why_stopped", "\"stopped\"");
  }
}

/* When the retries are used up the run fails: pump-failed says why, and every failed call left
 * a read-error.  What was committed before stays, so the next run continues from there. */
static void
test_read_retries_exhausted (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autoptr (GPtrArray) errors = NULL;
  g_autoptr (SluiceEntity) failed = NULL;
  g_autofree char *ids = NULL;
  const char *expected = "/source (type 'test-flaky-source') failed in batch 2 after 3 attempts "
                         "(max_read_retries is 2): read 2 failed (failure 3 of 5) as configured";
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", expected);

  build (f, 3, ", \"fail_at_read\": 2, \"fail_times\": 5", "", ", \"max_read_retries\": 2");
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_string_equal (stats->error->message, expected);
  assert_int_equal (stats->read_errors, 3);
  assert_string_equal (stats->since_after, "2");
  ids = live_ids (f, "out");
  assert_string_equal (ids, "e0,e1,e2");

  errors = log_entities (f, "read-error:");
  assert_int_equal (errors->len, 3);
  assert_field (g_ptr_array_index (errors, 0), "will_retry", "true");
  assert_field (g_ptr_array_index (errors, 1), "will_retry", "true");
  assert_field (g_ptr_array_index (errors, 2), "will_retry", "false");
  failed = finished_event (f, stats);
  assert_field (failed, "event_type", "\"pump-failed\"");
  assert_field (failed, "reason_why_stopped", "\"failed\"");
  assert_field (failed, "original_error_message", quoted);
  assert_field (failed, "pipe_offset", "2");
  assert_field (failed, "metrics.entities.read_errors_last_run", "3");
}

/* SLUICE_FLOW_ERROR is permanent: no retry, whatever max_read_retries says. */
static void
test_read_error_not_retried (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autoptr (GPtrArray) errors = NULL;

  build (f, 3, ", \"fail_at_read\": 2, \"fail_flow\": \"error\"", "", ", \"max_read_retries\": 5");
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_string_equal (stats->error->message, "/source (type 'test-flaky-source') failed in batch "
                                              "2: read 2 failed (failure 1 of 1) as configured");
  assert_int_equal (stats->read_errors, 1);
  errors = log_entities (f, "read-error:");
  assert_int_equal (errors->len, 1);
  assert_field (g_ptr_array_index (errors, 0), "will_retry", "false");
}

/* A failed batch is written again (batch_retries), then one entity at a time: every entity but
 * the rejected one is written. */
static void
test_batch_fallback_to_singles (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autofree char *writes = NULL;
  g_autofree char *ids = NULL;

  build (f, 5, "", ", \"fail_ids\": [\"e3\"]",
         ", \"batch_retries\": 1, \"max_write_errors_in_retry_dataset\": 10");
  g_free (take_writes (f));
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  writes = take_writes (f);
  assert_string_equal (writes, "e0,e1,e2,e3,e4 fail\n"
                               "e0,e1,e2,e3,e4 fail\n"
                               "e0 ok\n"
                               "e1 ok\n"
                               "e2 ok\n"
                               "e3 fail\n"
                               "e4 ok\n"
                               "e5,e6,e7,e8,e9 ok\n");
  ids = live_ids (f, "out");
  assert_string_equal (ids, "e0,e1,e2,e4,e5,e6,e7,e8,e9");
  assert_int_equal (stats->entities_read, 10);
  assert_int_equal (stats->entities_written, 9);
  assert_int_equal (stats->changes, 9);
  assert_int_equal (stats->write_errors, 3);
  assert_int_equal (stats->entities_failed, 1);
  assert_string_equal (stats->since_after, "9");
}

/* Without the fallback, every entity of a batch that failed for good is a write error. */
static void
test_no_fallback (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autofree char *writes = NULL;
  g_autofree char *ids = NULL;

  build (f, 5, "", ", \"fail_ids\": [\"e3\"]",
         ", \"batch_retries\": 0, \"fallback_to_single_entities_on_batch_fail\": false,"
         " \"max_write_errors_in_retry_dataset\": 10");
  g_free (take_writes (f));
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  writes = take_writes (f);
  assert_string_equal (writes, "e0,e1,e2,e3,e4 fail\ne5,e6,e7,e8,e9 ok\n");
  ids = live_ids (f, "out");
  assert_string_equal (ids, "e5,e6,e7,e8,e9");
  assert_int_equal (stats->entities_failed, 5);
  entries = log_entities (f, "write-error:");
  assert_int_equal (entries->len, 5);
  assert_field (g_ptr_array_index (entries, 0), "error_message",
                "\"entity 'e3' rejected as configured\"");
}

/* With max_write_errors_in_retry_dataset > 0 an entity that cannot be written is recorded as
 * write-error:<_id> and the run goes on past it. */
static void
test_write_error_entries (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autoptr (SluiceEntity) entry = NULL;
  g_autoptr (SluiceEntity) completed = NULL;

  build (f, 5, "", ", \"fail_ids\": [\"e3\"]", ", \"max_write_errors_in_retry_dataset\": 10");
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_string_equal (stats->since_after, "9");
  assert_int_equal (stats->retries_pending, 1);

  entry = log_entity (f, "write-error:e3");
  assert_field (entry, "event_type", "\"write-error\"");
  assert_field (entry, "pipe", "\"p\"");
  assert_field (entry, "entity_id", "\"e3\"");
  assert_field (entry, "error_code", "1");
  assert_field (entry, "error_message", "\"entity 'e3' rejected as configured\"");
  assert_field (entry, "retry_attempts", "0");
  assert_field (entry, "retryable", "true");
  assert_field (entry, "resolved", "false");
  assert_field (entry, "dead", "false");
  assert_field (entry, "entity", "{\"_id\":\"e3\",\"n\":3,\"value\":\"v\",\"_updated\":3}");
  assert_field (entry, "resolved_entity", "null");

  completed = finished_event (f, stats);
  assert_field (completed, "entities_failed", "1");
  assert_field (completed, "retry_entities_exist", "true");
  assert_field (completed, "metrics.entities.write_errors_last_run", "5");
}

/* The next run writes the retryable entries first, before it reads the source; one that is
 * written is resolved. */
static void
test_retry_next_run_resolves (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL;
  g_autoptr (SluiceRunStats) second = NULL;
  g_autoptr (SluiceRunStats) third = NULL;
  g_autoptr (SluiceEntity) entry = NULL;
  g_autoptr (SluiceEntity) completed = NULL;
  g_autofree char *writes = NULL;
  g_autofree char *ids = NULL;

  build (f, 5, "", ", \"fail_ids\": [\"e3\"]", ", \"max_write_errors_in_retry_dataset\": 10");
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  g_free (take_writes (f));

  build (f, 5, ", \"count\": 12", "", ", \"max_write_errors_in_retry_dataset\": 10");
  second = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  writes = take_writes (f);
  assert_string_equal (writes, "e3 ok\ne10,e11 ok\n");
  ids = live_ids (f, "out");
  assert_string_equal (ids, "e0,e1,e2,e4,e5,e6,e7,e8,e9,e3,e10,e11");
  assert_int_equal (second->retries_pending, 0);

  entry = log_entity (f, "write-error:e3");
  assert_field (entry, "retryable", "false");
  assert_field (entry, "resolved", "true");
  assert_field (entry, "dead", "false");
  assert_field (entry, "retry_attempts", "0");
  assert_field (entry, "resolved_entity",
                "{\"_id\":\"e3\",\"n\":3,\"value\":\"v\",\"_updated\":3}");
  completed = finished_event (f, second);
  assert_field (completed, "retry_entities_exist", "false");

  /* Nothing is retried any more. */
  third = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  g_free (writes);
  writes = take_writes (f);
  assert_string_equal (writes, "");
}

/* A newer version of the entity written successfully resolves the entry, with that version. */
static void
test_newer_version_resolves (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL;
  g_autoptr (SluiceRunStats) second = NULL;
  g_autoptr (SluiceEntity) entry = NULL;
  g_autofree char *writes = NULL;

  build (f, 5, "", ", \"fail_ids\": [\"e3\"], \"fail_value\": \"v\"",
         ", \"max_write_errors_in_retry_dataset\": 10");
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  g_free (take_writes (f));

  /* The old version is still rejected; the new one ("v2") is not. */
  build (f, 5, ", \"value\": \"v2\"", ", \"fail_ids\": [\"e3\"], \"fail_value\": \"v\"",
         ", \"max_write_errors_in_retry_dataset\": 10");
  second = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_FULL, TRUE);
  writes = take_writes (f);
  assert_string_equal (writes, "e3 fail\ne0,e1,e2,e3,e4 ok\ne5,e6,e7,e8,e9 ok\n");
  entry = log_entity (f, "write-error:e3");
  assert_field (entry, "retryable", "false");
  assert_field (entry, "resolved", "true");
  assert_field (entry, "retry_attempts", "1");
  assert_field (entry, "entity.value", "\"v\"");
  assert_field (entry, "resolved_entity.value", "\"v2\"");
  assert_int_equal (second->retries_pending, 0);
}

/* After max_retries_per_entity failed retries the entry is dead and the entity is in the
 * dead-letter dataset, which is populated; it is not retried again. */
static void
test_dead_letter (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceEntity) entry = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;
  g_autofree char *writes = NULL;
  g_autofree char *ids = NULL;
  g_autofree char *dump = NULL;

  build (f, 5, "", ", \"fail_ids\": [\"e3\"]",
         ", \"max_write_errors_in_retry_dataset\": 10, \"max_retries_per_entity\": 2,"
         " \"dead_letter_dataset\": \"p-dead\"");
  for (guint run = 1; run <= 3; run++)
    {
      g_autoptr (SluiceRunStats) stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
      g_autoptr (SluiceEntity) current = log_entity (f, "write-error:e3");
      g_autofree char *attempts = g_strdup_printf ("%u", run - 1);

      assert_field (current, "retry_attempts", attempts);
      assert_field (current, "dead", run == 3 ? "true" : "false");
      assert_field (current, "retryable", run == 3 ? "false" : "true");
      assert_int_equal (stats->retries_pending, run == 3 ? 0 : 1);
    }
  entry = log_entity (f, "write-error:e3");
  assert_field (entry, "resolved", "false");
  assert_field (entry, "entity._id", "\"e3\"");

  dump = engine_fixture_dump (f, "p-dead", TRUE);
  assert_string_equal (dump, "0 {\"_id\":\"e3\",\"n\":3,\"value\":\"v\"}\n");
  info = engine_fixture_dataset_info (f, "p-dead");
  assert_true (info->populated);

  g_free (take_writes (f));
  {
    g_autoptr (SluiceRunStats) stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  }
  writes = take_writes (f);
  assert_string_equal (writes, "");
  ids = live_ids (f, "p-dead");
  assert_string_equal (ids, "e3");
}

/* Without dead_letter_dataset the dead letters go to system:dead-letter:<pipe>. */
static void
test_default_dead_letter_dataset (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autoptr (SluiceEntity) entry = NULL;
  g_autofree char *ids = NULL;

  build (f, 5, "", ", \"fail_ids\": [\"e3\"]",
         ", \"max_write_errors_in_retry_dataset\": 10, \"max_retries_per_entity\": 0,"
         " \"use_dead_letter_dataset\": true");
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  entry = log_entity (f, "write-error:e3");
  assert_field (entry, "dead", "true");
  ids = live_ids (f, "system:dead-letter:p");
  assert_string_equal (ids, "e3");
}

/* More retryable entries than max_write_errors_in_retry_dataset: the run stops, and the offset
 * stays before the entity that could not be kept. */
static void
test_retry_dataset_full (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autofree char *ids = NULL;

  build (f, 2, ", \"count\": 8", ", \"fail_ids\": [\"e1\", \"e3\", \"e5\"]",
         ", \"max_write_errors_in_retry_dataset\": 2");
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_string_equal (stats->error->message,
                       "/sink (type 'test-picky-sink') failed in batch 3 on entity 'e5' after 1 "
                       "attempt (entity 'e5' rejected as configured), and it cannot be kept for a "
                       "retry: 2 entities wait for a retry already, and "
                       "max_write_errors_in_retry_dataset is 2");
  assert_string_equal (stats->since_after, "3");
  entries = log_entities (f, "write-error:");
  assert_int_equal (entries->len, 2);
  assert_string_equal (sluice_entity_get_id (g_ptr_array_index (entries, 0)), "write-error:e1");
  assert_string_equal (sluice_entity_get_id (g_ptr_array_index (entries, 1)), "write-error:e3");
  ids = live_ids (f, "out");
  assert_string_equal (ids, "e0,e2,e4");
}

/* The defaults keep no write errors: the run fails on the first entity that cannot be written,
 * after the batch retries and the entities before it. */
static void
test_default_fails_on_first_write_error (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (SluiceEntity) failed = NULL;
  g_autofree char *writes = NULL;
  g_autofree char *ids = NULL;

  build (f, 5, "", ", \"fail_ids\": [\"e3\"]", "");
  g_free (take_writes (f));
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_string_equal (stats->error->message,
                       "/sink (type 'test-picky-sink') failed in batch 1 on entity 'e3' after 1 "
                       "attempt (entity 'e3' rejected as configured), and "
                       "max_write_errors_in_retry_dataset is 0: failed entities are not kept for "
                       "a retry");
  writes = take_writes (f);
  assert_string_equal (writes, "e0,e1,e2,e3,e4 fail\n"
                               "e0,e1,e2,e3,e4 fail\n"
                               "e0,e1,e2,e3,e4 fail\n"
                               "e0,e1,e2,e3,e4 fail\n"
                               "e0 ok\n"
                               "e1 ok\n"
                               "e2 ok\n"
                               "e3 fail\n");
  assert_null (stats->since_after);
  ids = live_ids (f, "out");
  assert_string_equal (ids, "e0,e1,e2");
  entries = log_entities (f, "write-error:");
  assert_int_equal (entries->len, 0);
  failed = finished_event (f, stats);
  assert_field (failed, "entities_failed", "1");
  assert_field (failed, "metrics.entities.write_errors_last_run", "5");
}

/* max_consecutive_write_errors > 1: the same entity is tried again, write_retry_delay apart,
 * and the run goes on when it succeeds. */
static void
test_consecutive_write_errors (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autofree char *writes = NULL;
  gint64 start;

  build (f, 5, "", ", \"fail_ids\": [\"e3\"], \"fail_times\": 2",
         ", \"batch_retries\": 0, \"max_consecutive_write_errors\": 3, \"write_retry_delay\": 0.2");
  g_free (take_writes (f));
  start = g_get_monotonic_time ();
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_true (g_get_monotonic_time () - start >= 200 * 1000);
  writes = take_writes (f);
  assert_string_equal (writes, "e0,e1,e2,e3,e4 fail\n"
                               "e0 ok\n"
                               "e1 ok\n"
                               "e2 ok\n"
                               "e3 fail\n"
                               "e3 ok\n"
                               "e4 ok\n"
                               "e5,e6,e7,e8,e9 ok\n");
  assert_int_equal (stats->entities_written, 10);
  assert_int_equal (stats->write_errors, 2);
  assert_int_equal (stats->entities_failed, 0);
}

/* The offset never moves past an entity that was neither written nor recorded: a run that fails
 * in the middle of a batch is followed by one that writes everything. */
static void
test_offset_never_skips (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL;
  g_autoptr (SluiceRunStats) second = NULL;
  g_autofree char *ids = NULL;

  build (f, 2, ", \"count\": 6", ", \"fail_ids\": [\"e3\"]", "");
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_string_equal (first->since_after, "1");

  build (f, 2, ", \"count\": 6", "", "");
  second = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_string_equal (second->since_before, "1");
  assert_int_equal (second->entities_read, 4);
  ids = live_ids (f, "out");
  assert_string_equal (ids, "e0,e1,e2,e3,e4,e5");
}

/* SLUICE_FLOW_ERROR from the sink, and a circuit-breaker trip whatever the flow, fail the run at
 * once: no retry, nothing kept for a retry. */
static void
test_permanent_write_errors (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) error_stats = NULL;
  g_autoptr (SluiceRunStats) breaker_stats = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autofree char *writes = NULL;

  build (f, 5, "", ", \"fail_ids\": [\"e3\"], \"fail_flow\": \"error\"",
         ", \"max_write_errors_in_retry_dataset\": 10");
  g_free (take_writes (f));
  error_stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_string_equal (error_stats->error->message,
                       "/sink (type 'test-picky-sink') failed in batch 1: entity 'e3' rejected as "
                       "configured");
  writes = take_writes (f);
  assert_string_equal (writes, "e0,e1,e2,e3,e4 fail\n");

  build (f, 5, "", ", \"fail_ids\": [\"e3\"], \"fail_breaker\": true",
         ", \"max_write_errors_in_retry_dataset\": 10");
  breaker_stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_string_equal (breaker_stats->error->message,
                       "/sink (type 'test-picky-sink') failed in batch 1: entity 'e3' rejected as "
                       "configured");
  g_free (writes);
  writes = take_writes (f);
  assert_string_equal (writes, "e0,e1,e2,e3,e4 fail\n");
  entries = log_entities (f, "write-error:");
  assert_int_equal (entries->len, 0);
}

/* discard-retries drops the pending retries without dead-lettering them. */
static void
test_discard_retries (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL;
  g_autoptr (SluiceRunStats) second = NULL;
  g_autoptr (SluiceEntity) entry = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *writes = NULL;
  g_autofree char *ids = NULL;
  guint n = 0;

  build (f, 5, "", ", \"fail_ids\": [\"e3\", \"e7\"]",
         ", \"max_write_errors_in_retry_dataset\": 10");
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (first->retries_pending, 2);
  g_free (take_writes (f));

  assert_true (sluice_retry_log_discard (f->store, "p", &n, &error));
  assert_int_equal (n, 2);
  entry = log_entity (f, "write-error:e7");
  assert_field (entry, "retryable", "false");
  assert_field (entry, "discarded", "true");
  assert_field (entry, "dead", "false");
  assert_field (entry, "resolved", "false");
  events = log_entities (f, "pump-discard-retries:");
  assert_int_equal (events->len, 1);
  assert_field (g_ptr_array_index (events, 0), "event_type", "\"pump-discard-retries\"");
  assert_field (g_ptr_array_index (events, 0), "discarded", "2");

  build (f, 5, "", "", ", \"max_write_errors_in_retry_dataset\": 10");
  second = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  writes = take_writes (f);
  assert_string_equal (writes, "");
  assert_int_equal (second->retries_pending, 0);
  ids = live_ids (f, "system:dead-letter:p");
  assert_string_equal (ids, "");
}

/* discard-retries through the control API: refused while the pipe runs. */
typedef struct
{
  gboolean started, ended, stopped;
} ControlEvents;

static void
on_started (SluiceControl *control, const char *pipe_id, SluiceRunType run_type,
            ControlEvents *events)
{
  events->started = TRUE;
}

static void
on_ended (SluiceControl *control, const char *pipe_id, const SluiceRunStats *stats,
          ControlEvents *events)
{
  events->ended = TRUE;
}

static void
on_failed (SluiceControl *control, const char *pipe_id, const SluiceRunStats *stats,
           const GError *error, ControlEvents *events)
{
  events->ended = TRUE;
}

static void
on_stopped (SluiceControl *control, ControlEvents *events)
{
  events->stopped = TRUE;
}

static void
iterate_until (gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!*flag)
    {
      if (g_get_monotonic_time () > deadline)
        fail_msg ("the control did not report within 60 s");
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
control_run (SluiceControl *control, ControlEvents *events)
{
  g_autoptr (GError) error = NULL;

  events->started = events->ended = FALSE;
  assert_true (sluice_control_start (control, "p", &error));
  iterate_until (&events->ended);
}

static void
test_discard_retries_control (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = g_build_filename (f->dir, "control.json", NULL);
  g_autofree char *config = NULL;
  g_autoptr (SluiceClock) clock = sluice_clock_new_manual (G_USEC_PER_SEC);
  g_autoptr (SluiceControl) control = NULL;
  g_autoptr (SluiceEntity) entry = NULL;
  g_autoptr (GError) error = NULL;
  const char *paths[] = { path, NULL };
  SluiceControlSettings settings = {
    .registry = f->registry,
    .config_paths = paths,
    .store = f->store,
    .clock = clock,
  };
  ControlEvents events = { 0 };

  /* A first run keeps e3 for a retry; the second waits an hour to read again, until stopped. */
  config
      = pipe_config (f, 5, ", \"fail_at_read\": 1, \"fail_times\": 0", ", \"fail_ids\": [\"e3\"]",
                     ", \"max_write_errors_in_retry_dataset\": 10,"
                     " \"max_read_retries\": 1, \"read_retry_delay\": 3600");
  assert_true (g_file_set_contents (path, config, -1, NULL));
  control = sluice_control_new (&settings, NULL, &error);
  assert_non_null (control);
  g_signal_connect (control, "pipe-run-started", G_CALLBACK (on_started), &events);
  g_signal_connect (control, "pipe-run-finished", G_CALLBACK (on_ended), &events);
  g_signal_connect (control, "pipe-run-failed", G_CALLBACK (on_failed), &events);
  g_signal_connect (control, "stopped", G_CALLBACK (on_stopped), &events);
  sluice_control_activate (control);
  control_run (control, &events);

  assert_false (sluice_control_discard_retries (control, "nope", &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND));
  assert_string_equal (error->message, "there is no pipe 'nope'");
  g_clear_error (&error);

  g_free (config);
  config
      = pipe_config (f, 5, ", \"fail_at_read\": 1, \"fail_times\": 1", ", \"fail_ids\": [\"e3\"]",
                     ", \"max_write_errors_in_retry_dataset\": 10,"
                     " \"max_read_retries\": 1, \"read_retry_delay\": 3600");
  assert_true (g_file_set_contents (path, config, -1, NULL));
  assert_true (sluice_control_reload (control, &error));
  while (sluice_control_is_reloading (control))
    g_main_context_iteration (NULL, TRUE);
  events.started = events.ended = FALSE;
  assert_true (sluice_control_start (control, "p", &error));
  iterate_until (&events.started);
  assert_false (sluice_control_discard_retries (control, "p", &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_BUSY));
  assert_string_equal (error->message,
                       "pipe 'p' is running; stop it first or wait until the run ends");
  g_clear_error (&error);
  assert_true (sluice_control_stop (control, "p", &error));
  iterate_until (&events.ended);

  assert_true (sluice_control_discard_retries (control, "p", &error));
  entry = log_entity (f, "write-error:e3");
  assert_field (entry, "discarded", "true");
  assert_field (entry, "retryable", "false");

  sluice_control_shutdown (control);
  iterate_until (&events.stopped);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_track_dead_letters_refused, setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_read_retry_succeeds, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_read_retry_delay, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_read_retries_exhausted, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_read_error_not_retried, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_batch_fallback_to_singles, setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_no_fallback, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_write_error_entries, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_retry_next_run_resolves, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_newer_version_resolves, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_dead_letter, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_default_dead_letter_dataset, setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_retry_dataset_full, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_default_fails_on_first_write_error, setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_consecutive_write_errors, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_offset_never_skips, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_permanent_write_errors, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_discard_retries, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_discard_retries_control, setup, engine_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
