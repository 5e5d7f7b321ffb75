/* sluice-http-reply.c — replies of the HTTP API: JSON bodies, errors in one shape, and entity
 * arrays streamed from a worker thread with constant memory.
 *
 * Streaming.  A dataset of a million entities must not become one string, and reading it must
 * not block the main loop (which serves every other request and runs the scheduler).  So
 * sluice_http_stream_entities () starts a worker thread that calls the producer and serialises
 * entities into chunks of about CHUNK_BYTES.  A chunk is handed to the main context, where it is
 * appended to the response body; libsoup writes it and emits "wrote-chunk", which frees a slot.
 * The worker waits while MAX_CHUNKS_AHEAD chunks are on their way, so at most that many chunks
 * exist per response however slow the client is: memory is bounded on the server whatever the
 * size of the dataset.  The response body does not accumulate (written chunks are dropped).
 *
 * The message is paused until the first chunk is ready, so a producer that fails at once (a
 * store error) still gets a proper error status instead of a truncated 200.  A later failure can
 * only cut the response short: the client then sees an array that does not close.  When the
 * client goes away, "finished" wakes the worker, which stops calling the producer, releases its
 * data on its own thread and ends.
 */
#include <stdarg.h>

#include "sluice-http-private.h"
#include "sluice-main-context.h"

#define CHUNK_BYTES (64 * 1024)
#define MAX_CHUNKS_AHEAD 2

void
sluice_http_reply_json (SoupServerMessage *msg, guint status, JsonNode *body)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  char *text;
  gsize len;

  json_generator_set_root (generator, body);
  text = json_generator_to_data (generator, &len);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

static void
reply_error_text (SoupServerMessage *msg, guint status, const char *message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, status);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  sluice_http_reply_json (msg, status, root);
}

void
sluice_http_reply_error (SoupServerMessage *msg, guint status, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  reply_error_text (msg, status, message);
}

void
sluice_http_reply_gerror (SoupServerMessage *msg, const GError *error)
{
  reply_error_text (msg, sluice_http_error_status (error), error->message);
}

/* ---- streaming ----------------------------------------------------------------------------- */

/* SluiceHttpStream, called Stream here. */
typedef struct _SluiceHttpStream Stream;

struct _SluiceHttpStream
{
  gint refs;                    /* the worker, the message (until "finished") */
  SluiceHttpServer *server;     /* nullable; told when the worker ends */
  SluiceHttpServer *open_in;    /* main context: the server, until the message finished */
  GMainContext *context;        /* where the message lives */
  SoupServerMessage *msg;       /* main context only; a reference until "finished" */
  gulong wrote_chunk_id, finished_id, disconnected_id;

  GMutex lock;
  GCond cond;
  guint in_flight;              /* chunks handed over and not yet written */
  gboolean finished;            /* the message finished (completed, or the client went away) */

  SluiceHttpEntityNext next;
  GDestroyNotify pause;
  gpointer data;
  GDestroyNotify destroy;
};

typedef struct
{
  Stream *stream;
  GBytes *bytes;      /* nullable: nothing to add */
  gboolean last;      /* complete the body after @bytes */
  GError *error;      /* the producer failed before anything was sent: reply this */
} Delivery;

static void
stream_unref (Stream *stream)
{
  if (!g_atomic_int_dec_and_test (&stream->refs))
    return;
  g_mutex_clear (&stream->lock);
  g_cond_clear (&stream->cond);
  g_main_context_unref (stream->context);
  g_free (stream);
}

gboolean
sluice_http_stream_is_cancelled (Stream *stream)
{
  gboolean finished;

  g_mutex_lock (&stream->lock);
  finished = stream->finished;
  g_mutex_unlock (&stream->lock);
  return finished;
}

void
sluice_http_stream_cancel (Stream *stream)
{
  g_mutex_lock (&stream->lock);
  stream->finished = TRUE;
  g_cond_broadcast (&stream->cond);
  g_mutex_unlock (&stream->lock);
}

void
sluice_http_stream_detach (Stream *stream)
{
  sluice_http_stream_cancel (stream);
  stream->open_in = NULL;
}

static void
on_wrote_chunk (SoupServerMessage *msg, gpointer user_data)
{
  Stream *stream = user_data;

  g_mutex_lock (&stream->lock);
  if (stream->in_flight > 0)
    stream->in_flight--;
  g_cond_signal (&stream->cond);
  g_mutex_unlock (&stream->lock);
}

/* The connection went away: the message's I/O is gone at once, possibly before "finished". */
static void
on_disconnected (SoupServerMessage *msg, gpointer user_data)
{
  sluice_http_stream_cancel (user_data);
}

static void
on_finished (SoupServerMessage *msg, gpointer user_data)
{
  Stream *stream = user_data;

  sluice_http_stream_cancel (stream);
  if (stream->open_in != NULL)
    sluice_http_server_stream_closed (stream->open_in, stream);
  stream->open_in = NULL;
  g_signal_handler_disconnect (msg, stream->wrote_chunk_id);
  g_signal_handler_disconnect (msg, stream->finished_id);
  g_signal_handler_disconnect (msg, stream->disconnected_id);
  stream->msg = NULL;
  g_object_unref (msg);
  stream_unref (stream);
}

static gboolean
deliver (gpointer user_data)
{
  Delivery *delivery = user_data;
  Stream *stream = delivery->stream;
  SoupServerMessage *msg = stream->msg;

  /* A cancelled stream's message may be gone already (the client left, or the server was freed
   * and disconnected it) even before its "finished" handler ran: never touch it then. */
  if (msg != NULL && !sluice_http_stream_is_cancelled (stream))
    {
      SoupMessageBody *body = soup_server_message_get_response_body (msg);

      if (delivery->error != NULL)
        {
          /* Nothing was sent yet: the headers can still say what went wrong. */
          soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg),
                                             SOUP_ENCODING_CONTENT_LENGTH);
          sluice_http_reply_gerror (msg, delivery->error);
        }
      else
        {
          if (delivery->bytes != NULL)
            soup_message_body_append_bytes (body, delivery->bytes);
          if (delivery->last)
            soup_message_body_complete (body);
        }
      soup_server_message_unpause (msg);
    }
  g_clear_pointer (&delivery->bytes, g_bytes_unref);
  g_clear_error (&delivery->error);
  stream_unref (stream);
  g_free (delivery);
  return G_SOURCE_REMOVE;
}

/* Waits for a free slot; FALSE when the client went away meanwhile. */
static gboolean
wait_for_slot (Stream *stream)
{
  gboolean ok;

  g_mutex_lock (&stream->lock);
  if (!stream->finished && stream->in_flight >= MAX_CHUNKS_AHEAD && stream->pause != NULL)
    {
      /* The client may take its time: hold nothing of the producer's while waiting. */
      g_mutex_unlock (&stream->lock);
      stream->pause (stream->data);
      g_mutex_lock (&stream->lock);
    }
  while (!stream->finished && stream->in_flight >= MAX_CHUNKS_AHEAD)
    g_cond_wait (&stream->cond, &stream->lock);
  ok = !stream->finished;
  if (ok)
    stream->in_flight++;
  g_mutex_unlock (&stream->lock);
  return ok;
}

static void
hand_over (Stream *stream, GString *chunk, gboolean last, GError *error)
{
  Delivery *delivery = g_new0 (Delivery, 1);

  g_atomic_int_inc (&stream->refs);
  delivery->stream = stream;
  delivery->last = last;
  delivery->error = error;
  if (chunk != NULL && chunk->len > 0)
    {
      gsize len = chunk->len;

      delivery->bytes = g_bytes_new_take (g_string_free (chunk, FALSE), len);
    }
  else if (chunk != NULL)
    g_string_free (chunk, TRUE);
  /* Never on this thread: the message belongs to the main context (sluice-main-context.h). */
  sluice_main_context_post (stream->context, deliver, delivery, NULL);
}

static gpointer
stream_worker (gpointer user_data)
{
  Stream *stream = user_data;
  guint64 count = 0;
  gboolean done = FALSE;

  while (!done)
    {
      GString *chunk = g_string_sized_new (CHUNK_BYTES + 4096);
      g_autoptr (GError) error = NULL;

      if (count == 0)
        g_string_append_c (chunk, '[');
      while (chunk->len < CHUNK_BYTES)
        {
          SluiceEntity *entity;

          if (sluice_http_stream_is_cancelled (stream))
            break;
          entity = stream->next (stream->data, &error);
          if (entity == NULL)
            {
              done = TRUE;
              break;
            }
          if (count > 0)
            g_string_append_c (chunk, ',');
          sluice_entity_write_json (chunk, entity);
          sluice_entity_unref (entity);
          count++;
        }
      if (error != NULL)
        {
          g_warning ("streaming a response stopped after %" G_GUINT64_FORMAT " entities: %s",
                     count, error->message);
          if (count == 0)
            {
              g_string_free (chunk, TRUE);
              if (wait_for_slot (stream))
                hand_over (stream, NULL, TRUE, g_steal_pointer (&error));
              break;
            }
          /* What was serialised goes out and the body ends, but the array stays open, so the
           * client cannot take a truncated response for a complete one. */
          if (wait_for_slot (stream))
            hand_over (stream, chunk, TRUE, NULL);
          else
            g_string_free (chunk, TRUE);
          break;
        }
      if (done)
        g_string_append_c (chunk, ']');
      if (!wait_for_slot (stream))
        {
          g_string_free (chunk, TRUE);
          break;
        }
      hand_over (stream, chunk, done, NULL);
    }
  if (stream->destroy != NULL)
    stream->destroy (stream->data);
  if (stream->server != NULL)
    sluice_http_server_stream_ended (stream->server, stream);
  stream_unref (stream);
  return NULL;
}

void
sluice_http_stream_entities (SluiceHttpContext *context, SoupServerMessage *msg,
                             SluiceHttpEntityNext next, gpointer data, GDestroyNotify destroy)
{
  sluice_http_stream_entities_full (context, msg, next, NULL, data, destroy);
}

void
sluice_http_stream_entities_full (SluiceHttpContext *context, SoupServerMessage *msg,
                                  SluiceHttpEntityNext next, GDestroyNotify pause, gpointer data,
                                  GDestroyNotify destroy)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  Stream *stream = g_new0 (Stream, 1);
  g_autoptr (GThread) thread = NULL;

  stream->refs = 2;
  stream->server = context != NULL ? context->server : NULL;
  stream->context = g_main_context_ref_thread_default ();
  stream->msg = g_object_ref (msg);
  stream->next = next;
  stream->pause = pause;
  stream->data = data;
  stream->destroy = destroy;
  g_mutex_init (&stream->lock);
  g_cond_init (&stream->cond);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  stream->wrote_chunk_id = g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk),
                                             stream);
  stream->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_finished), stream);
  stream->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (on_disconnected),
                                              stream);
  soup_server_message_pause (msg);

  if (stream->server != NULL)
    {
      stream->open_in = stream->server;
      sluice_http_server_stream_opened (stream->server, stream);
      sluice_http_server_stream_started (stream->server, stream);
    }
  thread = g_thread_new ("sluice-http-stream", stream_worker, stream);
}
