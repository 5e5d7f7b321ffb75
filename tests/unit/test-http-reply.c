/* test-http-reply.c — the reply helpers of the HTTP API (core/http-api/sluice-http-reply.c): the
 * error body, and entity arrays streamed from a worker thread: complete, empty, failing before
 * anything was sent (a real status), failing midway (an array that does not close), and a client
 * that goes away (the producer stops and its data is released).
 *
 * An in-process SoupServer on 127.0.0.1 serves a producer of numbered entities chosen by the
 * path; requests come from a client thread (http-api-client.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http-api-client.h"
#include "sluice-http-api.h"

typedef struct
{
  guint64 count;       /* entities to produce; G_MAXUINT64: no end */
  guint64 fail_at;     /* fail instead of producing entity number fail_at; G_MAXUINT64: never */
  guint64 produced;
  GThread *main_thread;
  gint called_on_main; /* set when the producer ran on the main thread */
  gint destroyed;
} Producer;

typedef struct
{
  SoupServer *server;
  char *base;
  Producer *producer; /* of the last streamed request */
} Fixture;

static SluiceEntity *
produce (gpointer data, GError **error)
{
  Producer *producer = data;
  g_autofree char *json = NULL;
  g_autoptr (SluiceValue) body = NULL;

  if (g_thread_self () == producer->main_thread)
    g_atomic_int_set (&producer->called_on_main, TRUE);
  if (producer->produced == producer->fail_at)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND,
                   "entity %" G_GUINT64_FORMAT " went missing", producer->produced);
      return NULL;
    }
  if (producer->produced == producer->count)
    return NULL;
  json = g_strdup_printf ("{\"_id\": \"e%" G_GUINT64_FORMAT "\", \"n\": %" G_GUINT64_FORMAT
                          ", \"text\": \"a value of some length to make chunks fill\"}",
                          producer->produced, producer->produced);
  body = sluice_value_from_json (json, -1, NULL);
  producer->produced++;
  return sluice_entity_new (body, error);
}

static void
producer_destroy (gpointer data)
{
  Producer *producer = data;

  g_atomic_int_set (&producer->destroyed, TRUE);
  g_main_context_wakeup (NULL);
}

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
        gpointer user_data)
{
  Fixture *f = user_data;
  Producer *producer;

  if (g_str_equal (path, "/error"))
    {
      sluice_http_reply_error (msg, SOUP_STATUS_CONFLICT, "pipe '%s' is running", "p1");
      return;
    }
  producer = g_new0 (Producer, 1);
  producer->main_thread = g_thread_self ();
  producer->fail_at = G_MAXUINT64;
  if (g_str_equal (path, "/many"))
    producer->count = 20000;
  else if (g_str_equal (path, "/empty"))
    producer->count = 0;
  else if (g_str_equal (path, "/fail-first"))
    producer->fail_at = 0;
  else if (g_str_equal (path, "/fail-midway"))
    {
      producer->count = G_MAXUINT64;
      producer->fail_at = 5000;
    }
  else
    producer->count = G_MAXUINT64;
  g_free (f->producer);
  f->producer = producer;
  sluice_http_stream_entities (NULL, msg, produce, producer, producer_destroy);
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, handle, f, NULL);
  assert_true (soup_server_listen (f->server, address, 0, &error));
  uris = soup_server_get_uris (f->server);
  f->base = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  if (g_str_has_suffix (f->base, "/"))
    f->base[strlen (f->base) - 1] = '\0';
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  soup_server_disconnect (f->server);
  g_object_unref (f->server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (f->producer);
  g_free (f->base);
  g_free (f);
  return 0;
}

static HttpApiResponse *
get (Fixture *f, const char *path)
{
  g_autofree char *url = g_strconcat (f->base, path, NULL);

  return http_api_request ("GET", url, NULL, NULL, NULL);
}

static void
test_error_body (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpApiResponse) response = get (f, "/error");
  g_autofree char *message = NULL;

  assert_int_equal (response->status, 409);
  message = http_api_response_dup_error (response);
  assert_string_equal (message, "pipe 'p1' is running");
}

static void
test_stream_many (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpApiResponse) response = get (f, "/many");
  g_autoptr (JsonNode) root = NULL;
  JsonArray *array;

  assert_null (response->error);
  assert_int_equal (response->status, 200);
  assert_int_equal (soup_message_headers_get_encoding (response->headers), SOUP_ENCODING_CHUNKED);
  root = http_api_response_json (response);
  array = json_node_get_array (root);
  assert_int_equal (json_array_get_length (array), 20000);
  for (guint i = 0; i < 20000; i += 1999)
    {
      g_autofree char *id = g_strdup_printf ("e%u", i);
      JsonObject *entity = json_array_get_object_element (array, i);

      assert_string_equal (json_object_get_string_member (entity, "_id"), id);
      assert_int_equal (json_object_get_int_member (entity, "n"), i);
    }
  http_api_wait_for (&f->producer->destroyed);
  assert_false (f->producer->called_on_main);
}

static void
test_stream_empty (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpApiResponse) response = get (f, "/empty");

  assert_int_equal (response->status, 200);
  assert_string_equal (http_api_response_text (response), "[]");
  http_api_wait_for (&f->producer->destroyed);
}

static void
test_stream_fails_first (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpApiResponse) response = get (f, "/fail-first");
  g_autofree char *message = NULL;

  /* Nothing was sent yet: the error has its own status. */
  assert_int_equal (response->status, 404);
  message = http_api_response_dup_error (response);
  assert_string_equal (message, "entity 0 went missing");
  http_api_wait_for (&f->producer->destroyed);
}

static void
test_stream_fails_midway (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpApiResponse) response = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *text;

  response = get (f, "/fail-midway");
  assert_int_equal (response->status, 200);
  text = http_api_response_text (response);
  /* The array does not close: no client can take it for the whole answer. */
  assert_true (text[0] == '[');
  assert_true (text[strlen (text) - 1] != ']');
  assert_non_null (strstr (text, "\"_id\":\"e4999\""));
  assert_null (strstr (text, "\"_id\":\"e5000\""));
  assert_false (json_parser_load_from_data (parser, text, -1, NULL));
  http_api_wait_for (&f->producer->destroyed);
}

static gboolean
stop_after_first_block (gsize total, gpointer data)
{
  return FALSE;
}

static void
test_client_goes_away (void **state)
{
  Fixture *f = *state;
  g_autofree char *url = g_strconcat (f->base, "/endless", NULL);
  HttpApiRequest request = { .url = url, .on_chunk = stop_after_first_block };
  g_autoptr (HttpApiResponse) response = http_api_send (&request);

  assert_int_equal (response->status, 200);
  /* An endless producer stops once the client is gone, and its data is released. */
  http_api_wait_for (&f->producer->destroyed);
  assert_true (f->producer->produced < G_MAXUINT64);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_error_body, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stream_many, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stream_empty, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stream_fails_first, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stream_fails_midway, setup, teardown),
    cmocka_unit_test_setup_teardown (test_client_goes_away, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
