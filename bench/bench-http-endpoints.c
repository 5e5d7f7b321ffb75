/* bench-http-endpoints.c — a receiver and a publisher over loopback HTTP (docs/http-endpoints.md):
 * ingest of N standard entities POSTed to /api/receivers/{pipe}/entities in batches (entities/s,
 * every batch a durable commit), then the same data read back through a publisher,
 * GET /api/publishers/{pipe}/entities (MB/s), with the peak memory of server and client.
 *
 *   bench-http-endpoints PLUGIN_DIR [N [BATCH]]        (default 200000 1000)
 *
 * The SluiceControl and the HTTP server run in this process on 127.0.0.1; each client is this
 * program again in a process of its own (`--push URL TOKEN N BATCH`, `--pull URL TOKEN`), so
 * that the two memories are apart.  The pushing client builds each batch's body (the standard
 * entity of bench/gen_entities.py, about 218 bytes of JSON) just before sending it; that time is
 * counted.  The server samples its RssAnon every 10 ms during each phase.  One JSON line per
 * phase.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#include "sluice-store-lmdb.h"
#include "test-tree.h"

#define TOKEN "bench-token-0123456789"

static double
peak_rss_mib (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

/* ---- the clients --------------------------------------------------------------------------- */

static void
append_entity (GString *out, GRand *rand, guint64 i)
{
  static const char *const first[] = { "Ola", "Kari", "John", "Mary", "Per", "Anne", "Lars",
                                       "Ingrid", "Nils", "Eva" };
  static const char *const last[] = { "Nordmann", "Smith", "Hansen", "Johansen", "Olsen",
                                      "Larsen", "Berg", "Dahl" };
  static const char *const cities[] = { "Oslo", "Bergen", "Trondheim" };

  g_string_append_printf (
    out,
    "{\"_id\":\"person-%" G_GUINT64_FORMAT "\",\"name\":\"%s %s\",\"email\":\"user%" G_GUINT64_FORMAT
    "@example.org\",\"age\":%d,\"updated\":\"2026-%02d-%02dT12:00:00Z\",\"address\":{\"street\":"
    "\"Street %d\",\"zip\":\"%d\",\"city\":\"%s\"},\"tags\":[\"a\",\"c\",\"e\"],\"score\":%.3f}",
    i, first[g_rand_int_range (rand, 0, 10)], last[g_rand_int_range (rand, 0, 8)], i,
    g_rand_int_range (rand, 18, 91), g_rand_int_range (rand, 1, 13), g_rand_int_range (rand, 1, 29),
    g_rand_int_range (rand, 1, 201), g_rand_int_range (rand, 1000, 10000),
    cities[g_rand_int_range (rand, 0, 3)], g_rand_double (rand) * 100);
}

/* Nagle's algorithm holds back the tail of each write of a large body until the server's
 * (delayed) acknowledgement comes, about 40 ms a write on loopback: a client that pushes bulk data
 * turns it off, as curl does. */
static void
on_network_event (SoupMessage *msg, GSocketClientEvent event, GIOStream *connection,
                  gpointer data)
{
  if (event == G_SOCKET_CLIENT_CONNECTED && G_IS_SOCKET_CONNECTION (connection))
    g_socket_set_option (g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)),
                         IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static int
run_pusher (const char *url, const char *token, guint64 n, guint64 batch)
{
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 600, NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autofree char *header = g_strdup_printf ("Bearer %s", token);
  g_autoptr (GString) body = g_string_new (NULL);
  guint64 bytes = 0;
  gint64 started = g_get_monotonic_time ();

  for (guint64 i = 0; i < n;)
    {
      g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr (GBytes) request = NULL;
      g_autoptr (GBytes) response = NULL;
      g_autoptr (GError) error = NULL;

      g_string_assign (body, "[");
      for (guint64 end = MIN (n, i + batch); i < end; i++)
        {
          if (body->len > 1)
            g_string_append_c (body, ',');
          append_entity (body, rand, i);
        }
      g_string_append_c (body, ']');
      bytes += body->len;
      request = g_bytes_new (body->str, body->len);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    header);
      soup_message_set_request_body_from_bytes (msg, "application/json", request);
      g_signal_connect (msg, "network-event", G_CALLBACK (on_network_event), NULL);
      response = soup_session_send_and_read (session, msg, NULL, &error);
      if (response == NULL || soup_message_get_status (msg) != 200)
        g_error ("POST %s: %s (status %u)", url, error != NULL ? error->message : "failed",
                 soup_message_get_status (msg));
    }
  printf ("{\"entities\": %" G_GUINT64_FORMAT ", \"bytes\": %" G_GUINT64_FORMAT
          ", \"wall_s\": %.3f, \"peak_rss_mib\": %.1f}\n",
          n, bytes, (g_get_monotonic_time () - started) / 1e6, peak_rss_mib ());
  return 0;
}

static int
run_puller (const char *url, const char *token)
{
  BenchPull pull = bench_http_pull (url, token);

  printf ("{\"entities\": %" G_GUINT64_FORMAT ", \"bytes\": %" G_GUINT64_FORMAT
          ", \"wall_s\": %.3f, \"peak_rss_mib\": %.1f}\n",
          pull.entities, pull.bytes, pull.seconds, peak_rss_mib ());
  return 0;
}

/* ---- the server side ----------------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *data_dir = NULL, *config_path = NULL, *secrets_path = NULL;
  g_autofree char *push_url = NULL, *pull_url = NULL, *n_text = NULL, *batch_text = NULL;
  g_autoptr (SluiceRegistry) registry = sluice_registry_new ();
  g_autoptr (SluiceClock) clock = sluice_clock_new ();
  g_autoptr (SluiceControl) control = NULL;
  g_autoptr (SluiceHttpServer) server = NULL;
  const char *paths[] = { NULL, NULL };
  const char *const plugins[] = { "sluice-basic.so", "sluice-dataset.so", "sluice-endpoint.so" };
  SluiceHttpSettings settings = { .address = "127.0.0.1:0" };
  SluiceStoreBackend *store;
  long ingest_peak_anon_kib, read_peak_anon_kib;
  JsonObject *pushed, *pulled;
  guint64 n = 200000, batch = 1000;
  double seconds;

  if (argc == 6 && g_str_equal (argv[1], "--push"))
    return run_pusher (argv[2], argv[3], g_ascii_strtoull (argv[4], NULL, 10),
                       g_ascii_strtoull (argv[5], NULL, 10));
  if (argc == 4 && g_str_equal (argv[1], "--pull"))
    return run_puller (argv[2], argv[3]);
  if (argc < 2 || argc > 4)
    {
      fprintf (stderr, "usage: %s PLUGIN_DIR [N [BATCH]]\n", argv[0]);
      return 2;
    }
  if (argc > 2)
    n = g_ascii_strtoull (argv[2], NULL, 10);
  if (argc > 3)
    batch = MAX (g_ascii_strtoull (argv[3], NULL, 10), 1);

  for (guint i = 0; i < G_N_ELEMENTS (plugins); i++)
    {
      g_autofree char *path = g_build_filename (argv[1], plugins[i], NULL);

      if (!sluice_registry_load_file (registry, path, &error))
        g_error ("%s", error->message);
    }
  dir = g_dir_make_tmp ("sluice-bench-endpoints-XXXXXX", &error);
  data_dir = g_build_filename (dir, "data", NULL);
  config_path = g_build_filename (dir, "config.json", NULL);
  secrets_path = g_build_filename (dir, "secrets.json", NULL);
  paths[0] = config_path;
  store = sluice_store_lmdb_open (data_dir, NULL, &error);
  if (store == NULL)
    g_error ("%s", error->message);
  g_file_set_contents (config_path,
                       "[{\"_id\": \"node\", \"type\": \"metadata\", \"api_tokens\": [{\"name\": "
                       "\"bench\", \"token\": \"$SECRET(bench)\", \"access\": \"write\"}]},\n"
                       " {\"_id\": \"ingest\", \"type\": \"pipe\", \"batch_size\": 1000,\n"
                       "  \"source\": {\"type\": \"http_endpoint\"},\n"
                       "  \"sink\": {\"type\": \"dataset\", \"dataset\": \"standard\"}},\n"
                       " {\"_id\": \"publish\", \"type\": \"pipe\",\n"
                       "  \"source\": {\"type\": \"dataset\", \"dataset\": \"standard\"},\n"
                       "  \"sink\": {\"type\": \"http_endpoint\"}}]\n",
                       -1, NULL);
  g_file_set_contents (secrets_path, "{\"bench\": \"" TOKEN "\"}", -1, NULL);
  g_chmod (secrets_path, 0600);
  control = sluice_control_new (&(SluiceControlSettings) { .registry = registry,
                                                           .config_paths = paths,
                                                           .secrets_file = secrets_path,
                                                           .store = store,
                                                           .clock = clock },
                                NULL, &error);
  if (control == NULL)
    g_error ("%s", error->message);
  sluice_control_activate (control);
  server = sluice_http_server_new (control, &settings, &error);
  if (server == NULL)
    g_error ("%s", error->message);
  push_url = g_strdup_printf ("http://127.0.0.1:%u/api/receivers/ingest/entities",
                              sluice_http_server_get_port (server));
  pull_url = g_strdup_printf ("http://127.0.0.1:%u/api/publishers/publish/entities",
                              sluice_http_server_get_port (server));
  n_text = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
  batch_text = g_strdup_printf ("%" G_GUINT64_FORMAT, batch);

  pushed = bench_run_client ((const char *[]) { argv[0], "--push", push_url, TOKEN, n_text,
                                                batch_text, NULL },
                             &ingest_peak_anon_kib);
  seconds = json_object_get_double_member (pushed, "wall_s");
  printf ("{\"workload\": \"http-receiver-ingest\", \"entities\": %" G_GUINT64_FORMAT
          ", \"batch\": %" G_GUINT64_FORMAT ", \"bytes\": %" G_GINT64_FORMAT
          ", \"wall_s\": %.3f, \"entities_per_s\": %.0f, \"mb_per_s\": %.1f, "
          "\"server_peak_anon_mib\": %.1f, \"client_peak_rss_mib\": %.1f}\n",
          n, batch, json_object_get_int_member (pushed, "bytes"), seconds, n / seconds,
          json_object_get_int_member (pushed, "bytes") / 1e6 / seconds,
          ingest_peak_anon_kib / 1024.0, json_object_get_double_member (pushed, "peak_rss_mib"));
  fflush (stdout);

  pulled = bench_run_client ((const char *[]) { argv[0], "--pull", pull_url, TOKEN, NULL },
                             &read_peak_anon_kib);
  seconds = json_object_get_double_member (pulled, "wall_s");
  printf ("{\"workload\": \"http-publisher-read\", \"entities\": %" G_GINT64_FORMAT
          ", \"bytes\": %" G_GINT64_FORMAT ", \"wall_s\": %.3f, \"mb_per_s\": %.1f, "
          "\"entities_per_s\": %.0f, \"server_peak_anon_mib\": %.1f, "
          "\"client_peak_rss_mib\": %.1f}\n",
          json_object_get_int_member (pulled, "entities"),
          json_object_get_int_member (pulled, "bytes"), seconds,
          json_object_get_int_member (pulled, "bytes") / 1e6 / seconds,
          json_object_get_int_member (pulled, "entities") / seconds,
          read_peak_anon_kib / 1024.0, json_object_get_double_member (pulled, "peak_rss_mib"));
  fflush (stdout);
  if ((guint64) json_object_get_int_member (pulled, "entities") != n)
    g_error ("the publisher served %" G_GINT64_FORMAT " entities, not %" G_GUINT64_FORMAT,
             json_object_get_int_member (pulled, "entities"), n);

  json_object_unref (pushed);
  json_object_unref (pulled);
  g_clear_pointer (&server, sluice_http_server_free);
  sluice_control_shutdown (control);
  while (!sluice_control_is_stopped (control))
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&control);
  sluice_store_backend_free (store);
  sluice_test_remove_tree (dir);
  return 0;
}
