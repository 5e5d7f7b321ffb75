/* test-http-endpoints.c — receivers and publishers (docs/http-endpoints.md) through the real HTTP
 * API server on loopback, on a SluiceControl built from a configuration file.
 *
 * What a user relies on: digest Appendix B1 pushed over HTTP and read back from the dataset
 * endpoint (offsets, `_previous`, the delete at the end of the second full sync); the 409s of the
 * protocol with their JSON error bodies; a malformed body answered 400 with its byte offset and
 * nothing written; Appendix B2 through a publisher; a publisher with a DTL transform: since,
 * limit, `_B`, filtered entities left out, X-Dataset-Filtered and Content-Disposition; and a
 * publisher read while another client pushes to the receiver it reads from; and a push signalling
 * the pipes that read what it wrote; and a reload in the middle of a full sync, which deletes
 * nothing; and file names in a publisher's path: encoded per RFC 6266, or refused, so that no
 * request can add a header to the response (checked on the raw bytes of the response).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "engine-fixture.h"
#include "http-api-client.h"
#include "sluice-clock.h"
#include "sluice-http-api.h"

#define OPS "ops-0123456789"
#define READER "reader-0123456789"

typedef struct
{
  EngineFixture *engine;
  SluiceClock *clock;
  SluiceControl *control;
  SluiceHttpServer *server;
  char *base;
  gboolean letters_done;
  guint downstream_runs;
  gboolean reloaded;
} Fixture;

static const char config_text[]
  = "[{\"_id\": \"node\", \"type\": \"metadata\", \"api_tokens\": [\n"
    "  {\"name\": \"ops\", \"token\": \"$SECRET(ops)\", \"access\": \"admin\"},\n"
    "  {\"name\": \"reader\", \"token\": \"$SECRET(reader)\", \"access\": \"read\"}]},\n"
    "{\"_id\": \"letters\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},\n"
    " \"source\": {\"type\": \"embedded\", \"entities\": [%s]}},\n"
    "{\"_id\": \"myendpoint\", \"type\": \"pipe\", \"source\": {\"type\": \"http_endpoint\"},\n"
    " \"sink\": {\"type\": \"dataset\", \"dataset\": \"mydataset\"}},\n"
    "{\"_id\": \"downstream\", \"type\": \"pipe\", \"pump\": {\"schedule_interval\": 3000},\n"
    " \"source\": {\"type\": \"dataset\", \"dataset\": \"mydataset\"}},\n"
    "{\"_id\": \"published-letters\", \"type\": \"pipe\",\n"
    " \"source\": {\"type\": \"dataset\", \"dataset\": \"letters\"},\n"
    " \"sink\": {\"type\": \"http_endpoint\"}},\n"
    "{\"_id\": \"open-letters\", \"type\": \"pipe\", \"metadata\": {\"public_read\": true},\n"
    " \"source\": {\"type\": \"dataset\", \"dataset\": \"letters\"},\n"
    " \"sink\": {\"type\": \"http_endpoint\"}},\n"
    "{\"_id\": \"pub\", \"type\": \"pipe\",\n"
    " \"source\": {\"type\": \"dataset\", \"dataset\": \"letters\"},\n"
    " \"transform\": {\"type\": \"dtl\", \"rules\": {\"default\": [\n"
    "   [\"filter\", [\"not\", [\"in\", \"_S._id\", [\"list\", \"A\", \"E\", \"I\", \"O\", \"U\", \"Y\"]]]],\n"
    "   [\"copy\", \"_id\"], [\"add\", \"who\", \"_B.who\"]]}},\n"
    " \"sink\": {\"type\": \"http_endpoint\", \"filename\": \"consonants.json\",\n"
    "          \"content_disposition\": \"inline\"}},\n"
    "{\"_id\": \"inbox\", \"type\": \"pipe\", \"batch_size\": 100,\n"
    " \"source\": {\"type\": \"http_endpoint\"}, \"sink\": {\"type\": \"dataset\"}},\n"
    "{\"_id\": \"outbox\", \"type\": \"pipe\",\n"
    " \"source\": {\"type\": \"dataset\", \"dataset\": \"inbox\"},\n"
    " \"sink\": {\"type\": \"http_endpoint\"}}]\n";

static void
on_run_done (SluiceControl *control, const char *pipe_id, gpointer stats, gpointer user_data)
{
  Fixture *f = user_data;

  if (g_str_equal (pipe_id, "letters"))
    f->letters_done = TRUE;
  if (g_str_equal (pipe_id, "downstream"))
    f->downstream_runs++;
}

static void
write_file (const char *dir, const char *name, const char *text, int mode)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  assert_true (g_file_set_contents (path, text, -1, NULL));
  assert_int_equal (g_chmod (path, mode), 0);
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (GString) letters = g_string_new (NULL);
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *secrets_path = NULL;
  g_autofree char *plugin = NULL;
  const char *paths[2] = { NULL, NULL };
  SluiceHttpSettings settings = { .address = "127.0.0.1:0" };
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;

  engine_fixture_setup ((void **) &f->engine);
  plugin = g_build_filename (g_getenv ("SLUICE_TEST_BUILDDIR"), "plugins", "sluice-endpoint.so",
                             NULL);
  if (!sluice_registry_load_file (f->engine->registry, plugin, &error))
    fail_msg ("%s", error->message);
  f->clock = sluice_clock_new ();
  for (char c = 'A'; c <= 'Z'; c++)
    g_string_append_printf (letters, "%s{\"_id\": \"%c\"}", c == 'A' ? "" : ", ", c);
  config = g_strdup_printf (config_text, letters->str);
  write_file (f->engine->dir, "config.json", config, 0644);
  write_file (f->engine->dir, "secrets.json",
              "{\"ops\": \"" OPS "\", \"reader\": \"" READER "\"}", 0600);
  config_path = g_build_filename (f->engine->dir, "config.json", NULL);
  secrets_path = g_build_filename (f->engine->dir, "secrets.json", NULL);
  paths[0] = config_path;
  f->control = sluice_control_new (&(SluiceControlSettings) {
                                     .registry = f->engine->registry,
                                     .config_paths = paths,
                                     .secrets_file = secrets_path,
                                     .store = f->engine->store,
                                     .clock = f->clock,
                                   },
                                   diagnostics, &error);
  if (f->control == NULL)
    {
      g_autofree char *problems = sluice_config_diagnostics_format (diagnostics);

      fail_msg ("%s%s", problems, error->message);
    }
  g_signal_connect (f->control, "pipe-run-finished", G_CALLBACK (on_run_done), f);
  sluice_control_activate (f->control);
  f->server = sluice_http_server_new (f->control, &settings, &error);
  if (f->server == NULL)
    fail_msg ("%s", error->message);
  f->base = g_strdup_printf ("http://127.0.0.1:%u", sluice_http_server_get_port (f->server));
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  g_clear_pointer (&f->server, sluice_http_server_free);
  sluice_control_shutdown (f->control);
  while (!sluice_control_is_stopped (f->control))
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&f->control);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (f->clock);
  g_free (f->base);
  engine_fixture_teardown ((void **) &f->engine);
  g_free (f);
  return 0;
}

static HttpApiResponse *
call (Fixture *f, const char *method, const char *path, const char *token, const char *body)
{
  g_autofree char *url = g_strconcat (f->base, path, NULL);

  return http_api_request (method, url, token, body != NULL ? "application/json" : NULL, body);
}

static void
assert_error (HttpApiResponse *response, guint status, const char *message)
{
  g_autofree char *actual = NULL;

  assert_null (response->error);
  if (response->status != status)
    fail_msg ("expected status %u, got %u: %s", status, response->status,
              http_api_response_text (response));
  actual = http_api_response_dup_error (response);
  assert_string_equal (actual, message);
}

/* POST @body to receiver @pipe with @params ("a=b&c=d" or ""); expects {} and 200. */
static void
push (Fixture *f, const char *pipe, const char *params, const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/receivers/%s/entities%s%s", pipe,
                                           params[0] != '\0' ? "?" : "", params);
  g_autoptr (HttpApiResponse) response = call (f, "POST", path, OPS, body);

  if (response->status != 200)
    fail_msg ("POST %s: %u %s", path, response->status, http_api_response_text (response));
  assert_string_equal (http_api_response_text (response), "{}");
}

static HttpApiResponse *
push_response (Fixture *f, const char *params, const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/receivers/myendpoint/entities%s%s",
                                           params[0] != '\0' ? "?" : "", params);

  return call (f, "POST", path, OPS, body);
}

/* GET @path; the entities as "[_id, _updated, _previous, _deleted]" tuples. */
static char *
tuples (Fixture *f, const char *path)
{
  g_autoptr (HttpApiResponse) response = call (f, "GET", path, READER, NULL);
  g_autoptr (JsonNode) root = NULL;
  GString *out = g_string_new (NULL);
  JsonArray *array;

  if (response->status != 200)
    fail_msg ("GET %s: %u %s", path, response->status, http_api_response_text (response));
  root = http_api_response_json (response);
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *entity = json_array_get_object_element (array, i);
      JsonNode *previous = json_object_get_member (entity, "_previous");
      g_autofree char *previous_text
        = previous == NULL || JSON_NODE_HOLDS_NULL (previous)
            ? g_strdup ("null")
            : g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (previous));

      g_string_append_printf (out, "%s[\"%s\",%" G_GINT64_FORMAT ",%s,%s]", i > 0 ? "," : "",
                              json_object_get_string_member (entity, "_id"),
                              json_object_get_int_member (entity, "_updated"), previous_text,
                              json_object_get_boolean_member_with_default (entity, "_deleted",
                                                                           FALSE)
                                ? "true"
                                : "false");
    }
  return g_string_free (out, FALSE);
}

static void
expect_new (Fixture *f, int *next, int count, const char *expected)
{
  g_autofree char *path
    = *next == 0 ? g_strdup ("/api/datasets/mydataset/entities")
                 : g_strdup_printf ("/api/datasets/mydataset/entities?since=%d", *next - 1);
  g_autofree char *got = tuples (f, path);

  assert_string_equal (got, expected);
  *next += count;
}

/* ---- receivers ------------------------------------------------------------------------------ */

/* digest Appendix B1, over HTTP. */
static void
test_b1_over_http (void **state)
{
  Fixture *f = *state;
  int next = 0;

  push (f, "myendpoint", "", "[{\"_id\":\"a\",\"name\":\"A\"},{\"_id\":\"b\",\"name\":\"B\"}]");
  expect_new (f, &next, 2, "[\"a\",0,null,false],[\"b\",1,null,false]");
  push (f, "myendpoint", "is_full=true&sequence_id=1&request_id=1&is_first=true",
        "[{\"_id\":\"b\",\"name\":\"B\"}]");
  expect_new (f, &next, 0, "");
  push (f, "myendpoint", "is_full=true&sequence_id=1&request_id=2&previous_request_id=1",
        "[{\"_id\":\"a\",\"name\":\"A (updated)\"},{\"_id\":\"c\",\"name\":\"C\"}]");
  expect_new (f, &next, 2, "[\"a\",2,0,false],[\"c\",3,null,false]");
  push (f, "myendpoint",
        "is_full=true&sequence_id=1&request_id=3&previous_request_id=2&is_last=true",
        "[{\"_id\":\"d\",\"name\":\"D\"}]");
  expect_new (f, &next, 1, "[\"d\",4,null,false]");
  push (f, "myendpoint", "is_full=true&sequence_id=2&request_id=1&is_first=true",
        "[{\"_id\":\"a\",\"name\":\"A\"},{\"_id\":\"b\",\"name\":\"B\"}]");
  expect_new (f, &next, 1, "[\"a\",5,2,false]");
  push (f, "myendpoint",
        "is_full=true&sequence_id=2&request_id=2&previous_request_id=1&is_last=true",
        "[{\"_id\":\"d\",\"name\":\"D\"}]");
  expect_new (f, &next, 1, "[\"c\",6,3,true]");
  {
    g_autoptr (HttpApiResponse) response
      = call (f, "GET", "/api/datasets/mydataset/entities?since=5", READER, NULL);
    g_autoptr (JsonNode) root = http_api_response_json (response);
    JsonObject *c = json_array_get_object_element (json_node_get_array (root), 0);

    assert_string_equal (json_object_get_string_member (c, "name"), "C");
  }
}

/* A push that changed the dataset signals the pipes that read it, as the end of a run does. */
static void
test_push_signals_downstream (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpApiResponse) copy = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  push (f, "myendpoint", "", "[{\"_id\":\"a\"}]");
  while (f->downstream_runs == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  assert_int_equal (f->downstream_runs, 1);
  copy = call (f, "GET", "/api/datasets/downstream/entities", READER, NULL);
  assert_int_equal (copy->status, 200);
  {
    g_autoptr (JsonNode) root = http_api_response_json (copy);
    JsonArray *array = json_node_get_array (root);

    assert_int_equal (json_array_get_length (array), 1);
    assert_string_equal (
      json_object_get_string_member (json_array_get_object_element (array, 0), "_id"), "a");
  }
}

static void
on_reloaded (SluiceControl *control, gpointer user_data)
{
  Fixture *f = user_data;

  f->reloaded = TRUE;
}

/* A reload in the middle of a full sync ends it without deleting anything: the sender's next
 * request gets a 409 and starts over, and the new sync deletes what it did not contain. */
static void
test_reload_mid_sequence (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;
  HttpApiResponse *response;
  int next = 0;

  push (f, "myendpoint", "", "[{\"_id\":\"a\"},{\"_id\":\"b\"}]");
  expect_new (f, &next, 2, "[\"a\",0,null,false],[\"b\",1,null,false]");
  push (f, "myendpoint", "is_full=true&sequence_id=s&request_id=1&is_first=true",
        "[{\"_id\":\"a\"}]");
  g_signal_connect (f->control, "reloaded", G_CALLBACK (on_reloaded), f);
  assert_true (sluice_control_reload (f->control, &error));
  while (!f->reloaded)
    g_main_context_iteration (NULL, TRUE);
  response = push_response (f, "is_full=true&sequence_id=s&request_id=2&previous_request_id=1"
                               "&is_last=true", "[]");
  assert_error (response, 409,
                "pipe 'myendpoint': sequence_id 's' is not a full sync in progress: it never "
                "started here (a full sync starts with is_first=true), or sluiced restarted "
                "since it began; restart the full sync with a new sequence_id");
  http_api_response_free (response);
  expect_new (f, &next, 0, "");
  push (f, "myendpoint", "is_full=true&sequence_id=t&request_id=1&is_first=true&is_last=true",
        "[{\"_id\":\"a\"}]");
  expect_new (f, &next, 1, "[\"b\",2,1,true]");
}

/* Every 409 of the protocol, as a sender sees it. */
static void
test_conflicts (void **state)
{
  Fixture *f = *state;
  HttpApiResponse *response;

  push (f, "myendpoint", "is_full=true&sequence_id=s&request_id=1&is_first=true", "[]");
  response = push_response (f, "is_full=true&sequence_id=s&request_id=2&is_first=true", "[]");
  assert_error (response, 409,
                "pipe 'myendpoint': is_first=true, but sequence_id 's' is in progress already "
                "(its last request was request_id '1'): only the first request of a sequence may "
                "say is_first; the full sync is aborted");
  http_api_response_free (response);

  push (f, "myendpoint", "is_full=true&sequence_id=t&request_id=1&is_first=true", "[]");
  response = push_response (f, "is_full=true&sequence_id=t&request_id=2&previous_request_id=0",
                            "[]");
  assert_error (response, 409,
                "pipe 'myendpoint': previous_request_id '0' does not match the previous request "
                "of sequence 't', whose request_id was '1'; the full sync is aborted");
  http_api_response_free (response);

  push (f, "myendpoint", "is_full=true&sequence_id=u&request_id=1&is_first=true", "[]");
  response = push_response (f, "is_full=false&sequence_id=u&request_id=2&previous_request_id=1",
                            "[]");
  assert_error (response, 409,
                "pipe 'myendpoint': is_full=false, but sequence_id 'u' is a full sync "
                "(is_full=true) in progress: is_full cannot change within a sequence; the full "
                "sync is aborted");
  http_api_response_free (response);

  response = push_response (f, "is_full=true&sequence_id=v&request_id=2&previous_request_id=1",
                            "[]");
  assert_error (response, 409,
                "pipe 'myendpoint': sequence_id 'v' is not a full sync in progress: it never "
                "started here (a full sync starts with is_first=true), or sluiced restarted "
                "since it began; restart the full sync with a new sequence_id");
  http_api_response_free (response);

  response = push_response (f, "is_full=true&request_id=1", "[]");
  assert_error (response, 400,
                "query parameter 'sequence_id': a full sync (is_full=true) needs it in every "
                "request");
  http_api_response_free (response);
}

/* A malformed body: 400 naming the byte, and nothing written. */
static void
test_malformed_body (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpApiResponse) bad = NULL;
  g_autoptr (HttpApiResponse) dataset = NULL;
  g_autoptr (HttpApiResponse) text = NULL;

  bad = push_response (f, "", "[{\"_id\": \"a\"}, {\"_id\": \"b\" \"name\": 1}]");
  assert_error (bad, 400,
                "the body is not valid JSON: byte 27: expected ',' or '}' after object member, "
                "got '\"'");
  dataset = call (f, "GET", "/api/datasets/mydataset", READER, NULL);
  assert_int_equal (dataset->status, 404);
  text = call (f, "POST", "/api/receivers/myendpoint/entities", OPS, NULL);
  assert_int_equal (text->status, 200);
}

/* Who may push, and where. */
static void
test_receiver_access (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpApiResponse) reader = NULL;
  g_autoptr (HttpApiResponse) not_receiver = NULL;
  g_autoptr (HttpApiResponse) missing = NULL;
  g_autofree char *url = g_strconcat (f->base, "/api/receivers/myendpoint/entities", NULL);

  reader = http_api_request ("POST", url, READER, "application/json", "[]");
  assert_int_equal (reader->status, 403);
  not_receiver = call (f, "POST", "/api/receivers/letters/entities", OPS, "[]");
  assert_error (not_receiver, 404,
                "pipe 'letters' does not receive entities: its source (type 'embedded') is read "
                "by runs; only a pipe with a receiver source such as 'http_endpoint' accepts "
                "pushes");
  missing = call (f, "POST", "/api/receivers/nope/entities", OPS, "[]");
  assert_error (missing, 404, "no pipe 'nope'");
}

/* ---- what a receiver refuses (issue 21, items 5, 9, 12, 14) ------------------------------- */

/* GET @path as the reader; expects @status with @message. */
static void
get_refused (Fixture *f, const char *path, guint status, const char *message)
{
  g_autoptr (HttpApiResponse) response = call (f, "GET", path, READER, NULL);

  assert_error (response, status, message);
}

/* POST @body to myendpoint; expects 400 with @message. */
static void
push_refused (Fixture *f, const char *body, const char *message)
{
  g_autoptr (HttpApiResponse) response = push_response (f, "", body);

  assert_error (response, 400, message);
}

/* Ids that differ after a U+0000 would be one entity of the store: such an _id is refused in a
 * pushed body, and a U+0000 in a query parameter or a path segment too, with 400. */
static void
test_nul_in_ids (void **state)
{
  Fixture *f = *state;
  int next = 0;

  push (f, "myendpoint", "", "[{\"_id\":\"ok1\"}]");
  expect_new (f, &next, 1, "[\"ok1\",0,null,false]");
  push_refused (f, "[{\"_id\":\"a\\u0000b\",\"v\":1},{\"_id\":\"a\\u0000c\",\"v\":2}]",
                "body entity /0: entity \"_id\" contains U+0000 at byte 1: expected an _id "
                "without U+0000");
  push_refused (f, "[{\"_id\":\"ok1\"},{\"_id\":\"ok1\\u0000zz\"}]",
                "body entity /1: entity \"_id\" contains U+0000 at byte 3: expected an _id "
                "without U+0000");
  get_refused (f, "/api/datasets/mydataset/entity?entity_id=ok1%00zz", 400,
               "query parameter 'entity_id' contains U+0000 (%00): expected text without it");
  get_refused (f, "/api/datasets/mydataset/entities?since=0&x%00=1", 400,
               "query parameter 'x%00' contains U+0000 (%00): expected text without it");
  /* libsoup refuses a %00 in the path itself, before any handler (with no body). */
  {
    g_autoptr (HttpApiResponse) response
      = call (f, "GET", "/api/datasets/mydata%00set/entities", READER, NULL);

    assert_int_equal (response->status, 400);
  }
  expect_new (f, &next, 0, "");
}

/* An _id of 0 bytes or over 1 MiB, and a dataset id in a path that is not UTF-8: 400, and
 * nothing stored. */
static void
test_ids_out_of_bounds (void **state)
{
  Fixture *f = *state;
  g_autoptr (GString) body = g_string_new ("[{\"_id\":\"first\"},{\"_id\":\"");
  g_autoptr (HttpApiResponse) dataset = NULL;

  push_refused (f, "{\"_id\": \"\"}",
                "the body (value 1): entity \"_id\" is empty: expected 1 to 1048576 bytes");
  for (guint i = 0; i < (1u << 20) + 1; i++)
    g_string_append_c (body, (char) ('a' + i % 26));
  g_string_append (body, "\"}]");
  push_refused (f, body->str,
                "body entity /1: entity \"_id\" is 1048577 bytes long: expected 1 to 1048576 "
                "bytes");
  dataset = call (f, "GET", "/api/datasets/mydataset", READER, NULL);
  assert_int_equal (dataset->status, 404);
  get_refused (f, "/api/datasets/%ff/entities", 400,
               "path segment '%FF' is not UTF-8 once percent-decoded");
  get_refused (f, "/api/datasets/caf%c3", 400,
               "path segment 'caf%C3' is not UTF-8 once percent-decoded");
  get_refused (f, "/api/pipes/%ff", 400, "path segment '%FF' is not UTF-8 once percent-decoded");
  get_refused (f, "/api/datasets/letters/entity?entity_id=%ff", 400,
               "query parameter 'entity_id' is not UTF-8 once percent-decoded");
}

/* Numbers keep the value sent, with an exponent too (do_float_as_decimal and do_float_as_int on,
 * as by default): a whole number that fits an integer becomes one, anything else the decimal. */
static void
test_exponent_numbers (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpApiResponse) entity = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;

  push (f, "myendpoint", "",
        "{\"_id\":\"n\",\"x\":4503599627370496.5e0,\"y\":1e-400,\"z\":1e400,\"w\":4503599627370496.5,"
        "\"i\":1e3,\"j\":-12345678901234567e1}");
  entity = call (f, "GET", "/api/datasets/mydataset/entity?entity_id=n", READER, NULL);
  assert_int_equal (entity->status, 200);
  root = http_api_response_json (entity);
  object = json_node_get_object (root);
  {
    static const char *const expected[][2] = {
      { "x", "\"~f4503599627370496.5e0\"" }, { "y", "\"~f1e-400\"" },
      { "z", "\"~f1e400\"" },               { "w", "\"~f4503599627370496.5\"" },
      { "i", "1000" },                       { "j", "-123456789012345670" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS (expected); i++)
      {
        g_autofree char *got = json_to_string (json_object_get_member (object, expected[i][0]),
                                               FALSE);

        if (!g_str_equal (got, expected[i][1]))
          fail_msg ("\"%s\" was stored as %s, expected %s", expected[i][0], got, expected[i][1]);
      }
  }
  /* An exponent beyond what even a decimal holds: 400 naming the byte. */
  push_refused (f, "[{\"_id\":\"m\",\"a\":92e3372036854775808}]",
                "the body is not valid JSON: byte 16: number out of range: 92e3372036854775808 "
                "has an exponent larger than a decimal holds (about a billion)");
}

/* A body is one object or one array of them; an object names each key once; `_deleted` is true
 * or false.  Anything else is refused whole, with 400 saying where, and nothing is stored. */
static void
test_receiver_refuses_what_docs_exclude (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpApiResponse) dataset = NULL;
  int next = 0;

  push_refused (f, "[{\"_id\":\"c1\"}][{\"_id\":\"c2\"}]",
                "the body is not valid JSON: byte 14: expected end of input after the value, got "
                "'['");
  push_refused (f, "{\"_id\":\"c1\"}\n{\"_id\":\"c2\"}",
                "the body is not valid JSON: byte 13: expected end of input after the value, got "
                "'{'");
  push_refused (f, "{\"_id\":\"d1\",\"k\":1,\"k\":2}",
                "the body is not valid JSON: byte 18: duplicate key \"k\" in the object starting "
                "at byte 0 (first at byte 12)");
  push_refused (f, "[{\"_id\":\"d2\",\"o\":{\"k\":1,\"k\":2}}]",
                "the body is not valid JSON: byte 24: duplicate key \"k\" in the object starting "
                "at byte 17 (first at byte 18)");
  push_refused (f, "{\"_id\":\"del\",\"_deleted\":\"yes\"}",
                "the body (value 1): entity 'del': \"_deleted\" is a string: expected true or "
                "false");
  push_refused (f, "[{\"_id\":\"a\"},{\"_id\":\"b\",\"_deleted\":null}]",
                "body entity /1: entity 'b': \"_deleted\" is a null: expected true or false");
  dataset = call (f, "GET", "/api/datasets/mydataset", READER, NULL);
  assert_int_equal (dataset->status, 404);
  /* `_deleted` in a nested object is an ordinary key. */
  push (f, "myendpoint", "",
        "[{\"_id\":\"a\",\"_deleted\":false},{\"_id\":\"b\",\"_deleted\":true},"
        "{\"_id\":\"c\",\"o\":{\"_deleted\":\"yes\"}}]");
  expect_new (f, &next, 3, "[\"a\",0,null,false],[\"b\",1,null,true],[\"c\",2,null,false]");
}

/* ---- publishers ----------------------------------------------------------------------------- */

static void
run_letters (Fixture *f)
{
  g_autofree char *url = g_strconcat (f->base, "/api/pipes/letters/pump", NULL);
  g_autoptr (HttpApiResponse) response
    = http_api_request ("POST", url, OPS, "application/x-www-form-urlencoded", "operation=start");

  assert_int_equal (response->status, 200);
  while (!f->letters_done)
    g_main_context_iteration (NULL, TRUE);
}

/* The `_id`s of a GET's array, concatenated. */
static char *
ids (Fixture *f, const char *path, HttpApiResponse **ret_response)
{
  HttpApiResponse *response = call (f, "GET", path, READER, NULL);
  g_autoptr (JsonNode) root = NULL;
  GString *out = g_string_new (NULL);
  JsonArray *array;

  if (response->status != 200)
    fail_msg ("GET %s: %u %s", path, response->status, http_api_response_text (response));
  root = http_api_response_json (response);
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_string_append (out, json_object_get_string_member (json_array_get_object_element (array, i),
                                                         "_id"));
  if (ret_response != NULL)
    *ret_response = response;
  else
    http_api_response_free (response);
  return g_string_free (out, FALSE);
}

/* digest Appendix B2 through a publisher without transforms. */
static void
test_b2_publisher (void **state)
{
  Fixture *f = *state;
  const char *cases[][2] = {
    { "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
    { "?since=21", "WXYZ" },
    { "?since=20&limit=3", "VWX" },
    { "?since=23&limit=3", "YZ" },
  };
  HttpApiResponse *response = NULL;

  run_letters (f);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/publishers/published-letters/entities%s",
                                               cases[i][0]);
      g_autofree char *got = ids (f, path, &response);

      assert_string_equal (got, cases[i][1]);
      assert_null (soup_message_headers_get_one (response->headers, "X-Dataset-Filtered"));
      assert_null (soup_message_headers_get_one (response->headers, "Content-Disposition"));
      g_clear_pointer (&response, http_api_response_free);
    }
}

/* A DTL transform: since/limit count served entities, `_B` holds the extra parameters, filtered
 * entities are left out, and the headers say so. */
static void
test_dtl_publisher (void **state)
{
  Fixture *f = *state;
  HttpApiResponse *response = NULL;
  g_autofree char *got = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *first;

  run_letters (f);
  got = ids (f, "/api/publishers/pub/entities?since=3&limit=4&who=ann", &response);
  assert_string_equal (got, "FGHJ");
  assert_string_equal (soup_message_headers_get_one (response->headers, "X-Dataset-Filtered"),
                       "true");
  assert_string_equal (soup_message_headers_get_one (response->headers, "Content-Disposition"),
                       "inline; filename=consonants.json");
  root = http_api_response_json (response);
  first = json_array_get_object_element (json_node_get_array (root), 0);
  assert_string_equal (json_object_get_string_member (first, "who"), "ann");
  /* `_updated` is the letter's offset in the dataset, so that a client can continue. */
  assert_int_equal (json_object_get_int_member (first, "_updated"), 5);
  http_api_response_free (response);

  /* The file name in the path wins, with the sink's disposition. */
  g_free (got);
  got = ids (f, "/api/publishers/pub/entities/all.json?since=23", &response);
  assert_string_equal (got, "Z");
  assert_string_equal (soup_message_headers_get_one (response->headers, "Content-Disposition"),
                       "inline; filename=all.json");
  http_api_response_free (response);
}

static void
test_publisher_errors (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpApiResponse) not_publisher = NULL;
  g_autoptr (HttpApiResponse) bad_limit = NULL;
  g_autoptr (HttpApiResponse) bad_since = NULL;

  not_publisher = call (f, "GET", "/api/publishers/myendpoint/entities", READER, NULL);
  assert_error (not_publisher, 404,
                "pipe 'myendpoint' is not a publisher: its sink (type 'dataset') is written by "
                "runs; only a pipe with a publisher sink such as 'http_endpoint' can be read at "
                "/api/publishers");
  bad_limit = call (f, "GET", "/api/publishers/pub/entities?limit=-1", READER, NULL);
  assert_error (bad_limit, 400,
                "query parameter 'limit': expected a non-negative integer, got '-1'");
  bad_since = call (f, "GET", "/api/publishers/pub/entities?since=abc", READER, NULL);
  assert_int_equal (bad_since->status, 400);
}

/* The header block of a raw response (up to the blank line), one header line per element, the
 * status line first. */
static char **
raw_header_lines (GBytes *raw)
{
  const char *text = g_bytes_get_data (raw, NULL);
  const char *end = strstr (text, "\r\n\r\n");

  if (end == NULL)
    fail_msg ("no end of the headers in the response: %s", text);
  {
    g_autofree char *head = g_strndup (text, end - text);

    return g_strsplit (head, "\r\n", -1);
  }
}

/* A file name in the path of a public publisher that tries to add headers to the response: what
 * arrives on the wire (no HTTP client in between, as a browser sees it) is a 400 that names the
 * problem, and no header of the attacker's. */
static void
test_file_name_injection (void **state)
{
  Fixture *f = *state;
  const char *names[] = {
    "a%0d%0aSet-Cookie:%20injected=1",
    "a%0aSet-Cookie:%20injected=1",
    "a%0dSet-Cookie:%20injected=1",
    "x.json%0d%0a%0d%0a%3Chtml%3Einjected",
  };

  run_letters (f);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *request
        = g_strdup_printf ("GET /api/publishers/open-letters/entities/%s HTTP/1.1\r\n"
                           "Host: 127.0.0.1\r\nConnection: close\r\n\r\n", names[i]);
      g_autoptr (GBytes) raw = http_api_send_raw (sluice_http_server_get_port (f->server),
                                                  request);
      g_auto (GStrv) lines = raw_header_lines (raw);
      const char *text = g_bytes_get_data (raw, NULL);

      if (!g_str_has_prefix (lines[0], "HTTP/1.1 400 "))
        fail_msg ("%s: expected 400, got: %s", names[i], text);
      for (guint k = 1; lines[k] != NULL; k++)
        {
          if (g_ascii_strncasecmp (lines[k], "Set-Cookie", 10) == 0
              || g_ascii_strncasecmp (lines[k], "Content-Disposition", 19) == 0
              || strchr (lines[k], '\n') != NULL || strchr (lines[k], '\r') != NULL)
            fail_msg ("%s: injected header line '%s' in: %s", names[i], lines[k], text);
        }
      assert_non_null (strstr (text, "\"the file name in the path contains the control "
                                     "character U+000"));
      assert_null (strstr (text, "<html>"));
    }
}

/* The file name of the path in Content-Disposition (RFC 6266): a token as it is, other printable
 * ASCII quoted, anything else as UTF-8 in `filename*` (RFC 8187) after an ASCII `filename`;
 * control characters and bytes that are not UTF-8 are refused with 400. */
static void
test_file_name_encoding (void **state)
{
  Fixture *f = *state;
  const char *cases[][2] = {
    { "all.json", "attachment; filename=all.json" },
    { "my%20letters.json", "attachment; filename=\"my letters.json\"" },
    { "caf%C3%A9.json", "attachment; filename=\"caf_.json\"; filename*=UTF-8''caf%C3%A9.json" },
    { "a%22b%5Cc.json", "attachment; filename=\"a_b_c.json\"; filename*=UTF-8''a%22b%5Cc.json" },
    { "100%25.json", "attachment; filename=\"100_.json\"; filename*=UTF-8''100%25.json" },
    { "%E2%82%AC%20%3B%2C.json",
      "attachment; filename=\"_ ;,.json\"; filename*=UTF-8''%E2%82%AC%20%3B%2C.json" },
  };
  const char *refused[][2] = {
    { "a%09b.json", "the file name in the path contains the control character U+0009 at byte 1: "
                    "a file name is printable text" },
    { "a%7Fb.json", "the file name in the path contains the control character U+007F at byte 1: "
                    "a file name is printable text" },
    { "a%C2%85b.json", "the file name in the path contains the control character U+0085 at byte "
                       "1: a file name is printable text" },
    /* Refused by the router before the publisher sees the name (docs/http-api.md). */
    { "a%FFb.json", "path segment 'a%FFb.json' is not UTF-8 once percent-decoded" },
    { "a%C3.json", "path segment 'a%C3.json' is not UTF-8 once percent-decoded" },
  };

  run_letters (f);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/publishers/open-letters/entities/%s",
                                               cases[i][0]);
      g_autoptr (HttpApiResponse) response = call (f, "GET", path, NULL, NULL);

      if (response->status != 200)
        fail_msg ("GET %s: %u %s", path, response->status, http_api_response_text (response));
      assert_string_equal (soup_message_headers_get_one (response->headers,
                                                         "Content-Disposition"), cases[i][1]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/publishers/open-letters/entities/%s",
                                               refused[i][0]);
      g_autoptr (HttpApiResponse) response = call (f, "GET", path, NULL, NULL);

      assert_error (response, 400, refused[i][1]);
      assert_null (soup_message_headers_get_one (response->headers, "Content-Disposition"));
    }
}

/* ---- reading while another client pushes ---------------------------------------------------- */

#define PUSHES 20
#define PER_PUSH 100

typedef struct
{
  char *url;
  volatile gint done;
  gboolean ok;
} Pusher;

static gpointer
pusher_thread (gpointer data)
{
  Pusher *pusher = data;

  pusher->ok = TRUE;
  for (int p = 0; p < PUSHES; p++)
    {
      g_autoptr (GString) body = g_string_new ("[");
      g_autoptr (HttpApiResponse) response = NULL;

      for (int i = 0; i < PER_PUSH; i++)
        g_string_append_printf (body, "%s{\"_id\": \"p%04d\", \"n\": %d}", i > 0 ? "," : "",
                                p * PER_PUSH + i, i);
      g_string_append (body, "]");
      response = http_api_send_here (&(HttpApiRequest) {
        .method = "POST", .url = pusher->url, .token = OPS,
        .content_type = "application/json", .body = body->str, .body_len = -1 });
      if (response->status != 200)
        pusher->ok = FALSE;
    }
  g_atomic_int_set (&pusher->done, TRUE);
  return NULL;
}

/* Each read sees whole pushes, in order: every push commits at once. */
static void
check_prefix (JsonArray *array)
{
  guint n = json_array_get_length (array);

  assert_int_equal (n % PER_PUSH, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *expected = g_strdup_printf ("p%04u", i);
      JsonObject *entity = json_array_get_object_element (array, i);

      assert_string_equal (json_object_get_string_member (entity, "_id"), expected);
      assert_int_equal (json_object_get_int_member (entity, "_updated"), i);
    }
}

static void
test_read_while_pushing (void **state)
{
  Fixture *f = *state;
  Pusher pusher = { .url = g_strconcat (f->base, "/api/receivers/inbox/entities", NULL) };
  g_autofree char *read_url = g_strconcat (f->base, "/api/publishers/outbox/entities", NULL);
  g_autoptr (GThread) thread = NULL;
  guint reads = 0;
  gboolean last = FALSE;

  thread = g_thread_new ("pusher", pusher_thread, &pusher);
  while (!last)
    {
      g_autoptr (HttpApiResponse) response = NULL;
      g_autoptr (JsonNode) root = NULL;

      last = g_atomic_int_get (&pusher.done);
      response = http_api_request ("GET", read_url, READER, NULL, NULL);
      assert_int_equal (response->status, 200);
      root = http_api_response_json (response);
      check_prefix (json_node_get_array (root));
      if (last)
        assert_int_equal (json_array_get_length (json_node_get_array (root)), PUSHES * PER_PUSH);
      reads++;
    }
  g_thread_join (g_steal_pointer (&thread));
  assert_true (pusher.ok);
  assert_true (reads >= 1);
  g_free (pusher.url);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_b1_over_http, setup, teardown),
    cmocka_unit_test_setup_teardown (test_push_signals_downstream, setup, teardown),
    cmocka_unit_test_setup_teardown (test_reload_mid_sequence, setup, teardown),
    cmocka_unit_test_setup_teardown (test_conflicts, setup, teardown),
    cmocka_unit_test_setup_teardown (test_malformed_body, setup, teardown),
    cmocka_unit_test_setup_teardown (test_receiver_access, setup, teardown),
    cmocka_unit_test_setup_teardown (test_nul_in_ids, setup, teardown),
    cmocka_unit_test_setup_teardown (test_ids_out_of_bounds, setup, teardown),
    cmocka_unit_test_setup_teardown (test_exponent_numbers, setup, teardown),
    cmocka_unit_test_setup_teardown (test_receiver_refuses_what_docs_exclude, setup, teardown),
    cmocka_unit_test_setup_teardown (test_b2_publisher, setup, teardown),
    cmocka_unit_test_setup_teardown (test_dtl_publisher, setup, teardown),
    cmocka_unit_test_setup_teardown (test_publisher_errors, setup, teardown),
    cmocka_unit_test_setup_teardown (test_file_name_injection, setup, teardown),
    cmocka_unit_test_setup_teardown (test_file_name_encoding, setup, teardown),
    cmocka_unit_test_setup_teardown (test_read_while_pushing, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
