/* http-api-client.c — requests on a thread of their own, so that the server on the test's main
 * context keeps running while the client waits (see http-api-client.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http-api-client.h"

#define TIMEOUT_S 60

typedef struct
{
  const HttpApiRequest *request;
  HttpApiResponse *response;
  gint done;
} Call;

static gboolean
accept_certificate (SoupMessage *msg, GTlsCertificate *certificate, GTlsCertificateFlags errors,
                    gpointer user_data)
{
  return TRUE;
}

static HttpApiResponse *
run_request (const HttpApiRequest *request)
{
  HttpApiResponse *response = g_new0 (HttpApiResponse, 1);
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", TIMEOUT_S, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (request->method != NULL ? request->method : "GET",
                                                  request->url);
  g_autoptr (GByteArray) body = g_byte_array_new ();
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GError) error = NULL;
  guint8 buffer[16384];

  assert_non_null (msg);
  if (request->token != NULL)
    {
      g_autofree char *header = g_strdup_printf ("Bearer %s", request->token);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    header);
    }
  if (request->any_certificate)
    g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate), NULL);
  if (request->body != NULL)
    {
      gsize len = request->body_len >= 0 ? (gsize) request->body_len : strlen (request->body);
      g_autoptr (GBytes) bytes = g_bytes_new (request->body, len);

      if (request->chunked)
        {
          g_autoptr (GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);

          soup_message_set_request_body (msg, request->content_type, stream, -1);
        }
      else
        soup_message_set_request_body_from_bytes (msg, request->content_type, bytes);
    }
  in = soup_session_send (session, msg, NULL, &error);
  if (in != NULL)
    {
      for (;;)
        {
          gssize n = g_input_stream_read (in, buffer, sizeof buffer, NULL, &error);

          if (n <= 0)
            break;
          g_byte_array_append (body, buffer, n);
          if (request->on_chunk != NULL && !request->on_chunk (body->len, request->data))
            break;
        }
      g_input_stream_close (in, NULL, NULL);
    }
  if (error != NULL)
    response->error = g_strdup (error->message);
  response->status = soup_message_get_status (msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  g_byte_array_append (body, (const guint8 *) "", 1);
  response->body = g_byte_array_free_to_bytes (g_steal_pointer (&body));
  return response;
}

HttpApiResponse *
http_api_send_here (const HttpApiRequest *request)
{
  GMainContext *context = g_main_context_new ();
  HttpApiResponse *response;

  g_main_context_push_thread_default (context);
  response = run_request (request);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return response;
}

static gpointer
client_thread (gpointer data)
{
  Call *call = data;

  call->response = http_api_send_here (call->request);
  g_atomic_int_set (&call->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
on_timeout (gpointer data)
{
  g_atomic_int_set ((gint *) data, TRUE);
  return G_SOURCE_REMOVE;
}

gboolean
http_api_iterate_until (gboolean (*done) (gpointer data), gpointer data, guint timeout_s)
{
  gint timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (timeout_s, on_timeout, &timed_out);
  gboolean result;

  while (!(result = done (data)) && !g_atomic_int_get (&timed_out))
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout);
  return result;
}

static gboolean
flag_is_set (gpointer data)
{
  return g_atomic_int_get ((volatile gint *) data);
}

void
http_api_wait_for (volatile gint *flag)
{
  if (!http_api_iterate_until (flag_is_set, (gpointer) flag, TIMEOUT_S))
    fail_msg ("gave up after %d s", TIMEOUT_S);
}

HttpApiResponse *
http_api_send (const HttpApiRequest *request)
{
  Call call = { .request = request };
  GThread *thread = g_thread_new ("http-api-client", client_thread, &call);

  http_api_wait_for (&call.done);
  g_thread_join (thread);
  return call.response;
}

typedef struct
{
  guint port;
  const char *request;
  GBytes *response;
  char *error;
  gint done;
} RawCall;

static gpointer
raw_thread (gpointer data)
{
  RawCall *call = data;
  GMainContext *context = g_main_context_new ();
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GByteArray) received = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  guint8 buffer[16384];

  g_main_context_push_thread_default (context);
  g_socket_client_set_timeout (client, TIMEOUT_S);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", call->port, NULL, &error);
  if (connection != NULL
      && g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                    call->request, strlen (call->request), NULL, NULL, &error))
    {
      GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
      gssize n;

      while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, &error)) > 0)
        g_byte_array_append (received, buffer, n);
    }
  if (error != NULL)
    call->error = g_strdup (error->message);
  g_clear_object (&connection);
  g_byte_array_append (received, (const guint8 *) "", 1);
  call->response = g_byte_array_free_to_bytes (g_steal_pointer (&received));
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  g_atomic_int_set (&call->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

GBytes *
http_api_send_raw (guint port, const char *request)
{
  RawCall call = { .port = port, .request = request };
  GThread *thread = g_thread_new ("http-api-raw-client", raw_thread, &call);
  g_autofree char *error = NULL;

  http_api_wait_for (&call.done);
  g_thread_join (thread);
  error = call.error;
  if (error != NULL)
    {
      g_bytes_unref (call.response);
      fail_msg ("raw request to port %u: %s", port, error);
    }
  return call.response;
}

HttpApiResponse *
http_api_request (const char *method, const char *url, const char *token,
                  const char *content_type, const char *body)
{
  HttpApiRequest request = {
    .method = method,
    .url = url,
    .token = token,
    .content_type = content_type,
    .body = body,
    .body_len = -1,
  };

  return http_api_send (&request);
}

void
http_api_response_free (HttpApiResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response->error);
  g_free (response);
}

const char *
http_api_response_text (HttpApiResponse *response)
{
  return g_bytes_get_data (response->body, NULL);
}

JsonNode *
http_api_response_json (HttpApiResponse *response)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = json_from_string (http_api_response_text (response), &error);

  if (node == NULL)
    fail_msg ("not JSON (%s): %.300s", error != NULL ? error->message : "empty",
              http_api_response_text (response));
  return node;
}

char *
http_api_response_dup_error (HttpApiResponse *response)
{
  g_autoptr (JsonNode) root = http_api_response_json (response);
  JsonObject *object;

  assert_true (JSON_NODE_HOLDS_OBJECT (root));
  object = json_node_get_object (root);
  assert_true (json_object_has_member (object, "error"));
  assert_int_equal (json_object_get_int_member (object, "status"), response->status);
  assert_string_equal (soup_message_headers_get_content_type (response->headers, NULL),
                       "application/json");
  return g_strdup (json_object_get_string_member (object, "error"));
}

void
http_api_assert_error (HttpApiResponse *response, guint status, const char *message)
{
  g_autofree char *actual = NULL;

  assert_null (response->error);
  if (response->status != status)
    fail_msg ("expected status %u, got %u: %s", status, response->status,
              http_api_response_text (response));
  actual = http_api_response_dup_error (response);
  assert_string_equal (actual, message);
}

/* LeakSanitizer: leaks inside libsoup 3.2 and GIO, not in sluice (compare demo/crm/lsan.supp).
 * A server keeps the GSocket of a connection that the client closed (fixed in libsoup 3.3);
 * soup_server_get_uris () never releases the listening socket's local address; GIO's extension
 * modules, loaded on a client's first connection, live as long as the process.  Matching them
 * needs whole allocation stacks: GLib is built without frame pointers, so the fast unwinder stops
 * at g_malloc. */
const char *__lsan_default_suppressions (void);
const char *__asan_default_options (void);

/* intercept_tls_get_addr=0: the TLS test loads GIO's TLS module (gnutls, with thread-local
 * variables of a dlopen'ed library); the sanitizer's tracking of such dynamic TLS records bogus
 * ranges on this glibc, and LeakSanitizer's exit check then crashes reading them ("Tracer caught
 * signal 11"). */
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0:intercept_tls_get_addr=0";
}

const char *
__lsan_default_suppressions (void)
{
  return "leak:g_socket_accept\n"
         "leak:soup_server_get_uris\n"
         "leak:g_io_modules_scan_all_in_directory_with_scope\n";
}
