/* test-http-client.c — the http plugin's client core (plugins/http/http-client.c, http-retry.c,
 * http-auth.c, http-system.c) against an in-process server on 127.0.0.1: URL resolution, retries
 * with backoff on 5xx and connection errors, Retry-After on 429 and 503, basic, bearer and OAuth2
 * authentication, the per-system cap on concurrent requests, the error messages a user sees, and
 * that no secret ever reaches a log message or an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http-client.h"
#include "http-test-server.h"

#define PASSWORD "pa55-w0rd-SECRET"
#define JWT "jwt-SECRET-token-123"
#define CLIENT_SECRET "client-SECRET-xyz"
#define ACCESS_TOKEN "access-SECRET-abc"

typedef struct
{
  HttpTestServer *server;
  gint failures_left; /* /flaky answers 500 this many times */
  gint token_requests;
  gint token_expires_in;
  gint revoke_next; /* /protected answers 401 once */
} Fixture;

static GMutex log_lock;
static GString *captured_log;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  g_mutex_lock (&log_lock);
  for (gsize i = 0; i < n_fields; i++)
    if (fields[i].length < 0)
      g_string_append_printf (captured_log, "%s=%s\n", fields[i].key, (const char *) fields[i].value);
  g_mutex_unlock (&log_lock);
  return G_LOG_WRITER_HANDLED;
}

static void
handle_ok (HttpTestServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
           gpointer user_data)
{
  http_test_reply (msg, 200, NULL, "[]");
}

static void
handle_missing (HttpTestServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer user_data)
{
  http_test_reply (msg, 404, NULL, "{}");
}

static void
handle_flaky (HttpTestServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer user_data)
{
  Fixture *f = user_data;

  if (g_atomic_int_add (&f->failures_left, -1) > 0)
    http_test_reply (msg, 500, NULL, "{\"error\": \"transient\"}");
  else
    http_test_reply (msg, 200, NULL, "[{\"_id\": \"ok\"}]");
}

static void
handle_broken (HttpTestServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
               gpointer user_data)
{
  http_test_reply (msg, 500, NULL, "{}");
}

static void
handle_rate_limited (HttpTestServer *server, SoupServerMessage *msg, const char *path,
                     GHashTable *query, gpointer user_data)
{
  Fixture *f = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (g_atomic_int_add (&f->failures_left, -1) > 0)
    {
      if (g_str_equal (path, "/limited-seconds"))
        soup_message_headers_replace (headers, "Retry-After", "1");
      http_test_reply (msg, g_str_equal (path, "/unavailable") ? 503 : 429, NULL, "");
      if (g_str_equal (path, "/unavailable"))
        soup_message_headers_replace (headers, "Retry-After", "0");
    }
  else
    http_test_reply (msg, 200, NULL, "[]");
}

static void
handle_token (HttpTestServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
              gpointer user_data)
{
  Fixture *f = user_data;
  g_autofree char *body = NULL;
  SoupMessageBody *request = soup_server_message_get_request_body (msg);

  g_atomic_int_inc (&f->token_requests);
  if (strstr (request->data, "client_secret=" CLIENT_SECRET) == NULL)
    {
      http_test_reply (msg, 401, NULL, "{\"error\": \"invalid_client\"}");
      return;
    }
  body = g_strdup_printf ("{\"access_token\": \"%s-%d\", \"token_type\": \"Bearer\", "
                          "\"expires_in\": %d}",
                          ACCESS_TOKEN, g_atomic_int_get (&f->token_requests), f->token_expires_in);
  http_test_reply (msg, 200, NULL, body);
}

static void
handle_protected (HttpTestServer *server, SoupServerMessage *msg, const char *path,
                  GHashTable *query, gpointer user_data)
{
  Fixture *f = user_data;

  if (g_atomic_int_compare_and_exchange (&f->revoke_next, 1, 0))
    http_test_reply (msg, 401, NULL, "{}");
  else
    http_test_reply (msg, 200, NULL, "[]");
}

static void
handle_slow (HttpTestServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
             gpointer user_data)
{
  http_test_reply (msg, 200, NULL, "[]");
  http_test_server_delay (server, msg, 100);
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->server = http_test_server_new ();
  http_test_server_add_handler (f->server, "/ok", handle_ok, f);
  http_test_server_add_handler (f->server, "/flaky", handle_flaky, f);
  http_test_server_add_handler (f->server, "/missing", handle_missing, f);
  http_test_server_add_handler (f->server, "/broken", handle_broken, f);
  http_test_server_add_handler (f->server, "/limited", handle_rate_limited, f);
  http_test_server_add_handler (f->server, "/limited-seconds", handle_rate_limited, f);
  http_test_server_add_handler (f->server, "/unavailable", handle_rate_limited, f);
  http_test_server_add_handler (f->server, "/token", handle_token, f);
  http_test_server_add_handler (f->server, "/protected", handle_protected, f);
  http_test_server_add_handler (f->server, "/slow", handle_slow, f);
  http_test_server_start (f->server);
  f->token_expires_in = 3600;
  g_mutex_lock (&log_lock);
  g_string_truncate (captured_log, 0);
  g_mutex_unlock (&log_lock);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  http_test_server_free (f->server);
  http_system_registry_clear ();
  g_free (f);
  return 0;
}

/* A system on the test server with @extra keys ("" or ", \"key\": value…"). */
static HttpSystem *
make_system (Fixture *f, const char *extra)
{
  g_autofree char *json = g_strdup_printf (
    "{\"_id\": \"crm\", \"type\": \"system:url\", \"url_pattern\": \"%s%%s\", "
    "\"request_retry_delay\": 0.01, \"rate_limiting_delay\": 0.01%s}",
    http_test_server_get_url (f->server), extra);
  g_autoptr (SluiceValue) config = http_test_json (json);
  g_autoptr (GError) error = NULL;
  HttpSystem *system = http_system_new ("crm", config, &error);

  if (system == NULL)
    fail_msg ("system: %s", error->message);
  return system;
}

static char *
url_of (Fixture *f, const char *path)
{
  return g_strconcat (http_test_server_get_url (f->server), path, NULL);
}

static void
test_retry_policy (void **state)
{
  HttpRetryPolicy policy = { .max_retries = 5, .base_delay = 1, .max_delay = 5 };
  double seconds = -1;

  assert_float_equal (http_retry_backoff_delay (&policy, 1, 0.0), 0.5, 1e-9);
  assert_float_equal (http_retry_backoff_delay (&policy, 1, 0.999999), 1.0, 1e-5);
  assert_float_equal (http_retry_backoff_delay (&policy, 2, 0.0), 1.0, 1e-9);
  assert_float_equal (http_retry_backoff_delay (&policy, 3, 0.5), 3.0, 1e-9);
  /* capped at max_delay */
  assert_float_equal (http_retry_backoff_delay (&policy, 10, 0.0), 2.5, 1e-9);

  assert_true (http_retry_parse_retry_after ("120", 0, &seconds));
  assert_float_equal (seconds, 120, 0);
  assert_true (http_retry_parse_retry_after (" 7 ", 0, &seconds));
  assert_float_equal (seconds, 7, 0);
  /* Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 */
  assert_true (http_retry_parse_retry_after ("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 30,
                                             &seconds));
  assert_float_equal (seconds, 30, 0);
  assert_true (http_retry_parse_retry_after ("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 + 30,
                                             &seconds));
  assert_float_equal (seconds, 0, 0);
  assert_false (http_retry_parse_retry_after ("soon", 0, &seconds));
  assert_false (http_retry_parse_retry_after ("12abc", 0, &seconds));
  assert_false (http_retry_parse_retry_after (NULL, 0, &seconds));

  assert_true (http_retry_status_is_transient (500));
  assert_true (http_retry_status_is_transient (503));
  assert_false (http_retry_status_is_transient (501));
  assert_false (http_retry_status_is_transient (404));
}

static void
test_url_resolution (void **state)
{
  g_autoptr (SluiceValue) a = http_test_json ("{\"url_pattern\": \"http://h:1/api/%s?x=1\"}");
  g_autoptr (SluiceValue) b = http_test_json ("{\"url_pattern\": \"http://h:1/api/\"}");
  g_autoptr (HttpSystem) sa = http_system_new ("a", a, NULL);
  g_autoptr (HttpSystem) sb = http_system_new ("b", b, NULL);
  g_autofree char *u1 = http_system_resolve_url (sa, "persons");
  g_autofree char *u2 = http_system_resolve_url (sb, "persons");
  g_autofree char *u3 = http_system_resolve_url (sb, "https://other/x");
  g_autofree char *shown = http_display_url ("http://user:" PASSWORD "@h:1/p?q=1");

  assert_string_equal (u1, "http://h:1/api/persons?x=1");
  assert_string_equal (u2, "http://h:1/api/persons");
  assert_string_equal (u3, "https://other/x");
  assert_string_equal (shown, "http://h:1/p?q=1");
  /* TLS verification is on unless the configuration turns it off (a documented deviation). */
  assert_true (sa->verify_ssl);
}

static void
test_system_errors (void **state)
{
  struct { const char *json; const char *message; } cases[] = {
    { "{\"type\": \"system:url\"}", "system 'x': missing required key 'url_pattern'" },
    { "{\"url_pattern\": \"http://h/\", \"authentication\": \"basic\"}",
      "system 'x': authentication \"basic\" needs 'username' (and 'password')" },
    { "{\"url_pattern\": \"http://h/\", \"authentication\": \"jwt\"}",
      "system 'x': authentication \"jwt\" needs 'jwt_token'" },
    { "{\"url_pattern\": \"http://h/\", \"authentication\": \"jwt\", \"jwt_token\": \"t\", "
      "\"oauth2\": {\"client_id\": \"c\", \"client_secret\": \"s\", \"token_url\": \"http://h/t\"}}",
      "system 'x': /oauth2 cannot be combined with authentication \"jwt\"" },
    { "{\"url_pattern\": \"http://h/\", \"oauth2\": {\"client_id\": \"c\"}}",
      "system 'x': /oauth2: client_id, client_secret and token_url are all required for the "
      "client credentials grant" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SluiceValue) config = http_test_json (cases[i].json);
      g_autoptr (GError) error = NULL;
      g_autoptr (HttpSystem) system = http_system_new ("x", config, &error);

      assert_null (system);
      assert_string_equal (error->message, cases[i].message);
    }
}

static HttpResponse *
get (HttpClient *client, Fixture *f, const char *path, GError **error)
{
  g_autofree char *url = url_of (f, path);

  return http_client_send (client, "GET", url, NULL, NULL, NULL, 0, error);
}

static void
test_transient_500_is_retried (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpSystem) system = make_system (f, "");
  g_autoptr (HttpClient) client = http_client_new (NULL, system, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HttpResponse) response = NULL;

  f->failures_left = 2;
  response = get (client, f, "flaky", &error);
  assert_null (error);
  assert_int_equal (response->status, 200);
  assert_int_equal (http_test_server_count_requests (f->server), 3);
  assert_memory_equal (g_bytes_get_data (response->body, NULL), "[{\"_id\": \"ok\"}]",
                       g_bytes_get_size (response->body));
  assert_int_equal (g_bytes_get_size (response->body), strlen ("[{\"_id\": \"ok\"}]"));
}

static void
test_permanent_500_fails (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpSystem) system = make_system (f, ", \"request_retries\": 2");
  g_autoptr (HttpClient) client = http_client_new (NULL, system, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HttpResponse) response = get (client, f, "broken", &error);
  g_autofree char *expected = g_strdup_printf ("GET %sbroken: 500 Internal Server Error after 3 attempts",
                                               http_test_server_get_url (f->server));

  assert_null (response);
  assert_string_equal (error->message, expected);
  assert_int_equal (http_test_server_count_requests (f->server), 3);
}

static void
test_client_error_is_not_retried (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpSystem) system = make_system (f, "");
  g_autoptr (HttpClient) client = http_client_new (NULL, system, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HttpResponse) response = get (client, f, "missing", &error);
  g_autofree char *expected = g_strdup_printf ("GET %smissing: 404 Not Found",
                                               http_test_server_get_url (f->server));

  assert_null (response);
  assert_string_equal (error->message, expected);
  assert_int_equal (http_test_server_count_requests (f->server), 1);
}

static void
test_connection_error_is_retried (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpSystem) system = make_system (f, ", \"request_retries\": 1");
  g_autoptr (HttpClient) client = http_client_new (NULL, system, NULL);
  g_autoptr (GError) error = NULL;
  /* Port 1 on loopback: nothing listens there, so connecting is refused at once. */
  g_autoptr (HttpResponse) response
    = http_client_send (client, "GET", "http://127.0.0.1:1/persons", NULL, NULL, NULL, 0, &error);

  assert_null (response);
  assert_true (g_str_has_prefix (error->message, "GET http://127.0.0.1:1/persons: "));
  assert_true (g_str_has_suffix (error->message, " after 2 attempts"));
}

static void
test_rate_limiting (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpSystem) system = make_system (f, ", \"rate_limiting_retries\": 2");
  g_autoptr (HttpClient) client = http_client_new (NULL, system, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HttpResponse) ok = NULL;
  g_autoptr (HttpResponse) seconds = NULL;
  g_autoptr (HttpResponse) unavailable = NULL;
  g_autoptr (HttpResponse) failed = NULL;
  g_autofree char *expected = NULL;
  gint64 started;

  /* 429 without Retry-After: rate_limiting_delay, then success. */
  f->failures_left = 2;
  ok = get (client, f, "limited", &error);
  assert_null (error);
  assert_int_equal (ok->status, 200);
  assert_int_equal (http_test_server_count_requests (f->server), 3);

  /* Retry-After in seconds is honoured. */
  f->failures_left = 1;
  started = g_get_monotonic_time ();
  seconds = get (client, f, "limited-seconds", &error);
  assert_null (error);
  assert_true (g_get_monotonic_time () - started >= G_USEC_PER_SEC);

  /* 503 with Retry-After is rate limiting too. */
  f->failures_left = 1;
  unavailable = get (client, f, "unavailable", &error);
  assert_null (error);
  assert_int_equal (unavailable->status, 200);

  /* Too many 429s fail with the status. */
  f->failures_left = 10;
  failed = get (client, f, "limited", &error);
  assert_null (failed);
  expected = g_strdup_printf ("GET %slimited: 429 Too Many Requests after 3 attempts",
                              http_test_server_get_url (f->server));
  assert_string_equal (error->message, expected);
}

static void
test_basic_and_jwt (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpSystem) basic = make_system (f, ", \"authentication\": \"basic\", \"username\": "
                                                 "\"alice\", \"password\": \"" PASSWORD "\"");
  g_autoptr (HttpSystem) jwt = make_system (f, ", \"authentication\": \"jwt\", \"jwt_token\": \"" JWT
                                               "\", \"headers\": {\"Authorization\": \"x\", "
                                               "\"X-Api\": \"v1\"}");
  g_autoptr (HttpClient) c1 = http_client_new (NULL, basic, NULL);
  g_autoptr (SluiceValue) element_headers = http_test_json ("{\"X-Api\": \"v2\", \"X-N\": 5}");
  g_autoptr (HttpClient) c2 = http_client_new (NULL, jwt, element_headers);
  g_autoptr (HttpResponse) r1 = get (c1, f, "ok", NULL);
  g_autoptr (HttpResponse) r2 = get (c2, f, "ok", NULL);
  g_autoptr (HttpTestRequest) q1 = http_test_server_dup_request (f->server, 0);
  g_autoptr (HttpTestRequest) q2 = http_test_server_dup_request (f->server, 1);
  g_autofree char *pair = g_base64_encode ((const guchar *) "alice:" PASSWORD, strlen ("alice:" PASSWORD));
  g_autofree char *expected = g_strconcat ("Basic ", pair, NULL);

  assert_non_null (r1);
  assert_non_null (r2);
  assert_string_equal (q1->authorization, expected);
  assert_string_equal (q2->authorization, "Bearer " JWT);
  /* The element's headers win over the system's. */
  assert_string_equal (soup_message_headers_get_one (q2->headers, "X-Api"), "v2");
  assert_string_equal (soup_message_headers_get_one (q2->headers, "X-N"), "5");
}

static HttpSystem *
make_oauth2_system (Fixture *f, const char *secret)
{
  g_autofree char *extra = g_strdup_printf (
    ", \"oauth2\": {\"client_id\": \"sluice\", \"client_secret\": \"%s\", \"token_url\": \"%stoken\", "
    "\"scope\": [\"read\", \"write\"]}",
    secret, http_test_server_get_url (f->server));

  return make_system (f, extra);
}

static void
test_oauth2 (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpSystem) system = make_oauth2_system (f, CLIENT_SECRET);
  g_autoptr (HttpClient) client = http_client_new (NULL, system, NULL);
  g_autoptr (HttpTestRequest) token_request = NULL;
  g_autoptr (HttpTestRequest) last = NULL;

  for (int i = 0; i < 3; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (HttpResponse) response = get (client, f, "protected", &error);

      assert_null (error);
    }
  /* One token for three requests. */
  assert_int_equal (f->token_requests, 1);
  token_request = http_test_server_dup_request (f->server, 0);
  assert_string_equal (token_request->path, "/token");
  assert_non_null (strstr (token_request->body, "grant_type=client_credentials"));
  assert_non_null (strstr (token_request->body, "scope=read%20write"));
  last = http_test_server_dup_request (f->server, 3);
  assert_string_equal (last->authorization, "Bearer " ACCESS_TOKEN "-1");

  /* A token revoked early (401) is fetched again, once. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (HttpResponse) response = NULL;
    g_autoptr (HttpTestRequest) retried = NULL;

    f->revoke_next = 1;
    response = get (client, f, "protected", &error);
    assert_null (error);
    assert_int_equal (f->token_requests, 2);
    retried = http_test_server_dup_request (f->server, http_test_server_count_requests (f->server) - 1);
    assert_string_equal (retried->authorization, "Bearer " ACCESS_TOKEN "-2");
  }
}

static void
test_oauth2_refresh_window (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpSystem) system = make_oauth2_system (f, CLIENT_SECRET);
  g_autoptr (HttpClient) client = http_client_new (NULL, system, NULL);

  /* A token that expires within the refresh window (30 s) is fetched again for every request. */
  f->token_expires_in = 10;
  for (int i = 0; i < 2; i++)
    {
      g_autoptr (HttpResponse) response = get (client, f, "ok", NULL);

      assert_non_null (response);
    }
  assert_int_equal (f->token_requests, 2);
}

static void
assert_no_secret (const char *text)
{
  const char *secrets[] = { PASSWORD, JWT, CLIENT_SECRET, ACCESS_TOKEN, NULL };
  g_autofree char *basic = g_base64_encode ((const guchar *) "alice:" PASSWORD,
                                            strlen ("alice:" PASSWORD));

  for (int i = 0; secrets[i] != NULL; i++)
    if (strstr (text, secrets[i]) != NULL)
      fail_msg ("secret %s leaked into: %s", secrets[i], text);
  if (strstr (text, basic) != NULL)
    fail_msg ("basic credentials leaked into: %s", text);
}

static void
test_secrets_stay_secret (void **state)
{
  Fixture *f = *state;
  g_autoptr (GString) errors = g_string_new (NULL);
  g_autoptr (HttpSystem) basic = make_system (f, ", \"authentication\": \"basic\", \"username\": "
                                                 "\"alice\", \"password\": \"" PASSWORD "\", "
                                                 "\"request_retries\": 1");
  g_autoptr (HttpSystem) jwt = make_system (f, ", \"authentication\": \"jwt\", \"jwt_token\": \"" JWT
                                               "\", \"request_retries\": 1");
  g_autoptr (HttpSystem) wrong_secret = make_oauth2_system (f, "wrong-" CLIENT_SECRET);
  g_autoptr (HttpSystem) oauth2 = make_oauth2_system (f, CLIENT_SECRET);
  HttpSystem *systems[] = { basic, jwt, wrong_secret, oauth2 };
  const char *paths[] = { "broken", "missing", "limited", "ok" };
  g_autofree char *userinfo_url = g_strdup_printf ("http://alice:%s@127.0.0.1:1/x", PASSWORD);

  for (gsize s = 0; s < G_N_ELEMENTS (systems); s++)
    {
      g_autoptr (SluiceElementContext) context
        = sluice_element_context_new ("http", "json", "secret-pipe", NULL);
      g_autoptr (HttpClient) client = http_client_new (context, systems[s], NULL);

      for (gsize p = 0; p < G_N_ELEMENTS (paths); p++)
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (HttpResponse) response = NULL;

          f->failures_left = 10;
          response = get (client, f, paths[p], &error);
          if (error != NULL)
            g_string_append_printf (errors, "%s\n", error->message);
        }
      {
        g_autoptr (GError) error = NULL;
        g_autoptr (HttpResponse) response
          = http_client_send (client, "GET", userinfo_url, NULL, NULL, NULL, 0, &error);

        assert_null (response);
        g_string_append_printf (errors, "%s\n", error->message);
      }
    }
  /* Something did fail and log (the retries warn), so the check below looks at real text. */
  assert_non_null (strstr (errors->str, "500 Internal Server Error"));
  assert_non_null (strstr (errors->str, "OAuth2 token request POST"));
  g_mutex_lock (&log_lock);
  assert_non_null (strstr (captured_log->str, "retrying"));
  assert_no_secret (captured_log->str);
  g_mutex_unlock (&log_lock);
  assert_no_secret (errors->str);
}

typedef struct
{
  HttpClient *client;
  Fixture *f;
} Worker;

static gpointer
worker_run (gpointer data)
{
  Worker *worker = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (HttpResponse) response = get (worker->client, worker->f, "slow", &error);

  g_assert_no_error (error);
  return NULL;
}

static void
test_concurrency_cap (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpSystem) system = make_system (f, ", \"worker_threads\": 2");
  GThread *threads[6];
  Worker workers[6];

  /* Six workers (as six pipes would) each with its own client, all on one system. */
  for (int i = 0; i < 6; i++)
    {
      workers[i].client = http_client_new (NULL, system, NULL);
      workers[i].f = f;
      threads[i] = g_thread_new ("worker", worker_run, &workers[i]);
    }
  for (int i = 0; i < 6; i++)
    {
      g_thread_join (threads[i]);
      http_client_free (workers[i].client);
    }
  assert_int_equal (http_test_server_count_requests (f->server), 6);
  assert_int_equal (http_test_server_get_max_in_flight (f->server), 2);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_retry_policy),
    cmocka_unit_test (test_url_resolution),
    cmocka_unit_test (test_system_errors),
    cmocka_unit_test_setup_teardown (test_transient_500_is_retried, setup, teardown),
    cmocka_unit_test_setup_teardown (test_permanent_500_fails, setup, teardown),
    cmocka_unit_test_setup_teardown (test_client_error_is_not_retried, setup, teardown),
    cmocka_unit_test_setup_teardown (test_connection_error_is_retried, setup, teardown),
    cmocka_unit_test_setup_teardown (test_rate_limiting, setup, teardown),
    cmocka_unit_test_setup_teardown (test_basic_and_jwt, setup, teardown),
    cmocka_unit_test_setup_teardown (test_oauth2, setup, teardown),
    cmocka_unit_test_setup_teardown (test_oauth2_refresh_window, setup, teardown),
    cmocka_unit_test_setup_teardown (test_secrets_stay_secret, setup, teardown),
    cmocka_unit_test_setup_teardown (test_concurrency_cap, setup, teardown),
  };
  int failed;

  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  failed = cmocka_run_group_tests (tests, NULL, NULL);
  g_string_free (captured_log, TRUE);
  return failed;
}
