/* bench-http-json-source.c — the http plugin's json source pulling entities over HTTP: entities per
 * second and peak memory (issue 6).
 *
 *   bench-http-json-source [N [URL]]
 *
 * Without URL, an in-process SoupServer on 127.0.0.1 (own thread) streams N generated entities of
 * about 200 bytes with chunked encoding, a chunk at a time, so that the server's memory does not
 * count against the client's.  With URL (the demo CRM, say http://127.0.0.1:8080/persons) the
 * source pulls from there.  The source is linked in statically and driven as the engine drives it,
 * in batches of 1,000. */
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "http-elements.h"

typedef struct
{
  guint64 n;
  guint64 next;
} Stream;

static GMainContext *server_context;
static GMainLoop *server_loop;
static char *server_url;
static guint64 n_entities = 200000;
static GMutex lock;
static GCond ready;

#define ENTITIES_PER_CHUNK 500

static void
append_chunk (SoupServerMessage *msg, Stream *stream)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  GString *chunk = g_string_new (NULL);
  guint64 end = MIN (stream->n, stream->next + ENTITIES_PER_CHUNK);

  if (stream->next == 0)
    g_string_append_c (chunk, '[');
  for (; stream->next < end; stream->next++)
    g_string_append_printf (chunk,
                            "%s{\"_id\": \"person-%" G_GUINT64_FORMAT "\", \"name\": \"Person number %"
                            G_GUINT64_FORMAT "\", \"email\": \"person%" G_GUINT64_FORMAT
                            "@example.com\", \"age\": %" G_GUINT64_FORMAT ", \"active\": true, "
                            "\"tags\": [\"a\", \"b\"], \"score\": 12.5, \"_updated\": %" G_GUINT64_FORMAT "}",
                            stream->next > 0 ? "," : "", stream->next, stream->next, stream->next,
                            stream->next % 90, stream->next);
  if (stream->next == stream->n)
    g_string_append_c (chunk, ']');
  soup_message_body_append (body, SOUP_MEMORY_TAKE, chunk->str, chunk->len);
  g_string_free (chunk, FALSE);
  if (stream->next == stream->n)
    soup_message_body_complete (body);
}

static void
on_wrote_chunk (SoupServerMessage *msg, gpointer user_data)
{
  Stream *stream = user_data;

  if (stream->next < stream->n)
    {
      append_chunk (msg, stream);
      soup_server_message_unpause (msg);
    }
}

static void
handle_persons (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer user_data)
{
  Stream *stream = g_new0 (Stream, 1);

  stream->n = n_entities;
  /* Written chunks are dropped, so the server side stays small whatever N is. */
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg),
                                     SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg),
                                         "application/json", NULL);
  g_signal_connect_data (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), stream,
                         (GClosureNotify) (void (*) (void)) g_free, 0);
  append_chunk (msg, stream);
}

static gpointer
serve (gpointer data)
{
  SoupServer *server = soup_server_new (NULL, NULL);
  GError *error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (server_context);
  soup_server_add_handler (server, "/persons", handle_persons, NULL, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("%s", error->message);
  uris = soup_server_get_uris (server);
  g_mutex_lock (&lock);
  server_url = g_strdup_printf ("http://127.0.0.1:%d/", g_uri_get_port (uris->data));
  g_cond_signal (&ready);
  g_mutex_unlock (&lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_main_loop_run (server_loop);
  return NULL;
}

static SluiceValue *
get_system (void *host_data, const SluiceElementContext *context, const char *system_id)
{
  return host_data;
}

static const SluiceHostServices host = { SLUICE_HOST_SERVICES_INIT, .get_system = get_system };

int
main (int argc, char **argv)
{
  const SluiceSourceCallbacks *cb = http_json_source.callbacks;
  g_autofree char *system_json = NULL;
  g_autoptr (SluiceValue) system = NULL;
  g_autoptr (SluiceValue) options = NULL;
  g_autoptr (SluiceElementContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const char *url;
  struct rusage usage;
  guint64 count = 0;
  gint64 started;
  double seconds;
  SluiceFlow flow;
  void *source;

  if (argc > 1)
    n_entities = g_ascii_strtoull (argv[1], NULL, 10);
  if (argc > 2)
    url = argv[2];
  else
    {
      server_context = g_main_context_new ();
      server_loop = g_main_loop_new (server_context, FALSE);
      g_mutex_lock (&lock);
      g_thread_new ("server", serve, NULL);
      while (server_url == NULL)
        g_cond_wait (&ready, &lock);
      g_mutex_unlock (&lock);
      url = g_strconcat (server_url, "persons", NULL);
    }
  system_json = g_strdup_printf ("{\"_id\": \"bench\", \"type\": \"system:url\", \"url_pattern\": \"%s\"}",
                                 url);
  system = sluice_value_from_json (system_json, -1, NULL);
  options = sluice_value_from_json ("{\"system\": \"bench\"}", -1, NULL);
  context = sluice_element_context_new ("http", "json", "bench", options);
  sluice_element_context_set_host (context, &host, system);

  source = cb->create (context, &error);
  if (source == NULL || !cb->open (source, SLUICE_RUN_FLAG_FULL, NULL, &error))
    g_error ("%s", error->message);
  started = g_get_monotonic_time ();
  do
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();

      flow = cb->read (source, batch, 1000, &error);
      count += sluice_batch_get_length (batch);
    }
  while (flow == SLUICE_FLOW_OK);
  seconds = (g_get_monotonic_time () - started) / 1e6;
  if (flow != SLUICE_FLOW_EOS)
    g_error ("%s", error->message);
  cb->close (source);
  cb->destroy (source);
  getrusage (RUSAGE_SELF, &usage);
  printf ("json source: %" G_GUINT64_FORMAT " entities in %.2f s: %.0f entities/s; peak RSS %ld MiB "
          "(server %s)\n",
          count, seconds, count / seconds, usage.ru_maxrss / 1024,
          argc > 2 ? "external" : "in process, streaming");
  return 0;
}
