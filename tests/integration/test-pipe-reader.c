/* test-pipe-reader.c — a pipe read through its transforms outside any run
 * (core/endpoints/sluice-pipe-reader.c), as publishers and previews do: offsets kept through the
 * transforms so that `since` continues a read, values bound to `_B`, filtered entities marked,
 * transforms with side effects refused, and pipes with an `http_endpoint` element never run.
 *
 * Plugins come from the build tree: sluice-basic.so, sluice-dataset.so, sluice-dtl.so (through
 * the engine fixture) and sluice-endpoint.so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine-fixture.h"
#include "sluice-pipe-reader.h"

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
  engine_fixture_append (f, "people", 0, 5, "v");
  return 0;
}

/* A publisher of dataset "people" with @transform (JSON text, or "" for none). */
static SluicePipe *
build_publisher (Fixture *f, const char *transform)
{
  g_autofree char *json = g_strdup_printf (
    "{\"_id\": \"pub\", \"type\": \"pipe\", \"source\": {\"type\": \"dataset\", \"dataset\": "
    "\"people\"}%s%s, \"sink\": {\"type\": \"http_endpoint\"}}",
    transform[0] != '\0' ? ", \"transform\": " : "", transform);

  engine_fixture_build (f, json);
  return sluice_engine_lookup_pipe (f->engine, "pub");
}

/* Everything the reader gives, one "<_updated> <JSON>" line per entity (without `_ts`). */
static char *
read_all (SluicePipe *pipe, const char *since, const char *bound_json)
{
  g_autoptr (SluiceValue) bound
    = bound_json != NULL ? sluice_value_from_json (bound_json, -1, NULL) : NULL;
  SluicePipeReaderOptions options = { .since = since, .bound = bound };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluicePipeReader) reader = sluice_pipe_reader_new (pipe, &options, &error);
  GString *out = g_string_new (NULL);
  SluiceFlow flow;

  if (reader == NULL)
    fail_msg ("%s", error->message);
  do
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();

      flow = sluice_pipe_reader_read (reader, batch, 2, &error);
      if (flow == SLUICE_FLOW_ERROR)
        fail_msg ("%s", error->message);
      for (size_t i = 0; i < sluice_batch_get_length (batch); i++)
        {
          SluiceEntity *entity = sluice_batch_get (batch, i);
          g_autofree char *body = sluice_value_to_json (sluice_entity_get_body (entity));

          g_string_append_printf (out, "%" G_GINT64_FORMAT " %s\n",
                                  sluice_entity_get_offset (entity), body);
        }
    }
  while (flow == SLUICE_FLOW_OK);
  return g_string_free (out, FALSE);
}

/* Without transforms the dataset's entities pass as they are; since reads after an offset. */
static void
test_no_transform (void **state)
{
  Fixture *f = *state;
  SluicePipe *pipe = build_publisher (f, "");
  g_autofree char *all = read_all (pipe, NULL, NULL);
  g_autofree char *after = read_all (pipe, "2", NULL);
  SluicePipeReaderOptions options = { 0 };
  g_autoptr (SluicePipeReader) reader = sluice_pipe_reader_new (pipe, &options, NULL);

  assert_string_equal (all, "0 {\"_id\":\"e0\",\"n\":0,\"value\":\"v\"}\n"
                            "1 {\"_id\":\"e1\",\"n\":1,\"value\":\"v\"}\n"
                            "2 {\"_id\":\"e2\",\"n\":2,\"value\":\"v\"}\n"
                            "3 {\"_id\":\"e3\",\"n\":3,\"value\":\"v\"}\n"
                            "4 {\"_id\":\"e4\",\"n\":4,\"value\":\"v\"}\n");
  assert_string_equal (after, "3 {\"_id\":\"e3\",\"n\":3,\"value\":\"v\"}\n"
                              "4 {\"_id\":\"e4\",\"n\":4,\"value\":\"v\"}\n");
  assert_false (sluice_pipe_reader_is_filtered (reader));
}

/* With a DTL transform: its output keeps the source entity's offset, `_B` holds the bound
 * values, and filtered entities are marked. */
static void
test_dtl_bound_and_filtered (void **state)
{
  Fixture *f = *state;
  SluicePipe *pipe = build_publisher (
    f, "{\"type\": \"dtl\", \"rules\": {\"default\": ["
       "[\"filter\", [\"neq\", \"_S.n\", 2]], [\"copy\", \"_id\"],"
       " [\"add\", \"n\", \"_S.n\"], [\"add\", \"who\", \"_B.who\"]]}}");
  g_autofree char *all = read_all (pipe, "0", "{\"who\": \"ann\"}");
  g_autofree char *unbound = read_all (pipe, "3", NULL);
  SluicePipeReaderOptions options = { 0 };
  g_autoptr (SluicePipeReader) reader = sluice_pipe_reader_new (pipe, &options, NULL);

  assert_string_equal (all, "1 {\"_id\":\"e1\",\"n\":1,\"who\":\"ann\"}\n"
                            "2 {\"_id\":\"e2\",\"_filtered\":true}\n"
                            "3 {\"_id\":\"e3\",\"n\":3,\"who\":\"ann\"}\n"
                            "4 {\"_id\":\"e4\",\"n\":4,\"who\":\"ann\"}\n");
  assert_string_equal (unbound, "4 {\"_id\":\"e4\",\"n\":4,\"who\":null}\n");
  assert_true (sluice_pipe_reader_is_filtered (reader));
}

/* A transform with side effects is refused when asked (previews). */
static void
test_side_effects_refused (void **state)
{
  Fixture *f = *state;
  g_autofree char *path = g_build_filename (g_getenv ("SLUICE_TEST_BUILDDIR"), "plugins",
                                             "sluice-http.so", NULL);
  SluicePipeReaderOptions options = { .refuse_side_effects = TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluicePipeReader) reader = NULL;
  g_autofree char *all = NULL;
  SluicePipe *pipe;

  if (!sluice_registry_load_file (f->registry, path, &error))
    fail_msg ("%s", error->message);
  engine_fixture_build (
    f, "[{\"_id\": \"svc\", \"type\": \"system:url\", \"url_pattern\": "
       "\"http://127.0.0.1:9/%s\"},"
       " {\"_id\": \"pub\", \"type\": \"pipe\", \"source\": {\"type\": \"dataset\", "
       "\"dataset\": \"people\"}, \"transform\": [{\"type\": \"dtl\", \"rules\": "
       "{\"default\": [[\"copy\", \"*\"]]}}, {\"type\": \"http\", \"system\": \"svc\"}],"
       " \"sink\": {\"type\": \"http_endpoint\"}}]");
  pipe = sluice_engine_lookup_pipe (f->engine, "pub");
  reader = sluice_pipe_reader_new (pipe, &options, &error);

  assert_null (reader);
  assert_true (g_error_matches (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_NOT_SUPPORTED));
  assert_string_equal (error->message, "pipe 'pub': /transform/1 (type 'http') has side "
                                       "effects, so it is not run outside the pipe's runs");
  /* A publisher does run them; here the service is not there. */
  options.refuse_side_effects = FALSE;
  g_clear_error (&error);
  g_clear_pointer (&reader, sluice_pipe_reader_free);
  reader = sluice_pipe_reader_new (pipe, &options, &error);
  assert_non_null (reader);
}

/* A source that cannot continue from an offset itself is read from the start, and the reader
 * skips what is not after since; entities without `_updated` cannot be placed after it. */
static void
test_since_on_source_without_since (void **state)
{
  Fixture *f = *state;
  SluicePipe *pipe;
  g_autofree char *after = NULL;

  engine_fixture_build (
    f, "{\"_id\": \"pub\", \"type\": \"pipe\", \"source\": {\"type\": \"embedded\", "
       "\"entities\": [{\"_id\": \"a\", \"_updated\": 1}, {\"_id\": \"b\", \"_updated\": 3},"
       " {\"_id\": \"c\"}, {\"_id\": \"d\", \"_updated\": 2}]},"
       " \"transform\": {\"type\": \"dtl\", \"rules\": {\"default\": [[\"copy\", \"_id\"]]}},"
       " \"sink\": {\"type\": \"http_endpoint\"}}");
  pipe = sluice_engine_lookup_pipe (f->engine, "pub");
  after = read_all (pipe, "1", NULL);
  assert_string_equal (after, "-1 {\"_id\":\"b\",\"_updated\":3}\n"
                              "-1 {\"_id\":\"d\",\"_updated\":2}\n");
}

/* Offsets that are not JSON name themselves. */
static void
test_bad_since (void **state)
{
  Fixture *f = *state;
  SluicePipe *pipe = build_publisher (f, "");
  SluicePipeReaderOptions options = { .since = "abc" };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluicePipeReader) reader = sluice_pipe_reader_new (pipe, &options, &error);

  assert_null (reader);
  assert_non_null (strstr (error->message, "pipe 'pub': since 'abc' is not JSON: "));
}

/* Pipes with an http_endpoint source or sink are never run or scheduled. */
static void
test_never_pumped (void **state)
{
  Fixture *f = *state;
  SluicePipe *pipe = build_publisher (f, "");
  SluiceRunStats *stats = NULL;
  g_autoptr (GError) error = NULL;

  assert_false (sluice_pipe_is_pumped (pipe));
  assert_false (sluice_engine_pipe_is_enabled (f->engine, "pub"));
  assert_false (sluice_pipe_run_sync (pipe, SLUICE_RUN_TYPE_AUTO, NULL, &stats, &error));
  assert_null (stats);
  assert_true (g_error_matches (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_NOT_SUPPORTED));
  assert_string_equal (error->message, "pipe 'pub' is never run: its sink (type 'http_endpoint') "
                                       "is read at GET /api/publishers/pub/entities");
  g_clear_error (&error);

  engine_fixture_build (f, "{\"_id\": \"r\", \"type\": \"pipe\", \"source\": {\"type\": "
                           "\"http_endpoint\"}, \"sink\": {\"type\": \"dataset\"}}");
  pipe = sluice_engine_lookup_pipe (f->engine, "r");
  assert_false (sluice_pipe_is_pumped (pipe));
  assert_false (sluice_pipe_run_sync (pipe, SLUICE_RUN_TYPE_AUTO, NULL, NULL, &error));
  assert_string_equal (error->message,
                       "pipe 'r' is never run: its source (type 'http_endpoint') receives the "
                       "entities pushed to POST /api/receivers/r/entities");
}

/* Unknown options of the elements are configuration errors (trace, validation_expression are
 * not supported). */
static void
test_unknown_options (void **state)
{
  Fixture *f = *state;
  g_autofree char *problems = NULL;
  g_autoptr (GError) error = NULL;

  assert_false (engine_fixture_try_build (
    f,
    "{\"_id\": \"r\", \"type\": \"pipe\", \"source\": {\"type\": \"http_endpoint\", "
    "\"validation_expression\": \"x\"}, \"sink\": {\"type\": \"dataset\"}}",
    &problems, &error));
  assert_non_null (strstr (problems, "/source/validation_expression"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_no_transform, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_dtl_bound_and_filtered, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_side_effects_refused, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_since_on_source_without_since, setup,
                                     engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_bad_since, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_never_pumped, setup, engine_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_unknown_options, setup, engine_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
