/* test-dtl-compiler.c — a bad DTL program fails when it is compiled (at configuration load), with
 * a message that names the JSON pointer of the bad expression inside the transform object and
 * says what was expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include <string.h>

#include "dtl-compiler.h"

/* Compiles @rules_json (transit JSON) and returns the error, asserting that there is one. */
static GError *
compile_error_of (const char *rules_json, gboolean namespaced)
{
  g_autoptr (SluiceValue) rules = sluice_value_from_json (rules_json, -1, NULL);
  DtlSettings settings = { namespaced, NULL, NULL, "pipe", TRUE };
  GError *error = NULL;
  DtlProgram *program;

  assert_non_null (rules);
  program = sluice_dtl_program_compile (rules, &settings, &error);
  assert_null (program);
  assert_non_null (error);
  return error;
}

static void
assert_message (const char *rules_json, const char *message)
{
  g_autoptr (GError) error = compile_error_of (rules_json, FALSE);

  assert_true (g_error_matches (error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_COMPILE));
  assert_string_equal (error->message, message);
}

static void
test_unknown_function_suggests (void **state)
{
  assert_message ("{\"default\": [[\"copy\", \"_id\"], [\"add\", \"name\", [\"uper\", \"_S.name\"]]]}",
                  "rules/default/1/2: unknown function 'uper'; did you mean 'upper'?");
  assert_message ("{\"default\": [[\"add\", \"n\", [\"concat\", \"a\", [\"lenght\", \"_S.x\"]]]]}",
                  "rules/default/0/2/2: unknown function 'lenght'; did you mean 'length'?");
  assert_message ("{\"default\": [[\"add\", \"n\", [\"frobnicate\", 1]]]}",
                  "rules/default/0/2: unknown function 'frobnicate'");
}

static void
test_unknown_transform_suggests (void **state)
{
  assert_message ("{\"default\": [[\"ad\", \"name\", 1]]}",
                  "rules/default/0: unknown transform function 'ad'; did you mean 'add'?");
  assert_message ("{\"default\": [[\"upper\", \"name\"]]}",
                  "rules/default/0: 'upper' is an expression function, not a transform function");
  assert_message ("{\"default\": [[\"add\", \"x\", [\"copy\", \"*\"]]]}",
                  "rules/default/0/2: 'copy' is a transform function and cannot be used in an expression");
}

static void
test_wrong_argument_count (void **state)
{
  assert_message ("{\"default\": [[\"add\", \"x\"]]}", "rules/default/0: 'add' takes 2 arguments, got 1");
  assert_message ("{\"default\": [[\"add\", \"x\", [\"upper\"]]]}",
                  "rules/default/0/2: 'upper' takes 1 argument, got 0");
  assert_message ("{\"default\": [[\"add\", \"x\", [\"slice\", 1]]]}",
                  "rules/default/0/2: 'slice' takes 2 to 4 arguments, got 1");
  assert_message ("{\"default\": [[\"add\", \"x\", [\"concat\"]]]}",
                  "rules/default/0/2: 'concat' takes at least 1 argument, got 0");
  assert_message ("{\"default\": [[\"add\", \"x\", [\"now\", 1]]]}",
                  "rules/default/0/2: 'now' takes no arguments, got 1");
  assert_message ("{\"default\": [[\"add\", \"x\", [\"dict\", \"a\", 1, \"b\"]]]}",
                  "rules/default/0/2: 'dict' takes no arguments, one list of [key, value] pairs, or "
                  "key/value pairs, got 3 arguments");
}

static void
test_structure_errors (void **state)
{
  assert_message ("{\"other\": []}", "rules: the 'default' rule is missing");
  assert_message ("{\"default\": {}}", "rules/default: expected a list of transforms, got an object");
  assert_message ("{\"default\": [\"_S.x\"]}",
                  "rules/default/0: expected a transform function call such as [\"add\", \"name\", "
                  "\"_S.name\"], got a string");
  assert_message ("{\"default\": [[\"add\", \"x\", []]]}",
                  "rules/default/0/2: an empty list is not an expression; write [\"list\"] for an empty list");
  assert_message ("{\"default\": [[\"add\", \"x\", [1, 2]]]}",
                  "rules/default/0/2: a function call starts with the function name, got a number");
  assert_message ("{\"default\": [[\"add\", \"x\", \"_S.'abc\"]]}",
                  "rules/default/0/2: unterminated quote in path '_S.'abc'");
  assert_message ("{\"default\": [], \"a/b\": [[\"add\"]]}", "rules/a~1b/0: 'add' takes 2 arguments, got 0");
}

static void
test_nested_transforms (void **state)
{
  assert_message ("{\"default\": [[\"if\", true, [[\"copy\", \"*\"], [\"add\", \"x\", [\"uppr\", 1]]]]]}",
                  "rules/default/0/2/1/2: unknown function 'uppr'; did you mean 'upper'?");
  assert_message ("{\"default\": [[\"case\", true, [\"ad\", \"x\", 1]]]}",
                  "rules/default/0/2: unknown transform function 'ad'; did you mean 'add'?");
}

static void
test_rules (void **state)
{
  assert_message ("{\"default\": [[\"add\", \"o\", [\"apply\", \"order\", \"_S.orders\"]]]}",
                  "rules/default/0/2/1: no rule named 'order' (rules: 'default')");
  assert_message ("{\"default\": [[\"add\", \"o\", [\"apply\", 1, \"_S.orders\"]]]}",
                  "rules/default/0/2/1: expected the name of a rule, got integer");
  assert_message ("{\"default\": [[\"add\", \"h\", [\"hash128\", \"md5\", \"x\"]]]}",
                  "rules/default/0/2/1: unknown hash algorithm 'md5'; expected 'murmur3'");
}

static void
test_unsupported_functions (void **state)
{
  g_autoptr (GError) error = compile_error_of (
    "{\"default\": [[\"add\", \"o\", [\"hops\", {\"datasets\": [\"orders o\"], \"where\": []}]]]}", FALSE);
  g_autoptr (GError) error2 = compile_error_of (
    "{\"default\": [[\"add\", \"o\", [\"lookup-entity\", \"ds\", \"id\"]]]}", FALSE);

  assert_true (g_error_matches (error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_UNSUPPORTED));
  assert_string_equal (error->message,
                       "rules/default/0/2: 'hops' is not supported by this version of sluice: joins "
                       "across datasets come with a later release; until then a pipe that uses them "
                       "cannot be loaded");
  assert_true (g_str_has_prefix (error2->message, "rules/default/0/2: 'lookup-entity' is not supported"));
}

static void
test_valid_program_compiles (void **state)
{
  g_autoptr (SluiceValue) rules = sluice_value_from_json (
    "{\"default\": [[\"copy\", \"_id\"], [\"comment\", [\"no-such-function\"]],"
    " [\"add\", \"orders\", [\"apply\", \"order\", \"_S.orders\"]]],"
    " \"order\": [[\"add\", \"amount\", [\"literal\", [\"not\", \"evaluated\"]]]]}", -1, NULL);
  DtlSettings settings = { FALSE, NULL, NULL, "pipe", TRUE };
  g_autoptr (GError) error = NULL;
  DtlProgram *program = sluice_dtl_program_compile (rules, &settings, &error);

  assert_null (error);
  assert_non_null (program);
  sluice_dtl_program_free (program);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_unknown_function_suggests),
    cmocka_unit_test (test_unknown_transform_suggests),
    cmocka_unit_test (test_wrong_argument_count),
    cmocka_unit_test (test_structure_errors),
    cmocka_unit_test (test_nested_transforms),
    cmocka_unit_test (test_rules),
    cmocka_unit_test (test_unsupported_functions),
    cmocka_unit_test (test_valid_program_compiles),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
