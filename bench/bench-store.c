/* bench-store.c — the dataset store's append and read rates, measured against a raw LMDB put loop
 * on the same data in the same run (figures for docs/decisions/0003-store-key-layout.md).
 *
 *   bench-store [N]      (N entities, default 200000; batches of 1000, one commit each)
 *
 * raw:    one LMDB environment with the same flags as the store; per entity one put into a log
 *         keyed by offset and one put into an id index (what DESIGN.md measured).
 * store:  sluice_store_txn_append with change tracking (id lookup, hash compare, log put, id put,
 *         dataset metadata update).
 * Also: re-appending unchanged data (all dropped by change tracking), the entity-level append
 * (SDK content hash + binary encoding), since reads at record and entity level, and anonymous
 * memory (RssAnon) after reading N and 4N entities, which must not grow with the dataset.
 */
#include <lmdb.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "sluice-store.h"
#include "sluice-store-lmdb.h"

#define BATCH 1000

typedef struct
{
  char **ids;
  char **bodies;
  SluiceStoreRecord *records;
  size_t n;
} Data;

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

static long
rss_anon_kib (void)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  p = strstr (status, "RssAnon:");
  return p != NULL ? strtol (p + 8, NULL, 10) : -1;
}

static void
remove_dir (const char *dir)
{
  g_autofree char *data = g_build_filename (dir, "data.mdb", NULL);
  g_autofree char *lock = g_build_filename (dir, "lock.mdb", NULL);

  g_unlink (data);
  g_unlink (lock);
  g_rmdir (dir);
}

/* About 236 bytes of body per entity, like the benchmark entity of DESIGN.md. */
static void
make_data (Data *d, size_t n, size_t first, int version)
{
  d->n = n;
  d->ids = g_new (char *, n);
  d->bodies = g_new (char *, n);
  d->records = g_new (SluiceStoreRecord, n);
  for (size_t i = 0; i < n; i++)
    {
      g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_MD5);
      gsize len = SLUICE_STORE_HASH_SIZE;
      size_t k = first + i;

      d->ids[i] = g_strdup_printf ("customer-%09zu", k);
      d->bodies[i] = g_strdup_printf (
          "{\"_id\":\"customer-%09zu\",\"name\":\"Customer %zu\",\"email\":\"c%zu@example.com\","
          "\"age\":%zu,\"active\":true,\"score\":%zu.5,\"tags\":[\"a\",\"b\",\"c\"],\"address\":{"
          "\"street\":\"Main Street %zu\",\"city\":\"Oslo\",\"zip\":\"%04zu\"},\"v\":%d}",
          k, k, k, 18 + k % 80, k % 1000, k % 500, k % 10000, version);
      d->records[i] = (SluiceStoreRecord){ d->ids[i], strlen (d->ids[i]), { 0 },
                                           FALSE,     d->bodies[i],       strlen (d->bodies[i]) };
      g_checksum_update (sum, (const guchar *)d->bodies[i], -1);
      g_checksum_get_digest (sum, d->records[i].hash, &len);
    }
}

static void
free_data (Data *d)
{
  for (size_t i = 0; i < d->n; i++)
    {
      g_free (d->ids[i]);
      g_free (d->bodies[i]);
    }
  g_free (d->ids);
  g_free (d->bodies);
  g_free (d->records);
}

static void
check (int rc, const char *what)
{
  if (rc != 0)
    {
      g_printerr ("%s: %s\n", what, mdb_strerror (rc));
      exit (1);
    }
}

static double
bench_raw (const Data *d)
{
  g_autofree char *dir = g_dir_make_tmp ("bench-raw-XXXXXX", NULL);
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi log, ids;
  double t0, t;

  check (mdb_env_create (&env), "create");
  mdb_env_set_maxdbs (env, 4);
  mdb_env_set_mapsize (env, (size_t)16 << 30);
  check (mdb_env_open (env, dir, MDB_NOTLS | MDB_NOMETASYNC, 0600), "open");
  check (mdb_txn_begin (env, NULL, 0, &txn), "begin");
  check (mdb_dbi_open (txn, "log", MDB_CREATE, &log), "dbi");
  check (mdb_dbi_open (txn, "ids", MDB_CREATE, &ids), "dbi");
  check (mdb_txn_commit (txn), "commit");

  t0 = now_s ();
  for (size_t b = 0; b < d->n; b += BATCH)
    {
      check (mdb_txn_begin (env, NULL, 0, &txn), "begin");
      for (size_t i = b; i < MIN (b + BATCH, d->n); i++)
        {
          uint8_t k[8];
          uint64_t off = i;
          MDB_val key = { 8, k }, val = { d->records[i].body_len, (void *)d->records[i].body };
          MDB_val ikey = { d->records[i].id_len, (void *)d->records[i].id };
          MDB_val ival = { 8, &off };

          for (int j = 0; j < 8; j++)
            k[j] = off >> (56 - 8 * j);
          check (mdb_put (txn, log, &key, &val, 0), "put");
          check (mdb_put (txn, ids, &ikey, &ival, 0), "put");
        }
      check (mdb_txn_commit (txn), "commit");
    }
  t = now_s () - t0;
  mdb_env_close (env);
  remove_dir (dir);
  return d->n / t;
}

static double
bench_store_append (SluiceStoreBackend *store, const char *dataset, const Data *d,
                    size_t *ret_appended)
{
  g_autoptr (GError) error = NULL;
  double t0 = now_s ();
  size_t total = 0;

  for (size_t b = 0; b < d->n; b += BATCH)
    {
      SluiceStoreTxn *txn = sluice_store_backend_begin (store, &error);
      size_t n = 0;

      if (txn == NULL
          || !sluice_store_txn_append (txn, dataset, d->records + b, MIN (BATCH, d->n - b), 0, NULL,
                                       &n, &error)
          || !sluice_store_txn_commit (txn, 0, &error))
        {
          g_printerr ("%s\n", error->message);
          exit (1);
        }
      total += n;
    }
  *ret_appended = total;
  return d->n / (now_s () - t0);
}

static double
bench_entity_append (SluiceStoreBackend *store, const Data *d)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entities
      = g_ptr_array_new_with_free_func ((GDestroyNotify)sluice_entity_unref);
  double t0;

  /* Parsing is not the store's work: entities are built before the clock starts. */
  for (size_t i = 0; i < d->n; i++)
    {
      g_autoptr (SluiceValue) body = sluice_value_from_json (d->bodies[i], -1, &error);
      g_ptr_array_add (entities, sluice_entity_new (body, &error));
    }
  t0 = now_s ();
  for (size_t b = 0; b < d->n; b += BATCH)
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();
      SluiceStoreTxn *txn;

      for (size_t i = b; i < MIN (b + BATCH, d->n); i++)
        sluice_batch_add (batch, g_ptr_array_index (entities, i));
      txn = sluice_store_backend_begin (store, &error);
      if (txn == NULL || !sluice_store_txn_append_batch (txn, "entities", batch, 0, NULL, &error)
          || !sluice_store_txn_commit (txn, 0, &error))
        {
          g_printerr ("%s\n", error->message);
          exit (1);
        }
    }
  return d->n / (now_s () - t0);
}

static double
bench_read (SluiceStoreBackend *store, const char *dataset, gboolean entities, size_t *ret_n,
            long *ret_peak_kib)
{
  SluiceStoreQuery q = { dataset, SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (store, &q, &error);
  double t0 = now_s ();
  size_t n = 0;
  long peak = 0;
  uint64_t sum = 0;

  for (;;)
    {
      if (entities)
        {
          SluiceEntity *e = sluice_store_cursor_next_entity (cursor, dataset, &error);
          if (e == NULL)
            break;
          sum += sluice_entity_get_offset (e);
          sluice_entity_unref (e);
        }
      else
        {
          const SluiceStoreVersion *v = sluice_store_cursor_next (cursor, &error);
          if (v == NULL)
            break;
          sum += v->record.body_len;
        }
      if (++n % 50000 == 0 && ret_peak_kib != NULL)
        peak = MAX (peak, rss_anon_kib ());
    }
  if (error != NULL)
    {
      g_printerr ("%s\n", error->message);
      exit (1);
    }
  *ret_n = n;
  if (ret_peak_kib != NULL)
    *ret_peak_kib = MAX (peak, rss_anon_kib ());
  (void)sum;
  return n / (now_s () - t0);
}

int
main (int argc, char **argv)
{
  size_t n = argc > 1 ? strtoul (argv[1], NULL, 10) : 200000;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bench-store-XXXXXX", NULL);
  SluiceStoreBackend *store;
  Data d, more, changed;
  double raw, app, again, upd, ent, rd, rd_ent, rd4;
  size_t appended, read_n;
  long peak1, peak4;

  make_data (&d, n, 0, 1);
  store = sluice_store_lmdb_open (dir, NULL, &error);
  if (store == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  sluice_dataset_info_free (sluice_store_backend_create_dataset (store, "bench", FALSE, &error));
  sluice_dataset_info_free (sluice_store_backend_create_dataset (store, "entities", FALSE, &error));

  printf ("bench-store: %zu entities, batches of %d, one non-durable commit per batch "
          "(MDB_NOMETASYNC)\n",
          n, BATCH);
  raw = bench_raw (&d);
  printf ("  raw LMDB put loop (log put + id put):        %10.0f entities/s\n", raw);
  app = bench_store_append (store, "bench", &d, &appended);
  printf ("  store append, change tracking (all new):     %10.0f entities/s  (%.2fx raw, %zu "
          "appended)\n",
          app, app / raw, appended);
  again = bench_store_append (store, "bench", &d, &appended);
  printf ("  store append, unchanged (all dropped):       %10.0f entities/s  (%.2fx raw, %zu "
          "appended)\n",
          again, again / raw, appended);
  make_data (&changed, n, 0, 2);
  upd = bench_store_append (store, "bench", &changed, &appended);
  printf ("  store append, all changed (new versions):    %10.0f entities/s  (%.2fx raw, %zu "
          "appended)\n",
          upd, upd / raw, appended);
  free_data (&changed);
  ent = bench_entity_append (store, &d);
  printf ("  entity append (SDK hash + binary encoding):  %10.0f entities/s  (%.2fx raw)\n", ent,
          ent / raw);

  malloc_trim (0);
  rd = bench_read (store, "entities", FALSE, &read_n, &peak1);
  printf ("  since read, records:                         %10.0f entities/s  (%zu read)\n", rd,
          read_n);
  rd_ent = bench_read (store, "entities", TRUE, &read_n, NULL);
  printf ("  since read, entities (binary decode):        %10.0f entities/s  (%zu read)\n", rd_ent,
          read_n);

  /* Grow the dataset to 4N and read again: anonymous memory must stay flat. */
  make_data (&more, 3 * n, n, 1);
  bench_store_append (store, "bench", &more, &appended);
  free_data (&more);
  malloc_trim (0);
  rd4 = bench_read (store, "bench", FALSE, &read_n, &peak4);
  printf ("  since read, records, %zu versions:        %10.0f entities/s\n", read_n, rd4);
  printf ("  RssAnon peak while reading %zu versions: %ld KiB; while reading %zu versions: %ld "
          "KiB\n",
          n, peak1, read_n, peak4);

  sluice_store_backend_free (store);
  remove_dir (dir);
  free_data (&d);
  return 0;
}
