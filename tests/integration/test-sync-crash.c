/* test-sync-crash.c — SIGKILL in the deletion-tracking phase of a full run, then a restart: no
 * entity the source still has is ever marked deleted, and nothing of the killed phase is visible.
 *
 * `sluiced --once` runs a test-sequence source into a dataset sink.  The first run writes 3,000
 * entities; the source then holds only the first 2,000, and the next full run is killed (the
 * fault library tests/faults/kill-in-deletion-tracking.c, preloaded) after it appended its first 1,000
 * deletes, inside the transaction of the end of the run.  Two cases: a source without continuation
 * (the restart starts the full run over and deletion-tracks) and a chronological one (the restart
 * resumes the full run from its last checkpoint and deletes nothing).
 * Arguments: the sluiced binary, the build's plugin directory, the engine test plugin directory,
 * the fault library. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "sluice-store.h"
#include "sluice-store-lmdb.h"
#include "test-tree.h"

static const char *sluiced;
static const char *plugin_dir;
static const char *test_plugin_dir;
static const char *kill_fault; /* the fault library that kills sluiced in the deletion pass */

static char *
write_config (const char *dir, int count, gboolean since)
{
  char *path = g_strdup_printf ("%s/config-%d.json", dir, count);
  g_autofree char *json = g_strdup_printf (
    "{\"_id\": \"p\", \"type\": \"pipe\", \"batch_size\": 500, \"checkpoint_interval\": 1,"
    " \"source\": {\"type\": \"test-sequence\", \"count\": %d, \"supports_since\": %s},"
    " \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}",
    count, since ? "true" : "false");

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  return path;
}

/* Runs `sluiced --once p`; returns the wait status. */
static int
run_once (const char *config, const char *data, gboolean kill)
{
  const char *argv[] = { sluiced,  "--plugin-dir", plugin_dir, "--plugin-dir", test_plugin_dir,
                         "--config", config,       "--data",   data,           "--once",
                         "p",      NULL };
  g_auto (GStrv) envp = g_get_environ ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;

  if (kill)
    {
      /* Under AddressSanitizer the fault library comes before the sanitizer's runtime. */
      const char *asan = g_environ_getenv (envp, "ASAN_OPTIONS");
      g_autofree char *asan_options
        = g_strconcat (asan != NULL ? asan : "", asan != NULL ? ":" : "",
                       "verify_asan_link_order=0", NULL);

      envp = g_environ_setenv (envp, "LD_PRELOAD", kill_fault, TRUE);
      envp = g_environ_setenv (envp, "ASAN_OPTIONS", asan_options, TRUE);
    }
  if (!g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                     &error))
    fail_msg ("%s", error->message);
  if (!kill && !(WIFEXITED (status) && WEXITSTATUS (status) == 0))
    fail_msg ("sluiced --once p failed (status %d):\n%s%s", status, out, err);
  return status;
}

/* Of the ids e0 … e2999 of "out": how many are live, and how many of the first 2,000 (the ones
 * the source still has) were ever deleted. */
static void
count (const char *data, guint *ret_live, guint *ret_wrongly_deleted)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreBackend) store = sluice_store_lmdb_open (data, NULL, &error);
  SluiceStoreQuery query = { .dataset = "out", .since = -1, .history = TRUE, .deleted = TRUE };
  g_autoptr (SluiceStoreCursor) cursor = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;
  SluiceEntity *entity;

  assert_non_null (store);
  info = sluice_store_backend_dup_dataset_info (store, "out", NULL, &error);
  assert_non_null (info);
  *ret_live = info->entity_count;
  *ret_wrongly_deleted = 0;
  cursor = sluice_store_backend_read (store, &query, &error);
  assert_non_null (cursor);
  while ((entity = sluice_store_cursor_next_entity (cursor, "out", &error)) != NULL)
    {
      const char *id = sluice_entity_get_id (entity);

      if (sluice_entity_is_deleted (entity) && g_ascii_strtoull (id + 1, NULL, 10) < 2000)
        (*ret_wrongly_deleted)++;
      sluice_entity_unref (entity);
    }
  assert_null (error);
}

static void
kill_and_restart (gboolean since)
{
  g_autofree char *dir = g_dir_make_tmp ("sluice-sync-crash-XXXXXX", NULL);
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_autofree char *all = write_config (dir, 3000, since);
  g_autofree char *fewer = write_config (dir, 2000, since);
  guint live, wrong;
  int status;

  run_once (all, data, FALSE);
  count (data, &live, &wrong);
  assert_int_equal (live, 3000);

  if (since)
    {
      /* Make the next run full: forget the offset, as a reset does. */
      g_autoptr (GError) error = NULL;
      g_autoptr (SluiceStoreBackend) store = sluice_store_lmdb_open (data, NULL, &error);
      g_auto (SluicePipeState) state = { 0 };
      g_autoptr (SluiceStoreTxn) txn = NULL;

      assert_non_null (store);
      assert_true (sluice_store_backend_get_pipe_state (store, "p", &state, &error));
      g_clear_pointer (&state.since, g_free);
      txn = sluice_store_backend_begin (store, &error);
      assert_true (sluice_store_txn_set_pipe_state (txn, "p", &state, &error));
      assert_true (sluice_store_txn_commit (g_steal_pointer (&txn), 0, &error));
    }

  status = run_once (fewer, data, TRUE);
  assert_true (WIFSIGNALED (status));
  assert_int_equal (WTERMSIG (status), SIGKILL);
  count (data, &live, &wrong);
  /* The deletes of the killed phase were never committed. */
  assert_int_equal (live, 3000);
  assert_int_equal (wrong, 0);

  run_once (fewer, data, FALSE);
  count (data, &live, &wrong);
  assert_int_equal (wrong, 0);
  /* Started over: deletion-tracked.  Resumed: what the first attempt saw is unknown, so the
   * resumed run deletes nothing. */
  assert_int_equal (live, since ? 3000 : 2000);
  sluice_test_remove_tree (dir);
}

static void
test_kill_without_continuation (void **state)
{
  kill_and_restart (FALSE);
}

static void
test_kill_chronological (void **state)
{
  kill_and_restart (TRUE);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_kill_without_continuation),
    cmocka_unit_test (test_kill_chronological),
  };

  if (argc != 5)
    {
      g_printerr ("usage: %s SLUICED PLUGIN-DIR TEST-PLUGIN-DIR KILL-FAULT-LIBRARY\n", argv[0]);
      return 2;
    }
  sluiced = argv[1];
  plugin_dir = argv[2];
  test_plugin_dir = argv[3];
  kill_fault = argv[4];
  return cmocka_run_group_tests (tests, NULL, NULL);
}
