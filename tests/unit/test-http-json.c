/* test-http-json.c — the http plugin's json source, json sink and http transform
 * (plugins/http/json-source.c, json-sink.c, http-transform.c), linked in statically and driven
 * through their callbacks as the engine drives them, against an in-process server on 127.0.0.1 that
 * speaks the JSON pull and push protocols and can misbehave (empty and truncated bodies, 500s, 409). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http-elements.h"
#include "http-system.h"
#include "http-test-server.h"

typedef struct
{
  HttpTestServer *server;
  SluiceValue *systems;
  gint n_persons;     /* /persons serves p0 … p<n-1>, with _updated 0 … n-1 */
  gint failures_left; /* /flaky-persons answers 500 this many times */
} Fixture;

/* The JSON pull protocol: entities after `since`, at most `limit`. */
static void
handle_persons (HttpTestServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer user_data)
{
  Fixture *f = user_data;
  const char *since = query ? g_hash_table_lookup (query, "since") : NULL;
  const char *limit = query ? g_hash_table_lookup (query, "limit") : NULL;
  gint64 from = since ? g_ascii_strtoll (since, NULL, 10) + 1 : 0;
  gint64 max = limit ? g_ascii_strtoll (limit, NULL, 10) : G_MAXINT64;
  g_autoptr (GString) body = g_string_new ("[");
  gint64 n = 0;

  if (g_str_equal (path, "/flaky-persons") && g_atomic_int_add (&f->failures_left, -1) > 0)
    {
      http_test_reply (msg, 500, NULL, "");
      return;
    }
  for (gint64 i = from; i < f->n_persons && n < max; i++, n++)
    g_string_append_printf (body, "%s{\"_id\": \"p%" G_GINT64_FORMAT "\", \"name\": \"Person %"
                            G_GINT64_FORMAT "\", \"_updated\": %" G_GINT64_FORMAT "}",
                            n > 0 ? ", " : "", i, i, i);
  g_string_append_c (body, ']');
  http_test_reply (msg, 200, NULL, body->str);
}

static void
handle_faulty (HttpTestServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
               gpointer user_data)
{
  if (g_str_equal (path, "/empty"))
    http_test_reply (msg, 200, NULL, "");
  else if (g_str_equal (path, "/empty-array"))
    http_test_reply (msg, 200, NULL, "[]");
  else if (g_str_equal (path, "/truncated"))
    http_test_reply (msg, 200, NULL, "[{\"_id\": \"a\"}, {\"_id\": \"b\", \"name\": \"B");
  else if (g_str_equal (path, "/no-id"))
    http_test_reply (msg, 200, NULL, "[{\"_id\": \"a\"}, {\"name\": \"no id\"}]");
  else if (g_str_equal (path, "/nul-id"))
    http_test_reply (msg, 200, NULL, "[{\"_id\": \"a\"}, {\"_id\": \"a\\u0000b\"}]");
  else if (g_str_equal (path, "/broken"))
    http_test_reply (msg, 500, NULL, "{}");
  else if (g_str_equal (path, "/conflict"))
    http_test_reply (msg, 409, NULL, "{}");
  else
    http_test_reply (msg, 200, NULL, "{}");
}

/* A transform service: marks every entity, drops those whose _id starts with "drop", and adds a
 * child for those whose _id starts with "split". */
static void
handle_transform (HttpTestServer *server, SoupServerMessage *msg, const char *path,
                  GHashTable *query, gpointer user_data)
{
  SoupMessageBody *request = soup_server_message_get_request_body (msg);
  g_autoptr (SluiceValue) input = sluice_value_from_json (request->data, request->length, NULL);
  g_autoptr (GString) out = g_string_new ("[");

  for (size_t i = 0; input != NULL && i < sluice_value_list_get_length (input); i++)
    {
      SluiceValue *entity = sluice_value_list_get (input, i);
      const char *id = sluice_value_get_string (sluice_value_dict_lookup (entity, "_id"), NULL);

      if (g_str_has_prefix (id, "drop"))
        continue;
      if (out->len > 1)
        g_string_append_c (out, ',');
      g_string_append_printf (out, "{\"_id\": \"%s\", \"seen\": true}", id);
      if (g_str_has_prefix (id, "split"))
        g_string_append_printf (out, ",{\"_id\": \"%s-child\"}", id);
    }
  g_string_append_c (out, ']');
  http_test_reply (msg, 200, NULL, out->str);
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autofree char *systems = NULL;

  f->server = http_test_server_new ();
  http_test_server_add_handler (f->server, "/persons", handle_persons, f);
  http_test_server_add_handler (f->server, "/flaky-persons", handle_persons, f);
  http_test_server_add_handler (f->server, "/transform", handle_transform, f);
  http_test_server_add_handler (f->server, NULL, handle_faulty, f);
  http_test_server_start (f->server);
  systems = g_strdup_printf ("{\"crm\": {\"_id\": \"crm\", \"type\": \"system:url\", "
                             "\"url_pattern\": \"%s%%s\", \"request_retries\": 2, "
                             "\"request_retry_delay\": 0.01}, "
                             "\"db\": {\"_id\": \"db\", \"type\": \"system:postgresql\"}}",
                             http_test_server_get_url (f->server));
  f->systems = http_test_json (systems);
  f->n_persons = 250;
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

typedef struct
{
  SluiceFlow flow;
  GError *error;
  GPtrArray *ids;
  guint n_batches;
} SourceRun;

static void
source_run_clear (SourceRun *run)
{
  g_clear_error (&run->error);
  g_clear_pointer (&run->ids, g_ptr_array_unref);
}

/* One run of a json source with @options_json, as the engine runs it. */
static SourceRun
run_source (Fixture *f, const char *options_json, uint32_t run_flags, const char *since_json,
            uint32_t batch_size)
{
  const SluiceSourceCallbacks *cb = http_json_source.callbacks;
  g_autoptr (SluiceElementContext) context = http_test_context_new ("json", options_json, f->systems);
  g_autoptr (SluiceValue) since = since_json ? http_test_json (since_json) : NULL;
  SourceRun run = { .ids = g_ptr_array_new_with_free_func (g_free) };
  void *instance = cb->create (context, &run.error);

  if (instance == NULL)
    {
      run.flow = SLUICE_FLOW_ERROR;
      return run;
    }
  assert_true (cb->open (instance, run_flags, since, &run.error));
  do
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();

      run.flow = cb->read (instance, batch, batch_size, &run.error);
      assert_true (sluice_batch_get_length (batch) <= batch_size);
      for (size_t i = 0; i < sluice_batch_get_length (batch); i++)
        g_ptr_array_add (run.ids, g_strdup (sluice_entity_get_id (sluice_batch_get (batch, i))));
      run.n_batches++;
    }
  while (run.flow == SLUICE_FLOW_OK);
  cb->close (instance);
  cb->destroy (instance);
  return run;
}

static void
test_source_pulls_everything (void **state)
{
  Fixture *f = *state;
  SourceRun run = run_source (f, "{\"system\": \"crm\", \"url\": \"persons\"}", SLUICE_RUN_FLAG_FULL,
                              NULL, 100);
  g_autoptr (HttpTestRequest) request = http_test_server_dup_request (f->server, 0);

  assert_null (run.error);
  assert_int_equal (run.flow, SLUICE_FLOW_EOS);
  assert_int_equal (run.ids->len, 250);
  assert_string_equal (g_ptr_array_index (run.ids, 0), "p0");
  assert_string_equal (g_ptr_array_index (run.ids, 249), "p249");
  assert_int_equal (http_test_server_count_requests (f->server), 1);
  /* No since on a full run. */
  assert_null (request->query);
  source_run_clear (&run);
}

static void
test_source_since (void **state)
{
  Fixture *f = *state;
  const char *options = "{\"system\": \"crm\", \"url\": \"persons\", \"supports_since\": true}";
  SourceRun incremental = run_source (f, options, 0, "245", 100);
  SourceRun without = run_source (f, "{\"system\": \"crm\", \"url\": \"persons\"}", 0, "245", 100);
  g_autoptr (HttpTestRequest) first = http_test_server_dup_request (f->server, 0);
  g_autoptr (HttpTestRequest) second = http_test_server_dup_request (f->server, 1);

  assert_int_equal (incremental.flow, SLUICE_FLOW_EOS);
  assert_int_equal (incremental.ids->len, 4);
  assert_string_equal (g_ptr_array_index (incremental.ids, 0), "p246");
  assert_string_equal (first->query, "since=245");
  /* Without supports_since the stored offset is not sent. */
  assert_int_equal (without.ids->len, 250);
  assert_null (second->query);
  source_run_clear (&incremental);
  source_run_clear (&without);
}

static void
test_source_paging (void **state)
{
  Fixture *f = *state;
  const char *options = "{\"system\": \"crm\", \"url\": \"persons\", \"page_size\": 100, "
                        "\"supports_since\": true, \"is_chronological\": true}";
  SourceRun run = run_source (f, options, SLUICE_RUN_FLAG_FULL, NULL, 30);
  g_autoptr (HttpTestRequest) r0 = http_test_server_dup_request (f->server, 0);
  g_autoptr (HttpTestRequest) r1 = http_test_server_dup_request (f->server, 1);
  g_autoptr (HttpTestRequest) r2 = http_test_server_dup_request (f->server, 2);
  SourceRun bad = run_source (f, "{\"system\": \"crm\", \"url\": \"persons\", \"page_size\": 10}",
                              SLUICE_RUN_FLAG_FULL, NULL, 30);

  assert_null (run.error);
  assert_int_equal (run.ids->len, 250);
  for (guint i = 0; i < 250; i++)
    {
      g_autofree char *id = g_strdup_printf ("p%u", i);

      assert_string_equal (g_ptr_array_index (run.ids, i), id);
    }
  /* Pages of 100, 100 and 50: the short one ends the run. */
  assert_int_equal (http_test_server_count_requests (f->server), 3);
  assert_string_equal (r0->query, "limit=100");
  assert_string_equal (r1->query, "since=99&limit=100");
  assert_string_equal (r2->query, "since=199&limit=100");

  assert_int_equal (bad.flow, SLUICE_FLOW_ERROR);
  assert_string_equal (bad.error->message, "json source: page_size needs supports_since, "
                                           "is_since_comparable and is_chronological all true");
  source_run_clear (&run);
  source_run_clear (&bad);
}

static void
test_source_large_response (void **state)
{
  Fixture *f = *state;
  SourceRun run;

  f->n_persons = 20000;
  run = run_source (f, "{\"system\": \"crm\", \"url\": \"persons\"}", SLUICE_RUN_FLAG_FULL, NULL, 1000);
  assert_null (run.error);
  assert_int_equal (run.ids->len, 20000);
  assert_string_equal (g_ptr_array_index (run.ids, 19999), "p19999");
  /* Entities are handed on batch by batch while the body streams in. */
  assert_true (run.n_batches >= 20);
  source_run_clear (&run);
}

static void
test_source_if_source_empty (void **state)
{
  Fixture *f = *state;
  g_autofree char *expected = g_strdup_printf (
    "json source: GET %sempty returned no entities on a full run, and if_source_empty is \"fail\"",
    http_test_server_get_url (f->server));
  SourceRun fail = run_source (f, "{\"system\": \"crm\", \"url\": \"empty\", \"if_source_empty\": \"fail\"}",
                               SLUICE_RUN_FLAG_FULL, NULL, 100);
  SourceRun fail_array = run_source (f, "{\"system\": \"crm\", \"url\": \"empty-array\", "
                                        "\"if_source_empty\": \"fail\"}",
                                     SLUICE_RUN_FLAG_FULL, NULL, 100);
  SourceRun accept = run_source (f, "{\"system\": \"crm\", \"url\": \"empty\"}", SLUICE_RUN_FLAG_FULL,
                                 NULL, 100);
  SourceRun incremental = run_source (f, "{\"system\": \"crm\", \"url\": \"empty\", "
                                         "\"if_source_empty\": \"fail\", \"supports_since\": true}",
                                      0, "5", 100);

  assert_int_equal (fail.flow, SLUICE_FLOW_ERROR);
  assert_string_equal (fail.error->message, expected);
  assert_int_equal (fail_array.flow, SLUICE_FLOW_ERROR);
  assert_int_equal (accept.flow, SLUICE_FLOW_EOS);
  assert_int_equal (accept.ids->len, 0);
  /* An empty incremental run is normal. */
  assert_int_equal (incremental.flow, SLUICE_FLOW_EOS);
  source_run_clear (&fail);
  source_run_clear (&fail_array);
  source_run_clear (&accept);
  source_run_clear (&incremental);
}

static void
test_source_faults (void **state)
{
  Fixture *f = *state;
  const char *url = http_test_server_get_url (f->server);
  g_autofree char *truncated_message = g_strdup_printf (
    "GET %struncated: invalid JSON in the response: byte 38: truncated input: unterminated string "
    "starting at byte 36", url);
  g_autofree char *no_id_message = g_strdup_printf (
    "GET %sno-id: entity 1 of the response (before byte 33) is not an object with a string `_id`", url);
  g_autofree char *broken_message = g_strdup_printf (
    "GET %sbroken: 500 Internal Server Error after 3 attempts", url);
  SourceRun truncated = run_source (f, "{\"system\": \"crm\", \"url\": \"truncated\"}",
                                    SLUICE_RUN_FLAG_FULL, NULL, 100);
  SourceRun no_id = run_source (f, "{\"system\": \"crm\", \"url\": \"no-id\"}", SLUICE_RUN_FLAG_FULL,
                                NULL, 100);
  SourceRun broken = run_source (f, "{\"system\": \"crm\", \"url\": \"broken\"}", SLUICE_RUN_FLAG_FULL,
                                 NULL, 100);
  /* An _id with a U+0000 (issue 21, item 5). */
  g_autofree char *nul_id_message = g_strdup_printf (
    "GET %snul-id: entity 1 of the response (before byte 35): entity \"_id\" contains U+0000 at "
    "byte 1: expected an _id without U+0000", url);
  SourceRun nul_id = run_source (f, "{\"system\": \"crm\", \"url\": \"nul-id\"}",
                                 SLUICE_RUN_FLAG_FULL, NULL, 100);
  SourceRun flaky;
  SourceRun no_system = run_source (f, "{\"system\": \"nowhere\"}", 0, NULL, 100);
  SourceRun wrong_system = run_source (f, "{\"system\": \"db\"}", 0, NULL, 100);

  assert_int_equal (truncated.flow, SLUICE_FLOW_ERROR);
  assert_string_equal (truncated.error->message, truncated_message);
  assert_int_equal (no_id.flow, SLUICE_FLOW_ERROR);
  assert_string_equal (no_id.error->message, no_id_message);
  assert_int_equal (nul_id.flow, SLUICE_FLOW_ERROR);
  assert_string_equal (nul_id.error->message, nul_id_message);
  /* A request that fails before any entity was passed on may be retried by the pump. */
  assert_int_equal (broken.flow, SLUICE_FLOW_RETRY);
  assert_string_equal (broken.error->message, broken_message);
  assert_string_equal (no_system.error->message,
                       "json: option 'system': there is no system with _id 'nowhere'");
  assert_string_equal (wrong_system.error->message,
                       "json: option 'system': 'db' is a system:postgresql, expected a system:url or "
                       "system:rest");

  f->failures_left = 2;
  flaky = run_source (f, "{\"system\": \"crm\", \"url\": \"flaky-persons\"}", SLUICE_RUN_FLAG_FULL,
                      NULL, 100);
  assert_null (flaky.error);
  assert_int_equal (flaky.ids->len, 250);

  source_run_clear (&truncated);
  source_run_clear (&no_id);
  source_run_clear (&nul_id);
  source_run_clear (&broken);
  source_run_clear (&flaky);
  source_run_clear (&no_system);
  source_run_clear (&wrong_system);
}

static SluiceBatch *
make_batch (guint n, guint first)
{
  SluiceBatch *batch = sluice_batch_new ();

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"_id\": \"e%u\", \"n\": %u%s}", first + i, i,
                                               i == 0 ? ", \"_deleted\": true" : "");
      g_autoptr (SluiceValue) body = http_test_json (json);

      sluice_batch_take (batch, sluice_entity_new (body, NULL));
    }
  return batch;
}

static GHashTable *
parse_query (const char *query)
{
  return g_uri_parse_params (query ? query : "", -1, "&", G_URI_PARAMS_NONE, NULL);
}

static void
test_sink_full_sequence (void **state)
{
  Fixture *f = *state;
  const SluiceSinkCallbacks *cb = http_json_sink.callbacks;
  g_autoptr (SluiceElementContext) context
    = http_test_context_new ("json", "{\"system\": \"crm\", \"url\": \"receiver\", \"batch_size\": 100}",
                             f->systems);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceBatch) batch = make_batch (150, 0);
  void *sink = cb->create (context, &error);
  const char *sizes[] = { "100", "50", "0" };
  g_autofree char *sequence = NULL;

  assert_non_null (sink);
  assert_true (cb->begin (sink, SLUICE_RUN_FLAG_FULL, &error));
  assert_int_equal (cb->write (sink, batch, &error), SLUICE_FLOW_OK);
  assert_true (cb->end (sink, TRUE, &error));
  cb->destroy (sink);

  /* 150 entities in batches of 100: requests of 100, 50 and the final empty one. */
  assert_int_equal (http_test_server_count_requests (f->server), 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (HttpTestRequest) request = http_test_server_dup_request (f->server, i);
      g_autoptr (GHashTable) params = parse_query (request->query);
      g_autoptr (SluiceValue) body = http_test_json (request->body);
      g_autofree char *request_id = g_strdup_printf ("%u", i + 1);
      g_autofree char *previous_id = g_strdup_printf ("%u", i);

      assert_string_equal (request->method, "POST");
      assert_string_equal (soup_message_headers_get_content_type (request->headers, NULL),
                           "application/json");
      assert_int_equal (sluice_value_list_get_length (body), g_ascii_strtoull (sizes[i], NULL, 10));
      assert_string_equal (g_hash_table_lookup (params, "is_full"), "true");
      assert_string_equal (g_hash_table_lookup (params, "request_id"), request_id);
      if (i == 0)
        {
          sequence = g_strdup (g_hash_table_lookup (params, "sequence_id"));
          assert_true (g_uuid_string_is_valid (sequence));
          assert_string_equal (g_hash_table_lookup (params, "is_first"), "true");
          assert_null (g_hash_table_lookup (params, "previous_request_id"));
          /* Reserved fields go along, deletions included. */
          assert_true (sluice_value_get_boolean (
            sluice_value_dict_lookup (sluice_value_list_get (body, 0), "_deleted")));
        }
      else
        {
          assert_string_equal (g_hash_table_lookup (params, "sequence_id"), sequence);
          assert_null (g_hash_table_lookup (params, "is_first"));
          assert_string_equal (g_hash_table_lookup (params, "previous_request_id"), previous_id);
        }
      if (i == 2)
        assert_string_equal (g_hash_table_lookup (params, "is_last"), "true");
      else
        assert_null (g_hash_table_lookup (params, "is_last"));
    }
}

static void
test_sink_incremental_and_failed_runs (void **state)
{
  Fixture *f = *state;
  const SluiceSinkCallbacks *cb = http_json_sink.callbacks;
  g_autoptr (SluiceElementContext) context
    = http_test_context_new ("json", "{\"system\": \"crm\", \"url\": \"receiver\"}", f->systems);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceBatch) batch = make_batch (3, 0);
  void *sink = cb->create (context, &error);
  g_autoptr (HttpTestRequest) first = NULL;
  g_autoptr (HttpTestRequest) last = NULL;
  g_autoptr (GHashTable) first_params = NULL;
  g_autoptr (GHashTable) last_params = NULL;

  /* An incremental run: is_full=false, no is_first/is_last, still the final empty batch. */
  assert_true (cb->begin (sink, 0, &error));
  assert_int_equal (cb->write (sink, batch, &error), SLUICE_FLOW_OK);
  assert_true (cb->end (sink, TRUE, &error));
  assert_int_equal (http_test_server_count_requests (f->server), 2);
  first = http_test_server_dup_request (f->server, 0);
  last = http_test_server_dup_request (f->server, 1);
  first_params = parse_query (first->query);
  last_params = parse_query (last->query);
  assert_string_equal (g_hash_table_lookup (first_params, "is_full"), "false");
  assert_null (g_hash_table_lookup (first_params, "is_first"));
  assert_null (g_hash_table_lookup (last_params, "is_last"));
  assert_string_equal (last->body, "[]");

  /* A failed run sends no final batch: the receiver must not close the sequence. */
  assert_true (cb->begin (sink, SLUICE_RUN_FLAG_FULL, &error));
  assert_int_equal (cb->write (sink, batch, &error), SLUICE_FLOW_OK);
  assert_true (cb->end (sink, FALSE, &error));
  assert_int_equal (http_test_server_count_requests (f->server), 3);
  cb->destroy (sink);
}

static void
test_sink_conflict (void **state)
{
  Fixture *f = *state;
  const SluiceSinkCallbacks *cb = http_json_sink.callbacks;
  g_autoptr (SluiceElementContext) context
    = http_test_context_new ("json", "{\"system\": \"crm\", \"url\": \"conflict\"}", f->systems);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceBatch) batch = make_batch (2, 0);
  void *sink = cb->create (context, &error);
  g_autoptr (HttpTestRequest) request = NULL;
  g_autoptr (GHashTable) params = NULL;
  g_autofree char *expected = NULL;

  assert_true (cb->begin (sink, SLUICE_RUN_FLAG_FULL, &error));
  assert_int_equal (cb->write (sink, batch, &error), SLUICE_FLOW_ERROR);
  request = http_test_server_dup_request (f->server, 0);
  params = parse_query (request->query);
  expected = g_strdup_printf ("POST %sconflict?%s: 409 Conflict: the receiver rejected request 1 of "
                              "sequence %s; the run stops and the next full run starts a new sequence",
                              http_test_server_get_url (f->server), request->query,
                              (char *) g_hash_table_lookup (params, "sequence_id"));
  assert_string_equal (error->message, expected);
  assert_true (cb->end (sink, FALSE, NULL));
  /* 409 is not retried. */
  assert_int_equal (http_test_server_count_requests (f->server), 1);
  cb->destroy (sink);
}

static void
test_http_transform (void **state)
{
  Fixture *f = *state;
  const SluiceTransformCallbacks *cb = http_http_transform.callbacks;
  g_autoptr (SluiceElementContext) context = http_test_context_new (
    "http", "{\"system\": \"crm\", \"url\": \"transform\", \"batch_size\": 2}", f->systems);
  g_autoptr (SluiceElementContext) broken_context
    = http_test_context_new ("http", "{\"system\": \"crm\", \"url\": \"broken\"}", f->systems);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceBatch) input = sluice_batch_new ();
  g_autoptr (SluiceBatch) output = sluice_batch_new ();
  g_autoptr (SluiceBatch) output2 = sluice_batch_new ();
  const char *ids[] = { "a", "drop-b", "split-c", "d", "e" };
  const char *expected[] = { "a", "split-c", "split-c-child", "d", "e" };
  void *transform = cb->create (context, &error);
  void *broken = cb->create (broken_context, &error);
  g_autofree char *broken_message = g_strdup_printf (
    "POST %sbroken: 500 Internal Server Error after 3 attempts", http_test_server_get_url (f->server));

  for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"_id\": \"%s\"}", ids[i]);
      g_autoptr (SluiceValue) body = http_test_json (json);

      sluice_batch_take (input, sluice_entity_new (body, NULL));
    }
  assert_int_equal (cb->transform (transform, input, output, &error), SLUICE_FLOW_OK);
  assert_int_equal (sluice_batch_get_length (output), G_N_ELEMENTS (expected));
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    assert_string_equal (sluice_entity_get_id (sluice_batch_get (output, i)), expected[i]);
  assert_true (sluice_value_get_boolean (
    sluice_value_dict_lookup (sluice_entity_get_body (sluice_batch_get (output, 0)), "seen")));
  /* Five entities in requests of at most two. */
  assert_int_equal (http_test_server_count_requests (f->server), 3);

  assert_int_equal (cb->transform (broken, input, output2, &error), SLUICE_FLOW_ERROR);
  assert_string_equal (error->message, broken_message);
  cb->destroy (transform);
  cb->destroy (broken);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_source_pulls_everything, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_since, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_paging, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_large_response, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_if_source_empty, setup, teardown),
    cmocka_unit_test_setup_teardown (test_source_faults, setup, teardown),
    cmocka_unit_test_setup_teardown (test_sink_full_sequence, setup, teardown),
    cmocka_unit_test_setup_teardown (test_sink_incremental_and_failed_runs, setup, teardown),
    cmocka_unit_test_setup_teardown (test_sink_conflict, setup, teardown),
    cmocka_unit_test_setup_teardown (test_http_transform, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
