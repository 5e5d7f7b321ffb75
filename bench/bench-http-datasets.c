/* bench-http-datasets.c — reading a dataset over the HTTP API (GET /api/datasets/{id}/entities):
 * throughput (MB/s, entities/s) and the peak memory of the server and of the client, for several
 * dataset sizes, so that one sees memory stay flat while the dataset grows (docs/http-api.md).
 *
 *   bench-http-datasets PLUGIN_DIR [N[,N…]]        (default 20000,200000)
 *
 * For each size, a fresh store gets N standard entities (the shape of bench/gen_entities.py, about
 * 218 bytes of JSON), a SluiceControl and the HTTP server run in this process on 127.0.0.1, and a
 * client process (this program again, `--client URL TOKEN`) streams the whole dataset with a
 * SoupSession, parses it with the SDK's streaming JSON reader and drops each entity.  The client
 * measures from sending the request to the end of the body and reports its ru_maxrss; the server
 * samples its RssAnon every 10 ms during the request (VmHWM also counts the LMDB file pages it
 * touched, which are page cache) and reports the peak of both.  One JSON line per size.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "bench-client-phase.h"
#include "bench-http-pull.h"
#include "sluice-clock.h"
#include "sluice-http-api.h"
#include "sluice-registry.h"
#include "sluice-store.h"
#include "sluice-store-lmdb.h"
#include "test-tree.h"

#define TOKEN "bench-token-0123456789"

/* User and system time of all threads. */
static double
cpu_seconds (const struct rusage *usage)
{
  return usage->ru_utime.tv_sec + usage->ru_stime.tv_sec
         + (usage->ru_utime.tv_usec + usage->ru_stime.tv_usec) / 1e6;
}

/* ---- the client process -------------------------------------------------------------------- */

static int
run_client (const char *url, const char *token)
{
  BenchPull pull = bench_http_pull (url, token);
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  printf ("{\"entities\": %" G_GUINT64_FORMAT ", \"bytes\": %" G_GUINT64_FORMAT
          ", \"wall_s\": %.3f, \"cpu_s\": %.3f, \"peak_rss_mib\": %.1f}\n",
          pull.entities, pull.bytes, pull.seconds, cpu_seconds (&usage),
          usage.ru_maxrss / 1024.0);
  return 0;
}

/* ---- the server side ----------------------------------------------------------------------- */

static void
fill (SluiceStoreBackend *store, guint64 n)
{
  static const char *const first[] = { "Ola", "Kari", "John", "Mary", "Per", "Anne", "Lars",
                                       "Ingrid", "Nils", "Eva" };
  static const char *const last[] = { "Nordmann", "Smith", "Hansen", "Johansen", "Olsen",
                                      "Larsen", "Berg", "Dahl" };
  static const char *const cities[] = { "Oslo", "Bergen", "Trondheim" };
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (GError) error = NULL;

  for (guint64 i = 0; i < n;)
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();
      SluiceStoreTxn *txn = sluice_store_backend_begin (store, &error);
      g_autoptr (SluiceDatasetInfo) info = NULL;

      if (txn == NULL)
        g_error ("%s", error->message);
      for (guint64 end = MIN (n, i + 1000); i < end; i++)
        {
          g_autofree char *json = g_strdup_printf (
            "{\"_id\":\"person-%" G_GUINT64_FORMAT "\",\"name\":\"%s %s\",\"email\":\"user%"
            G_GUINT64_FORMAT "@example.org\",\"age\":%d,\"updated\":\"2026-%02d-%02dT12:00:00Z\","
            "\"address\":{\"street\":\"Street %d\",\"zip\":\"%d\",\"city\":\"%s\"},"
            "\"tags\":[\"a\",\"c\",\"e\"],\"score\":%.3f}",
            i, first[g_rand_int_range (rand, 0, 10)], last[g_rand_int_range (rand, 0, 8)], i,
            g_rand_int_range (rand, 18, 91), g_rand_int_range (rand, 1, 13),
            g_rand_int_range (rand, 1, 29), g_rand_int_range (rand, 1, 201),
            g_rand_int_range (rand, 1000, 10000), cities[g_rand_int_range (rand, 0, 3)],
            g_rand_double (rand) * 100);
          g_autoptr (SluiceValue) body = sluice_value_from_json (json, -1, &error);

          sluice_batch_take (batch, sluice_entity_new (body, &error));
        }
      info = sluice_store_txn_create_dataset (txn, "standard", TRUE, &error);
      if (info == NULL || !sluice_store_txn_append_batch (txn, "standard", batch, 0, NULL, &error)
          || !sluice_store_txn_commit (txn, 0, &error))
        g_error ("%s", error->message);
    }
}

static void
bench_size (const char *self, const char *plugin_dir, guint64 n)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sluice-bench-http-XXXXXX", &error);
  g_autofree char *data_dir = g_build_filename (dir, "data", NULL);
  g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *secrets_path = g_build_filename (dir, "secrets.json", NULL);
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autoptr (SluiceClock) clock = sluice_clock_new ();
  g_autoptr (SluiceControl) control = NULL;
  g_autoptr (SluiceHttpServer) server = NULL;
  g_autofree char *url = NULL;
  g_autofree char *port = NULL;
  const char *paths[] = { config_path, NULL };
  SluiceStoreBackend *store;
  SluiceHttpSettings settings = { .address = "127.0.0.1:0" };
  JsonObject *client_figures;
  long rss_before, hwm, peak_anon_kib;
  struct rusage usage_before, usage_after;
  double seconds, megabytes;

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_build_filename (plugin_dir, i == 0 ? "sluice-basic.so"
                                                                   : "sluice-dataset.so", NULL);

      if (!sluice_registry_load_file (registry, path, &error))
        g_error ("%s", error->message);
    }
  store = sluice_store_lmdb_open (data_dir, NULL, &error);
  if (store == NULL)
    g_error ("%s", error->message);
  fill (store, n);
  g_file_set_contents (config_path,
                       "[{\"_id\": \"node\", \"type\": \"metadata\", \"api_tokens\": [{\"name\": "
                       "\"bench\", \"token\": \"$SECRET(bench)\", \"access\": \"read\"}]},\n"
                       " {\"_id\": \"standard\", \"type\": \"pipe\", \"pump\": {\"mode\": "
                       "\"manual\"}, \"source\": {\"type\": \"embedded\", \"entities\": []}}]\n",
                       -1, NULL);
  g_file_set_contents (secrets_path, "{\"bench\": \"" TOKEN "\"}", -1, NULL);
  g_chmod (secrets_path, 0600);
  {
    SluiceControlSettings control_settings = {
      .registry = registry, .config_paths = paths, .secrets_file = secrets_path,
      .store = store, .clock = clock,
    };

    control = sluice_control_new (&control_settings, NULL, &error);
  }
  if (control == NULL)
    g_error ("%s", error->message);
  sluice_control_activate (control);
  server = sluice_http_server_new (control, &settings, &error);
  if (server == NULL)
    g_error ("%s", error->message);
  url = g_strdup_printf ("http://127.0.0.1:%u/api/datasets/standard/entities",
                         sluice_http_server_get_port (server));

  /* Reset VmHWM, so that it says what the request took, not what filling the store did. */
  g_file_set_contents ("/proc/self/clear_refs", "5", -1, NULL);
  rss_before = bench_proc_status_kib ("VmRSS:");
  getrusage (RUSAGE_SELF, &usage_before);
  client_figures = bench_run_client ((const char *[]) { self, "--client", url, TOKEN, NULL },
                                     &peak_anon_kib);
  getrusage (RUSAGE_SELF, &usage_after);
  hwm = bench_proc_status_kib ("VmHWM:");

  seconds = json_object_get_double_member (client_figures, "wall_s");
  megabytes = json_object_get_int_member (client_figures, "bytes") / 1e6;
  printf ("{\"workload\": \"http-dataset-read\", \"entities\": %" G_GINT64_FORMAT
          ", \"bytes\": %" G_GINT64_FORMAT ", \"wall_s\": %.3f, \"mb_per_s\": %.1f, "
          "\"entities_per_s\": %.0f, \"server_cpu_s\": %.3f, \"client_cpu_s\": %.3f, "
          "\"server_rss_before_mib\": %.1f, \"server_peak_rss_mib\": %.1f, "
          "\"server_peak_anon_mib\": %.1f, \"client_peak_rss_mib\": %.1f}\n",
          json_object_get_int_member (client_figures, "entities"),
          json_object_get_int_member (client_figures, "bytes"), seconds, megabytes / seconds,
          json_object_get_int_member (client_figures, "entities") / seconds,
          cpu_seconds (&usage_after) - cpu_seconds (&usage_before),
          json_object_get_double_member (client_figures, "cpu_s"), rss_before / 1024.0,
          hwm / 1024.0, peak_anon_kib / 1024.0,
          json_object_get_double_member (client_figures, "peak_rss_mib"));
  fflush (stdout);
  if ((guint64) json_object_get_int_member (client_figures, "entities") != n)
    g_error ("the client got %" G_GINT64_FORMAT " entities, not %" G_GUINT64_FORMAT,
             json_object_get_int_member (client_figures, "entities"), n);

  g_clear_pointer (&server, sluice_http_server_free);
  sluice_control_shutdown (control);
  while (!sluice_control_is_stopped (control))
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&control);
  sluice_store_backend_free (store);
  json_object_unref (client_figures);
  sluice_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_auto (GStrv) sizes = NULL;

  if (argc == 4 && g_str_equal (argv[1], "--client"))
    return run_client (argv[2], argv[3]);
  if (argc < 2 || argc > 3)
    {
      fprintf (stderr, "usage: %s PLUGIN_DIR [N[,N…]]\n", argv[0]);
      return 2;
    }
  sizes = g_strsplit (argc == 3 ? argv[2] : "20000,200000", ",", -1);
  for (guint i = 0; sizes[i] != NULL; i++)
    bench_size (argv[0], argv[1], g_ascii_strtoull (sizes[i], NULL, 10));
  return 0;
}
