/* test-store-growth.c — the LMDB store's map grows, and is sized at open, while several threads
 * use the store.
 *
 * LMDB's map of data.mdb moves when the map is resized; a thread that reads through it meanwhile
 * (starting a transaction, mdb_env_info, mdb_env_sync) dies of SIGSEGV.  Two scenarios, each run
 * in child processes so that a crash is counted instead of ending the test:
 *
 *   - growth: writer threads append in transactions of their own with their pipe state (as pipes
 *     do) while reader threads stream, look up and list, in a store whose map starts at 1 MiB
 *     and grows several times;
 *   - restarts: a store larger than ¾ of its configured initial map (the threshold at which the
 *     map grows) is opened again and again, each time with two writers starting at once.
 *
 * Afterwards the parent reopens the store and reads back every entity the children wrote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sluice-store-lmdb.h"
#include "test-child.h"
#include "test-tree.h"

#define SMALL_MAP ((uint64_t)1 << 20)

#define GROWTH_ROUNDS 8
#define GROWTH_WRITERS 4
#define GROWTH_READERS 2
#define GROWTH_TXNS 30
#define GROWTH_BATCH 80
#define GROWTH_BODY 1500

#define RESTART_STARTS 100
#define RESTART_WRITERS 2
#define RESTART_TXNS 3
#define RESTART_FILL (3 << 20) /* bytes of bodies written before the first start */

static const SluiceStoreLmdbOptions small_map = { SMALL_MAP, 0, 0 };

static SluiceStoreBackend *
child_open (const char *dir)
{
  g_autoptr (GError) error = NULL;
  SluiceStoreBackend *store = sluice_store_lmdb_open (dir, &small_map, &error);

  if (store == NULL)
    sluice_test_child_fail ("child: %s", error->message);
  return store;
}

/* Appends @n records with ids "@prefix-i" to @dataset in one transaction, with @pipe's state (since
 * = @since), as a pipe commits a batch.  FALSE with @error set on failure. */
static gboolean
write_batch (SluiceStoreBackend *store, const char *dataset, const char *pipe, const char *prefix,
             int n, const char *body, size_t body_len, int64_t since, GError **error)
{
  g_autofree SluiceStoreRecord *records = g_new0 (SluiceStoreRecord, n);
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *since_text = g_strdup_printf ("%" G_GINT64_FORMAT, since);
  SluicePipeState state = { since_text, (uint64_t)since };
  SluiceStoreTxn *txn;

  for (int i = 0; i < n; i++)
    {
      char *id = g_strdup_printf ("%s-%d", prefix, i);

      g_ptr_array_add (ids, id);
      records[i] = (SluiceStoreRecord){ id, strlen (id), { 0 }, FALSE, body, body_len };
      memcpy (records[i].hash, &since, sizeof (since));
      records[i].hash[8] = (uint8_t)i;
    }
  txn = sluice_store_backend_begin (store, error);
  if (txn == NULL)
    return FALSE;
  if (!sluice_store_txn_append (txn, dataset, records, n, 0, NULL, NULL, error)
      || !sluice_store_txn_set_pipe_state (txn, pipe, &state, error))
    {
      sluice_store_txn_abort (txn);
      return FALSE;
    }
  return sluice_store_txn_commit (txn, 0, error);
}

/* Every id of @dataset, in offset order. */
static GPtrArray *
read_ids (SluiceStoreBackend *store, const char *dataset, GError **error)
{
  SluiceStoreQuery q = { dataset, SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE };
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (store, &q, error);
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  const SluiceStoreVersion *v;

  if (cursor == NULL)
    return NULL;
  while ((v = sluice_store_cursor_next (cursor, error)) != NULL)
    g_ptr_array_add (ids, g_strndup (v->record.id, v->record.id_len));
  if (*error != NULL)
    return NULL;
  return g_steal_pointer (&ids);
}

/* Growth under concurrent writers and readers. */

typedef struct
{
  SluiceStoreBackend *store;
  int index;
  gint *writers_left;
  GError *error;
} Worker;

static gpointer
growth_writer (gpointer data)
{
  Worker *w = data;
  g_autofree char *dataset = g_strdup_printf ("w%d", w->index);
  g_autofree char *body = g_strnfill (GROWTH_BODY, 'a' + w->index);

  for (int t = 1; t <= GROWTH_TXNS && w->error == NULL; t++)
    {
      g_autofree char *prefix = g_strdup_printf ("%d", t);

      write_batch (w->store, dataset, dataset, prefix, GROWTH_BATCH, body, GROWTH_BODY, t,
                   &w->error);
    }
  g_atomic_int_dec_and_test (w->writers_left);
  return NULL;
}

static gpointer
growth_reader (gpointer data)
{
  Worker *w = data;

  while (g_atomic_int_get (w->writers_left) > 0 && w->error == NULL)
    {
      g_autofree char *dataset = g_strdup_printf ("w%d", w->index % GROWTH_WRITERS);
      g_autoptr (GPtrArray) ids = read_ids (w->store, dataset, &w->error);
      g_autoptr (GPtrArray) list = NULL;
      g_autoptr (SluiceStoreOwnedVersion) first = NULL;

      if (ids == NULL)
        break;
      first = sluice_store_backend_dup_latest (w->store, dataset, "1-0", 3, NULL, &w->error);
      if (w->error != NULL)
        break;
      list = sluice_store_backend_list_datasets (w->store, &w->error);
      if (list == NULL)
        break;
      w->index++;
    }
  return NULL;
}

typedef struct
{
  const char *dir;
  int report_fd; /* receives the map size at the end */
} GrowthChild;

static void
growth_child (gpointer data)
{
  const GrowthChild *child = data;
  SluiceStoreBackend *store = child_open (child->dir);
  Worker workers[GROWTH_WRITERS + GROWTH_READERS] = { 0 };
  GThread *threads[GROWTH_WRITERS + GROWTH_READERS];
  gint writers_left = GROWTH_WRITERS;
  uint64_t map_size;

  for (int i = 0; i < GROWTH_WRITERS; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *dataset = g_strdup_printf ("w%d", i);
      g_autoptr (SluiceDatasetInfo) created
          = sluice_store_backend_create_dataset (store, dataset, FALSE, &error);

      if (created == NULL)
        sluice_test_child_fail ("child: %s", error->message);
    }
  for (int i = 0; i < GROWTH_WRITERS + GROWTH_READERS; i++)
    {
      workers[i] = (Worker){ store, i, &writers_left, NULL };
      threads[i]
          = g_thread_new (NULL, i < GROWTH_WRITERS ? growth_writer : growth_reader, &workers[i]);
    }
  for (int i = 0; i < GROWTH_WRITERS + GROWTH_READERS; i++)
    g_thread_join (threads[i]);
  for (int i = 0; i < GROWTH_WRITERS + GROWTH_READERS; i++)
    if (workers[i].error != NULL)
      sluice_test_child_fail ("child: %s %d: %s", i < GROWTH_WRITERS ? "writer" : "reader", i,
                              workers[i].error->message);
  map_size = sluice_store_lmdb_get_map_size (store);
  if (write (child->report_fd, &map_size, sizeof map_size) != sizeof map_size)
    sluice_test_child_fail ("child: cannot report");
  sluice_store_backend_free (store);
}

/* Every batch of every writer is there, once, and each pipe state names the last batch. */
static void
verify_growth (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreBackend) store = sluice_store_lmdb_open (dir, &small_map, &error);

  assert_non_null (store);
  for (int w = 0; w < GROWTH_WRITERS; w++)
    {
      g_autofree char *dataset = g_strdup_printf ("w%d", w);
      g_autoptr (GPtrArray) ids = read_ids (store, dataset, &error);
      g_auto (SluicePipeState) state = { 0 };

      assert_null (error);
      assert_int_equal (ids->len, GROWTH_TXNS * GROWTH_BATCH);
      for (guint i = 0; i < ids->len; i++)
        {
          g_autofree char *expected
              = g_strdup_printf ("%u-%u", i / GROWTH_BATCH + 1, i % GROWTH_BATCH);
          assert_string_equal (g_ptr_array_index (ids, i), expected);
        }
      assert_true (sluice_store_backend_get_pipe_state (store, dataset, &state, &error));
      assert_string_equal (state.since, G_STRINGIFY (GROWTH_TXNS));
    }
}

static void
test_growth_under_concurrency (void **state)
{
  int crashed = 0, growths = 0;

  for (int round = 0; round < GROWTH_ROUNDS; round++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *dir = g_dir_make_tmp ("sluice-growth-XXXXXX", &error);
      uint64_t map_size = 0;
      GrowthChild child = { dir };
      int fds[2];
      gboolean ok;

      assert_non_null (dir);
      assert_int_equal (pipe (fds), 0);
      child.report_fd = fds[1];
      ok = sluice_test_run_child (growth_child, &child, NULL);
      close (fds[1]);
      if (read (fds[0], &map_size, sizeof map_size) != sizeof map_size)
        map_size = 0;
      close (fds[0]);
      if (ok)
        {
          assert_true (map_size >= SMALL_MAP << 4);
          growths += g_bit_nth_msf (map_size / SMALL_MAP, -1);
          verify_growth (dir);
        }
      else
        crashed++;
      sluice_test_remove_tree (dir);
    }
  printf ("# growth: %d rounds of %d writers and %d readers, %d growths, %d crashed\n",
          GROWTH_ROUNDS, GROWTH_WRITERS, GROWTH_READERS, growths, crashed);
  assert_int_equal (crashed, 0);
}

/* Restarts of a large store with two writers starting at once. */

typedef struct
{
  SluiceStoreBackend *store;
  int start, index;
  GMutex *gate_lock;
  GCond *gate;
  int *waiting;
  GError *error;
} Starter;

static gpointer
restart_writer (gpointer data)
{
  Starter *s = data;

  /* Both writers begin their first transaction at the same moment. */
  g_mutex_lock (s->gate_lock);
  if (++*s->waiting == RESTART_WRITERS)
    g_cond_broadcast (s->gate);
  while (*s->waiting < RESTART_WRITERS)
    g_cond_wait (s->gate, s->gate_lock);
  g_mutex_unlock (s->gate_lock);

  for (int t = 0; t < RESTART_TXNS && s->error == NULL; t++)
    {
      g_autofree char *prefix = g_strdup_printf ("s%d-w%d-t%d", s->start, s->index, t);
      g_autofree char *pipe = g_strdup_printf ("p%d", s->index);

      write_batch (s->store, "restart", pipe, prefix, 1, "x", 1, s->start, &s->error);
    }
  return NULL;
}

typedef struct
{
  const char *dir;
  int start;
} RestartChild;

static void
restart_child (gpointer data)
{
  const RestartChild *child = data;
  SluiceStoreBackend *store = child_open (child->dir);
  Starter starters[RESTART_WRITERS];
  GThread *threads[RESTART_WRITERS];
  GMutex gate_lock;
  GCond gate;
  int waiting = 0;

  g_mutex_init (&gate_lock);
  g_cond_init (&gate);
  for (int i = 0; i < RESTART_WRITERS; i++)
    {
      starters[i] = (Starter){ store, child->start, i, &gate_lock, &gate, &waiting };
      threads[i] = g_thread_new (NULL, restart_writer, &starters[i]);
    }
  for (int i = 0; i < RESTART_WRITERS; i++)
    g_thread_join (threads[i]);
  for (int i = 0; i < RESTART_WRITERS; i++)
    if (starters[i].error != NULL)
      sluice_test_child_fail ("child: writer %d: %s", i, starters[i].error->message);
  g_mutex_clear (&gate_lock);
  g_cond_clear (&gate);
  sluice_store_backend_free (store);
}

typedef struct
{
  char *dir;
  GHashTable *expected; /* the ids the store must hold */
} RestartFixture;

static int
restart_setup (void **state)
{
  RestartFixture *f = g_new0 (RestartFixture, 1);

  f->dir = g_dir_make_tmp ("sluice-restart-XXXXXX", NULL);
  f->expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  *state = f;
  return f->dir != NULL ? 0 : -1;
}

static int
restart_teardown (void **state)
{
  RestartFixture *f = *state;

  if (f->dir != NULL)
    sluice_test_remove_tree (f->dir);
  g_free (f->dir);
  g_hash_table_unref (f->expected);
  g_free (f);
  return 0;
}

static void
test_restart_large_store (void **state)
{
  RestartFixture *f = *state;
  const char *dir = f->dir;
  GHashTable *expected = f->expected;
  g_autoptr (GError) error = NULL;
  int crashed = 0;

  {
    g_autoptr (SluiceStoreBackend) store = sluice_store_lmdb_open (dir, &small_map, &error);
    g_autoptr (SluiceDatasetInfo) created = NULL;
    g_autofree char *body = g_strnfill (RESTART_FILL / 64, 'f');

    assert_non_null (store);
    created = sluice_store_backend_create_dataset (store, "restart", FALSE, &error);
    assert_non_null (created);
    assert_true (
        write_batch (store, "restart", "fill", "fill", 64, body, RESTART_FILL / 64, 0, &error));
    for (int i = 0; i < 64; i++)
      g_hash_table_add (expected, g_strdup_printf ("fill-%d", i));
  }

  for (int start = 1; start <= RESTART_STARTS; start++)
    {
      RestartChild child = { dir, start };

      if (!sluice_test_run_child (restart_child, &child, NULL))
        {
          crashed++;
          continue;
        }
      for (int w = 0; w < RESTART_WRITERS; w++)
        for (int t = 0; t < RESTART_TXNS; t++)
          g_hash_table_add (expected, g_strdup_printf ("s%d-w%d-t%d-0", start, w, t));
    }
  printf ("# restarts: %d starts of a %d MiB store with a %d MiB initial map, %d writers, "
          "%d crashed\n",
          RESTART_STARTS, RESTART_FILL >> 20, (int)(SMALL_MAP >> 20), RESTART_WRITERS, crashed);
  assert_int_equal (crashed, 0);

  {
    g_autoptr (SluiceStoreBackend) store = sluice_store_lmdb_open (dir, &small_map, &error);
    g_autoptr (GPtrArray) ids = NULL;

    assert_non_null (store);
    ids = read_ids (store, "restart", &error);
    assert_null (error);
    assert_int_equal (ids->len, g_hash_table_size (expected));
    for (guint i = 0; i < ids->len; i++)
      assert_true (g_hash_table_remove (expected, g_ptr_array_index (ids, i)));
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_growth_under_concurrency),
    cmocka_unit_test_setup_teardown (test_restart_large_store, restart_setup, restart_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
