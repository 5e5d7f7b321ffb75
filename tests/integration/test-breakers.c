/* test-breakers.c — circuit breakers on dataset sinks, in-process (digest §6, Appendix B7/B8,
 * docs/decisions/0006): the sporadic-empty-response scenario (a source that returns everything,
 * then 10 %, then nothing, in full runs with deletion tracking), what downstream pipes see, the
 * pipe refusing to run while tripped, rollback to exactly the state before the run, commit, DTL
 * `trip!`, the limits, and a run killed while it held its dataset.
 *
 * Plugins come from the build tree (engine-fixture.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine-fixture.h"
#include "sluice-breaker.h"
#include "sluice-clock.h"
#include "sluice-control.h"
#include "sluice-engine.h"
#include "sluice-store.h"

typedef EngineFixture Fixture;

/* The entities {_id: "e<i>", n: i, v: @value} for i in [0, @n), as a JSON list. */
static char *
entities (int n, int changed, const char *value)
{
  GString *out = g_string_new ("[");

  for (int i = 0; i < n; i++)
    g_string_append_printf (out, "%s{\"_id\": \"e%03d\", \"n\": %d, \"v\": \"%s\"}",
                            i > 0 ? ", " : "", i, i, i < changed ? value : "v0");
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

/* Pipe "crm": embedded entities into dataset "crm" with @sink_extra; pipe "down": dataset "crm"
 * into dataset "down". */
static void
build (Fixture *f, const char *list, const char *source_extra, const char *sink_extra,
       const char *transform)
{
  g_autofree char *json
      = g_strdup_printf ("[{\"_id\": \"crm\", \"type\": \"pipe\", \"batch_size\": 10,"
                         "  \"source\": {\"type\": \"embedded\", \"entities\": %s%s},%s"
                         "  \"sink\": {\"type\": \"dataset\", \"dataset\": \"crm\"%s}},"
                         " {\"_id\": \"down\", \"type\": \"pipe\","
                         "  \"source\": {\"type\": \"dataset\", \"dataset\": \"crm\"},"
                         "  \"sink\": {\"type\": \"dataset\", \"dataset\": \"down\"}}]",
                         list, source_extra, transform != NULL ? transform : "", sink_extra);

  engine_fixture_build (f, json);
}

#define FACTOR ", \"circuit_breaker_threshold_factor\": 0.5"

/* Everything a reader can observe of a dataset, uncommitted versions included: each version with
 * its offset, _previous, _ts, _deleted, hash and body, then the info. */
static char *
observe (Fixture *f, const char *dataset)
{
  SluiceStoreQuery query = { .dataset = dataset,
                             .since = SLUICE_STORE_NO_OFFSET,
                             .history = TRUE,
                             .deleted = TRUE,
                             .view = &(SluiceStoreView){ .uncommitted = TRUE } };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (f->store, &query, &error);
  g_autoptr (SluiceDatasetInfo) info = engine_fixture_dataset_info (f, dataset);
  GString *out = g_string_new (NULL);
  const SluiceStoreVersion *v;

  assert_non_null (cursor);
  while ((v = sluice_store_cursor_next (cursor, &error)) != NULL)
    {
      g_autoptr (SluiceEntity) entity = sluice_store_entity_from_version (v, dataset, &error);
      g_autofree char *body = sluice_value_to_json (sluice_entity_get_body (entity));
      g_autofree char *hash = g_base64_encode (v->record.hash, SLUICE_STORE_HASH_SIZE);

      g_string_append_printf (
          out, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %d %s %s\n",
          v->offset, v->previous, v->ts, v->record.deleted, hash, body);
    }
  assert_null (error);
  g_string_append_printf (out,
                          "info %s %s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GUINT64_FORMAT
                          " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %d\n",
                          info->name, info->generation, info->created, info->next_offset,
                          info->entity_count, info->id_count, info->version_count, info->populated);
  return g_string_free (out, FALSE);
}

static char *
since_of (Fixture *f, const char *pipe)
{
  g_auto (SluicePipeState) state = { 0 };

  sluice_store_backend_get_pipe_state (f->store, pipe, &state, NULL);
  return g_strdup_printf ("%s %" G_GINT64_FORMAT, state.since != NULL ? state.since : "(none)",
                          state.full_run_started);
}

static gboolean
is_tripped (Fixture *f, const char *dataset, char **ret_message)
{
  g_auto (SluiceBreakerState) state = { 0 };

  if (!sluice_store_backend_get_breaker (f->store, dataset, &state, NULL) || !state.tripped)
    return FALSE;
  if (ret_message != NULL)
    *ret_message = g_steal_pointer (&state.message);
  return TRUE;
}

static void
resolve (Fixture *f, const char *dataset, gboolean rollback)
{
  g_autoptr (GError) error = NULL;

  assert_true (sluice_breaker_resolve (f->store, dataset, rollback, NULL, &error));
  assert_null (error);
}

/* The latest version of each event of a pipe's execution log, as dumped. */
static char *
execution_log (Fixture *f, const char *pipe)
{
  g_autofree char *dataset = g_strdup_printf ("system:pump_execution:%s", pipe);

  return engine_fixture_dump (f, dataset, FALSE);
}

static guint64
count_lines (const char *text)
{
  guint64 n = 0;

  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

/* The scenario: everything, then 10 %, then nothing, with a breaker (factor 0.5). */
static void
test_sporadic_empty_response (void **state)
{
  Fixture *f = *state;
  g_autofree char *all = entities (100, 0, "v0");
  g_autofree char *tenth = entities (10, 0, "v0");
  g_autofree char *before = NULL, *since_before = NULL, *down_before = NULL;
  g_autofree char *after = NULL, *since_after = NULL, *down_after = NULL;
  g_autofree char *message = NULL, *committed = NULL, *log = NULL;
  g_autoptr (SluiceRunStats) s1 = NULL, s2 = NULL, s3 = NULL, s4 = NULL, s5 = NULL, s6 = NULL;
  g_autoptr (SluiceRunStats) s7 = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  SluiceStoreView all_versions = { .uncommitted = TRUE };

  /* The first full load cannot trip: the dataset is not populated yet. */
  build (f, all, "", FACTOR, NULL);
  s1 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s1->changes, 100);
  s2 = engine_fixture_run (f, "down", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s2->changes, 100);
  before = observe (f, "crm");
  since_before = since_of (f, "crm");
  down_before = observe (f, "down");

  /* 10 %: deletion tracking would delete 90, more than 0.5 × 100. */
  build (f, tenth, "", FACTOR, NULL);
  s3 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_true (g_error_matches (s3->error, SLUICE_ERROR, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP));
  assert_string_equal (s3->error->message,
                       "/sink (type 'dataset') at the end of the run: the circuit breaker of "
                       "dataset 'crm' tripped: the run wrote 90 entities into dataset 'crm', more "
                       "than its limit of 50 (circuit_breaker_threshold_factor 0.5 × 100 ids); "
                       "what the run wrote stays uncommitted until an operator commits or rolls "
                       "it back");
  assert_true (is_tripped (f, "crm", &message));
  assert_string_equal (message, "the run wrote 90 entities into dataset 'crm', more than its "
                                "limit of 50 (circuit_breaker_threshold_factor 0.5 × 100 ids)");
  log = execution_log (f, "crm");
  assert_non_null (strstr (log, "\"original_error_message\":\"/sink (type 'dataset') at the end "
                                "of the run: the circuit breaker of dataset 'crm' tripped"));

  /* The deletes are stored, uncommitted: readers and the downstream pipe do not see them. */
  info = engine_fixture_dataset_info (f, "crm");
  assert_int_equal (info->next_offset, 100);
  assert_int_equal (info->entity_count, 100);
  g_clear_pointer (&info, sluice_dataset_info_free);
  info = sluice_store_backend_dup_dataset_info (f->store, "crm", &all_versions, &error);
  assert_int_equal (info->next_offset, 190);
  assert_int_equal (info->entity_count, 10);
  committed = engine_fixture_dump (f, "crm", TRUE);
  assert_int_equal (count_lines (committed), 100);
  s4 = engine_fixture_run (f, "down", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s4->entities_read, 0);
  down_after = observe (f, "down");
  assert_string_equal (down_after, down_before);

  /* The pipe refuses to run until an operator acts. */
  s5 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_true (g_error_matches (s5->error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED));
  assert_non_null (strstr (s5->error->message, "the circuit breaker of sink dataset 'crm' is "
                                               "tripped (run "));
  assert_non_null (strstr (s5->error->message,
                           ": the run wrote 90 entities into dataset 'crm', more than its limit "
                           "of 50 (circuit_breaker_threshold_factor 0.5 × 100 ids)): the pipe "
                           "does not run until an operator commits or rolls back what that run "
                           "wrote (sluicectl breaker commit|rollback crm, or POST "
                           "/api/datasets/crm with operation=commit-circuit-breaker or "
                           "rollback-circuit-breaker)"));

  /* Rollback: the dataset and the writer's offset are exactly as before the run. */
  resolve (f, "crm", TRUE);
  assert_false (is_tripped (f, "crm", NULL));
  after = observe (f, "crm");
  assert_string_equal (after, before);
  since_after = since_of (f, "crm");
  assert_string_equal (since_after, since_before);
  g_clear_pointer (&log, g_free);
  log = execution_log (f, "crm");
  assert_non_null (strstr (log, "\"event_type\":\"circuit-breaker-rollback\""));
  assert_non_null (strstr (log, "\"versions\":90"));

  /* Nothing: 100 deletes trip it again; rolled back again, still identical. */
  build (f, "[]", "", FACTOR, NULL);
  s6 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_non_null (strstr (s6->error->message, "the run wrote 100 entities into dataset 'crm'"));
  resolve (f, "crm", TRUE);
  g_clear_pointer (&after, g_free);
  after = observe (f, "crm");
  assert_string_equal (after, before);

  /* The source is back: nothing to write, nothing trips. */
  build (f, all, "", FACTOR, NULL);
  s7 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s7->changes, 0);
}

/* Without a breaker, if_source_empty "fail" keeps the empty response from deleting anything. */
static void
test_if_source_empty_without_breaker (void **state)
{
  Fixture *f = *state;
  g_autofree char *all = entities (100, 0, "v0");
  g_autofree char *before = NULL, *after = NULL;
  g_autoptr (SluiceRunStats) s1 = NULL, s2 = NULL;

  build (f, all, ", \"if_source_empty\": \"fail\"", "", NULL);
  s1 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  before = observe (f, "crm");
  build (f, "[]", ", \"if_source_empty\": \"fail\"", "", NULL);
  s2 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_string_equal (s2->error->message,
                       "/source (type 'embedded') produced no entities in a full run, and "
                       "if_source_empty is \"fail\": the run fails and deletes nothing");
  after = observe (f, "crm");
  assert_string_equal (after, before);
  assert_false (is_tripped (f, "crm", NULL));
}

/* A trip in the middle of the run: the batches before it and the one that went over stay
 * uncommitted; commit makes them visible, and the downstream pipe picks them up. */
static void
test_trip_in_batch_then_commit (void **state)
{
  Fixture *f = *state;
  g_autofree char *all = entities (100, 0, "v0");
  g_autofree char *changed = entities (100, 70, "v1");
  g_autofree char *log = NULL, *latest = NULL;
  g_autoptr (SluiceRunStats) s1 = NULL, s2 = NULL, s3 = NULL, s4 = NULL, s5 = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;

  build (f, all, "", FACTOR, NULL);
  s1 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  s2 = engine_fixture_run (f, "down", SLUICE_RUN_TYPE_AUTO, TRUE);

  build (f, changed, "", FACTOR, NULL);
  s3 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_true (g_error_matches (s3->error, SLUICE_ERROR, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP));
  assert_string_equal (s3->error->message,
                       "/sink (type 'dataset') in batch 6: the circuit breaker of dataset 'crm' "
                       "tripped: the run wrote 60 entities into dataset 'crm', more than its "
                       "limit of 50 (circuit_breaker_threshold_factor 0.5 × 100 ids); what the "
                       "run wrote stays uncommitted until an operator commits or rolls it back");
  assert_int_equal (s3->batches_committed, 6);
  info = engine_fixture_dataset_info (f, "crm");
  assert_int_equal (info->next_offset, 100);

  resolve (f, "crm", FALSE);
  g_clear_pointer (&info, sluice_dataset_info_free);
  info = engine_fixture_dataset_info (f, "crm");
  assert_int_equal (info->next_offset, 160);
  log = execution_log (f, "crm");
  assert_non_null (strstr (log, "\"event_type\":\"circuit-breaker-commit\""));
  s4 = engine_fixture_run (f, "down", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s4->changes, 60);

  /* The pipe runs again; the rest of the change is within the limit. */
  s5 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s5->changes, 10);
  latest = engine_fixture_dump (f, "crm", FALSE);
  assert_non_null (strstr (latest, "\"_id\":\"e069\",\"n\":69,\"v\":\"v1\""));
}

/* B7: factor 0.5 with 100 ids lets a run write 50, not 51.  B8: factor 0.1 and count 100 with
 * 200 ids: the limit is max (20, 100) = 100. */
static void
test_limits (void **state)
{
  Fixture *f = *state;
  g_autofree char *all = entities (100, 0, "v0");
  g_autofree char *fifty = entities (100, 50, "v1");
  g_autofree char *fifty_one = entities (100, 51, "v2");
  g_autoptr (SluiceRunStats) s1 = NULL, s2 = NULL, s3 = NULL;
  SluiceBreakerLimits b8 = { 0.1, 100 };

  assert_int_equal (sluice_breaker_limit (&b8, 200), 100);
  assert_int_equal (sluice_breaker_limit (&(SluiceBreakerLimits){ 0.5, 0 }, 101), 50);
  assert_int_equal (sluice_breaker_limit (&(SluiceBreakerLimits){ 0, 0 }, 5), G_MAXUINT64);

  build (f, all, "", FACTOR, NULL);
  s1 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  build (f, fifty, "", FACTOR, NULL);
  s2 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s2->changes, 50);
  build (f, fifty_one, "", FACTOR, NULL);
  s3 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_true (is_tripped (f, "crm", NULL));
}

static void
test_limits_both (void **state)
{
  Fixture *f = *state;
  g_autofree char *two_hundred = entities (200, 0, "v0");
  g_autofree char *hundred = entities (200, 100, "v1");
  g_autofree char *hundred_one = entities (200, 101, "v2");
  g_autoptr (SluiceRunStats) s4 = NULL, s5 = NULL, s6 = NULL;
  g_autofree char *message = NULL;

  build (f, two_hundred, "",
         ", \"circuit_breaker_threshold_factor\": 0.1, \"circuit_breaker_threshold_count\": 100",
         NULL);
  s4 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  build (f, hundred, "",
         ", \"circuit_breaker_threshold_factor\": 0.1, \"circuit_breaker_threshold_count\": 100",
         NULL);
  s5 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s5->changes, 100);
  build (f, hundred_one, "",
         ", \"circuit_breaker_threshold_factor\": 0.1, \"circuit_breaker_threshold_count\": 100",
         NULL);
  s6 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_true (is_tripped (f, "crm", &message));
  assert_string_equal (message, "the run wrote 101 entities into dataset 'crm', more than its "
                                "limit of 100 (the larger of circuit_breaker_threshold_factor "
                                "0.1 × 200 ids and circuit_breaker_threshold_count 100)");
}

/* The options are checked where the configuration is. */
static void
test_bad_options (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *problems = NULL, *problems2 = NULL;
  g_autoptr (GError) error2 = NULL;

  assert_false (engine_fixture_try_build (
      f,
      "{\"_id\": \"p\", \"type\": \"pipe\", \"source\": {\"type\": \"empty\"},"
      " \"sink\": {\"type\": \"dataset\", \"circuit_breaker_threshold_factor\": 0}}",
      &problems, &error));
  assert_non_null (strstr (problems, "/sink/circuit_breaker_threshold_factor"));
  assert_non_null (strstr (problems, "0 is not a usable factor: expected a number > 0"));
  assert_false (engine_fixture_try_build (
      f,
      "{\"_id\": \"p\", \"type\": \"pipe\", \"source\": {\"type\": \"empty\"},"
      " \"sink\": {\"type\": \"dataset\", \"circuit_breaker_threshold_count\": 0}}",
      &problems2, &error2));
  assert_non_null (strstr (problems2, "/sink/circuit_breaker_threshold_count"));
  assert_non_null (strstr (problems2, "0 is not a usable count: expected an integer ≥ 1"));
}

#define TRIP_RULES                                                                                 \
  " \"transform\": {\"type\": \"dtl\", \"rules\": {\"default\": [[\"copy\", \"*\"],"               \
  " [\"if\", [\"eq\", \"_S.n\", 42], [\"trip!\", \"entity 42 looks wrong\"]]]}},"

/* DTL trip! trips the sink dataset's breaker without any threshold; the message is in the
 * execution log; the pipe refuses to run until the breaker is committed. */
static void
test_trip_function (void **state)
{
  Fixture *f = *state;
  g_autofree char *all = entities (100, 0, "v0");
  g_autofree char *message = NULL, *log = NULL;
  g_autoptr (SluiceRunStats) s1 = NULL, s2 = NULL, s3 = NULL, s4 = NULL;

  build (f, all, "", "", NULL);
  s1 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  build (f, all, "", "", TRIP_RULES);
  s2 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_true (g_error_matches (s2->error, SLUICE_ERROR, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP));
  assert_non_null (strstr (s2->error->message, "/transform (type 'dtl') failed in batch 5: "));
  assert_non_null (strstr (s2->error->message, "entity 42 looks wrong"));
  assert_true (is_tripped (f, "crm", &message));
  assert_non_null (strstr (message, "entity 42 looks wrong"));
  log = execution_log (f, "crm");
  assert_non_null (strstr (log, "\"event_type\":\"pump-failed\""));
  assert_non_null (strstr (log, "entity 42 looks wrong"));
  s3 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_non_null (strstr (s3->error->message, "the circuit breaker of sink dataset 'crm' is "
                                               "tripped"));
  resolve (f, "crm", FALSE);
  build (f, all, "", "", NULL);
  s4 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
}

/* trip! into a sink that is not a dataset: the run fails with the message, nothing trips. */
static void
test_trip_function_other_sink (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autoptr (GPtrArray) datasets = NULL;

  engine_fixture_build (f,
                        "{\"_id\": \"p\", \"type\": \"pipe\","
                        " \"source\": {\"type\": \"embedded\", \"entities\": [{\"_id\": \"a\"}]},"
                        " \"transform\": {\"type\": \"dtl\", \"rules\": {\"default\":"
                        " [[\"trip!\", \"no\"]]}},"
                        " \"sink\": {\"type\": \"null\"}}");
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_non_null (strstr (stats->error->message, "/transform (type 'dtl') failed in batch 1"));
  assert_false (g_error_matches (stats->error, SLUICE_ERROR, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP));
  datasets = sluice_store_backend_list_datasets (f->store, NULL);
  for (guint i = 0; i < datasets->len; i++)
    {
      SluiceDatasetInfo *info = g_ptr_array_index (datasets, i);

      assert_false (is_tripped (f, info->name, NULL));
    }
}

/* A run killed while it held its dataset (its breaker armed, not tripped) left versions above
 * the watermark: the next run of the pipe commits them, as a failed run's, and runs. */
static void
test_killed_run_leftover (void **state)
{
  Fixture *f = *state;
  g_autofree char *all = entities (100, 0, "v0");
  g_autofree char *changed = entities (100, 5, "v1");
  g_autoptr (SluiceRunStats) s1 = NULL, s2 = NULL;
  g_autoptr (SluiceBreakerRun) killed = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;
  const char *datasets[] = { "crm", NULL };
  SluiceBreakerLimits limits = { 0.5, 0 };
  g_autofree char *log = NULL;

  build (f, all, "", FACTOR, NULL);
  s1 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  killed = sluice_breaker_run_begin (f->store, "crm", "killed-run", datasets, &limits, NULL, 0,
                                     &error);
  assert_non_null (killed);
  assert_true (sluice_breaker_run_is_armed (killed));
  engine_fixture_append (f, "crm", 0, 3, "held");
  info = engine_fixture_dataset_info (f, "crm");
  assert_int_equal (info->next_offset, 100);

  build (f, changed, "", FACTOR, NULL);
  s2 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  g_clear_pointer (&info, sluice_dataset_info_free);
  info = engine_fixture_dataset_info (f, "crm");
  /* 3 held versions committed, then the run: 5 changed, 3 new ones deleted by deletion tracking. */
  assert_int_equal (info->next_offset, 111);
  log = execution_log (f, "crm");
  assert_non_null (strstr (log, "\"reason\":\"the run that held the dataset did not finish"));
}

/* A writer with an offset (a dataset source): the tripped incremental run moved it batch by
 * batch; rollback puts it back where it was before the run, so the next run reads the same
 * changes again (and trips again); commit keeps it, so nothing is read twice. */
static void
test_rollback_restores_offset (void **state)
{
  Fixture *f = *state;
  static const char config[] = "{\"_id\": \"crm\", \"type\": \"pipe\", \"batch_size\": 10,"
                               " \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"},"
                               " \"sink\": {\"type\": \"dataset\", \"dataset\": \"crm\","
                               "           \"set_initial_offset\": \"always\"" FACTOR "}}";
  g_autoptr (SluiceRunStats) s1 = NULL, s2 = NULL, s3 = NULL, s4 = NULL;
  g_autofree char *since_before = NULL, *since_tripped = NULL, *since_after = NULL;
  g_autofree char *before = NULL, *after = NULL, *since_committed = NULL;

  engine_fixture_append (f, "raw", 0, 100, "a");
  engine_fixture_build (f, config);
  s1 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  since_before = since_of (f, "crm");
  assert_string_equal (since_before, "99 0");
  before = observe (f, "crm");

  engine_fixture_append (f, "raw", 0, 60, "b");
  s2 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_int_equal (s2->run_type, SLUICE_RUN_TYPE_INCREMENTAL);
  since_tripped = since_of (f, "crm");
  assert_string_equal (since_tripped, "159 0");

  resolve (f, "crm", TRUE);
  since_after = since_of (f, "crm");
  assert_string_equal (since_after, since_before);
  after = observe (f, "crm");
  assert_string_equal (after, before);

  s3 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_true (g_error_matches (s3->error, SLUICE_ERROR, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP));
  resolve (f, "crm", FALSE);
  since_committed = since_of (f, "crm");
  assert_string_equal (since_committed, "159 0");
  s4 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s4->entities_read, 0);
}

static void
on_stopped (SluiceControl *control, gpointer user_data)
{
  *(gboolean *)user_data = TRUE;
}

/* The control API (what HTTP, D-Bus and sluicectl call): the tripped state in the snapshots, the
 * refused start, commit and rollback with their errors. */
static void
test_control (void **state)
{
  Fixture *f = *state;
  g_autofree char *all = entities (100, 0, "v0");
  g_autofree char *tenth = entities (10, 0, "v0");
  g_autofree char *config = NULL, *path = NULL, *message = NULL, *before = NULL, *after = NULL;
  g_autoptr (SluiceRunStats) s1 = NULL, s2 = NULL;
  g_autoptr (SluiceClock) clock
      = sluice_clock_new_manual (G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC);
  g_autoptr (SluiceControl) control = NULL;
  g_autoptr (SluicePipeSnapshot) pipe = NULL;
  g_autoptr (SluiceDatasetSnapshot) dataset = NULL;
  g_autoptr (GError) error = NULL;
  const char *paths[2] = { NULL, NULL };
  SluiceControlSettings settings
      = { .registry = f->registry, .config_paths = paths, .store = f->store, .clock = clock };
  gboolean stopped = FALSE;

  build (f, all, "", FACTOR, NULL);
  s1 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, TRUE);
  before = observe (f, "crm");
  build (f, tenth, "", FACTOR, NULL);
  s2 = engine_fixture_run (f, "crm", SLUICE_RUN_TYPE_AUTO, FALSE);

  config = g_strdup_printf ("{\"_id\": \"crm\", \"type\": \"pipe\", \"pump\": {\"mode\": "
                            "\"manual\"}, \"source\": {\"type\": \"embedded\", \"entities\": %s},"
                            " \"sink\": {\"type\": \"dataset\", \"dataset\": \"crm\"" FACTOR "}}",
                            tenth);
  path = g_build_filename (f->dir, "breakers.json", NULL);
  assert_true (g_file_set_contents (path, config, -1, NULL));
  paths[0] = path;
  control = sluice_control_new (&settings, NULL, &error);
  assert_non_null (control);
  g_signal_connect (control, "stopped", G_CALLBACK (on_stopped), &stopped);

  assert_true (sluice_control_dataset_is_tripped (control, "crm", &message));
  assert_non_null (strstr (message, "the run wrote 90 entities into dataset 'crm'"));
  pipe = sluice_control_get_pipe (control, "crm", &error);
  assert_true (pipe->breaker_tripped);
  assert_string_equal (pipe->state, "tripped");
  dataset = sluice_control_get_dataset (control, "crm", &error);
  assert_true (dataset->breaker_tripped);
  assert_int_equal (dataset->max_offset, 99);
  assert_false (sluice_control_start (control, "crm", &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_REFUSED));
  g_clear_error (&error);

  assert_false (sluice_control_breaker_commit (control, "nope", &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND));
  assert_string_equal (error->message, "there is no dataset 'nope'");
  g_clear_error (&error);
  assert_false (sluice_control_breaker_rollback (control, "system:pump_execution:crm", &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND));
  assert_string_equal (error->message,
                       "dataset 'system:pump_execution:crm' has no tripped circuit breaker");
  g_clear_error (&error);

  assert_true (sluice_control_breaker_rollback (control, "crm", &error));
  assert_null (error);
  assert_false (sluice_control_dataset_is_tripped (control, "crm", NULL));
  after = observe (f, "crm");
  assert_string_equal (after, before);
  assert_false (sluice_control_breaker_rollback (control, "crm", &error));
  assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND));
  assert_string_equal (error->message, "dataset 'crm' has no tripped circuit breaker");

  sluice_control_shutdown (control);
  while (!stopped)
    g_main_context_iteration (NULL, TRUE);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_sporadic_empty_response, engine_fixture_setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_if_source_empty_without_breaker, engine_fixture_setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_trip_in_batch_then_commit, engine_fixture_setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_limits, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_limits_both, engine_fixture_setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_bad_options, engine_fixture_setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_trip_function, engine_fixture_setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_trip_function_other_sink, engine_fixture_setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_killed_run_leftover, engine_fixture_setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_rollback_restores_offset, engine_fixture_setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_control, engine_fixture_setup, engine_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
