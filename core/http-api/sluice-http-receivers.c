/* sluice-http-receivers.c — POST /api/receivers/{pipe}/entities: the JSON push protocol (digest
 * §12.3, docs/http-endpoints.md).
 *
 * The handler finds the pipe's receiver (sluice-control-receivers.h), reads the protocol's query
 * parameters, and pushes the body on a worker thread (parsing, transforms and the durable commit
 * must not hold up the main loop), the message paused meanwhile; pushes to one receiver wait for
 * each other there.  The answer is `{}` once the push is on disk, or the error of
 * sluice-pipe-push.h with its status: 400 (bad parameters or body: nothing written), 404 (not a
 * receiver), 409 (the protocol), 500.  The `X-Dataset-Completeness` header is accepted and
 * ignored: completeness is not tracked yet.  A push that changed a dataset signals the pipes that
 * read it, as the end of a run does.
 *
 * The body is the one sluice-http-push-body.c collected (its chunks, counted against the push
 * budget).  The worker frees it as soon as the push is done, and after a push larger than a part
 * (SLUICE_PUSH_PART_BYTES) gives the freed memory back to the system (malloc_trim), so that a
 * large push does not leave the daemon that much larger.
 */
#include "sluice-build-config.h"
#include "sluice-control-receivers.h"
#include "sluice-http-private.h"

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif

typedef struct
{
  SluiceControl *control;
  SluicePipePush *push;
  SoupServerMessage *msg;
  SluiceHttpPushBody *body;
  GHashTable *query; /* copied: the request's strings are borrowed by @request */
  SluicePushRequest request;
  SluicePushStats stats; /* written by the worker, read after it returned */
} Push;

static void
push_free (Push *push)
{
  g_clear_pointer (&push->push, sluice_pipe_push_unref);
  g_object_unref (push->control);
  g_object_unref (push->msg);
  sluice_http_push_body_free (push->body);
  g_clear_pointer (&push->query, g_hash_table_unref);
  g_free (push);
}

static void
push_in_thread (GTask *task, gpointer source_object, gpointer task_data,
                GCancellable *cancellable)
{
  Push *push = task_data;
  GError *error = NULL;
  GPtrArray *chunks = sluice_http_push_body_get_chunks (push->body);
  gsize length = 0;
  gboolean ok;

  for (guint i = 0; i < chunks->len; i++)
    length += g_bytes_get_size (g_ptr_array_index (chunks, i));
  ok = sluice_pipe_push_json_chunks (push->push, &push->request, chunks, &push->stats, &error);
  g_clear_pointer (&push->body, sluice_http_push_body_free);
#ifdef HAVE_MALLOC_TRIM
  if (length > SLUICE_PUSH_PART_BYTES)
    malloc_trim (0);
#endif
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* A push that changed the receiver's datasets signals the pipes that read them, as a run does. */
static void
signal_downstream (Push *push)
{
  SluiceEngine *engine = sluice_control_get_engine (push->control);
  g_autoptr (GPtrArray) readers = NULL;

  if (push->stats.changes == 0)
    return;
  readers = sluice_pipe_graph_get_downstream (sluice_engine_get_graph (engine),
                                              sluice_pipe_push_get_pipe_id (push->push));
  for (guint i = 0; i < readers->len; i++)
    {
      SluicePump *pump = sluice_control_get_pump (push->control, g_ptr_array_index (readers, i));

      if (pump != NULL)
        sluice_pump_notify_input_changed (pump);
    }
}

static void
push_done (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  Push *push = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autoptr (JsonNode) empty = json_node_new (JSON_NODE_OBJECT);

      json_node_take_object (empty, json_object_new ());
      sluice_http_reply_json (push->msg, SOUP_STATUS_OK, empty);
      signal_downstream (push);
    }
  else
    sluice_http_reply_gerror (push->msg, error);
  soup_server_message_unpause (push->msg);
}

static GHashTable *
copy_query (GHashTable *query)
{
  GHashTable *copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer key, value;

  if (query != NULL)
    {
      g_hash_table_iter_init (&iter, query);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_replace (copy, g_strdup (key), g_strdup (value));
    }
  return copy;
}

void
sluice_http_handle_receiver (SluiceHttpContext *context, SoupServerMessage *msg,
                             const char *pipe_id, GHashTable *query)
{
  const char *type = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (msg), NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  Push *push;

  if (!sluice_http_authorize (context, msg, SLUICE_HTTP_ACCESS_WRITE, pipe_id))
    return;
  if (type != NULL && g_ascii_strcasecmp (type, "application/json") != 0)
    {
      sluice_http_reply_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                               "request body of type '%s': a receiver takes application/json",
                               type);
      return;
    }
  push = g_new0 (Push, 1);
  push->control = g_object_ref (context->control);
  push->msg = g_object_ref (msg);
  push->query = copy_query (query);
  push->push = sluice_control_dup_receiver (context->control, pipe_id, &error);
  if (push->push == NULL
      || !sluice_push_request_parse (push->query, &push->request, &error))
    {
      sluice_http_reply_gerror (msg, error);
      push_free (push);
      return;
    }
  push->body = sluice_http_push_body_take (msg);
  if (push->body == NULL) /* a path the early handler did not recognise ("/api//receivers/…") */
    push->body = sluice_http_push_body_new_from_message (msg);

  soup_server_message_pause (msg);
  task = g_task_new (NULL, NULL, push_done, NULL);
  g_task_set_task_data (task, push, (GDestroyNotify) push_free);
  g_task_run_in_thread (task, push_in_thread);
}
