/* sluice-http-push-body.c — the bodies of pushes to receivers while they are in flight, counted
 * against the push budget (sluiced --http-push-budget, docs/http-endpoints.md).
 *
 * The early handler of a POST to /api/receivers/… hands the message to sluice_http_push_body_watch
 * (): a body with a Content-Length reserves its size at once, a chunked one as its chunks arrive.
 * When the reservation does not fit, the request is answered 503 with `Retry-After` before the
 * body is kept (with `Expect: 100-continue` it is not even sent).  A push alone always fits: the
 * budget is at least the largest body accepted.  The chunks are kept as libsoup delivers them
 * (the message body does not accumulate, so a body is held once, not once in chunks and once
 * flattened), and the receiver's handler takes them with sluice_http_push_body_take ().  The
 * reservation ends when the push body is freed: after the push, when the request is refused, or
 * when the client went away.
 */
#include "sluice-http-private.h"

#define PUSH_BODY_KEY "sluice-push-body"

struct _SluiceHttpPushBudget
{
  gint ref_count;
  GMutex lock;
  gsize limit;
  gsize in_use; /* bytes reserved by the push bodies in flight */
};

struct _SluiceHttpPushBody
{
  SluiceHttpPushBudget *budget;
  gsize reserved;
  gboolean refused;
  GPtrArray *chunks; /* GBytes */
};

SluiceHttpPushBudget *
sluice_http_push_budget_new (gsize limit)
{
  SluiceHttpPushBudget *budget = g_new0 (SluiceHttpPushBudget, 1);

  budget->ref_count = 1;
  g_mutex_init (&budget->lock);
  budget->limit = limit;
  return budget;
}

static SluiceHttpPushBudget *
budget_ref (SluiceHttpPushBudget *budget)
{
  g_atomic_int_inc (&budget->ref_count);
  return budget;
}

void
sluice_http_push_budget_unref (SluiceHttpPushBudget *budget)
{
  if (budget == NULL || !g_atomic_int_dec_and_test (&budget->ref_count))
    return;
  g_mutex_clear (&budget->lock);
  g_free (budget);
}

gsize
sluice_http_push_budget_get_in_use (SluiceHttpPushBudget *budget)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&budget->lock);

  return budget->in_use;
}

/* Reserves @size more bytes for @body; FALSE, with what is in use in @ret_in_use, when they do
 * not fit.  Nothing else in flight: anything fits. */
static gboolean
reserve (SluiceHttpPushBody *body, gsize size, gsize *ret_in_use)
{
  SluiceHttpPushBudget *budget = body->budget;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&budget->lock);
  gsize others = budget->in_use - body->reserved;

  *ret_in_use = budget->in_use;
  if (others > 0 && (budget->in_use > budget->limit || size > budget->limit - budget->in_use))
    return FALSE;
  budget->in_use += size;
  body->reserved += size;
  return TRUE;
}

static void
release (SluiceHttpPushBody *body)
{
  SluiceHttpPushBudget *budget = body->budget;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&budget->lock);

  budget->in_use -= body->reserved;
  body->reserved = 0;
}

void
sluice_http_push_body_free (SluiceHttpPushBody *body)
{
  if (body == NULL)
    return;
  g_clear_pointer (&body->chunks, g_ptr_array_unref);
  release (body);
  sluice_http_push_budget_unref (body->budget);
  g_free (body);
}

GPtrArray *
sluice_http_push_body_steal_chunks (SluiceHttpPushBody *body)
{
  GPtrArray *chunks = g_steal_pointer (&body->chunks);

  body->chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return chunks;
}

/* 503 with Retry-After; the body is dropped as it comes. */
static void
refuse (SluiceHttpPushBody *body, SoupServerMessage *msg, gsize size, gsize in_use)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  body->refused = TRUE;
  g_ptr_array_set_size (body->chunks, 0);
  release (body);
  soup_message_headers_replace (headers, "Retry-After", "1");
  soup_message_headers_replace (headers, "Connection", "close");
  sluice_http_reply_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                           "the receivers are busy: %" G_GSIZE_FORMAT " bytes of pushed bodies "
                           "are in flight and this one (%" G_GSIZE_FORMAT " bytes%s) does not fit "
                           "in the budget of %" G_GSIZE_FORMAT " bytes (sluiced "
                           "--http-push-budget); send it again after Retry-After",
                           in_use, size, body->reserved > 0 ? " so far" : "", body->budget->limit);
}

static void
on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  SluiceHttpPushBody *body = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  gsize in_use;

  if (body->refused || soup_server_message_get_status (msg) != 0)
    return;
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH
      && !reserve (body, g_bytes_get_size (chunk), &in_use))
    {
      refuse (body, msg, body->reserved + g_bytes_get_size (chunk), in_use);
      return;
    }
  g_ptr_array_add (body->chunks, g_bytes_ref (chunk));
}

void
sluice_http_push_body_watch (SluiceHttpPushBudget *budget, SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SluiceHttpPushBody *body = g_new0 (SluiceHttpPushBody, 1);
  gsize in_use;

  body->budget = budget_ref (budget);
  body->chunks = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_object_set_data_full (G_OBJECT (msg), PUSH_BODY_KEY, body,
                          (GDestroyNotify)sluice_http_push_body_free);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    {
      gsize length = (gsize)soup_message_headers_get_content_length (headers);

      if (!reserve (body, length, &in_use))
        {
          refuse (body, msg, length, in_use);
          return;
        }
    }
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), body);
}

SluiceHttpPushBody *
sluice_http_push_body_new_from_message (SoupServerMessage *msg)
{
  SluiceHttpPushBody *body = g_new0 (SluiceHttpPushBody, 1);

  body->budget = sluice_http_push_budget_new (G_MAXSIZE);
  body->chunks = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  g_ptr_array_add (body->chunks,
                   soup_message_body_flatten (soup_server_message_get_request_body (msg)));
  return body;
}

SluiceHttpPushBody *
sluice_http_push_body_take (SoupServerMessage *msg)
{
  SluiceHttpPushBody *body = g_object_steal_data (G_OBJECT (msg), PUSH_BODY_KEY);

  if (body != NULL)
    g_signal_handlers_disconnect_by_data (msg, body);
  return body;
}
