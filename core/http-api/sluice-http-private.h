/* sluice-http-private.h — what the files of the HTTP API server share beyond the contract of
 * sluice-http-api.h: the handlers of the server's own areas (health and metrics, datasets,
 * pipes), request-parsing helpers that reply 400 themselves, and the bookkeeping between the
 * server and the streams it must wait for when it stops.
 */
#pragma once

#include "sluice-http-api.h"
#include "sluice-http-auth.h"

G_BEGIN_DECLS

/* ---- streams (sluice-http-reply.c) and the server that waits for them ------------------------ */

typedef struct _SluiceHttpStream SluiceHttpStream;

/* sluice_http_stream_entities () with @pause (nullable), called on the worker thread before it
 * waits for the client to take what was produced: a dataset reader lets go of the store there. */
void sluice_http_stream_entities_full (SluiceHttpContext *context, SoupServerMessage *msg,
                                       SluiceHttpEntityNext next, GDestroyNotify pause,
                                       gpointer data, GDestroyNotify destroy);

/* Whether the client went away or the server stops; the worker then stops producing. */
gboolean sluice_http_stream_is_cancelled (SluiceHttpStream *stream);
void sluice_http_stream_cancel (SluiceHttpStream *stream);
/* Called by a stream's worker thread when it starts and once it has released its producer's data;
 * sluice_http_server_free () cancels the streams still running and waits for them. */
void sluice_http_server_stream_started (SluiceHttpServer *server, SluiceHttpStream *stream);
void sluice_http_server_stream_ended (SluiceHttpServer *server, SluiceHttpStream *stream);
/* Main context only.  A stream's message is open from its start until it finished; the worker may
 * have ended long before (its last chunks still on their way).  sluice_http_server_free () calls
 * sluice_http_stream_detach () on each stream still open, so that nothing is delivered to a
 * message whose connection it closes. */
void sluice_http_server_stream_opened (SluiceHttpServer *server, SluiceHttpStream *stream);
void sluice_http_server_stream_closed (SluiceHttpServer *server, SluiceHttpStream *stream);
/* Cancels @stream and forgets its server (which is going away). */
void sluice_http_stream_detach (SluiceHttpStream *stream);

/* ---- authentication (sluice-http-server.c) --------------------------------------------------- */

/* Replies 401 with @why and `WWW-Authenticate: Bearer`; when no api_tokens are configured, the
 * message says how to configure them. */
void sluice_http_server_reply_unauthorized (SluiceHttpServer *server, SoupServerMessage *msg,
                                            const char *why);

/* ---- push bodies in flight (sluice-http-push-body.c) --------------------------------------- */

typedef struct _SluiceHttpPushBudget SluiceHttpPushBudget;
typedef struct _SluiceHttpPushBody SluiceHttpPushBody;

/* The budget of @limit bytes of push bodies in flight (thread-safe, reference-counted). */
SluiceHttpPushBudget *sluice_http_push_budget_new (gsize limit);
void sluice_http_push_budget_unref (SluiceHttpPushBudget *budget);
gsize sluice_http_push_budget_get_in_use (SluiceHttpPushBudget *budget);
/* Early handler, a POST to a receiver: reserves the body in @budget (or replies 503 with
 * Retry-After) and collects its chunks instead of the message body. */
void sluice_http_push_body_watch (SluiceHttpPushBudget *budget, SoupServerMessage *msg);
/* (transfer full) The collected body of @msg, or NULL when it was not watched. */
SluiceHttpPushBody *sluice_http_push_body_take (SoupServerMessage *msg);
/* A body not watched (the request's own message body), counted against no budget. */
SluiceHttpPushBody *sluice_http_push_body_new_from_message (SoupServerMessage *msg);
/* (transfer full) Its chunks (GBytes, in order), which it holds no more; its reservation stays
 * until it is freed. */
GPtrArray *sluice_http_push_body_steal_chunks (SluiceHttpPushBody *body);
/* Frees the chunks and ends the reservation; any thread. */
void sluice_http_push_body_free (SluiceHttpPushBody *body);

/* ---- request helpers (sluice-http-server.c): each replies 400 and returns FALSE on bad input - */

/* A query parameter "true" or "false" (also "1"/"0"); @default_value when absent. */
gboolean sluice_http_query_boolean (SoupServerMessage *msg, GHashTable *query, const char *name,
                                    gboolean default_value, gboolean *ret_value);
/* The same for a field of sluice_http_read_fields () ("field 'force': expected …"). */
gboolean sluice_http_field_boolean (SoupServerMessage *msg, GHashTable *fields, const char *name,
                                    gboolean default_value, gboolean *ret_value);
/* A query parameter that is a non-negative integer; @default_value when absent. */
gboolean sluice_http_query_int64 (SoupServerMessage *msg, GHashTable *query, const char *name,
                                  gint64 default_value, gint64 *ret_value);
/* (sluice-http-fields.c) The fields of a POST: an application/x-www-form-urlencoded body, or a
 * JSON object whose members become text (strings as they are, other values as written).  An empty body gives
 * the query's fields.  (transfer full) NULL after replying 400 (malformed JSON, with the position
 * of the error) or 415 (another content type). */
GHashTable *sluice_http_read_fields (SoupServerMessage *msg, GHashTable *query);

/* ---- response headers (sluice-http-disposition.c) -------------------------------------------- */

/* The value of a Content-Disposition header of @type ("attachment", "inline") for @filename,
 * printable ASCII whatever the name (RFC 6266, with RFC 8187 `filename*` for a name that is not
 * plain ASCII).  (transfer full) NULL with G_IO_ERROR_INVALID_DATA when @filename is not UTF-8
 * or holds a control character (C0, DEL, C1): "@what contains the control character U+000D at
 * byte 1: a file name is printable text". */
char *sluice_http_format_disposition (const char *type, const char *filename, const char *what,
                                      GError **error);

/* ---- handlers of the server's own areas --------------------------------------------------- */

/* GET /api/health (sluice-http-metrics.c) */
void sluice_http_handle_health (SluiceHttpContext *context, SoupServerMessage *msg);
/* GET /api/metrics (sluice-http-metrics.c) */
void sluice_http_handle_metrics (SluiceHttpContext *context, SoupServerMessage *msg);
/* The Prometheus text of @control's pipes (those of @pipes only, when not NULL). */
char *sluice_http_metrics_format (SluiceControl *control, const char *const *pipes);

/* /api/datasets[/{id}[/entities|/entity]] (sluice-http-datasets.c); @dataset_id and @what are
 * NULL when the path stops before them. */
void sluice_http_handle_datasets (SluiceHttpContext *context, SoupServerMessage *msg,
                                  const char *dataset_id, const char *what, GHashTable *query);

/* /api/pipes[/{id}[/pump]] (sluice-http-pipes.c) */
void sluice_http_handle_pipes (SluiceHttpContext *context, SoupServerMessage *msg,
                               const char *pipe_id, const char *what, GHashTable *query);

G_END_DECLS
