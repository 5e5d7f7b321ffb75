/* test-control.c — the internal control API (core/control/sluice-control.h) on a real engine and store:
 * snapshots, pump operations and their errors, durable guards, dataset reads, reload, shutdown.
 * Scheduling runs on a manual clock, so nothing here waits for time to pass. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "engine-fixture.h"
#include "sluice-clock.h"
#include "sluice-control.h"
#include "sluice-dbus-errors.h"
#include "sluice-execution-log.h"
#include "sluice-http-status.h"

typedef struct
{
  EngineFixture *engine;
  SluiceClock *clock;
  SluiceControl *control;
  char *config_path;
  GPtrArray *events; /* "signal pipe" strings, in order */
} Fixture;

static const char base_config[]
  = "[{\"_id\": \"raw\", \"type\": \"pipe\","
    "  \"source\": {\"type\": \"test-sequence\", \"count\": 26},"
    "  \"pump\": {\"mode\": \"manual\"}},"
    " {\"_id\": \"copy\", \"type\": \"pipe\", \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"},"
    "  \"pump\": {\"mode\": \"manual\"}},"
    " {\"_id\": \"keep\", \"type\": \"pipe\", \"metadata\": {\"durable\": true},"
    "  \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"}, \"pump\": {\"mode\": \"manual\"}},"
    " {\"_id\": \"never\", \"type\": \"pipe\", \"source\": {\"type\": \"test-sequence\"},"
    "  \"pump\": {\"mode\": \"off\"}}]";

static void
write_config (Fixture *f, const char *json)
{
  assert_true (g_file_set_contents (f->config_path, json, -1, NULL));
}

static void
on_event (Fixture *f, const char *what, const char *pipe_id)
{
  g_ptr_array_add (f->events, g_strdup_printf ("%s %s", what, pipe_id));
}

static void
on_run_finished (SluiceControl *control, const char *pipe_id, const SluiceRunStats *stats,
                 gpointer user_data)
{
  on_event (user_data, "finished", pipe_id);
}

static void
on_run_failed (SluiceControl *control, const char *pipe_id, const SluiceRunStats *stats,
               const GError *error, gpointer user_data)
{
  on_event (user_data, "failed", pipe_id);
}

static void
on_changed (SluiceControl *control, const char *pipe_id, gpointer user_data)
{
  on_event (user_data, "changed", pipe_id);
}

static void
on_reloaded (SluiceControl *control, gpointer user_data)
{
  on_event (user_data, "reloaded", "-");
}

static void
on_stopped (SluiceControl *control, gpointer user_data)
{
  on_event (user_data, "stopped", "-");
}

static gboolean
has_event (Fixture *f, const char *event)
{
  for (guint i = 0; i < f->events->len; i++)
    if (g_strcmp0 (g_ptr_array_index (f->events, i), event) == 0)
      return TRUE;
  return FALSE;
}

/* Iterates the main context until @event was seen (runs finish on worker threads). */
static void
wait_for_event (Fixture *f, const char *event)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!has_event (f, event))
    {
      if (g_get_monotonic_time () > deadline)
        fail_msg ("no '%s' event within 60 s", event);
      g_main_context_iteration (NULL, TRUE);
    }
}

static SluiceControl *
new_control (Fixture *f, SluiceConfigDiagnostics *diagnostics, GError **error)
{
  const char *paths[] = { f->config_path, NULL };
  SluiceControlSettings settings = {
    .registry = f->engine->registry,
    .config_paths = paths,
    .store = f->engine->store,
    .clock = f->clock,
  };

  return sluice_control_new (&settings, diagnostics, error);
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (GError) error = NULL;

  engine_fixture_setup ((void **) &f->engine);
  f->clock = sluice_clock_new_manual (G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC);
  f->config_path = g_build_filename (f->engine->dir, "control.json", NULL);
  f->events = g_ptr_array_new_with_free_func (g_free);
  write_config (f, base_config);
  f->control = new_control (f, NULL, &error);
  assert_non_null (f->control);
  g_signal_connect (f->control, "pipe-run-finished", G_CALLBACK (on_run_finished), f);
  g_signal_connect (f->control, "pipe-run-failed", G_CALLBACK (on_run_failed), f);
  g_signal_connect (f->control, "pipe-changed", G_CALLBACK (on_changed), f);
  g_signal_connect (f->control, "reloaded", G_CALLBACK (on_reloaded), f);
  g_signal_connect (f->control, "stopped", G_CALLBACK (on_stopped), f);
  sluice_control_activate (f->control);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  if (!sluice_control_is_stopped (f->control))
    {
      sluice_control_shutdown (f->control);
      wait_for_event (f, "stopped -");
    }
  g_object_unref (f->control);
  g_object_unref (f->clock);
  g_ptr_array_unref (f->events);
  g_free (f->config_path);
  engine_fixture_teardown ((void **) &f->engine);
  g_free (f);
  return 0;
}

static void
run_pipe (Fixture *f, const char *pipe_id)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *event = g_strdup_printf ("finished %s", pipe_id);

  g_ptr_array_set_size (f->events, 0);
  assert_true (sluice_control_start (f->control, pipe_id, &error));
  assert_null (error);
  wait_for_event (f, event);
}

static void
assert_control_error (const GError *error, SluiceControlError code, const char *message)
{
  assert_non_null (error);
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, (gint) code));
  assert_string_equal (error->message, message);
}

static void
test_snapshot_before_and_after_a_run (void **state)
{
  Fixture *f = *state;
  g_autoptr (GPtrArray) ids = sluice_control_list_pipes (f->control);
  g_autoptr (SluicePipeSnapshot) before = NULL;
  g_autoptr (SluicePipeSnapshot) after = NULL;
  g_autoptr (GError) error = NULL;

  assert_int_equal (ids->len, 4);
  assert_string_equal (g_ptr_array_index (ids, 0), "raw");
  assert_string_equal (g_ptr_array_index (ids, 3), "never");

  before = sluice_control_get_pipe (f->control, "copy", &error);
  assert_non_null (before);
  assert_string_equal (before->state, "idle");
  assert_string_equal (before->mode, "manual");
  assert_true (before->enabled);
  assert_false (before->running);
  assert_false (before->durable);
  assert_false (before->public_read);
  assert_string_equal (before->source_type, "dataset");
  assert_string_equal (before->sink_type, "dataset");
  assert_string_equal (before->input_datasets[0], "raw");
  assert_null (before->input_datasets[1]);
  assert_string_equal (before->output_datasets[0], "copy");
  assert_null (before->since);
  assert_null (before->last_run);
  assert_int_equal (before->runs_started, 0);

  run_pipe (f, "raw");
  assert_true (has_event (f, "changed raw"));
  after = sluice_control_get_pipe (f->control, "raw", &error);
  assert_non_null (after);
  assert_string_equal (after->state, "idle");
  assert_string_equal (after->since, "25");
  assert_non_null (after->last_run);
  assert_int_equal (after->last_run->entities_read, 26);
  assert_int_equal (after->runs_started, 1);
  assert_int_equal (after->runs_succeeded, 1);
  assert_int_equal (after->runs_failed, 0);
  assert_int_equal (after->entities_read, 26);
  assert_int_equal (after->entities_written, 26);
  assert_int_equal (after->changes, 26);

  g_clear_pointer (&after, sluice_pipe_snapshot_free);
  after = sluice_control_get_pipe (f->control, "never", &error);
  assert_string_equal (after->state, "off");
  assert_true (sluice_control_get_pipe (f->control, "nope", &error) == NULL);
  assert_control_error (error, SLUICE_CONTROL_ERROR_NOT_FOUND, "there is no pipe 'nope'");
}

static void
test_operation_errors (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;

  assert_false (sluice_control_start (f->control, "nope", &error));
  assert_control_error (error, SLUICE_CONTROL_ERROR_NOT_FOUND, "there is no pipe 'nope'");
  assert_int_equal (sluice_http_error_status (error), 404);
  assert_string_equal (sluice_dbus_error_name (error),
                       "org.sluice.Sluice1.Error.NotFound");
  g_clear_error (&error);

  assert_false (sluice_control_start (f->control, "never", &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_OFF));
  assert_int_equal (sluice_http_error_status (error), 409);
  assert_string_equal (sluice_dbus_error_name (error), "org.sluice.Sluice1.Error.Off");
  g_clear_error (&error);

  assert_false (sluice_control_set_since (f->control, "copy", "{not json", FALSE, &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR,
                                SLUICE_CONTROL_ERROR_INVALID_ARGUMENT));
  assert_true (g_str_has_prefix (error->message, "pipe 'copy': the offset '{not json' is not JSON"));
  assert_int_equal (sluice_http_error_status (error), 400);
  g_clear_error (&error);

  /* JSON deeper than sluice's parsers take never reaches json-glib, which recurses per level:
   * 100,000 levels (what D-Bus and HTTP callers may send) used to overflow the stack. */
  {
    g_autoptr (GString) deep = g_string_new (NULL);

    for (guint i = 0; i < 100000; i++)
      g_string_append_c (deep, '[');
    for (guint i = 0; i < 100000; i++)
      g_string_append_c (deep, ']');
    assert_false (sluice_control_set_since (f->control, "copy", deep->str, FALSE, &error));
    assert_control_error (error, SLUICE_CONTROL_ERROR_INVALID_ARGUMENT,
                          "pipe 'copy': the offset: byte 512: nesting deeper than 512 levels");
    g_clear_error (&error);
  }

  assert_false (sluice_control_set_since_to_end (f->control, "raw", FALSE, &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_SUPPORTED));
  g_clear_error (&error);

  assert_null (sluice_control_preview (f->control, "copy", 0, &error));
  assert_control_error (error, SLUICE_CONTROL_ERROR_INVALID_ARGUMENT,
                        "pipe 'copy': a preview needs at least 1 entity");
  g_clear_error (&error);

  /* Other domains are internal failures. */
  g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "x");
  assert_int_equal (sluice_http_error_status (error), 500);
  assert_string_equal (sluice_dbus_error_name (error),
                       "org.sluice.Sluice1.Error.Failed");
}

static void
test_enable_disable_logged (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluicePipeSnapshot) s = NULL;
  g_autofree char *log_name = sluice_execution_log_dataset_name ("copy");
  g_autofree char *log = NULL;

  assert_true (sluice_control_set_enabled (f->control, "copy", FALSE, "maintenance", &error));
  assert_true (has_event (f, "changed copy"));
  s = sluice_control_get_pipe (f->control, "copy", &error);
  assert_false (s->enabled);
  assert_string_equal (s->state, "disabled");
  /* start works on a disabled pump (digest §3.6). */
  run_pipe (f, "raw");
  run_pipe (f, "copy");
  assert_true (sluice_control_set_enabled (f->control, "copy", TRUE, NULL, &error));

  log = engine_fixture_dump (f->engine, log_name, FALSE);
  assert_non_null (strstr (log, "\"event_type\":\"pump-disabled\""));
  assert_non_null (strstr (log, "\"comment\":\"maintenance\""));
  assert_non_null (strstr (log, "\"event_type\":\"pump-enabled\""));
}

static void
test_offsets_and_durable_guard (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluicePipeSnapshot) s = NULL;

  run_pipe (f, "raw");
  assert_true (sluice_control_set_since (f->control, "copy", "20", FALSE, &error));
  s = sluice_control_get_pipe (f->control, "copy", &error);
  assert_string_equal (s->since, "20");
  g_clear_pointer (&s, sluice_pipe_snapshot_free);
  run_pipe (f, "copy");
  s = sluice_control_get_pipe (f->control, "copy", &error);
  assert_int_equal (s->last_run->entities_read, 5);
  g_clear_pointer (&s, sluice_pipe_snapshot_free);

  assert_true (sluice_control_set_since (f->control, "copy", "", FALSE, &error));
  s = sluice_control_get_pipe (f->control, "copy", &error);
  assert_null (s->since);
  g_clear_pointer (&s, sluice_pipe_snapshot_free);

  /* A durable pipe's offset moves only with force. */
  assert_false (sluice_control_set_since (f->control, "keep", NULL, FALSE, &error));
  assert_control_error (error, SLUICE_CONTROL_ERROR_REFUSED,
                        "pipe 'keep' is durable (metadata.durable: true): resetting its offset "
                        "could make it read again, or skip, data its source cannot deliver "
                        "again; use force to do it anyway");
  g_clear_error (&error);
  assert_false (sluice_control_set_since_to_end (f->control, "keep", FALSE, &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_REFUSED));
  g_clear_error (&error);
  assert_true (sluice_control_set_since_to_end (f->control, "keep", TRUE, &error));
  s = sluice_control_get_pipe (f->control, "keep", &error);
  assert_true (s->durable);
  assert_string_equal (s->since, "25");
}

static char *
read_ids (Fixture *f, const SluiceDatasetQuery *query)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetStream) stream
    = sluice_control_read_dataset (f->control, "raw", query, &error);
  g_autoptr (GString) ids = g_string_new (NULL);
  SluiceEntity *entity;

  assert_non_null (stream);
  while ((entity = sluice_dataset_stream_next (stream, &error)) != NULL)
    {
      g_string_append_printf (ids, "%s%s@%" G_GINT64_FORMAT, ids->len > 0 ? " " : "",
                              sluice_entity_get_id (entity), sluice_entity_get_offset (entity));
      sluice_dataset_stream_pause (stream);
      sluice_entity_unref (entity);
    }
  assert_null (error);
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

/* Digest §12.1's session on a 26-entity dataset: since and limit. */
static void
test_dataset_reads (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetSnapshot) raw = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (SluiceEntity) entity = NULL;
  SluiceDatasetQuery query = SLUICE_DATASET_QUERY_INIT;
  g_autofree char *ids = NULL;

  assert_null (sluice_control_get_dataset (f->control, "raw", &error));
  assert_control_error (error, SLUICE_CONTROL_ERROR_NOT_FOUND, "there is no dataset 'raw'");
  g_clear_error (&error);

  run_pipe (f, "raw");
  raw = sluice_control_get_dataset (f->control, "raw", &error);
  assert_non_null (raw);
  assert_int_equal (raw->max_offset, 25);
  assert_int_equal (raw->entity_count, 26);
  assert_true (raw->populated);
  assert_false (raw->breaker_tripped);
  assert_string_equal (raw->writer, "raw");
  /* Whose a dataset is, whether it exists or not: its writer's, an execution log's pipe's. */
  assert_string_equal (sluice_control_lookup_dataset_pipe (f->control, "raw"), "raw");
  assert_string_equal (sluice_control_lookup_dataset_pipe (f->control,
                                                           "system:pump_execution:gone"),
                       "gone");
  assert_null (sluice_control_lookup_dataset_pipe (f->control, "nobody-writes-this"));
  all = sluice_control_list_datasets (f->control, &error);
  assert_non_null (all);
  assert_true (all->len >= 2); /* raw and its execution log */

  query.since = 21;
  ids = read_ids (f, &query);
  assert_string_equal (ids, "e22@22 e23@23 e24@24 e25@25");
  g_free (ids);
  query.since = 20;
  query.limit = 3;
  ids = read_ids (f, &query);
  assert_string_equal (ids, "e21@21 e22@22 e23@23");
  g_free (ids);
  query.since = 23;
  ids = read_ids (f, &query);
  assert_string_equal (ids, "e24@24 e25@25");

  entity = sluice_control_get_entity (f->control, "raw", "e3", -1, &error);
  assert_non_null (entity);
  assert_int_equal (sluice_entity_get_offset (entity), 3);
  g_clear_pointer (&entity, sluice_entity_unref);
  entity = sluice_control_get_entity (f->control, "raw", "e3", 4, &error);
  assert_null (entity);
  assert_control_error (error, SLUICE_CONTROL_ERROR_NOT_FOUND,
                        "dataset 'raw' has no version at offset 4 of entity 'e3'");
  g_clear_error (&error);
  assert_null (sluice_control_get_entity (f->control, "raw", "zz", -1, &error));
  assert_control_error (error, SLUICE_CONTROL_ERROR_NOT_FOUND, "dataset 'raw' has no entity 'zz'");
}

static void
test_delete_dataset (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluicePipeSnapshot) s = NULL;

  run_pipe (f, "raw");
  run_pipe (f, "keep");
  assert_false (sluice_control_delete_dataset (f->control, "nope", FALSE, &error));
  assert_control_error (error, SLUICE_CONTROL_ERROR_NOT_FOUND, "there is no dataset 'nope'");
  g_clear_error (&error);

  /* The durable pipe's dataset stays unless forced. */
  assert_false (sluice_control_delete_dataset (f->control, "keep", FALSE, &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_REFUSED));
  assert_non_null (strstr (error->message, "deleting the dataset it writes"));
  g_clear_error (&error);
  {
    g_autoptr (SluiceDatasetInfo) keep = engine_fixture_dataset_info (f->engine, "keep");

    assert_non_null (keep);
  }

  /* Deleting resets the writer's offset, so that its next run fills the dataset again. */
  assert_true (sluice_control_delete_dataset (f->control, "raw", FALSE, &error));
  assert_null (sluice_control_get_dataset (f->control, "raw", &error));
  g_clear_error (&error);
  s = sluice_control_get_pipe (f->control, "raw", &error);
  assert_null (s->since);
  run_pipe (f, "raw");
  g_clear_pointer (&s, sluice_pipe_snapshot_free);
  s = sluice_control_get_pipe (f->control, "raw", &error);
  assert_int_equal (s->last_run->run_type, SLUICE_RUN_TYPE_FULL);
  assert_int_equal (s->last_run->changes, 26);

  assert_true (sluice_control_delete_dataset (f->control, "keep", TRUE, &error));
}

static void
test_reload (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ids = NULL;
  g_autofree char *expanded = NULL;
  g_autofree char *bigger = NULL;

  /* An invalid configuration is refused and the running one stays. */
  write_config (f, "[{\"_id\": \"raw\", \"type\": \"pipe\", \"sorce\": {}}]");
  assert_false (sluice_control_reload (f->control, &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_INVALID_CONFIG));
  assert_non_null (strstr (error->message, "sorce"));
  assert_true (g_str_has_suffix (error->message, "; the running configuration stays"));
  assert_false (sluice_control_is_reloading (f->control));
  ids = sluice_control_list_pipes (f->control);
  assert_int_equal (ids->len, 4);
  g_clear_pointer (&ids, g_ptr_array_unref);
  g_clear_error (&error);

  /* A valid one replaces it once nothing runs. */
  run_pipe (f, "raw");
  bigger = g_strdup_printf ("%.*s, {\"_id\": \"extra\", \"type\": \"pipe\", "
                            "\"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"}, "
                            "\"pump\": {\"mode\": \"manual\"}}]",
                            (int) strlen (base_config) - 1, base_config);
  write_config (f, bigger);
  assert_true (sluice_control_reload (f->control, &error));
  assert_true (sluice_control_is_reloading (f->control));
  assert_false (sluice_control_reload (f->control, &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_BUSY));
  g_clear_error (&error);
  wait_for_event (f, "reloaded -");
  assert_false (sluice_control_is_reloading (f->control));
  ids = sluice_control_list_pipes (f->control);
  assert_int_equal (ids->len, 5);
  assert_string_equal (g_ptr_array_index (ids, 4), "extra");
  assert_true (has_event (f, "changed extra"));
  /* Counters survive a reload. */
  {
    g_autoptr (SluicePipeSnapshot) s = sluice_control_get_pipe (f->control, "raw", &error);

    assert_int_equal (s->runs_succeeded, 1);
  }
  run_pipe (f, "extra");
  expanded = sluice_control_dup_expanded_config (f->control);
  assert_non_null (strstr (expanded, "\"extra\""));
}

/* The api_tokens of the running configuration, as written, and those of the next one after a
 * reload. */
static void
test_api_tokens (void **state)
{
  Fixture *f = *state;
  g_autoptr (GPtrArray) none = sluice_control_dup_api_tokens (f->control);
  g_autoptr (GPtrArray) tokens = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *with_tokens = NULL;
  const SluiceApiToken *token;

  assert_int_equal (none->len, 0);
  with_tokens = g_strdup_printf ("%.*s, {\"_id\": \"node\", \"type\": \"metadata\", "
                                 "\"api_tokens\": [{\"name\": \"ops\", \"token\": \"s3cret-ops\", "
                                 "\"access\": \"admin\"}, {\"name\": \"reader\", "
                                 "\"token\": \"s3cret-reader\", \"access\": \"read\", "
                                 "\"pipes\": [\"raw\", \"copy\"]}]}]",
                                 (int) strlen (base_config) - 1, base_config);
  write_config (f, with_tokens);
  assert_true (sluice_control_reload (f->control, &error));
  /* The running configuration's, until the new one runs. */
  tokens = sluice_control_dup_api_tokens (f->control);
  assert_int_equal (tokens->len, 0);
  g_clear_pointer (&tokens, g_ptr_array_unref);
  wait_for_event (f, "reloaded -");

  tokens = sluice_control_dup_api_tokens (f->control);
  assert_int_equal (tokens->len, 2);
  token = g_ptr_array_index (tokens, 0);
  assert_string_equal (token->name, "ops");
  assert_string_equal (token->token, "s3cret-ops");
  assert_string_equal (token->access, "admin");
  assert_null (token->pipes);
  token = g_ptr_array_index (tokens, 1);
  assert_string_equal (token->name, "reader");
  assert_string_equal (token->access, "read");
  assert_int_equal (g_strv_length (token->pipes), 2);
  assert_string_equal (token->pipes[1], "copy");
}

static void
test_shutdown_refuses_operations (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;

  sluice_control_shutdown (f->control);
  assert_false (sluice_control_start (f->control, "raw", &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_SHUTTING_DOWN));
  assert_int_equal (sluice_http_error_status (error), 503);
  g_clear_error (&error);
  assert_false (sluice_control_reload (f->control, &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_SHUTTING_DOWN));
  wait_for_event (f, "stopped -");
  assert_true (sluice_control_is_stopped (f->control));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_snapshot_before_and_after_a_run, setup, teardown),
    cmocka_unit_test_setup_teardown (test_operation_errors, setup, teardown),
    cmocka_unit_test_setup_teardown (test_enable_disable_logged, setup, teardown),
    cmocka_unit_test_setup_teardown (test_offsets_and_durable_guard, setup, teardown),
    cmocka_unit_test_setup_teardown (test_dataset_reads, setup, teardown),
    cmocka_unit_test_setup_teardown (test_delete_dataset, setup, teardown),
    cmocka_unit_test_setup_teardown (test_reload, setup, teardown),
    cmocka_unit_test_setup_teardown (test_api_tokens, setup, teardown),
    cmocka_unit_test_setup_teardown (test_shutdown_refuses_operations, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
