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
#include "engine-fixture.h"
#include "sluice-engine.h"
#include "sluice-store.h"
#include "sluice-store-lmdb.h"

typedef EngineFixture Fixture;

static gboolean
is_populated (Fixture *f, const char *dataset)
{
  g_autoptr (SluiceDatasetInfo) info = engine_fixture_dataset_info (f, dataset);

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

  engine_fixture_build (f, json);
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
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_true (is_populated (f, "out"));
  build_embedded (f, AB, "");
  second = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (second->run_type, SLUICE_RUN_TYPE_FULL);
  assert_int_equal (second->changes, 1);
  log = engine_fixture_dump (f, "out", TRUE);
  assert_string_equal (log, "0 {\"_id\":\"a\",\"name\":\"A\"}\n"
                            "1 {\"_id\":\"b\",\"name\":\"B\"}\n"
                            "2 {\"_id\":\"c\",\"name\":\"C\"}\n"
                            "3 {\"_id\":\"c\",\"name\":\"C\",\"_deleted\":true}\n");
  /* Deleted entities are not deleted again. */
  third = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (third->changes, 0);
}

/* Deletion tracking over more than one block of the offset set (65,536 offsets): a full run of
 * 70,000 entities of which 11 changed and 3 are discarded deletes exactly those 3, keeping their
 * content, and the next full run changes nothing. */
static void
test_deletion_tracking_many (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL, second = NULL, third = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;
  g_autoptr (SluiceEntity) gone = NULL;
  g_autoptr (SluiceEntity) kept = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *gone_json = NULL;
  const int disappear[] = { 5, 66000, 69999 };

  engine_fixture_append (f, "people", 0, 70000, "v");
  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\","
                           " \"source\": {\"type\": \"dataset\", \"dataset\": \"people\"},"
                           " \"transform\": {\"type\": \"dtl\", \"rules\": {\"default\":"
                           "   [[\"discard\", [\"not\", [\"eq\", \"_S.value\", \"gone\"]]],"
                           "    [\"copy\", \"*\"]]}},"
                           " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}");
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_FULL, TRUE);
  assert_int_equal (first->changes, 70000);

  engine_fixture_append (f, "people", 10, 21, "w");
  for (size_t i = 0; i < G_N_ELEMENTS (disappear); i++)
    engine_fixture_append (f, "people", disappear[i], disappear[i] + 1, "gone");
  second = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_FULL, TRUE);
  assert_int_equal (second->changes, 11 + 3);
  info = engine_fixture_dataset_info (f, "out");
  assert_int_equal (info->entity_count, 70000 - 3);
  assert_int_equal (info->version_count, 70000 + 11 + 3);
  gone = sluice_store_dup_entity (f->store, "out", "e66000", NULL, &error);
  gone_json = sluice_value_to_json (sluice_entity_get_body (gone));
  assert_string_equal (gone_json, "{\"_id\":\"e66000\",\"n\":66000,\"value\":\"v\","
                                  "\"_deleted\":true}");
  kept = sluice_store_dup_entity (f->store, "out", "e65999", NULL, &error);
  assert_false (sluice_entity_is_deleted (kept));

  third = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_FULL, TRUE);
  assert_int_equal (third->changes, 0);
}

static void
test_mark_deletion_tracked (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL, second = NULL;
  g_autofree char *log = NULL;

  build_embedded (f, ABC, ", \"mark_deletion_tracked\": true");
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  build_embedded (f, AB, ", \"mark_deletion_tracked\": true");
  second = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  log = engine_fixture_dump (f, "out", FALSE);
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
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  build_embedded (f, AB, ", \"deletion_tracking\": false");
  second = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (second->changes, 0);
  info = engine_fixture_dataset_info (f, "out");
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
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  build_embedded (f, "[]", "");
  g_cancellable_cancel (cancellable);
  assert_false (sluice_pipe_run_sync (sluice_engine_lookup_pipe (f->engine, "p"),
                                      SLUICE_RUN_TYPE_FULL, cancellable, &stats, &error));
  assert_string_equal (error->message, "the run was stopped after 0 batches");
  sluice_run_stats_free (stats);
  info = engine_fixture_dataset_info (f, "out");
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

  engine_fixture_append (f, "raw", 0, 3, "v");
  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\","
            " \"source\": {\"type\": \"union_datasets\", \"datasets\": [\"raw\"],"
            "              \"prefix_ids\": false, \"if_source_empty\": \"fail\"},"
            " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}");
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\","
            " \"source\": {\"type\": \"union_datasets\", \"datasets\": [\"gone\"],"
            "              \"prefix_ids\": false, \"if_source_empty\": \"fail\"},"
            " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}");
  second = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_FULL, FALSE);
  assert_string_equal (second->error->message,
                       "/source (type 'union_datasets') produced no entities in a full run, and "
                       "if_source_empty is \"fail\": the run fails and deletes nothing");
  info = engine_fixture_dataset_info (f, "out");
  assert_int_equal (info->entity_count, 3);
  /* "accept" (the default) lets the empty full run delete everything. */
  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\","
            " \"source\": {\"type\": \"union_datasets\", \"datasets\": [\"gone\"]},"
            " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}");
  third = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_FULL, TRUE);
  g_clear_pointer (&info, sluice_dataset_info_free);
  info = engine_fixture_dataset_info (f, "out");
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
  engine_fixture_build (f, config);
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  append_person (f, 10);
  second = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (second->run_type, SLUICE_RUN_TYPE_INCREMENTAL);
  /* Filtered again while deleted already: nothing new. */
  append_person (f, 11);
  third = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  log = engine_fixture_dump (f, "out", TRUE);
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
  engine_fixture_build (f, config);
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  append_person (f, 10);
  second = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  log = engine_fixture_dump (f, "out", TRUE);
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
  engine_fixture_build (f, config);
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (first->entities_read, 1);
  assert_int_equal (first->entities_written, 0);
  latest = sluice_store_backend_dup_latest (f->store, "out", "x", 1, NULL, &error);
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

  engine_fixture_append (f, "raw", 0, 300, "v");
  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": 100, \"checkpoint_interval\": 1,"
            " \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"},"
            " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}");
  first = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  /* out now holds e300 too, which raw never had: a full run must delete it. */
  engine_fixture_append (f, "out", 300, 301, "v");
  /* The full run fails in its third batch (a sink that fails on purpose). */
  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": 100, \"checkpoint_interval\": 1,"
            " \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"},"
            " \"sink\": {\"type\": \"test-fail-sink\", \"dataset\": \"out2\", \"fail_at_batch\": 3}}");
  failed = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_FULL, FALSE);
  assert_int_equal (failed->batches_committed, 2);
  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": 100, \"checkpoint_interval\": 1,"
            " \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"},"
            " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}");
  resumed = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (resumed->run_type, SLUICE_RUN_TYPE_FULL);
  assert_string_equal (resumed->since_before, "199");
  assert_int_equal (resumed->entities_read, 100);
  info = engine_fixture_dataset_info (f, "out");
  assert_int_equal (info->entity_count, 301);
  full = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_FULL, TRUE);
  info2 = engine_fixture_dataset_info (f, "out");
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

  engine_fixture_append (f, "raw", 0, 3, "v");
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

      engine_fixture_build (f, json);
      stats = engine_fixture_run (f, id, SLUICE_RUN_TYPE_AUTO, TRUE);
      /* raw was written directly, so it is not populated: if-source-populated waits. */
      assert_int_equal (is_populated (f, out), cases[i][1][0] == '1');
    }
}

static void
test_set_initial_offset_onload (void **state)
{
  Fixture *f = *state;

  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\","
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

  engine_fixture_build (f, config);
  refused = engine_fixture_run (f, "down", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_string_equal (refused->error->message,
                       "/source (type 'dataset'): input dataset 'mid' does not exist yet, and "
                       "require_populated_input is true: the pipe does not run until it is "
                       "populated");
  engine_fixture_append (f, "mid", 0, 1, "v");
  refused2 = engine_fixture_run (f, "down", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_string_equal (refused2->error->message,
                       "/source (type 'dataset'): input dataset 'mid' is not populated yet, and "
                       "require_populated_input is true: the pipe does not run until it is "
                       "populated");
  upstream = engine_fixture_run (f, "up", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_true (is_populated (f, "mid"));
  ok = engine_fixture_run (f, "down", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_true (is_populated (f, "end"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_full_run_deletion_tracking, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_deletion_tracking_many, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_mark_deletion_tracked, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_deletion_tracking_false, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_stopped_full_run_deletes_nothing, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_if_source_empty_fail, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_filtered_incremental_delete, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_discard_keeps_entity, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_filtered_dropped_for_other_sinks, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_resumed_full_run_deletes_nothing, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_set_initial_offset, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_set_initial_offset_onload, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_require_populated_input, engine_fixture_setup, engine_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
