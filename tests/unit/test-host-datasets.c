/* test-host-datasets.c — the dataset services the engine lends to plugins: appends inside the
 * batch transaction, committed together with the pipe state or discarded whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "sluice-host-datasets.h"
#include "sluice-store.h"
#include "sluice-store-lmdb.h"

typedef struct
{
  char *dir;
  SluiceStoreBackend *store;
  SluiceHostDatasets *host;
  SluiceElementContext *context;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->dir = g_dir_make_tmp ("sluice-host-XXXXXX", NULL);
  f->store = sluice_store_lmdb_open (f->dir, NULL, NULL);
  assert_non_null (f->store);
  f->host = sluice_host_datasets_new (f->store, NULL, NULL);
  f->context = sluice_element_context_new ("test", "test", "pipe", NULL);
  sluice_host_datasets_attach (f->host, f->context);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;
  g_autoptr (GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  sluice_element_context_free (f->context);
  sluice_host_datasets_free (f->host);
  sluice_store_backend_free (f->store);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

static SluiceBatch *
make_batch (int from, int to)
{
  SluiceBatch *batch = sluice_batch_new ();

  for (int i = from; i < to; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"_id\": \"e%d\", \"n\": %d}", i, i);
      g_autoptr (SluiceValue) body = sluice_value_from_json (json, -1, NULL);

      sluice_batch_take (batch, sluice_entity_new (body, NULL));
    }
  return batch;
}

/* How many entities a reader of @dataset sees now. */
static size_t
count (Fixture *f, const char *dataset)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetReader) reader
    = sluice_dataset_reader_new (f->context, dataset, -1, SLUICE_DATASET_READ_HISTORY, &error);
  g_autoptr (SluiceBatch) batch = sluice_batch_new ();

  assert_non_null (reader);
  while (sluice_dataset_reader_read (reader, batch, 3, &error) == SLUICE_FLOW_OK)
    ;
  assert_null (error);
  return sluice_batch_get_length (batch);
}

static void
test_batch_commit_with_state (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceBatch) batch = make_batch (0, 5);
  g_autoptr (GError) error = NULL;
  g_auto (SluicePipeState) stored = { 0 };
  SluicePipeState pipe_state = { .since = (char *) "4", .runs = 1, .entities_read = 5 };
  size_t n = 0;
  gboolean exists = TRUE, populated = TRUE;

  /* A dataset that does not exist reads as empty. */
  assert_int_equal (count (f, "out"), 0);
  assert_true (sluice_dataset_get_state (f->context, "out", &exists, &populated, &error));
  assert_false (exists);

  sluice_host_datasets_begin_batch (f->host);
  assert_true (sluice_dataset_append (f->context, "out", batch, 0, &n, &error));
  assert_int_equal (n, 5);
  assert_true (sluice_dataset_set_populated (f->context, "out", &error));
  assert_int_equal (sluice_host_datasets_get_batch_changes (f->host), 5);
  /* Not visible before the commit. */
  assert_int_equal (count (f, "out"), 0);
  assert_true (sluice_host_datasets_commit_batch (f->host, "pipe", &pipe_state, 0, &error));
  assert_int_equal (count (f, "out"), 5);
  assert_true (sluice_dataset_get_state (f->context, "out", &exists, &populated, &error));
  assert_true (exists);
  assert_true (populated);
  assert_true (sluice_store_backend_get_pipe_state (f->store, "pipe", &stored, &error));
  assert_string_equal (stored.since, "4");
  assert_int_equal (stored.entities_read, 5);
}

static void
test_batch_abort (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceBatch) first = make_batch (0, 3);
  g_autoptr (SluiceBatch) second = make_batch (3, 6);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceEntity) entity = NULL;

  /* Outside a batch an append commits at once. */
  assert_true (sluice_dataset_append (f->context, "out", first, 0, NULL, &error));
  assert_int_equal (count (f, "out"), 3);

  sluice_host_datasets_begin_batch (f->host);
  assert_true (sluice_dataset_append (f->context, "out", second, 0, NULL, &error));
  sluice_host_datasets_abort_batch (f->host);
  assert_int_equal (count (f, "out"), 3);
  entity = sluice_dataset_get_entity (f->context, "out", "e4", &error);
  assert_null (entity);
  assert_null (error);

  /* A batch that wrote nothing and has no state opens no transaction and succeeds. */
  sluice_host_datasets_begin_batch (f->host);
  assert_true (sluice_host_datasets_commit_batch (f->host, "pipe", NULL, 0, &error));
}

static void
test_bad_dataset_name (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluiceBatch) batch = make_batch (0, 1);
  g_autoptr (GError) error = NULL;

  sluice_host_datasets_begin_batch (f->host);
  assert_false (sluice_dataset_append (f->context, "a/b", batch, 0, NULL, &error));
  assert_non_null (error);
  sluice_host_datasets_abort_batch (f->host);
}

/* A pipe reads a batch from one dataset and writes it to another on the same thread, batch after
 * batch.  The reader must hold no read transaction while the batch is written, or a store that has
 * to grow its map would wait on its own reader (it used to fail after 30 s as "busy"). */
static void
test_copy_grows_the_store (void **state)
{
  Fixture *f = *state;
  SluiceStoreLmdbOptions options
      = { .initial_map_size = 1 << 20, .max_map_size = (uint64_t)1 << 30 };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetReader) reader = NULL;
  static const char *const outputs[] = { "out-a", "out-b", "out-c", "out-d", NULL };
  SluiceFlow flow = SLUICE_FLOW_OK;
  size_t copied = 0;

  /* A store of its own whose map is 1 MiB: the copy below needs several growths. */
  sluice_element_context_free (f->context);
  sluice_host_datasets_free (f->host);
  sluice_store_backend_free (f->store);
  f->store = sluice_store_lmdb_open (f->dir, &options, &error);
  assert_non_null (f->store);
  f->host = sluice_host_datasets_new (f->store, NULL, NULL);
  f->context = sluice_element_context_new ("test", "test", "copy", NULL);
  sluice_host_datasets_attach (f->host, f->context);

  for (int from = 0; from < 20000; from += 1000)
    {
      g_autoptr (SluiceBatch) batch = make_batch (from, from + 1000);

      assert_true (sluice_dataset_append (f->context, "in", batch, 0, NULL, &error));
    }

  reader = sluice_dataset_reader_new (f->context, "in", -1, 0, &error);
  assert_non_null (reader);
  while (flow == SLUICE_FLOW_OK)
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();

      flow = sluice_dataset_reader_read (reader, batch, 500, &error);
      assert_int_not_equal (flow, SLUICE_FLOW_ERROR);
      /* Four copies, so that the writes outgrow whatever the map grew to for the input. */
      sluice_host_datasets_begin_batch (f->host);
      for (const char *const *out = outputs; *out != NULL; out++)
        if (!sluice_dataset_append (f->context, *out, batch, 0, NULL, &error))
          fail_msg ("copying to %s at entity %zu: %s", *out, copied, error->message);
      if (!sluice_host_datasets_commit_batch (f->host, "copy", NULL, 0, &error))
        fail_msg ("committing at entity %zu: %s", copied, error->message);
      copied += sluice_batch_get_length (batch);
    }
  assert_int_equal (copied, 20000);
  assert_int_equal (count (f, "out-d"), 20000);
  assert_true (sluice_store_lmdb_get_map_size (f->store) > (1 << 20));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_batch_commit_with_state, setup, teardown),
    cmocka_unit_test_setup_teardown (test_batch_abort, setup, teardown),
    cmocka_unit_test_setup_teardown (test_bad_dataset_name, setup, teardown),
    cmocka_unit_test_setup_teardown (test_copy_grows_the_store, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
