/* test-engine.c — pipes running in-process: chains of pipes with full then incremental runs, the
 * offsets after each run, continuation strategies (digest Appendix B11), a failure in the third
 * batch, the execution log, signals, and element errors reported as configuration errors.
 *
 * Plugins come from the build tree: sluice-basic.so, sluice-dataset.so and the test plugin
 * sluice-engine-test.so (test-sequence source, test-fail-sink). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "sluice-config-loader.h"
#include "engine-fixture.h"
#include "sluice-engine.h"
#include "sluice-execution-log.h"
#include "sluice-store.h"
#include "sluice-store-lmdb.h"

typedef EngineFixture Fixture;

static char *
dup_since (Fixture *f, const char *pipe_id)
{
  g_autoptr (GError) error = NULL;
  char *since = NULL;

  assert_true (sluice_pipe_dup_since (sluice_engine_lookup_pipe (f->engine, pipe_id), &since,
                                      &error));
  return since;
}

static void
assert_since (Fixture *f, const char *pipe_id, const char *expected)
{
  g_autofree char *since = dup_since (f, pipe_id);

  if (expected == NULL)
    assert_null (since);
  else
    assert_string_equal (since, expected);
}

static const char chain_config[]
  = "["
    "{\"_id\": \"copy\", \"type\": \"pipe\", \"batch_size\": 100,"
    " \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"}},"
    "{\"_id\": \"raw\", \"type\": \"pipe\", \"batch_size\": 100,"
    " \"source\": {\"type\": \"test-sequence\", \"count\": 250}},"
    "{\"_id\": \"copy2\", \"type\": \"pipe\", \"batch_size\": 7,"
    " \"source\": {\"type\": \"dataset\", \"dataset\": \"copy\"},"
    " \"sink\": {\"type\": \"dataset\", \"dataset\": \"final\"}}"
    "]";

/* A chain raw → copy → copy2: a full run of each, then incremental runs that see only what
 * changed, with the exact offsets after every run. */
static void
test_chain_full_then_incremental (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) s1 = NULL, s2 = NULL, s3 = NULL, s4 = NULL, s5 = NULL, s6 = NULL;
  g_autoptr (SluiceDatasetInfo) raw = NULL, copy = NULL, final = NULL;
  g_autofree char *raw_dump = NULL, *copy_dump = NULL;

  engine_fixture_build (f, chain_config);
  assert_since (f, "raw", NULL);

  s1 = engine_fixture_run (f, "raw", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s1->run_type, SLUICE_RUN_TYPE_FULL);
  assert_int_equal (s1->entities_read, 250);
  assert_int_equal (s1->entities_written, 250);
  assert_int_equal (s1->changes, 250);
  assert_int_equal (s1->batches_committed, 3);
  assert_null (s1->since_before);
  assert_string_equal (s1->since_after, "249");
  assert_since (f, "raw", "249");

  s2 = engine_fixture_run (f, "copy", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s2->run_type, SLUICE_RUN_TYPE_FULL);
  assert_int_equal (s2->entities_read, 250);
  assert_int_equal (s2->changes, 250);
  assert_since (f, "copy", "249"); /* the offset of the last version of `raw` */
  s3 = engine_fixture_run (f, "copy2", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s3->batches_committed, 36); /* 250 / 7 rounded up */
  assert_since (f, "copy2", "249");

  raw = engine_fixture_dataset_info (f, "raw");
  copy = engine_fixture_dataset_info (f, "copy");
  final = engine_fixture_dataset_info (f, "final");
  assert_int_equal (copy->entity_count, 250);
  assert_int_equal (final->version_count, 250);
  assert_true (raw->populated);
  assert_true (copy->populated);
  raw_dump = engine_fixture_dump (f, "raw", TRUE);
  copy_dump = engine_fixture_dump (f, "copy", TRUE);
  assert_string_equal (raw_dump, copy_dump);

  /* New and changed entities upstream: the incremental run reads only those. */
  engine_fixture_append (f, "raw", 245, 260, "w"); /* 5 changed, 10 new: offsets 250..264 */
  s4 = engine_fixture_run (f, "copy", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s4->run_type, SLUICE_RUN_TYPE_INCREMENTAL);
  assert_string_equal (s4->since_before, "249");
  assert_int_equal (s4->entities_read, 15);
  assert_int_equal (s4->changes, 15);
  assert_string_equal (s4->since_after, "264");
  assert_since (f, "copy", "264");

  /* Nothing new: an incremental run that reads nothing keeps the offset. */
  s5 = engine_fixture_run (f, "copy", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (s5->entities_read, 0);
  assert_int_equal (s5->batches_committed, 0);
  assert_since (f, "copy", "264");

  /* A full run on demand rereads everything; change tracking appends nothing. */
  s6 = engine_fixture_run (f, "copy", SLUICE_RUN_TYPE_FULL, TRUE);
  assert_int_equal (s6->run_type, SLUICE_RUN_TYPE_FULL);
  assert_int_equal (s6->entities_read, 260);
  assert_int_equal (s6->changes, 0);
  assert_since (f, "copy", "264");
}

/* Digest Appendix B11, every row: the strategy, the offset after a run over entities emitted in
 * decreasing `_updated` order (4, 3, 2, 1, 0), and the type of the next run. */
static void
test_continuation_strategies (void **state)
{
  Fixture *f = *state;
  static const struct
  {
    gboolean supports_since, comparable, chronological;
    SluiceContinuation strategy;
    const char *since;
  } rows[] = {
    { FALSE, FALSE, FALSE, SLUICE_CONTINUATION_NONE, NULL },
    { FALSE, FALSE, TRUE, SLUICE_CONTINUATION_NONE, NULL },
    { FALSE, TRUE, FALSE, SLUICE_CONTINUATION_NONE, NULL },
    { FALSE, TRUE, TRUE, SLUICE_CONTINUATION_NONE, NULL },
    { TRUE, FALSE, FALSE, SLUICE_CONTINUATION_NONE, NULL },
    { TRUE, FALSE, TRUE, SLUICE_CONTINUATION_CHRONOLOGICAL, "0" },
    { TRUE, TRUE, FALSE, SLUICE_CONTINUATION_MAX, "4" },
    { TRUE, TRUE, TRUE, SLUICE_CONTINUATION_CHRONOLOGICAL, "0" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *json = g_strdup_printf (
        "{\"_id\": \"p%u\", \"type\": \"pipe\", \"batch_size\": 2,"
        " \"source\": {\"type\": \"test-sequence\", \"count\": 5, \"reverse\": true,"
        " \"supports_since\": %s, \"is_since_comparable\": %s, \"is_chronological\": %s}}",
        i, rows[i].supports_since ? "true" : "false", rows[i].comparable ? "true" : "false",
        rows[i].chronological ? "true" : "false");
      g_autofree char *pipe_id = g_strdup_printf ("p%u", i);
      g_autoptr (SluiceRunStats) first = NULL, second = NULL;
      uint32_t caps = (rows[i].supports_since ? SLUICE_SOURCE_SUPPORTS_SINCE : 0)
                      | (rows[i].comparable ? SLUICE_SOURCE_IS_SINCE_COMPARABLE : 0)
                      | (rows[i].chronological ? SLUICE_SOURCE_IS_CHRONOLOGICAL : 0);

      assert_int_equal (sluice_continuation_from_capabilities (caps), rows[i].strategy);
      engine_fixture_build (f, json);
      assert_int_equal (sluice_pipe_get_continuation (sluice_engine_lookup_pipe (f->engine, pipe_id)),
                        rows[i].strategy);
      first = engine_fixture_run (f, pipe_id, SLUICE_RUN_TYPE_AUTO, TRUE);
      assert_int_equal (first->run_type, SLUICE_RUN_TYPE_FULL);
      assert_since (f, pipe_id, rows[i].since);
      second = engine_fixture_run (f, pipe_id, SLUICE_RUN_TYPE_AUTO, TRUE);
      assert_int_equal (second->run_type, rows[i].since != NULL ? SLUICE_RUN_TYPE_INCREMENTAL
                                                                : SLUICE_RUN_TYPE_FULL);
      /* A chronological source emitting in decreasing order is lying about itself: from offset
       * 0 it rereads everything above it; max continues after 4 and reads nothing; without
       * continuation every run reads all. */
      assert_int_equal (second->entities_read,
                        rows[i].strategy == SLUICE_CONTINUATION_MAX             ? 0
                        : rows[i].strategy == SLUICE_CONTINUATION_CHRONOLOGICAL ? 4
                                                                                : 5);
    }
  assert_string_equal (sluice_continuation_to_string (SLUICE_CONTINUATION_MAX), "max");
}

/* A pipe whose sink fails in its third batch: the first two batches and their offset are
 * committed, nothing of the third; the next run resumes after the second batch. */
static void
test_fail_in_third_batch (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) failed = NULL, resumed = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL, info2 = NULL;
  SluicePipe *pipe;

  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": 100,"
            " \"source\": {\"type\": \"test-sequence\", \"count\": 500},"
            " \"sink\": {\"type\": \"test-fail-sink\", \"dataset\": \"out\", \"fail_at_batch\": 3}}");
  pipe = sluice_engine_lookup_pipe (f->engine, "p");
  assert_string_equal (sluice_pipe_get_output_datasets (pipe)[0], "out");

  failed = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_non_null (failed->error);
  assert_string_equal (failed->error->message,
                       "/sink (type 'test-fail-sink') failed in batch 3: failing in batch 3 as "
                       "configured");
  assert_int_equal (sluice_pipe_get_status (pipe), SLUICE_PIPE_STATUS_FAILED);
  assert_int_equal (failed->batches_committed, 2);
  assert_int_equal (failed->entities_read, 200);
  assert_int_equal (failed->entities_written, 200);
  assert_string_equal (failed->since_after, "199");
  assert_since (f, "p", "199");
  info = engine_fixture_dataset_info (f, "out");
  assert_int_equal (info->version_count, 200);
  assert_int_equal (info->next_offset, 200);

  /* The next run continues the unfinished full run after its last committed batch, and fails
   * in its own third batch. */
  resumed = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, FALSE);
  assert_int_equal (resumed->run_type, SLUICE_RUN_TYPE_FULL);
  assert_string_equal (resumed->since_before, "199");
  assert_int_equal (resumed->entities_read, 200);
  assert_string_equal (resumed->since_after, "399");
  info2 = engine_fixture_dataset_info (f, "out");
  assert_int_equal (info2->version_count, 400);
}

static void
on_checkpoint (SluicePipe *pipe, guint64 batch, const char *since, GString *saved)
{
  g_string_append_printf (saved, "%s ", since != NULL ? since : "-");
}

/* checkpoint_interval: the offset of a run that failed mid-way is saved even between
 * checkpoints (it is always safe to resume after a committed batch), and a successful run
 * always saves it at the end. */
static void
test_checkpoint_interval (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autoptr (GString) saved = g_string_new (NULL);

  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": 10, \"checkpoint_interval\": 3,"
            " \"source\": {\"type\": \"test-sequence\", \"count\": 95}}");
  g_signal_connect (sluice_engine_lookup_pipe (f->engine, "p"), "batch-committed",
                    G_CALLBACK (on_checkpoint), saved);
  stats = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (stats->batches_committed, 10);
  /* The offset stored with each batch: written every third batch, and at the end. */
  assert_string_equal (saved->str, "- - 29 29 29 59 59 59 89 89 ");
  assert_since (f, "p", "94");
}

static gboolean
log_has (const char *log, const char *needle)
{
  return strstr (log, needle) != NULL;
}

/* The execution log keeps every run: pump-started and pump-completed/pump-failed with the run's
 * counters, run type and error. */
static void
test_execution_log (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) ok = NULL, bad = NULL;
  g_autofree char *log = NULL;
  g_autofree char *started = NULL, *completed = NULL, *failed = NULL;
  g_autofree char *dataset = sluice_execution_log_dataset_name ("p");
  g_auto (GStrv) lines = NULL;

  assert_string_equal (dataset, "system:pump_execution:p");
  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": 4,"
            " \"source\": {\"type\": \"test-sequence\", \"count\": 10},"
            " \"sink\": {\"type\": \"test-fail-sink\", \"fail_at_batch\": 3}}");
  bad = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, FALSE);
  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": 4,"
            " \"source\": {\"type\": \"test-sequence\", \"count\": 10}}");
  ok = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);

  log = engine_fixture_dump (f, dataset, FALSE);
  started = g_strdup_printf ("\"_id\":\"pump-started:%s\",\"event_type\":\"pump-started\","
                             "\"run_id\":\"%s\",\"pipe\":\"p\",",
                             bad->run_id, bad->run_id);
  assert_true (log_has (log, started));
  failed = g_strdup_printf ("\"_id\":\"pump-failed:%s\"", bad->run_id);
  assert_true (log_has (log, failed));
  assert_true (log_has (log, "\"sync_type\":\"full\""));
  /* The second run continued the first, unfinished, full run: full too. */
  assert_false (log_has (log, "\"sync_type\":\"incremental\""));
  assert_true (log_has (log, "\"reason_why_stopped\":\"failed\",\"original_error_message\":"
                             "\"/sink (type 'test-fail-sink') failed in batch 3: failing in "
                             "batch 3 as configured\""));
  completed = g_strdup_printf ("\"_id\":\"pump-completed:%s\"", ok->run_id);
  assert_true (log_has (log, completed));
  /* The second run continued after the 8 committed entities of the first. */
  assert_true (log_has (log, "\"entities_succeeded\":2,\"batches_committed\":1,"
                             "\"original_pipe_offset\":7,\"pipe_offset\":9,\"metrics\":{\"entities\":"
                             "{\"entities_last_run\":2,\"changes_last_run\":2,"
                             "\"read_errors_last_run\":0,\"write_errors_last_run\":0}},"
                             "\"entities_failed\":0,\"retry_entities_exist\":false"));
  /* Four entities: two runs, each started and ended. */
  lines = g_strsplit (log, "\n", -1);
  assert_int_equal (g_strv_length (lines) - 1, 4);
}

typedef struct
{
  GString *events;
  GMainLoop *loop;
  SluiceRunStats *stats;
  GError *error;
  gboolean busy;
} SignalLog;

static void
on_run_started (SluicePipe *pipe, SluiceRunType run_type, SignalLog *log)
{
  g_string_append_printf (log->events, "started %s;", sluice_run_type_to_string (run_type));
}

static void
on_progress (SluicePipe *pipe, guint64 read, guint64 written, SignalLog *log)
{
  g_string_append_printf (log->events, "progress %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT ";",
                          read, written);
}

static void
on_batch (SluicePipe *pipe, guint64 batch, const char *since, SignalLog *log)
{
  g_string_append_printf (log->events, "batch %" G_GUINT64_FORMAT " %s;", batch,
                          since != NULL ? since : "-");
}

static void
on_finished (SluicePipe *pipe, const SluiceRunStats *stats, SignalLog *log)
{
  g_string_append_printf (log->events, "finished %" G_GUINT64_FORMAT ";", stats->entities_read);
}

static void
on_status (SluicePipe *pipe, GParamSpec *pspec, SignalLog *log)
{
  g_string_append_printf (log->events, "status %d;", sluice_pipe_get_status (pipe));
}

static void
on_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  SignalLog *log = user_data;

  g_string_append (log->events, "callback;");
  sluice_pipe_run_finish (SLUICE_PIPE (object), result, &log->stats, &log->error);
  g_main_loop_quit (log->loop);
}

static void
on_busy (GObject *object, GAsyncResult *result, gpointer user_data)
{
  SignalLog *log = user_data;
  g_autoptr (GError) error = NULL;
  SluiceRunStats *stats = NULL;

  assert_false (sluice_pipe_run_finish (SLUICE_PIPE (object), result, &stats, &error));
  assert_null (stats);
  assert_true (g_error_matches (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_BUSY));
  assert_string_equal (error->message, "pipe 'p' is already running");
  log->busy = TRUE;
}

/* Signals arrive on the main context in order, the run's own callback last; a second start while
 * running is refused. */
static void
test_signals (void **state)
{
  Fixture *f = *state;
  SignalLog log = { g_string_new (NULL), g_main_loop_new (NULL, FALSE), NULL, NULL, FALSE };
  SluicePipe *pipe;

  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": 4,"
            " \"source\": {\"type\": \"test-sequence\", \"count\": 10}}");
  pipe = sluice_engine_lookup_pipe (f->engine, "p");
  g_signal_connect (pipe, "run-started", G_CALLBACK (on_run_started), &log);
  g_signal_connect (pipe, "progress", G_CALLBACK (on_progress), &log);
  g_signal_connect (pipe, "batch-committed", G_CALLBACK (on_batch), &log);
  g_signal_connect (pipe, "finished", G_CALLBACK (on_finished), &log);
  g_signal_connect (pipe, "notify::status", G_CALLBACK (on_status), &log);

  sluice_pipe_run_async (pipe, SLUICE_RUN_TYPE_AUTO, NULL, on_done, &log);
  sluice_pipe_run_async (pipe, SLUICE_RUN_TYPE_AUTO, NULL, on_busy, &log);
  g_main_loop_run (log.loop);
  assert_null (log.error);
  assert_non_null (log.stats);
  assert_true (log.busy);
  assert_int_equal (log.stats->entities_read, 10);
  assert_string_equal (log.events->str,
                       "status 1;started full;progress 4/4;batch 1 -;progress 8/8;batch 2 -;"
                       "progress 10/10;batch 3 -;status 0;finished 10;callback;");
  g_string_free (log.events, TRUE);
  g_main_loop_unref (log.loop);
  sluice_run_stats_free (log.stats);
}

/* Setting and resetting the offset: the next run follows it, and the log records it. */
static void
test_set_since (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) after_set = NULL, after_reset = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dataset = sluice_execution_log_dataset_name ("p");
  g_autofree char *log = NULL;
  SluicePipe *pipe;

  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\","
            " \"source\": {\"type\": \"test-sequence\", \"count\": 10}}");
  pipe = sluice_engine_lookup_pipe (f->engine, "p");
  assert_true (sluice_pipe_set_since (pipe, "6", &error));
  after_set = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (after_set->run_type, SLUICE_RUN_TYPE_INCREMENTAL);
  assert_int_equal (after_set->entities_read, 3);
  assert_since (f, "p", "9");

  assert_true (sluice_pipe_set_since (pipe, NULL, &error));
  assert_since (f, "p", NULL);
  after_reset = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (after_reset->run_type, SLUICE_RUN_TYPE_FULL);
  assert_int_equal (after_reset->entities_read, 10);

  assert_false (sluice_pipe_set_since (pipe, "{not json", &error));
  assert_non_null (error);
  log = engine_fixture_dump (f, dataset, FALSE);
  assert_true (log_has (log, "\"event_type\":\"pump-offset-set\""));
  assert_true (log_has (log, "\"pipe_offset\":6,\"original_pipe_offset\":null,\"is_reset\":false"));
  assert_true (log_has (log, "\"pipe_offset\":null,\"original_pipe_offset\":9,\"is_reset\":true"));
}

/* A partial rescan (digest §3.4, Appendix B10) reads from the stored offset rewound by
 * pump.partial_rescan_delta, never leaves the offset older than it found it, and is logged as
 * sync_type "partial". */
static void
test_partial_rescan (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) full = NULL, partial = NULL, beyond = NULL, fresh = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dataset = sluice_execution_log_dataset_name ("p");
  g_autofree char *log = NULL;
  SluicePipe *pipe;

  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\","
            " \"source\": {\"type\": \"test-sequence\", \"count\": 10},"
            " \"pump\": {\"partial_rescan_run_count\": 2, \"partial_rescan_delta\": 4}}");
  pipe = sluice_engine_lookup_pipe (f->engine, "p");

  /* Without an offset a partial rescan is a full run. */
  full = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_PARTIAL, TRUE);
  assert_int_equal (full->run_type, SLUICE_RUN_TYPE_FULL);
  assert_since (f, "p", "9");

  partial = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_PARTIAL, TRUE);
  assert_int_equal (partial->run_type, SLUICE_RUN_TYPE_PARTIAL);
  assert_string_equal (partial->since_before, "9");
  assert_int_equal (partial->entities_read, 4); /* 6, 7, 8, 9 */
  assert_since (f, "p", "9");

  /* Rewound to 96, past the source's end: nothing read, and the offset stays at 100. */
  assert_true (sluice_pipe_set_since (pipe, "100", &error));
  beyond = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_PARTIAL, TRUE);
  assert_int_equal (beyond->entities_read, 0);
  assert_since (f, "p", "100");

  log = engine_fixture_dump (f, dataset, FALSE);
  assert_true (log_has (log, "\"sync_type\":\"partial\""));

  /* An offset that has no order cannot be rewound: the run fails and says why. */
  assert_true (sluice_pipe_set_since (pipe, "\"abc\"", &error));
  fresh = engine_fixture_run (f, "p", SLUICE_RUN_TYPE_PARTIAL, FALSE);
  assert_non_null (fresh->error);
  assert_string_equal (fresh->error->message,
                       "partial rescan (/pump/partial_rescan_delta 4): cannot rewind offset "
                       "\"abc\": expected an integer, a float or a datetime, got string");
  assert_since (f, "p", "\"abc\"");
}

/* set-last-seen-to-end (digest §3.6): a dataset source skips everything its dataset holds now;
 * other sources refuse. */
static void
test_set_since_to_end (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) raw = NULL, copy = NULL, more = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dataset = sluice_execution_log_dataset_name ("copy");
  g_autofree char *log = NULL;

  engine_fixture_build (f, "["
            "{\"_id\": \"raw\", \"type\": \"pipe\","
            " \"source\": {\"type\": \"test-sequence\", \"count\": 10}},"
            "{\"_id\": \"copy\", \"type\": \"pipe\","
            " \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"}}"
            "]");

  /* The source dataset does not exist yet. */
  assert_false (sluice_pipe_set_since_to_end (sluice_engine_lookup_pipe (f->engine, "copy"),
                                              &error));
  assert_true (g_error_matches (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED));
  assert_true (g_str_has_prefix (error->message, "pipe 'copy': cannot set its offset to the end "
                                                 "of source dataset 'raw': "));
  g_clear_error (&error);

  raw = engine_fixture_run (f, "raw", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_true (sluice_pipe_set_since_to_end (sluice_engine_lookup_pipe (f->engine, "copy"),
                                             &error));
  assert_since (f, "copy", "9");
  copy = engine_fixture_run (f, "copy", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (copy->run_type, SLUICE_RUN_TYPE_INCREMENTAL);
  assert_int_equal (copy->entities_read, 0);
  log = engine_fixture_dump (f, dataset, FALSE);
  assert_true (log_has (log, "\"pipe_offset\":9,\"original_pipe_offset\":null,\"is_reset\":false"));

  assert_false (sluice_pipe_set_since_to_end (sluice_engine_lookup_pipe (f->engine, "raw"),
                                              &error));
  assert_true (g_error_matches (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_NOT_SUPPORTED));
  assert_string_equal (error->message,
                       "pipe 'raw': /source (type 'test-sequence') cannot set its offset to the "
                       "end: only a 'dataset' source knows where its end is");
}

/* An element's create error is a configuration problem located at the element, with the
 * element's own relative pointer appended. */
static void
test_create_error_located (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *problems = NULL;
  g_autofree char *expected = NULL;

  assert_false (engine_fixture_try_build (
    f,
    "[{\"_id\": \"ok\", \"type\": \"pipe\", \"source\": {\"type\": \"test-sequence\"}},\n"
    " {\"_id\": \"bad\", \"type\": \"pipe\",\n"
    "  \"source\": {\"type\": \"embedded\", \"entities\": [{\"_id\": \"a\"}, {\"id\": \"b\"}]}}]",
    &problems, &error));
  assert_true (g_error_matches (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_INVALID));
  expected = g_strdup_printf ("%s/config.json:3:61: bad: /source/entities/1: every entity needs a "
                              "string `_id`\n",
                              f->dir);
  assert_string_equal (problems, expected);
}

/* Which pipe feeds which, from the datasets their elements name. */
static void
test_graph_from_config (void **state)
{
  Fixture *f = *state;
  SluicePipeGraph *graph;
  g_auto (GStrv) order = NULL;
  g_autoptr (GPtrArray) downstream = NULL;
  g_autoptr (GError) error = NULL;

  engine_fixture_build (f, chain_config);
  graph = sluice_engine_get_graph (f->engine);
  order = sluice_pipe_graph_sort (graph, NULL, &error);
  assert_non_null (order);
  assert_string_equal (order[0], "raw");
  assert_string_equal (order[1], "copy");
  assert_string_equal (order[2], "copy2");
  downstream = sluice_pipe_graph_get_downstream (graph, "raw");
  assert_int_equal (downstream->len, 1);
  assert_string_equal (g_ptr_array_index (downstream, 0), "copy");
  assert_string_equal (
    sluice_pipe_get_input_datasets (sluice_engine_lookup_pipe (f->engine, "copy2"))[0], "copy");
  assert_string_equal (
    sluice_pipe_get_output_datasets (sluice_engine_lookup_pipe (f->engine, "copy2"))[0], "final");
}

/* union_datasets (digest §8.3): each dataset to its end before the next, `_id`s prefixed, a
 * composite offset that lets the next run read only what is new in each. */
static void
test_union_datasets (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) first = NULL, second = NULL;
  g_autofree char *out = NULL, *out2 = NULL;

  engine_fixture_append (f, "men", 0, 2, "m");
  engine_fixture_append (f, "women", 10, 13, "w");
  engine_fixture_build (f, "{\"_id\": \"people\", \"type\": \"pipe\", \"batch_size\": 2,"
            " \"source\": {\"type\": \"union_datasets\", \"datasets\": [\"men\", \"women\", \"none\"]}}");
  first = engine_fixture_run (f, "people", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (first->entities_read, 5);
  assert_since (f, "people", "{\"men\":1,\"women\":2,\"none\":-1}");
  out = engine_fixture_dump (f, "people", TRUE);
  assert_string_equal (out, "0 {\"_id\":\"men:e0\",\"n\":0,\"value\":\"m\"}\n"
                            "1 {\"_id\":\"men:e1\",\"n\":1,\"value\":\"m\"}\n"
                            "2 {\"_id\":\"women:e10\",\"n\":10,\"value\":\"w\"}\n"
                            "3 {\"_id\":\"women:e11\",\"n\":11,\"value\":\"w\"}\n"
                            "4 {\"_id\":\"women:e12\",\"n\":12,\"value\":\"w\"}\n");
  assert_string_equal (sluice_pipe_get_input_datasets (sluice_engine_lookup_pipe (f->engine, "people"))[1],
                       "none");

  engine_fixture_append (f, "men", 1, 2, "changed");
  second = engine_fixture_run (f, "people", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (second->run_type, SLUICE_RUN_TYPE_INCREMENTAL);
  assert_int_equal (second->entities_read, 1);
  assert_since (f, "people", "{\"men\":2,\"women\":2,\"none\":-1}");
  out2 = engine_fixture_dump (f, "people", FALSE);
  assert_true (strstr (out2, "5 {\"_id\":\"men:e1\",\"n\":1,\"value\":\"changed\"}\n") != NULL);
}

/* merge_datasets (digest §8.4): versions in `_ts` order across the datasets; "latest" keeps the
 * newest version of each `_id`, "all" holds the latest version from every dataset. */
static void
test_merge_datasets (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceRunStats) latest = NULL, all = NULL;
  g_autofree char *latest_out = NULL, *all_out = NULL;

  engine_fixture_append (f, "crm", 0, 2, "crm");    /* e0, e1 */
  engine_fixture_append (f, "erp", 1, 3, "erp");    /* e1, e2: e1 is newer here */
  engine_fixture_build (f, "[{\"_id\": \"latest\", \"type\": \"pipe\","
            "  \"source\": {\"type\": \"merge_datasets\", \"datasets\": [\"crm\", \"erp\"]}},"
            " {\"_id\": \"all\", \"type\": \"pipe\","
            "  \"source\": {\"type\": \"merge_datasets\", \"datasets\": [\"crm\", \"erp\"],"
            "   \"strategy\": \"all\"}}]");
  latest = engine_fixture_run (f, "latest", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (latest->entities_read, 4);
  assert_since (f, "latest", "{\"crm\":1,\"erp\":1}");
  latest_out = engine_fixture_dump (f, "latest", FALSE);
  assert_string_equal (latest_out, "0 {\"_id\":\"e0\",\"n\":0,\"value\":\"crm\"}\n"
                                   "2 {\"_id\":\"e1\",\"n\":1,\"value\":\"erp\"}\n"
                                   "3 {\"_id\":\"e2\",\"n\":2,\"value\":\"erp\"}\n");

  all = engine_fixture_run (f, "all", SLUICE_RUN_TYPE_AUTO, TRUE);
  assert_int_equal (all->entities_read, 4);
  /* e1 is merged from both datasets the first time already: its second version changes nothing. */
  assert_int_equal (all->changes, 3);
  all_out = engine_fixture_dump (f, "all", FALSE);
  assert_string_equal (
    all_out,
    "0 {\"_id\":\"e0\",\"crm\":{\"_id\":\"e0\",\"n\":0,\"value\":\"crm\"}}\n"
    "1 {\"_id\":\"e1\",\"crm\":{\"_id\":\"e1\",\"n\":1,\"value\":\"crm\"},"
    "\"erp\":{\"_id\":\"e1\",\"n\":1,\"value\":\"erp\"}}\n"
    "2 {\"_id\":\"e2\",\"erp\":{\"_id\":\"e2\",\"n\":2,\"value\":\"erp\"}}\n");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_chain_full_then_incremental, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_continuation_strategies, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_fail_in_third_batch, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_checkpoint_interval, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_execution_log, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_signals, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_set_since, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_partial_rescan, engine_fixture_setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_set_since_to_end, engine_fixture_setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_create_error_located, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_graph_from_config, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_union_datasets, engine_fixture_setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_merge_datasets, engine_fixture_setup, engine_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
