/* conformance-breakers.c — circuit breakers in the store's conformance suite
 * (store-conformance.h; digest §6, docs/decisions/0006): the committed watermark and the views
 * that respect it, in streaming and single reads, commit, rollback to exactly the state at the
 * watermark (also in parts), appends refused while tripped, compaction skipped, and a tripped
 * breaker surviving a killed writer. */
#include "store-conformance.h"
#include "store-records.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* a, b, c at offsets 0, 1, 2, then b changed at 3: populated. */
static void
fill (SluiceStoreBackend *store, const char *dataset)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetInfo) info
      = sluice_store_backend_create_dataset (store, dataset, FALSE, &error);
  SluiceStoreRecord first[]
      = { rec ("a", "A", FALSE), rec ("b", "B", FALSE), rec ("c", "C", FALSE) };
  SluiceStoreRecord second[] = { rec ("b", "B2", FALSE) };
  SluiceStoreTxn *txn;

  assert_non_null (info);
  assert_int_equal (append (store, dataset, first, 3, NULL), 3);
  assert_int_equal (append (store, dataset, second, 1, NULL), 1);
  txn = sluice_store_backend_begin (store, &error);
  assert_true (sluice_store_txn_set_populated (txn, dataset, TRUE, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
}

static void
hold (SluiceStoreBackend *store, const char *dataset, const char *pipe, gboolean tripped,
      const char *message)
{
  g_autoptr (GError) error = NULL;
  SluiceBreakerState state = {
    .pipe = (char *)pipe,
    .run_id = (char *)"run-1",
    .tripped = tripped,
    .message = (char *)message,
    .tripped_at = tripped ? 1234 : 0,
    .limit = 2,
    .written = tripped ? 3 : 0,
    .since_before = (char *)"17",
    .full_run_started_before = 0,
  };
  SluiceStoreTxn *txn = sluice_store_backend_begin (store, &error);

  assert_true (sluice_store_txn_set_breaker (txn, dataset, &state, &error));
  assert_null (error);
  assert_true (sluice_store_txn_commit (txn, 0, &error));
}

static gboolean
release (SluiceStoreBackend *store, const char *dataset, gboolean rollback, GError **error)
{
  SluiceStoreTxn *txn = sluice_store_backend_begin (store, error);

  if (!sluice_store_txn_release_breaker (txn, dataset, rollback, error))
    {
      sluice_store_txn_abort (txn);
      return FALSE;
    }
  return sluice_store_txn_commit (txn, 0, error);
}

/* Every version a query returns, one line each: offset, previous, deleted, ts, id, body. */
static char *
dump (SluiceStoreBackend *store, const char *dataset, gboolean history, gboolean uncommitted,
      const char *holder)
{
  SluiceStoreQuery query = { .dataset = dataset,
                             .since = SLUICE_STORE_NO_OFFSET,
                             .history = history,
                             .deleted = TRUE,
                             .view = &(SluiceStoreView){ uncommitted, holder } };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (store, &query, &error);
  GString *out = g_string_new (NULL);
  const SluiceStoreVersion *v;

  assert_non_null (cursor);
  while ((v = sluice_store_cursor_next (cursor, &error)) != NULL)
    g_string_append_printf (
        out, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %d %" G_GINT64_FORMAT " %.*s %.*s\n",
        v->offset, v->previous, v->record.deleted, v->ts, (int)v->record.id_len, v->record.id,
        (int)v->record.body_len, (const char *)v->record.body);
  assert_null (error);
  return g_string_free (out, FALSE);
}

static char *
dump_info (SluiceStoreBackend *store, const char *dataset)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetInfo) info
      = sluice_store_backend_dup_dataset_info (store, dataset, NULL, &error);

  assert_non_null (info);
  return g_strdup_printf ("%s %s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GUINT64_FORMAT
                          " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %d",
                          info->name, info->generation, info->created, info->next_offset,
                          info->entity_count, info->id_count, info->version_count, info->populated);
}

static int64_t
latest_offset (SluiceStoreBackend *store, const char *dataset, const char *id,
               const SluiceStoreView *view)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreOwnedVersion) v
      = sluice_store_backend_dup_latest (store, dataset, id, strlen (id), view, &error);

  assert_null (error);
  return v != NULL ? v->offset : SLUICE_STORE_NO_OFFSET;
}

/* What a held run writes: b changed again, c deleted, d new, d changed. */
static gboolean
add_live (const char *id, size_t id_len, int64_t offset, gpointer user_data, GError **error)
{
  g_string_append_printf (user_data, "%.*s@%" G_GINT64_FORMAT " ", (int)id_len, id, offset);
  return TRUE;
}

/* "id@offset " of every live id in @view, in id order. */
static char *
live_ids (SluiceStoreBackend *store, const char *dataset, const SluiceStoreView *view)
{
  GString *out = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  assert_true (sluice_store_backend_scan_live (store, dataset, view, add_live, out, &error));
  assert_null (error);
  return g_string_free (out, FALSE);
}

static void
write_held (SluiceStoreBackend *store, const char *dataset)
{
  SluiceStoreRecord batch1[]
      = { rec ("b", "B3", FALSE), rec ("c", "C", TRUE), rec ("d", "D", FALSE) };
  SluiceStoreRecord batch2[] = { rec ("d", "D2", FALSE) };

  assert_int_equal (append (store, dataset, batch1, 3, NULL), 3);
  assert_int_equal (append (store, dataset, batch2, 1, NULL), 1);
}

static void
test_watermark_views (void **state)
{
  StoreFixture *f = *state;
  g_autofree char *before = NULL, *after = NULL, *all = NULL, *mine = NULL, *theirs = NULL;
  g_autofree char *latest = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;
  g_autoptr (SluiceDatasetInfo) full = NULL;
  g_autoptr (SluiceStoreOwnedVersion) v = NULL;
  SluiceStoreView uncommitted = { .uncommitted = TRUE };
  SluiceStoreView holder = { .holder = "p" };
  SluiceStoreRecord same[] = { rec ("d", "D2", FALSE) };

  fill (f->store, "people");
  before = dump (f->store, "people", TRUE, FALSE, NULL);
  hold (f->store, "people", "p", FALSE, NULL);
  write_held (f->store, "people");

  /* Readers see the dataset as it was at the watermark. */
  after = dump (f->store, "people", TRUE, FALSE, NULL);
  assert_string_equal (after, before);
  latest = dump (f->store, "people", FALSE, FALSE, NULL);
  assert_true (g_str_has_prefix (latest, "0 -1 0")); /* a */
  assert_non_null (strstr (latest, "\n3 1 0"));      /* b as committed */
  assert_null (strstr (latest, " d "));
  assert_int_equal (latest_offset (f->store, "people", "b", NULL), 3);
  assert_int_equal (latest_offset (f->store, "people", "d", NULL), SLUICE_STORE_NO_OFFSET);
  v = sluice_store_backend_dup_version (f->store, "people", 4, NULL, &error);
  assert_null (v);
  assert_null (error);
  info = sluice_store_backend_dup_dataset_info (f->store, "people", NULL, &error);
  assert_int_equal (info->next_offset, 4);
  assert_int_equal (info->id_count, 3);
  assert_int_equal (info->entity_count, 3);
  assert_int_equal (info->version_count, 4);
  assert_true (info->populated);

  /* The uncommitted view, and the holder's own view, see everything. */
  all = dump (f->store, "people", TRUE, TRUE, NULL);
  assert_non_null (strstr (all, "\n7 6 0"));
  mine = dump (f->store, "people", TRUE, FALSE, "p");
  assert_string_equal (mine, all);
  theirs = dump (f->store, "people", TRUE, FALSE, "q");
  assert_string_equal (theirs, before);
  assert_int_equal (latest_offset (f->store, "people", "d", &uncommitted), 7);
  assert_int_equal (latest_offset (f->store, "people", "b", &holder), 4);
  full = sluice_store_backend_dup_dataset_info (f->store, "people", &uncommitted, &error);
  assert_int_equal (full->next_offset, 8);
  assert_int_equal (full->id_count, 4);
  assert_int_equal (full->entity_count, 3);

  /* Deletion tracking's scan of live ids takes the same views. */
  {
    g_autofree char *committed_live = live_ids (f->store, "people", NULL);
    g_autofree char *holder_live = live_ids (f->store, "people", &holder);
    g_autofree char *other_live
        = live_ids (f->store, "people", &(SluiceStoreView){ .holder = "q" });

    assert_string_equal (committed_live, "a@0 b@3 c@2 ");
    assert_string_equal (holder_live, "a@0 b@4 d@7 ");
    assert_string_equal (other_live, committed_live);
  }

  /* Change tracking compares with the latest stored version, committed or not. */
  assert_int_equal (append (f->store, "people", same, 1, NULL), 0);
}

/* Single reads take the same views as a streaming read: the version at an offset, the latest
 * version of an id and the dataset's info see the held versions in the uncommitted view and in the
 * holder's, and nothing of them in the committed view or another pipe's. */
static void
test_single_reads_in_views (void **state)
{
  StoreFixture *f = *state;
  SluiceStoreView uncommitted = { .uncommitted = TRUE };
  SluiceStoreView holder = { .holder = "p" };
  SluiceStoreView other = { .holder = "q" };
  const SluiceStoreView *seeing[] = { &uncommitted, &holder };
  const SluiceStoreView *blind[] = { NULL, &other };

  fill (f->store, "people");
  hold (f->store, "people", "p", FALSE, NULL);
  write_held (f->store, "people"); /* b@4, c@5 deleted, d@6, d@7 */

  for (size_t i = 0; i < G_N_ELEMENTS (seeing); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SluiceStoreOwnedVersion) v
          = sluice_store_backend_dup_version (f->store, "people", 4, seeing[i], &error);
      g_autoptr (SluiceDatasetInfo) info
          = sluice_store_backend_dup_dataset_info (f->store, "people", seeing[i], &error);

      assert_null (error);
      assert_non_null (v);
      assert_int_equal (v->offset, 4);
      assert_int_equal (v->previous, 3);
      assert_int_equal (v->record.id_len, 1);
      assert_memory_equal (v->record.id, "b", 1);
      assert_int_equal (v->record.body_len, 2);
      assert_memory_equal (v->record.body, "B3", 2);
      assert_int_equal (info->next_offset, 8);
      assert_int_equal (info->id_count, 4);
      assert_int_equal (info->version_count, 8);
      assert_int_equal (latest_offset (f->store, "people", "c", seeing[i]), 5);
      assert_int_equal (latest_offset (f->store, "people", "d", seeing[i]), 7);
    }
  for (size_t i = 0; i < G_N_ELEMENTS (blind); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SluiceStoreOwnedVersion) held
          = sluice_store_backend_dup_version (f->store, "people", 4, blind[i], &error);
      g_autoptr (SluiceStoreOwnedVersion) committed
          = sluice_store_backend_dup_version (f->store, "people", 3, blind[i], &error);
      g_autoptr (SluiceDatasetInfo) info
          = sluice_store_backend_dup_dataset_info (f->store, "people", blind[i], &error);

      assert_null (error);
      assert_null (held);
      assert_non_null (committed);
      assert_int_equal (committed->offset, 3);
      assert_memory_equal (committed->record.body, "B2", 2);
      assert_int_equal (info->next_offset, 4);
      assert_int_equal (info->id_count, 3);
      assert_int_equal (info->version_count, 4);
      assert_int_equal (latest_offset (f->store, "people", "c", blind[i]), 2);
      assert_int_equal (latest_offset (f->store, "people", "d", blind[i]), SLUICE_STORE_NO_OFFSET);
    }
}

static void
test_commit (void **state)
{
  StoreFixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *all = NULL, *after = NULL;
  g_auto (SluiceBreakerState) breaker = { 0 };
  g_autoptr (SluiceDatasetInfo) info = NULL;

  fill (f->store, "people");
  assert_false (sluice_store_backend_get_breaker (f->store, "people", &breaker, &error));
  assert_null (error);
  hold (f->store, "people", "p", FALSE, NULL);
  write_held (f->store, "people");
  all = dump (f->store, "people", TRUE, TRUE, NULL);

  assert_true (sluice_store_backend_get_breaker (f->store, "people", &breaker, &error));
  assert_string_equal (breaker.pipe, "p");
  assert_string_equal (breaker.run_id, "run-1");
  assert_string_equal (breaker.since_before, "17");
  assert_int_equal (breaker.watermark, 4);
  assert_false (breaker.tripped);

  assert_true (release (f->store, "people", FALSE, &error));
  after = dump (f->store, "people", TRUE, FALSE, NULL);
  assert_string_equal (after, all);
  info = sluice_store_backend_dup_dataset_info (f->store, "people", NULL, &error);
  assert_int_equal (info->next_offset, 8);
  assert_int_equal (info->id_count, 4);
  sluice_breaker_state_clear (&breaker);
  assert_false (sluice_store_backend_get_breaker (f->store, "people", &breaker, &error));

  /* Nothing left to commit. */
  assert_false (release (f->store, "people", FALSE, &error));
  assert_true (g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND));
  assert_non_null (strstr (error->message, "dataset 'people' has no circuit breaker to commit"));
}

static void
test_rollback_restores_exactly (void **state)
{
  StoreFixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *versions = NULL, *latest = NULL, *info = NULL;
  g_autofree char *versions2 = NULL, *latest2 = NULL, *info2 = NULL;
  g_autofree char *all = NULL;
  SluiceStoreRecord again[] = { rec ("b", "B3", FALSE), rec ("e", "E", FALSE) };
  int64_t offsets[2];
  SluiceStoreTxn *txn;

  fill (f->store, "people");
  versions = dump (f->store, "people", TRUE, TRUE, NULL);
  latest = dump (f->store, "people", FALSE, TRUE, NULL);
  info = dump_info (f->store, "people");

  hold (f->store, "people", "p", FALSE, NULL);
  write_held (f->store, "people");
  /* The run also set the flag and tripped. */
  txn = sluice_store_backend_begin (f->store, &error);
  assert_true (sluice_store_txn_set_populated (txn, "people", FALSE, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  hold (f->store, "people", "p", TRUE, "went over 2");

  assert_true (release (f->store, "people", TRUE, &error));
  assert_null (error);
  versions2 = dump (f->store, "people", TRUE, TRUE, NULL);
  latest2 = dump (f->store, "people", FALSE, TRUE, NULL);
  info2 = dump_info (f->store, "people");
  assert_string_equal (versions2, versions);
  assert_string_equal (latest2, latest);
  assert_string_equal (info2, info);
  assert_int_equal (latest_offset (f->store, "people", "d", &(SluiceStoreView){ TRUE, NULL }),
                    SLUICE_STORE_NO_OFFSET);

  /* Offsets continue from the watermark, and _previous chains from the restored versions. */
  txn = sluice_store_backend_begin (f->store, &error);
  assert_true (sluice_store_txn_append (txn, "people", again, 2, 0, offsets, NULL, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  assert_int_equal (offsets[0], 4);
  assert_int_equal (offsets[1], 5);
  all = dump (f->store, "people", TRUE, FALSE, NULL);
  assert_non_null (strstr (all, "\n4 3 0"));
  assert_non_null (strstr (all, "\n5 -1 0"));
}

/* A rollback in parts of at most two versions (as a push's rollback is spread over transactions):
 * readers see the dataset as at the watermark after each part, and the end is the same as one
 * rollback.  The push flags of the record survive the round trip. */
static void
test_rollback_in_parts (void **state)
{
  StoreFixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *versions = NULL, *latest = NULL, *info = NULL;
  SluiceStoreRecord more[]
      = { rec ("a", "A2", FALSE), rec ("e", "E", FALSE), rec ("a", "A3", FALSE) };
  SluiceBreakerState push_hold = {
    .pipe = (char *)"receiver",
    .run_id = (char *)"push 1 2 3",
    .push = TRUE,
    .push_created = TRUE,
  };
  g_auto (SluiceBreakerState) loaded = { 0 };
  SluiceStoreTxn *txn;
  gboolean done = FALSE;
  guint parts = 0;

  fill (f->store, "people");
  versions = dump (f->store, "people", TRUE, TRUE, NULL);
  latest = dump (f->store, "people", FALSE, TRUE, NULL);
  info = dump_info (f->store, "people");

  txn = sluice_store_backend_begin (f->store, &error);
  assert_true (sluice_store_txn_set_breaker (txn, "people", &push_hold, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  write_held (f->store, "people");
  assert_int_equal (append (f->store, "people", more, 3, NULL), 3);
  assert_true (sluice_store_backend_get_breaker (f->store, "people", &loaded, &error));
  assert_true (loaded.push);
  assert_true (loaded.push_created);
  assert_string_equal (loaded.run_id, "push 1 2 3");
  assert_int_equal (loaded.watermark, 4);

  /* 7 versions after the watermark: four parts (one, the whole rollback, where the backend
   * leaves rollbacks in parts to its wrapper's default). */
  while (!done)
    {
      g_autofree char *seen = NULL, *seen_info = NULL;

      txn = sluice_store_backend_begin (f->store, &error);
      assert_true (sluice_store_txn_roll_back_breaker_part (txn, "people", 2, &done, &error));
      assert_true (sluice_store_txn_commit (txn, 0, &error));
      parts++;
      seen = dump (f->store, "people", TRUE, FALSE, NULL);
      seen_info = dump_info (f->store, "people");
      assert_string_equal (seen, versions);
      assert_string_equal (seen_info, info);
    }
  assert_int_equal (parts, f->store->vtable->txn_roll_back_breaker_part != NULL ? 4 : 1);
  sluice_breaker_state_clear (&loaded);
  assert_false (sluice_store_backend_get_breaker (f->store, "people", &loaded, &error));
  assert_null (error);
  {
    g_autofree char *versions2 = dump (f->store, "people", TRUE, TRUE, NULL);
    g_autofree char *latest2 = dump (f->store, "people", FALSE, TRUE, NULL);

    assert_string_equal (versions2, versions);
    assert_string_equal (latest2, latest);
  }
  assert_int_equal (latest_offset (f->store, "people", "e", &(SluiceStoreView){ TRUE, NULL }),
                    SLUICE_STORE_NO_OFFSET);
  assert_int_equal (latest_offset (f->store, "people", "a", &(SluiceStoreView){ TRUE, NULL }), 0);
  assert_int_equal (latest_offset (f->store, "people", "b", &(SluiceStoreView){ TRUE, NULL }), 3);
}

static void
test_tripped_refuses_writes (void **state)
{
  StoreFixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreTxn) txn = NULL;
  SluiceStoreRecord r[] = { rec ("x", "X", FALSE) };
  SluiceCompactOptions options = { 1, -1 };
  SluiceCompactStats stats = { 0 };
  g_auto (SluiceBreakerState) breaker = { 0 };
  g_autofree char *message = NULL;

  fill (f->store, "people");
  hold (f->store, "people", "p", TRUE, "trip! said so");
  txn = sluice_store_backend_begin (f->store, &error);
  assert_false (sluice_store_txn_append (txn, "people", r, 1, 0, NULL, NULL, &error));
  assert_true (g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_TRIPPED));
  message = g_strdup_printf ("%s: dataset 'people': its circuit breaker is tripped (run "
                             "run-1 of pipe 'p'): nothing can be written to it until the breaker "
                             "is committed or rolled back",
                             f->where);
  assert_string_equal (error->message, message);
  g_clear_pointer (&txn, sluice_store_txn_abort);

  /* Compaction (where the backend has it) leaves the dataset alone: b's first version stays. */
  if (f->store->vtable->compact != NULL)
    {
      assert_true (sluice_store_backend_compact (f->store, "people", &options, &stats, NULL));
      assert_int_equal (stats.versions_removed, 0);
    }
  assert_true (sluice_store_backend_get_breaker (f->store, "people", &breaker, NULL));
  assert_true (breaker.tripped);
  assert_string_equal (breaker.message, "trip! said so");
  assert_int_equal (breaker.written, 3);
  assert_int_equal (breaker.limit, 2);
}

/* Deleting the dataset removes its breaker: the recreated dataset has none. */
static void
test_delete_dataset (void **state)
{
  StoreFixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_auto (SluiceBreakerState) breaker = { 0 };
  g_autoptr (SluiceDatasetInfo) info = NULL;

  fill (f->store, "people");
  hold (f->store, "people", "p", TRUE, "x");
  assert_true (sluice_store_backend_delete_dataset (f->store, "people", &error));
  info = sluice_store_backend_create_dataset (f->store, "people", FALSE, &error);
  assert_non_null (info);
  assert_false (sluice_store_backend_get_breaker (f->store, "people", &breaker, &error));
  assert_null (error);
  assert_false (sluice_store_backend_get_breaker (f->store, "nobody", &breaker, &error));
  assert_true (g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND));
}

/* A writer killed after it tripped (and another killed in the middle of a held batch): the
 * reopened store is still tripped, hides what the run wrote, and rolls back exactly. */
static void
test_crash_keeps_tripped (void **state)
{
  StoreFixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *versions = NULL, *info = NULL, *seen = NULL;
  g_autofree char *versions2 = NULL, *info2 = NULL;
  g_auto (SluiceBreakerState) breaker = { 0 };
  int status;
  pid_t pid;

  fill (f->store, "people");
  versions = dump (f->store, "people", TRUE, TRUE, NULL);
  info = dump_info (f->store, "people");
  sluice_store_backend_free (f->store);
  f->store = NULL;

  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      SluiceStoreBackend *store = f->factory->reopen (f->dir, NULL);
      SluiceStoreRecord r[] = { rec ("z", "Z", FALSE) };
      SluiceStoreTxn *txn;

      hold (store, "people", "p", FALSE, NULL);
      write_held (store, "people");
      hold (store, "people", "p", TRUE, "went over 2");
      /* Killed in the middle of a transaction after the trip. */
      txn = sluice_store_backend_begin (store, NULL);
      sluice_store_txn_release_breaker (txn, "people", TRUE, NULL);
      sluice_store_txn_append (txn, "people", r, 1, 0, NULL, NULL, NULL);
      raise (SIGKILL);
      _exit (0);
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFSIGNALED (status));

  store_fixture_reopen (f);
  assert_true (sluice_store_backend_get_breaker (f->store, "people", &breaker, &error));
  assert_true (breaker.tripped);
  assert_string_equal (breaker.message, "went over 2");
  seen = dump (f->store, "people", TRUE, FALSE, NULL);
  assert_string_equal (seen, versions);
  assert_true (release (f->store, "people", TRUE, &error));
  versions2 = dump (f->store, "people", TRUE, TRUE, NULL);
  info2 = dump_info (f->store, "people");
  assert_string_equal (versions2, versions);
  assert_string_equal (info2, info);
}

const StoreCase store_conformance_breaker_cases[] = {
  { "watermark_views", test_watermark_views },
  { "single_reads_in_views", test_single_reads_in_views },
  { "commit", test_commit },
  { "rollback_restores_exactly", test_rollback_restores_exactly },
  { "rollback_in_parts", test_rollback_in_parts },
  { "tripped_refuses_writes", test_tripped_refuses_writes },
  { "delete_dataset", test_delete_dataset },
  { "crash_keeps_tripped", test_crash_keeps_tripped },
  { NULL },
};
