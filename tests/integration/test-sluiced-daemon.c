/* test-sluiced-daemon.c — sluiced as a daemon: it runs a pipe on its schedule_interval, signals
 * the pipe that reads the dataset it wrote, and stops cleanly on SIGTERM (exit status 0, every
 * completed run in the execution log, the downstream dataset complete).
 *
 * The test follows the daemon's log (stdout and stderr) line by line, as the lines come, and gives
 * up after a generous timeout; it never sleeps.  The store is read after the daemon exited.
 *
 * Usage (from meson): test-sluiced-daemon SLUICED PLUGIN_DIR
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "sluice-store-lmdb.h"
#include "test-tree.h"

#define TIMEOUT_S 60

static const char *sluiced_path;
static const char *plugin_dir;

static const char config_text[]
    = "[\n"
      "  {\"_id\": \"people\", \"type\": \"pipe\",\n"
      "   \"source\": {\"type\": \"embedded\", \"entities\": [\n"
      "     {\"_id\": \"1\", \"name\": \"Ada\"}, {\"_id\": \"2\", \"name\": \"Grace\"}]},\n"
      "   \"pump\": {\"schedule_interval\": 1, \"run_at_startup\": true}},\n"
      "  {\"_id\": \"people-copy\", \"type\": \"pipe\",\n"
      "   \"source\": {\"type\": \"dataset\", \"dataset\": \"people\"},\n"
      "   \"pump\": {\"schedule_interval\": 3000}}\n"
      "]\n";

typedef struct
{
  GDataInputStream *lines;
  GString *log;      /* everything the daemon wrote */
  guint people_runs; /* "pipe 'people': … run done" lines */
  guint copy_runs;
  gboolean copy_signalled;
  gboolean eof;
  gboolean timed_out;
} Daemon;

static void read_next_line (Daemon *daemon);

static void
on_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (daemon->lines, result, NULL, &error);
  if (line == NULL)
    {
      daemon->eof = TRUE;
      return;
    }
  g_string_append_printf (daemon->log, "%s\n", line);
  if (strstr (line, "pipe 'people': ") != NULL && strstr (line, " run done") != NULL)
    daemon->people_runs++;
  if (strstr (line, "pipe 'people-copy': ") != NULL && strstr (line, " run done") != NULL)
    daemon->copy_runs++;
  if (strstr (line, "pipe 'people-copy': run started (signal)") != NULL)
    daemon->copy_signalled = TRUE;
  read_next_line (daemon);
}

static void
read_next_line (Daemon *daemon)
{
  g_data_input_stream_read_line_async (daemon->lines, G_PRIORITY_DEFAULT, NULL, on_line, daemon);
}

static gboolean
on_timeout (gpointer user_data)
{
  ((Daemon *)user_data)->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

/* Ids of the latest versions in @dataset that start with @prefix. */
static guint
count_ids (SluiceStoreBackend *store, const char *dataset, const char *prefix)
{
  SluiceStoreQuery query = { dataset, SLUICE_STORE_NO_OFFSET, 0, FALSE, FALSE };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (store, &query, &error);
  const SluiceStoreVersion *version;
  guint n = 0;

  assert_non_null (cursor);
  while ((version = sluice_store_cursor_next (cursor, &error)) != NULL)
    if (version->record.id_len >= strlen (prefix)
        && memcmp (version->record.id, prefix, strlen (prefix)) == 0)
      n++;
  assert_null (error);
  return n;
}

static void
test_daemon_runs_on_schedule_and_stops_on_sigterm (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sluiced-daemon-XXXXXX", &error);
  g_autofree char *config = g_build_filename (dir, "pipes.json", NULL);
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (SluiceStoreBackend) store = NULL;
  g_autoptr (SluiceDatasetInfo) copy = NULL;
  Daemon daemon = { 0 };
  gboolean exited = FALSE;
  guint timeout;

  assert_non_null (dir);
  assert_true (g_file_set_contents (config, config_text, -1, &error));

  /* GLib logs info messages to stdout, the others to stderr: read both. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "sluice", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "SLUICE_PLUGIN_PATH");
  process = g_subprocess_launcher_spawn (launcher, &error, sluiced_path, "--config", config,
                                         "--data", data, "--plugin-dir", plugin_dir, NULL);
  assert_non_null (process);

  daemon.log = g_string_new (NULL);
  daemon.lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  read_next_line (&daemon);
  timeout = g_timeout_add_seconds (TIMEOUT_S, on_timeout, &daemon);

  /* Two scheduled runs of the upstream pipe, and a signalled run of the downstream one. */
  while ((daemon.people_runs < 2 || daemon.copy_runs < 1) && !daemon.eof && !daemon.timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (daemon.people_runs < 2 || daemon.copy_runs < 1)
    fail_msg ("the daemon did not run the pipes (%s):\n%s", daemon.eof ? "it exited" : "timeout",
              daemon.log->str);
  assert_true (daemon.copy_signalled);

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait_async (process, NULL, on_exited, &exited);
  while ((!exited || !daemon.eof) && !daemon.timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
  if (!exited)
    {
      g_subprocess_force_exit (process);
      fail_msg ("the daemon did not stop on SIGTERM:\n%s", daemon.log->str);
    }
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    fail_msg ("the daemon did not exit cleanly:\n%s", daemon.log->str);
  assert_non_null (strstr (daemon.log->str, "stopped\n"));

  /* Every run the daemon reported is in the execution log, and the copy is complete. */
  store = sluice_store_lmdb_open (data, NULL, &error);
  assert_non_null (store);
  assert_true (count_ids (store, "system:pump_execution:people", "pump-completed:")
               >= daemon.people_runs);
  assert_int_equal (count_ids (store, "system:pump_execution:people", "pump-failed:"), 0);
  copy = sluice_store_backend_dup_dataset_info (store, "people-copy", NULL, &error);
  assert_non_null (copy);
  assert_int_equal (copy->entity_count, 2);

  g_clear_pointer (&store, sluice_store_backend_free);
  g_clear_object (&daemon.lines);
  g_string_free (daemon.log, TRUE);
  sluice_test_remove_tree (dir);
}

/* A schedule that cannot work stops the daemon before it runs anything, saying where it is. */
static void
test_daemon_refuses_a_bad_cron_expression (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sluiced-daemon-XXXXXX", &error);
  g_autofree char *config = g_build_filename (dir, "bad.json", NULL);
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_autofree char *expected = NULL;
  g_autofree char *output = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  const char *text = "{\"_id\": \"nightly\", \"type\": \"pipe\",\n"
                     " \"source\": {\"type\": \"embedded\", \"entities\": []},\n"
                     " \"pump\": {\"cron_expression\": \"0 2 30 2 MON#2\"}}\n";

  assert_true (g_file_set_contents (config, text, -1, &error));
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_unsetenv (launcher, "SLUICE_PLUGIN_PATH");
  process = g_subprocess_launcher_spawn (launcher, &error, sluiced_path, "--config", config,
                                         "--data", data, "--plugin-dir", plugin_dir, NULL);
  assert_non_null (process);
  assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &output, NULL, &error));
  assert_true (g_subprocess_get_if_exited (process));
  assert_int_equal (g_subprocess_get_exit_status (process), 1);
  /* Configuration validation finds it, with the line and column of the expression. */
  expected = g_strdup_printf ("%s:3:30: nightly: /pump/cron_expression: cron field 5 "
                              "(day-of-week) 'MON#2': '#' is not supported\n",
                              config);
  if (strstr (output, expected) == NULL)
    fail_msg ("expected\n%sin\n%s", expected, output);
  sluice_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_daemon_runs_on_schedule_and_stops_on_sigterm),
    cmocka_unit_test (test_daemon_refuses_a_bad_cron_expression),
  };

  if (argc != 3)
    {
      g_printerr ("usage: %s SLUICED PLUGIN_DIR\n", argv[0]);
      return 2;
    }
  sluiced_path = argv[1];
  plugin_dir = argv[2];
  return cmocka_run_group_tests_name ("sluiced-daemon", tests, NULL, NULL);
}
