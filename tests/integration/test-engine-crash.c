/* test-engine-crash.c — SIGKILL during a 100,000-entity run, restart, finish: the sink dataset
 * equals that of an uninterrupted run, with no duplicate versions.
 *
 * `sluiced --once` copies a dataset of 100,000 entities into another through the test-fail-sink,
 * which kills the process with SIGKILL in a chosen batch after appending it (the batch's
 * transaction is open), when a marker file exists.  The run is killed twice at different points,
 * then finishes; the result is compared version by version with a run that was never killed.
 * Arguments: the sluiced binary, the build's plugin directory, the engine test plugin directory. */
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

#define N_ENTITIES 100000

static const char *sluiced;
static const char *plugin_dir;
static const char *test_plugin_dir;

static char *
write_config (const char *dir, int kill_at_batch)
{
  g_autofree char *kill_file = g_build_filename (dir, "kill-now", NULL);
  char *path = g_strdup_printf ("%s/config-%d.json", dir, kill_at_batch);
  g_autofree char *json = g_strdup_printf (
    "[{\"_id\": \"raw\", \"type\": \"pipe\", \"batch_size\": 1000,"
    "  \"source\": {\"type\": \"test-sequence\", \"count\": %d}},"
    " {\"_id\": \"copy\", \"type\": \"pipe\", \"batch_size\": 1000, \"checkpoint_interval\": 7,"
    "  \"source\": {\"type\": \"dataset\", \"dataset\": \"raw\"},"
    "  \"sink\": {\"type\": \"test-fail-sink\", \"dataset\": \"copy\", \"kill_at_batch\": %d,"
    "            \"kill_file\": \"%s\"}}]",
    N_ENTITIES, kill_at_batch, kill_file);

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  return path;
}

/* Runs `sluiced --once PIPE`; returns the wait status. */
static int
run_once (const char *config, const char *data, const char *pipe)
{
  const char *argv[] = { sluiced,  "--plugin-dir", plugin_dir, "--plugin-dir", test_plugin_dir,
                         "--config", config,       "--data",   data,           "--once",
                         pipe,     NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                     &error))
    fail_msg ("%s", error->message);
  if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    fail_msg ("sluiced --once %s exited %d:\n%s%s", pipe, WEXITSTATUS (status), out, err);
  return status;
}

static void
touch (const char *dir)
{
  g_autofree char *kill_file = g_build_filename (dir, "kill-now", NULL);

  g_assert_true (g_file_set_contents (kill_file, "", 0, NULL));
}

/* Every version of @dataset: offset, previous and body, one per line; and the since. */
static char *
dump (const char *data, const char *dataset, guint64 *ret_versions, char **ret_since)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreBackend) store = sluice_store_lmdb_open (data, NULL, &error);
  SluiceStoreQuery query = { .dataset = dataset, .since = -1, .history = TRUE, .deleted = TRUE };
  g_autoptr (SluiceStoreCursor) cursor = NULL;
  g_autoptr (SluiceDatasetInfo) info = NULL;
  g_auto (SluicePipeState) state = { 0 };
  GString *out = g_string_new (NULL);
  SluiceEntity *entity;

  assert_non_null (store);
  info = sluice_store_backend_dup_dataset_info (store, dataset, NULL, &error);
  assert_non_null (info);
  *ret_versions = info->version_count;
  assert_true (sluice_store_backend_get_pipe_state (store, "copy", &state, &error));
  *ret_since = g_steal_pointer (&state.since);
  cursor = sluice_store_backend_read (store, &query, &error);
  assert_non_null (cursor);
  while ((entity = sluice_store_cursor_next_entity (cursor, dataset, &error)) != NULL)
    {
      g_autofree char *body = sluice_value_to_json (sluice_entity_get_body (entity));

      g_string_append_printf (out, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s\n",
                              sluice_entity_get_offset (entity), sluice_entity_get_previous (entity),
                              body);
      sluice_entity_unref (entity);
    }
  assert_null (error);
  return g_string_free (out, FALSE);
}

static void
test_kill_and_resume (void **state)
{
  g_autofree char *dir = g_dir_make_tmp ("sluice-crash-XXXXXX", NULL);
  g_autofree char *reference_data = g_build_filename (dir, "reference", NULL);
  g_autofree char *crash_data = g_build_filename (dir, "crashed", NULL);
  g_autofree char *plain = write_config (dir, 0);
  g_autofree char *kill_early = write_config (dir, 23);
  g_autofree char *kill_later = write_config (dir, 41);
  g_autofree char *reference = NULL, *crashed = NULL;
  g_autofree char *reference_since = NULL, *crashed_since = NULL;
  guint64 reference_versions = 0, crashed_versions = 0;
  int status;

  assert_non_null (dir);
  run_once (plain, reference_data, "raw");
  run_once (plain, reference_data, "copy");

  run_once (plain, crash_data, "raw");
  /* Killed in batch 23 (offset checkpointed at batch 21), then in the 41st batch of the
   * resumed run, which started over at entity 21,000. */
  touch (dir);
  status = run_once (kill_early, crash_data, "copy");
  assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  touch (dir);
  status = run_once (kill_later, crash_data, "copy");
  assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  run_once (kill_later, crash_data, "copy"); /* no marker file: runs to the end */

  reference = dump (reference_data, "copy", &reference_versions, &reference_since);
  crashed = dump (crash_data, "copy", &crashed_versions, &crashed_since);
  assert_int_equal (reference_versions, N_ENTITIES);
  assert_int_equal (crashed_versions, N_ENTITIES);
  assert_string_equal (reference_since, "99999");
  assert_string_equal (crashed_since, "99999");
  assert_true (strcmp (reference, crashed) == 0);
  sluice_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_kill_and_resume),
  };

  if (argc != 4)
    {
      g_printerr ("usage: %s SLUICED PLUGIN-DIR TEST-PLUGIN-DIR\n", argv[0]);
      return 2;
    }
  sluiced = argv[1];
  plugin_dir = argv[2];
  test_plugin_dir = argv[3];
  return cmocka_run_group_tests (tests, NULL, NULL);
}
