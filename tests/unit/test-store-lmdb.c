/* test-store-lmdb.c — the LMDB dataset store at the record level (core/store/lmdb/sluice-store-lmdb.c
 * via the backend interface): change tracking (digest Appendix B12), offsets and _previous chains
 * (B1), since reads (B2), history and deleted filters, the populated flag, pipe state in the
 * batch's transaction, compaction, dataset lifecycle, map growth and sizing at open, a full map,
 * a full disk, and a store created on a full file system. */
#define _GNU_SOURCE /* unshare */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "sluice-store-lmdb.h"
#include "test-child.h"

typedef struct
{
  char *dir;
  SluiceStoreBackend *store;
} Fixture;

static void
remove_dir (const char *dir)
{
  g_autofree char *data = g_build_filename (dir, "data.mdb", NULL);
  g_autofree char *lock = g_build_filename (dir, "lock.mdb", NULL);

  g_unlink (data);
  g_unlink (lock);
  g_rmdir (dir);
}

static SluiceStoreBackend *
open_store (const char *dir, uint64_t initial, uint64_t max)
{
  SluiceStoreLmdbOptions options = { initial, max, 0 };
  g_autoptr (GError) error = NULL;
  SluiceStoreBackend *store = sluice_store_lmdb_open (dir, &options, &error);

  assert_null (error);
  assert_non_null (store);
  return store;
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("sluice-store-XXXXXX", &error);
  assert_null (error);
  f->store = open_store (f->dir, 0, 0);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  sluice_store_backend_free (f->store);
  remove_dir (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

/* A record whose hash is derived from its content and deleted flag, like the SDK's content hash. */
static SluiceStoreRecord
rec (const char *id, const char *content, gboolean deleted)
{
  SluiceStoreRecord r = { id, strlen (id), { 0 }, deleted, content, strlen (content) };
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof (digest);

  g_checksum_update (sum, (const guchar *)id, -1);
  g_checksum_update (sum, (const guchar *)"\0", 1);
  g_checksum_update (sum, (const guchar *)content, -1);
  g_checksum_update (sum, (const guchar *)(deleted ? "D" : "L"), 1);
  g_checksum_get_digest (sum, digest, &len);
  memcpy (r.hash, digest, SLUICE_STORE_HASH_SIZE);
  return r;
}

static void
create (SluiceStoreBackend *store, const char *dataset)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetInfo) info
      = sluice_store_backend_create_dataset (store, dataset, FALSE, &error);
  assert_null (error);
  assert_non_null (info);
}

/* Appends @n records in one committed transaction; returns the number appended. */
static size_t
append (SluiceStoreBackend *store, const char *dataset, const SluiceStoreRecord *records, size_t n,
        int64_t *ret_offsets)
{
  g_autoptr (GError) error = NULL;
  SluiceStoreTxn *txn = sluice_store_backend_begin (store, &error);
  size_t appended = 0;

  assert_non_null (txn);
  assert_true (
      sluice_store_txn_append (txn, dataset, records, n, 0, ret_offsets, &appended, &error));
  assert_null (error);
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  assert_null (error);
  return appended;
}

static void
append1 (SluiceStoreBackend *store, const char *dataset, const char *id, const char *content,
         gboolean deleted)
{
  SluiceStoreRecord r = rec (id, content, deleted);

  append (store, dataset, &r, 1, NULL);
}

/* "[_id, _updated, _previous, _deleted]" of the versions a query returns, one per line. */
static char *
query_str (SluiceStoreBackend *store, const char *dataset, int64_t since, uint64_t limit,
           gboolean history, gboolean deleted)
{
  SluiceStoreQuery q = { dataset, since, limit, history, deleted };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (store, &q, &error);
  GString *out = g_string_new (NULL);
  const SluiceStoreVersion *v;

  assert_null (error);
  while ((v = sluice_store_cursor_next (cursor, &error)) != NULL)
    {
      g_string_append_printf (out, "%.*s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "%s\n",
                              (int)v->record.id_len, v->record.id, v->offset, v->previous,
                              v->record.deleted ? " deleted" : "");
    }
  assert_null (error);
  return g_string_free (out, FALSE);
}

/* Only the ids, space-separated. */
static char *
query_ids (SluiceStoreBackend *store, const char *dataset, int64_t since, uint64_t limit)
{
  SluiceStoreQuery q = { dataset, since, limit, TRUE, TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (store, &q, &error);
  GString *out = g_string_new (NULL);
  const SluiceStoreVersion *v;

  assert_null (error);
  while ((v = sluice_store_cursor_next (cursor, &error)) != NULL)
    g_string_append_printf (out, "%s%.*s", out->len ? " " : "", (int)v->record.id_len,
                            v->record.id);
  assert_null (error);
  return g_string_free (out, FALSE);
}

static SluiceDatasetInfo *
info (SluiceStoreBackend *store, const char *dataset)
{
  g_autoptr (GError) error = NULL;
  SluiceDatasetInfo *i = sluice_store_backend_dup_dataset_info (store, dataset, NULL, &error);

  assert_null (error);
  assert_non_null (i);
  return i;
}

static void
test_dataset_lifecycle (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetInfo) first = NULL, again = NULL, second = NULL, i = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autofree char *expected = NULL;

  first = sluice_store_backend_create_dataset (f->store, "people", FALSE, &error);
  assert_null (error);
  assert_string_equal (first->name, "people");
  assert_int_equal (strlen (first->generation), 36);
  assert_int_equal (first->next_offset, 0);
  assert_false (first->populated);
  assert_true (first->created > 0);

  assert_null (sluice_store_backend_create_dataset (f->store, "people", FALSE, &error));
  expected = g_strdup_printf ("store at %s: dataset 'people' exists already", f->dir);
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
  expected = g_strdup_printf ("store at %s: no dataset 'people'", f->dir);
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
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;

  assert_null (sluice_store_backend_create_dataset (f->store, "a/b", FALSE, &error));
  assert_string_equal (error->message,
                       "dataset id 'a/b' contains '/': dataset ids must not contain '/'");
  assert_true (g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_INVALID));
  g_clear_error (&error);
  assert_null (sluice_store_backend_create_dataset (f->store, "", FALSE, &error));
  assert_string_equal (error->message, "dataset id is empty: expected a non-empty string");
  g_clear_error (&error);

  {
    SluiceStoreRecord r = rec ("x", "X", FALSE);
    SluiceStoreTxn *txn;
    g_autofree char *expected = g_strdup_printf ("store at %s: no dataset 'missing'", f->dir);

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
  Fixture *f = *state;
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
  Fixture *f = *state;
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
  Fixture *f = *state;
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
  Fixture *f = *state;

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
  Fixture *f = *state;
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
  Fixture *f = *state;
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
  sluice_store_backend_free (f->store);
  f->store = open_store (f->dir, 0, 0);
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
test_compaction (void **state)
{
  Fixture *f = *state;
  SluiceCompactOptions keep2 = { 2, -1 }, keep1 = { 1, -1 }, zero = { 0, -1 }, young = { 0, 1 };
  SluiceCompactStats stats = { 0 };
  g_autoptr (GError) error = NULL;

  create (f->store, "c");
  append1 (f->store, "c", "x", "1", FALSE); /* 0 */
  append1 (f->store, "c", "y", "1", FALSE); /* 1 */
  append1 (f->store, "c", "x", "2", FALSE); /* 2 */
  append1 (f->store, "c", "x", "2", TRUE);  /* 3: a deleted version counts as a version */
  append1 (f->store, "c", "x", "4", FALSE); /* 4 */
  append1 (f->store, "c", "z", "1", FALSE); /* 5 */
  append1 (f->store, "c", "z", "1", TRUE);  /* 6 */

  assert_false (sluice_store_backend_compact (f->store, "c", &zero, &stats, &error));
  assert_string_equal (error->message,
                       "dataset 'c': compaction.keep_versions is 0 without "
                       "compaction.time_threshold_hours: expected keep_versions ≥ 1 or a time "
                       "threshold");
  g_clear_error (&error);

  /* A one-hour threshold protects everything just written. */
  assert_true (sluice_store_backend_compact (f->store, "c", &young, &stats, &error));
  assert_int_equal (stats.versions_removed, 0);
  assert_int_equal (stats.ids_visited, 3);

  assert_true (sluice_store_backend_compact (f->store, "c", &keep2, &stats, &error));
  assert_null (error);
  assert_int_equal (stats.versions_removed, 2);
  {
    g_autofree char *s = query_str (f->store, "c", SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE);
    g_autoptr (SluiceDatasetInfo) i = info (f->store, "c");
    g_autoptr (SluiceStoreOwnedVersion) gone
        = sluice_store_backend_dup_version (f->store, "c", 2, NULL, &error);
    /* _previous of offset 3 still says 2, which compaction removed. */
    assert_string_equal (s, "y 1 -1\nx 3 2 deleted\nx 4 3\nz 5 -1\nz 6 5 deleted\n");
    assert_int_equal (i->version_count, 5);
    assert_int_equal (i->next_offset, 7);
    assert_int_equal (i->entity_count, 2);
    assert_null (gone);
    assert_null (error);
  }

  /* Compacting again changes nothing; keep 1 keeps the latest, deleted or not. */
  assert_true (sluice_store_backend_compact (f->store, "c", &keep2, &stats, &error));
  assert_int_equal (stats.versions_removed, 0);
  assert_true (sluice_store_backend_compact (f->store, "c", &keep1, &stats, &error));
  assert_int_equal (stats.versions_removed, 2);
  {
    g_autofree char *s = query_str (f->store, "c", SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE);
    assert_string_equal (s, "y 1 -1\nx 4 3\nz 6 5 deleted\n");
  }
  /* Appending after compaction continues the chain and the offsets. */
  append1 (f->store, "c", "x", "5", FALSE);
  {
    g_autofree char *s = query_str (f->store, "c", 4, 0, TRUE, TRUE);
    assert_string_equal (s, "z 6 5 deleted\nx 7 4\n");
  }
  {
    SluiceCompactOptions bad = { -1, -1 };
    assert_false (sluice_store_backend_compact (f->store, "c", &bad, &stats, &error));
    assert_string_equal (error->message,
                         "dataset 'c': compaction.keep_versions is -1: expected a number ≥ 0");
  }
}

/* Compaction across chunk boundaries, with time threshold 0 and keep_versions 0. */
static void
test_compaction_many (void **state)
{
  Fixture *f = *state;
  const int n = 5000;
  SluiceCompactOptions opts = { 0, 0 };
  SluiceCompactStats stats = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree SluiceStoreRecord *records = g_new (SluiceStoreRecord, n);

  create (f->store, "m");
  for (int i = 0; i < n; i++)
    g_ptr_array_add (ids, g_strdup_printf ("%d", i));
  for (int round = 0; round < 3; round++)
    {
      g_autofree char *content = g_strdup_printf ("v%d", round);

      for (int i = 0; i < n; i++)
        records[i] = rec (g_ptr_array_index (ids, i), content, FALSE);
      append (f->store, "m", records, n, NULL);
    }
  assert_true (sluice_store_backend_compact (f->store, "m", &opts, &stats, &error));
  assert_null (error);
  assert_int_equal (stats.ids_visited, n);
  assert_int_equal (stats.versions_removed, 2 * n);
  {
    g_autoptr (SluiceDatasetInfo) i = info (f->store, "m");
    g_autofree char *first = query_str (f->store, "m", SLUICE_STORE_NO_OFFSET, 1, TRUE, TRUE);
    g_autofree char *expected = g_strdup_printf ("0 %d %d\n", 2 * n, n);
    assert_int_equal (i->version_count, n);
    assert_int_equal (i->entity_count, n);
    assert_string_equal (first, expected);
  }
}

static void
test_long_ids (void **state)
{
  Fixture *f = *state;
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

  g_ptr_array_add (lines, g_strdup_printf ("%.*s@%" G_GINT64_FORMAT, (int)MIN (id_len, 8), id,
                                           offset));
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
  Fixture *f = *state;
  g_autofree char *long_id = g_strnfill (1000, 'z');
  g_autoptr (GError) error = NULL;
  g_autofree char *all = NULL, *other = NULL, *missing = NULL;
  int calls = 0;

  create (f->store, "s");
  create (f->store, "t");
  append1 (f->store, "s", "a", "1", FALSE);       /* 0 */
  append1 (f->store, "s", "b", "1", FALSE);       /* 1 */
  append1 (f->store, "s", "c", "1", FALSE);       /* 2 */
  append1 (f->store, "s", "a", "2", FALSE);       /* 3 */
  append1 (f->store, "s", "b", "1", TRUE);        /* 4: b deleted */
  append1 (f->store, "s", long_id, "1", FALSE);   /* 5 */
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
  Fixture *f = *state;
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

/* A 1 MiB map grows as data arrives, also in the middle of a multi-batch transaction. */
static void
test_map_growth (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *body = g_strnfill (1000, 'b');
  SluiceStoreTxn *txn;
  uint64_t before;

  sluice_store_backend_free (f->store);
  f->store = open_store (f->dir, 1 << 20, 256 << 20);
  before = sluice_store_lmdb_get_map_size (f->store);
  create (f->store, "g");
  txn = sluice_store_backend_begin (f->store, &error);
  for (int b = 0; b < 20; b++)
    {
      SluiceStoreRecord records[500];
      g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
      SluicePipeState ps = { g_strdup_printf ("%d", b) };

      for (int i = 0; i < 500; i++)
        {
          char *id = g_strdup_printf ("%d-%d", b, i);
          g_ptr_array_add (ids, id);
          records[i] = (SluiceStoreRecord){ id, strlen (id), { b, i & 0xff }, FALSE, body, 1000 };
        }
      assert_true (sluice_store_txn_append (txn, "g", records, 500, 0, NULL, NULL, &error));
      assert_null (error);
      assert_true (sluice_store_txn_set_pipe_state (txn, "gp", &ps, &error));
      g_free (ps.since);
    }
  assert_true (sluice_store_txn_commit (txn, 0, &error));
  assert_null (error);
  assert_true (sluice_store_lmdb_get_map_size (f->store) > before);
  {
    g_autoptr (SluiceDatasetInfo) i = info (f->store, "g");
    g_auto (SluicePipeState) ps = { 0 };
    assert_int_equal (i->version_count, 10000);
    assert_true (sluice_store_backend_get_pipe_state (f->store, "gp", &ps, &error));
    assert_string_equal (ps.since, "19");
  }
}

/* The map of a reopened store starts at the store's size with room to grow, not at the configured
 * initial size: the first transactions after a start do not have to grow it. */
static void
test_map_sized_at_open (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *data = g_build_filename (f->dir, "data.mdb", NULL);
  g_autofree char *body = g_strnfill (64 << 10, 'b');
  GStatBuf st;
  uint64_t opened;

  sluice_store_backend_free (f->store);
  f->store = open_store (f->dir, 1 << 20, 0);
  create (f->store, "big");
  for (int i = 0; i < 48; i++)
    {
      g_autofree char *id = g_strdup_printf ("r%d", i);
      SluiceStoreRecord r = { id, strlen (id), { i }, FALSE, body, 64 << 10 };

      append (f->store, "big", &r, 1, NULL);
    }
  sluice_store_backend_free (f->store);
  assert_int_equal (g_stat (data, &st), 0);
  assert_true ((uint64_t)st.st_size > (3 << 20));

  f->store = open_store (f->dir, 1 << 20, 0);
  opened = sluice_store_lmdb_get_map_size (f->store);
  /* At most half used, in doublings of the initial size. */
  assert_true (opened >= 2 * (uint64_t)st.st_size);
  assert_true (opened < 4 * (uint64_t)st.st_size);
  assert_int_equal (opened & (opened - 1), 0);
  append1 (f->store, "big", "after", "1", FALSE);
  assert_int_equal (sluice_store_lmdb_get_map_size (f->store), opened);

  /* A maximum below that wins, as long as the data fits. */
  sluice_store_backend_free (f->store);
  f->store = open_store (f->dir, 1 << 20, 5 << 20);
  assert_int_equal (sluice_store_lmdb_get_map_size (f->store), 5 << 20);
}

/* A map that may not grow further: a clear error, and nothing of the failed transaction. */
static void
test_map_full (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  g_autofree char *body = g_strnfill (4000, 'b');
  g_autofree char *expected = NULL;
  SluiceStoreRecord records[100];
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  SluicePipeState ps = { (char *)"ok" };
  SluiceStoreTxn *txn;
  gboolean ok = TRUE;
  int b;

  sluice_store_backend_free (f->store);
  f->store = open_store (f->dir, 1 << 20, 2 << 20);
  create (f->store, "full");
  append1 (f->store, "full", "first", "1", FALSE);
  txn = sluice_store_backend_begin (f->store, &error);
  assert_true (sluice_store_txn_set_pipe_state (txn, "fp", &ps, &error));
  assert_true (sluice_store_txn_commit (txn, 0, &error));

  for (int i = 0; i < 100; i++)
    {
      char *id = g_strdup_printf ("r%d", i);
      g_ptr_array_add (ids, id);
      records[i] = (SluiceStoreRecord){ id, strlen (id), { 0 }, FALSE, body, 4000 };
    }
  txn = sluice_store_backend_begin (f->store, &error);
  ps.since = (char *)"bad";
  assert_true (sluice_store_txn_set_pipe_state (txn, "fp", &ps, &error));
  for (b = 0; b < 10 && ok; b++)
    {
      for (int i = 0; i < 100; i++)
        records[i].hash[0] = b + 1;
      ok = sluice_store_txn_append (txn, "full", records, 100, 0, NULL, NULL, &error);
    }
  if (ok)
    ok = sluice_store_txn_commit (txn, 0, &error);
  else
    sluice_store_txn_abort (txn);
  assert_false (ok);
  expected = g_strdup_printf ("store at %s: the store reached its maximum size of 2 MiB while "
                              "appending to dataset 'full'; nothing of the transaction was stored",
                              f->dir);
  assert_string_equal (error->message, expected);
  assert_true (g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_SIZE_LIMIT));
  g_clear_error (&error);

  {
    g_autoptr (SluiceDatasetInfo) i = info (f->store, "full");
    g_auto (SluicePipeState) got = { 0 };
    g_autofree char *all = query_ids (f->store, "full", SLUICE_STORE_NO_OFFSET, 0);
    assert_int_equal (i->version_count, 1);
    assert_string_equal (all, "first");
    assert_true (sluice_store_backend_get_pipe_state (f->store, "fp", &got, &error));
    assert_string_equal (got.since, "ok");
  }
  /* Small writes still work. */
  append1 (f->store, "full", "second", "2", FALSE);
}

/* A full disk (here: a file size limit) fails the commit with a clear error and leaves the store as
 * it was.  Runs in a child so that the limit does not touch the test runner. */
static void
test_disk_full (void **state)
{
  Fixture *f = *state;
  g_autofree char *data = g_build_filename (f->dir, "data.mdb", NULL);
  g_autofree char *body = g_strnfill (8000, 'b');
  GStatBuf st;
  pid_t pid;
  int status;

  create (f->store, "disk");
  append1 (f->store, "disk", "before", "1", FALSE);
  sluice_store_backend_free (f->store);
  f->store = NULL;
  assert_int_equal (g_stat (data, &st), 0);

  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      struct rlimit limit = { st.st_size + 64 * 1024, st.st_size + 64 * 1024 };
      g_autoptr (GError) error = NULL;
      g_autofree char *expected = NULL;
      SluiceStoreBackend *store = open_store (f->dir, 0, 0);
      SluiceStoreRecord records[100];
      SluiceStoreTxn *txn;
      gboolean ok;

      signal (SIGXFSZ, SIG_IGN);
      setrlimit (RLIMIT_FSIZE, &limit);
      for (int i = 0; i < 100; i++)
        {
          char *id = g_strdup_printf ("r%d", i);
          records[i] = (SluiceStoreRecord){ id, strlen (id), { 1 }, FALSE, body, 8000 };
        }
      txn = sluice_store_backend_begin (store, &error);
      ok = sluice_store_txn_append (txn, "disk", records, 100, 0, NULL, NULL, &error);
      if (!ok)
        _exit (10);
      ok = sluice_store_txn_commit (txn, 0, &error);
      if (ok)
        _exit (11);
      expected = g_strdup_printf ("store at %s: disk full while appending to dataset 'disk'; "
                                  "nothing of the transaction was stored",
                                  f->dir);
      if (strcmp (error->message, expected) != 0)
        {
          g_printerr ("unexpected message: %s\n", error->message);
          _exit (12);
        }
      if (!g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_DISK_FULL))
        _exit (13);
      _exit (0);
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);

  f->store = open_store (f->dir, 0, 0);
  {
    g_autoptr (SluiceDatasetInfo) i = info (f->store, "disk");
    g_autofree char *all = query_ids (f->store, "disk", SLUICE_STORE_NO_OFFSET, 0);
    assert_int_equal (i->version_count, 1);
    assert_int_equal (i->next_offset, 1);
    assert_string_equal (all, "before");
  }
  append1 (f->store, "disk", "after", "2", FALSE);
}

/* Store creation on a full file system.  The child that runs it mounts a small tmpfs in a mount
 * namespace of its own (and a user namespace when it is not root), so nothing outside it sees the
 * mount. */

#define FULL_FS_SIZE (512 << 10)
#define FULL_FS_PAGE 4096
#define FULL_FS_CASES 24 /* free pages left, 0 … FULL_FS_CASES - 1 */
#define CHILD_SKIP 77

static gboolean
write_proc_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = write (fd, text, strlen (text)) == (ssize_t)strlen (text);
  close (fd);
  return ok;
}

/* Mounts a tmpfs of @size bytes on @dir for this process only: in a mount namespace of its own
 * (root), or of a user namespace of its own (anyone, where the system allows it).  FALSE when
 * neither can be had. */
static gboolean
mount_private_tmpfs (const char *dir, size_t size)
{
  g_autofree char *options = g_strdup_printf ("size=%zu,mode=0700", size);

  if (geteuid () != 0 || unshare (CLONE_NEWNS) != 0)
    {
      g_autofree char *uid_map = g_strdup_printf ("%u %u 1\n", geteuid (), geteuid ());
      g_autofree char *gid_map = g_strdup_printf ("%u %u 1\n", getegid (), getegid ());

      if (unshare (CLONE_NEWUSER | CLONE_NEWNS) != 0
          || !write_proc_file ("/proc/self/setgroups", "deny")
          || !write_proc_file ("/proc/self/uid_map", uid_map)
          || !write_proc_file ("/proc/self/gid_map", gid_map))
        return FALSE;
    }
  /* Nothing mounted here may propagate to the namespace the test runs in. */
  return mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0
         && mount ("sluice-test", dir, "tmpfs", 0, options) == 0;
}

/* Fills the file system of @dir with one file until @left bytes are free; returns its path. */
static char *
fill_fs (const char *dir, size_t left)
{
  char *path = g_build_filename (dir, "filler", NULL);
  char block[FULL_FS_PAGE];
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  struct stat st;

  if (fd < 0)
    sluice_test_child_fail ("cannot create %s: %s", path, g_strerror (errno));
  memset (block, 'f', sizeof block);
  while (write (fd, block, sizeof block) == sizeof block)
    ;
  if (fstat (fd, &st) != 0 || (size_t)st.st_size < left
      || ftruncate (fd, st.st_size / FULL_FS_PAGE * FULL_FS_PAGE - left) != 0)
    sluice_test_child_fail ("cannot fill %s", dir);
  close (fd);
  return path;
}

/* A store operation on a full file system either works or fails with DISK_FULL. */
static void
expect_ok_or_disk_full (gboolean ok, GError *error, const char *what)
{
  if (!ok && !g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_DISK_FULL))
    sluice_test_child_fail ("%s: expected success or a disk-full error, got: %s", what,
                            error != NULL ? error->message : "(no error)");
}

/* Creates a dataset (when needed) and appends one record in one transaction. */
static gboolean
try_write (SluiceStoreBackend *store, const char *id, GError **error)
{
  SluiceStoreRecord r = rec (id, "body", FALSE);
  g_autoptr (SluiceDatasetInfo) created = NULL;
  SluiceStoreTxn *txn = sluice_store_backend_begin (store, error);

  if (txn == NULL)
    return FALSE;
  created = sluice_store_txn_create_dataset (txn, "d", TRUE, error);
  if (created == NULL || !sluice_store_txn_append (txn, "d", &r, 1, 0, NULL, NULL, error))
    {
      sluice_store_txn_abort (txn);
      return FALSE;
    }
  return sluice_store_txn_commit (txn, SLUICE_STORE_COMMIT_DURABLE, error);
}

/* The ids of dataset "d", space-separated; NULL on failure. */
static char *
read_ids (SluiceStoreBackend *store, GError **error)
{
  SluiceStoreQuery q = { "d", SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE };
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (store, &q, error);
  g_autoptr (GString) out = g_string_new (NULL);
  const SluiceStoreVersion *v;

  if (cursor == NULL)
    return NULL;
  while ((v = sluice_store_cursor_next (cursor, error)) != NULL)
    g_string_append_printf (out, "%s%.*s", out->len ? " " : "", (int)v->record.id_len,
                            v->record.id);
  if (*error != NULL)
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* One amount of free space, @pages pages.  TRUE when the store could be created with it. */
static gboolean
full_fs_case (const char *mnt, int pages)
{
  g_autofree char *dir = g_strdup_printf ("%s/store-%d", mnt, pages);
  g_autofree char *lock = g_build_filename (dir, "lock.mdb", NULL);
  g_autofree char *filler = fill_fs (mnt, (size_t)pages * FULL_FS_PAGE);
  g_autoptr (GError) error = NULL;
  g_autofree char *ids = NULL;
  SluiceStoreBackend *store = sluice_store_lmdb_open (dir, NULL, &error);
  gboolean created = store != NULL, written = FALSE;
  struct stat st;

  /* With too little space, opening fails with a message that names the file and the reason. */
  if (!created)
    {
      g_autofree char *lead = g_strdup_printf ("store at %s: cannot create %s/", dir, dir);

      if (!g_error_matches (error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_DISK_FULL)
          || !g_str_has_prefix (error->message, lead)
          || strstr (error->message, "the file system is full") == NULL)
        sluice_test_child_fail ("%d free pages: unexpected error: %s", pages, error->message);
      g_clear_error (&error);
    }
  else
    {
      written = try_write (store, "tight", &error);
      expect_ok_or_disk_full (written, error, "writing with little space");
      g_clear_error (&error);
      sluice_store_backend_free (store);
    }

  /* Once there is space again, the store opens and works: nothing half-made is in the way. */
  g_unlink (filler);
  store = sluice_store_lmdb_open (dir, NULL, &error);
  if (store == NULL)
    sluice_test_child_fail ("%d free pages, then space again: %s", pages, error->message);
  /* Every block of the lock file is allocated: LMDB did not extend it past what the store
   * allocated (a reader slot on a page without blocks would be the next SIGBUS). */
  if (stat (lock, &st) != 0 || (uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size)
    sluice_test_child_fail ("%s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes allocated",
                            lock, (uint64_t)st.st_blocks * 512, (uint64_t)st.st_size);
  if (!try_write (store, "roomy", &error))
    sluice_test_child_fail ("%d free pages, then space again: %s", pages, error->message);
  sluice_store_backend_free (store);

  /* An existing store opens and reads on a full file system; a write fails cleanly. */
  g_free (filler);
  filler = fill_fs (mnt, 0);
  store = sluice_store_lmdb_open (dir, NULL, &error);
  if (store == NULL)
    sluice_test_child_fail ("%d free pages, reopened when full: %s", pages, error->message);
  ids = read_ids (store, &error);
  if (ids == NULL)
    sluice_test_child_fail ("%d free pages, reopened when full: %s", pages, error->message);
  if (strcmp (ids, written ? "tight roomy" : "roomy") != 0)
    sluice_test_child_fail ("%d free pages, reopened when full: read '%s'", pages, ids);
  if (!try_write (store, "full", &error))
    expect_ok_or_disk_full (FALSE, error, "writing when full");
  sluice_store_backend_free (store);
  g_unlink (filler);
  remove_dir (dir);
  return created;
}

static void
full_fs_child (gpointer data)
{
  const char *mnt = data;
  int created = 0;

  if (!mount_private_tmpfs (mnt, FULL_FS_SIZE))
    {
      fprintf (stderr, "no tmpfs in a private mount namespace: %s\n", g_strerror (errno));
      _exit (CHILD_SKIP);
    }
  for (int pages = 0; pages < FULL_FS_CASES; pages++)
    created += full_fs_case (mnt, pages);
  /* The largest amounts are enough to create a store. */
  if (created == 0)
    sluice_test_child_fail ("no store could be created with up to %d free pages", FULL_FS_CASES);
}

/* A store created on a full file system: never SIGBUS (LMDB writes its lock file through a
 * map), a clear error, and nothing left behind that breaks the next open.  Every amount of free
 * space from none to enough is tried. */
static void
test_create_on_full_fs (void **state)
{
  char *mnt = g_dir_make_tmp ("sluice-fullfs-XXXXXX", NULL);
  gboolean ok;
  int status;

  assert_non_null (mnt);
  ok = sluice_test_run_child (full_fs_child, mnt, &status);
  g_rmdir (mnt);
  g_free (mnt);
  if (WIFEXITED (status) && WEXITSTATUS (status) == CHILD_SKIP)
    skip ();
  assert_true (ok);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_dataset_lifecycle, setup, teardown),
    cmocka_unit_test_setup_teardown (test_dataset_names, setup, teardown),
    cmocka_unit_test_setup_teardown (test_change_tracking, setup, teardown),
    cmocka_unit_test_setup_teardown (test_previous_chain, setup, teardown),
    cmocka_unit_test_setup_teardown (test_since_letters, setup, teardown),
    cmocka_unit_test_setup_teardown (test_history_deleted_filters, setup, teardown),
    cmocka_unit_test_setup_teardown (test_streaming_reader, setup, teardown),
    cmocka_unit_test_setup_teardown (test_pipe_state_in_batch_txn, setup, teardown),
    cmocka_unit_test_setup_teardown (test_compaction, setup, teardown),
    cmocka_unit_test_setup_teardown (test_compaction_many, setup, teardown),
    cmocka_unit_test_setup_teardown (test_long_ids, setup, teardown),
    cmocka_unit_test_setup_teardown (test_scan_live, setup, teardown),
    cmocka_unit_test_setup_teardown (test_report_kept, setup, teardown),
    cmocka_unit_test_setup_teardown (test_map_growth, setup, teardown),
    cmocka_unit_test_setup_teardown (test_map_sized_at_open, setup, teardown),
    cmocka_unit_test_setup_teardown (test_map_full, setup, teardown),
    cmocka_unit_test_setup_teardown (test_disk_full, setup, teardown),
    cmocka_unit_test (test_create_on_full_fs),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
