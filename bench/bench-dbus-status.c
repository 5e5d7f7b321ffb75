/* bench-dbus-status.c — how fast sluiced answers `sluicectl status` while a pipe is busy.
 *
 *   bench-dbus-status [N]      (N entities, default 1000000)
 *
 * One process holds a private dbus-daemon (GTestDBus), a SluiceControl with the D-Bus service on
 * the main loop (as in sluiced), and a client thread with its own connection.  A pipe copies N
 * entities of the engine test plugin's `test-sequence` source into a dataset (batches of 100,
 * change tracking, one commit per batch).  While it runs the client does what `sluicectl status`
 * does — Manager.GetPipe, then Properties.GetAll on the pipe — every 10 ms, and times each pair.
 * The same pipe shape runs once before without the client, for the throughput it costs.
 *
 * Prints JSON lines: one per run, and the latency figures (median, p99, max in ms).
 * Plugins are loaded from $SLUICE_TEST_BUILDDIR (default: the build directory it was built in).
 */
#include <stdio.h>
#include <stdlib.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "sluice-clock.h"
#include "sluice-control.h"
#include "sluice-dbus-service.h"
#include "sluice-registry.h"
#include "sluice-store-lmdb.h"
#include "test-tree.h"

#define CLIENT_PAUSE_US (10 * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  const char *address;
  gint stop;         /* atomic */
  GArray *latencies; /* gint64 µs per status */
  guint failures;
} Client;

static gpointer
client_thread (gpointer user_data)
{
  Client *client = user_data;
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GDBusConnection) connection = NULL;
  g_autoptr (GError) error = NULL;

  g_main_context_push_thread_default (context);
  connection = g_dbus_connection_new_for_address_sync (
      client->address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  if (connection == NULL)
    g_error ("client: %s", error->message);
  while (!g_atomic_int_get (&client->stop))
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr (GVariant) path = NULL;
      g_autoptr (GVariant) props = NULL;
      const char *object_path;

      path = g_dbus_connection_call_sync (connection, SLUICE_DBUS_NAME, SLUICE_DBUS_PATH,
                                          SLUICE_DBUS_MANAGER_INTERFACE, "GetPipe",
                                          g_variant_new ("(s)", "measured"), G_VARIANT_TYPE ("(o)"),
                                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
      if (path == NULL)
        {
          client->failures++;
          continue;
        }
      g_variant_get (path, "(&o)", &object_path);
      props = g_dbus_connection_call_sync (
          connection, SLUICE_DBUS_NAME, object_path, "org.freedesktop.DBus.Properties", "GetAll",
          g_variant_new ("(s)", SLUICE_DBUS_PIPE_INTERFACE), G_VARIANT_TYPE ("(a{sv})"),
          G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
      if (props == NULL)
        client->failures++;
      else
        {
          gint64 latency = g_get_monotonic_time () - start;

          g_array_append_val (client->latencies, latency);
        }
      /* A steady trickle of status calls, as a monitoring script would make. */
      g_usleep (CLIENT_PAUSE_US);
    }
  g_main_context_pop_thread_default (context);
  g_atomic_int_set (&client->stop, 2);
  return NULL;
}

typedef struct
{
  gboolean done;
  gboolean failed;
  SluiceRunStats *stats;
} RunEnd;

static void
on_finished (SluiceControl *control, const char *pipe_id, const SluiceRunStats *stats, RunEnd *end)
{
  end->stats = sluice_run_stats_copy (stats);
  end->done = TRUE;
}

static void
on_failed (SluiceControl *control, const char *pipe_id, const SluiceRunStats *stats,
           const GError *error, RunEnd *end)
{
  g_printerr ("bench-dbus-status: pipe '%s' failed: %s\n", pipe_id, error->message);
  end->failed = TRUE;
  end->done = TRUE;
}

static double
run_pipe (SluiceControl *control, const char *pipe_id, guint64 n)
{
  RunEnd end = { 0 };
  g_autoptr (GError) error = NULL;
  gulong finished_id, failed_id;
  double seconds;

  finished_id = g_signal_connect (control, "pipe-run-finished", G_CALLBACK (on_finished), &end);
  failed_id = g_signal_connect (control, "pipe-run-failed", G_CALLBACK (on_failed), &end);
  if (!sluice_control_start (control, pipe_id, &error))
    g_error ("start %s: %s", pipe_id, error->message);
  while (!end.done)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (control, finished_id);
  g_signal_handler_disconnect (control, failed_id);
  if (end.failed)
    exit (1);
  seconds = (end.stats->finished - end.stats->started) / 1e6;
  printf ("{\"bench\": \"dbus-status-run\", \"pipe\": \"%s\", \"entities\": %" G_GUINT64_FORMAT
          ", \"seconds\": %.2f, \"entities_per_s\": %.0f}\n",
          pipe_id, end.stats->entities_read, seconds, end.stats->entities_read / seconds);
  fflush (stdout);
  if (end.stats->entities_read != n)
    g_error ("pipe %s read %" G_GUINT64_FORMAT " entities, expected %" G_GUINT64_FORMAT, pipe_id,
             end.stats->entities_read, n);
  sluice_run_stats_free (end.stats);
  return seconds;
}

static int
compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

static void
load_plugin (SluiceRegistry *registry, const char *build_dir, const char *relative)
{
  g_autofree char *path = g_build_filename (build_dir, relative, NULL);
  g_autoptr (GError) error = NULL;

  if (!sluice_registry_load_file (registry, path, &error))
    g_error ("%s", error->message);
}

int
main (int argc, char **argv)
{
  guint64 n = argc > 1 ? g_ascii_strtoull (argv[1], NULL, 10) : 1000000;
  const char *build_dir = g_getenv ("SLUICE_TEST_BUILDDIR") != NULL
                              ? g_getenv ("SLUICE_TEST_BUILDDIR")
                              : BENCH_BUILDDIR;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sluice-bench-dbus-XXXXXX", &error);
  g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *data_path = g_build_filename (dir, "data", NULL);
  g_autofree char *config = NULL;
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autoptr (SluiceClock) clock = sluice_clock_new ();
  g_autoptr (GTestDBus) bus = NULL;
  g_autoptr (GDBusConnection) connection = NULL;
  g_autoptr (SluiceControl) control = NULL;
  SluiceDbusService *service;
  SluiceStoreBackend *store;
  const char *paths[] = { config_path, NULL };
  SluiceControlSettings settings = { 0 };
  Client client = { 0 };
  GThread *thread;
  GArray *l;
  gint64 median, p99, max;

  if (n == 0)
    {
      g_printerr ("usage: bench-dbus-status [N]\n");
      return 2;
    }
  config = g_strdup_printf (
      "[{\"_id\": \"baseline\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},\n"
      "  \"source\": {\"type\": \"test-sequence\", \"count\": %" G_GUINT64_FORMAT "}},\n"
      " {\"_id\": \"measured\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},\n"
      "  \"source\": {\"type\": \"test-sequence\", \"count\": %" G_GUINT64_FORMAT "}}]\n",
      n, n);
  g_file_set_contents (config_path, config, -1, NULL);
  load_plugin (registry, build_dir, "plugins/sluice-basic.so");
  load_plugin (registry, build_dir, "plugins/sluice-dataset.so");
  load_plugin (registry, build_dir, "tests/plugins/engine/sluice-engine-test.so");
  store = sluice_store_lmdb_open (data_path, NULL, &error);
  if (store == NULL)
    g_error ("%s", error->message);

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  connection = g_dbus_connection_new_for_address_sync (
      g_test_dbus_get_bus_address (bus),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  if (connection == NULL)
    g_error ("%s", error->message);

  settings.registry = registry;
  settings.config_paths = paths;
  settings.store = store;
  settings.clock = clock;
  control = sluice_control_new (&settings, NULL, &error);
  if (control == NULL)
    g_error ("%s", error->message);
  sluice_control_activate (control);
  service = sluice_dbus_service_new (control, connection, &error);
  if (service == NULL)
    g_error ("%s", error->message);

  run_pipe (control, "baseline", n);

  client.address = g_test_dbus_get_bus_address (bus);
  client.latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  thread = g_thread_new ("status-client", client_thread, &client);
  run_pipe (control, "measured", n);
  g_atomic_int_set (&client.stop, 1);
  /* The client's last call may wait for the main loop to answer it. */
  while (g_atomic_int_get (&client.stop) != 2)
    g_main_context_iteration (NULL, FALSE);
  g_thread_join (thread);
  l = client.latencies;
  sluice_dbus_service_free (service);
  g_dbus_connection_close_sync (connection, NULL, NULL);
  if (l->len == 0)
    g_error ("no status call answered");
  g_array_sort (l, compare_int64);
  median = g_array_index (l, gint64, l->len / 2);
  p99 = g_array_index (l, gint64, MIN (l->len - 1, (guint)(l->len * 0.99)));
  max = g_array_index (l, gint64, l->len - 1);
  printf ("{\"bench\": \"dbus-status\", \"entities\": %" G_GUINT64_FORMAT
          ", \"calls\": %u, \"failures\": %u, \"median_ms\": %.2f, \"p99_ms\": %.2f, "
          "\"max_ms\": %.2f, \"target_p99_ms\": 100}\n",
          n, l->len, client.failures, median / 1e3, p99 / 1e3, max / 1e3);
  g_array_unref (l);

  sluice_control_shutdown (control);
  while (!sluice_control_is_stopped (control))
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&control);
  g_test_dbus_down (bus);
  sluice_store_backend_free (store);
  sluice_test_remove_tree (dir);
  return p99 < 100 * 1000 ? 0 : 1;
}
