/* test-dtl-plan.c — mapping rules run through their fixed-layout plan (plugins/dtl/dtl-plan.c):
 * the output is exactly what the step-by-step evaluation gives, and rules that could observe the
 * target being built are left to the general path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include <string.h>

#include "dtl-compiler.h"

#define STANDARD_RULES                                                                         \
  "{\"default\": [[\"copy\", \"_id\"], [\"add\", \"type\", \"customer\"],"                    \
  " [\"add\", \"name\", [\"upper\", \"_S.name\"]], [\"add\", \"mail\", \"_S.email\"],"          \
  " [\"add\", \"age\", \"_S.age\"], [\"add\", \"city\", \"_S.address.city\"]]}"

static DtlProgram *
compile (const char *rules_json)
{
  g_autoptr (SluiceValue) rules = sluice_value_from_json (rules_json, -1, NULL);
  DtlSettings settings = { FALSE, NULL, NULL, "pipe", TRUE };
  g_autoptr (GError) error = NULL;
  DtlProgram *program;

  assert_non_null (rules);
  program = sluice_dtl_program_compile (rules, &settings, &error);
  if (program == NULL)
    fail_msg ("%s", error->message);
  return program;
}

/* Runs @program on @source_json and checks the output JSON text (key order included). */
static void
assert_run (DtlProgram *program, const char *source_json, const char *expected_json)
{
  g_autoptr (SluiceValue) source = sluice_value_from_json (source_json, -1, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;
  DtlResult result;

  assert_non_null (source);
  if (!sluice_dtl_program_run (program, source, NULL, &result, &error))
    fail_msg ("%s", error->message);
  assert_int_equal (result.status, DTL_STATUS_CONTINUE);
  json = sluice_value_to_json (result.target);
  assert_string_equal (json, expected_json);
  sluice_dtl_result_clear (&result);
}

static void
test_standard_transform (void **state)
{
  DtlProgram *program = compile (STANDARD_RULES);

  assert_non_null (program->default_rule->plan);
  assert_run (program,
              "{\"_id\":\"person-0\",\"name\":\"Kari Nordmann\",\"email\":\"user0@example.org\",\"age\":53,"
              "\"address\":{\"street\":\"Street 36\",\"city\":\"Trondheim\"},\"tags\":[\"f\"],\"score\":59.049}",
              "{\"_id\":\"person-0\",\"type\":\"customer\",\"name\":\"KARI NORDMANN\","
              "\"mail\":\"user0@example.org\",\"age\":53,\"city\":\"Trondheim\"}");
  /* The same keys in another order, a missing address, a non-ASCII name and a large age: the
   * lookups adapt to the new layout. */
  assert_run (program,
              "{\"age\":1234,\"email\":\"e@x\",\"name\":\"\u00e6rlig \u00f8se\",\"_id\":\"p-2\"}",
              "{\"_id\":\"p-2\",\"type\":\"customer\",\"name\":\"\u00c6RLIG \u00d8SE\",\"mail\":\"e@x\","
              "\"age\":1234,\"city\":null}");
  /* A list on the way fans out, as in the general walk. */
  assert_run (program,
              "{\"_id\":\"p-3\",\"name\":[\"a\",\"b\"],\"address\":[{\"city\":\"Oslo\"},{\"city\":\"Bergen\"}]}",
              "{\"_id\":\"p-3\",\"type\":\"customer\",\"name\":[\"A\",\"B\"],\"mail\":null,\"age\":null,"
              "\"city\":[\"Oslo\",\"Bergen\"]}");
  sluice_dtl_program_free (program);
}

/* `copy` of a property the source lacks adds nothing, and the other keys keep their order. */
static void
test_copy_of_missing_property (void **state)
{
  DtlProgram *program = compile ("{\"default\": [[\"add\", \"a\", 1], [\"copy\", \"_id\"],"
                                 " [\"copy\", \"x\"], [\"add\", \"b\", \"_S.x\"]]}");

  assert_non_null (program->default_rule->plan);
  assert_run (program, "{\"_id\":\"i\",\"x\":{\"y\":[1]}}", "{\"a\":1,\"_id\":\"i\",\"x\":{\"y\":[1]},\"b\":{\"y\":[1]}}");
  assert_run (program, "{\"_id\":\"i\"}", "{\"a\":1,\"_id\":\"i\",\"b\":null}");
  assert_run (program, "{\"x\":false}", "{\"a\":1,\"x\":false,\"b\":false}");
  sluice_dtl_program_free (program);
}

/* Rules whose result depends on the target as it is being built run step by step. */
static void
test_rules_that_see_the_target (void **state)
{
  DtlProgram *reads_t = compile ("{\"default\": [[\"add\", \"a\", \"_S.x\"], [\"add\", \"b\", \"_T.a\"]]}");
  DtlProgram *repeats = compile ("{\"default\": [[\"add\", \"a\", 1], [\"add\", \"b\", 2], [\"add\", \"a\", 3]]}");
  DtlProgram *applies = compile ("{\"default\": [[\"add\", \"a\", 1],"
                                 " [\"add\", \"c\", [\"apply\", \"child\", \"_S.kid\"]]],"
                                 " \"child\": [[\"add\", \"parent_a\", \"_P._T.a\"], [\"copy\", \"k\"]]}");
  DtlProgram *other = compile ("{\"default\": [[\"copy\", \"*\"], [\"add\", \"z\", 1]]}");

  assert_null (reads_t->default_rule->plan);
  assert_run (reads_t, "{\"x\":5}", "{\"a\":5,\"b\":5}");
  assert_null (repeats->default_rule->plan);
  assert_run (repeats, "{}", "{\"a\":3,\"b\":2}");
  assert_null (applies->default_rule->plan);
  assert_run (applies, "{\"kid\":{\"k\":\"v\"}}", "{\"a\":1,\"c\":{\"parent_a\":1,\"k\":\"v\"}}");
  assert_null (other->default_rule->plan);
  assert_run (other, "{\"q\":1}", "{\"q\":1,\"z\":1}");
  sluice_dtl_program_free (reads_t);
  sluice_dtl_program_free (repeats);
  sluice_dtl_program_free (applies);
  sluice_dtl_program_free (other);
}

/* A target that grows past its stack storage, on the general path and through `apply`. */
static void
test_large_general_target (void **state)
{
  GString *rules = g_string_new ("{\"default\": [");
  GString *expected = g_string_new ("{");
  DtlProgram *program;

  for (int i = 0; i < 40; i++)
    {
      g_string_append_printf (rules, "[\"add\", \"k%d\", %d], ", i, i);
      g_string_append_printf (expected, "\"k%d\":%d,", i, i);
    }
  g_string_append (rules, "[\"add\", \"last\", \"_T.k39\"], [\"add\", \"kid\", [\"apply\", \"default2\", \"_S.kid\"]]],"
                          " \"default2\": [[\"copy\", \"*\"], [\"add\", \"p\", \"_P._T.k0\"]]}");
  g_string_append (expected, "\"last\":39,\"kid\":{\"a\":1,\"p\":0}}");
  program = compile (rules->str);
  assert_null (program->default_rule->plan);
  assert_run (program, "{\"kid\":{\"a\":1}}", expected->str);
  assert_run (program, "{\"kid\":{\"a\":1}}", expected->str);
  sluice_dtl_program_free (program);
  g_string_free (rules, TRUE);
  g_string_free (expected, TRUE);
}

/* A rule reached through `apply` has its own plan. */
static void
test_applied_rule_plan (void **state)
{
  DtlProgram *program = compile ("{\"default\": [[\"copy\", \"_id\"],"
                                 " [\"add\", \"kids\", [\"apply\", \"kid\", \"_S.kids\"]]],"
                                 " \"kid\": [[\"add\", \"n\", [\"upper\", \"_S.n\"]], [\"copy\", \"age\"]]}");
  DtlRule *kid = g_hash_table_lookup (program->rules, "kid");

  assert_non_null (kid->plan);
  assert_run (program, "{\"_id\":\"i\",\"kids\":[{\"n\":\"a\",\"age\":3},{\"n\":\"b\"}]}",
              "{\"_id\":\"i\",\"kids\":[{\"n\":\"A\",\"age\":3},{\"n\":\"B\"}]}");
  sluice_dtl_program_free (program);
}

/* Outputs do not depend on the source staying alive, nor on the program. */
static void
test_output_outlives_source_and_program (void **state)
{
  DtlProgram *program = compile (STANDARD_RULES);
  SluiceValue *source = sluice_value_from_json ("{\"_id\":\"p\",\"name\":\"n\",\"email\":\"m\",\"age\":300,"
                                                "\"address\":{\"city\":\"Oslo\"}}", -1, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;
  g_autoptr (SluiceValue) city = NULL;
  DtlResult result;

  assert_true (sluice_dtl_program_run (program, source, NULL, &result, &error));
  sluice_value_unref (source);
  sluice_dtl_program_free (program);
  json = sluice_value_to_json (result.target);
  assert_string_equal (json, "{\"_id\":\"p\",\"type\":\"customer\",\"name\":\"N\",\"mail\":\"m\","
                             "\"age\":300,\"city\":\"Oslo\"}");
  city = sluice_value_ref (sluice_value_dict_lookup (result.target, "city"));
  sluice_dtl_result_clear (&result);
  assert_string_equal (sluice_value_get_string (city, NULL), "Oslo");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_standard_transform),
    cmocka_unit_test (test_copy_of_missing_property),
    cmocka_unit_test (test_rules_that_see_the_target),
    cmocka_unit_test (test_large_general_target),
    cmocka_unit_test (test_applied_rule_plan),
    cmocka_unit_test (test_output_outlives_source_and_program),
  };

  return cmocka_run_group_tests_name ("dtl-plan", tests, NULL, NULL);
}
