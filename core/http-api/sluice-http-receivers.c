/* sluice-http-receivers.c — POST /api/receivers/{pipe}/entities: the JSON push protocol (digest
 * §12.3, docs/http-endpoints.md).
 *
 * The handler hands the body and the protocol's query parameters to the control
 * (sluice_control_push_async ()), which pushes on a worker thread, the message paused meanwhile.
 * The answer is `{}` once the push is on disk, or the push error with its status: 400 (bad
 * parameters or body: nothing written), 404 (no such pipe, or not a receiver), 409 (the
 * protocol), 500.  The `X-Dataset-Completeness` header is accepted and ignored: completeness is
 * not tracked yet.
 *
 * The body is the one sluice-http-push-body.c collected (its chunks, counted against the push
 * budget).  Its chunks go to the control, which frees them as soon as the push is done; the
 * reservation in the budget ends when the push is done, before the answer.
 */
#include "sluice-control-push.h"
#include "sluice-http-private.h"

typedef struct
{
  SoupServerMessage *msg;
  SluiceHttpPushBody *body; /* its chunks are the control's; kept for its reservation */
} Push;

static void
push_done (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  Push *push = user_data;
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&push->body, sluice_http_push_body_free);
  if (sluice_control_push_finish (SLUICE_CONTROL (source_object), result, &error))
    {
      g_autoptr (JsonNode) empty = json_node_new (JSON_NODE_OBJECT);

      json_node_take_object (empty, json_object_new ());
      sluice_http_reply_json (push->msg, SOUP_STATUS_OK, empty);
    }
  else
    sluice_http_reply_gerror (push->msg, error);
  soup_server_message_unpause (push->msg);
  g_object_unref (push->msg);
  g_free (push);
}

void
sluice_http_handle_receiver (SluiceHttpContext *context, SoupServerMessage *msg,
                             const char *pipe_id, GHashTable *query)
{
  const char *type
      = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
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
  push->msg = g_object_ref (msg);
  push->body = sluice_http_push_body_take (msg);
  if (push->body == NULL) /* a path the early handler did not recognise ("/api//receivers/…") */
    push->body = sluice_http_push_body_new_from_message (msg);

  soup_server_message_pause (msg);
  sluice_control_push_async (context->control, pipe_id, query,
                             sluice_http_push_body_steal_chunks (push->body), push_done, push);
}
