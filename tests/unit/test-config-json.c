/* test-config-json.c — configuration values written back as JSON with numbers as written, and
 * read as plugins see them (core/config/sluice-config-json.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-config-json.h"

static JsonNode *
parse (const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  if (node == NULL)
    fail_msg ("%s", error->message);
  return node;
}

static char *
json_glib_write (JsonNode *node, gboolean pretty)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, pretty);
  json_generator_set_indent (generator, 2);
  return json_generator_to_data (generator, NULL);
}

/* Without numbers to put back, the text is what json-glib writes, pretty or not: --print-config
 * keeps its layout. */
static void
test_layout_as_json_glib (void **state)
{
  g_autoptr (JsonNode) node = parse (
    "[{\"_id\": \"a\", \"n\": -3, \"ok\": true, \"none\": null, \"list\": [1, [], [\"x\", false]],"
    " \"nested\": {\"s\": \"quote \\\" backslash \\\\ newline \\n tab \\t \\u00e9\"}}, 7, \"z\"]");

  for (int pretty = 0; pretty <= 1; pretty++)
    {
      g_autofree char *ours = sluice_config_json_write (node, NULL, "", pretty);
      g_autofree char *theirs = json_glib_write (node, pretty);

      assert_string_equal (ours, theirs);
    }
}

/* A double is written as the file wrote it while the node still holds that value, and otherwise
 * as the shortest text that reads back as the same double, still with a fraction. */
static void
test_numbers_as_written (void **state)
{
  g_autoptr (JsonNode) node = parse ("{\"a\": 0.1, \"b\": 0.2, \"c\": 5, \"d\": 0.1, \"e\": 1.0,"
                                     " \"f\": 1e18, \"g\": 0.3333333333333333, \"h\": [2.5],"
                                     " \"i/~\": 2.5}");
  g_autoptr (GHashTable) numbers = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *text = NULL;
  g_autofree char *sub = NULL;

  g_hash_table_insert (numbers, "/a", "0.10");
  g_hash_table_insert (numbers, "/b", "0.25"); /* stale: the node no longer holds it */
  g_hash_table_insert (numbers, "/c", "5.0");  /* made an integer by validation */
  g_hash_table_insert (numbers, "/h/0", "25e-1");
  g_hash_table_insert (numbers, "/i~1~0", "2.50");
  text = sluice_config_json_write (node, numbers, "", FALSE);
  assert_string_equal (text, "{\"a\":0.10,\"b\":0.2,\"c\":5,\"d\":0.1,\"e\":1.0,\"f\":1e+18,"
                             "\"g\":0.3333333333333333,\"h\":[25e-1],\"i/~\":2.50}");
  /* A part of the component, under its own pointer. */
  sub = sluice_config_json_write (json_object_get_member (json_node_get_object (node), "h"),
                                  numbers, "/h", FALSE);
  assert_string_equal (sub, "[25e-1]");
}

/* Every control character is escaped (json-glib 1.6 writes U+001F raw, which no JSON reader
 * takes); the result reads back as the same string. */
static void
test_control_characters (void **state)
{
  g_autoptr (JsonNode) node = json_node_init_string (json_node_alloc (), "a\x01\x1f\x7f" "b\r");
  g_autofree char *text = sluice_config_json_write (node, NULL, "", FALSE);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) value = sluice_value_from_json (text, -1, &error);

  assert_string_equal (text, "\"a\\u0001\\u001f\x7f" "b\\r\"");
  if (value == NULL)
    fail_msg ("%s", error->message);
  assert_string_equal (sluice_value_get_string (value, NULL), "a\x01\x1f\x7f" "b\r");
}

static const SluiceOptionSpec inner_options[] = {
  { .key = "rows", .types = SLUICE_OPTION_ARRAY, .flags = SLUICE_OPTION_FLAG_ENTITIES },
  { NULL },
};

static const SluiceOptionSpec options[] = {
  { .key = "entities", .types = SLUICE_OPTION_ARRAY, .flags = SLUICE_OPTION_FLAG_ENTITIES },
  { .key = "inner", .types = SLUICE_OPTION_OBJECT, .properties = inner_options },
  { .key = "ratio", .types = SLUICE_OPTION_NUMBER },
  { .key = "free", .types = SLUICE_OPTION_OBJECT },
  { NULL },
};

/* Options flagged SLUICE_OPTION_FLAG_ENTITIES, nested ones included, are read as a receiver reads
 * a push with its defaults; the others as plugins read options, a fraction as a FLOAT. */
static void
test_entity_options (void **state)
{
  SluiceOptionTable table = { options, sizeof (SluiceOptionSpec) };
  g_autoptr (JsonNode) node = parse (
    "{\"entities\": [{\"_id\": \"a\", \"x\": 0.1, \"y\": 2.0, \"z\": 1e400}],"
    " \"inner\": {\"rows\": [0.5]}, \"ratio\": 0.1, \"free\": {\"x\": 0.1}}");
  g_autoptr (GHashTable) numbers = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) value = NULL;
  g_autoptr (SluiceValue) again = NULL;
  SluiceValue *entity, *free_object;

  g_hash_table_insert (numbers, "/entities/0/z", "1e400");
  value = sluice_config_json_to_value (node, numbers, "", &table, &error);
  if (value == NULL)
    fail_msg ("%s", error->message);
  entity = sluice_value_list_get (sluice_value_dict_lookup (value, "entities"), 0);
  assert_int_equal (sluice_value_get_kind (sluice_value_dict_lookup (entity, "x")),
                    SLUICE_VALUE_DECIMAL);
  assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup (entity, "x"), NULL),
                       "0.1");
  assert_int_equal (sluice_value_get_kind (sluice_value_dict_lookup (entity, "y")),
                    SLUICE_VALUE_INTEGER);
  assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup (entity, "z"), NULL),
                       "1e400");
  assert_int_equal (
    sluice_value_get_kind (sluice_value_list_get (
      sluice_value_dict_lookup (sluice_value_dict_lookup (value, "inner"), "rows"), 0)),
    SLUICE_VALUE_DECIMAL);
  assert_int_equal (sluice_value_get_kind (sluice_value_dict_lookup (value, "ratio")),
                    SLUICE_VALUE_FLOAT);
  free_object = sluice_value_dict_lookup (value, "free");
  assert_int_equal (sluice_value_get_kind (sluice_value_dict_lookup (free_object, "x")),
                    SLUICE_VALUE_FLOAT);

  /* Without the table everything is an option: 1e400 is beyond a FLOAT. */
  again = sluice_config_json_to_value (node, numbers, "", NULL, &error);
  assert_null (again);
  assert_non_null (strstr (error->message, "1e400 is beyond the largest binary64 float"));
}

/* An option the reader refuses is named in the message. */
static void
test_option_beyond_double (void **state)
{
  SluiceOptionTable table = { options, sizeof (SluiceOptionSpec) };
  g_autoptr (JsonNode) node = parse ("{\"entities\": [], \"free\": {\"x\": 1e400}}");
  g_autoptr (GHashTable) numbers = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) value = NULL;

  g_hash_table_insert (numbers, "/free/x", "1e400");
  value = sluice_config_json_to_value (node, numbers, "", &table, &error);
  assert_null (value);
  assert_true (g_str_has_prefix (error->message, "free: "));
  assert_non_null (strstr (error->message, "1e400"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_layout_as_json_glib),
    cmocka_unit_test (test_numbers_as_written),
    cmocka_unit_test (test_control_characters),
    cmocka_unit_test (test_entity_options),
    cmocka_unit_test (test_option_beyond_double),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
