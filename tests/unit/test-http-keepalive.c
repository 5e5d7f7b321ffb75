/* test-http-keepalive.c — closing keep-alive connections that their clients closed
 * (core/http-api/sluice-http-keepalive.c), on a bare SoupServer on the test's main context with a raw
 * client on a thread of its own.
 *
 * A response streamed in many chunks while the client has already ended its side of the
 * connection arrives whole (nothing closes a connection in the middle of a response), and then
 * the server closes the connection (libsoup 3.2 alone never does: the client waits in vain).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "raw-http-client.h"
#include "sluice-http-keepalive.h"

#define CHUNK_SIZE 16384
#define CHUNKS 200

typedef struct
{
  SoupServer *server;
  SluiceHttpKeepalive *keepalive;
  guint port;
  char chunk[CHUNK_SIZE];
} Fixture;

/* ---- a server that streams ------------------------------------------------------------------ */

static void
on_wrote_chunk (SoupServerMessage *msg, gpointer user_data)
{
  Fixture *f = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  guint *left = g_object_get_data (G_OBJECT (msg), "left");

  if (*left == 0)
    soup_message_body_complete (body);
  else
    {
      (*left)--;
      soup_message_body_append (body, SOUP_MEMORY_STATIC, f->chunk, CHUNK_SIZE);
    }
}

/* CHUNKS chunks of CHUNK_SIZE bytes, each queued once the one before was written. */
static void
handle_stream (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
               gpointer user_data)
{
  Fixture *f = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  guint *left = g_new (guint, 1);

  *left = CHUNKS - 1;
  g_object_set_data_full (G_OBJECT (msg), "left", left, g_free);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg),
                                     SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_append (body, SOUP_MEMORY_STATIC, f->chunk, CHUNK_SIZE);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), f);
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GError) error = NULL;
  GSList *listeners;

  memset (f->chunk, 'x', sizeof f->chunk);
  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, "/stream", handle_stream, f, NULL);
  f->keepalive = sluice_http_keepalive_new (f->server);
  assert_true (soup_server_listen (f->server, address, 0, &error));
  listeners = soup_server_get_listeners (f->server);
  {
    g_autoptr (GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);

    f->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  }
  g_slist_free (listeners);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  soup_server_disconnect (f->server);
  sluice_http_keepalive_free (f->keepalive);
  g_object_unref (f->server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (f);
  return 0;
}

/* ---- the client ------------------------------------------------------------------------------ */

typedef struct
{
  guint port;
  gsize received;
  GError *error;
  gint done;
} Client;

/* Sends the request and ends its side at once, reads the response, waits for the server's end. */
static gpointer
half_closing_client (gpointer data)
{
  Client *client = data;
  g_autoptr (RawHttp) raw = raw_http_connect (client->port, FALSE, &client->error);
  g_autofree char *body = NULL;
  guint status;

  if (raw != NULL
      && raw_http_write (raw, "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", &client->error)
      && raw_http_shutdown_write (raw, &client->error)
      && raw_http_read_response (raw, &status, &body, &client->error))
    {
      client->received = strlen (body);
      raw_http_wait_for_close (raw, &client->error);
    }
  g_atomic_int_set (&client->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static void
test_streamed_response_after_half_close (void **state)
{
  Fixture *f = *state;
  Client client = { .port = f->port };
  GThread *thread = g_thread_new ("client", half_closing_client, &client);

  /* The client's reads time out (raw-http-client.h): it always ends. */
  while (!g_atomic_int_get (&client.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  assert_int_equal (client.received, (gsize) CHUNKS * CHUNK_SIZE);
  if (client.error != NULL)
    {
      g_autofree char *message = g_strdup (client.error->message);

      g_clear_error (&client.error);
      fail_msg ("%s", message);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_streamed_response_after_half_close, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
