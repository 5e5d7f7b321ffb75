/* test-sink-recovery.c — sinks whose output lives outside the store, after a failed run: the next
 * run leaves exactly what an uninterrupted run would have.
 *
 * In-process engine, real plugins: a test-flaky-source (numbered entities e0, e1, …, whose read
 * number N fails on demand) feeds the `file` sink, or the `json` sink pushing to an in-process
 * HTTP server on 127.0.0.1 that records every request.  A run fails in its middle (a source
 * failure, or a full file system simulated with RLIMIT_FSIZE), then the pipe runs again without
 * the fault:
 *  - file sink, full run: the resumed run continues the temporary file from the last checkpoint,
 *    and the published file holds every entity once (it was left as it was during the failure);
 *  - file sink, incremental JSON lines run: no entity of the failed run goes missing;
 *  - json sink, full run: a JSON push sequence cannot be continued, so the next run pushes a new
 *    full sequence from the first entity, and a receiver's deletion detection at `is_last` would
 *    delete nothing. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "../unit/http-test-server.h"
#include "engine-fixture.h"

static int
setup (void **state)
{
  EngineFixture *f;

  engine_fixture_setup (state);
  f = *state;
  engine_fixture_load_plugin (f->registry, "plugins/sluice-file.so");
  engine_fixture_load_plugin (f->registry, "plugins/sluice-http.so");
  engine_fixture_load_plugin (f->registry, "tests/plugins/engine/sluice-retry-test.so");
  return 0;
}

/* A pipe "share": @count flaky entities (read number @fail_at fails; 0: none) in batches of 100,
 * checkpointed every 2 batches, into @sink (JSON). */
static void
build (EngineFixture *f, int count, int fail_at, const char *value, const char *sink)
{
  g_autofree char *json = g_strdup_printf (
    "{\"_id\": \"share\", \"type\": \"pipe\", \"batch_size\": 100, \"checkpoint_interval\": 2,"
    " \"source\": {\"type\": \"test-flaky-source\", \"count\": %d, \"fail_at_read\": %d,"
    "             \"fail_flow\": \"error\", \"value\": \"%s\"},"
    " \"sink\": %s}",
    count, fail_at, value, sink);

  engine_fixture_build (f, json);
}

static char *
file_sink (EngineFixture *f, const char *name)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);

  return g_strdup_printf ("{\"type\": \"file\", \"path\": \"%s\"}", path);
}

/* The `n` of every entity in the JSON lines file @name, in order, as "0 1 2 …". */
static char *
numbers_in (EngineFixture *f, const char *name)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  GString *out = g_string_new (NULL);

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    fail_msg ("'%s' does not exist", path);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (SluiceValue) body = NULL;

      if (*lines[i] == '\0')
        continue;
      body = sluice_value_from_json (lines[i], -1, NULL);
      assert_non_null (body);
      g_string_append_printf (out, "%s%" G_GINT64_FORMAT, out->len > 0 ? " " : "",
                              sluice_value_get_integer (sluice_value_dict_lookup (body, "n")));
    }
  return g_string_free (out, FALSE);
}

/* "0 1 … @to - 1" */
static char *
numbers (int to)
{
  GString *out = g_string_new (NULL);

  for (int i = 0; i < to; i++)
    g_string_append_printf (out, "%s%d", i > 0 ? " " : "", i);
  return g_string_free (out, FALSE);
}

static void
run_and_free (EngineFixture *f, SluiceRunType run_type, gboolean expect_success)
{
  sluice_run_stats_free (engine_fixture_run (f, "share", run_type, expect_success));
}

static void
test_file_full_run_fails (void **state)
{
  EngineFixture *f = *state;
  g_autofree char *sink = file_sink (f, "out.jsonl");
  g_autofree char *first = numbers (500), *all = numbers (1000);
  g_autofree char *after_failure = NULL, *after_rerun = NULL;
  SluiceRunStats *stats;

  build (f, 500, 0, "v", sink);
  run_and_free (f, SLUICE_RUN_TYPE_FULL, TRUE);

  /* A full run over 1,000 fails in its 6th read, after checkpoints at batches 2 and 4; the
   * published file is still that of the last successful run. */
  build (f, 1000, 6, "v", sink);
  run_and_free (f, SLUICE_RUN_TYPE_FULL, FALSE);
  after_failure = numbers_in (f, "out.jsonl");
  assert_string_equal (after_failure, first);

  /* The next run resumes the full run from the checkpoint after entity 399. */
  build (f, 1000, 0, "v", sink);
  stats = engine_fixture_run (f, "share", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (stats->run_type, SLUICE_RUN_TYPE_FULL);
  assert_string_equal (stats->since_before, "399");
  assert_int_equal (stats->entities_read, 600);
  sluice_run_stats_free (stats);
  after_rerun = numbers_in (f, "out.jsonl");
  assert_string_equal (after_rerun, all);
}

static void
test_file_incremental_run_fails (void **state)
{
  EngineFixture *f = *state;
  g_autofree char *sink = file_sink (f, "out.jsonl");
  g_autofree char *all = numbers (1000);
  g_autofree char *after_failure = NULL, *after_rerun = NULL;

  build (f, 500, 0, "v", sink);
  run_and_free (f, SLUICE_RUN_TYPE_FULL, TRUE);

  /* An incremental run appends e500 … and fails in its 4th read, after a checkpoint at batch 2;
   * it cuts the file back to that checkpoint. */
  build (f, 1000, 4, "v", sink);
  run_and_free (f, SLUICE_RUN_TYPE_AUTO, FALSE);
  after_failure = numbers_in (f, "out.jsonl");
  {
    g_autofree char *checkpointed = numbers (700);

    assert_string_equal (after_failure, checkpointed);
  }

  build (f, 1000, 0, "v", sink);
  run_and_free (f, SLUICE_RUN_TYPE_AUTO, TRUE);
  after_rerun = numbers_in (f, "out.jsonl");
  assert_string_equal (after_rerun, all);
}

/* A full file system: writes past @limit bytes fail (EFBIG), as they would with ENOSPC. */
static void
limit_file_size (rlim_t limit)
{
  struct rlimit rl;

  assert_int_equal (getrlimit (RLIMIT_FSIZE, &rl), 0);
  rl.rlim_cur = MIN (limit, rl.rlim_max);
  assert_int_equal (setrlimit (RLIMIT_FSIZE, &rl), 0);
}

static void
test_file_system_full (void **state)
{
  EngineFixture *f = *state;
  g_autofree char *sink = file_sink (f, "big.jsonl");
  g_autofree char *all = numbers (1000);
  g_autofree char *after_rerun = NULL;
  g_autofree char *pad = g_strnfill (2000, 'x');
  g_autoptr (GError) error = NULL;
  SluiceRunStats *stats;
  struct rlimit original;

  /* Entities of about 2 KB: the file outgrows the limit in the 6th batch, while the store (pipe
   * state and execution log only) stays far below it. */
  signal (SIGXFSZ, SIG_IGN);
  assert_int_equal (getrlimit (RLIMIT_FSIZE, &original), 0);
  build (f, 1000, 0, pad, sink);
  limit_file_size (1100 * 1024);
  stats = engine_fixture_run (f, "share", SLUICE_RUN_TYPE_FULL, FALSE);
  assert_non_null (strstr (stats->error->message, "File too large"));
  sluice_run_stats_free (stats);

  /* Space is back: the next run finishes the full run. */
  assert_int_equal (setrlimit (RLIMIT_FSIZE, &original), 0);
  run_and_free (f, SLUICE_RUN_TYPE_AUTO, TRUE);
  after_rerun = numbers_in (f, "big.jsonl");
  assert_string_equal (after_rerun, all);
  signal (SIGXFSZ, SIG_DFL);
}

/* The JSON push receiver: answers {} to every POST; the server records the requests. */
static void
receiver (HttpTestServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
          gpointer user_data)
{
  http_test_reply (msg, 200, "application/json", "{}");
}

static const char *
query_value (GHashTable *query, const char *key)
{
  return query != NULL ? g_hash_table_lookup (query, key) : NULL;
}

static void
test_json_sink_full_run_fails (void **state)
{
  EngineFixture *f = *state;
  g_autoptr (HttpTestServer) server = http_test_server_new ();
  g_autofree char *sink = NULL, *system = NULL, *json = NULL;
  g_autofree char *first_sequence = NULL, *last_sequence = NULL;
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_requests, first_of_last = 0;
  gboolean saw_first = FALSE, saw_last = FALSE;

  http_test_server_add_handler (server, "/push", receiver, NULL);
  http_test_server_start (server);
  system = g_strdup_printf ("{\"_id\": \"receiver\", \"type\": \"system:url\", "
                            "\"url_pattern\": \"%s%%s\"}",
                            http_test_server_get_url (server));
  sink = g_strdup ("{\"type\": \"json\", \"system\": \"receiver\", \"url\": \"push\"}");

  /* The full run fails in its 4th read: 3 batches were pushed in the first sequence. */
  json = g_strdup_printf (
    "[%s, {\"_id\": \"share\", \"type\": \"pipe\", \"batch_size\": 100, \"checkpoint_interval\": 1,"
    " \"source\": {\"type\": \"test-flaky-source\", \"count\": 500, \"fail_at_read\": 4,"
    "             \"fail_flow\": \"error\"}, \"sink\": %s}]",
    system, sink);
  engine_fixture_build (f, json);
  run_and_free (f, SLUICE_RUN_TYPE_FULL, FALSE);
  g_free (json);
  json = g_strdup_printf (
    "[%s, {\"_id\": \"share\", \"type\": \"pipe\", \"batch_size\": 100, \"checkpoint_interval\": 1,"
    " \"source\": {\"type\": \"test-flaky-source\", \"count\": 500}, \"sink\": %s}]",
    system, sink);
  engine_fixture_build (f, json);
  run_and_free (f, SLUICE_RUN_TYPE_AUTO, TRUE);

  /* The second run's sequence is a new full one, from e0 to e499, ended by is_last. */
  n_requests = http_test_server_count_requests (server);
  for (guint i = 0; i < n_requests; i++)
    {
      g_autoptr (HttpTestRequest) request = http_test_server_dup_request (server, i);
      g_autoptr (GHashTable) query
        = request->query != NULL ? g_uri_parse_params (request->query, -1, "&", G_URI_PARAMS_NONE,
                                                       NULL)
                                 : NULL;
      const char *sequence = query_value (query, "sequence_id");

      assert_non_null (sequence);
      if (first_sequence == NULL)
        first_sequence = g_strdup (sequence);
      if (g_strcmp0 (sequence, last_sequence) != 0)
        {
          g_free (last_sequence);
          last_sequence = g_strdup (sequence);
          first_of_last = i;
        }
    }
  assert_string_not_equal (first_sequence, last_sequence);
  for (guint i = 0; i < n_requests; i++)
    {
      g_autoptr (HttpTestRequest) request = http_test_server_dup_request (server, i);
      g_autoptr (GHashTable) query = g_uri_parse_params (request->query, -1, "&",
                                                         G_URI_PARAMS_NONE, NULL);
      g_autoptr (SluiceValue) body = sluice_value_from_json (request->body, -1, NULL);

      assert_non_null (body);
      if (i < first_of_last)
        {
          /* The failed sequence never ended, so a receiver ran no deletion detection. */
          assert_null (query_value (query, "is_last"));
          continue;
        }
      assert_string_equal (query_value (query, "is_full"), "true");
      if (i == first_of_last)
        saw_first = g_strcmp0 (query_value (query, "is_first"), "true") == 0;
      if (i == n_requests - 1)
        saw_last = g_strcmp0 (query_value (query, "is_last"), "true") == 0;
      for (size_t k = 0; k < sluice_value_list_get_length (body); k++)
        {
          SluiceValue *id = sluice_value_dict_lookup (sluice_value_list_get (body, k), "_id");

          g_hash_table_add (ids, g_strdup (sluice_value_get_string (id, NULL)));
        }
    }
  assert_true (saw_first);
  assert_true (saw_last);
  assert_int_equal (g_hash_table_size (ids), 500);
  assert_true (g_hash_table_contains (ids, "e0"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_file_full_run_fails, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_file_incremental_run_fails, setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_file_system_full, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_json_sink_full_run_fails, setup,
                                     engine_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
