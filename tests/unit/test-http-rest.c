/* test-http-rest.c — the http plugin's rest source, sink and transform and the operations they share
 * (plugins/http/rest-operation.c, rest-source.c, rest-sink.c, rest-transform.c), linked in
 * statically and driven through their callbacks as the engine drives them, against an in-process
 * server on 127.0.0.1 that behaves like a small REST API: paged collections (a link in the body, a
 * Link header, page numbers), per-id lookups and writes, and faults (500s, 429, truncated JSON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http-elements.h"
#include "http-system.h"
#include "http-test-server.h"
#include "rest-operation.h"

#define JWT "jwt-SECRET-rest-77"
#define API_KEY "KEY-SECRET-42"
#define BODY_SECRET "body-SECRET-9"

typedef struct
{
  HttpTestServer *server;
  SluiceValue *systems;
  gint n_persons;     /* /api/persons and /api/paged serve persons 1 … n, seq = 10 · id */
  gint failures_left; /* /api/flaky answers 500 this many times */
  gint limited_left;  /* /api/limited answers 429 this many times */
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

static gint64
query_int (GHashTable *query, const char *key, gint64 fallback)
{
  const char *value = query != NULL ? g_hash_table_lookup (query, key) : NULL;

  return value != NULL ? g_ascii_strtoll (value, NULL, 10) : fallback;
}

static void
append_person (GString *out, gint64 id)
{
  g_string_append_printf (out, "{\"id\": %" G_GINT64_FORMAT ", \"name\": \"Person %" G_GINT64_FORMAT
                          "\", \"seq\": %" G_GINT64_FORMAT "}",
                          id, id, id * 10);
}

/* Persons after `since` (query `since` or `modified_after`, or header X-Since), paged by `page` and
 * `size`, wrapped as {"data": {"items": […]}, "next": "persons?page=…" or null}. */
static void
handle_persons (Fixture *f, SoupServerMessage *msg, GHashTable *query)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *since_header = soup_message_headers_get_one (headers, "X-Since");
  gint64 since = query_int (query, "since", query_int (query, "modified_after", -1));
  gint64 page = query_int (query, "page", 0), size = query_int (query, "size", 10);
  g_autoptr (GString) body = g_string_new ("{\"data\": {\"items\": [");
  gint64 skipped = 0, n = 0;
  gboolean more = FALSE;

  if (since_header != NULL)
    since = g_ascii_strtoll (since_header, NULL, 10);
  for (gint64 id = 1; id <= f->n_persons; id++)
    {
      if (id * 10 <= since)
        continue;
      if (skipped++ < page * size)
        continue;
      if (n == size)
        {
          more = TRUE;
          break;
        }
      if (n++ > 0)
        g_string_append (body, ", ");
      append_person (body, id);
    }
  g_string_append (body, "]}, \"next\": ");
  if (more)
    g_string_append_printf (body, "\"persons?page=%" G_GINT64_FORMAT "&size=%" G_GINT64_FORMAT "\"}",
                            page + 1, size);
  else
    g_string_append (body, "null}");
  http_test_reply (msg, 200, NULL, body->str);
}

static void
handle_api (HttpTestServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
            gpointer user_data)
{
  Fixture *f = user_data;
  const char *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);

  if (g_str_equal (path, "/api/persons"))
    handle_persons (f, msg, query);
  else if (g_str_equal (path, "/api/dotted"))
    http_test_reply (msg, 200, NULL,
                     "{\"data.items\": [{\"_id\": \"literal\"}], "
                     "\"data\": {\"items\": [{\"_id\": \"path\"}]}}");
  else if (g_str_equal (path, "/api/linked"))
    {
      gint64 cursor = query_int (query, "cursor", 0);
      g_autofree char *body = g_strdup_printf ("[{\"_id\": \"c%" G_GINT64_FORMAT "-a\"}, "
                                               "{\"_id\": \"c%" G_GINT64_FORMAT "-b\"}]",
                                               cursor, cursor);

      if (cursor < 2)
        {
          g_autofree char *link = g_strdup_printf ("</api/linked?cursor=%" G_GINT64_FORMAT
                                                   ">; rel=\"next\", </api/linked?cursor=2>; "
                                                   "rel=\"last\"",
                                                   cursor + 1);

          soup_message_headers_replace (response_headers, "Link", link);
        }
      http_test_reply (msg, 200, NULL, body);
    }
  else if (g_str_equal (path, "/api/paged"))
    {
      gint64 page = query_int (query, "page", 0), size = query_int (query, "size", 10);
      g_autoptr (GString) body = g_string_new ("[");

      for (gint64 id = page * size + 1; id <= MIN (f->n_persons, (page + 1) * size); id++)
        g_string_append_printf (body, "%s{\"_id\": \"p%" G_GINT64_FORMAT "\"}",
                                body->len > 1 ? ", " : "", id);
      g_string_append_c (body, ']');
      http_test_reply (msg, 200, NULL, body->str);
    }
  else if (g_str_equal (path, "/api/stuck"))
    http_test_reply (msg, 200, NULL, "{\"items\": [{\"_id\": \"s\"}], \"next\": \"stuck\"}");
  else if (g_str_equal (path, "/api/flaky"))
    {
      if (g_atomic_int_add (&f->failures_left, -1) > 0)
        http_test_reply (msg, 500, NULL, "{}");
      else
        http_test_reply (msg, 200, NULL, "[{\"_id\": \"ok\"}]");
    }
  else if (g_str_equal (path, "/api/broken"))
    http_test_reply (msg, 500, NULL, "{}");
  else if (g_str_equal (path, "/api/limited"))
    {
      if (g_atomic_int_add (&f->limited_left, -1) > 0)
        {
          http_test_reply (msg, 429, NULL, "");
          soup_message_headers_replace (response_headers, "Retry-After", "0");
        }
      else
        http_test_reply (msg, 200, NULL, "[{\"_id\": \"ok\"}]");
    }
  else if (g_str_equal (path, "/api/truncated"))
    http_test_reply (msg, 200, NULL, "[{\"_id\": \"a\"}, {\"_id\": \"b\", \"name\": \"B");
  else if (g_str_equal (path, "/api/empty"))
    http_test_reply (msg, 200, NULL, "[]");
  else if (g_str_equal (path, "/api/text"))
    http_test_reply (msg, 200, "text/plain", "hello");
  else if (g_str_equal (path, "/api/search"))
    http_test_reply (msg, 200, NULL, "{\"hits\": [{\"_id\": \"r1\", \"score\": 2}, {\"_id\": \"r2\"}]}");
  else if (g_str_has_prefix (path, "/api/person/"))
    {
      const char *id = path + strlen ("/api/person/");

      if (g_str_equal (id, "fail"))
        http_test_reply (msg, 500, NULL, "{}");
      else if (g_str_equal (id, "missing"))
        http_test_reply (msg, 404, NULL, "{\"error\": \"not found\"}");
      else if (g_str_equal (id, "gone"))
        http_test_reply (msg, 410, NULL, "{}");
      else if (g_str_equal (id, "bad"))
        http_test_reply (msg, 400, NULL, "{}");
      else if (g_str_equal (method, "GET"))
        {
          g_autofree char *body = g_strdup_printf ("{\"name\": \"Person %s\", \"email\": "
                                                   "\"p%s@example.com\"}",
                                                   id, id);

          soup_message_headers_replace (response_headers, "ETag", "\"v1\"");
          http_test_reply (msg, 200, NULL, body);
        }
      else
        http_test_reply (msg, g_str_equal (method, "POST") ? 201 : 200, NULL, "{\"ok\": true}");
    }
  else
    http_test_reply (msg, 200, NULL, "{}");
}

/* The systems of every test: `crm` (a system:rest with operations), `secure` (bearer token), and
 * `url-only` (a system:url). */
static const char systems_template[] =
  "{\"crm\": {\"_id\": \"crm\", \"type\": \"system:rest\", \"url_pattern\": \"%sapi/%%s\", "
  "  \"request_retries\": 2, \"request_retry_delay\": 0.01, \"rate_limiting_retries\": 0, "
  "  \"rate_limiting_delay\": 0, \"operations\": {"
  "  \"list-persons\": {\"url\": \"persons\", \"method\": \"GET\", "
  "     \"params\": {\"size\": \"{{ properties.size }}\"}, \"properties\": {\"size\": 10}, "
  "     \"next_page_link\": \"{{ body.next }}\", \"payload_property\": \"data.items\"}, "
  "  \"changes\": {\"url\": \"persons\", \"method\": \"GET\", \"payload_property\": \"data.items\"}, "
  "  \"dotted\": {\"url\": \"dotted\", \"method\": \"GET\"}, "
  "  \"linked\": {\"url\": \"linked\", \"method\": \"GET\", "
  "     \"next_page_link\": \"{{ headers.Link.next }}\"}, "
  "  \"paged\": {\"url\": \"paged?page={{ page }}\", \"method\": \"GET\"}, "
  "  \"paged-not-full\": {\"url\": \"paged?page={{ page }}&size={{ page_size }}\", "
  "     \"method\": \"GET\", \"page_size\": 10, "
  "     \"next_page_termination_strategy\": \"not-full-page\"}, "
  "  \"stuck\": {\"url\": \"stuck\", \"method\": \"GET\", \"payload_property\": \"items\", "
  "     \"next_page_link\": \"{{ body.next }}\"}, "
  "  \"get\": {\"url\": \"{{ properties.path }}\", \"method\": \"GET\"}, "
  "  \"get-person\": {\"url\": \"person/{{ entity._id | urlquote }}\", \"method\": \"GET\"}, "
  "  \"put-person\": {\"url\": \"person/{{ entity._id | urlquote }}\", \"method\": \"PUT\", "
  "     \"payload\": {\"name\": \"{{ entity.name }}\", \"born\": \"{{ entity.born }}\"}}, "
  "  \"post-person\": {\"url\": \"person/new\", \"method\": \"POST\", \"payload-type\": \"json-transit\", "
  "     \"payload\": \"{{ entity }}\"}, "
  "  \"delete-person\": {\"url\": \"person/{{ entity._id }}\", \"method\": \"DELETE\"}, "
  "  \"form\": {\"url\": \"person/form\", \"method\": \"POST\", \"payload-type\": \"form\", "
  "     \"payload\": {\"name\": \"{{ entity.name }}\", \"kind\": \"{{ properties.kind }}\"}, "
  "     \"properties\": {\"kind\": \"operation\"}}, "
  "  \"text\": {\"url\": \"person/text\", \"method\": \"POST\", \"payload-type\": \"text\", "
  "     \"payload\": \"Hello {{ entity.name }}\"}, "
  "  \"headers\": {\"url\": \"person/h\", \"method\": \"PATCH\", "
  "     \"headers\": {\"X-Kind\": \"{{ properties.kind }}\"}, "
  "     \"params\": {\"q\": \"{{ entity.name }}\", \"fixed\": \"a b\"}}, "
  "  \"search\": {\"url\": \"search\", \"method\": \"GET\", \"payload_property\": \"hits\"}"
  "}}, "
  "\"secure\": {\"_id\": \"secure\", \"type\": \"system:rest\", \"url_pattern\": \"%sapi/%%s\", "
  "  \"authentication\": \"jwt\", \"jwt_token\": \"" JWT "\", \"request_retries\": 1, "
  "  \"request_retry_delay\": 0.01, \"operations\": {"
  "  \"keyed\": {\"url\": \"{{ properties.path }}\", \"method\": \"GET\", "
  "     \"headers\": {\"X-Api-Key\": \"" API_KEY "{{ properties.suffix }}\"}}, "
  "  \"send\": {\"url\": \"{{ properties.path }}\", \"method\": \"POST\", "
  "     \"payload\": \"" BODY_SECRET "{{ properties.suffix }}\"}"
  "}}, "
  "\"url-only\": {\"_id\": \"url-only\", \"type\": \"system:url\", \"url_pattern\": \"%sapi/%%s\"}"
  "}";

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autofree char *systems = NULL;
  const char *url;

  f->server = http_test_server_new ();
  http_test_server_add_handler (f->server, NULL, handle_api, f);
  http_test_server_start (f->server);
  url = http_test_server_get_url (f->server);
  systems = g_strdup_printf (systems_template, url, url, url);
  f->systems = http_test_json (systems);
  f->n_persons = 25;
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  http_test_server_free (f->server);
  sluice_value_unref (f->systems);
  http_system_registry_clear ();
  g_free (f);
  return 0;
}

/* ---- running elements as the engine does ---- */

typedef struct
{
  SluiceFlow flow;
  GError *error;
  GString *json; /* the entities read, as a JSON array */
  guint count;
} Run;

static void
run_clear (Run *run)
{
  g_clear_error (&run->error);
  if (run->json != NULL)
    g_string_free (run->json, TRUE);
  run->json = NULL;
}

static void
append_entity (Run *run, SluiceEntity *entity)
{
  g_string_append (run->json, run->count++ > 0 ? "," : "[");
  sluice_json_write_value (run->json, sluice_entity_get_body (entity));
}

static void
end_json (Run *run)
{
  g_string_append (run->json, run->count > 0 ? "]" : "[]");
}

static Run
run_source (Fixture *f, const char *options_json, uint32_t run_flags, const char *since_json)
{
  const SluiceSourceCallbacks *cb = http_rest_source.callbacks;
  g_autoptr (SluiceElementContext) context = http_test_context_new ("rest", options_json, f->systems);
  g_autoptr (SluiceValue) since = since_json ? http_test_json (since_json) : NULL;
  Run run = { .json = g_string_new (NULL) };
  void *instance = cb->create (context, &run.error);

  if (instance == NULL)
    {
      run.flow = SLUICE_FLOW_ERROR;
      end_json (&run);
      return run;
    }
  assert_true (cb->open (instance, run_flags, since, &run.error));
  do
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();

      run.flow = cb->read (instance, batch, 7, &run.error);
      assert_true (sluice_batch_get_length (batch) <= 7);
      for (size_t i = 0; i < sluice_batch_get_length (batch); i++)
        append_entity (&run, sluice_batch_get (batch, i));
    }
  while (run.flow == SLUICE_FLOW_OK);
  cb->close (instance);
  cb->destroy (instance);
  end_json (&run);
  return run;
}

static SluiceBatch *
batch_from_json (const char *json)
{
  g_autoptr (SluiceValue) list = http_test_json (json);
  SluiceBatch *batch = sluice_batch_new ();

  for (size_t i = 0; i < sluice_value_list_get_length (list); i++)
    sluice_batch_take (batch, sluice_entity_new (sluice_value_list_get (list, i), NULL));
  return batch;
}

static Run
run_sink (Fixture *f, const char *options_json, const char *entities_json)
{
  const SluiceSinkCallbacks *cb = http_rest_sink.callbacks;
  g_autoptr (SluiceElementContext) context = http_test_context_new ("rest", options_json, f->systems);
  g_autoptr (SluiceBatch) batch = batch_from_json (entities_json);
  Run run = { 0 };
  void *instance = cb->create (context, &run.error);

  if (instance == NULL)
    {
      run.flow = SLUICE_FLOW_ERROR;
      return run;
    }
  assert_true (cb->begin (instance, SLUICE_RUN_FLAG_FULL, &run.error));
  run.flow = cb->write (instance, batch, &run.error);
  assert_true (cb->end (instance, run.flow == SLUICE_FLOW_OK, NULL));
  cb->destroy (instance);
  return run;
}

static Run
run_transform (Fixture *f, const char *options_json, const char *entities_json)
{
  const SluiceTransformCallbacks *cb = http_rest_transform.callbacks;
  g_autoptr (SluiceElementContext) context = http_test_context_new ("rest", options_json, f->systems);
  g_autoptr (SluiceBatch) input = batch_from_json (entities_json);
  g_autoptr (SluiceBatch) output = sluice_batch_new ();
  Run run = { .json = g_string_new (NULL) };
  void *instance = cb->create (context, &run.error);

  if (instance == NULL)
    {
      run.flow = SLUICE_FLOW_ERROR;
      end_json (&run);
      return run;
    }
  run.flow = cb->transform (instance, input, output, &run.error);
  for (size_t i = 0; i < sluice_batch_get_length (output); i++)
    append_entity (&run, sluice_batch_get (output, i));
  end_json (&run);
  cb->destroy (instance);
  return run;
}

static void
assert_error (const Run *run, const char *message)
{
  assert_int_equal (run->flow, SLUICE_FLOW_ERROR);
  assert_non_null (run->error);
  assert_string_equal (run->error->message, message);
}

/* The error message with the server's address replaced by "URL/". */
static char *
error_text (Fixture *f, const GError *error)
{
  g_auto (GStrv) parts = g_strsplit (error->message, http_test_server_get_url (f->server), -1);

  return g_strjoinv ("URL/", parts);
}

static void
assert_json (const Run *run, const char *expected)
{
  g_autoptr (SluiceValue) want = http_test_json (expected);
  g_autoptr (SluiceValue) got = http_test_json (run->json->str);

  if (!sluice_value_equal (want, got))
    fail_msg ("expected %s\n got %s", expected, run->json->str);
}

static HttpTestRequest *
request (Fixture *f, guint index)
{
  HttpTestRequest *r = http_test_server_dup_request (f->server, index);

  assert_non_null (r);
  return r;
}

/* ---- operations ---- */

static void
test_operation_errors (void **state)
{
  Fixture *f = *state;
  struct
  {
    const char *options;
    const char *message;
  } cases[] = {
    { "{\"system\": \"crm\", \"operation\": \"nope\"}",
      "rest source: option 'operation': there is no operation 'nope' in system 'crm' or the "
      "element's operations (known: changes, delete-person, dotted, form, get, get-person, headers, "
      "linked, list-persons, paged, paged-not-full, post-person, put-person, search, stuck, text)" },
    { "{\"system\": \"crm\"}",
      "rest source: option 'operation' is required: it names the operation to run" },
    { "{\"system\": \"crm\", \"operation\": \"x\", \"operations\": {\"x\": {\"url\": \"a\", "
      "\"method\": \"get\"}}}",
      "rest source: /operations/x/method: expected GET, POST, PUT, DELETE, PATCH, OPTIONS or HEAD "
      "(upper case), got \"get\"" },
    { "{\"system\": \"crm\", \"operation\": \"x\", \"operations\": {\"x\": {\"method\": \"GET\"}}}",
      "rest source: /operations/x/url: required: expected a URL template" },
    { "{\"system\": \"crm\", \"operation\": \"x\", \"operations\": {\"x\": {\"url\": \"a\", "
      "\"method\": \"GET\", \"next_page\": \"b\"}}}",
      "rest source: /operations/x/next_page: unknown key (see docs/http.md for the keys of an "
      "operation)" },
    { "{\"system\": \"crm\", \"operation\": \"x\", \"operations\": {\"x\": {\"url\": \"a/{{ entity\", "
      "\"method\": \"GET\"}}}",
      "rest source: /operations/x: url template \"a/{{ entity\": byte 2: '{{' is never closed by "
      "'}}'" },
    { "{\"system\": \"crm\", \"operation\": \"x\", \"operations\": {\"x\": {\"url\": \"a\", "
      "\"method\": \"POST\", \"payload-type\": \"multipart-form\"}}}",
      "rest source: /operations/x/payload-type: expected json, json-transit, text or form, got "
      "\"multipart-form\" (multipart-form is not supported)" },
    { "{\"system\": \"crm\", \"operation\": \"x\", \"operations\": {\"x\": {\"url\": \"a\", "
      "\"method\": \"GET\", \"next_page_termination_strategy\": [\"not-full-page\"]}}}",
      "rest source: /operations/x/next_page_termination_strategy: not-full-page needs page_size" },
    { "{\"system\": \"crm\", \"operation\": \"x\", \"operations\": {\"x\": {\"url\": \"a\", "
      "\"method\": \"GET\", \"next_page_termination_strategy\": \"never\"}}}",
      "rest source: /operations/x/next_page_termination_strategy: unknown strategy \"never\" "
      "(expected empty-result, next-page-link-empty, same-next-page-link, same-next-page-request, "
      "same-response or not-full-page)" },
    { "{\"system\": \"nowhere\", \"operation\": \"x\"}",
      "rest: option 'system': there is no system with _id 'nowhere'" },
    { "{\"system\": \"crm\", \"operation\": \"dotted\", \"since_property_location\": \"body\"}",
      "rest source: since_property_location \"body\": expected query, header or manual" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Run run = run_source (f, cases[i].options, SLUICE_RUN_FLAG_FULL, NULL);

      assert_error (&run, cases[i].message);
      run_clear (&run);
    }
  /* A sink's delete_operation must exist too. */
  {
    Run run = run_sink (f, "{\"system\": \"crm\", \"delete_operation\": \"remove\"}", "[]");

    assert_error (&run, "rest sink: option 'delete_operation': there is no operation 'remove' in "
                        "system 'crm' or the element's operations (known: changes, delete-person, "
                        "dotted, form, get, get-person, headers, linked, list-persons, paged, "
                        "paged-not-full, post-person, put-person, search, stuck, text)");
    run_clear (&run);
  }
  assert_int_equal (http_test_server_count_requests (f->server), 0);
}

static void
test_operation_rendering (void **state)
{
  Fixture *f = *state;
  Run run = run_sink (f, "{\"system\": \"crm\", \"operation\": \"put-person\"}",
                      "[{\"_id\": \"a?1\", \"name\": \"Ann\", \"born\": \"~t1990-05-01T00:00:00Z\"},"
                      " {\"_id\": \"b\", \"operation\": \"post-person\", \"name\": \"~:crm:b\"},"
                      " {\"_id\": \"c\", \"operation\": \"form\", \"name\": \"C & D\"},"
                      " {\"_id\": \"d\", \"operation\": \"form\", \"name\": \"D\", "
                      "  \"properties\": {\"kind\": \"entity\"}},"
                      " {\"_id\": \"e\", \"operation\": \"text\", \"name\": \"Eve\"},"
                      " {\"_id\": \"f\", \"operation\": \"headers\", \"name\": \"F&G\", "
                      "  \"properties\": {\"kind\": \"vip\"}},"
                      " {\"_id\": \"g\", \"operation\": \"text\", \"payload\": \"{{ not a template }}\"}]");
  g_autoptr (HttpTestRequest) put = request (f, 0);
  g_autoptr (HttpTestRequest) post = request (f, 1);
  g_autoptr (HttpTestRequest) form = request (f, 2);
  g_autoptr (HttpTestRequest) form_props = request (f, 3);
  g_autoptr (HttpTestRequest) text = request (f, 4);
  g_autoptr (HttpTestRequest) patch = request (f, 5);
  g_autoptr (HttpTestRequest) raw = request (f, 6);

  assert_null (run.error);
  assert_int_equal (run.flow, SLUICE_FLOW_OK);
  /* url template with urlquote, json payload: typed values become plain text. */
  assert_string_equal (put->method, "PUT");
  /* Quoted, the '?' stays in the path instead of starting a query. */
  assert_string_equal (put->path, "/api/person/a?1");
  assert_null (put->query);
  assert_string_equal (put->body, "{\"name\":\"Ann\",\"born\":\"1990-05-01T00:00:00Z\"}");
  assert_string_equal (soup_message_headers_get_content_type (put->headers, NULL), "application/json");
  /* json-transit keeps the transit encoding; "{{ entity }}" keeps the structure. */
  assert_string_equal (post->method, "POST");
  assert_non_null (strstr (post->body, "\"name\":\"~:crm:b\""));
  assert_non_null (strstr (post->body, "\"_id\":\"b\""));
  /* form: the operation's properties, unless the entity brings its own. */
  assert_string_equal (form->body, "name=C%20%26%20D&kind=operation");
  assert_string_equal (soup_message_headers_get_content_type (form->headers, NULL),
                       "application/x-www-form-urlencoded");
  assert_string_equal (form_props->body, "name=D&kind=entity");
  assert_string_equal (text->body, "Hello Eve");
  assert_string_equal (soup_message_headers_get_content_type (text->headers, NULL), "text/plain");
  /* headers and params are templates; params are query-encoded. */
  assert_string_equal (patch->method, "PATCH");
  assert_string_equal (patch->query, "q=F%26G&fixed=a%20b");
  assert_string_equal (soup_message_headers_get_one (patch->headers, "X-Kind"), "vip");
  /* An entity's own payload is data, not a template. */
  assert_string_equal (raw->body, "{{ not a template }}");
  run_clear (&run);
}

static void
test_payload_precedence (void **state)
{
  Fixture *f = *state;
  /* The element's payload wins over the operation's, the entity's over both; an inline operation
   * replaces the system's of the same name. */
  Run run = run_sink (f, "{\"system\": \"crm\", \"operation\": \"text\", "
                         "\"payload\": \"element {{ entity._id }}\", "
                         "\"operations\": {\"text\": {\"url\": \"person/inline\", "
                         "\"method\": \"POST\", \"payload-type\": \"text\"}}}",
                      "[{\"_id\": \"a\"}, {\"_id\": \"b\", \"payload\": \"entity\"}]");
  g_autoptr (HttpTestRequest) first = request (f, 0);
  g_autoptr (HttpTestRequest) second = request (f, 1);

  assert_null (run.error);
  assert_string_equal (first->path, "/api/person/inline");
  assert_string_equal (first->body, "element a");
  assert_string_equal (second->body, "entity");
  run_clear (&run);
}

/* ---- source ---- */

static void
test_source_body_link_paging (void **state)
{
  Fixture *f = *state;
  Run run = run_source (f, "{\"system\": \"crm\", \"operation\": \"list-persons\", "
                           "\"id_expression\": \"person-{{ entity.id }}\", "
                           "\"updated_expression\": \"{{ entity.seq }}\"}",
                        SLUICE_RUN_FLAG_FULL, NULL);
  g_autoptr (HttpTestRequest) first = request (f, 0);
  g_autoptr (HttpTestRequest) second = request (f, 1);
  g_autoptr (HttpTestRequest) third = request (f, 2);
  g_autoptr (SluiceValue) entities = NULL;
  SluiceValue *last;

  assert_null (run.error);
  assert_int_equal (run.flow, SLUICE_FLOW_EOS);
  assert_int_equal (run.count, 25);
  assert_int_equal (http_test_server_count_requests (f->server), 3);
  assert_string_equal (first->query, "size=10");
  /* The relative link in the body is resolved against the request it came with. */
  assert_string_equal (second->path, "/api/persons");
  assert_string_equal (second->query, "page=1&size=10");
  assert_string_equal (third->query, "page=2&size=10");
  entities = http_test_json (run.json->str);
  last = sluice_value_list_get (entities, 24);
  assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup (last, "_id"), NULL),
                       "person-25");
  /* One placeholder keeps the type, so offsets compare as numbers. */
  assert_int_equal (sluice_value_get_kind (sluice_value_dict_lookup (last, "_updated")),
                    SLUICE_VALUE_INTEGER);
  assert_int_equal (sluice_value_get_integer (sluice_value_dict_lookup (last, "_updated")), 250);
  run_clear (&run);
}

static void
test_source_payload_property (void **state)
{
  Fixture *f = *state;
  Run literal = run_source (f, "{\"system\": \"crm\", \"operation\": \"dotted\", "
                               "\"payload_property\": \"data.items\"}",
                            SLUICE_RUN_FLAG_FULL, NULL);
  Run path = run_source (f, "{\"system\": \"crm\", \"operation\": \"dotted\", "
                            "\"payload_property\": \"data.items.0\"}",
                         SLUICE_RUN_FLAG_FULL, NULL);
  Run whole = run_source (f, "{\"system\": \"crm\", \"operation\": \"dotted\", "
                             "\"payload_property\": \"data\", \"id_expression\": \"one\"}",
                          SLUICE_RUN_FLAG_FULL, NULL);
  Run no_id = run_source (f, "{\"system\": \"crm\", \"operation\": \"changes\"}", SLUICE_RUN_FLAG_FULL,
                          NULL);
  g_autofree char *no_id_text = NULL;

  /* A literal key with dots wins over the path. */
  assert_null (literal.error);
  assert_json (&literal, "[{\"_id\": \"literal\"}]");
  /* A path that leads nowhere (lists are not indexed) gives no entities. */
  assert_null (path.error);
  assert_json (&path, "[]");
  /* An object is one entity. */
  assert_null (whole.error);
  assert_json (&whole, "[{\"_id\": \"one\", \"items\": [{\"_id\": \"path\"}]}]");
  no_id_text = error_text (f, no_id.error);
  assert_string_equal (no_id_text, "rest source: GET URL/api/persons: entity 0 of the response has "
                                   "no string `_id` (set id_expression, e.g. \"{{ entity.id }}\")");
  run_clear (&literal);
  run_clear (&path);
  run_clear (&whole);
  run_clear (&no_id);
}

static void
test_source_link_header_paging (void **state)
{
  Fixture *f = *state;
  Run run = run_source (f, "{\"system\": \"crm\", \"operation\": \"linked\"}", SLUICE_RUN_FLAG_FULL,
                        NULL);
  g_autoptr (HttpTestRequest) third = request (f, 2);

  assert_null (run.error);
  assert_json (&run, "[{\"_id\": \"c0-a\"}, {\"_id\": \"c0-b\"}, {\"_id\": \"c1-a\"}, "
                     "{\"_id\": \"c1-b\"}, {\"_id\": \"c2-a\"}, {\"_id\": \"c2-b\"}]");
  /* The last page has no Link header: a link that leads nowhere ends paging. */
  assert_int_equal (http_test_server_count_requests (f->server), 3);
  assert_string_equal (third->query, "cursor=2");
  run_clear (&run);
}

static void
test_source_page_number (void **state)
{
  Fixture *f = *state;
  Run empty_result = run_source (f, "{\"system\": \"crm\", \"operation\": \"paged\"}",
                                 SLUICE_RUN_FLAG_FULL, NULL);
  guint after_first;
  Run not_full = { 0 };

  /* Pages 0, 1, 2 (10, 10, 5 entities) and the empty page 3 that ends it. */
  assert_null (empty_result.error);
  assert_int_equal (empty_result.count, 25);
  after_first = http_test_server_count_requests (f->server);
  assert_int_equal (after_first, 4);
  /* not-full-page stops after the short page 2, without asking for page 3. */
  not_full = run_source (f, "{\"system\": \"crm\", \"operation\": \"paged-not-full\"}",
                         SLUICE_RUN_FLAG_FULL, NULL);
  assert_null (not_full.error);
  assert_int_equal (not_full.count, 25);
  assert_int_equal (http_test_server_count_requests (f->server) - after_first, 3);
  {
    g_autoptr (HttpTestRequest) last = request (f, after_first + 2);

    assert_string_equal (last->query, "page=2&size=10");
  }
  run_clear (&empty_result);
  run_clear (&not_full);
}

static void
test_source_termination (void **state)
{
  Fixture *f = *state;
  Run same_request = run_source (f, "{\"system\": \"crm\", \"operation\": \"stuck\"}",
                                 SLUICE_RUN_FLAG_FULL, NULL);
  guint n;
  Run same_link = { 0 };

  /* The link points at the request just made: the default strategies stop before repeating it. */
  assert_null (same_request.error);
  assert_json (&same_request, "[{\"_id\": \"s\"}]");
  n = http_test_server_count_requests (f->server);
  assert_int_equal (n, 1);
  /* With only same-next-page-link, the second page is fetched, and its identical link ends it. */
  same_link = run_source (f, "{\"system\": \"crm\", \"operation\": \"s\", \"operations\": {\"s\": "
                             "{\"url\": \"stuck\", \"method\": \"GET\", \"payload_property\": \"items\", "
                             "\"next_page_link\": \"{{ body.next }}\", "
                             "\"next_page_termination_strategy\": [\"same-next-page-link\"]}}}",
                          SLUICE_RUN_FLAG_FULL, NULL);
  assert_null (same_link.error);
  assert_int_equal (same_link.count, 2);
  assert_int_equal (http_test_server_count_requests (f->server) - n, 2);
  run_clear (&same_request);
  run_clear (&same_link);
}

static void
test_source_since (void **state)
{
  Fixture *f = *state;
  const char *base = "{\"system\": \"crm\", \"operation\": \"changes\", \"supports_since\": true, "
                     "\"id_expression\": \"{{ entity.id }}\", \"updated_expression\": "
                     "\"{{ entity.seq }}\"";
  g_autofree char *query_options = g_strconcat (base, "}", NULL);
  g_autofree char *named_options = g_strconcat (base, ", \"since_property_name\": "
                                                      "\"modified_after\"}", NULL);
  g_autofree char *header_options = g_strconcat (base, ", \"since_property_name\": \"X-Since\", "
                                                       "\"since_property_location\": \"header\"}",
                                                 NULL);
  g_autofree char *manual_options = g_strconcat (base, ", \"since_property_location\": \"manual\"}",
                                                 NULL);
  g_autofree char *initial_options = g_strconcat (base, ", \"initial_since_value\": 230}", NULL);
  Run full = run_source (f, query_options, SLUICE_RUN_FLAG_FULL, "200");
  Run query = run_source (f, query_options, 0, "200");
  Run named = run_source (f, named_options, 0, "220");
  Run header = run_source (f, header_options, 0, "240");
  Run manual = run_source (f, manual_options, 0, "240");
  Run initial = run_source (f, initial_options, SLUICE_RUN_FLAG_FULL, NULL);
  Run unsupported = run_source (f, "{\"system\": \"crm\", \"operation\": \"changes\", "
                                   "\"id_expression\": \"{{ entity.id }}\"}",
                                0, "200");
  g_autoptr (HttpTestRequest) full_request = request (f, 0);
  g_autoptr (HttpTestRequest) query_request = request (f, 1);
  g_autoptr (HttpTestRequest) named_request = request (f, 2);
  g_autoptr (HttpTestRequest) header_request = request (f, 3);
  g_autoptr (HttpTestRequest) manual_request = request (f, 4);
  g_autoptr (HttpTestRequest) initial_request = request (f, 5);

  assert_int_equal (full.count, 10);
  assert_null (full_request->query);
  assert_int_equal (query.count, 5);
  assert_json (&query, "[{\"id\": 21, \"name\": \"Person 21\", \"seq\": 210, \"_id\": \"21\", "
                       "\"_updated\": 210}, {\"id\": 22, \"name\": \"Person 22\", \"seq\": 220, "
                       "\"_id\": \"22\", \"_updated\": 220}, {\"id\": 23, \"name\": \"Person 23\", "
                       "\"seq\": 230, \"_id\": \"23\", \"_updated\": 230}, {\"id\": 24, "
                       "\"name\": \"Person 24\", \"seq\": 240, \"_id\": \"24\", \"_updated\": 240}, "
                       "{\"id\": 25, \"name\": \"Person 25\", \"seq\": 250, \"_id\": \"25\", "
                       "\"_updated\": 250}]");
  assert_string_equal (query_request->query, "since=200");
  assert_int_equal (named.count, 3);
  assert_string_equal (named_request->query, "modified_after=220");
  assert_int_equal (header.count, 1);
  assert_null (header_request->query);
  assert_string_equal (soup_message_headers_get_one (header_request->headers, "X-Since"), "240");
  /* manual: since goes only where a template puts it. */
  assert_int_equal (manual.count, 10);
  assert_null (manual_request->query);
  assert_int_equal (initial.count, 2);
  assert_string_equal (initial_request->query, "since=230");
  /* A source without supports_since never sends since. */
  assert_int_equal (unsupported.count, 10);
  run_clear (&full);
  run_clear (&query);
  run_clear (&named);
  run_clear (&header);
  run_clear (&manual);
  run_clear (&initial);
  run_clear (&unsupported);
}

static void
test_source_faults (void **state)
{
  Fixture *f = *state;
  Run flaky, broken, truncated, limited, limited_off, empty, empty_incremental, text;
  g_autofree char *message = NULL;

  f->failures_left = 2;
  flaky = run_source (f, "{\"system\": \"crm\", \"operation\": \"get\", "
                         "\"properties\": {\"path\": \"flaky\"}}",
                      SLUICE_RUN_FLAG_FULL, NULL);
  assert_null (flaky.error);
  assert_json (&flaky, "[{\"_id\": \"ok\"}]");

  broken = run_source (f, "{\"system\": \"crm\", \"operation\": \"get\", "
                          "\"properties\": {\"path\": \"broken\"}}",
                       SLUICE_RUN_FLAG_FULL, NULL);
  message = error_text (f, broken.error);
  assert_string_equal (message, "rest source: operation 'get': GET URL/api/broken: 500 Internal "
                                "Server Error after 3 attempts");
  assert_int_equal (broken.count, 0);
  g_clear_pointer (&message, g_free);

  truncated = run_source (f, "{\"system\": \"crm\", \"operation\": \"get\", "
                             "\"properties\": {\"path\": \"truncated\"}}",
                          SLUICE_RUN_FLAG_FULL, NULL);
  assert_int_equal (truncated.flow, SLUICE_FLOW_ERROR);
  assert_int_equal (truncated.count, 0);
  message = error_text (f, truncated.error);
  assert_true (g_str_has_prefix (message, "rest source: GET URL/api/truncated: invalid JSON in the "
                                          "response: "));
  g_clear_pointer (&message, g_free);

  /* The system allows no 429 retries; the element's own keys win. */
  f->limited_left = 2;
  limited = run_source (f, "{\"system\": \"crm\", \"operation\": \"get\", "
                           "\"properties\": {\"path\": \"limited\"}, \"rate_limiting_retries\": 2, "
                           "\"rate_limiting_delay\": 0}",
                        SLUICE_RUN_FLAG_FULL, NULL);
  assert_null (limited.error);
  assert_json (&limited, "[{\"_id\": \"ok\"}]");
  f->limited_left = 1;
  limited_off = run_source (f, "{\"system\": \"crm\", \"operation\": \"get\", "
                               "\"properties\": {\"path\": \"limited\"}}",
                            SLUICE_RUN_FLAG_FULL, NULL);
  message = error_text (f, limited_off.error);
  assert_string_equal (message, "rest source: operation 'get': GET URL/api/limited: 429 Too Many "
                                "Requests");
  g_clear_pointer (&message, g_free);

  empty = run_source (f, "{\"system\": \"crm\", \"operation\": \"get\", "
                         "\"properties\": {\"path\": \"empty\"}, \"if_source_empty\": \"fail\"}",
                      SLUICE_RUN_FLAG_FULL, NULL);
  assert_error (&empty, "rest source: operation 'get' returned no entities on a full run, and "
                        "if_source_empty is \"fail\"");
  empty_incremental = run_source (f, "{\"system\": \"crm\", \"operation\": \"get\", "
                                     "\"supports_since\": true, \"properties\": {\"path\": \"empty\"}, "
                                     "\"if_source_empty\": \"fail\"}",
                                  0, "\"x\"");
  assert_null (empty_incremental.error);
  assert_int_equal (empty_incremental.flow, SLUICE_FLOW_EOS);

  /* A response that is not JSON becomes one entity holding its text. */
  text = run_source (f, "{\"system\": \"crm\", \"operation\": \"get\", \"properties\": "
                        "{\"path\": \"text\"}, \"id_expression\": \"greeting\", "
                        "\"response_include_content_type\": true}",
                     SLUICE_RUN_FLAG_FULL, NULL);
  assert_null (text.error);
  assert_json (&text, "[{\"response\": \"hello\", \"content-type\": \"text/plain\", "
                      "\"_id\": \"greeting\"}]");

  run_clear (&flaky);
  run_clear (&broken);
  run_clear (&truncated);
  run_clear (&limited);
  run_clear (&limited_off);
  run_clear (&empty);
  run_clear (&empty_incremental);
  run_clear (&text);
}

static void
test_source_capabilities (void **state)
{
  Fixture *f = *state;
  const SluiceSourceCallbacks *cb = http_rest_source.callbacks;
  g_autoptr (SluiceElementContext) context
    = http_test_context_new ("rest", "{\"system\": \"crm\", \"operation\": \"changes\", "
                                     "\"supports_since\": true, \"is_chronological\": true}",
                             f->systems);
  g_autoptr (GError) error = NULL;
  void *instance = cb->create (context, &error);

  assert_non_null (instance);
  assert_int_equal (cb->get_capabilities (instance),
                    SLUICE_SOURCE_SUPPORTS_SINCE | SLUICE_SOURCE_IS_SINCE_COMPARABLE
                      | SLUICE_SOURCE_IS_CHRONOLOGICAL);
  cb->destroy (instance);
}

/* ---- sink ---- */

static void
test_sink_operations_and_deletes (void **state)
{
  Fixture *f = *state;
  Run with_delete = run_sink (f, "{\"system\": \"crm\", \"operation\": \"put-person\", "
                                 "\"delete_operation\": \"delete-person\"}",
                              "[{\"_id\": \"1\", \"name\": \"A\", \"born\": null},"
                              " {\"_id\": \"2\", \"_deleted\": true},"
                              " {\"_id\": \"3\", \"_deleted\": true, \"operation\": \"form\", "
                              "  \"name\": \"Z\"}]");
  guint n = http_test_server_count_requests (f->server);
  g_autoptr (HttpTestRequest) put = request (f, 0);
  g_autoptr (HttpTestRequest) del = request (f, 1);
  g_autoptr (HttpTestRequest) own = request (f, 2);
  Run without = { 0 };

  assert_null (with_delete.error);
  assert_int_equal (n, 3);
  assert_string_equal (put->method, "PUT");
  assert_string_equal (put->body, "{\"name\":\"A\",\"born\":null}");
  assert_string_equal (del->method, "DELETE");
  assert_string_equal (del->path, "/api/person/2");
  /* A missing payload sends no body. */
  assert_string_equal (del->body, "");
  /* The entity's own operation wins, deleted or not. */
  assert_string_equal (own->method, "POST");
  assert_string_equal (own->path, "/api/person/form");

  /* Without delete_operation, a deleted entity takes the sink's operation, as in Sesam. */
  without = run_sink (f, "{\"system\": \"crm\", \"operation\": \"delete-person\"}",
                      "[{\"_id\": \"4\", \"_deleted\": true}]");
  assert_null (without.error);
  {
    g_autoptr (HttpTestRequest) r = request (f, n);

    assert_string_equal (r->method, "DELETE");
    assert_string_equal (r->path, "/api/person/4");
  }
  run_clear (&with_delete);
  run_clear (&without);
}

static void
test_sink_failure_names_entity (void **state)
{
  Fixture *f = *state;
  Run failed = run_sink (f, "{\"system\": \"crm\", \"operation\": \"put-person\"}",
                         "[{\"_id\": \"1\", \"name\": \"A\", \"born\": 1},"
                         " {\"_id\": \"bad\", \"name\": \"B\", \"born\": 2},"
                         " {\"_id\": \"3\", \"name\": \"C\", \"born\": 3}]");
  g_autofree char *message = error_text (f, failed.error);
  Run server_error = { 0 }, no_operation = { 0 }, undefined = { 0 }, unknown = { 0 };
  g_autofree char *server_message = NULL;

  /* Refused by the system: the pump's write retries decide (docs/retries.md). */
  assert_int_equal (failed.flow, SLUICE_FLOW_RETRY);
  assert_string_equal (message, "rest sink: entity 'bad': operation 'put-person': PUT "
                                "URL/api/person/bad: 400 Bad Request");
  /* Entity 1 was written, entity 3 never sent. */
  assert_int_equal (http_test_server_count_requests (f->server), 2);

  server_error = run_sink (f, "{\"system\": \"crm\", \"operation\": \"delete-person\"}",
                           "[{\"_id\": \"fail\"}]");
  server_message = error_text (f, server_error.error);
  assert_string_equal (server_message, "rest sink: entity 'fail': operation 'delete-person': DELETE "
                                       "URL/api/person/fail: 500 Internal Server Error after 3 "
                                       "attempts");
  no_operation = run_sink (f, "{\"system\": \"crm\"}", "[{\"_id\": \"x\"}]");
  assert_error (&no_operation, "rest sink: entity 'x': no operation: the entity has no string "
                               "`operation` and the element no `operation` option");
  undefined = run_sink (f, "{\"system\": \"crm\", \"operation\": \"put-person\"}",
                        "[{\"_id\": \"y\", \"name\": \"Y\"}]");
  assert_error (&undefined, "rest sink: entity 'y': operation 'put-person': payload template "
                            "\"(hidden)\": 'entity.born' is not defined");
  unknown = run_sink (f, "{\"system\": \"crm\"}", "[{\"_id\": \"z\", \"operation\": \"nope\"}]");
  assert_true (g_str_has_prefix (unknown.error->message,
                                 "rest sink: entity 'z': there is no operation 'nope' in system "
                                 "'crm'"));
  run_clear (&failed);
  run_clear (&server_error);
  run_clear (&no_operation);
  run_clear (&undefined);
  run_clear (&unknown);
}

/* ---- transform ---- */

static void
test_transform_response (void **state)
{
  Fixture *f = *state;
  Run run = run_transform (f, "{\"system\": \"crm\", \"operation\": \"get-person\", "
                              "\"response_status_property\": \"status\", "
                              "\"response_headers_property\": \"headers\"}",
                           "[{\"_id\": \"7\", \"kind\": \"person\"}]");
  g_autoptr (SluiceValue) out = http_test_json (run.json->str);
  SluiceValue *entity = sluice_value_list_get (out, 0);
  SluiceValue *headers = sluice_value_dict_lookup (entity, "headers");
  g_autoptr (SluiceValue) response = http_test_json ("{\"name\": \"Person 7\", \"email\": "
                                                     "\"p7@example.com\"}");

  assert_null (run.error);
  assert_int_equal (run.count, 1);
  assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup (entity, "kind"), NULL),
                       "person");
  assert_true (sluice_value_equal (sluice_value_dict_lookup (entity, "response"), response));
  assert_int_equal (sluice_value_get_integer (sluice_value_dict_lookup (entity, "status")), 200);
  assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup (headers, "ETag"), NULL),
                       "\"v1\"");
  run_clear (&run);
}

static void
test_transform_status_codes (void **state)
{
  Fixture *f = *state;
  Run ignored = run_transform (f, "{\"system\": \"crm\", \"operation\": \"get-person\", "
                                  "\"ignored_status_codes\": \"404,410\", "
                                  "\"response_property\": \"person\"}",
                               "[{\"_id\": \"1\"}, {\"_id\": \"missing\"}, {\"_id\": \"gone\"}]");
  Run allowed = run_transform (f, "{\"system\": \"crm\", \"operation\": \"get-person\", "
                                  "\"allowed_status_codes\": \"200-299,404\", "
                                  "\"response_status_property\": \"status\"}",
                               "[{\"_id\": \"missing\"}]");
  Run refused = run_transform (f, "{\"system\": \"crm\", \"operation\": \"get-person\"}",
                               "[{\"_id\": \"1\"}, {\"_id\": \"missing\"}]");
  Run server_error = run_transform (f, "{\"system\": \"crm\", \"operation\": \"get-person\", "
                                       "\"allowed_status_codes\": \"200-299,400-499\"}",
                                    "[{\"_id\": \"fail\"}]");
  Run spaces = run_transform (f, "{\"system\": \"crm\", \"operation\": \"get-person\", "
                                 "\"allowed_status_codes\": \"200 - 299\"}",
                              "[]");
  Run overlap = run_transform (f, "{\"system\": \"crm\", \"operation\": \"get-person\", "
                                  "\"ignored_status_codes\": \"204\"}",
                               "[]");
  Run empty = run_transform (f, "{\"system\": \"crm\", \"operation\": \"get-person\", "
                                "\"ignored_status_codes\": \"404\", "
                                "\"if_transform_empty\": \"fail\"}",
                             "[{\"_id\": \"missing\"}]");
  g_autofree char *refused_text = error_text (f, refused.error);
  g_autofree char *server_text = error_text (f, server_error.error);

  assert_null (ignored.error);
  assert_json (&ignored, "[{\"_id\": \"1\", \"person\": {\"name\": \"Person 1\", "
                         "\"email\": \"p1@example.com\"}}]");
  assert_null (allowed.error);
  assert_json (&allowed, "[{\"_id\": \"missing\", \"response\": {\"error\": \"not found\"}, "
                         "\"status\": 404}]");
  assert_string_equal (refused_text, "rest transform: entity 'missing': operation 'get-person': GET "
                                     "URL/api/person/missing: 404 Not Found (allowed_status_codes "
                                     "is \"200-299\")");
  /* A 500 is retried first; when it stays, it fails the run with the URL and status. */
  assert_string_equal (server_text, "rest transform: entity 'fail': operation 'get-person': GET "
                                    "URL/api/person/fail: 500 Internal Server Error "
                                    "(allowed_status_codes is \"200-299,400-499\")");
  assert_error (&spaces, "rest transform: allowed_status_codes \"200 - 299\": "
                         "byte 3: expected a status code from 100 to 599, a range like 200-299 "
                         "(low to high), or codes separated by ',' without spaces");
  assert_error (&overlap, "rest transform: ignored_status_codes \"204\" "
                          "overlaps allowed_status_codes \"200-299\"");
  assert_error (&empty, "rest transform: a batch of 1 entities produced none, and "
                        "if_transform_empty is \"fail\"");
  run_clear (&ignored);
  run_clear (&allowed);
  run_clear (&refused);
  run_clear (&server_error);
  run_clear (&spaces);
  run_clear (&overlap);
  run_clear (&empty);
}

static void
test_transform_replace_and_trigger (void **state)
{
  Fixture *f = *state;
  Run replaced = run_transform (f, "{\"system\": \"crm\", \"operation\": \"search\", "
                                   "\"replace_entity\": true}",
                                "[{\"_id\": \"q\"}]");
  Run text = run_transform (f, "{\"system\": \"crm\", \"operation\": \"get\", "
                               "\"properties\": {\"path\": \"text\"}, \"replace_entity\": true}",
                            "[{\"_id\": \"t\", \"other\": 1}]");
  guint before = http_test_server_count_requests (f->server);
  Run triggered = run_transform (f, "{\"system\": \"crm\", \"operation\": \"get-person\", "
                                    "\"trigger_on\": [\"email\", \"phone\"]}",
                                 "[{\"_id\": \"1\", \"email\": \"a@b\"}, {\"_id\": \"2\"}, "
                                 "{\"_id\": \"3\", \"email\": null, \"phone\": \"123\"}]");

  assert_null (replaced.error);
  assert_json (&replaced, "[{\"_id\": \"r1\", \"score\": 2}, {\"_id\": \"r2\"}]");
  assert_null (text.error);
  assert_json (&text, "[{\"_id\": \"t\", \"response\": \"hello\"}]");
  assert_null (triggered.error);
  assert_json (&triggered, "[{\"_id\": \"1\", \"email\": \"a@b\", \"response\": {\"name\": \"Person 1\", "
                           "\"email\": \"p1@example.com\"}}, {\"_id\": \"2\"}, "
                           "{\"_id\": \"3\", \"email\": null, \"phone\": \"123\", \"response\": "
                           "{\"name\": \"Person 3\", \"email\": \"p3@example.com\"}}]");
  assert_int_equal (http_test_server_count_requests (f->server) - before, 2);
  /* Calling a service is a side effect: preview must refuse the transform. */
  assert_true (http_rest_transform.flags & SLUICE_ELEMENT_FLAG_SIDE_EFFECTS);
  run_clear (&replaced);
  run_clear (&text);
  run_clear (&triggered);
}

/* ---- secrets ---- */

static void
assert_no_secret (const char *text)
{
  const char *secrets[] = { JWT, API_KEY, BODY_SECRET, NULL };

  for (int i = 0; secrets[i] != NULL; i++)
    if (strstr (text, secrets[i]) != NULL)
      fail_msg ("secret %s leaked into: %s", secrets[i], text);
}

static void
test_secrets_stay_secret (void **state)
{
  Fixture *f = *state;
  g_autoptr (GString) errors = g_string_new (NULL);
  Run runs[6];

  runs[0] = run_source (f, "{\"system\": \"secure\", \"operation\": \"keyed\", "
                           "\"properties\": {\"path\": \"broken\", \"suffix\": \"\"}}",
                        SLUICE_RUN_FLAG_FULL, NULL);
  /* A header or payload template that fails to render is named without its text. */
  runs[1] = run_source (f, "{\"system\": \"secure\", \"operation\": \"keyed\", "
                           "\"properties\": {\"path\": \"empty\"}}",
                        SLUICE_RUN_FLAG_FULL, NULL);
  runs[2] = run_sink (f, "{\"system\": \"secure\", \"operation\": \"send\", "
                         "\"properties\": {\"path\": \"broken\", \"suffix\": \"\"}}",
                      "[{\"_id\": \"1\"}]");
  runs[3] = run_sink (f, "{\"system\": \"secure\", \"operation\": \"send\", "
                         "\"properties\": {\"path\": \"broken\"}}",
                      "[{\"_id\": \"2\"}]");
  runs[4] = run_transform (f, "{\"system\": \"secure\", \"operation\": \"keyed\", "
                              "\"properties\": {\"path\": \"person/missing\", \"suffix\": \"\"}}",
                           "[{\"_id\": \"3\"}]");
  runs[5] = run_transform (f, "{\"system\": \"secure\", \"operation\": \"keyed\", "
                              "\"properties\": {\"path\": \"person/fail\", \"suffix\": \"\"}}",
                           "[{\"_id\": \"4\"}]");
  /* Only the sink's refused request may be retried; templates that do not render never can. */
  const SluiceFlow expected[G_N_ELEMENTS (runs)] = {
    SLUICE_FLOW_ERROR, SLUICE_FLOW_ERROR, SLUICE_FLOW_RETRY,
    SLUICE_FLOW_ERROR, SLUICE_FLOW_ERROR, SLUICE_FLOW_ERROR,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      assert_int_equal (runs[i].flow, expected[i]);
      g_string_append_printf (errors, "%s\n", runs[i].error->message);
      run_clear (&runs[i]);
    }
  /* The requests did carry the secrets (so the check below is not vacuous). */
  {
    g_autoptr (HttpTestRequest) first = request (f, 0);

    assert_string_equal (first->authorization, "Bearer " JWT);
    assert_string_equal (soup_message_headers_get_one (first->headers, "X-Api-Key"), API_KEY);
  }
  assert_non_null (strstr (errors->str, "headers.X-Api-Key template \"(hidden)\": "
                                        "'properties.suffix' is not defined"));
  assert_non_null (strstr (errors->str, "payload template \"(hidden)\": 'properties.suffix' is not "
                                        "defined"));
  assert_non_null (strstr (errors->str, "500 Internal Server Error"));
  assert_no_secret (errors->str);
  g_mutex_lock (&log_lock);
  assert_non_null (strstr (captured_log->str, "retrying"));
  assert_no_secret (captured_log->str);
  g_mutex_unlock (&log_lock);
}

/* ---- pieces ---- */

static void
test_status_sets_and_paths (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RestStatusSet) set = rest_status_set_parse ("100-428,430-599", "codes", &error);
  g_autoptr (RestStatusSet) single = rest_status_set_parse ("429", "codes", &error);
  g_autoptr (RestStatusSet) reversed = NULL;
  g_autoptr (SluiceValue) body = http_test_json ("{\"a\": {\"b\": {\"c\": [1]}}, \"a.b\": 2}");

  assert_non_null (set);
  assert_true (rest_status_set_contains (set, 100));
  assert_true (rest_status_set_contains (set, 428));
  assert_false (rest_status_set_contains (set, 429));
  assert_true (rest_status_set_contains (set, 599));
  assert_false (rest_status_set_overlaps (set, single));
  reversed = rest_status_set_parse ("299-200", "codes", &error);
  assert_null (reversed);
  assert_string_equal (error->message, "codes \"299-200\": byte 4: expected a status code from 100 "
                                       "to 599, a range like 200-299 (low to high), or codes "
                                       "separated by ',' without spaces");
  assert_int_equal (sluice_value_get_integer (rest_select_path (body, "a.b")), 2);
  assert_int_equal (sluice_value_get_kind (rest_select_path (body, "a.b.c")), SLUICE_VALUE_LIST);
  assert_null (rest_select_path (body, "a.x"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_status_sets_and_paths),
    cmocka_unit_test_setup_teardown (test_operation_errors, setup, teardown),
    cmocka_unit_test_setup_teardown (test_operation_rendering, setup, teardown),
    cmocka_unit_test_setup_teardown (test_payload_precedence, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_body_link_paging, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_payload_property, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_link_header_paging, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_page_number, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_termination, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_since, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_faults, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_capabilities, setup, teardown),
    cmocka_unit_test_setup_teardown (test_sink_operations_and_deletes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_sink_failure_names_entity, setup, teardown),
    cmocka_unit_test_setup_teardown (test_transform_response, setup, teardown),
    cmocka_unit_test_setup_teardown (test_transform_status_codes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_transform_replace_and_trigger, setup, teardown),
    cmocka_unit_test_setup_teardown (test_secrets_stay_secret, setup, teardown),
  };
  int failed;

  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);
  failed = cmocka_run_group_tests (tests, NULL, NULL);
  g_string_free (captured_log, TRUE);
  return failed;
}
