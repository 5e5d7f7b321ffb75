/* test-http-template.c — the template language of the http plugin (plugins/http/http-template.c,
 * docs/templates.md): placeholders, paths, filters, and the errors a user sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "http-template.h"
#include "http-test-server.h"

static char *
render (const char *text, const char *variables_json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HttpTemplate) tmpl = http_template_compile (text, "url", &error);
  g_autoptr (SluiceValue) variables = http_test_json (variables_json);
  char *out;

  assert_null (error);
  assert_non_null (tmpl);
  out = http_template_render (tmpl, variables, &error);
  if (error != NULL)
    fail_msg ("render failed: %s", error->message);
  return out;
}

static void
test_placeholders (void **state)
{
  g_autofree char *a = render ("persons/{{ entity._id }}", "{\"entity\": {\"_id\": \"p1\"}}");
  g_autofree char *b = render ("{{entity.a.b}}-{{ entity.list.1 }}",
                               "{\"entity\": {\"a\": {\"b\": 7}, \"list\": [\"x\", \"y\"]}}");
  g_autofree char *c = render ("no placeholders", "{}");
  g_autofree char *d = render ("since={{ since }}", "{\"since\": null}");
  g_autofree char *e = render ("{{ flag }} {{ n }} {{ f }} {{ obj }}",
                               "{\"flag\": true, \"n\": -12, \"f\": 1.5, \"obj\": {\"k\": [1]}}");
  g_autofree char *f = render ("{{ when }}", "{\"when\": \"~t2024-02-03T04:05:06Z\"}");
  g_autofree char *g = render ("{{ $ids.0 }}", "{\"$ids\": [\"~:crm:1\"]}");

  assert_string_equal (a, "persons/p1");
  assert_string_equal (b, "7-y");
  assert_string_equal (c, "no placeholders");
  assert_string_equal (d, "since=");
  assert_string_equal (e, "true -12 1.5 {\"k\":[1]}");
  assert_string_equal (f, "2024-02-03T04:05:06Z");
  assert_string_equal (g, "crm:1");
}

static void
test_filters (void **state)
{
  g_autofree char *a = render ("q={{ name | urlquote }}", "{\"name\": \"a b/c&d=é\"}");
  g_autofree char *b = render ("{{ entity | json }}", "{\"entity\": {\"_id\": \"x\", \"n\": 1}}");
  g_autofree char *c = render ("{{ s | json }}", "{\"s\": \"say \\\"hi\\\"\"}");
  g_autofree char *d = render ("{{ s|upper }}/{{ s | lower }}", "{\"s\": \"MiXed\"}");
  g_autofree char *e = render ("{{ s | upper | urlquote }}", "{\"s\": \"a b\"}");
  g_autofree char *f = render ("{{ when | json }}", "{\"when\": \"~t2024-02-03T04:05:06Z\"}");

  assert_string_equal (a, "q=a%20b%2Fc%26d%3D%C3%A9");
  assert_string_equal (b, "{\"_id\":\"x\",\"n\":1}");
  assert_string_equal (c, "\"say \\\"hi\\\"\"");
  assert_string_equal (d, "MIXED/mixed");
  assert_string_equal (e, "A%20B");
  assert_string_equal (f, "\"~t2024-02-03T04:05:06Z\"");
}

static void
assert_compile_error (const char *text, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HttpTemplate) tmpl = http_template_compile (text, "url", &error);

  assert_null (tmpl);
  assert_non_null (error);
  assert_string_equal (error->message, expected);
}

static void
test_compile_errors (void **state)
{
  assert_compile_error ("persons/{{ entity._id ", "url template \"persons/{{ entity._id \": byte 8: "
                                                  "'{{' is never closed by '}}'");
  assert_compile_error ("a{{ }}", "url template \"a{{ }}\": byte 4: expected a variable name after '{{'");
  assert_compile_error ("{{ entity. }}",
                        "url template \"{{ entity. }}\": byte 10: expected a name after '.'");
  assert_compile_error ("{{ x | quote }}",
                        "url template \"{{ x | quote }}\": byte 7: unknown filter 'quote' "
                        "(expected urlquote, json, upper or lower)");
  assert_compile_error ("{{ x y }}", "url template \"{{ x y }}\": byte 5: expected '|' or '}}', got 'y'");
}

static void
test_render_errors (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HttpTemplate) tmpl = http_template_compile ("persons/{{ entity.email }}", "url", &error);
  g_autoptr (SluiceValue) variables = http_test_json ("{\"entity\": {\"_id\": \"p1\"}}");
  g_autofree char *out = NULL;

  assert_non_null (tmpl);
  out = http_template_render (tmpl, variables, &error);
  assert_null (out);
  assert_string_equal (error->message,
                       "url template \"persons/{{ entity.email }}\": 'entity.email' is not defined");
}

static void
test_queries (void **state)
{
  g_autoptr (HttpTemplate) a = http_template_compile ("p?since={{ since | urlquote }}", "url", NULL);
  g_autoptr (HttpTemplate) b = http_template_compile ("{{ entity }}", "payload", NULL);
  g_autoptr (HttpTemplate) c = http_template_compile ("plain", "url", NULL);
  g_autoptr (SluiceValue) variables = http_test_json ("{\"entity\": {\"_id\": \"e\", \"l\": [1, 2]}}");
  g_autoptr (SluiceValue) value = NULL;

  assert_true (http_template_uses_variable (a, "since"));
  assert_false (http_template_uses_variable (a, "entity"));
  assert_false (http_template_is_constant (a));
  assert_true (http_template_is_constant (c));
  assert_false (http_template_is_single_value (a));
  assert_true (http_template_is_single_value (b));
  value = http_template_render_value (b, variables, NULL);
  assert_non_null (value);
  assert_true (sluice_value_equal (value, sluice_value_dict_lookup (variables, "entity")));
  assert_null (http_template_render_value (a, variables, NULL));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_placeholders),
    cmocka_unit_test (test_filters),
    cmocka_unit_test (test_compile_errors),
    cmocka_unit_test (test_render_errors),
    cmocka_unit_test (test_queries),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
