/* sluice-http-keepalive.c — handing a SoupServer's keep-alive connections back to it as new
 * connections after each response (see sluice-http-keepalive.h).
 *
 * A connection is known by its remote address object: libsoup keeps one per connection and
 * returns it for each of its messages, and a connection handed back is given the same one.  The
 * connection's current message is kept (with a handler for its "disconnected" signal, which
 * says that libsoup closed the connection); after a response a hand-back is scheduled, which
 * takes the connection with that message.
 */
#include "sluice-http-keepalive.h"
#include "sluice-pushback-input-stream.h"

/* Above libsoup's I/O and idle callbacks (G_PRIORITY_DEFAULT): the hand-back runs in the next
 * main loop iteration, before the message that waits for the next request reads anything. */
#define HAND_BACK_PRIORITY G_PRIORITY_HIGH

struct _SluiceHttpKeepalive
{
  SoupServer *server;
  GHashTable *connections; /* GSocketAddress * (Connection.remote) -> Connection * */
  gulong started_id;
  gulong finished_id;
  gulong aborted_id;
};

typedef struct
{
  SluiceHttpKeepalive *keepalive;
  GSocketAddress *remote;
  GSocketAddress *local;
  /* Once handed back: the stream libsoup reads the connection through, and its input. */
  GIOStream *stream;
  SluicePushbackInputStream *input;
  SoupServerMessage *msg; /* the current message, or the one that just finished */
  gulong disconnected_id;
  GSource *hand_back; /* scheduled after a response */
} Connection;

static void
cancel_hand_back (Connection *connection)
{
  if (connection->hand_back != NULL)
    {
      g_source_destroy (connection->hand_back);
      g_clear_pointer (&connection->hand_back, g_source_unref);
    }
}

static void on_disconnected (SoupServerMessage *msg, gpointer user_data);

static void
set_message (Connection *connection, SoupServerMessage *msg)
{
  if (connection->msg == msg)
    return;
  if (connection->msg != NULL)
    {
      g_signal_handler_disconnect (connection->msg, connection->disconnected_id);
      g_clear_object (&connection->msg);
    }
  if (msg != NULL)
    {
      connection->msg = g_object_ref (msg);
      connection->disconnected_id
        = g_signal_connect (msg, "disconnected", G_CALLBACK (on_disconnected), connection);
    }
}

static void
connection_free (gpointer data)
{
  Connection *connection = data;

  cancel_hand_back (connection);
  set_message (connection, NULL);
  g_clear_object (&connection->input);
  g_clear_object (&connection->stream);
  g_clear_object (&connection->local);
  g_clear_object (&connection->remote);
  g_free (connection);
}

static Connection *
lookup (SluiceHttpKeepalive *keepalive, SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_hash_table_lookup (keepalive->connections, remote) : NULL;
}

static void
forget (Connection *connection)
{
  g_hash_table_remove (connection->keepalive->connections, connection->remote);
}

/* libsoup closed the connection (or the server stops). */
static void
on_disconnected (SoupServerMessage *msg, gpointer user_data)
{
  forget (user_data);
}

static gboolean
hand_back (gpointer user_data)
{
  Connection *connection = user_data;
  SluiceHttpKeepalive *keepalive = connection->keepalive;
  g_autoptr (SoupServerMessage) msg = g_object_ref (connection->msg);
  g_autoptr (GIOStream) stolen = NULL;
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketAddress) remote = NULL;

  g_clear_pointer (&connection->hand_back, g_source_unref);
  /* Taking the connection disconnects its messages: that is not libsoup closing it. */
  set_message (connection, NULL);
  stolen = soup_server_message_steal_connection (msg);
  if (stolen == NULL)
    {
      forget (connection);
      return G_SOURCE_REMOVE;
    }
  if (connection->stream == NULL)
    {
      /* The first time, the stolen stream is libsoup's own over the socket (or TLS); what libsoup
       * read ahead is still in its input, which the pushback stream reads first. */
      g_autoptr (GInputStream) input = sluice_pushback_input_stream_new (stolen);

      connection->input = SLUICE_PUSHBACK_INPUT_STREAM (g_object_ref (input));
      connection->stream = g_simple_io_stream_new (input, g_io_stream_get_output_stream (stolen));
    }
  else
    /* Later it is libsoup's wrapper around connection->stream, whose read-ahead would go with
     * it: the pushback stream takes it back, and the wrapper is dropped (which does not close
     * connection->stream). */
    sluice_pushback_input_stream_reclaim (connection->input, g_io_stream_get_input_stream (stolen));

  stream = g_object_ref (connection->stream);
  local = g_object_ref (connection->local);
  remote = g_object_ref (connection->remote);
  /* libsoup starts reading at once: when the client closed the connection, it disconnects it
   * (which forgets it here) before this returns. */
  soup_server_accept_iostream (keepalive->server, stream, local, remote, NULL);
  return G_SOURCE_REMOVE;
}

/* ---- the server's requests ---------------------------------------------------------------- */

static void
on_request_started (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  SluiceHttpKeepalive *keepalive = user_data;
  Connection *connection = lookup (keepalive, msg);

  if (connection == NULL)
    {
      GSocketAddress *remote = soup_server_message_get_remote_address (msg);
      GSocketAddress *local = soup_server_message_get_local_address (msg);

      if (remote == NULL || local == NULL)
        return;
      connection = g_new0 (Connection, 1);
      connection->keepalive = keepalive;
      connection->remote = g_object_ref (remote);
      connection->local = g_object_ref (local);
      g_hash_table_insert (keepalive->connections, connection->remote, connection);
    }
  cancel_hand_back (connection);
  set_message (connection, msg);
}

/* A response was written (request-finished) or the request failed (request-aborted): unless
 * libsoup closes the connection now (which forgets it here), it is handed back. */
static void
on_request_done (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  SluiceHttpKeepalive *keepalive = user_data;
  Connection *connection = lookup (keepalive, msg);

  if (connection == NULL || connection->msg != msg)
    return;
  /* HTTP/2 connections wait for requests otherwise: libsoup's business. */
  if (soup_server_message_get_http_version (msg) == SOUP_HTTP_2_0)
    {
      forget (connection);
      return;
    }
  /* Only the message's connection is needed until the hand-back. */
  soup_message_body_truncate (soup_server_message_get_request_body (msg));
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  /* Not now: libsoup makes the message that waits for the next request after this returns. */
  cancel_hand_back (connection);
  connection->hand_back = g_idle_source_new ();
  g_source_set_priority (connection->hand_back, HAND_BACK_PRIORITY);
  g_source_set_callback (connection->hand_back, hand_back, connection, NULL);
  g_source_attach (connection->hand_back, g_main_context_get_thread_default ());
}

/* ---- the watcher -------------------------------------------------------------------------- */

SluiceHttpKeepalive *
sluice_http_keepalive_new (SoupServer *server)
{
  SluiceHttpKeepalive *keepalive = g_new0 (SluiceHttpKeepalive, 1);

  keepalive->server = g_object_ref (server);
  keepalive->connections = g_hash_table_new_full (NULL, NULL, NULL, connection_free);
  keepalive->started_id = g_signal_connect (server, "request-started",
                                            G_CALLBACK (on_request_started), keepalive);
  keepalive->finished_id = g_signal_connect (server, "request-finished",
                                             G_CALLBACK (on_request_done), keepalive);
  keepalive->aborted_id = g_signal_connect (server, "request-aborted",
                                            G_CALLBACK (on_request_done), keepalive);
  return keepalive;
}

void
sluice_http_keepalive_free (SluiceHttpKeepalive *keepalive)
{
  if (keepalive == NULL)
    return;
  g_signal_handler_disconnect (keepalive->server, keepalive->started_id);
  g_signal_handler_disconnect (keepalive->server, keepalive->finished_id);
  g_signal_handler_disconnect (keepalive->server, keepalive->aborted_id);
  g_hash_table_destroy (keepalive->connections);
  g_object_unref (keepalive->server);
  g_free (keepalive);
}
