/* test-pipe-push.c — receivers in-process (core/endpoints/sluice-pipe-push.c): digest Appendix B1 replayed
 * through a receiver pipe (offsets, `_previous`, deletion detection at the end of a full sync),
 * a malformed body or a non-entity writes nothing, a broken sequence deletes nothing, transforms
 * run on pushed entities, `auto_populate_dataset`, number options, an `embedded` entity equal to
 * the same one pushed, and pipes that are not receivers.  Every test runs twice: as is, and with
 * every push committed in held parts (a part per entity: parts of 1 byte and batches of 1), which
 * must give the same results, a rollback of the committed parts included (docs/http-endpoints.md,
 * "Large pushes").
 *
 * Plugins come from the build tree: sluice-basic.so, sluice-dataset.so, sluice-dtl.so (through
 * the engine fixture) and sluice-endpoint.so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine-fixture.h"
#include "sluice-http-status.h"
#include "sluice-pipe-push.h"
#include "sluice-store.h"

typedef EngineFixture Fixture;

static int
setup (void **state)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  Fixture *f;

  engine_fixture_setup (state);
  f = *state;
  path = g_build_filename (g_getenv ("SLUICE_TEST_BUILDDIR"), "plugins", "sluice-endpoint.so",
                           NULL);
  if (!sluice_registry_load_file (f->registry, path, &error))
    fail_msg ("%s", error->message);
  return 0;
}

#define B1_PIPE                                                                                  \
  "{\"_id\": \"myendpoint\", \"type\": \"pipe\", \"source\": {\"type\": \"http_endpoint\"%s},"   \
  " \"sink\": {\"type\": \"dataset\", \"dataset\": \"mydataset\"}%s}"

/* The second run: every push in parts (sluice_pipe_push_set_part_bytes ()). */
static gsize part_bytes;

static SluicePipePush *
build_receiver (Fixture *f, const char *source_extra, const char *pipe_extra)
{
  g_autofree char *extra = g_strconcat (pipe_extra, part_bytes > 0 ? ", \"batch_size\": 1" : "",
                                        NULL);
  g_autofree char *json = g_strdup_printf (B1_PIPE, source_extra, extra);
  g_autoptr (GError) error = NULL;
  SluicePipePush *push;

  engine_fixture_build (f, json);
  push = sluice_pipe_push_new (f->engine, "myendpoint", &error);
  if (push == NULL)
    fail_msg ("%s", error->message);
  if (part_bytes > 0)
    sluice_pipe_push_set_part_bytes (push, part_bytes);
  return push;
}

/* Every version of @dataset from offset @from on, as "[_id, _updated, _previous, _deleted]"
 * tuples (digest Appendix B's tuple format), "null" for no previous version. */
static char *
versions_from (Fixture *f, const char *dataset, gint64 from)
{
  SluiceStoreQuery query = { .dataset = dataset, .since = from - 1, .history = TRUE,
                             .deleted = TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreCursor) cursor = sluice_store_backend_read (f->store, &query, &error);
  GString *out = g_string_new (NULL);
  SluiceEntity *entity;

  if (cursor == NULL)
    return g_string_free (out, FALSE);
  while ((entity = sluice_store_cursor_next_entity (cursor, dataset, &error)) != NULL)
    {
      gint64 previous = sluice_entity_get_previous (entity);
      g_autofree char *previous_text
        = previous < 0 ? g_strdup ("null") : g_strdup_printf ("%" G_GINT64_FORMAT, previous);

      g_string_append_printf (out, "%s[\"%s\",%" G_GINT64_FORMAT ",%s,%s]",
                              out->len > 0 ? "," : "", sluice_entity_get_id (entity),
                              sluice_entity_get_offset (entity), previous_text,
                              sluice_entity_is_deleted (entity) ? "true" : "false");
      sluice_entity_unref (entity);
    }
  assert_null (error);
  return g_string_free (out, FALSE);
}

/* Pushes @body with the query "k=v&k=v" (NULL or "" for none); returns the error or NULL. */
static GError *
try_push (SluicePipePush *push, const char *params, const char *body, SluicePushStats *ret_stats)
{
  g_autoptr (GHashTable) query = params != NULL && params[0] != '\0'
                                   ? g_uri_parse_params (params, -1, "&", G_URI_PARAMS_NONE, NULL)
                                   : NULL;
  SluicePushRequest request = { 0 };
  GError *error = NULL;

  if (sluice_push_request_parse (query, &request, &error))
    sluice_pipe_push_json (push, &request, body, strlen (body), ret_stats, &error);
  return error;
}

static void
push_ok (SluicePipePush *push, const char *params, const char *body)
{
  g_autoptr (GError) error = try_push (push, params, body, NULL);

  if (error != NULL)
    fail_msg ("push %s %s: %s", params, body, error->message);
}

static void
push_refused (SluicePipePush *push, const char *params, const char *body, guint status,
              const char *message)
{
  g_autoptr (GError) error = try_push (push, params, body, NULL);

  assert_non_null (error);
  assert_int_equal (sluice_http_error_status (error), status);
  assert_string_equal (error->message, message);
}

/* Checks the versions appended since the last check. */
static void
expect_new (Fixture *f, gint64 *next, const char *expected)
{
  g_autofree char *got = versions_from (f, "mydataset", *next);
  g_autoptr (SluiceDatasetInfo) info = engine_fixture_dataset_info (f, "mydataset");

  assert_string_equal (got, expected);
  *next = info->next_offset;
}

/* Appendix B1, step by step. */
static void
test_b1_json_push_full_sync (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePipePush) push = build_receiver (f, "", "");
  g_autoptr (SluiceDatasetInfo) info = NULL;
  gint64 next = 0;

  push_ok (push, NULL, "[{\"_id\":\"a\",\"name\":\"A\"},{\"_id\":\"b\",\"name\":\"B\"}]");
  expect_new (f, &next, "[\"a\",0,null,false],[\"b\",1,null,false]");
  push_ok (push, "is_full=true&sequence_id=1&request_id=1&is_first=true",
           "[{\"_id\":\"b\",\"name\":\"B\"}]");
  expect_new (f, &next, "");
  push_ok (push, "is_full=true&sequence_id=1&request_id=2&previous_request_id=1",
           "[{\"_id\":\"a\",\"name\":\"A (updated)\"},{\"_id\":\"c\",\"name\":\"C\"}]");
  expect_new (f, &next, "[\"a\",2,0,false],[\"c\",3,null,false]");
  push_ok (push, "is_full=true&sequence_id=1&request_id=3&previous_request_id=2&is_last=true",
           "[{\"_id\":\"d\",\"name\":\"D\"}]");
  expect_new (f, &next, "[\"d\",4,null,false]");
  push_ok (push, "is_full=true&sequence_id=2&request_id=1&is_first=true",
           "[{\"_id\":\"a\",\"name\":\"A\"},{\"_id\":\"b\",\"name\":\"B\"}]");
  expect_new (f, &next, "[\"a\",5,2,false]");
  push_ok (push, "is_full=true&sequence_id=2&request_id=2&previous_request_id=1&is_last=true",
           "[{\"_id\":\"d\",\"name\":\"D\"}]");
  expect_new (f, &next, "[\"c\",6,3,true]");

  /* The deleted version keeps name 'C'. */
  {
    g_autofree char *dump = engine_fixture_dump (f, "mydataset", FALSE);

    assert_non_null (strstr (dump, "6 {\"_id\":\"c\",\"name\":\"C\",\"_deleted\":true}\n"));
  }
  info = engine_fixture_dataset_info (f, "mydataset");
  assert_true (info->populated);
  assert_int_equal (info->entity_count, 3);
}

/* A body that does not parse, or holds a value that is not an entity, writes nothing; the
 * sequence in progress goes on. */
static void
test_malformed_body_writes_nothing (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePipePush) push = build_receiver (f, "", "");
  g_autoptr (SluiceStoreTxn) txn = NULL;
  g_autofree char *after = NULL;

  push_ok (push, "is_full=true&sequence_id=s&request_id=1&is_first=true",
           "[{\"_id\":\"a\"}]");
  push_refused (push, "is_full=true&sequence_id=s&request_id=2&previous_request_id=1",
                "[{\"_id\":\"b\"},{\"_id\":\"c\",}]", 400,
                "the body is not valid JSON: byte 24: expected a string key after ',', got '}'");
  push_refused (push, "is_full=true&sequence_id=s&request_id=2&previous_request_id=1",
                "[{\"_id\":\"b\"},{\"_id\":\"c\"},{\"name\":\"no id\"}]", 400,
                "body entity /2: entity has no \"_id\": expected a string \"_id\"");
  push_refused (push, NULL, "{\"_id\": 7}", 400,
                "the body (value 1): entity \"_id\" has type integer, expected a string");
  push_refused (push, NULL, "[{\"_id\":\"b\"}", 400,
                "the body is not valid JSON: byte 12: truncated input: unterminated array "
                "starting at byte 0");
  after = versions_from (f, "mydataset", 0);
  assert_string_equal (after, "[\"a\",0,null,false]");
  /* The full sync was not broken by the bad bodies: it ends, and nothing else was seen. */
  push_ok (push, "is_full=true&sequence_id=s&request_id=2&previous_request_id=1&is_last=true",
           "[]");
  g_free (after);
  after = versions_from (f, "mydataset", 0);
  assert_string_equal (after, "[\"a\",0,null,false]");
}

/* A conflict aborts the full sync in progress: its end never comes, so nothing is deleted; a new
 * sequence deletes what it did not see. */
static void
test_broken_sequence_deletes_nothing (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePipePush) push = build_receiver (f, "", "");
  g_autofree char *log = NULL;

  push_ok (push, NULL, "[{\"_id\":\"a\"},{\"_id\":\"b\"},{\"_id\":\"c\"}]");
  push_ok (push, "is_full=true&sequence_id=s&request_id=1&is_first=true", "[{\"_id\":\"a\"}]");
  push_refused (push, "is_full=true&sequence_id=s&request_id=3&previous_request_id=2&is_last=true",
                "[]", 409,
                "pipe 'myendpoint': previous_request_id '2' does not match the previous request "
                "of sequence 's', whose request_id was '1'; the full sync is aborted");
  push_refused (push, "is_full=true&sequence_id=s&request_id=2&previous_request_id=1&is_last=true",
                "[]", 409,
                "pipe 'myendpoint': sequence_id 's' is not a full sync in progress: it has ended "
                "(its is_last request came, it was replaced by a newer sequence, or a conflict "
                "broke it); restart the full sync with a new sequence_id");
  log = versions_from (f, "mydataset", 0);
  assert_string_equal (log, "[\"a\",0,null,false],[\"b\",1,null,false],[\"c\",2,null,false]");

  /* A replaced sequence deletes nothing either; the one that replaced it does. */
  push_ok (push, "is_full=true&sequence_id=t&request_id=1&is_first=true", "[{\"_id\":\"a\"}]");
  push_ok (push, "is_full=true&sequence_id=u&request_id=1&is_first=true", "[{\"_id\":\"b\"}]");
  push_ok (push, "is_full=true&sequence_id=u&request_id=2&previous_request_id=1&is_last=true",
           "[]");
  g_free (log);
  log = versions_from (f, "mydataset", 3);
  assert_string_equal (log, "[\"a\",3,0,true],[\"c\",4,2,true]");
}

/* A sender whose receiver was rebuilt (sluiced restarted or reloaded) in the middle of a full
 * sync gets a 409, and nothing is deleted. */
static void
test_restart_mid_sequence (void **state)
{
  Fixture *f = *state;
  SluicePipePush *push = build_receiver (f, "", "");
  g_autofree char *log = NULL;

  push_ok (push, NULL, "[{\"_id\":\"a\"},{\"_id\":\"b\"}]");
  push_ok (push, "is_full=true&sequence_id=s&request_id=1&is_first=true", "[{\"_id\":\"a\"}]");
  sluice_pipe_push_unref (push);
  push = build_receiver (f, "", "");
  push_refused (push, "is_full=true&sequence_id=s&request_id=2&previous_request_id=1&is_last=true",
                "[]", 409,
                "pipe 'myendpoint': sequence_id 's' is not a full sync in progress: it never "
                "started here (a full sync starts with is_first=true), or sluiced restarted "
                "since it began; restart the full sync with a new sequence_id");
  log = versions_from (f, "mydataset", 0);
  assert_string_equal (log, "[\"a\",0,null,false],[\"b\",1,null,false]");
  sluice_pipe_push_unref (push);
}

/* Pushed entities go through the transforms; filtered ones delete in the dataset sink. */
static void
test_transforms (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePipePush) push = build_receiver (
    f, "",
    ", \"transform\": {\"type\": \"dtl\", \"rules\": {\"default\": ["
    "[\"filter\", [\"gt\", \"_S.age\", 17]], [\"copy\", \"_id\"],"
    " [\"add\", \"adult\", true], [\"add\", \"age\", \"_S.age\"]]}}");
  SluicePushStats stats = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *dump = NULL;

  error = try_push (push, NULL, "[{\"_id\":\"x\",\"age\":40},{\"_id\":\"y\",\"age\":30}]", &stats);
  assert_null (error);
  assert_int_equal (stats.received, 2);
  assert_int_equal (stats.written, 2);
  assert_int_equal (stats.changes, 2);
  push_ok (push, NULL, "{\"_id\":\"y\",\"age\":12}");
  dump = engine_fixture_dump (f, "mydataset", TRUE);
  assert_string_equal (dump, "0 {\"_id\":\"x\",\"adult\":true,\"age\":40}\n"
                             "1 {\"_id\":\"y\",\"adult\":true,\"age\":30}\n"
                             "2 {\"_id\":\"y\",\"_deleted\":true}\n");
}

/* A transform that fails fails the push, naming it; nothing is written. */
static void
test_transform_failure (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePipePush) push = build_receiver (
    f, "",
    ", \"transform\": {\"type\": \"dtl\", \"rules\": {\"default\": ["
    "[\"if\", [\"eq\", \"_S._id\", \"bad\"], [\"fail!\", \"bad entity\"]], [\"copy\", \"*\"]]}}");
  g_autoptr (GError) error = NULL;
  g_autofree char *log = NULL;

  error = try_push (push, NULL, "[{\"_id\":\"ok\"},{\"_id\":\"bad\"}]", NULL);
  assert_non_null (error);
  assert_int_equal (sluice_http_error_status (error), 500);
  assert_non_null (strstr (error->message, "/transform (type 'dtl') failed: "));
  assert_non_null (strstr (error->message, "bad entity"));
  log = versions_from (f, "mydataset", 0);
  assert_string_equal (log, "");
}

/* auto_populate_dataset (default true) marks the dataset populated with the first push. */
static void
test_auto_populate (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePipePush) push = build_receiver (f, "", "");
  g_autoptr (SluiceDatasetInfo) info = NULL;

  push_ok (push, NULL, "{\"_id\":\"a\"}");
  info = engine_fixture_dataset_info (f, "mydataset");
  assert_true (info->populated);
}

/* With auto_populate_dataset false, incremental pushes leave the dataset unpopulated; the end of
 * the first full sync populates it. */
static void
test_not_populated_until_full_sync (void **state)
{
  Fixture *f = *state;
  g_autofree char *json = NULL;
  g_autoptr (SluicePipePush) push = NULL;
  g_autoptr (GError) error = NULL;
  SluiceDatasetInfo *info;

  json = g_strdup_printf (
    "{\"_id\": \"r\", \"type\": \"pipe\", \"source\": {\"type\": \"http_endpoint\","
    " \"auto_populate_dataset\": false}, \"sink\": {\"type\": \"dataset\", \"dataset\": \"out\"}}");
  engine_fixture_build (f, json);
  push = sluice_pipe_push_new (f->engine, "r", &error);
  assert_non_null (push);
  push_ok (push, NULL, "{\"_id\":\"a\"}");
  info = engine_fixture_dataset_info (f, "out");
  assert_false (info->populated);
  sluice_dataset_info_free (info);
  push_ok (push, "is_full=true&sequence_id=s&request_id=1&is_first=true", "{\"_id\":\"a\"}");
  info = engine_fixture_dataset_info (f, "out");
  assert_false (info->populated);
  sluice_dataset_info_free (info);
  push_ok (push, "is_full=true&sequence_id=s&request_id=2&previous_request_id=1&is_last=true",
           "[]");
  info = engine_fixture_dataset_info (f, "out");
  assert_true (info->populated);
  sluice_dataset_info_free (info);
}

/* do_float_as_decimal and do_float_as_int. */
static void
test_number_options (void **state)
{
  Fixture *f = *state;
  SluicePipePush *push = build_receiver (f, "", "");
  g_autofree char *dump = NULL;

  push_ok (push, NULL, "{\"_id\":\"a\",\"x\":1.5,\"y\":2.0}");
  sluice_pipe_push_unref (push);
  push = build_receiver (f, ", \"do_float_as_decimal\": false, \"do_float_as_int\": false", "");
  push_ok (push, NULL, "{\"_id\":\"b\",\"x\":1.5,\"y\":2.0}");
  sluice_pipe_push_unref (push);
  dump = engine_fixture_dump (f, "mydataset", TRUE);
  assert_string_equal (dump, "0 {\"_id\":\"a\",\"x\":\"~f1.5\",\"y\":2}\n"
                             "1 {\"_id\":\"b\",\"x\":1.5,\"y\":2.0}\n");
}

/* The same entity text in an `embedded` source and pushed to a receiver with its default options
 * gives the same entity: numbers in configuration are kept as written and read as the data plane
 * reads them (docs/configuration.md, "Numbers"). */
static void
test_embedded_as_pushed (void **state)
{
  Fixture *f = *state;
  const char *entity
    = "{\"_id\":\"a\",\"tenth\":0.1,\"exact\":12345678901234567890.5,"
      "\"big\":12345678901234567890,\"two\":2.0,\"zeros\":2.50,\"negative_zero\":-0.0,"
      "\"exponent\":1.5e3,\"fraction_exponent\":15e-2,\"huge\":1e400,\"tiny\":1e-400,"
      "\"nested\":{\"list\":[0.1,1,2.0,{\"x\":-7.25}]},\"control\":\"a\\u001fb\"}";
  g_autofree char *json = g_strdup_printf (
    "[{\"_id\": \"myendpoint\", \"type\": \"pipe\", \"source\": {\"type\": \"http_endpoint\"},"
    "  \"sink\": {\"type\": \"dataset\", \"dataset\": \"pushed\"}},"
    " {\"_id\": \"inline\", \"type\": \"pipe\","
    "  \"source\": {\"type\": \"embedded\", \"entities\": [%s]}}]",
    entity);
  g_autoptr (SluicePipePush) push = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *pushed = NULL;
  g_autofree char *embedded = NULL;

  engine_fixture_build (f, json);
  push = sluice_pipe_push_new (f->engine, "myendpoint", &error);
  if (push == NULL)
    fail_msg ("%s", error->message);
  push_ok (push, NULL, entity);
  sluice_run_stats_free (engine_fixture_run (f, "inline", SLUICE_RUN_TYPE_FULL, TRUE));
  pushed = engine_fixture_dump (f, "pushed", TRUE);
  embedded = engine_fixture_dump (f, "inline", TRUE);
  assert_string_equal (embedded, pushed);
  /* Exactly, for the forms without an exponent.  With an exponent the value is whatever the
   * reader makes of it (1e-400 is the integer 0 while FLOAT_AS_INT decides on a double), the
   * same for both. */
  assert_non_null (strstr (embedded, "\"tenth\":\"~f0.1\",\"exact\":\"~f12345678901234567890.5\","
                                     "\"big\":12345678901234567890,\"two\":2,\"zeros\":\"~f2.50\""));
  assert_non_null (strstr (embedded, "\"list\":[\"~f0.1\",1,2,{\"x\":\"~f-7.25\"}]"));
}

/* Only a pipe with a receiver source takes pushes. */
static void
test_not_a_receiver (void **state)
{
  Fixture *f = *state;
  g_autoptr (GError) error = NULL;

  engine_fixture_build (f, "{\"_id\": \"p\", \"type\": \"pipe\", \"source\": {\"type\": "
                           "\"embedded\", \"entities\": []}, \"sink\": {\"type\": \"null\"}}");
  assert_null (sluice_pipe_push_new (f->engine, "p", &error));
  assert_true (g_error_matches (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_NOT_RECEIVER));
  assert_int_equal (sluice_http_error_status (error), 404);
  assert_string_equal (error->message,
                       "pipe 'p' does not receive entities: its source (type 'embedded') is read "
                       "by runs; only a pipe with a receiver source such as 'http_endpoint' "
                       "accepts pushes");
  g_clear_error (&error);
  assert_null (sluice_pipe_push_new (f->engine, "nope", &error));
  assert_true (g_error_matches (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_NOT_FOUND));
  assert_string_equal (error->message, "no pipe 'nope'");
}

/* The pipe state counts what receivers took. */
static void
test_counters (void **state)
{
  Fixture *f = *state;
  g_autoptr (SluicePipePush) push = build_receiver (f, "", "");
  g_auto (SluicePipeState) pipe_state = { 0 };

  push_ok (push, NULL, "[{\"_id\":\"a\"},{\"_id\":\"b\"}]");
  push_ok (push, NULL, "[{\"_id\":\"c\"}]");
  assert_true (sluice_store_backend_get_pipe_state (f->store, "myendpoint", &pipe_state, NULL));
  assert_int_equal (pipe_state.entities_read, 3);
  assert_int_equal (pipe_state.entities_written, 3);
  assert_int_equal (pipe_state.runs, 2);
  assert_null (pipe_state.since);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_b1_json_push_full_sync, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_malformed_body_writes_nothing, setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_broken_sequence_deletes_nothing, setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_restart_mid_sequence, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_transforms, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_transform_failure, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_auto_populate, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_not_populated_until_full_sync, setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_number_options, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_embedded_as_pushed, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_not_a_receiver, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_counters, setup, engine_fixture_teardown),
  };

  int failed = cmocka_run_group_tests_name ("one transaction per push", tests, NULL, NULL);

  part_bytes = 1;
  failed += cmocka_run_group_tests_name ("pushes in held parts", tests, NULL, NULL);
  return failed;
}
