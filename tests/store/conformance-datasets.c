/* conformance-datasets.c — cases of the store's conformance suite (store-conformance.h): dataset
 * lifecycle and names, change tracking (digest Appendix B12), offsets and _previous chains (B1),
 * since reads (B2), history and deleted filters, a streaming read with writes in between, pipe
 * state in the batch's transaction, long ids, the scan of live ids, and the offsets an append
 * reports. */
#include "store-conformance.h"
#include "store-records.h"

static void
test_dataset_lifecycle (void **state)
{
  StoreFixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetInfo) first = NULL, again = NULL, second = NULL, i = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autofree char *expected = NULL;

  first = sluice_store_backend_create_dataset (f->store, "people", FALSE, &error);
  assert_null (error);
  /* Messages name the store as the backend describes it. */
  assert_string_equal (sluice_store_backend_describe (f->store), f->where);
  assert_string_equal (first->name, "people");
  assert_int_equal (strlen (first->generation), 36);
  assert_int_equal (first->next_offset, 0);
  assert_false (first->populated);
  assert_true (first->created > 0);

  assert_null (sluice_store_backend_create_dataset (f->store, "people", FALSE, &error));
  expected = g_strdup_printf ("%s: dataset 'people' exists already", f->where);
  assert_string_equal (error->message, expected);
  assert_true (g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_EXISTS));
  g_clear_error (&error);

  again = sluice_store_backend_create_dataset (f->store, "people", TRUE, &error);
  assert_null (error);
  assert_string_equal (again->generation, first->generation);

  create (f->store, "orders");
  append1 (f->store, "people", "a", "A", FALSE);
  append1 (f->store, "people", "b", "B", FALSE);
  append1 (f->store, "people", "b", "B2", FALSE);
  append1 (f->store, "orders", "o", "O", TRUE);

  list = sluice_store_backend_list_datasets (f->store, &error);
  assert_null (error);
  assert_int_equal (list->len, 2);
  i = g_ptr_array_index (list, 0), assert_string_equal (i->name, "orders");
  assert_int_equal (i->entity_count, 0);
  assert_int_equal (i->id_count, 1);
  assert_int_equal (i->version_count, 1);
  i = g_ptr_array_index (list, 1), assert_string_equal (i->name, "people");
  assert_int_equal (i->entity_count, 2);
  assert_int_equal (i->id_count, 2);
  assert_int_equal (i->version_count, 3);
  assert_int_equal (i->next_offset, 3);
  i = NULL;

  /* Deleting and recreating gives a new generation, offsets from 0 and none of the old data. */
  assert_true (sluice_store_backend_delete_dataset (f->store, "people", &error));
  assert_null (error);
  assert_null (sluice_store_backend_dup_dataset_info (f->store, "people", NULL, &error));
  g_free (expected);
  expected = g_strdup_printf ("%s: no dataset 'people'", f->where);
  assert_string_equal (error->message, expected);
  assert_true (g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND));
  g_clear_error (&error);
  assert_false (sluice_store_backend_delete_dataset (f->store, "people", &error));
  assert_string_equal (error->message, expected);
  g_clear_error (&error);

  second = sluice_store_backend_create_dataset (f->store, "people", FALSE, &error);
  assert_null (error);
  assert_string_not_equal (second->generation, first->generation);
  assert_int_equal (second->next_offset, 0);
  assert_int_equal (second->version_count, 0);
  {
    g_autofree char *all = query_ids (f->store, "people", SLUICE_STORE_NO_OFFSET, 0);
    g_autoptr (SluiceStoreOwnedVersion) a
        = sluice_store_backend_dup_latest (f->store, "people", "a", 1, NULL, &error);
    assert_string_equal (all, "");
    assert_null (a);
    assert_null (error);
  }
  append1 (f->store, "people", "c", "C", FALSE);
  {
    g_autofree char *s = query_str (f->store, "people", SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE);
    assert_string_equal (s, "c 0 -1\n");
  }
}

static void
test_dataset_names (void **state)
{
  StoreFixture *f = *state;
  g_autoptr (GError) error = NULL;

  assert_null (sluice_store_backend_create_dataset (f->store, "a/b", FALSE, &error));
  assert_string_equal (error->message,
                       "dataset id 'a/b' contains '/': dataset ids must not contain '/'");
  assert_true (g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_INVALID));
  /* The error domain keeps its name (clang-format once split it into words). */
  assert_string_equal (g_quark_to_string (error->domain), "sluice-store-error-quark");
  g_clear_error (&error);
  assert_null (sluice_store_backend_create_dataset (f->store, "", FALSE, &error));
  assert_string_equal (error->message, "dataset id is empty: expected a non-empty string");
  g_clear_error (&error);

  {
    SluiceStoreRecord r = rec ("x", "X", FALSE);
    SluiceStoreTxn *txn;
    g_autofree char *expected = g_strdup_printf ("%s: no dataset 'missing'", f->where);

    create (f->store, "ok");
    txn = sluice_store_backend_begin (f->store, &error);
    assert_false (sluice_store_txn_append (txn, "missing", &r, 1, 0, NULL, NULL, &error));
    assert_string_equal (error->message, expected);
    g_clear_error (&error);
    r.id_len = 0;
    assert_false (sluice_store_txn_append (txn, "ok", &r, 1, 0, NULL, NULL, &error));
    assert_string_equal (error->message,
                         "dataset 'ok', record 0 of the batch: _id is 0 bytes long: expected 1 to "
                         "1048576 bytes");
    sluice_store_txn_abort (txn);
  }
}

/* Appendix B12: identical content appends nothing; a new _id, changed content or a _deleted flip
 * append a version. */
static void
test_change_tracking (void **state)
{
  StoreFixture *f = *state;
  SluiceStoreRecord batch1[] = { rec ("a", "A", FALSE), rec ("b", "B", FALSE) };
  SluiceStoreRecord batch2[]
      = { rec ("a", "A", FALSE), rec ("b", "B changed", FALSE), rec ("c", "C", FALSE),
          rec ("a", "A", TRUE), rec ("a", "A", TRUE) };
  SluiceStoreRecord batch3[] = { rec ("a", "A", FALSE), rec ("b", "B changed", FALSE) };
  int64_t offsets[5];
  g_autoptr (SluiceDatasetInfo) i1 = NULL, i2 = NULL;
  g_autoptr (GError) error = NULL;

  create (f->store, "ct");
  assert_int_equal (append (f->store, "ct", batch1, 2, offsets), 2);
  assert_int_equal (offsets[0], 0);
  assert_int_equal (offsets[1], 1);

  /* The second `a` flips _deleted; the third repeats it and is dropped. */
  assert_int_equal (append (f->store, "ct", batch2, 5, offsets), 3);
  assert_int_equal (offsets[0], SLUICE_STORE_UNCHANGED);
  assert_int_equal (offsets[1], 2);
  assert_int_equal (offsets[2], 3);
  assert_int_equal (offsets[3], 4);
  assert_int_equal (offsets[4], SLUICE_STORE_UNCHANGED);

  i1 = info (f->store, "ct");
  assert_int_equal (i1->entity_count, 2); /* b, c; a is deleted */
  assert_int_equal (i1->id_count, 3);
  assert_int_equal (i1->version_count, 5);

  /* Undeleting `a` appends; `b` unchanged does not. */
  assert_int_equal (append (f->store, "ct", batch3, 2, offsets), 1);
  assert_int_equal (offsets[0], 5);
  assert_int_equal (offsets[1], SLUICE_STORE_UNCHANGED);
  i2 = info (f->store, "ct");
  assert_int_equal (i2->entity_count, 3);
  assert_int_equal (i2->next_offset, 6);

  {
    g_autofree char *s = query_str (f->store, "ct", SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE);
    assert_string_equal (s, "a 0 -1\n"
                            "b 1 -1\n"
                            "b 2 1\n"
                            "c 3 -1\n"
                            "a 4 0 deleted\n"
                            "a 5 4\n");
  }

  /* force=true always writes. */
  {
    SluiceStoreTxn *txn = sluice_store_backend_begin (f->store, &error);
    size_t n = 0;

    assert_true (sluice_store_txn_append (txn, "ct", &batch3[1], 1, SLUICE_STORE_APPEND_FORCE,
                                          offsets, &n, &error));
    assert_int_equal (n, 1);
    assert_int_equal (offsets[0], 6);
    assert_true (sluice_store_txn_commit (txn, SLUICE_STORE_COMMIT_DURABLE, &error));
    assert_null (error);
  }

  /* Latest version by _id, and a version by offset. */
  {
    g_autoptr (SluiceStoreOwnedVersion) b
        = sluice_store_backend_dup_latest (f->store, "ct", "b", 1, NULL, &error);
    g_autoptr (SluiceStoreOwnedVersion) v4
        = sluice_store_backend_dup_version (f->store, "ct", 4, NULL, &error);
    g_autoptr (SluiceStoreOwnedVersion) none
        = sluice_store_backend_dup_latest (f->store, "ct", "zz", 2, NULL, &error);
    assert_null (error);
    assert_int_equal (b->offset, 6);
    assert_int_equal (b->previous, 2);
    assert_memory_equal (b->record.body, "B changed", 9);
    assert_int_equal (b->record.body_len, 9);
    assert_memory_equal (b->record.hash, batch3[1].hash, SLUICE_STORE_HASH_SIZE);
    assert_true (b->ts > 0);
    assert_string_equal (v4->record.id, "a");
    assert_true (v4->record.deleted);
    assert_memory_equal (v4->record.body, "A", 1);
    assert_null (none);
  }
}

/* Appendix B1: offsets and _previous across a JSON-push full sync. */
static void
test_previous_chain (void **state)
{
  StoreFixture *f = *state;
  SluiceStoreRecord s1[] = { rec ("a", "A", FALSE), rec ("b", "B", FALSE) };
  SluiceStoreRecord s2[] = { rec ("b", "B", FALSE) };
  SluiceStoreRecord s3[] = { rec ("a", "A (updated)", FALSE), rec ("c", "C", FALSE) };
  SluiceStoreRecord s4[] = { rec ("d", "D", FALSE) };
  SluiceStoreRecord s5[] = { rec ("a", "A", FALSE), rec ("b", "B", FALSE) };
  SluiceStoreRecord s6[] = { rec ("d", "D", FALSE), rec ("c", "C", TRUE) };
  g_autofree char *log = NULL;

  create (f->store, "mydataset");
  append (f->store, "mydataset", s1, 2, NULL);
  append (f->store, "mydataset", s2, 1, NULL);
  append (f->store, "mydataset", s3, 2, NULL);
  append (f->store, "mydataset", s4, 1, NULL);
  append (f->store, "mydataset", s5, 2, NULL);
  append (f->store, "mydataset", s6, 2, NULL);
  log = query_str (f->store, "mydataset", SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE);
  assert_string_equal (log, "a 0 -1\n"
                            "b 1 -1\n"
                            "a 2 0\n"
                            "c 3 -1\n"
                            "d 4 -1\n"
                            "a 5 2\n"
                            "c 6 3 deleted\n");
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (SluiceStoreOwnedVersion) c
        = sluice_store_backend_dup_latest (f->store, "mydataset", "c", 1, NULL, &error);
    /* A deletion keeps the last content. */
    assert_memory_equal (c->record.body, "C", 1);
  }
}

/* Appendix B2: A..Z at offsets 0..25. */
static void
test_since_letters (void **state)
{
  StoreFixture *f = *state;
  SluiceStoreRecord letters[26];
  char ids[26][2];

  create (f->store, "letters");
  for (int i = 0; i < 26; i++)
    {
      ids[i][0] = 'A' + i;
      ids[i][1] = '\0';
      letters[i] = rec (ids[i], ids[i], FALSE);
    }
  assert_int_equal (append (f->store, "letters", letters, 26, NULL), 26);

  {
    g_autofree char *all = query_ids (f->store, "letters", SLUICE_STORE_NO_OFFSET, 0);
    g_autofree char *s21 = query_ids (f->store, "letters", 21, 0);
    g_autofree char *s20l3 = query_ids (f->store, "letters", 20, 3);
    g_autofree char *s23l3 = query_ids (f->store, "letters", 23, 3);
    g_autofree char *s25 = query_ids (f->store, "letters", 25, 0);
    g_autofree char *s99 = query_ids (f->store, "letters", 99, 0);
    g_autofree char *l1 = query_ids (f->store, "letters", SLUICE_STORE_NO_OFFSET, 1);

    assert_string_equal (all, "A B C D E F G H I J K L M N O P Q R S T U V W X Y Z");
    assert_string_equal (s21, "W X Y Z");
    assert_string_equal (s20l3, "V W X");
    assert_string_equal (s23l3, "Y Z");
    assert_string_equal (s25, "");
    assert_string_equal (s99, "");
    assert_string_equal (l1, "A");
  }
  {
    SluiceStoreQuery q = { "letters", -5, 0, TRUE, TRUE };
    g_autoptr (GError) error = NULL;
    assert_null (sluice_store_backend_read (f->store, &q, &error));
    assert_string_equal (error->message,
                         "dataset 'letters': since offset -5 is negative: expected an offset ≥ 0");
  }
}

static void
test_history_deleted_filters (void **state)
{
  StoreFixture *f = *state;

  create (f->store, "h");
  append1 (f->store, "h", "a", "A", FALSE);  /* 0 */
  append1 (f->store, "h", "b", "B", FALSE);  /* 1 */
  append1 (f->store, "h", "a", "A2", FALSE); /* 2 */
  append1 (f->store, "h", "c", "C", FALSE);  /* 3 */
  append1 (f->store, "h", "b", "B", TRUE);   /* 4 */
  append1 (f->store, "h", "d", "D", FALSE);  /* 5 */
  append1 (f->store, "h", "c", "C", TRUE);   /* 6 */
  append1 (f->store, "h", "c", "C", FALSE);  /* 7 */

  {
    g_autofree char *all = query_str (f->store, "h", SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE);
    g_autofree char *no_del = query_str (f->store, "h", SLUICE_STORE_NO_OFFSET, 0, TRUE, FALSE);
    g_autofree char *latest = query_str (f->store, "h", SLUICE_STORE_NO_OFFSET, 0, FALSE, TRUE);
    g_autofree char *live = query_str (f->store, "h", SLUICE_STORE_NO_OFFSET, 0, FALSE, FALSE);
    g_autofree char *latest_since = query_str (f->store, "h", 2, 0, FALSE, TRUE);
    g_autofree char *latest_limit = query_str (f->store, "h", 0, 2, FALSE, FALSE);

    assert_string_equal (all, "a 0 -1\nb 1 -1\na 2 0\nc 3 -1\nb 4 1 deleted\nd 5 -1\n"
                              "c 6 3 deleted\nc 7 6\n");
    assert_string_equal (no_del, "a 0 -1\nb 1 -1\na 2 0\nc 3 -1\nd 5 -1\nc 7 6\n");
    assert_string_equal (latest, "a 2 0\nb 4 1 deleted\nd 5 -1\nc 7 6\n");
    assert_string_equal (live, "a 2 0\nd 5 -1\nc 7 6\n");
    assert_string_equal (latest_since, "b 4 1 deleted\nd 5 -1\nc 7 6\n");
    assert_string_equal (latest_limit, "a 2 0\nd 5 -1\n");
  }
}

/* A reader crosses many read-transaction chunks, with writes in between, and never blocks them. */
static void
test_streaming_reader (void **state)
{
  StoreFixture *f = *state;
  const int n = 20000;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree SluiceStoreRecord *records = g_new (SluiceStoreRecord, n);
  SluiceStoreQuery q = { "big", SLUICE_STORE_NO_OFFSET, 0, FALSE, TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = NULL;
  const SluiceStoreVersion *v;
  int64_t expected = 0;
  int seen = 0;

  create (f->store, "big");
  for (int i = 0; i < n; i++)
    {
      char *id = g_strdup_printf ("id-%06d", i);

      g_ptr_array_add (ids, id);
      records[i] = rec (id, "x", FALSE);
    }
  append (f->store, "big", records, n, NULL);

  cursor = sluice_store_backend_read (f->store, &q, &error);
  assert_non_null (cursor);
  while ((v = sluice_store_cursor_next (cursor, &error)) != NULL)
    {
      assert_int_equal (v->offset, expected);
      expected++;
      seen++;
      /* Writing in the middle of a read works (the reader's chunked transactions do not block
       * it), and versions appended after the reader started are read when it gets there. */
      if (seen == 5000 || seen == 12000)
        {
          SluiceStoreRecord upd = rec (g_ptr_array_index (ids, seen - 10), "y", FALSE);
          append (f->store, "big", &upd, 1, NULL);
        }
    }
  assert_null (error);
  /* The updated ids' first versions were read while they were still the latest; their new
   * versions come at the end of the log. */
  assert_int_equal (seen, n + 2);
  assert_int_equal (expected, n + 2);
}

static void
test_pipe_state_in_batch_txn (void **state)
{
  StoreFixture *f = *state;
  g_autoptr (GError) error = NULL;
  SluiceStoreRecord r = rec ("a", "A", FALSE);
  SluicePipeState ps = { (char *)"41", 3, 100, 10, 1, 1000, 2000 };
  g_auto (SluicePipeState) got = { 0 };
  SluiceStoreTxn *txn;

  create (f->store, "sink");
  assert_false (sluice_store_backend_get_pipe_state (f->store, "p", &got, &error));
  assert_null (error);
  assert_null (got.since);

  /* Aborted: neither the entity nor the offset nor the flag. */
  txn = sluice_store_backend_begin (f->store, &error);
  assert_true (sluice_store_txn_append (txn, "sink", &r, 1, 0, NULL, NULL, &error));
  assert_true (sluice_store_txn_set_pipe_state (txn, "p", &ps, &error));
  assert_true (sluice_store_txn_set_populated (txn, "sink", TRUE, &error));
  sluice_store_txn_abort (txn);
  assert_false (sluice_store_backend_get_pipe_state (f->store, "p", &got, &error));
  {
    g_autoptr (SluiceDatasetInfo) i = info (f->store, "sink");
    assert_int_equal (i->version_count, 0);
    assert_false (i->populated);
  }

  /* Committed: all three at once. */
  txn = sluice_store_backend_begin (f->store, &error);
  assert_true (sluice_store_txn_append (txn, "sink", &r, 1, 0, NULL, NULL, &error));
  assert_true (sluice_store_txn_set_pipe_state (txn, "p", &ps, &error));
  assert_true (sluice_store_txn_set_populated (txn, "sink", TRUE, &error));
  assert_true (sluice_store_txn_commit (txn, SLUICE_STORE_COMMIT_DURABLE, &error));
  assert_null (error);
  assert_true (sluice_store_backend_get_pipe_state (f->store, "p", &got, &error));
  assert_string_equal (got.since, "41");
  assert_int_equal (got.runs, 3);
  assert_int_equal (got.entities_read, 100);
  assert_int_equal (got.entities_written, 10);
  assert_int_equal (got.entities_deleted, 1);
  assert_int_equal (got.last_run_started, 1000);
  assert_int_equal (got.last_run_finished, 2000);
  {
    g_autoptr (SluiceDatasetInfo) i = info (f->store, "sink");
    assert_int_equal (i->version_count, 1);
    assert_true (i->populated);
  }
  sluice_pipe_state_clear (&got);

  /* A reset offset (NULL since) is stored as "none", not as "". */
  txn = sluice_store_backend_begin (f->store, &error);
  ps.since = NULL;
  assert_true (sluice_store_txn_set_pipe_state (txn, "p", &ps, &error));
  assert_true (sluice_store_txn_set_populated (txn, "sink", FALSE, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  assert_true (sluice_store_backend_get_pipe_state (f->store, "p", &got, &error));
  assert_null (got.since);
  assert_int_equal (got.runs, 3);
  sluice_pipe_state_clear (&got);

  txn = sluice_store_backend_begin (f->store, &error);
  assert_true (sluice_store_txn_delete_pipe_state (txn, "p", &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  assert_false (sluice_store_backend_get_pipe_state (f->store, "p", &got, &error));
  assert_null (error);

  /* Reopening finds the committed state. */
  txn = sluice_store_backend_begin (f->store, &error);
  ps.since = (char *)"end";
  assert_true (sluice_store_txn_set_pipe_state (txn, "q", &ps, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  store_fixture_reopen (f);
  assert_true (sluice_store_backend_get_pipe_state (f->store, "q", &got, &error));
  assert_string_equal (got.since, "end");
  assert_null (got.sink_position);
  sluice_pipe_state_clear (&got);

  /* The appended parts: full_run_started and a sink's position, which goes with the offset. */
  txn = sluice_store_backend_begin (f->store, &error);
  ps.full_run_started = 3000;
  ps.sink_position = (char *)"{\"file\":\"tmp\",\"size\":123}";
  assert_true (sluice_store_txn_set_pipe_state (txn, "q", &ps, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  assert_true (sluice_store_backend_get_pipe_state (f->store, "q", &got, &error));
  assert_string_equal (got.since, "end");
  assert_int_equal (got.last_run_finished, 2000);
  assert_int_equal (got.full_run_started, 3000);
  assert_string_equal (got.sink_position, "{\"file\":\"tmp\",\"size\":123}");
}

static void
test_long_ids (void **state)
{
  StoreFixture *f = *state;
  g_autofree char *long1 = g_strnfill (2000, 'x');
  g_autofree char *long2 = g_strnfill (2000, 'x');
  g_autoptr (GError) error = NULL;
  SluiceStoreRecord r[2];

  long2[1999] = 'y'; /* same first 400 bytes, different id */
  create (f->store, "l");
  r[0] = rec (long1, "1", FALSE);
  r[1] = rec (long2, "2", FALSE);
  assert_int_equal (append (f->store, "l", r, 2, NULL), 2);
  assert_int_equal (append (f->store, "l", r, 2, NULL), 0);
  {
    g_autoptr (SluiceStoreOwnedVersion) v
        = sluice_store_backend_dup_latest (f->store, "l", long2, 2000, NULL, &error);
    assert_int_equal (v->offset, 1);
    assert_int_equal (v->record.id_len, 2000);
    assert_string_equal (v->record.id, long2);
  }
}

/* Collects "id@offset" lines, sorted afterwards. */
static gboolean
collect_live (const char *id, size_t id_len, int64_t offset, gpointer user_data, GError **error)
{
  GPtrArray *lines = user_data;

  g_ptr_array_add (lines,
                   g_strdup_printf ("%.*s@%" G_GINT64_FORMAT, (int)MIN (id_len, 8), id, offset));
  if (id_len > 8)
    g_ptr_array_add (lines, g_strdup_printf ("(%zu bytes)", id_len));
  return TRUE;
}

static char *
live_str (SluiceStoreBackend *store, const char *dataset, const SluiceStoreView *view)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;

  assert_true (sluice_store_backend_scan_live (store, dataset, view, collect_live, lines, &error));
  assert_null (error);
  g_ptr_array_add (lines, NULL);
  return g_strjoinv (" ", (char **)lines->pdata);
}

static gboolean
stop_at_b (const char *id, size_t id_len, int64_t offset, gpointer user_data, GError **error)
{
  (*(int *)user_data)++;
  if (id_len == 1 && id[0] == 'b')
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INTR, "stopped at b");
      return FALSE;
    }
  return TRUE;
}

/* Deletion tracking's scan: every live id with its latest offset, deleted ids left out, long ids
 * spelled out in full although their key is hashed, other datasets and missing ones empty. */
static void
test_scan_live (void **state)
{
  StoreFixture *f = *state;
  g_autofree char *long_id = g_strnfill (1000, 'z');
  g_autoptr (GError) error = NULL;
  g_autofree char *all = NULL, *other = NULL, *missing = NULL;
  int calls = 0;

  create (f->store, "s");
  create (f->store, "t");
  append1 (f->store, "s", "a", "1", FALSE);     /* 0 */
  append1 (f->store, "s", "b", "1", FALSE);     /* 1 */
  append1 (f->store, "s", "c", "1", FALSE);     /* 2 */
  append1 (f->store, "s", "a", "2", FALSE);     /* 3 */
  append1 (f->store, "s", "b", "1", TRUE);      /* 4: b deleted */
  append1 (f->store, "s", long_id, "1", FALSE); /* 5 */
  append1 (f->store, "t", "q", "1", FALSE);
  all = live_str (f->store, "s", NULL);
  assert_string_equal (all, "a@3 c@2 zzzzzzzz@5 (1000 bytes)");
  other = live_str (f->store, "t", NULL);
  assert_string_equal (other, "q@0");
  missing = live_str (f->store, "nope", NULL);
  assert_string_equal (missing, "");

  append1 (f->store, "s", "b", "3", FALSE); /* 6: b lives again */
  assert_false (sluice_store_backend_scan_live (f->store, "s", NULL, stop_at_b, &calls, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INTR);
  assert_int_equal (calls, 2);
}

/* With SLUICE_STORE_APPEND_REPORT_KEPT an unchanged record reports the version it kept. */
static void
test_report_kept (void **state)
{
  StoreFixture *f = *state;
  g_autoptr (GError) error = NULL;
  SluiceStoreRecord r[3] = { rec ("a", "1", FALSE), rec ("b", "1", FALSE), rec ("c", "1", FALSE) };
  int64_t offsets[3];
  SluiceStoreTxn *txn;

  create (f->store, "k");
  append (f->store, "k", r, 2, NULL); /* a@0, b@1 */
  r[1] = rec ("b", "2", FALSE);
  txn = sluice_store_backend_begin (f->store, &error);
  assert_true (sluice_store_txn_append (txn, "k", r, 3, SLUICE_STORE_APPEND_REPORT_KEPT, offsets,
                                        NULL, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  assert_int_equal (offsets[0], 0); /* kept */
  assert_int_equal (offsets[1], 2); /* changed */
  assert_int_equal (offsets[2], 3); /* new */
  append (f->store, "k", r, 3, offsets);
  assert_int_equal (offsets[0], SLUICE_STORE_UNCHANGED);
  assert_int_equal (offsets[2], SLUICE_STORE_UNCHANGED);
}

const StoreCase store_conformance_dataset_cases[] = {
  { "dataset_lifecycle", test_dataset_lifecycle },
  { "dataset_names", test_dataset_names },
  { "change_tracking", test_change_tracking },
  { "previous_chain", test_previous_chain },
  { "since_letters", test_since_letters },
  { "history_deleted_filters", test_history_deleted_filters },
  { "streaming_reader", test_streaming_reader },
  { "pipe_state_in_batch_txn", test_pipe_state_in_batch_txn },
  { "long_ids", test_long_ids },
  { "scan_live", test_scan_live },
  { "report_kept", test_report_kept },
  { NULL },
};
