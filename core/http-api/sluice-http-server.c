/* sluice-http-server.c — the HTTP API server of sluiced (`--http ADDR:PORT`; docs/http-api.md):
 * listening (plain or TLS), the request body limit, authentication and routing.
 *
 * One libsoup SoupServer on the control's main context.  Every request under /api goes through
 * handle_request (): its path is split and percent-decoded segment by segment, the bearer token
 * is looked up in the api_tokens of the running configuration (rebuilt when a reload brought a
 * new configuration), and the area handler is called with a SluiceHttpContext.  Handlers check
 * what the token may do with sluice_http_authorize () and reply synchronously, or stream.
 *
 * The body limit is enforced before the handler: a Content-Length over the limit is refused in
 * the early handler (libsoup then sends 413 without reading the body when the client asked
 * `Expect: 100-continue`, and otherwise reads and drops it without keeping it); a chunked body
 * is counted as it arrives and dropped once over the limit.  Either way the body never sits in
 * memory beyond the limit and no handler sees it.
 *
 * Keep-alive connections that their clients closed are closed by sluice-http-keepalive.c, as
 * libsoup 3.2 leaves them open.
 */
#include <string.h>

#include "sluice-build-config.h"
#include "sluice-http-keepalive.h"
#include "sluice-http-private.h"

struct _SluiceHttpServer
{
  SluiceControl *control;
  SoupServer *soup;
  SluiceHttpKeepalive *keepalive;
  char *address;
  guint port;
  gsize max_body_size;
  SluiceHttpPushBudget *push_budget;
  gboolean loopback;

  /* The tokens of the running configuration; NULL until asked for, and after a reload. */
  SluiceHttpTokens *tokens;

  GMutex streams_lock;
  GCond streams_cond;
  GHashTable *streams; /* SluiceHttpStream * whose worker runs */
  GHashTable *open_streams; /* SluiceHttpStream * whose message has not finished (main context) */
  GPtrArray *ended_threads; /* GThread * (a reference each) of workers that ended, to join */
};

/* ---- addresses ----------------------------------------------------------------------------- */

static gboolean
parse_address (const char *address, GInetAddress **ret_address, guint *ret_port, GError **error)
{
  g_autofree char *host = NULL;
  const char *port_text;
  guint64 port;
  GInetAddress *inet;

  if (address[0] == '[')
    {
      const char *end = strchr (address, ']');

      if (end == NULL || end[1] != ':')
        goto bad;
      host = g_strndup (address + 1, end - address - 1);
      port_text = end + 2;
    }
  else if (strchr (address, ':') != NULL)
    {
      const char *colon = strrchr (address, ':');

      host = g_strndup (address, colon - address);
      port_text = colon + 1;
    }
  else
    {
      host = g_strdup ("127.0.0.1");
      port_text = address;
    }
  if (!g_ascii_string_to_unsigned (port_text, 10, 0, 65535, &port, NULL))
    goto bad;
  if (g_str_equal (host, "localhost") || *host == '\0')
    {
      g_free (host);
      host = g_strdup ("127.0.0.1");
    }
  inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--http %s: '%s' is not an IP address (expected ADDRESS:PORT, e.g. "
                   "127.0.0.1:9042 or [::1]:9042)", address, host);
      return FALSE;
    }
  *ret_address = inet;
  *ret_port = (guint) port;
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "--http %s: expected ADDRESS:PORT with a port from 0 to 65535, e.g. 127.0.0.1:9042 "
               "or [::1]:9042", address);
  return FALSE;
}

/* ---- tokens -------------------------------------------------------------------------------- */

static const SluiceHttpTokens *
current_tokens (SluiceHttpServer *server)
{
  if (server->tokens == NULL)
    {
      g_autoptr (GPtrArray) configured = sluice_control_dup_api_tokens (server->control);

      server->tokens = sluice_http_tokens_new (configured);
    }
  return server->tokens;
}

/* A new configuration may have other tokens. */
static void
on_reloaded (SluiceControl *control, gpointer user_data)
{
  SluiceHttpServer *server = user_data;

  g_clear_pointer (&server->tokens, sluice_http_tokens_free);
}

/* ---- streams ------------------------------------------------------------------------------- */

/* Joins the worker threads that said they ended: a worker is only truly gone once joined, and a
 * process must not exit with one still unwinding (LeakSanitizer's thread stop crashes on it). */
static void
join_ended_threads (SluiceHttpServer *server)
{
  g_autoptr (GPtrArray) ended = NULL;

  g_mutex_lock (&server->streams_lock);
  ended = g_steal_pointer (&server->ended_threads);
  server->ended_threads = g_ptr_array_new ();
  g_mutex_unlock (&server->streams_lock);
  for (guint i = 0; i < ended->len; i++)
    g_thread_join (g_ptr_array_index (ended, i));
}

void
sluice_http_server_stream_started (SluiceHttpServer *server, SluiceHttpStream *stream)
{
  join_ended_threads (server);
  g_mutex_lock (&server->streams_lock);
  g_hash_table_add (server->streams, stream);
  g_mutex_unlock (&server->streams_lock);
}

void
sluice_http_server_stream_opened (SluiceHttpServer *server, SluiceHttpStream *stream)
{
  g_hash_table_add (server->open_streams, stream);
}

void
sluice_http_server_stream_closed (SluiceHttpServer *server, SluiceHttpStream *stream)
{
  g_hash_table_remove (server->open_streams, stream);
}

void
sluice_http_server_stream_ended (SluiceHttpServer *server, SluiceHttpStream *stream)
{
  g_mutex_lock (&server->streams_lock);
  g_hash_table_remove (server->streams, stream);
  g_ptr_array_add (server->ended_threads, g_thread_ref (g_thread_self ()));
  g_cond_broadcast (&server->streams_cond);
  g_mutex_unlock (&server->streams_lock);
}

/* ---- request helpers ----------------------------------------------------------------------- */

/* @name of @table (nullable) as a boolean; @kind names what @table holds in the message. */
static gboolean
table_boolean (SoupServerMessage *msg, GHashTable *table, const char *kind, const char *name,
               gboolean default_value, gboolean *ret_value)
{
  const char *text = table != NULL ? g_hash_table_lookup (table, name) : NULL;

  if (text == NULL)
    *ret_value = default_value;
  else if (g_str_equal (text, "true") || g_str_equal (text, "1"))
    *ret_value = TRUE;
  else if (g_str_equal (text, "false") || g_str_equal (text, "0"))
    *ret_value = FALSE;
  else
    {
      sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                               "%s '%s': expected true or false, got '%s'", kind, name, text);
      return FALSE;
    }
  return TRUE;
}

gboolean
sluice_http_query_boolean (SoupServerMessage *msg, GHashTable *query, const char *name,
                           gboolean default_value, gboolean *ret_value)
{
  return table_boolean (msg, query, "query parameter", name, default_value, ret_value);
}

gboolean
sluice_http_field_boolean (SoupServerMessage *msg, GHashTable *fields, const char *name,
                           gboolean default_value, gboolean *ret_value)
{
  return table_boolean (msg, fields, "field", name, default_value, ret_value);
}

gboolean
sluice_http_query_int64 (SoupServerMessage *msg, GHashTable *query, const char *name,
                         gint64 default_value, gint64 *ret_value)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, name) : NULL;
  guint64 value;

  if (text == NULL)
    {
      *ret_value = default_value;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &value, NULL))
    {
      sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                               "query parameter '%s': expected a non-negative integer, got '%s'",
                               name, text);
      return FALSE;
    }
  *ret_value = (gint64) value;
  return TRUE;
}


/* ---- the body limit ------------------------------------------------------------------------ */

static gboolean authenticate (SluiceHttpServer *server, SoupServerMessage *msg,
                              SluiceHttpContext *context);

static void
refuse_body (SluiceHttpServer *server, SoupServerMessage *msg, const char *what)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_truncate (body);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                "close");
  sluice_http_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                           "%s is larger than the limit of %" G_GSIZE_FORMAT " bytes (sluiced "
                           "--http-max-body)", what, server->max_body_size);
}

typedef struct
{
  SluiceHttpServer *server;
  goffset received;
} BodyCount;

static void
on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  BodyCount *count = user_data;

  if (soup_server_message_get_status (msg) != 0)
    return;
  count->received += g_bytes_get_size (chunk);
  if ((gsize) count->received > count->server->max_body_size)
    refuse_body (count->server, msg, "the request body (sent in chunks)");
}

static void
handle_early (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer user_data)
{
  SluiceHttpServer *server = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length = soup_message_headers_get_content_length (headers);
  BodyCount *count;

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && length > 0 && (gsize) length > server->max_body_size)
    {
      g_autofree char *what = g_strdup_printf ("the request body (%" G_GOFFSET_FORMAT " bytes)",
                                               length);

      refuse_body (server, msg, what);
      return;
    }
  /* A request with a body and no valid token is refused before the body is kept. */
  if (!g_str_equal (soup_server_message_get_method (msg), "GET")
      && !g_str_equal (soup_server_message_get_method (msg), "HEAD"))
    {
      SluiceHttpContext context = { .control = server->control, .server = server };

      if (!authenticate (server, msg, &context))
        {
          SoupMessageBody *body = soup_server_message_get_request_body (msg);

          soup_message_body_set_accumulate (body, FALSE);
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Connection", "close");
          return;
        }
    }
  count = g_new0 (BodyCount, 1);
  count->server = server;
  g_signal_connect_data (msg, "got-chunk", G_CALLBACK (on_got_chunk), count,
                         (GClosureNotify) (void (*) (void)) g_free, 0);
  /* A push body is held until the push is done: it counts against the push budget. */
  if (g_str_equal (soup_server_message_get_method (msg), "POST")
      && g_str_has_prefix (path, "/api/receivers/"))
    sluice_http_push_body_watch (server->push_budget, msg);
}

/* ---- routing ------------------------------------------------------------------------------- */

/* Whether the request's method is one of @methods (NULL-terminated); replies 405 when not. */
static gboolean
allow (SoupServerMessage *msg, const char *path, const char *const *methods)
{
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *list = NULL;

  if (g_strv_contains (methods, method)
      || (g_str_equal (method, "HEAD") && g_strv_contains (methods, "GET")))
    return TRUE;
  list = g_strjoinv (", ", (char **) methods);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", list);
  sluice_http_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                           "%s is not allowed on %s: use %s", method, path, list);
  return FALSE;
}

static const char *const GET[] = { "GET", NULL };
static const char *const POST[] = { "POST", NULL };
static const char *const GET_POST[] = { "GET", "POST", NULL };
static const char *const GET_POST_DELETE[] = { "GET", "POST", "DELETE", NULL };

void
sluice_http_server_reply_unauthorized (SluiceHttpServer *server, SoupServerMessage *msg,
                                       const char *why)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "WWW-Authenticate", "Bearer realm=\"sluice\"");
  if (sluice_http_tokens_get_count (current_tokens (server)) == 0)
    sluice_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED,
                             "%s, and no api_tokens are configured: add them to the metadata "
                             "component 'node' (docs/http-api.md)", why);
  else
    sluice_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "%s", why);
}

/* Fills @context from the Authorization header; FALSE after replying 401. */
static gboolean
authenticate (SluiceHttpServer *server, SoupServerMessage *msg, SluiceHttpContext *context)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *presented = NULL;
  const SluiceHttpToken *token;

  if (header == NULL)
    {
      /* Only reads may be public (a pipe's metadata.public_read); the handler decides. */
      if (g_str_equal (method, "GET") || g_str_equal (method, "HEAD"))
        return TRUE;
      sluice_http_server_reply_unauthorized (
        server, msg, "this request needs a bearer token (Authorization: Bearer <token>)");
      return FALSE;
    }
  presented = sluice_http_parse_bearer (header);
  if (presented == NULL)
    {
      sluice_http_server_reply_unauthorized (server, msg,
                                             "the Authorization header must be 'Bearer <token>'");
      return FALSE;
    }
  token = sluice_http_tokens_lookup (current_tokens (server), presented);
  explicit_bzero (presented, strlen (presented));
  if (token == NULL)
    {
      g_autofree char *peer = NULL;
      GSocketAddress *remote = soup_server_message_get_remote_address (msg);

      if (remote != NULL && G_IS_INET_SOCKET_ADDRESS (remote))
        peer = g_inet_address_to_string (
          g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
      g_message ("HTTP API: refused an unknown bearer token from %s", peer != NULL ? peer : "?");
      sluice_http_server_reply_unauthorized (
        server, msg, "the bearer token is not one of the configured api_tokens");
      return FALSE;
    }
  context->token_name = token->name;
  context->access = token->access;
  context->token_pipes = (const char *const *) token->pipes;
  return TRUE;
}

static void
not_found (SoupServerMessage *msg, const char *path)
{
  sluice_http_reply_error (msg, SOUP_STATUS_NOT_FOUND,
                           "no such endpoint: %s %s (docs/http-api.md lists them)",
                           soup_server_message_get_method (msg), path);
}

/* @text as a message may show it: itself when it is UTF-8, else percent-encoded. */
static char *
dup_shown (const char *text)
{
  if (g_utf8_validate (text, -1, NULL))
    return g_strdup (text);
  return g_uri_escape_string (text, "%", FALSE);
}

/* Ids reach the handlers as C strings: a U+0000 (%00) would cut "ok1%00zz" to "ok1", and text
 * that is not UTF-8 cannot name anything.  Both are refused in every query parameter; FALSE after
 * replying 400. */
static gboolean
check_query (SoupServerMessage *msg, GHashTable *query)
{
  const char *raw = g_uri_get_query (soup_server_message_get_uri (msg));
  GHashTableIter iter;
  gpointer key, value;

  /* Only an escape decodes to U+0000, and "%00" is always one (a '%' itself is "%25"). */
  if (raw != NULL && strstr (raw, "%00") != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (raw, "&", -1);

      for (guint i = 0; parts[i] != NULL; i++)
        if (strstr (parts[i], "%00") != NULL)
          {
            g_autofree char *name = g_strndup (parts[i], strcspn (parts[i], "="));
            g_autofree char *shown = dup_shown (name);

            sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                     "query parameter '%s' contains U+0000 (%%00): expected text "
                                     "without it", shown);
            return FALSE;
          }
    }
  if (query == NULL)
    return TRUE;
  g_hash_table_iter_init (&iter, query);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_utf8_validate (key, -1, NULL) || !g_utf8_validate (value, -1, NULL))
      {
        g_autofree char *shown = dup_shown (key);

        sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                 "query parameter '%s' is not UTF-8 once percent-decoded", shown);
        return FALSE;
      }
  return TRUE;
}

static void
handle_request (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer user_data)
{
  SluiceHttpServer *server = user_data;
  SluiceHttpContext context = {
    .control = server->control,
    .server = server,
    .max_body_size = server->max_body_size,
  };
  g_auto (GStrv) raw = g_strsplit (path, "/", -1);
  g_autoptr (GPtrArray) segments = g_ptr_array_new_with_free_func (g_free);
  const char *area, *id, *what, *extra;
  guint n;

  /* "/api/pipes/p1/" and "/api/pipes/p1" are the same; empty segments are dropped. */
  for (guint i = 0; raw[i] != NULL; i++)
    {
      char *segment;

      if (*raw[i] == '\0')
        continue;
      segment = g_uri_unescape_string (raw[i], "/");
      if (segment == NULL || *segment == '\0' || !g_utf8_validate (segment, -1, NULL))
        {
          g_autofree char *shown = dup_shown (raw[i]);

          if (segment == NULL || *segment == '\0')
            sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                     "path segment '%s' is not valid percent-encoding (or encodes "
                                     "a '/')", shown);
          else
            /* Dataset and pipe ids are UTF-8: no id can be named so. */
            sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                     "path segment '%s' is not UTF-8 once percent-decoded", shown);
          g_free (segment);
          return;
        }
      g_ptr_array_add (segments, segment);
    }
  if (!check_query (msg, query))
    return;
  n = segments->len;
  g_ptr_array_add (segments, NULL);
  if (n < 2 || !g_str_equal (g_ptr_array_index (segments, 0), "api"))
    {
      not_found (msg, path);
      return;
    }
  area = g_ptr_array_index (segments, 1);
  id = n > 2 ? g_ptr_array_index (segments, 2) : NULL;
  what = n > 3 ? g_ptr_array_index (segments, 3) : NULL;
  extra = n > 4 ? g_ptr_array_index (segments, 4) : NULL;

  if (g_str_equal (area, "health") && n == 2)
    {
      if (allow (msg, path, GET))
        sluice_http_handle_health (&context, msg);
      return;
    }
  if (!authenticate (server, msg, &context))
    return;

  if (g_str_equal (area, "metrics") && n == 2)
    {
      if (allow (msg, path, GET))
        sluice_http_handle_metrics (&context, msg);
    }
  else if (g_str_equal (area, "datasets") && n <= 4)
    {
      if (what != NULL && !g_str_equal (what, "entities") && !g_str_equal (what, "entity"))
        not_found (msg, path);
      else if (allow (msg, path, id != NULL && what == NULL ? GET_POST_DELETE : GET))
        sluice_http_handle_datasets (&context, msg, id, what, query);
    }
  else if (g_str_equal (area, "pipes") && n <= 4)
    {
      if (what != NULL && !g_str_equal (what, "pump"))
        not_found (msg, path);
      else if (allow (msg, path, what != NULL ? GET_POST : GET))
        sluice_http_handle_pipes (&context, msg, id, what, query);
    }
  else if (g_str_equal (area, "receivers") && n == 4 && g_str_equal (what, "entities"))
    {
      if (allow (msg, path, POST))
        sluice_http_handle_receiver (&context, msg, id, query);
    }
  else if (g_str_equal (area, "publishers") && (n == 4 || n == 5) && g_str_equal (what, "entities"))
    {
      if (allow (msg, path, GET))
        sluice_http_handle_publisher (&context, msg, id, extra, query);
    }
  else
    not_found (msg, path);
}

/* ---- the server ---------------------------------------------------------------------------- */

SluiceHttpServer *
sluice_http_server_new (SluiceControl *control, const SluiceHttpSettings *settings, GError **error)
{
  g_autoptr (SluiceHttpServer) server = g_new0 (SluiceHttpServer, 1);
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  SoupServerListenOptions options = 0;
  const char *address = settings->address != NULL ? settings->address : "127.0.0.1:9042";
  GSList *listeners;
  guint port;

  server->control = g_object_ref (control);
  g_signal_connect (control, "reloaded", G_CALLBACK (on_reloaded), server);
  server->address = g_strdup (address);
  server->max_body_size = settings->max_body_size > 0 ? settings->max_body_size
                                                      : SLUICE_HTTP_DEFAULT_MAX_BODY;
  server->push_budget = sluice_http_push_budget_new (
    MAX (settings->push_budget > 0 ? settings->push_budget : SLUICE_HTTP_DEFAULT_PUSH_BUDGET,
         server->max_body_size));
  server->streams = g_hash_table_new (NULL, NULL);
  server->open_streams = g_hash_table_new (NULL, NULL);
  server->ended_threads = g_ptr_array_new ();
  g_mutex_init (&server->streams_lock);
  g_cond_init (&server->streams_cond);

  if (!parse_address (address, &inet, &port, error))
    return NULL;
  server->loopback = g_inet_address_get_is_loopback (inet);
  if (!server->loopback && sluice_http_tokens_get_count (current_tokens (server)) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "--http %s: no api_tokens are configured (metadata component 'node'): refusing "
                   "to serve the API beyond the loopback interface without authentication",
                   address);
      return NULL;
    }
  if ((settings->tls_cert_file != NULL) != (settings->tls_key_file != NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "--http %s: TLS needs both --http-tls-cert and --http-tls-key", address);
      return NULL;
    }
  if (settings->tls_cert_file != NULL)
    {
      certificate = g_tls_certificate_new_from_files (settings->tls_cert_file,
                                                      settings->tls_key_file, error);
      if (certificate == NULL)
        {
          g_prefix_error (error, "--http-tls-cert %s, --http-tls-key %s: ",
                          settings->tls_cert_file, settings->tls_key_file);
          return NULL;
        }
      options |= SOUP_SERVER_LISTEN_HTTPS;
    }

  /* raw-paths: handle_request () decodes the path itself, one segment at a time, so that a '%2F'
   * stays inside its segment and a '%25' is decoded once. */
  server->soup = soup_server_new ("server-header", "sluice/" SLUICE_VERSION " ",
                                  "tls-certificate", certificate, "raw-paths", TRUE, NULL);
  soup_server_add_early_handler (server->soup, NULL, handle_early, server, NULL);
  soup_server_add_handler (server->soup, NULL, handle_request, server, NULL);
  server->keepalive = sluice_http_keepalive_new (server->soup);
  socket_address = g_inet_socket_address_new (inet, port);
  if (!soup_server_listen (server->soup, socket_address, options, error))
    {
      g_prefix_error (error, "--http %s: ", address);
      return NULL;
    }
  listeners = soup_server_get_listeners (server->soup);
  if (listeners != NULL)
    {
      g_autoptr (GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);

      if (local != NULL)
        server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);
  g_message ("HTTP API listening on %s%s (port %u)", address,
             certificate != NULL ? " with TLS" : "", server->port);
  return g_steal_pointer (&server);
}

guint
sluice_http_server_get_port (SluiceHttpServer *server)
{
  return server->port;
}

static void
cancel_stream (gpointer key, gpointer value, gpointer user_data)
{
  sluice_http_stream_cancel (key);
}

static void
detach_stream (gpointer key, gpointer value, gpointer user_data)
{
  sluice_http_stream_detach (key);
}

void
sluice_http_server_free (SluiceHttpServer *server)
{
  if (server == NULL)
    return;
  /* Chunks of a stream whose worker ended may still wait in the main context: they must find
   * the stream cancelled, or they would be given to a message whose connection is closed below. */
  g_hash_table_foreach (server->open_streams, detach_stream, NULL);
  g_hash_table_remove_all (server->open_streams);
  if (server->soup != NULL)
    soup_server_disconnect (server->soup);
  /* A worker may be inside a dataset read of the control: it must be done before the control
   * can go.  What workers handed to the main context before they were cancelled is dropped
   * (deliver () checks), never written to a disconnected message. */
  g_mutex_lock (&server->streams_lock);
  g_hash_table_foreach (server->streams, cancel_stream, NULL);
  while (g_hash_table_size (server->streams) > 0)
    g_cond_wait (&server->streams_cond, &server->streams_lock);
  g_mutex_unlock (&server->streams_lock);
  join_ended_threads (server);

  g_clear_pointer (&server->keepalive, sluice_http_keepalive_free);
  g_clear_object (&server->soup);
  g_clear_pointer (&server->tokens, sluice_http_tokens_free);
  if (server->control != NULL)
    g_signal_handlers_disconnect_by_data (server->control, server);
  g_clear_object (&server->control);
  g_clear_pointer (&server->push_budget, sluice_http_push_budget_unref);
  g_hash_table_unref (server->streams);
  g_hash_table_unref (server->open_streams);
  g_ptr_array_unref (server->ended_threads);
  g_mutex_clear (&server->streams_lock);
  g_cond_clear (&server->streams_cond);
  g_free (server->address);
  g_free (server);
}
