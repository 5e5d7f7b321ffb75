/* test-store-crash.c — the store survives being killed at any point.
 *
 * A child process appends batches of BATCH entities to one dataset, each in one transaction with
 * the pipe state (since = the batch number) it belongs to, and reports every committed batch
 * through a pipe.  The parent kills it with SIGKILL once it has reported a random number of
 * batches, after a short random delay so that the kill lands anywhere (inside a commit too).  After
 * every kill the parent reopens the store and checks: it opens cleanly, every batch is complete, no
 * partial batch is visible, the stored pipe offset is the number of complete batches, and nothing
 * the child reported as committed is lost.  The next child continues from the stored offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "sluice-store-lmdb.h"

#define BATCH 50
#define ROUNDS 100

static const char dataset[] = "crash";
static const char pipe_id[] = "crash-pipe";

static int64_t
stored_batches (SluiceStoreBackend *store)
{
  g_auto (SluicePipeState) state = { 0 };
  g_autoptr (GError) error = NULL;

  if (!sluice_store_backend_get_pipe_state (store, pipe_id, &state, &error))
    {
      assert_null (error);
      return 0;
    }
  return g_ascii_strtoll (state.since, NULL, 10);
}

static G_NORETURN void
child_main (const char *dir, int report_fd)
{
  g_autoptr (GError) error = NULL;
  SluiceStoreBackend *store = sluice_store_lmdb_open (dir, NULL, &error);
  char body[200];
  int64_t batch;

  if (store == NULL)
    {
      g_printerr ("child: %s\n", error->message);
      _exit (2);
    }
  memset (body, 'x', sizeof (body));
  sluice_dataset_info_free (sluice_store_backend_create_dataset (store, dataset, TRUE, &error));
  batch = stored_batches (store);
  for (int n = 0; n < 100000; n++)
    {
      SluiceStoreRecord records[BATCH];
      char ids[BATCH][32];
      g_autofree char *since = NULL;
      SluicePipeState state = { 0 };
      SluiceStoreTxn *txn;

      batch++;
      for (int i = 0; i < BATCH; i++)
        {
          g_snprintf (ids[i], sizeof (ids[i]), "%" G_GINT64_FORMAT "-%d", batch, i);
          records[i]
              = (SluiceStoreRecord){ ids[i], strlen (ids[i]), { 0 }, FALSE, body, sizeof (body) };
          memcpy (records[i].hash, &batch, sizeof (batch));
        }
      since = g_strdup_printf ("%" G_GINT64_FORMAT, batch);
      state.since = since;
      state.runs = batch;
      txn = sluice_store_backend_begin (store, &error);
      if (txn == NULL
          || !sluice_store_txn_append (txn, dataset, records, BATCH, 0, NULL, NULL, &error)
          || !sluice_store_txn_set_pipe_state (txn, pipe_id, &state, &error)
          || !sluice_store_txn_commit (txn, 0, &error))
        {
          g_printerr ("child: %s\n", error->message);
          _exit (3);
        }
      if (write (report_fd, &batch, sizeof (batch)) != sizeof (batch))
        _exit (4);
    }
  _exit (0);
}

static void
verify (const char *dir, int64_t reported)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreBackend) store = sluice_store_lmdb_open (dir, NULL, &error);
  g_autoptr (SluiceDatasetInfo) info = NULL;
  g_autoptr (SluiceStoreCursor) cursor = NULL;
  g_autofree int *per_batch = NULL;
  SluiceStoreQuery q = { dataset, SLUICE_STORE_NO_OFFSET, 0, TRUE, TRUE };
  const SluiceStoreVersion *v;
  int64_t batches, expected_offset = 0;

  assert_non_null (store);
  info = sluice_store_backend_dup_dataset_info (store, dataset, NULL, &error);
  assert_non_null (info);
  batches = stored_batches (store);

  /* Nothing committed is lost (a process crash keeps every commit), and no partial batch. */
  assert_true (batches >= reported);
  assert_int_equal (info->version_count % BATCH, 0);
  assert_int_equal (info->version_count, batches * BATCH);
  assert_int_equal (info->entity_count, batches * BATCH);
  assert_int_equal (info->next_offset, batches * BATCH);

  per_batch = g_new0 (int, batches + 1);
  cursor = sluice_store_backend_read (store, &q, &error);
  while ((v = sluice_store_cursor_next (cursor, &error)) != NULL)
    {
      g_autofree char *id = g_strndup (v->record.id, v->record.id_len);
      int64_t b = g_ascii_strtoll (id, NULL, 10);

      assert_int_equal (v->offset, expected_offset);
      expected_offset++;
      assert_true (b >= 1 && b <= batches);
      per_batch[b]++;
    }
  assert_null (error);
  for (int64_t b = 1; b <= batches; b++)
    assert_int_equal (per_batch[b], BATCH);
}

static void
test_kill_anywhere (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sluice-crash-XXXXXX", &error);
  g_autoptr (GRand) rand = g_rand_new ();
  int64_t committed = 0;

  assert_non_null (dir);
  for (int round = 0; round < ROUNDS; round++)
    {
      int fds[2];
      int64_t target = committed + g_rand_int_range (rand, 1, 40), last = committed, got;
      pid_t pid;
      int status;

      assert_int_equal (pipe (fds), 0);
      pid = fork ();
      assert_true (pid >= 0);
      if (pid == 0)
        {
          close (fds[0]);
          child_main (dir, fds[1]);
        }
      close (fds[1]);
      while (last < target && read (fds[0], &got, sizeof (got)) == sizeof (got))
        last = got;
      /* A bounded random delay moves the kill point anywhere within the following batches. */
      g_usleep (g_rand_int_range (rand, 0, 3000));
      kill (pid, SIGKILL);
      while (read (fds[0], &got, sizeof (got)) == sizeof (got))
        last = got;
      close (fds[0]);
      assert_int_equal (waitpid (pid, &status, 0), pid);
      assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

      verify (dir, last);
      committed = last;
    }

  {
    g_autofree char *data = g_build_filename (dir, "data.mdb", NULL);
    g_autofree char *lock = g_build_filename (dir, "lock.mdb", NULL);

    g_unlink (data);
    g_unlink (lock);
    g_rmdir (dir);
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_kill_anywhere),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
