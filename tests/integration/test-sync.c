/* test-sync.c — synchronization semantics of pipes with a dataset sink, in-process: deletion
 * tracking at the end of full runs (digest Appendix B14), `_filtered` deletes in incremental runs
 * (B13), if_source_empty, failed and resumed full runs that delete nothing, the populated flag with
 * set_initial_offset, and require_populated_input (digest §2.2, §5).
 *
 * Plugins come from the build tree: sluice-basic.so, sluice-dataset.so, sluice-dtl.so and the test
 * plugin sluice-engine-test.so (test-sequence source, test-fail-sink). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "sluice-config-loader.h"
#include "sluice-engine.h"
#include "sluice-store.h"
#include "store/sluice-store-lmdb.h"

typedef struct
{
  char *dir;
  SluiceRegistry *registry;
  SluiceStoreBackend *store;
  SluiceEngine *engine;
} Fixture;

static void
load_plugin (SluiceRegistry *registry, const char *relative)
{
  g_autofree char *path = g_build_filename (g_getenv ("SLUICE_TEST_BUILDDIR"), relative, NULL);
  g_autoptr (GError) error = NULL;

  if (!sluice_registry_load_file (registry, path, &error))
    fail_msg ("%s", error->message);
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("sluice-sync-XXXXXX", &error);
  assert_non_null (f->dir);
  f->registry = sluice_registry_new ();
  load_plugin (f->registry, "plugins/sluice-basic.so");
  load_plugin (f->registry, "plugins/sluice-dataset.so");
  load_plugin (f->registry, "tests/plugins/engine/sluice-engine-test.so");
  load_plugin (f->registry, "plugins/sluice-dtl.so");
  data = g_build_filename (f->dir, "data", NULL);
  f->store = sluice_store_lmdb_open (data, NULL, &error);
  assert_non_null (f->store);
  *state = f;
  return 0;
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  g_clear_object (&f->engine);
  sluice_store_backend_free (f->store);
  g_object_unref (f->registry);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

/* Builds the engine from @json (a configuration file's text); FALSE with @error on problems,
 * which are also formatted into @ret_problems when given. */
static gboolean
try_build (Fixture *f, const char *json, char **ret_problems, GError **error)
{
  g_autofree char *path = g_build_filename (f->dir, "config.json", NULL);
  const char *paths[] = { path, NULL };
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (SluiceConfig) config = NULL;

  g_clear_object (&f->engine);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  config = sluice_config_load (f->registry, paths, NULL, NULL, diagnostics, error);
  if (config != NULL)
    f->engine = sluice_engine_new (f->registry, config, f->store, diagnostics, error);
  if (ret_problems != NULL)
    *ret_problems = sluice_config_diagnostics_format (diagnostics);
  return f->engine != NULL;
}

static void
build (Fixture *f, const char *json)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *problems = NULL;

  if (!try_build (f, json, &problems, &error))
    fail_msg ("%s%s", problems, error->message);
}

static SluiceRunStats *
run (Fixture *f, const char *pipe_id, SluiceRunType run_type, gboolean expect_success)
{
  SluicePipe *pipe = sluice_engine_lookup_pipe (f->engine, pipe_id);
  g_autoptr (GError) error = NULL;
  SluiceRunStats *stats = NULL;
  gboolean ok;

  assert_non_null (pipe);
  ok = sluice_pipe_run_sync (pipe, run_type, NULL, &stats, &error);
  if (expect_success && !ok)
    fail_msg ("pipe '%s' failed: %s", pipe_id, error->message);
  assert_int_equal (ok, expect_success);
  assert_non_null (stats);
  return stats;
}

static SluiceDatasetInfo *
dataset_info (Fixture *f, const char *dataset)
{
  g_autoptr (GError) error = NULL;
  SluiceDatasetInfo *info = sluice_store_backend_get_dataset_info (f->store, dataset, &error);

  if (info == NULL)
    fail_msg ("%s", error->message);
  return info;
}

/* Every version of @dataset (or only the latest ones) as JSON lines without `_ts`. */
static char *
dump (Fixture *f, const char *dataset, gboolean history)
{
  SluiceStoreQuery query = { .dataset = dataset, .since = -1, .history = history, .deleted = TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (f->store, &query, &error);
  GString *out = g_string_new (NULL);
  SluiceEntity *entity;

  assert_non_null (cursor);
  while ((entity = sluice_store_cursor_next_entity (cursor, dataset, &error)) != NULL)
    {
      g_autofree char *body = sluice_value_to_json (sluice_entity_get_body (entity));

      g_string_append_printf (out, "%" G_GINT64_FORMAT " %s\n", sluice_entity_get_offset (entity),
                              body);
      sluice_entity_unref (entity);
    }
  assert_null (error);
  return g_string_free (out, FALSE);
}

/* Appends entities {_id, n, value} to @dataset directly, as another pipe would. */
static void
append (Fixture *f, const char *dataset, int from, int to, const char *value)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();
  SluiceStoreTxn *txn = sluice_store_backend_begin (f->store, &error);
  g_autoptr (SluiceDatasetInfo) info = NULL;

  for (int i = from; i < to; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"_id\": \"e%d\", \"n\": %d, \"value\": \"%s\"}",
                                               i, i, value);
      g_autoptr (SluiceValue) body = sluice_value_from_json (json, -1, NULL);

      sluice_batch_take (batch, sluice_entity_new (body, NULL));
    }
  assert_non_null (txn);
  info = sluice_store_txn_create_dataset (txn, dataset, TRUE, &error);
  assert_non_null (info);
  assert_true (sluice_store_txn_append_batch (txn, dataset, batch, 0, NULL, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
}


static gboolean
is_populated (Fixture *f, const char *dataset)
{
  g_autoptr (SluiceDatasetInfo) info = dataset_info (f, dataset);

  return info->populated;
}

/* A pipe "p": embedded @entities (JSON list text) into dataset "out", with @sink_extra options. */
static void
build_embedded (Fixture *f, const char *entities, const char *sink_extra)
{
  g_autofree char *json = g_strdup_printf (
    "{\"_id\": \"p\", \"type\": \"pipe\","
    " \"source\": {\"type\": \"embedded\", \"entities\": %s},"
    " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"%s}}",
    entities, sink_extra);

  build (f, json);
}

#define ABC "[{\"_id\": \"a\", \"name\": \"A\"}, {\"_id\": \"b\", \"name\": \"B\"}, " \
            "{\"_id\": \"c\", \"name\": \"C\"}]"
#define AB "[{\"_id\": \"a\", \"name\": \"A\"}, {\"_id\": \"b\", \"name\": \"B\"}]"

/* B14: a full run that no longer emits c deletes it, keeping its content. */
static void
test_full_run_deletion_tracking (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL, second = NULL, third = NULL;
  g_autofree char *log = NULL;

  build_embedded (f, ABC, "");
  first = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_true (is_populated (f, "out"));
  build_embedded (f, AB, "");
  second = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (second->run_type, SLUICE_RUN_TYPE_FULL);
  assert_int_equal (second->changes, 1);
  log = dump (f, "out", TRUE);
  assert_string_equal (log, "0 {\"_id\":\"a\",\"name\":\"A\"}\n"
                            "1 {\"_id\":\"b\",\"name\":\"B\"}\n"
                            "2 {\"_id\":\"c\",\"name\":\"C\"}\n"
                            "3 {\"_id\":\"c\",\"name\":\"C\",\"_deleted\":true}\n");
  /* Deleted entities are not deleted again. */
  third = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (third->changes, 0);
}

static void
test_mark_deletion_tracked (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL, second = NULL;
  g_autofree char *log = NULL;

  build_embedded (f, ABC, ", \"mark_deletion_tracked\": true");
  first = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  build_embedded (f, AB, ", \"mark_deletion_tracked\": true");
  second = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  log = dump (f, "out", FALSE);
  assert_string_equal (log, "0 {\"_id\":\"a\",\"name\":\"A\"}\n"
                            "1 {\"_id\":\"b\",\"name\":\"B\"}\n"
                            "3 {\"_id\":\"c\",\"name\":\"C\",\"_deleted\":true,"
                            "\"$deletion_tracked\":true}\n");
}

static void
test_deletion_tracking_false (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL, second = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;

  build_embedded (f, ABC, ", \"deletion_tracking\": false");
  first = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  build_embedded (f, AB, ", \"deletion_tracking\": false");
  second = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (second->changes, 0);
  info = dataset_info (f, "out");
  assert_int_equal (info->entity_count, 3);
}

/* A full run that fails or is stopped deletes nothing. */
static void
test_stopped_full_run_deletes_nothing (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;
  SluiceRunStats *stats = NULL;

  build_embedded (f, ABC, "");
  first = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  build_embedded (f, "[]", "");
  g_cancellable_cancel (cancellable);
  assert_false (sluice_pipe_run_sync (sluice_engine_lookup_pipe (f->engine, "p"),
                                      SLUICE_RUN_TYPE_FULL, cancellable, &stats, &error));
  assert_string_equal (error->message, "the run was stopped after 0 batches");
  sluice_run_stats_free (stats);
  info = dataset_info (f, "out");
  assert_int_equal (info->entity_count, 3);
  assert_int_equal (info->next_offset, 3);
}

/* B14: if_source_empty "fail", checked by the engine for a source that has the option but does not
 * check it itself: the run fails and nothing is deleted. */
static void
test_if_source_empty_fail (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL, second = NULL, third = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;

  append (f, "raw", 0, 3, "v");
  build (f, "{\"_id\": \"p\", \"type\": \"pipe\","
            " \"source\": {\"type\": \"union_datasets\", \"datasets\": [\"raw\"],"
            "              \"prefix_ids\": false, \"if_source_empty\": \"fail\"},"
            " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}");
  first = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  build (f, "{\"_id\": \"p\", \"type\": \"pipe\","
            " \"source\": {\"type\": \"union_datasets\", \"datasets\": [\"gone\"],"
            "              \"prefix_ids\": false, \"if_source_empty\": \"fail\"},"
            " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}");
  second = run (f, "p", SLUICE_RUN_TYPE_FULL, FALSE);
  assert_string_equal (second->error->message,
                       "/source (type 'union_datasets') produced no entities in a full run, and "
                       "if_source_empty is \"fail\": the run fails and deletes nothing");
  info = dataset_info (f, "out");
  assert_int_equal (info->entity_count, 3);
  /* "accept" (the default) lets the empty full run delete everything. */
  build (f, "{\"_id\": \"p\", \"type\": \"pipe\","
            " \"source\": {\"type\": \"union_datasets\", \"datasets\": [\"gone\"]},"
            " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}");
  third = run (f, "p", SLUICE_RUN_TYPE_FULL, TRUE);
  g_clear_pointer (&info, sluice_dataset_info_free);
  info = dataset_info (f, "out");
  assert_int_equal (info->entity_count, 0);
}

static const char filter_config[]
  = "{\"_id\": \"p\", \"type\": \"pipe\","
    " \"source\": {\"type\": \"dataset\", \"dataset\": \"people\"},"
    " \"transform\": {\"type\": \"dtl\", \"rules\": {\"default\":"
    "   [[\"%s\", [\"gt\", \"_S.age\", 42]], [\"copy\", \"*\"]]}},"
    " \"sink\": {\"type\": \"%s\", \"dataset\": \"out\"}}";

static void
append_person (Fixture *f, int age)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();
  g_autofree char *json = g_strdup_printf ("{\"_id\": \"x\", \"age\": %d}", age);
  g_autoptr (SluiceValue) body = sluice_value_from_json (json, -1, NULL);
  g_autoptr (SluiceStoreTxn) txn = sluice_store_backend_begin (f->store, &error);
  g_autoptr (SluiceDatasetInfo) info = NULL;

  sluice_batch_take (batch, sluice_entity_new (body, NULL));
  info = sluice_store_txn_create_dataset (txn, "people", TRUE, &error);
  assert_non_null (info);
  assert_true (sluice_store_txn_append_batch (txn, "people", batch, 0, NULL, &error));
  assert_true (sluice_store_txn_commit (g_steal_pointer (&txn), 0, &error));
}

/* B13: x stops passing the filter; the incremental run deletes it from the sink.  Filtered ids
 * that are not live are dropped. */
static void
test_filtered_incremental_delete (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL, second = NULL, third = NULL;
  g_autofree char *config = g_strdup_printf (filter_config, "filter", "dataset");
  g_autofree char *log = NULL;

  append_person (f, 50);
  build (f, config);
  first = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  append_person (f, 10);
  second = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (second->run_type, SLUICE_RUN_TYPE_INCREMENTAL);
  /* Filtered again while deleted already: nothing new. */
  append_person (f, 11);
  third = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  log = dump (f, "out", TRUE);
  assert_string_equal (log, "0 {\"_id\":\"x\",\"age\":50}\n"
                            "1 {\"_id\":\"x\",\"_deleted\":true}\n");
}

/* B13 with `discard`: nothing is appended and x stays live. */
static void
test_discard_keeps_entity (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL, second = NULL;
  g_autofree char *config = g_strdup_printf (filter_config, "discard", "dataset");
  g_autofree char *log = NULL;

  append_person (f, 50);
  build (f, config);
  first = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  append_person (f, 10);
  second = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  log = dump (f, "out", TRUE);
  assert_string_equal (log, "0 {\"_id\":\"x\",\"age\":50}\n");
}

/* A sink that does not declare SLUICE_ELEMENT_FLAG_ACCEPTS_FILTERED never sees filtered
 * entities: the test-fail-sink would store x as a live entity. */
static void
test_filtered_dropped_for_other_sinks (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL;
  g_autofree char *config = g_strdup_printf (filter_config, "filter", "test-fail-sink");
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreOwnedVersion) latest = NULL;

  append_person (f, 10);
  build (f, config);
  first = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (first->entities_read, 1);
  assert_int_equal (first->entities_written, 0);
  latest = sluice_store_backend_get_latest (f->store, "out", "x", 1, &error);
  assert_null (latest);
}

/* A full run resumed from a checkpoint does not know what its first attempt saw: it completes
 * (and populates) but deletes nothing.  The next full run deletion-tracks again. */
static void
test_resumed_full_run_deletes_nothing (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL, failed = NULL, resumed = NULL, full = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL, info2 = NULL;

  append (f, "raw", 0, 300, "v");
  build (f, "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": 100, \"checkpoint_interval\": 1,"
            " \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"},"
            " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}");
  first = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  /* out now holds e300 too, which raw never had: a full run must delete it. */
  append (f, "out", 300, 301, "v");
  /* The full run fails in its third batch (a sink that fails on purpose). */
  build (f, "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": 100, \"checkpoint_interval\": 1,"
            " \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"},"
            " \"sink\": {\"type\": \"test-fail-sink\", \"dataset\": \"out2\", \"fail_at_batch\": 3}}");
  failed = run (f, "p", SLUICE_RUN_TYPE_FULL, FALSE);
  assert_int_equal (failed->batches_committed, 2);
  build (f, "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": 100, \"checkpoint_interval\": 1,"
            " \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"},"
            " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}");
  resumed = run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (resumed->run_type, SLUICE_RUN_TYPE_FULL);
  assert_string_equal (resumed->since_before, "199");
  assert_int_equal (resumed->entities_read, 100);
  info = dataset_info (f, "out");
  assert_int_equal (info->entity_count, 301);
  full = run (f, "p", SLUICE_RUN_TYPE_FULL, TRUE);
  info2 = dataset_info (f, "out");
  assert_int_equal (info2->entity_count, 300);
}

/* digest §2.2: set_initial_offset. */
static void
test_set_initial_offset (void **state)
{
  Fixture *f = *state;
  static const char *const cases[][2] = {
    { "never", "0" }, { "always", "1" }, { "initially", "1" }, { "if-source-populated", "0" },
  };

  append (f, "raw", 0, 3, "v");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf (
        "{\"_id\": \"p%u\", \"type\": \"pipe\","
        " \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"},"
        " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out%u\", \"set_initial_offset\": \"%s\"}}",
        i, i, cases[i][0]);
      g_autofree char *id = g_strdup_printf ("p%u", i);
      g_autofree char *out = g_strdup_printf ("out%u", i);
      g_autoptr (SluiceRunStats) stats = NULL;

      build (f, json);
      stats = run (f, id, SLUICE_RUN_TYPE_AUTO, TRUE);
      /* raw was written directly, so it is not populated: if-source-populated waits. */
      assert_int_equal (is_populated (f, out), cases[i][1][0] == '1');
    }
}

static void
test_set_initial_offset_onload (void **state)
{
  Fixture *f = *state;

  build (f, "{\"_id\": \"p\", \"type\": \"pipe\","
            " \"source\": {\"type\": \"embedded\", \"entities\": []},"
            " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\", \"set_initial_offset\": \"onload\"}}");
  assert_true (is_populated (f, "out"));
}

/* The populated flag propagates down a chain; require_populated_input holds a pipe back until its
 * input is populated. */
static void
test_require_populated_input (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) refused = NULL, refused2 = NULL, upstream = NULL, ok = NULL;
  static const char config[]
    = "[{\"_id\": \"up\", \"type\": \"pipe\","
      "  \"source\": {\"type\": \"embedded\", \"entities\": [{\"_id\": \"a\"}]},"
      "  \"sink\": {\"type\": \"dataset\", \"dataset\": \"mid\"}},"
      " {\"_id\": \"down\", \"type\": \"pipe\","
      "  \"source\": {\"type\": \"dataset\", \"dataset\": \"mid\", \"require_populated_input\": true},"
      "  \"sink\": {\"type\": \"dataset\", \"dataset\": \"end\"}}]";

  build (f, config);
  refused = run (f, "down", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_string_equal (refused->error->message,
                       "/source (type 'dataset'): input dataset 'mid' does not exist yet, and "
                       "require_populated_input is true: the pipe does not run until it is "
                       "populated");
  append (f, "mid", 0, 1, "v");
  refused2 = run (f, "down", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_string_equal (refused2->error->message,
                       "/source (type 'dataset'): input dataset 'mid' is not populated yet, and "
                       "require_populated_input is true: the pipe does not run until it is "
                       "populated");
  upstream = run (f, "up", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_true (is_populated (f, "mid"));
  ok = run (f, "down", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_true (is_populated (f, "end"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_full_run_deletion_tracking, setup, teardown),
    cmocka_unit_test_setup_teardown (test_mark_deletion_tracked, setup, teardown),
    cmocka_unit_test_setup_teardown (test_deletion_tracking_false, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stopped_full_run_deletes_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_if_source_empty_fail, setup, teardown),
    cmocka_unit_test_setup_teardown (test_filtered_incremental_delete, setup, teardown),
    cmocka_unit_test_setup_teardown (test_discard_keeps_entity, setup, teardown),
    cmocka_unit_test_setup_teardown (test_filtered_dropped_for_other_sinks, setup, teardown),
    cmocka_unit_test_setup_teardown (test_resumed_full_run_deletes_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_set_initial_offset, setup, teardown),
    cmocka_unit_test_setup_teardown (test_set_initial_offset_onload, setup, teardown),
    cmocka_unit_test_setup_teardown (test_require_populated_input, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
