/* sluice-http-api.h — the HTTP API server (digest §12; docs/http-api.md) and what its handler files
 * share.
 *
 * The server (sluice-http-server.c) listens, authenticates every request with the bearer tokens
 * of the configuration, routes it and hands it to a handler with a SluiceHttpContext.  Handlers
 * live one area per file (datasets, pipes, receivers, publishers, metrics) and do their work
 * through SluiceControl (core/control/sluice-control.h), never around it.  Replies and streamed responses
 * go through the helpers below, so that every error has the same JSON shape:
 *   {"error": "<message>", "status": <code>}
 */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "sluice-control.h"
#include "sluice-http-status.h"

G_BEGIN_DECLS

typedef struct _SluiceHttpServer SluiceHttpServer;

typedef struct
{
  const char *address;     /* "127.0.0.1:9042", "[::1]:9042", "0.0.0.0:9042"; port 0 picks one */
  const char *tls_cert_file; /* PEM; TLS when both are set */
  const char *tls_key_file;
  gsize max_body_size;     /* bytes; 0: the default (SLUICE_HTTP_DEFAULT_MAX_BODY) */
  /* Bytes of push bodies in flight at once, beyond which a push gets 503 (at least
   * @max_body_size); 0: the default (SLUICE_HTTP_DEFAULT_PUSH_BUDGET). */
  gsize push_budget;
} SluiceHttpSettings;

#define SLUICE_HTTP_DEFAULT_MAX_BODY ((gsize) 64 * 1024 * 1024)
#define SLUICE_HTTP_DEFAULT_PUSH_BUDGET ((gsize) 256 * 1024 * 1024)

/* Starts listening.  Fails naming the address ("--http 127.0.0.1:80: Permission denied"). */
SluiceHttpServer *sluice_http_server_new (SluiceControl *control,
                                          const SluiceHttpSettings *settings, GError **error);
/* The port it listens on (useful with port 0). */
guint sluice_http_server_get_port (SluiceHttpServer *server);
void sluice_http_server_free (SluiceHttpServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceHttpServer, sluice_http_server_free)

/* What a token may do: read (GET), write (also push to receivers), admin (also pump and breaker
 * operations, reload, metrics). */
typedef enum
{
  SLUICE_HTTP_ACCESS_READ = 1,
  SLUICE_HTTP_ACCESS_WRITE = 2,
  SLUICE_HTTP_ACCESS_ADMIN = 3,
} SluiceHttpAccess;

/* One request, after authentication. */
typedef struct
{
  SluiceControl *control;
  SluiceHttpServer *server;
  /* The token's name, access and pipes (NULL: every pipe); name NULL for a public endpoint. */
  const char *token_name;
  SluiceHttpAccess access;
  const char *const *token_pipes;
  gsize max_body_size;
} SluiceHttpContext;

/* Whether the request's token may do @access on @pipe_id (nullable: no particular pipe; a
 * dataset's access goes through the pipe that writes it).  When not, replies 401 (no token) or
 * 403 naming what was missing and returns FALSE.  A token's pipes are checked before its access,
 * and before anything is looked up, so the answer is the same whether @pipe_id exists or not. */
gboolean sluice_http_authorize (SluiceHttpContext *context, SoupServerMessage *msg,
                                SluiceHttpAccess access, const char *pipe_id);

/* Replies.  The error body is {"error": message, "status": status}. */
void sluice_http_reply_json (SoupServerMessage *msg, guint status, JsonNode *body);
void sluice_http_reply_error (SoupServerMessage *msg, guint status, const char *format, ...)
  G_GNUC_PRINTF (3, 4);
/* The status of sluice_http_error_status () and the error's message. */
void sluice_http_reply_gerror (SoupServerMessage *msg, const GError *error);

/* Streams a JSON array of entities (digest §1 serialisation) as the response body, with chunked
 * encoding and constant memory: @next runs on a worker thread and is called again only when the
 * previous output has been written to the socket.  @next returns NULL at the end (no error) or
 * with @error set, in which case the response is cut short (the client sees a truncated array).
 * Set status headers (X-Dataset-*) before calling.  @destroy (nullable) releases @data on the
 * worker thread once streaming ended, also when the client went away. */
typedef SluiceEntity *(*SluiceHttpEntityNext) (gpointer data, GError **error);
void sluice_http_stream_entities (SluiceHttpContext *context, SoupServerMessage *msg,
                                  SluiceHttpEntityNext next, gpointer data,
                                  GDestroyNotify destroy);

/* Handlers implemented by the area files, called by the router after authentication. */
/* POST /api/receivers/{pipe}/entities (sluice-http-receivers.c) */
void sluice_http_handle_receiver (SluiceHttpContext *context, SoupServerMessage *msg,
                                  const char *pipe_id, GHashTable *query);
/* GET /api/publishers/{pipe}/entities[/{filename}] (sluice-http-publishers.c) */
void sluice_http_handle_publisher (SluiceHttpContext *context, SoupServerMessage *msg,
                                   const char *pipe_id, const char *filename, GHashTable *query);

G_END_DECLS
