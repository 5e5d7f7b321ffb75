/* test-dtl-functions.c — DTL expression and transform functions, one test per category, for
 * inputs the conformance cases do not show: wrong types, nulls, empty lists, edge values.
 * Results are compared exactly, kinds included (1 is not 1.0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include <string.h>

#include "dtl-compiler.h"

typedef struct
{
  const char *expr;     /* DTL, as transit JSON */
  const char *source;   /* _S; NULL for {} */
  const char *expected; /* transit JSON */
} Case;

static SluiceValue *
eval_json (const char *expr_json, const char *source_json, gboolean namespaced)
{
  g_autoptr (SluiceValue) rules = sluice_value_from_json ("{\"default\": [], \"double\": [[\"add\", \"v\", [\"*\", 2, \"_S.v\"]]]}", -1, NULL);
  g_autoptr (SluiceValue) expr = sluice_value_from_json (expr_json, -1, NULL);
  g_autoptr (SluiceValue) source = sluice_value_from_json (source_json ? source_json : "{}", -1, NULL);
  DtlSettings settings = { namespaced, "foo", "bar", "pipe", TRUE };
  g_autoptr (GError) error = NULL;
  DtlProgram *program;
  DtlNode *node;
  SluiceValue *v;

  if (expr == NULL)
    fail_msg ("bad test expression %s", expr_json);
  program = sluice_dtl_program_compile (rules, &settings, &error);
  node = sluice_dtl_program_compile_expression (program, expr, "", &error);
  if (node == NULL)
    fail_msg ("%s: %s", expr_json, error->message);
  v = sluice_dtl_eval_expression (program, node, source, &error);
  if (v == NULL)
    fail_msg ("%s: %s", expr_json, error->message);
  sluice_dtl_node_free (node);
  sluice_dtl_program_free (program);
  return v;
}

static void
run_cases (const Case *cases, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      g_autoptr (SluiceValue) got = eval_json (cases[i].expr, cases[i].source, FALSE);
      g_autoptr (SluiceValue) want = sluice_value_from_json (cases[i].expected, -1, NULL);

      if (want == NULL)
        fail_msg ("bad expected value %s", cases[i].expected);
      if (!sluice_value_equal (got, want))
        {
          g_autofree char *got_json = sluice_value_to_json (got);

          fail_msg ("%s: got %s, expected %s", cases[i].expr, got_json, cases[i].expected);
        }
    }
}

#define RUN(cases) run_cases (cases, G_N_ELEMENTS (cases))

static void
test_logic (void **state)
{
  static const Case cases[] = {
    { "[\"and\", true, [\"list\", 0]]", NULL, "true" },
    { "[\"and\", true, [\"list\"]]", NULL, "false" },
    { "[\"or\", null, false, \"\"]", NULL, "true" },
    { "[\"not\", true, null]", NULL, "true" },
    { "[\"all\", [\"list\"]]", NULL, "true" },
    { "[\"any\", null]", NULL, "false" },
    { "[\"eq\", 1, 1.0]", NULL, "true" },
    { "[\"eq\", null, [\"list\"]]", NULL, "true" },
    { "[\"eq\", \"a\", [\"list\", \"a\"]]", NULL, "true" },
    { "[\"neq\", {\"a\": 1}, {\"a\": 1}]", NULL, "false" },
    { "[\"gt\", \"a\", 5]", NULL, "true" },
    { "[\"lt\", null, false]", NULL, "true" },
    { "[\"gte\", [\"list\", 3, 1], 3]", NULL, "true" },
    { "[\"if\", [\"list\"], 1]", NULL, "null" },
    { "[\"case\", false, 1]", NULL, "null" },
    { "[\"case-eq\", [\"list\", 1, 2], [\"list\", 1, 2], \"yes\", \"no\"]", NULL, "\"yes\"" },
    { "[\"coalesce\", [\"list\", null, null, 3]]", NULL, "3" },
    { "[\"coalesce\", null]", NULL, "null" },
    { "[\"coalesce-args\", [\"list\", null], 1]", NULL, "[null]" },
    { "[\"if-null\", [\"list\"], \"x\"]", NULL, "\"x\"" },
    { "[\"is-null\", \"_S.missing\"]", "{}", "true" },
    { "[\"is-not-null\", [\"list\", 0]]", NULL, "true" },
  };
  RUN (cases);
}

static void
test_strings (void **state)
{
  static const Case cases[] = {
    { "[\"upper\", 1]", NULL, "null" },
    { "[\"upper\", \"straße\"]", NULL, "\"STRASSE\"" },
    { "[\"lower\", [\"list\", \"ÆØÅ\", 2]]", NULL, "[\"æøå\"]" },
    { "[\"concat\", null]", NULL, "\"\"" },
    { "[\"concat\", \"a\", null, [\"list\", [\"list\", \"x\"]], \"b\"]", NULL, "\"ab\"" },
    { "[\"join\", \", \", \"solo\"]", NULL, "\"solo\"" },
    { "[\"join\", 1, [\"list\", \"a\"]]", NULL, "null" },
    { "[\"split\", \"  a  b \"]", NULL, "[\"a\", \"b\"]" },
    { "[\"split\", \",\", \"a,,b\"]", NULL, "[\"a\", \"\", \"b\"]" },
    { "[\"split\", \"\", \"æø\"]", NULL, "[\"æ\", \"ø\"]" },
    { "[\"length\", \"æøå\"]", NULL, "3" },
    { "[\"length\", [\"list\", 1, \"ab\"]]", NULL, "[2]" },
    { "[\"strip\", \"\\t x \\n\"]", NULL, "\"x\"" },
    { "[\"lstrip\", \"ab\", \"abba-ab\"]", NULL, "\"-ab\"" },
    { "[\"ljust\", 5, \"ab\", \"x\"]", NULL, "null" },
    { "[\"rjust\", \"5\", \"0\", \"x\"]", NULL, "null" },
    { "[\"rjust\", 3, \"ø\", \"x\"]", NULL, "\"øøx\"" },
    { "[\"replace\", \"a\", \"b\", [\"list\", \"aa\", 1]]", NULL, "[\"bb\"]" },
    { "[\"replace\", \"a\", 1, \"aa\"]", NULL, "null" },
    { "[\"substring\", 1, 3, \"æøåx\"]", NULL, "\"øå\"" },
    { "[\"substring\", 10, \"abc\"]", NULL, "\"\"" },
    { "[\"substring\", -2, \"abc\"]", NULL, "\"bc\"" },
    { "[\"matches\", \"a?c\", \"abc\"]", NULL, "true" },
    { "[\"matches\", \"a*\", [\"list\", \"ab\", 1]]", NULL, "false" },
    { "[\"string\", [\"list\", 1.5, true, {\"b\": [1], \"a\": \"x\"}]]", NULL,
      "[\"1.5\", \"true\", \"{\\\"a\\\": \\\"x\\\", \\\"b\\\": [1]}\"]" },
    { "[\"string\", \"~t2015-07-28T09:46:00Z\"]", NULL, "\"2015-07-28T09:46:00Z\"" },
    { "[\"string\", [\"bytes\", \"hi\"]]", NULL, "\"hi\"" },
    { "[\"is-string\", [\"list\"]]", NULL, "false" },
  };
  RUN (cases);
}

static void
test_lists (void **state)
{
  static const Case cases[] = {
    { "[\"list\"]", NULL, "[]" },
    { "[\"combine\", [\"list\", null, 1], [\"list\", [\"list\", 2]]]", NULL, "[1, [2]]" },
    { "[\"flatten\", 5]", NULL, "5" },
    { "[\"count\", \"abc\"]", NULL, "1" },
    { "[\"count\", {\"a\": 1}]", NULL, "1" },
    { "[\"last\", [\"list\"]]", NULL, "null" },
    { "[\"nth\", -1, [\"list\", 1, 2]]", NULL, "2" },
    { "[\"nth\", 5, [\"list\", 1, 2]]", NULL, "null" },
    { "[\"nth\", 1, \"scalar\"]", NULL, "null" },
    { "[\"slice\", 1, 5, 2, [\"list\", 0, 1, 2, 3, 4, 5]]", NULL, "[1, 3]" },
    { "[\"slice\", -2, [\"list\", 0, 1, 2]]", NULL, "[1, 2]" },
    { "[\"slice\", null, null, -1, [\"list\", 1, 2, 3]]", NULL, "[3, 2, 1]" },
    { "[\"insert\", 99, [\"list\", 1], 2]", NULL, "[1, 2]" },
    { "[\"range\", 3]", NULL, "[0, 1, 2]" },
    { "[\"range\", 0, 10, 4]", NULL, "[0, 4, 8]" },
    { "[\"range\", 0, 10, 0]", NULL, "null" },
    { "[\"reversed\", \"x\"]", NULL, "\"x\"" },
    { "[\"sorted\", [\"list\", \"b\", null, true, 1.5, 1, \"~t2020-01-01T00:00:00Z\"]]", NULL,
      "[null, true, 1, 1.5, \"~t2020-01-01T00:00:00Z\", \"b\"]" },
    { "[\"sorted\", \"_.k\", [\"list\", {\"k\": 2, \"i\": 1}, {\"k\": 1}, {\"k\": 2, \"i\": 2}]]", NULL,
      "[{\"k\": 1}, {\"k\": 2, \"i\": 1}, {\"k\": 2, \"i\": 2}]" },
    { "[\"sorted-descending\", \"_.k\", [\"list\", {\"k\": 1, \"i\": 1}, {\"k\": 2}, {\"k\": 1, \"i\": 2}]]", NULL,
      "[{\"k\": 2}, {\"k\": 1, \"i\": 1}, {\"k\": 1, \"i\": 2}]" },
    { "[\"distinct\", [\"list\", 1, 1.0, \"1\"]]", NULL, "[1, \"1\"]" },
    { "[\"distinct\", [\"lower\", \"_.\"], [\"list\", \"A\", \"a\", \"b\"]]", NULL, "[\"A\", \"b\"]" },
    { "[\"filter\", [\"list\", 0, null, [\"list\"], false, \"x\"]]", NULL, "[0, \"x\"]" },
    { "[\"map\", [\"+\", \"_.\", 1], null]", NULL, "[]" },
    { "[\"map-dict\", \"_.\", [\"string\", \"_.\"], [\"list\", {\"a\": 1}, {}, 3]]", NULL, "[{\"a\": \"1\"}]" },
    { "[\"map-dict\", 1, \"_.\", {\"a\": 1}]", NULL, "null" },
    { "[\"map-values\", [\"*\", \"_.\", 2], {\"a\": 1, \"b\": 2}]", NULL, "[2, 4]" },
    { "[\"group-by\", [\"list\", 1, \"1\", 1]]", NULL, "{\"1\": [1, 1], \"\\\"1\\\"\": [\"1\"]}" },
    { "[\"enumerate\", [\"list\"]]", NULL, "[]" },
    { "[\"in\", [\"list\", 1, 2], [\"list\", 2]]", NULL, "false" },
    { "[\"in\", 1.0, [\"list\", 1]]", NULL, "true" },
    { "[\"is-list\", \"x\"]", NULL, "false" },
    { "[\"is-empty\", null]", NULL, "true" },
    { "[\"is-not-empty\", 0]", NULL, "true" },
    { "[\"max\", [\"list\"]]", NULL, "null" },
    { "[\"max\", [\"list\", null, 1]]", NULL, "1" },
    { "[\"min\", \"_.a\", [\"list\", {\"a\": 2}, {\"a\": 1}, {\"a\": 1, \"b\": 0}]]", NULL, "{\"a\": 1}" },
    { "[\"sum\", [\"list\", 1, 2.5, \"3\", null]]", NULL, "3.5" },
    { "[\"sum\", [\"list\"]]", NULL, "0" },
  };
  RUN (cases);
}

static void
test_math (void **state)
{
  static const Case cases[] = {
    { "[\"+\", 9223372036854775807, 1]", NULL, "9223372036854775808" },
    { "[\"*\", 9223372036854775807, 10]", NULL, "92233720368547758070" },
    { "[\"-\", \"~f1.10\", \"~f0.05\"]", NULL, "\"~f1.05\"" },
    { "[\"*\", \"~f1.5\", 2]", NULL, "\"~f3\"" },
    { "[\"/\", \"~f1\", 3]", NULL, "\"~f0.3333333333333333333333333333\"" },
    { "[\"+\", 1, 0.5]", NULL, "1.5" },
    { "[\"+\", 1, \"a\"]", NULL, "null" },
    { "[\"+\", [\"list\"], 1]", NULL, "null" },
    { "[\"/\", 10, 5]", NULL, "2" },
    { "[\"/\", 1, 0.0]", NULL, "null" },
    { "[\"%\", -7, 3]", NULL, "2" },
    { "[\"%\", 7, -3]", NULL, "-2" },
    { "[\"%\", 7.5, 2]", NULL, "1.5" },
    { "[\"^\", 2, -1]", NULL, "0.5" },
    { "[\"^\", -8, 0.5]", NULL, "null" },
    { "[\"pow\", 2, [\"list\", 3, \"x\"]]", NULL, "[9]" },
    { "[\"divide\", 0, [\"list\", 1, 2]]", NULL, "[]" },
    { "[\"minus\", 1.5, 3]", NULL, "1.5" },
    { "[\"abs\", [\"list\", \"~f-1.5\", -3, \"x\"]]", NULL, "[\"~f1.5\", 3]" },
    { "[\"round\", [\"list\", 0.5, 1.5, 2.5, -0.5, 2.675]]", NULL, "[0, 2, 2, 0, 3]" },
    { "[\"round\", 2, 2.675]", NULL, "2.67" },
    { "[\"round\", 1, \"~f2.25\"]", NULL, "\"~f2.2\"" },
    { "[\"round\", -1, 1234]", NULL, "1230" },
    { "[\"ceil\", -2.5]", NULL, "-2" },
    { "[\"floor\", -2.5]", NULL, "-3" },
    { "[\"floor\", \"~f2.5\"]", NULL, "2" },
    { "[\"sqrt\", 2]", NULL, "1.4142135623730951" },
    { "[\"cos\", \"x\"]", NULL, "null" },
  };
  RUN (cases);
}

static void
test_types (void **state)
{
  static const Case cases[] = {
    { "[\"boolean\", [\"list\", \"TRUE\", \"yes\", 0]]", NULL, "[true]" },
    { "[\"integer\", [\"list\", \"  42 \", \"-7\", \"1e3\", \"0x0100\", true, -1.9]]", NULL, "[42, -7, 256, -1]" },
    { "[\"integer\", \"123456789012345678901234\"]", NULL, "123456789012345678901234" },
    { "[\"integer\", \"~f-2.7\"]", NULL, "-2" },
    { "[\"decimal\", [\"list\", 1, \"1e2\", \"x\"]]", NULL, "[\"~f1\", \"~f1e2\"]" },
    { "[\"float\", [\"list\", \"1e3\", \"0x10\", \" 2 \", 3]]", NULL, "[1000.0, 2.0, 3.0]" },
    { "[\"float\", [\"literal\", \"x\"], \"bad\"]", NULL, "\"x\"" },
    { "[\"hex\", [\"list\", 0, 127, 128, -128, -129, 65535, \"x\"]]", NULL,
      "[\"0x00\", \"0x7f\", \"0x0080\", \"0x80\", \"0xff7f\", \"0x00ffff\"]" },
    { "[\"is-integer\", 1.0]", NULL, "false" },
    { "[\"is-float\", [\"list\"]]", NULL, "false" },
    { "[\"is-boolean\", null]", NULL, "false" },
  };
  RUN (cases);
}

static void
test_dates (void **state)
{
  static const Case cases[] = {
    { "[\"datetime\", \"2015-07-28\"]", NULL, "\"~t2015-07-28T00:00:00Z\"" },
    { "[\"datetime\", \"2015-07-28T10:00:00+02:00\"]", NULL, "\"~t2015-07-28T08:00:00Z\"" },
    { "[\"datetime\", -1]", NULL, "\"~t1969-12-31T23:59:59.999999999Z\"" },
    { "[\"datetime\", [\"list\", \"nope\", 1.5, \"2015-01-01T00:00:00.123456789Z\"]]", NULL,
      "[\"~t2015-01-01T00:00:00.123456789Z\"]" },
    { "[\"datetime\", \"_.\", \"nope\"]", NULL, "\"nope\"" },
    { "[\"datetime-parse\", \"%d/%m/%y %I:%M %p\", \"05/03/69 01:15 PM\"]", NULL, "\"~t1969-03-05T13:15:00Z\"" },
    { "[\"datetime-parse\", \"%Y\", \"x\"]", NULL, "null" },
    { "[\"datetime-parse\", \"Europe/Oslo\", \"%Y-%m-%d %H:%M\", \"2018-01-18 12:00\"]", NULL,
      "\"~t2018-01-18T11:00:00Z\"" },
    { "[\"datetime-parse\", \"Nowhere/City\", \"%Y\", \"2018\"]", NULL, "null" },
    { "[\"datetime-format\", \"%Y-%m-%dT%H:%M:%S.%f\", \"~t2015-07-28T09:46:00.123456789Z\"]", NULL,
      "\"2015-07-28T09:46:00.123456\"" },
    { "[\"datetime-format\", \"%Y\", \"2015\"]", NULL, "null" },
    { "[\"datetime-plus\", \"month\", 1, \"~t2015-01-31T10:00:00Z\"]", NULL, "\"~t2015-02-28T10:00:00Z\"" },
    { "[\"datetime-plus\", \"nanosecond\", -1, \"~t2015-01-01T00:00:00Z\"]", NULL,
      "\"~t2014-12-31T23:59:59.999999999Z\"" },
    { "[\"datetime-plus\", \"fortnight\", 1, \"~t2015-01-01T00:00:00Z\"]", NULL, "null" },
    { "[\"datetime-diff\", \"year\", \"~t2016-01-30T00:00:00Z\", \"~t2015-03-01T00:00:00Z\"]", NULL, "0" },
    { "[\"datetime-diff\", \"month\", \"~t2015-01-01T00:00:00Z\", \"~t2015-03-02T00:00:00Z\"]", NULL, "-2" },
    { "[\"datetime-diff\", \"hour\", \"~t2015-01-01T00:00:00Z\", \"~t2015-01-01T01:59:00Z\"]", NULL, "-1" },
    { "[\"datetime-shift\", \"Europe/Oslo\", \"UTC\", \"~t2015-01-28T09:46:00Z\"]", NULL, "\"~t2015-01-28T08:46:00Z\"" },
    { "[\"is-datetime\", \"2015-01-01\"]", NULL, "false" },
  };
  RUN (cases);
}

static void
test_dicts (void **state)
{
  static const Case cases[] = {
    { "[\"dict\"]", NULL, "{}" },
    { "[\"dict\", [\"list\", \"a\", 1]]", NULL, "{\"a\": 1}" },
    { "[\"dict\", [\"list\", [\"list\", \"a\", 1], [\"list\", \"a\", 2], [\"list\", 1, 2], \"x\"]]", NULL, "{\"a\": 2}" },
    { "[\"has-key\", \"a\", null]", NULL, "null" },
    { "[\"items\", {\"a\": {\"b\": 1}}]", NULL, "[[\"a\", {\"b\": 1}]]" },
    { "[\"key-values\", {\"a\": 1}]", NULL, "{\"key\": \"a\", \"value\": 1}" },
    { "[\"keys\", null]", NULL, "[]" },
    { "[\"path\", \"a\", [\"list\", {\"a\": [1, [2]]}, {\"a\": null}, 5]]", NULL, "[1, [2]]" },
    { "[\"path\", \"a\", 5]", NULL, "null" },
    { "\"_S.x.'a.b'.c\"", "{\"x\": {\"a.b\": {\"c\": 7}}}", "7" },
    { "\"_S.x.'it''s'\"", "{\"x\": {\"it's\": 1}}", "1" },
    { "\"_S.l.v\"", "{\"l\": [{\"v\": 1}, {\"w\": 2}, {\"v\": [3, 4]}]}", "[1, 3, 4]" },
    { "\"_S.l\"", "{\"l\": []}", "[]" },
    { "\"_S.x.y\"", "{\"x\": 1}", "null" },
    { "\"_S.\"", "{\"a\": 1}", "{\"a\": 1}" },
    { "\"_T.\"", NULL, "{}" },
    { "\"_P.\"", NULL, "null" },
    { "\"_R._S.a\"", "{\"a\": 1}", "1" },
    { "\"_B.param\"", NULL, "null" },
    { "[\"apply\", \"double\", \"_S.items\"]", "{\"items\": [{\"v\": 1}, 5, {\"v\": 2}]}", "[{\"v\": 2}, {\"v\": 4}]" },
    { "[\"apply\", \"double\", \"_S.item\"]", "{\"item\": {\"v\": 3}}", "{\"v\": 6}" },
    { "[\"strip-ns\", [\"list\", {\"a:b:c\": {\"x:y\": 1}}]]", NULL, "[{\"c\": {\"y\": 1}}]" },
    { "[\"apply-ns\", \"ns\", {\"_id\": \"1\", \"a\": {\"b\": 1}, \"$c\": 2}]", NULL,
      "{\"_id\": \"ns:1\", \"ns:a\": {\"ns:b\": 1}, \"$c\": 2}" },
  };
  RUN (cases);
}

static void
test_bytes_uris_uuid_json (void **state)
{
  static const Case cases[] = {
    { "[\"base64-decode\", [\"list\", \"YWJj\", \"not base64!\", \"YQ==\", 1]]", NULL, "[\"~bYWJj\", \"~bYQ==\"]" },
    { "[\"base64-encode\", \"abc\"]", NULL, "null" },
    { "[\"bytes\", [\"list\", \"æ\", 1]]", NULL, "[\"~bw6Y=\"]" },
    { "[\"is-bytes\", [\"list\"]]", NULL, "false" },
    { "[\"uri\", \"~rhttp://x/\"]", NULL, "\"~rhttp://x/\"" },
    { "[\"url-quote\", \"æ ~_.-\"]", NULL, "\"%C3%A6%20~_.-\"" },
    { "[\"url-unquote\", [\"list\", \"%C3%A6+%2\", 5]]", NULL, "[\"æ+%2\"]" },
    { "[\"is-uri\", \"http://x/\"]", NULL, "false" },
    { "[\"uuid\", [\"list\", \"ABC98F65DDF51234A8F582F6D8E69726\", \"nope\", 5]]", NULL,
      "[\"~uabc98f65-ddf5-1234-a8f5-82f6d8e69726\"]" },
    { "[\"json\", [\"list\", null, true, 1.0, 1e20, 0.0001, \"æ\\\"\"]]", NULL,
      "[\"null\", \"true\", \"1.0\", \"1e+20\", \"0.0001\", \"\\\"\\\\u00e6\\\\\\\"\\\"\"]" },
    { "[\"json-transit\", \"~t2015-01-01T00:00:00Z\"]", NULL, "\"\\\"~t2015-01-01T00:00:00Z\\\"\"" },
    { "[\"json-parse\", \"{\\\"a\\\": [1, 2.5]}\"]", NULL, "{\"a\": [1, 2.5]}" },
    { "[\"json-parse\", \"[1,\"]", NULL, "null" },
    { "[\"json-transit-parse\", \"\\\"~:a:b\\\"\"]", NULL, "\"~:a:b\"" },
  };
  RUN (cases);
}

static void
test_ni_sets_misc (void **state)
{
  static const Case cases[] = {
    { "[\"ni\", \"~:a:b\"]", NULL, "\"~:a:b\"" },
    { "[\"ni\", \"ns\", [\"list\", \"a\", 1]]", NULL, "[\"~:ns:a\"]" },
    { "[\"ni\", [\"uri\", \"http://www.w3.org/2002/07/owl#Thing\"]]", NULL, "\"~:owl:Thing\"" },
    { "[\"ni\", [\"uri\", \"http://other.example/x/y\"]]", NULL, "\"~:pipe-1:y\"" },
    { "[\"ni-ns\", \"foo\"]", NULL, "\"\"" },
    { "[\"ni-id\", \"~:foo:x:y\"]", NULL, "\"x:y\"" },
    { "[\"ni-expand\", \"~:_:bar\"]", NULL, "\"~rhttp://example.org/bar\"" },
    { "[\"union\", [\"list\", 1, 1], 2, [\"list\", 2, 3]]", NULL, "[1, 2, 3]" },
    { "[\"intersection\", [\"list\", 1, 1, 2], [\"list\", 1]]", NULL, "[1, 1]" },
    { "[\"difference\", [\"list\", 1, 2, 2], null]", NULL, "[1, 2, 2]" },
    { "[\"intersects\", null, null]", NULL, "false" },
    { "[\"hash128\", \"murmur3\", [\"list\", \"\", 5]]", NULL, "[0]" },
    { "[\"hash128\", \"murmur3\", [\"bytes\", \"abc\"]]", NULL, "79267961763742113019008347020647561319" },
    { "[\"tuples\", [\"list\"], 1]", NULL, "[]" },
    { "[\"literal\", \"_S.x\"]", "{\"x\": 1}", "\"_S.x\"" },
    { "[\"is-changed\", \"_S.x\"]", NULL, "null" },
  };
  RUN (cases);
}

/* Transform functions, through whole rules. */
static SluiceValue *
run_rules (const char *rules_json, const char *source_json, gboolean namespaced, int *ret_status,
           GError **error)
{
  g_autoptr (SluiceValue) rules = sluice_value_from_json (rules_json, -1, NULL);
  g_autoptr (SluiceValue) source = sluice_value_from_json (source_json, -1, NULL);
  DtlSettings settings = { namespaced, "foo", "bar", "pipe", FALSE };
  DtlProgram *program;
  DtlResult result;
  SluiceValue *target = NULL;

  assert_non_null (rules);
  assert_non_null (source);
  program = sluice_dtl_program_compile (rules, &settings, error);
  assert_non_null (program);
  if (sluice_dtl_program_run (program, source, NULL, &result, error))
    {
      *ret_status = result.status;
      target = result.target ? sluice_value_ref (result.target) : NULL;
      sluice_dtl_result_clear (&result);
    }
  sluice_dtl_program_free (program);
  return target;
}

static void
assert_target (const char *rules_json, const char *source_json, gboolean namespaced, const char *expected)
{
  g_autoptr (GError) error = NULL;
  int status = -1;
  g_autoptr (SluiceValue) got = run_rules (rules_json, source_json, namespaced, &status, &error);
  g_autoptr (SluiceValue) want = sluice_value_from_json (expected, -1, NULL);

  if (got == NULL)
    fail_msg ("%s: %s", rules_json, error ? error->message : "no target");
  if (!sluice_value_equal (got, want))
    {
      g_autofree char *got_json = sluice_value_to_json (got);

      fail_msg ("%s: got %s, expected %s", rules_json, got_json, expected);
    }
}

static void
test_transforms (void **state)
{
  g_autoptr (GError) error = NULL;
  int status = -1;
  g_autoptr (SluiceValue) filtered = NULL;

  assert_target ("{\"default\": [[\"add\", [\"concat\", \"x-\", \"_S.k\"], 1], [\"add\", 5, 2]]}",
                 "{\"k\": \"a\"}", FALSE, "{\"x-a\": 1}");
  assert_target ("{\"default\": [[\"add\", \"a\", 1], [\"add\", \"b\", \"_T.a\"], [\"default\", \"a\", 2]]}", "{}",
                 FALSE, "{\"a\": 1, \"b\": 1}");
  assert_target ("{\"default\": [[\"add-if\", \"a\", [\"list\"]], [\"add-if\", \"b\", [\"list\", null]]]}", "{}",
                 FALSE, "{\"a\": [], \"b\": [null]}");
  assert_target ("{\"default\": [[\"copy\", \"*\", [\"list\", \"_*\", \"x\"]]]}",
                 "{\"_id\": \"1\", \"x\": 1, \"y\": 2}", FALSE, "{\"y\": 2}");
  assert_target ("{\"default\": [[\"copy\", \"*\"], [\"remove\", [\"list\", \"a\", \"b?\"]]]}",
                 "{\"a\": 1, \"bc\": 2, \"bcd\": 3}", FALSE, "{\"bcd\": 3}");
  assert_target ("{\"default\": [[\"if\", false, [\"add\", \"t\", 1], [[\"add\", \"e\", 1], [\"add\", \"f\", 2]]]]}",
                 "{}", FALSE, "{\"e\": 1, \"f\": 2}");
  assert_target ("{\"default\": [[\"if\", true, []]]}", "{}", FALSE, "{}");
  assert_target ("{\"default\": [[\"case\", false, [\"add\", \"a\", 1], [\"add\", \"b\", 2]]]}", "{}", FALSE,
                 "{\"b\": 2}");
  assert_target ("{\"default\": [[\"merge\", [\"list\", {\"a\": 1}, 5, {\"a\": 2, \"_id\": \"x\"}]]]}", "{}", FALSE,
                 "{\"a\": 2}");
  assert_target ("{\"default\": [[\"merge-union\", [\"list\", {\"a\": [1]}, {\"a\": [2, 3]}, {\"a\": 4}]]]}", "{}",
                 FALSE, "{\"a\": [1, 2, 3, 4]}");
  assert_target ("{\"default\": [[\"rename\", \"missing\", \"x\"], [\"rename\", \"a\", \"b\"]]}", "{\"a\": 1}",
                 FALSE, "{\"b\": 1}");
  assert_target ("{\"default\": [[\"make-ni\", \"ns\", \"a\"], [\"make-ni\", \"ns\", \"n\"]]}",
                 "{\"a\": [\"x\", 1], \"n\": 5}", FALSE, "{\"a-ni\": [\"~:ns:x\"]}");
  assert_target ("{\"default\": [[\"create-child\", [\"list\", {\"_id\": \"c\"}, {\"_id\": \"c\"}, 5]]]}", "{}",
                 FALSE, "{\"$children\": [{\"_id\": \"c\"}]}");
  assert_target ("{\"default\": [[\"add\", \"o\", [\"apply\", \"sub\", \"_S.items\"]]],"
                 " \"sub\": [[\"add\", \"v\", \"_S.v\"], [\"add\", \"parent\", \"_P._S.name\"], [\"add\", \"root\", \"_R._S.name\"],"
                 "          [\"filter\", [\"gt\", \"_S.v\", 1]]]}",
                 "{\"name\": \"n\", \"items\": [{\"v\": 1}, {\"v\": 2}]}", FALSE,
                 "{\"o\": [{\"v\": 2, \"parent\": \"n\", \"root\": \"n\"}]}");
  /* Namespaces. */
  assert_target ("{\"default\": [[\"add\", \"_id\", \"1\"], [\"add\", \":a\", 1], [\"add\", \"$b\", 2]]}", "{}", TRUE,
                 "{\"_id\": \"foo:1\", \"bar:a\": 1, \"$b\": 2}");
  assert_target ("{\"default\": [[\"rename\", \"a\", \"x:b\"]]}", "{\"a\": 1, \"n:a\": [2, 3]}", TRUE,
                 "{\"x:b\": [1, 2, 3]}");
  assert_target ("{\"default\": [[\"copy\", \"n:*\"]]}", "{\"a\": 1, \"n:a\": 2, \"m:a\": 3}", TRUE,
                 "{\"n:a\": 2}");

  /* filter and discard stop the rule. */
  filtered = run_rules ("{\"default\": [[\"add\", \"a\", 1], [\"filter\"], [\"add\", \"b\", 2]]}", "{}", FALSE, &status,
                        &error);
  assert_int_equal (status, DTL_STATUS_FILTER);
  assert_non_null (filtered);
  assert_null (sluice_value_dict_lookup (filtered, "b"));
  assert_null (run_rules ("{\"default\": [[\"discard\", [\"eq\", 1, 2]]]}", "{}", FALSE, &status, &error));
  assert_int_equal (status, DTL_STATUS_DISCARD);
}

static void
test_run_errors (void **state)
{
  g_autoptr (GError) fail_error = NULL;
  g_autoptr (GError) trip_error = NULL;
  g_autoptr (GError) apply_error = NULL;
  g_autoptr (GError) id_error = NULL;
  int status;
  g_autoptr (SluiceValue) rules = sluice_value_from_json ("{\"default\": [[\"create\", 5]]}", -1, NULL);
  DtlSettings strict = { FALSE, NULL, NULL, "pipe", TRUE };
  DtlProgram *program;
  DtlResult result;
  g_autoptr (SluiceValue) empty = sluice_value_from_json ("{}", -1, NULL);

  assert_null (run_rules ("{\"default\": [[\"fail!\", [\"concat\", \"bad \", \"_S.x\"]], [\"add\", \"a\", 1]]}",
                          "{\"x\": \"thing\"}", FALSE, &status, &fail_error));
  assert_true (g_error_matches (fail_error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_FAIL));
  assert_string_equal (fail_error->message, "bad thing");
  assert_null (run_rules ("{\"default\": [[\"trip!\", \"too many\"]]}", "{}", FALSE, &status, &trip_error));
  assert_true (g_error_matches (trip_error, SLUICE_ERROR, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP));
  assert_string_equal (trip_error->message, "too many");
  /* A failure inside a nested rule fails the whole run. */
  assert_null (run_rules ("{\"default\": [[\"add\", \"x\", [\"apply\", \"r\", \"_S.\"]]], \"r\": [[\"fail!\", \"inner\"]]}",
                          "{}", FALSE, &status, &apply_error));
  assert_string_equal (apply_error->message, "inner");
  /* Infinite recursion through apply is stopped. */
  {
    g_autoptr (GError) deep = NULL;

    assert_null (run_rules ("{\"default\": [[\"add\", \"x\", [\"apply\", \"default\", \"_S.\"]]]}", "{}", FALSE,
                            &status, &deep));
    assert_true (g_error_matches (deep, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_LIMIT));
  }
  program = sluice_dtl_program_compile (rules, &strict, NULL);
  assert_false (sluice_dtl_program_run (program, empty, NULL, &result, &id_error));
  assert_true (g_error_matches (id_error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_ID_REQUIRED));
  assert_string_equal (id_error->message,
                       "rules/default/0: 'create' got integer, not an entity with a string _id (id_required is true)");
  sluice_dtl_program_free (program);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_logic),
    cmocka_unit_test (test_strings),
    cmocka_unit_test (test_lists),
    cmocka_unit_test (test_math),
    cmocka_unit_test (test_types),
    cmocka_unit_test (test_dates),
    cmocka_unit_test (test_dicts),
    cmocka_unit_test (test_bytes_uris_uuid_json),
    cmocka_unit_test (test_ni_sets_misc),
    cmocka_unit_test (test_transforms),
    cmocka_unit_test (test_run_errors),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
