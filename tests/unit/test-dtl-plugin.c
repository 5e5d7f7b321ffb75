/* test-dtl-plugin.c — the `dtl` element through its descriptor, as the engine drives it: create()
 * reports program errors with their pointer; transform() emits targets, `_filtered` markers and
 * created entities, drops discarded entities, and fails the batch on `fail!` and `trip!`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include <string.h>

#include "dtl-compiler.h"

const SluicePluginDescriptor *sluice_plugin_dtl_get_descriptor (void);

static const SluiceTransformCallbacks *
callbacks (void)
{
  const SluicePluginDescriptor *plugin = sluice_plugin_dtl_get_descriptor ();

  assert_string_equal (plugin->elements[0]->type_name, "dtl");
  return plugin->elements[0]->callbacks;
}

static SluiceElementContext *
context_new (const char *options_json, const char *component_json)
{
  g_autoptr (SluiceValue) options = sluice_value_from_json (options_json, -1, NULL);
  g_autoptr (SluiceValue) component = sluice_value_from_json (component_json, -1, NULL);
  SluiceElementContext *context = sluice_element_context_new ("dtl", "dtl", "people", options);

  sluice_element_context_set_component (context, component);
  return context;
}

static SluiceBatch *
batch_of (const char *const *bodies)
{
  SluiceBatch *batch = sluice_batch_new ();

  for (; *bodies != NULL; bodies++)
    {
      g_autoptr (SluiceValue) body = sluice_value_from_json (*bodies, -1, NULL);

      sluice_batch_take (batch, sluice_entity_new (body, NULL));
    }
  return batch;
}

static void
test_create_reports_pointer (void **state)
{
  g_autoptr (SluiceElementContext) context = context_new (
    "{\"rules\": {\"default\": [[\"add\", \"n\", [\"uper\", \"_S.n\"]]]}, \"id_required\": true}", "{\"_id\": \"people\"}");
  g_autoptr (GError) error = NULL;

  assert_null (callbacks ()->create (context, &error));
  assert_string_equal (error->message, "rules/default/0/2: unknown function 'uper'; did you mean 'upper'?");
}

static void
test_transform_outputs (void **state)
{
  g_autoptr (SluiceElementContext) context = context_new (
    "{\"rules\": {\"default\": [[\"copy\", \"_id\"], [\"create\", \"_S.extra\"],"
    " [\"discard\", [\"neq\", \"_S.kind\", \"drop\"]], [\"filter\", [\"neq\", \"_S.kind\", \"hide\"]],"
    " [\"add\", \"name\", [\"upper\", \"_S.name\"]]]}, \"id_required\": true}",
    "{\"_id\": \"people\", \"namespaced_identifiers\": false}");
  static const char *const bodies[] = {
    "{\"_id\": \"a\", \"name\": \"ann\", \"extra\": [{\"_id\": \"x\"}]}",
    "{\"_id\": \"b\", \"kind\": \"drop\", \"extra\": {\"_id\": \"y\"}}",
    "{\"_id\": \"c\", \"kind\": \"hide\"}",
    "{\"_id\": \"d\", \"name\": \"dan\", \"_deleted\": true}",
    NULL,
  };
  g_autoptr (SluiceBatch) input = batch_of (bodies);
  g_autoptr (SluiceBatch) output = sluice_batch_new ();
  g_autoptr (GError) error = NULL;
  void *instance = callbacks ()->create (context, &error);
  const char *expected[] = {
    "{\"_id\":\"a\",\"name\":\"ANN\"}", "{\"_id\":\"x\"}", "{\"_id\":\"y\"}",
    "{\"_id\":\"c\",\"_filtered\":true}", "{\"_id\":\"d\",\"name\":\"DAN\",\"_deleted\":true}",
  };

  assert_non_null (instance);
  assert_int_equal (callbacks ()->transform (instance, input, output, &error), SLUICE_FLOW_OK);
  assert_int_equal (sluice_batch_get_length (output), G_N_ELEMENTS (expected));
  for (size_t i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr (SluiceValue) want = sluice_value_from_json (expected[i], -1, NULL);

      if (!sluice_value_equal (sluice_entity_get_body (sluice_batch_get (output, i)), want))
        fail_msg ("output %zu: got %s, expected %s", i,
                  sluice_entity_to_json (sluice_batch_get (output, i)), expected[i]);
    }
  callbacks ()->destroy (instance);
}

static void
test_fail_and_trip (void **state)
{
  static const char *const bodies[] = { "{\"_id\": \"a\", \"n\": 3}", NULL };
  const char *programs[] = {
    "{\"rules\": {\"default\": [[\"fail!\", [\"concat\", \"too big: \", [\"string\", \"_S.n\"]]]]}, \"id_required\": true}",
    "{\"rules\": {\"default\": [[\"trip!\", \"breaker\"]]}, \"id_required\": true}",
    "{\"rules\": {\"default\": [[\"add\", \"x\", 1]]}, \"id_required\": true}",
  };

  for (size_t i = 0; i < G_N_ELEMENTS (programs); i++)
    {
      g_autoptr (SluiceElementContext) context = context_new (programs[i], "{\"_id\": \"people\"}");
      g_autoptr (SluiceBatch) input = batch_of (bodies);
      g_autoptr (SluiceBatch) output = sluice_batch_new ();
      g_autoptr (GError) error = NULL;
      void *instance = callbacks ()->create (context, &error);

      assert_non_null (instance);
      assert_int_equal (callbacks ()->transform (instance, input, output, &error), SLUICE_FLOW_ERROR);
      if (i == 0)
        {
          assert_true (g_error_matches (error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_FAIL));
          assert_string_equal (error->message, "entity 'a': too big: 3");
        }
      else if (i == 1)
        {
          assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP));
          assert_string_equal (error->message, "entity 'a': breaker");
        }
      else
        {
          assert_true (g_error_matches (error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_ID_REQUIRED));
          assert_true (g_str_has_prefix (error->message, "entity 'a': the target has no string _id"));
        }
      callbacks ()->destroy (instance);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_create_reports_pointer),
    cmocka_unit_test (test_transform_outputs),
    cmocka_unit_test (test_fail_and_trip),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
