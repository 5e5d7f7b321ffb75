/* test-http-api.c — the HTTP API server (core/http-api/, docs/http-api.md) on a real SluiceControl
 * built from configuration files, driven over loopback by a client thread.
 *
 * What a user relies on: the JSON pull examples of the digest (Appendix B2, since/limit), the
 * X-Dataset-* headers, 401 and 403 with messages that say what was missing (the same 403 for what
 * a limited token may not see, existing or not), the 409 cases of the pump and breaker
 * operations, 413 for a body over the limit (nothing happens), a 400 with the position for
 * malformed JSON and for JSON nested deeper than 512 levels (nothing happens; 100,000 levels do
 * not bring the server down), paths decoded once, metrics, health, public reads, TLS, a reader
 * streaming a dataset while a pipe appends to it, and connections: 20,000 that their clients
 * close leave no descriptor behind, and one carries many requests, pipelined ones too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "engine-fixture.h"
#include "http-api-client.h"
#include "raw-http-client.h"
#include "sluice-clock.h"
#include "sluice-http-api.h"

#define OPS "ops-0123456789"
#define READER "reader-0123456789"
#define LIMITED "limited-0123456789"

typedef struct
{
  EngineFixture *engine;
  SluiceClock *clock;
  SluiceControl *control;
  SluiceHttpServer *server;
  char *base;
  GHashTable *finished; /* pipe ids whose run finished or failed since the last wait */
} Fixture;

static const char secrets_text[]
  = "{\"ops\": \"" OPS "\", \"reader\": \"" READER "\", \"limited\": \"" LIMITED "\"}";

static const char tokens_text[]
  = "{\"_id\": \"node\", \"type\": \"metadata\", \"api_tokens\": [\n"
    "  {\"name\": \"ops\", \"token\": \"$SECRET(ops)\", \"access\": \"admin\"},\n"
    "  {\"name\": \"reader\", \"token\": \"$SECRET(reader)\", \"access\": \"read\"},\n"
    "  {\"name\": \"letters-only\", \"token\": \"$SECRET(limited)\", \"access\": \"admin\",\n"
    "   \"pipes\": [\"letters\"]}]},\n";

static const char pipes_text[]
  = "{\"_id\": \"letters\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},\n"
    " \"source\": {\"type\": \"embedded\", \"entities\": [%s]}},\n"
    "{\"_id\": \"open\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},\n"
    " \"metadata\": {\"public_read\": true},\n"
    " \"source\": {\"type\": \"embedded\", \"entities\": [{\"_id\": \"x\"}]}},\n"
    "{\"_id\": \"off\", \"type\": \"pipe\", \"pump\": {\"mode\": \"off\"},\n"
    " \"source\": {\"type\": \"embedded\", \"entities\": []}},\n"
    "{\"_id\": \"durable\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},\n"
    " \"metadata\": {\"durable\": true},\n"
    " \"source\": {\"type\": \"dataset\", \"dataset\": \"letters\"}},\n"
    "{\"_id\": \"fill\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},\n"
    " \"batch_size\": 1000,\n"
    " \"source\": {\"type\": \"test-sequence\", \"count\": 20000, \"prefix\": \"b\"},\n"
    " \"sink\": {\"type\": \"dataset\", \"dataset\": \"big\"}},\n"
    "{\"_id\": \"grow\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},\n"
    " \"batch_size\": 500,\n"
    " \"source\": {\"type\": \"test-sequence\", \"count\": 5000, \"prefix\": \"g\"},\n"
    " \"sink\": {\"type\": \"dataset\", \"dataset\": \"big\", \"deletion_tracking\": false}},\n"
    "{\"_id\": \"up\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},\n"
    " \"source\": {\"type\": \"test-sequence\", \"count\": 3, \"prefix\": \"u\"},\n"
    " \"sink\": {\"type\": \"dataset\", \"dataset\": \"upstream\"}},\n"
    "{\"_id\": \"up-more\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},\n"
    " \"source\": {\"type\": \"test-sequence\", \"count\": 5, \"prefix\": \"v\"},\n"
    " \"sink\": {\"type\": \"dataset\", \"dataset\": \"upstream\",\n"
    "           \"deletion_tracking\": false}},\n"
    "{\"_id\": \"guarded\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},\n"
    " \"source\": {\"type\": \"dataset\", \"dataset\": \"upstream\"},\n"
    " \"sink\": {\"type\": \"dataset\", \"dataset\": \"guarded\",\n"
    "           \"circuit_breaker_threshold_count\": 2}}\n";

static void
on_run_done (SluiceControl *control, const char *pipe_id, gpointer stats, gpointer user_data)
{
  Fixture *f = user_data;

  g_hash_table_add (f->finished, g_strdup (pipe_id));
}

static void
on_run_failed (SluiceControl *control, const char *pipe_id, gpointer stats, const GError *error,
               gpointer user_data)
{
  on_run_done (control, pipe_id, stats, user_data);
}

static void
write_file (const char *dir, const char *name, const char *text, int mode)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  assert_true (g_file_set_contents (path, text, -1, NULL));
  assert_int_equal (g_chmod (path, mode), 0);
}

/* Builds the control from @config and listens on 127.0.0.1:0 with @settings. */
static void
start (Fixture *f, const char *config, const SluiceHttpSettings *settings)
{
  g_autofree char *config_path = g_build_filename (f->engine->dir, "config.json", NULL);
  g_autofree char *secrets_path = g_build_filename (f->engine->dir, "secrets.json", NULL);
  const char *paths[] = { config_path, NULL };
  SluiceControlSettings control_settings = {
    .registry = f->engine->registry,
    .config_paths = paths,
    .secrets_file = secrets_path,
    .store = f->engine->store,
    .clock = f->clock,
  };
  SluiceHttpSettings defaults = { .address = "127.0.0.1:0" };
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;

  write_file (f->engine->dir, "config.json", config, 0644);
  write_file (f->engine->dir, "secrets.json", secrets_text, 0600);
  f->control = sluice_control_new (&control_settings, diagnostics, &error);
  if (f->control == NULL)
    {
      g_autofree char *problems = sluice_config_diagnostics_format (diagnostics);

      fail_msg ("%s%s", problems, error->message);
    }
  g_signal_connect (f->control, "pipe-run-finished", G_CALLBACK (on_run_done), f);
  g_signal_connect (f->control, "pipe-run-failed", G_CALLBACK (on_run_failed), f);
  sluice_control_activate (f->control);
  f->server = sluice_http_server_new (f->control, settings != NULL ? settings : &defaults, &error);
  if (f->server == NULL)
    fail_msg ("%s", error->message);
  f->base = g_strdup_printf ("%s://127.0.0.1:%u",
                             settings != NULL && settings->tls_cert_file != NULL ? "https" : "http",
                             sluice_http_server_get_port (f->server));
}

static char *
standard_config (void)
{
  g_autoptr (GString) letters = g_string_new (NULL);
  g_autofree char *pipes = NULL;

  for (char c = 'A'; c <= 'Z'; c++)
    g_string_append_printf (letters, "%s{\"_id\": \"%c\"}", c == 'A' ? "" : ", ", c);
  pipes = g_strdup_printf (pipes_text, letters->str);
  return g_strdup_printf ("[\n%s%s]\n", tokens_text, pipes);
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  engine_fixture_setup ((void **) &f->engine);
  f->clock = sluice_clock_new ();
  f->finished = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  *state = f;
  return 0;
}

static void
stop (Fixture *f)
{
  g_clear_pointer (&f->server, sluice_http_server_free);
  if (f->control != NULL)
    {
      sluice_control_shutdown (f->control);
      while (!sluice_control_is_stopped (f->control))
        g_main_context_iteration (NULL, TRUE);
      g_clear_object (&f->control);
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  stop (f);
  g_object_unref (f->clock);
  g_hash_table_unref (f->finished);
  g_free (f->base);
  engine_fixture_teardown ((void **) &f->engine);
  g_free (f);
  return 0;
}

static HttpApiResponse *
call (Fixture *f, const char *method, const char *path, const char *token,
      const char *content_type, const char *body)
{
  g_autofree char *url = g_strconcat (f->base, path, NULL);

  return http_api_request (method, url, token, content_type, body);
}

/* POSTs operation=start to @pipe_id's pump (also over TLS) and waits until the run is over. */
static void
run_pipe (Fixture *f, const char *pipe_id)
{
  g_autofree char *url = g_strdup_printf ("%s/api/pipes/%s/pump", f->base, pipe_id);
  HttpApiRequest request = {
    .method = "POST",
    .url = url,
    .token = OPS,
    .content_type = "application/x-www-form-urlencoded",
    .body = "operation=start",
    .body_len = -1,
    .any_certificate = TRUE,
  };
  g_autoptr (HttpApiResponse) response = NULL;

  g_hash_table_remove (f->finished, pipe_id);
  response = http_api_send (&request);
  if (response->status != 200)
    fail_msg ("start %s: %u %s", pipe_id, response->status, http_api_response_text (response));
  while (!g_hash_table_contains (f->finished, pipe_id))
    g_main_context_iteration (NULL, TRUE);
}

static JsonObject *
get_object (JsonNode *root)
{
  assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_node_get_object (root);
}

/* ---- JSON pull: digest Appendix B2 and the headers ----------------------------------------- */

static void
expect_letters (Fixture *f, const char *query, const char *expected)
{
  g_autofree char *path = g_strdup_printf ("/api/datasets/letters/entities%s", query);
  g_autoptr (HttpApiResponse) response = call (f, "GET", path, READER, NULL, NULL);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GString) ids = g_string_new (NULL);
  JsonArray *array;

  assert_int_equal (response->status, 200);
  root = http_api_response_json (response);
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *entity = json_array_get_object_element (array, i);
      const char *id = json_object_get_string_member (entity, "_id");

      g_string_append (ids, id);
      /* A letter's offset is its place in the alphabet. */
      assert_int_equal (json_object_get_int_member (entity, "_updated"), id[0] - 'A');
      /* A live entity: `_deleted` false or absent (digest §1.2). */
      assert_false (json_object_get_boolean_member_with_default (entity, "_deleted", FALSE));
      assert_true (json_object_has_member (entity, "_ts"));
      assert_int_equal (strlen (json_object_get_string_member (entity, "_hash")), 32);
    }
  assert_string_equal (ids->str, expected);
}

static void
test_json_pull_since_limit (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) response = NULL;
  SoupMessageHeaders *headers;

  start (f, config, NULL);
  run_pipe (f, "letters");
  expect_letters (f, "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  expect_letters (f, "?since=21", "WXYZ");
  expect_letters (f, "?since=20&limit=3", "VWX");
  expect_letters (f, "?since=23&limit=3", "YZ");
  expect_letters (f, "?limit=0", "");
  expect_letters (f, "?history=false&deleted=false&limit=2", "AB");

  response = call (f, "GET", "/api/datasets/letters/entities?populated=true", READER, NULL, NULL);
  assert_int_equal (response->status, 200);
  headers = response->headers;
  assert_string_equal (soup_message_headers_get_one (headers, "X-Dataset-Populated"), "true");
  assert_string_equal (soup_message_headers_get_one (headers, "X-Dataset-Max-Updated"), "25");
  assert_int_equal (strlen (soup_message_headers_get_one (headers, "X-Dataset-Generation")), 36);
}

static void
test_dataset_requests (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) entity = NULL;
  g_autoptr (HttpApiResponse) missing = NULL;
  g_autoptr (HttpApiResponse) no_id = NULL;
  g_autoptr (HttpApiResponse) one = NULL;
  g_autoptr (HttpApiResponse) list = NULL;
  g_autoptr (HttpApiResponse) unpopulated = NULL;
  g_autoptr (HttpApiResponse) bad_since = NULL;
  g_autoptr (HttpApiResponse) no_dataset = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) list_root = NULL;
  g_autoptr (JsonNode) one_root = NULL;
  JsonObject *object;
  JsonArray *array;
  gboolean seen = FALSE;

  start (f, config, NULL);
  unpopulated = call (f, "GET", "/api/datasets/big/entities?populated=true", READER, NULL, NULL);
  http_api_assert_error (unpopulated, 404, "there is no dataset 'big'");
  run_pipe (f, "letters");

  entity = call (f, "GET", "/api/datasets/letters/entity?entity_id=C", READER, NULL, NULL);
  assert_int_equal (entity->status, 200);
  root = http_api_response_json (entity);
  object = get_object (root);
  assert_string_equal (json_object_get_string_member (object, "_id"), "C");
  assert_int_equal (json_object_get_int_member (object, "_updated"), 2);

  missing = call (f, "GET", "/api/datasets/letters/entity?entity_id=nope", READER, NULL, NULL);
  http_api_assert_error (missing, 404, "dataset 'letters' has no entity 'nope'");
  no_id = call (f, "GET", "/api/datasets/letters/entity", READER, NULL, NULL);
  http_api_assert_error (no_id, 400,
                         "query parameter 'entity_id' is required (the _id of the entity)");
  bad_since = call (f, "GET", "/api/datasets/letters/entities?since=abc", READER, NULL, NULL);
  http_api_assert_error (bad_since, 400,
                         "query parameter 'since': expected a non-negative integer, got 'abc'");
  no_dataset = call (f, "GET", "/api/datasets/nope/entities", READER, NULL, NULL);
  assert_int_equal (no_dataset->status, 404);

  one = call (f, "GET", "/api/datasets/letters", READER, NULL, NULL);
  assert_int_equal (one->status, 200);
  one_root = http_api_response_json (one);
  object = get_object (one_root);
  assert_int_equal (json_object_get_int_member (object, "entity_count"), 26);
  assert_int_equal (json_object_get_int_member (object, "max_updated"), 25);
  assert_true (json_object_get_boolean_member (object, "populated"));
  assert_string_equal (json_object_get_string_member (object, "writer"), "letters");

  list = call (f, "GET", "/api/datasets", READER, NULL, NULL);
  assert_int_equal (list->status, 200);
  list_root = http_api_response_json (list);
  array = json_node_get_array (list_root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (array, i),
                                                    "_id"), "letters"))
      seen = TRUE;
  assert_true (seen);
}

/* ---- authentication ------------------------------------------------------------------------ */

static void
test_unauthorized (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) health = NULL;
  g_autoptr (HttpApiResponse) anonymous = NULL;
  g_autoptr (HttpApiResponse) anonymous_post = NULL;
  g_autoptr (HttpApiResponse) wrong = NULL;
  g_autoptr (HttpApiResponse) dataset = NULL;
  g_autoptr (HttpApiResponse) unknown = NULL;
  g_autoptr (HttpApiResponse) metrics = NULL;
  g_autoptr (JsonNode) root = NULL;

  start (f, config, NULL);
  health = call (f, "GET", "/api/health", NULL, NULL, NULL);
  assert_int_equal (health->status, 200);
  root = http_api_response_json (health);
  assert_string_equal (json_object_get_string_member (get_object (root), "status"), "ok");

  anonymous = call (f, "GET", "/api/pipes", NULL, NULL, NULL);
  http_api_assert_error (anonymous, 401,
                         "this request needs a bearer token (Authorization: Bearer <token>) with "
                         "read access");
  assert_string_equal (soup_message_headers_get_one (anonymous->headers, "WWW-Authenticate"),
                       "Bearer realm=\"sluice\"");
  anonymous_post = call (f, "POST", "/api/pipes/letters/pump", NULL,
                         "application/x-www-form-urlencoded", "operation=start");
  http_api_assert_error (anonymous_post, 401,
                         "this request needs a bearer token (Authorization: Bearer <token>)");
  wrong = call (f, "GET", "/api/pipes", "not-a-token", NULL, NULL);
  http_api_assert_error (wrong, 401, "the bearer token is not one of the configured api_tokens");
  /* Without a token, a dataset that does not exist looks like one that is not public. */
  run_pipe (f, "letters");
  dataset = call (f, "GET", "/api/datasets/letters/entities", NULL, NULL, NULL);
  http_api_assert_error (dataset, 401,
                         "this request needs a bearer token (Authorization: Bearer <token>) with "
                         "read access");
  unknown = call (f, "GET", "/api/datasets/secret-plans/entities", NULL, NULL, NULL);
  http_api_assert_error (unknown, 401,
                         "this request needs a bearer token (Authorization: Bearer <token>) with "
                         "read access");
  metrics = call (f, "GET", "/api/metrics", NULL, NULL, NULL);
  assert_int_equal (metrics->status, 401);
}

static void
test_forbidden (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) pump = NULL;
  g_autoptr (HttpApiResponse) other_pipe = NULL;
  g_autoptr (HttpApiResponse) other_dataset = NULL;
  g_autoptr (HttpApiResponse) metrics = NULL;
  g_autoptr (HttpApiResponse) list = NULL;
  g_autoptr (HttpApiResponse) own = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonArray *array;

  start (f, config, NULL);
  pump = call (f, "POST", "/api/pipes/letters/pump", READER, "application/x-www-form-urlencoded",
               "operation=start");
  http_api_assert_error (pump, 403,
                         "token 'reader' has read access; this request needs admin access");
  metrics = call (f, "GET", "/api/metrics", READER, NULL, NULL);
  http_api_assert_error (metrics, 403,
                         "token 'reader' has read access; this request needs admin access");
  other_pipe = call (f, "GET", "/api/pipes/off", LIMITED, NULL, NULL);
  http_api_assert_error (other_pipe, 403,
                         "token 'letters-only' is limited to pipe 'letters'; this request "
                         "concerns pipe 'off'");
  run_pipe (f, "fill");
  other_dataset = call (f, "GET", "/api/datasets/big/entities", LIMITED, NULL, NULL);
  http_api_assert_error (other_dataset, 403,
                         "token 'letters-only' is limited to pipe 'letters'; this request "
                         "concerns dataset 'big'");
  own = call (f, "GET", "/api/pipes/letters", LIMITED, NULL, NULL);
  assert_int_equal (own->status, 200);

  /* A limited token lists its own pipes only. */
  list = call (f, "GET", "/api/pipes", LIMITED, NULL, NULL);
  assert_int_equal (list->status, 200);
  root = http_api_response_json (list);
  array = json_node_get_array (root);
  assert_int_equal (json_array_get_length (array), 1);
  assert_string_equal (json_object_get_string_member (json_array_get_object_element (array, 0),
                                                      "_id"), "letters");
}

/* A token limited to some pipes cannot tell a dataset or pipe outside them that exists from one
 * that does not: both get the same 403, whatever the endpoint and method. */
static void
test_limited_token_cannot_probe (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  /* Method, path of something that exists outside the token's pipes, path of something that
   * does not exist, and the message for the first (the second's names its own id instead). */
  const char *cases[][5] = {
    { "GET", "/api/datasets/big", "/api/datasets/nope", "dataset 'big'", "dataset 'nope'" },
    { "GET", "/api/datasets/big/entities", "/api/datasets/nope/entities", "dataset 'big'",
      "dataset 'nope'" },
    { "GET", "/api/datasets/big/entity?entity_id=b0", "/api/datasets/nope/entity?entity_id=b0",
      "dataset 'big'", "dataset 'nope'" },
    { "POST", "/api/datasets/big", "/api/datasets/nope", "dataset 'big'", "dataset 'nope'" },
    { "DELETE", "/api/datasets/big", "/api/datasets/nope", "dataset 'big'", "dataset 'nope'" },
    { "GET", "/api/datasets/system:pump_execution:fill", "/api/datasets/system:pump_execution:no",
      "dataset 'system:pump_execution:fill'", "dataset 'system:pump_execution:no'" },
    { "GET", "/api/pipes/fill", "/api/pipes/nope", "pipe 'fill'", "pipe 'nope'" },
    { "POST", "/api/pipes/fill/pump", "/api/pipes/nope/pump", "pipe 'fill'", "pipe 'nope'" },
    { "GET", "/api/publishers/fill/entities", "/api/publishers/nope/entities", "pipe 'fill'",
      "pipe 'nope'" },
    { "POST", "/api/receivers/fill/entities", "/api/receivers/nope/entities", "pipe 'fill'",
      "pipe 'nope'" },
  };
  g_autoptr (HttpApiResponse) own_missing = NULL;

  start (f, config, NULL);
  run_pipe (f, "fill");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gboolean post = g_str_equal (cases[i][0], "POST");
      const char *type = post ? "application/json" : NULL;
      const char *body = post ? "{\"operation\": \"start\"}" : NULL;
      g_autoptr (HttpApiResponse) existing = call (f, cases[i][0], cases[i][1], LIMITED, type,
                                                   body);
      g_autoptr (HttpApiResponse) missing = call (f, cases[i][0], cases[i][2], LIMITED, type,
                                                  body);
      g_autofree char *existing_message
        = g_strdup_printf ("token 'letters-only' is limited to pipe 'letters'; this request "
                           "concerns %s", cases[i][3]);
      g_autofree char *missing_message
        = g_strdup_printf ("token 'letters-only' is limited to pipe 'letters'; this request "
                           "concerns %s", cases[i][4]);

      http_api_assert_error (existing, 403, existing_message);
      http_api_assert_error (missing, 403, missing_message);
    }
  /* What its own pipe writes, the token may know is missing. */
  own_missing = call (f, "GET", "/api/datasets/letters", LIMITED, NULL, NULL);
  http_api_assert_error (own_missing, 404, "there is no dataset 'letters'");
}

static void
test_public_read (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) open = NULL;
  g_autoptr (HttpApiResponse) status = NULL;
  g_autoptr (JsonNode) root = NULL;

  start (f, config, NULL);
  run_pipe (f, "open");
  open = call (f, "GET", "/api/datasets/open/entities", NULL, NULL, NULL);
  assert_int_equal (open->status, 200);
  root = http_api_response_json (open);
  assert_int_equal (json_array_get_length (json_node_get_array (root)), 1);
  /* public_read opens the data, not the pipe's status or pump. */
  status = call (f, "GET", "/api/pipes/open", NULL, NULL, NULL);
  assert_int_equal (status->status, 401);
}

/* A reload that changes api_tokens applies to the next request (docs/http-api.md). */
static void
test_tokens_follow_reload (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autofree char *reloaded = NULL;
  g_autofree char *pipes = g_strdup_printf (pipes_text, "");
  g_autoptr (HttpApiResponse) reader_before = NULL;
  g_autoptr (HttpApiResponse) limited_before = NULL;
  g_autoptr (HttpApiResponse) reader_after = NULL;
  g_autoptr (HttpApiResponse) limited_after = NULL;
  g_autoptr (GError) error = NULL;

  start (f, config, NULL);
  reader_before = call (f, "GET", "/api/pipes/open", READER, NULL, NULL);
  assert_int_equal (reader_before->status, 200);
  limited_before = call (f, "GET", "/api/pipes/open", LIMITED, NULL, NULL);
  assert_int_equal (limited_before->status, 403);

  /* The reader's token goes; the limited one's secret now names a token for every pipe. */
  reloaded = g_strdup_printf (
    "[{\"_id\": \"node\", \"type\": \"metadata\", \"api_tokens\": [\n"
    "  {\"name\": \"ops\", \"token\": \"$SECRET(ops)\", \"access\": \"admin\"},\n"
    "  {\"name\": \"anywhere\", \"token\": \"$SECRET(limited)\", \"access\": \"read\"}]},\n"
    "%s]\n", pipes);
  write_file (f->engine->dir, "config.json", reloaded, 0644);
  assert_true (sluice_control_reload (f->control, &error));
  while (sluice_control_is_reloading (f->control))
    g_main_context_iteration (NULL, TRUE);

  reader_after = call (f, "GET", "/api/pipes/open", READER, NULL, NULL);
  http_api_assert_error (reader_after, 401,
                         "the bearer token is not one of the configured api_tokens");
  limited_after = call (f, "GET", "/api/pipes/open", LIMITED, NULL, NULL);
  assert_int_equal (limited_after->status, 200);
}

static void
test_no_tokens_configured (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = g_strdup ("[{\"_id\": \"p\", \"type\": \"pipe\", "
                                      "\"source\": {\"type\": \"embedded\", \"entities\": []}}]");
  SluiceHttpSettings everywhere = { .address = "0.0.0.0:0" };
  g_autoptr (HttpApiResponse) anonymous = NULL;
  g_autoptr (HttpApiResponse) anonymous_dataset = NULL;
  g_autoptr (HttpApiResponse) anonymous_post = NULL;
  g_autoptr (HttpApiResponse) guess = NULL;
  g_autoptr (HttpApiResponse) health = NULL;
  g_autoptr (GError) error = NULL;

  start (f, config, NULL);
  /* A GET gets the same hint as a POST. */
  anonymous = call (f, "GET", "/api/pipes", NULL, NULL, NULL);
  http_api_assert_error (anonymous, 401,
                         "this request needs a bearer token (Authorization: Bearer <token>) with "
                         "read access, and no api_tokens are configured: add them to the "
                         "metadata component 'node' (docs/http-api.md)");
  assert_string_equal (soup_message_headers_get_one (anonymous->headers, "WWW-Authenticate"),
                       "Bearer realm=\"sluice\"");
  anonymous_dataset = call (f, "GET", "/api/datasets/p/entities", NULL, NULL, NULL);
  http_api_assert_error (anonymous_dataset, 401,
                         "this request needs a bearer token (Authorization: Bearer <token>) with "
                         "read access, and no api_tokens are configured: add them to the "
                         "metadata component 'node' (docs/http-api.md)");
  anonymous_post = call (f, "POST", "/api/pipes/p/pump", NULL,
                         "application/x-www-form-urlencoded", "operation=start");
  http_api_assert_error (anonymous_post, 401,
                         "this request needs a bearer token (Authorization: Bearer <token>), and "
                         "no api_tokens are configured: add them to the metadata component "
                         "'node' (docs/http-api.md)");
  guess = call (f, "POST", "/api/pipes/p/pump", "anything", "application/x-www-form-urlencoded",
                "operation=start");
  http_api_assert_error (guess, 401,
                         "the bearer token is not one of the configured api_tokens, and no "
                         "api_tokens are configured: add them to the metadata component 'node' "
                         "(docs/http-api.md)");
  health = call (f, "GET", "/api/health", NULL, NULL, NULL);
  assert_int_equal (health->status, 200);

  /* Beyond loopback, no tokens means no server. */
  assert_null (sluice_http_server_new (f->control, &everywhere, &error));
  assert_string_equal (error->message,
                       "--http 0.0.0.0:0: no api_tokens are configured (metadata component "
                       "'node'): refusing to serve the API beyond the loopback interface without "
                       "authentication");
}

static void
test_bad_addresses (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  SluiceHttpSettings no_port = { .address = "127.0.0.1" };
  SluiceHttpSettings name = { .address = "example.org:80" };
  SluiceHttpSettings half_tls = { .address = "127.0.0.1:0", .tls_cert_file = "cert.pem" };
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;

  start (f, config, NULL);
  assert_null (sluice_http_server_new (f->control, &no_port, &e1));
  assert_string_equal (e1->message, "--http 127.0.0.1: expected ADDRESS:PORT with a port from 0 "
                                    "to 65535, e.g. 127.0.0.1:9042 or [::1]:9042");
  assert_null (sluice_http_server_new (f->control, &name, &e2));
  assert_string_equal (e2->message, "--http example.org:80: 'example.org' is not an IP address "
                                    "(expected ADDRESS:PORT, e.g. 127.0.0.1:9042 or [::1]:9042)");
  assert_null (sluice_http_server_new (f->control, &half_tls, &e3));
  assert_string_equal (e3->message,
                       "--http 127.0.0.1:0: TLS needs both --http-tls-cert and --http-tls-key");
}

/* ---- pipes and their pump ------------------------------------------------------------------ */

static JsonObject *
pipe_state (Fixture *f, const char *pipe_id, JsonNode **ret_root)
{
  g_autofree char *path = g_strdup_printf ("/api/pipes/%s", pipe_id);
  g_autoptr (HttpApiResponse) response = call (f, "GET", path, READER, NULL, NULL);

  assert_int_equal (response->status, 200);
  *ret_root = http_api_response_json (response);
  return get_object (*ret_root);
}

static void
test_pump_operations (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) disable = NULL;
  g_autoptr (HttpApiResponse) set = NULL;
  g_autoptr (HttpApiResponse) reset = NULL;
  g_autoptr (HttpApiResponse) unknown = NULL;
  g_autoptr (HttpApiResponse) discard = NULL;
  g_autoptr (HttpApiResponse) denied = NULL;
  g_autoptr (HttpApiResponse) deleted = NULL;
  g_autoptr (HttpApiResponse) gone = NULL;
  g_autoptr (HttpApiResponse) list = NULL;
  g_autoptr (JsonNode) r1 = NULL;
  g_autoptr (JsonNode) r2 = NULL;
  g_autoptr (JsonNode) r3 = NULL;
  g_autoptr (JsonNode) r4 = NULL;
  g_autoptr (JsonNode) r5 = NULL;
  JsonObject *pipe;

  start (f, config, NULL);
  run_pipe (f, "letters");
  pipe = pipe_state (f, "letters", &r1);
  assert_string_equal (json_object_get_string_member (pipe, "state"), "idle");
  assert_int_equal (json_object_get_int_member (
                      json_object_get_object_member (pipe, "last_run"), "entities_read"), 26);
  assert_int_equal (json_object_get_int_member (
                      json_object_get_object_member (pipe, "counters"), "runs_succeeded"), 1);

  disable = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/json",
                  "{\"operation\": \"disable\", \"comment\": \"maintenance\"}");
  assert_int_equal (disable->status, 200);
  r2 = http_api_response_json (disable);
  assert_false (json_object_get_boolean_member (get_object (r2), "enabled"));

  set = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/x-www-form-urlencoded",
              "operation=update-last-seen&last-seen=3");
  assert_int_equal (set->status, 200);
  pipe = pipe_state (f, "letters", &r3);
  assert_int_equal (json_object_get_int_member (pipe, "since"), 3);

  reset = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/x-www-form-urlencoded",
                "operation=update-last-seen&last-seen=");
  assert_int_equal (reset->status, 200);
  pipe = pipe_state (f, "letters", &r4);
  assert_true (json_object_get_null_member (pipe, "since"));

  unknown = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/x-www-form-urlencoded",
                  "operation=explode");
  http_api_assert_error (unknown, 400,
                         "field 'operation': unknown operation 'explode': expected one of start, "
                         "start-rescan, stop, enable, disable, update-last-seen, "
                         "set-last-seen-to-end, discard-retries");

  /* Nothing waits for a retry: discarding is done, and changes nothing. */
  discard = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/x-www-form-urlencoded",
                  "operation=discard-retries");
  assert_int_equal (discard->status, 200);

  /* DELETE a dataset: its writer's offset is reset with it. */
  denied = call (f, "DELETE", "/api/datasets/letters", READER, NULL, NULL);
  assert_int_equal (denied->status, 403);
  deleted = call (f, "DELETE", "/api/datasets/letters", OPS, NULL, NULL);
  assert_int_equal (deleted->status, 200);
  gone = call (f, "GET", "/api/datasets/letters", OPS, NULL, NULL);
  http_api_assert_error (gone, 404, "there is no dataset 'letters'");

  list = call (f, "GET", "/api/pipes", READER, NULL, NULL);
  r5 = http_api_response_json (list);
  assert_int_equal (json_array_get_length (json_node_get_array (r5)), 9);
}

static void
test_conflicts (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) off = NULL;
  g_autoptr (HttpApiResponse) durable = NULL;
  g_autoptr (HttpApiResponse) forced = NULL;
  g_autoptr (HttpApiResponse) bad_force = NULL;
  g_autoptr (HttpApiResponse) breaker = NULL;
  g_autoptr (HttpApiResponse) missing = NULL;
  g_autofree char *message = NULL;

  start (f, config, NULL);
  off = call (f, "POST", "/api/pipes/off/pump", OPS, "application/x-www-form-urlencoded",
              "operation=start");
  assert_int_equal (off->status, 409);
  message = http_api_response_dup_error (off);
  assert_non_null (strstr (message, "off"));

  durable = call (f, "POST", "/api/pipes/durable/pump", OPS, "application/x-www-form-urlencoded",
                  "operation=update-last-seen&last-seen=10");
  assert_int_equal (durable->status, 409);
  forced = call (f, "POST", "/api/pipes/durable/pump", OPS, "application/x-www-form-urlencoded",
                 "operation=update-last-seen&last-seen=10&force=true");
  assert_int_equal (forced->status, 200);
  bad_force = call (f, "POST", "/api/pipes/durable/pump", OPS, "application/x-www-form-urlencoded",
                    "operation=update-last-seen&last-seen=10&force=yes");
  http_api_assert_error (bad_force, 400, "field 'force': expected true or false, got 'yes'");

  run_pipe (f, "letters");
  breaker = call (f, "POST", "/api/datasets/letters", OPS, "application/x-www-form-urlencoded",
                  "operation=commit-circuit-breaker");
  assert_int_equal (breaker->status, 404);
  missing = call (f, "POST", "/api/pipes/nope/pump", OPS, "application/x-www-form-urlencoded",
                  "operation=start");
  assert_int_equal (missing->status, 404);
}

/* The version count and breaker state of dataset "guarded", and its pipe's state. */
static void
expect_guarded (Fixture *f, gint64 versions, gboolean tripped, const char *state)
{
  g_autoptr (HttpApiResponse) dataset = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) pipe_root = NULL;
  JsonObject *object;

  dataset = call (f, "GET", "/api/datasets/guarded", READER, NULL, NULL);
  root = http_api_response_json (dataset);
  object = get_object (root);

  assert_int_equal (json_object_get_int_member (object, "version_count"), versions);
  assert_int_equal (json_object_get_boolean_member (object, "circuit_breaker_tripped"), tripped);
  assert_string_equal (json_object_get_string_member (pipe_state (f, "guarded", &pipe_root),
                                                      "state"), state);
}

static void
test_circuit_breaker (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) refused = NULL;
  g_autoptr (HttpApiResponse) forbidden = NULL;
  g_autoptr (HttpApiResponse) rollback = NULL;
  g_autoptr (HttpApiResponse) commit = NULL;
  g_autoptr (HttpApiResponse) metrics = NULL;
  g_autoptr (JsonNode) root = NULL;

  start (f, config, NULL);
  run_pipe (f, "up");
  run_pipe (f, "guarded");
  expect_guarded (f, 3, FALSE, "idle");

  /* Five new upstream entities are more than the breaker's count of 2: the run trips. */
  run_pipe (f, "up-more");
  run_pipe (f, "guarded");
  expect_guarded (f, 3, TRUE, "tripped");
  metrics = call (f, "GET", "/api/metrics", OPS, NULL, NULL);
  assert_non_null (strstr (http_api_response_text (metrics),
                           "sluice_pipe_circuit_breaker_tripped{pipe=\"guarded\"} 1\n"));
  refused = call (f, "POST", "/api/pipes/guarded/pump", OPS, "application/x-www-form-urlencoded",
                  "operation=start");
  assert_int_equal (refused->status, 409);
  forbidden = call (f, "POST", "/api/datasets/guarded", READER,
                    "application/x-www-form-urlencoded", "operation=rollback-circuit-breaker");
  http_api_assert_error (forbidden, 403,
                         "token 'reader' has read access; this request needs admin access");

  rollback = call (f, "POST", "/api/datasets/guarded", OPS, "application/x-www-form-urlencoded",
                   "operation=rollback-circuit-breaker");
  assert_int_equal (rollback->status, 200);
  root = http_api_response_json (rollback);
  assert_false (json_object_get_boolean_member (get_object (root), "circuit_breaker_tripped"));
  expect_guarded (f, 3, FALSE, "failed");

  /* The same run trips again; this time what it wrote is committed. */
  run_pipe (f, "guarded");
  expect_guarded (f, 3, TRUE, "tripped");
  commit = call (f, "POST", "/api/datasets/guarded", OPS, "application/json",
                 "{\"operation\": \"commit-circuit-breaker\"}");
  assert_int_equal (commit->status, 200);
  expect_guarded (f, 8, FALSE, "failed");
}

/* ---- request bodies ------------------------------------------------------------------------ */

static void
assert_never_ran (Fixture *f, const char *pipe_id)
{
  g_autoptr (JsonNode) root = NULL;
  JsonObject *pipe = pipe_state (f, pipe_id, &root);

  assert_int_equal (json_object_get_int_member (json_object_get_object_member (pipe, "counters"),
                                                "runs_started"), 0);
  assert_false (json_object_get_boolean_member (pipe, "running"));
}

static void
test_body_limit (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  SluiceHttpSettings settings = { .address = "127.0.0.1:0", .max_body_size = 4096 };
  g_autofree char *url = NULL;
  g_autoptr (GString) big = g_string_new ("operation=start&comment=");
  g_autoptr (HttpApiResponse) sized = NULL;
  g_autoptr (HttpApiResponse) chunked = NULL;
  g_autoptr (HttpApiResponse) small = NULL;
  HttpApiRequest request = { .method = "POST", .content_type = "application/x-www-form-urlencoded",
                             .body_len = -1 };

  start (f, config, &settings);
  while (big->len < 5000)
    g_string_append_c (big, 'x');
  url = g_strconcat (f->base, "/api/pipes/letters/pump", NULL);
  request.url = url;
  request.token = OPS;
  request.body = big->str;
  sized = http_api_send (&request);
  http_api_assert_error (sized, 413,
                         "the request body (5000 bytes) is larger than the limit of 4096 bytes "
                         "(sluiced --http-max-body)");
  request.chunked = TRUE;
  chunked = http_api_send (&request);
  http_api_assert_error (chunked, 413,
                         "the request body (sent in chunks) is larger than the limit of 4096 "
                         "bytes (sluiced --http-max-body)");
  assert_never_ran (f, "letters");

  /* Under the limit, chunked or not, it goes through. */
  request.body = "operation=disable";
  small = http_api_send (&request);
  assert_int_equal (small->status, 200);
}

static void
test_malformed_json (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) malformed = NULL;
  g_autoptr (HttpApiResponse) not_object = NULL;
  g_autoptr (HttpApiResponse) wrong_type = NULL;

  start (f, config, NULL);
  malformed = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/json",
                    "{\"operation\": \"start\",\n \"force\": }");
  assert_int_equal (malformed->status, 400);
  {
    g_autofree char *message = http_api_response_dup_error (malformed);

    assert_true (g_str_has_prefix (message,
                                   "malformed JSON in the request body at line:column 2:"));
  }
  not_object = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/json",
                     "[\"start\"]");
  http_api_assert_error (not_object, 400, "request body: expected a JSON object of fields, e.g. "
                         "{\"operation\": \"start\"}");
  wrong_type = call (f, "POST", "/api/pipes/letters/pump", OPS, "text/plain", "start");
  http_api_assert_error (wrong_type, 415, "request body of type 'text/plain': expected "
                         "application/x-www-form-urlencoded or application/json");
  assert_never_ran (f, "letters");
}

/* @depth arrays, one in the other: "[[…]]". */
static char *
nested_arrays (guint depth)
{
  GString *out = g_string_sized_new (2 * depth + 1);

  for (guint i = 0; i < depth; i++)
    g_string_append_c (out, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

#define DEEP_BODY "{\"operation\": \"%s\", \"x\": %s}"

/* POSTs {"operation": @operation, "x": [[…]]} nested @depth levels deep in all (the object is
 * one of them) to @path. */
static HttpApiResponse *
post_nested (Fixture *f, const char *path, const char *operation, guint depth)
{
  g_autofree char *arrays = nested_arrays (depth - 1);
  g_autofree char *body = g_strdup_printf (DEEP_BODY, operation, arrays);

  return call (f, "POST", path, OPS, "application/json", body);
}

/* The 400 for a body of post_nested () deeper than 512 levels: at the bracket that opens the
 * 513th. */
static void
assert_too_deep (HttpApiResponse *response, const char *operation)
{
  g_autofree char *prefix = g_strdup_printf (DEEP_BODY, operation, "");
  g_autofree char *message
    = g_strdup_printf ("request body: byte %zu: nesting deeper than 512 levels",
                       strlen (prefix) - 1 + 511);

  http_api_assert_error (response, 400, message);
}

/* JSON bodies nested deeper than sluice's JSON parsers go (512 levels) are refused before
 * json-glib, which recurses once per level, sees them: 100,000 levels used to overflow the main
 * thread's stack. */
static void
test_deep_json_body (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) pump = NULL;
  g_autoptr (HttpApiResponse) dataset = NULL;
  g_autoptr (HttpApiResponse) health = NULL;
  g_autoptr (HttpApiResponse) at_limit = NULL;
  g_autoptr (HttpApiResponse) over_limit = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) after_root = NULL;
  JsonObject *pipe;

  start (f, config, NULL);
  run_pipe (f, "up");
  pump = post_nested (f, "/api/pipes/letters/pump", "start", 100000);
  assert_too_deep (pump, "start");
  dataset = post_nested (f, "/api/datasets/upstream", "commit-circuit-breaker", 100000);
  assert_too_deep (dataset, "commit-circuit-breaker");
  health = call (f, "GET", "/api/health", NULL, NULL, NULL);
  assert_int_equal (health->status, 200);
  assert_never_ran (f, "letters");

  /* 512 levels are taken, 513 are not (and change nothing). */
  at_limit = post_nested (f, "/api/pipes/letters/pump", "disable", 512);
  assert_int_equal (at_limit->status, 200);
  pipe = pipe_state (f, "letters", &root);
  assert_false (json_object_get_boolean_member (pipe, "enabled"));
  over_limit = post_nested (f, "/api/pipes/letters/pump", "enable", 513);
  assert_too_deep (over_limit, "enable");
  pipe = pipe_state (f, "letters", &after_root);
  assert_false (json_object_get_boolean_member (pipe, "enabled"));
}

/* The `last-seen` of update-last-seen is JSON text that goes to json-glib too: bounded alike, as
 * a form field and as a string member of a JSON body. */
static void
test_deep_last_seen (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autofree char *deep = nested_arrays (100000);
  g_autofree char *at_limit = nested_arrays (512);
  g_autofree char *over_limit = nested_arrays (513);
  g_autofree char *deep_form = g_strconcat ("operation=update-last-seen&last-seen=", deep, NULL);
  g_autofree char *deep_json = g_strdup_printf ("{\"operation\": \"update-last-seen\", "
                                                "\"last-seen\": \"%s\"}", deep);
  g_autofree char *at_form = g_strconcat ("operation=update-last-seen&last-seen=", at_limit, NULL);
  g_autofree char *over_form = g_strconcat ("operation=update-last-seen&last-seen=", over_limit,
                                            NULL);
  const char *message = "field 'last-seen': byte 512: nesting deeper than 512 levels";
  g_autoptr (HttpApiResponse) form = NULL;
  g_autoptr (HttpApiResponse) json = NULL;
  g_autoptr (HttpApiResponse) at = NULL;
  g_autoptr (HttpApiResponse) over = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) after_root = NULL;
  g_autofree char *since = NULL;
  g_autofree char *since_after = NULL;

  start (f, config, NULL);
  form = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/x-www-form-urlencoded",
               deep_form);
  http_api_assert_error (form, 400, message);
  json = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/json", deep_json);
  http_api_assert_error (json, 400, message);

  at = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/x-www-form-urlencoded",
             at_form);
  assert_int_equal (at->status, 200);
  since = json_to_string (json_object_get_member (pipe_state (f, "letters", &root), "since"),
                          FALSE);
  assert_string_equal (since, at_limit);
  over = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/x-www-form-urlencoded",
               over_form);
  http_api_assert_error (over, 400, message);
  since_after = json_to_string (json_object_get_member (pipe_state (f, "letters", &after_root),
                                                        "since"), FALSE);
  assert_string_equal (since_after, at_limit);
}

/* A JSON body's numbers reach the operation as written, not through a double: the stored offset
 * of update-last-seen is the text that was sent.  json-glib's extensions (comments, repeated keys)
 * are no JSON and are refused. */
static void
test_json_field_numbers (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  const char *offsets[] = { "12345678901234567890", "1e18", "0.1", "[1, 2.50]", "-0" };

  start (f, config, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"operation\": \"update-last-seen\", "
                                               "\"last-seen\": %s}", offsets[i]);
      g_autoptr (HttpApiResponse) response
        = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/json", body);
      g_auto (SluicePipeState) stored = { 0 };
      g_autoptr (GError) error = NULL;

      assert_int_equal (response->status, 200);
      assert_true (sluice_store_backend_get_pipe_state (f->engine->store, "letters", &stored,
                                                        &error));
      assert_string_equal (stored.since, offsets[i]);
    }
  {
    g_autoptr (HttpApiResponse) comment
      = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/json",
              "{\"operation\": \"disable\" /* off */}");
    g_autoptr (HttpApiResponse) repeated
      = call (f, "POST", "/api/pipes/letters/pump", OPS, "application/json",
              "{\"operation\": \"disable\", \"operation\": \"enable\"}");
    g_autofree char *text = NULL;

    assert_int_equal (comment->status, 400);
    assert_int_equal (repeated->status, 400);
    text = http_api_response_dup_error (repeated);
    assert_true (g_str_has_prefix (text, "request body: not JSON: "));
  }
}

static void
test_routing (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) nothing = NULL;
  g_autoptr (HttpApiResponse) method = NULL;
  g_autoptr (HttpApiResponse) outside = NULL;

  start (f, config, NULL);
  nothing = call (f, "GET", "/api/nope", READER, NULL, NULL);
  http_api_assert_error (nothing, 404,
                         "no such endpoint: GET /api/nope (docs/http-api.md lists them)");
  method = call (f, "DELETE", "/api/pipes", OPS, NULL, NULL);
  http_api_assert_error (method, 405, "DELETE is not allowed on /api/pipes: use GET");
  assert_string_equal (soup_message_headers_get_one (method->headers, "Allow"), "GET");
  outside = call (f, "GET", "/index.html", NULL, NULL, NULL);
  assert_int_equal (outside->status, 404);
}

/* A path is percent-decoded once, segment by segment: '%2F' does not split a segment, '%25' is a
 * '%'. */
static void
test_path_decoded_once (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) slash = NULL;
  g_autoptr (HttpApiResponse) percent = NULL;
  g_autoptr (HttpApiResponse) twice = NULL;

  start (f, config, NULL);
  run_pipe (f, "letters");
  slash = call (f, "GET", "/api/datasets/letters%2Fentities", READER, NULL, NULL);
  http_api_assert_error (slash, 400,
                         "path segment 'letters%2Fentities' is not valid percent-encoding (or "
                         "encodes a '/')");
  percent = call (f, "GET", "/api/datasets/100%25", READER, NULL, NULL);
  http_api_assert_error (percent, 404, "there is no dataset '100%'");
  twice = call (f, "GET", "/api/datasets/a%2520b", READER, NULL, NULL);
  http_api_assert_error (twice, 404, "there is no dataset 'a%20b'");
}

/* ---- metrics ------------------------------------------------------------------------------- */

static void
test_metrics (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autoptr (HttpApiResponse) response = NULL;
  const char *text;

  start (f, config, NULL);
  run_pipe (f, "letters");
  response = call (f, "GET", "/api/metrics", OPS, NULL, NULL);
  assert_int_equal (response->status, 200);
  assert_string_equal (soup_message_headers_get_content_type (response->headers, NULL),
                       "text/plain");
  text = http_api_response_text (response);
  assert_non_null (strstr (text, "# TYPE sluice_health gauge\nsluice_health 1\n"));
  assert_non_null (strstr (text, "# TYPE sluice_pipe_runs_total counter\n"));
  assert_non_null (
    strstr (text, "sluice_pipe_runs_total{pipe=\"letters\",outcome=\"succeeded\"} 1\n"));
  assert_non_null (
    strstr (text, "sluice_pipe_runs_total{pipe=\"letters\",outcome=\"failed\"} 0\n"));
  assert_non_null (strstr (text, "sluice_pipe_entities_read_total{pipe=\"letters\"} 26\n"));
  assert_non_null (strstr (text, "sluice_pipe_changes_total{pipe=\"letters\"} 26\n"));
  assert_non_null (strstr (text, "sluice_pipe_running{pipe=\"letters\"} 0\n"));
  assert_non_null (strstr (text, "sluice_pipe_circuit_breaker_tripped{pipe=\"off\"} 0\n"));
  assert_non_null (strstr (text, "# HELP sluice_pipe_run_seconds "));
  assert_non_null (strstr (text, "sluice_pipe_run_seconds{pipe=\"letters\"} "));
}

/* ---- TLS ----------------------------------------------------------------------------------- */

/* Starts the server over TLS with the test certificate of tests/fixtures/tls. */
static void
start_tls (Fixture *f, const char *config)
{
  g_autofree char *cert = g_build_filename (g_getenv ("SLUICE_TEST_SRCDIR"), "tests", "fixtures",
                                            "tls", "cert.pem", NULL);
  g_autofree char *key = g_build_filename (g_getenv ("SLUICE_TEST_SRCDIR"), "tests", "fixtures",
                                           "tls", "key.pem", NULL);
  SluiceHttpSettings settings = { .address = "127.0.0.1:0", .tls_cert_file = cert,
                                  .tls_key_file = key };

  start (f, config, &settings);
}

static void
test_tls (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autofree char *url = NULL;
  g_autoptr (HttpApiResponse) response = NULL;
  HttpApiRequest request = { .token = READER, .any_certificate = TRUE };

  start_tls (f, config);
  assert_true (g_str_has_prefix (f->base, "https://"));
  url = g_strconcat (f->base, "/api/pipes/letters", NULL);
  request.url = url;
  response = http_api_send (&request);
  assert_null (response->error);
  assert_int_equal (response->status, 200);
}

/* ---- streaming while a pipe writes ---------------------------------------------------------- */

typedef struct
{
  gint reading;   /* the client got its first block */
  gint go_on;     /* the main thread let it continue */
  GMutex lock;
  GCond cond;
} Pause;

static gboolean
pause_after_first_block (gsize total, gpointer data)
{
  Pause *pause = data;

  if (!g_atomic_int_get (&pause->reading))
    {
      g_atomic_int_set (&pause->reading, TRUE);
      g_main_context_wakeup (NULL);
      g_mutex_lock (&pause->lock);
      while (!g_atomic_int_get (&pause->go_on))
        g_cond_wait (&pause->cond, &pause->lock);
      g_mutex_unlock (&pause->lock);
    }
  return TRUE;
}

typedef struct
{
  HttpApiRequest request;
  HttpApiResponse *response;
  gint done;
} Background;

static gpointer
background_request (gpointer data)
{
  Background *background = data;

  background->response = http_api_send_here (&background->request);
  g_atomic_int_set (&background->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* Starts a client thread reading dataset "big" and returns once it holds the first block of the
 * response and waits for release_reader (). */
static GThread *
start_paused_reader (Fixture *f, Pause *pause, Background *background, char **ret_url)
{
  GThread *thread;

  g_mutex_init (&pause->lock);
  g_cond_init (&pause->cond);
  *ret_url = g_strconcat (f->base, "/api/datasets/big/entities", NULL);
  background->request.url = *ret_url;
  background->request.token = READER;
  background->request.on_chunk = pause_after_first_block;
  background->request.data = pause;
  /* http_api_send_here iterates a main context of its own thread: this one keeps serving. */
  thread = g_thread_new ("reader", background_request, background);
  http_api_wait_for (&pause->reading);
  return thread;
}

/* Lets the reader go on, waits until it has the whole response, and frees what
 * start_paused_reader () set up but the response. */
static void
release_reader (GThread *thread, Pause *pause, Background *background)
{
  g_mutex_lock (&pause->lock);
  g_atomic_int_set (&pause->go_on, TRUE);
  g_cond_signal (&pause->cond);
  g_mutex_unlock (&pause->lock);
  http_api_wait_for (&background->done);
  g_thread_join (thread);
  g_mutex_clear (&pause->lock);
  g_cond_clear (&pause->cond);
}

static void
test_stream_while_writing (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autofree char *url = NULL;
  Pause pause = { 0 };
  Background background = { 0 };
  g_autoptr (HttpApiResponse) health = NULL;
  g_autoptr (HttpApiResponse) after = NULL;
  g_autoptr (HttpApiResponse) response = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) after_root = NULL;
  GThread *thread;
  JsonArray *array;
  guint length;

  start (f, config, NULL);
  run_pipe (f, "fill");
  thread = start_paused_reader (f, &pause, &background, &url);

  /* The reader is in the middle of the dataset; another pipe appends to it, and the host
   * answers other requests meanwhile. */
  run_pipe (f, "grow");
  health = call (f, "GET", "/api/health", NULL, NULL, NULL);
  assert_int_equal (health->status, 200);
  release_reader (thread, &pause, &background);
  response = background.response;

  assert_null (response->error);
  assert_int_equal (response->status, 200);
  root = http_api_response_json (response);
  array = json_node_get_array (root);
  length = json_array_get_length (array);
  /* Everything committed before the read, in order and without a gap; what was appended while
   * it ran comes after, also in order. */
  assert_true (length >= 20000 && length <= 25000);
  for (guint i = 0; i < length; i++)
    {
      JsonObject *entity = json_array_get_object_element (array, i);
      const char *id = json_object_get_string_member (entity, "_id");

      assert_int_equal (json_object_get_int_member (entity, "_updated"), i);
      assert_int_equal (id[0], i < 20000 ? 'b' : 'g');
    }
  after = call (f, "GET", "/api/datasets/big", READER, NULL, NULL);
  after_root = http_api_response_json (after);
  assert_int_equal (json_object_get_int_member (get_object (after_root), "version_count"), 25000);
}

/* The server stops while a client is in the middle of a long response: the stream's worker is
 * waited for, nothing leaks. */
static void
test_stop_while_streaming (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();
  g_autofree char *url = NULL;
  Pause pause = { 0 };
  Background background = { 0 };
  g_autoptr (HttpApiResponse) response = NULL;
  GThread *thread;

  start (f, config, NULL);
  run_pipe (f, "fill");
  thread = start_paused_reader (f, &pause, &background, &url);
  g_clear_pointer (&f->server, sluice_http_server_free);
  release_reader (thread, &pause, &background);
  response = background.response;
  /* The response was cut: the client has a transport error or an array that does not close. */
  assert_true (response->error != NULL
               || !g_str_has_suffix (http_api_response_text (response), "]"));
}

/* ---- connections --------------------------------------------------------------------------- */

/* The server keeps answering however many connections its clients open and close, because each
 * closed connection gives its socket back: libsoup 3.2 kept every keep-alive connection its
 * client had closed, until the process ran out of descriptors and stopped answering
 * (core/http-api/sluice-http-keepalive.c closes them).  Raw clients (raw-http-client.h) on a thread
 * of their own make the connections; the server's descriptors are this process's.
 *
 * The figure is 20,000 connections; that is what the normal build makes (a few seconds).
 * Under the sanitizer every allocation's stack is unwound the slow way (http-api-client.c asks
 * for it, so that LeakSanitizer can match its suppressions inside GLib), and a connection costs
 * some 7 ms of CPU instead of under half a millisecond: there, 2,000 connections (each of which
 * left a descriptor behind before the fix) keep the test within a minute.  A TLS connection
 * costs a few milliseconds (the handshake), and close to a second under the sanitizer, which
 * unwinds each of GnuTLS's allocations: a few hundred connections, and 25 there, show a leak as
 * well as 20,000 would. */
#if defined(__SANITIZE_ADDRESS__)
#define SHORT_CONNECTIONS 2000
#define TLS_CONNECTIONS 25
#else
#define SHORT_CONNECTIONS 20000
#define TLS_CONNECTIONS 300
#endif
/* Descriptors the process may open on its own meanwhile (none are expected). */
#define FD_SLACK 4

typedef struct _Clients Clients;
typedef gboolean (*ClientsFunc) (Clients *clients, GError **error);

struct _Clients
{
  guint port;
  gboolean tls;
  ClientsFunc func;
  gint count;    /* connections to make */
  gint made;     /* connections made */
  GError *error; /* why the clients stopped early */
  gint done;
};

static gpointer
clients_thread (gpointer data)
{
  Clients *clients = data;

  clients->func (clients, &clients->error);
  g_atomic_int_set (&clients->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* Runs @func on a client thread while the server answers on this one; fails the test with the
 * clients' error, naming how many connections they made.  Every read and write of the clients
 * times out (raw-http-client.h), so they always end. */
static void
run_clients (Fixture *f, ClientsFunc func, gint count)
{
  Clients clients = {
    .port = sluice_http_server_get_port (f->server),
    .tls = g_str_has_prefix (f->base, "https:"),
    .func = func,
    .count = count,
  };
  GThread *thread = g_thread_new ("clients", clients_thread, &clients);

  while (!g_atomic_int_get (&clients.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  if (clients.error != NULL)
    {
      g_autofree char *message = g_strdup (clients.error->message);

      g_clear_error (&clients.error);
      fail_msg ("connection %d of %d: %s (%u descriptors open)", clients.made + 1, count, message,
                raw_http_count_fds (0));
    }
}

static gboolean
fds_back (gpointer data)
{
  return raw_http_count_fds (0) <= GPOINTER_TO_UINT (data) + FD_SLACK;
}

/* Iterates the main context until the process has at most @before + FD_SLACK descriptors open;
 * fails the test when it still has more after a while (the connections' sockets stayed open). */
static void
expect_fds_back (guint before, guint connections, const char *what)
{
  guint now;

  if (http_api_iterate_until (fds_back, GUINT_TO_POINTER (before), 30))
    return;
  now = raw_http_count_fds (0);
  fail_msg ("after %u %s closed by the client, the process has %u descriptors open, %u more "
            "than before: the server kept their sockets", connections, what, now, now - before);
}

/* One GET /api/health per connection, then the client closes it. */
static gboolean
short_connections (Clients *clients, GError **error)
{
  for (; clients->made < clients->count; g_atomic_int_inc (&clients->made))
    {
      g_autoptr (RawHttp) raw = raw_http_connect (clients->port, clients->tls, error);

      if (raw == NULL || !raw_http_get (raw, "/api/health", NULL, NULL, error))
        return FALSE;
    }
  return TRUE;
}

/* Makes @count connections with @func and expects the server's descriptors back where they were
 * after a first connection (what that one opens for good, TLS, is counted before). */
static void
expect_connections_give_back_fds (Fixture *f, ClientsFunc func, gint count, const char *what)
{
  guint before;

  run_clients (f, short_connections, 1);
  before = raw_http_count_fds (0);
  run_clients (f, func, count);
  expect_fds_back (before, count, what);
}

static void
test_closed_connections (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();

  start (f, config, NULL);
  expect_connections_give_back_fds (f, short_connections, SHORT_CONNECTIONS, "connections");
}

static void
test_closed_connections_tls (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();

  start_tls (f, config);
  expect_connections_give_back_fds (f, short_connections, TLS_CONNECTIONS, "TLS connections");
}

/* FALSE with @error unless @body contains @part (client threads do not use cmocka's asserts). */
static gboolean
expect_in (const char *what, const char *body, const char *part, GError **error)
{
  if (strstr (body, part) != NULL)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: expected %s in '%s'", what, part, body);
  return FALSE;
}

/* Requests one after the other on one connection, a streamed dataset read among them; then two
 * pipelined requests in one write and the end of the client's side before their responses: both
 * are answered, then the server closes the connection. */
static gboolean
keepalive_connection (Clients *clients, GError **error)
{
  g_autoptr (RawHttp) raw = raw_http_connect (clients->port, clients->tls, error);
  guint status;
  g_autofree char *pipe = NULL;
  g_autofree char *health = NULL;

  if (raw == NULL)
    return FALSE;
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *body = NULL;

      if (!raw_http_get (raw, "/api/health", NULL, &body, error)
          || !expect_in ("GET /api/health", body, "{\"status\":\"ok\"}", error))
        return FALSE;
      if (i % 5 == 0)
        {
          g_autofree char *read = NULL;

          if (!raw_http_get (raw, "/api/datasets/letters/entities", READER, &read, error)
              || !expect_in ("the dataset read", read, "\"_id\":\"A\"", error)
              || !expect_in ("the dataset read", read, "\"_id\":\"Z\"", error))
            return FALSE;
        }
    }
  if (!raw_http_write (raw,
                       "GET /api/pipes/letters HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Authorization: Bearer " OPS "\r\n\r\n"
                       "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                       error))
    return FALSE;
  if (!raw_http_shutdown_write (raw, error))
    return FALSE;
  if (!raw_http_read_response (raw, &status, &pipe, error)
      || !expect_in ("the first pipelined response", pipe, "\"_id\":\"letters\"", error)
      || !raw_http_read_response (raw, &status, &health, error)
      || !expect_in ("the second pipelined response", health, "{\"status\":\"ok\"}", error))
    return FALSE;
  return raw_http_wait_for_close (raw, error);
}

static void
test_keepalive (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();

  start (f, config, NULL);
  run_pipe (f, "letters");
  expect_connections_give_back_fds (f, keepalive_connection, 1, "keep-alive connection");
}

static void
test_keepalive_tls (void **state)
{
  Fixture *f = *state;
  g_autofree char *config = standard_config ();

  start_tls (f, config);
  run_pipe (f, "letters");
  expect_connections_give_back_fds (f, keepalive_connection, 1, "keep-alive TLS connection");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_json_pull_since_limit, setup, teardown),
    cmocka_unit_test_setup_teardown (test_dataset_requests, setup, teardown),
    cmocka_unit_test_setup_teardown (test_unauthorized, setup, teardown),
    cmocka_unit_test_setup_teardown (test_forbidden, setup, teardown),
    cmocka_unit_test_setup_teardown (test_limited_token_cannot_probe, setup, teardown),
    cmocka_unit_test_setup_teardown (test_public_read, setup, teardown),
    cmocka_unit_test_setup_teardown (test_tokens_follow_reload, setup, teardown),
    cmocka_unit_test_setup_teardown (test_no_tokens_configured, setup, teardown),
    cmocka_unit_test_setup_teardown (test_bad_addresses, setup, teardown),
    cmocka_unit_test_setup_teardown (test_pump_operations, setup, teardown),
    cmocka_unit_test_setup_teardown (test_conflicts, setup, teardown),
    cmocka_unit_test_setup_teardown (test_circuit_breaker, setup, teardown),
    cmocka_unit_test_setup_teardown (test_body_limit, setup, teardown),
    cmocka_unit_test_setup_teardown (test_malformed_json, setup, teardown),
    cmocka_unit_test_setup_teardown (test_deep_json_body, setup, teardown),
    cmocka_unit_test_setup_teardown (test_deep_last_seen, setup, teardown),
    cmocka_unit_test_setup_teardown (test_json_field_numbers, setup, teardown),
    cmocka_unit_test_setup_teardown (test_routing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_path_decoded_once, setup, teardown),
    cmocka_unit_test_setup_teardown (test_metrics, setup, teardown),
    cmocka_unit_test_setup_teardown (test_tls, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stream_while_writing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stop_while_streaming, setup, teardown),
    cmocka_unit_test_setup_teardown (test_closed_connections, setup, teardown),
    cmocka_unit_test_setup_teardown (test_closed_connections_tls, setup, teardown),
    cmocka_unit_test_setup_teardown (test_keepalive, setup, teardown),
    cmocka_unit_test_setup_teardown (test_keepalive_tls, setup, teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
