/* http-test-server.c — the loopback test server of the http plugin's tests (http-test-server.h). */
#include "http-test-server.h"

#include <string.h>

/* LeakSanitizer: libsoup 3.2 keeps the accepted client sockets and the listener's address of a
 * server after the server is finalized (the SoupServer itself is freed).  Only server-side frames
 * are named, so a leak in the client code under test is still reported. */
const char *__lsan_default_suppressions (void);
const char *__asan_default_options (void);

/* The suppressions match frames deep inside GLib's allocators: unwind fully to see them. */
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}

const char *
__lsan_default_suppressions (void)
{
  return "leak:g_socket_accept\nleak:soup_server_listen_local\n";
}

struct _HttpTestServer
{
  SoupServer *server;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  char *url;

  GMutex lock;
  GCond started;
  gboolean is_started;
  GPtrArray *requests; /* HttpTestRequest */
  guint in_flight;
  guint max_in_flight;
};

typedef struct
{
  HttpTestServer *server;
  HttpTestHandler handler;
  gpointer user_data;
} Route;

void
http_test_request_free (HttpTestRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->method);
  g_free (request->path);
  g_free (request->query);
  g_free (request->authorization);
  g_free (request->body);
  if (request->headers != NULL)
    soup_message_headers_unref (request->headers);
  g_free (request);
}

static HttpTestRequest *
copy_request (const HttpTestRequest *r)
{
  HttpTestRequest *copy = g_new0 (HttpTestRequest, 1);

  copy->method = g_strdup (r->method);
  copy->path = g_strdup (r->path);
  copy->query = g_strdup (r->query);
  copy->authorization = g_strdup (r->authorization);
  copy->body = g_strdup (r->body);
  copy->headers = r->headers != NULL ? soup_message_headers_ref (r->headers) : NULL;
  return copy;
}

HttpTestServer *
http_test_server_new (void)
{
  HttpTestServer *server = g_new0 (HttpTestServer, 1);

  server->server = soup_server_new (NULL, NULL);
  server->context = g_main_context_new ();
  server->loop = g_main_loop_new (server->context, FALSE);
  server->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) http_test_request_free);
  g_mutex_init (&server->lock);
  g_cond_init (&server->started);
  return server;
}

static void
on_finished (SoupServerMessage *msg, gpointer user_data)
{
  HttpTestServer *server = user_data;

  g_mutex_lock (&server->lock);
  server->in_flight--;
  g_mutex_unlock (&server->lock);
}

static void
dispatch (SoupServer *soup_server, SoupServerMessage *msg, const char *path, GHashTable *query,
          gpointer user_data)
{
  Route *route = user_data;
  HttpTestServer *server = route->server;
  HttpTestRequest *request = g_new0 (HttpTestRequest, 1);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  request->method = g_strdup (soup_server_message_get_method (msg));
  request->path = g_strdup (path);
  request->query = g_strdup (g_uri_get_query (uri));
  request->authorization = g_strdup (soup_message_headers_get_one (headers, "Authorization"));
  request->body = g_strndup (body->data ? body->data : "", body->length);
  request->headers = soup_message_headers_ref (headers);
  g_mutex_lock (&server->lock);
  g_ptr_array_add (server->requests, request);
  server->in_flight++;
  server->max_in_flight = MAX (server->max_in_flight, server->in_flight);
  g_mutex_unlock (&server->lock);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), server);
  route->handler (server, msg, path, query, route->user_data);
}

void
http_test_server_add_handler (HttpTestServer *server, const char *path, HttpTestHandler handler,
                              gpointer user_data)
{
  Route *route = g_new0 (Route, 1);

  route->server = server;
  route->handler = handler;
  route->user_data = user_data;
  soup_server_add_handler (server->server, path, dispatch, route, g_free);
}

static gpointer
run (gpointer data)
{
  HttpTestServer *server = data;
  g_autoptr (GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (server->context);
  if (!soup_server_listen_local (server->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("test server: %s", error->message);
  uris = soup_server_get_uris (server->server);
  g_mutex_lock (&server->lock);
  server->url = g_strdup_printf ("http://127.0.0.1:%d/", g_uri_get_port (uris->data));
  server->is_started = TRUE;
  g_cond_signal (&server->started);
  g_mutex_unlock (&server->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_main_loop_run (server->loop);
  soup_server_disconnect (server->server);
  g_clear_object (&server->server);
  while (g_main_context_pending (server->context))
    g_main_context_iteration (server->context, FALSE);
  g_main_context_pop_thread_default (server->context);
  return NULL;
}

void
http_test_server_start (HttpTestServer *server)
{
  server->thread = g_thread_new ("http-test-server", run, server);
  g_mutex_lock (&server->lock);
  while (!server->is_started)
    g_cond_wait (&server->started, &server->lock);
  g_mutex_unlock (&server->lock);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
http_test_server_free (HttpTestServer *server)
{
  if (server == NULL)
    return;
  if (server->thread != NULL)
    {
      g_main_context_invoke (server->context, quit_loop, server->loop);
      g_thread_join (server->thread);
    }
  g_clear_object (&server->server);
  g_main_loop_unref (server->loop);
  g_main_context_unref (server->context);
  g_ptr_array_unref (server->requests);
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->started);
  g_free (server->url);
  g_free (server);
}

const char *
http_test_server_get_url (HttpTestServer *server)
{
  return server->url;
}

guint
http_test_server_count_requests (HttpTestServer *server)
{
  guint n;

  g_mutex_lock (&server->lock);
  n = server->requests->len;
  g_mutex_unlock (&server->lock);
  return n;
}

HttpTestRequest *
http_test_server_dup_request (HttpTestServer *server, guint index)
{
  HttpTestRequest *copy = NULL;

  g_mutex_lock (&server->lock);
  if (index < server->requests->len)
    copy = copy_request (g_ptr_array_index (server->requests, index));
  g_mutex_unlock (&server->lock);
  return copy;
}

guint
http_test_server_get_max_in_flight (HttpTestServer *server)
{
  guint n;

  g_mutex_lock (&server->lock);
  n = server->max_in_flight;
  g_mutex_unlock (&server->lock);
  return n;
}

static gboolean
unpause (gpointer data)
{
  soup_server_message_unpause (data);
  return G_SOURCE_REMOVE;
}

void
http_test_server_delay (HttpTestServer *server, SoupServerMessage *msg, guint delay_ms)
{
  GSource *source = g_timeout_source_new (delay_ms);

  soup_server_message_pause (msg);
  g_source_set_callback (source, unpause, g_object_ref (msg), g_object_unref);
  g_source_attach (source, server->context);
  g_source_unref (source);
}

void
http_test_reply (SoupServerMessage *msg, guint status, const char *content_type, const char *body)
{
  soup_server_message_set_status (msg, status, NULL);
  if (body != NULL)
    soup_server_message_set_response (msg, content_type ? content_type : "application/json",
                                      SOUP_MEMORY_COPY, body, strlen (body));
}

static SluiceValue *
get_system (void *host_data, const SluiceElementContext *context, const char *system_id)
{
  return host_data != NULL ? sluice_value_dict_lookup (host_data, system_id) : NULL;
}

static const SluiceHostServices test_host = {
  SLUICE_HOST_SERVICES_INIT,
  .get_system = get_system,
};

SluiceValue *
http_test_json (const char *json)
{
  g_autoptr (GError) error = NULL;
  SluiceValue *value = sluice_value_from_json (json, -1, &error);

  if (value == NULL)
    g_error ("bad test JSON %s: %s", json, error->message);
  return value;
}

SluiceElementContext *
http_test_context_new (const char *element_type, const char *options_json, SluiceValue *systems)
{
  g_autoptr (SluiceValue) options = http_test_json (options_json);
  SluiceElementContext *context = sluice_element_context_new ("http", element_type, "test-pipe",
                                                              options);

  sluice_element_context_set_host (context, &test_host, systems);
  return context;
}
