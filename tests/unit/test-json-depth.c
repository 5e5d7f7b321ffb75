/* test-json-depth.c — the nesting bound on JSON text handed to json-glib
 * (core/base/sluice-json-depth.c): 512 levels pass and 513 do not, with the byte of the bracket too
 * many; brackets in strings do not count; and the two things json-glib reads beyond JSON ('…'
 * strings and comments) cannot hide brackets from the count, checked against json-glib itself
 * where the text is shallow enough to give it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <json-glib/json-glib.h>

#include "sluice-json-depth.h"

/* @prefix, then @depth arrays one in the other, then @suffix. */
static char *
nested (const char *prefix, guint depth, const char *suffix)
{
  GString *out = g_string_new (prefix);

  for (guint i = 0; i < depth; i++)
    g_string_append_c (out, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (out, ']');
  g_string_append (out, suffix);
  return g_string_free (out, FALSE);
}

static void
assert_deep (const char *text, gsize byte)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *message = g_strdup_printf ("byte %" G_GSIZE_FORMAT ": nesting deeper than 512 "
                                              "levels", byte);

  assert_false (sluice_json_check_depth (text, -1, &error));
  assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
  assert_string_equal (error->message, message);
}

static void
test_boundary (void **state)
{
  g_autofree char *at_limit = nested ("", 512, "");
  g_autofree char *over_limit = nested ("", 513, "");
  g_autofree char *objects = NULL;
  g_autofree char *deep = nested (" ", 100000, "");
  GString *mixed = g_string_new (NULL);

  assert_true (sluice_json_check_depth (at_limit, -1, NULL));
  assert_deep (over_limit, 512);
  assert_deep (deep, 513);
  /* Objects count as arrays do; levels that closed count no more. */
  for (guint i = 0; i < 512; i++)
    g_string_append (mixed, i % 2 == 0 ? "{\"a\": " : "[");
  for (guint i = 512; i-- > 0;)
    g_string_append (mixed, i % 2 == 0 ? "}" : "]");
  objects = g_string_free (mixed, FALSE);
  assert_true (sluice_json_check_depth (objects, -1, NULL));
  {
    g_autofree char *inner = nested ("", 511, "");
    g_autofree char *twice = g_strconcat ("[", inner, ", ", inner, "]", NULL);

    /* Two members of 511 levels side by side in an array: 512 deep, not 1023. */
    assert_true (sluice_json_check_depth (twice, -1, NULL));
  }
  /* @len bounds the scan. */
  assert_true (sluice_json_check_depth (over_limit, 512, NULL));
  assert_false (sluice_json_check_depth (over_limit, 513, NULL));
}

static void
test_strings (void **state)
{
  GString *text = g_string_new ("[\"");

  /* Brackets in a string are text; an escaped quote does not end it. */
  for (guint i = 0; i < 1000; i++)
    g_string_append (text, "[{\\\"");
  g_string_append (text, "\\\\\", 1]");
  assert_true (sluice_json_check_depth (text->str, -1, NULL));
  g_string_free (text, TRUE);
}

/* json-glib reads '"' as a string holding a double quote, and skips comments, which may hold
 * quotes: neither may make the scan believe it is in a string while json-glib goes deeper. */
static void
test_json_glib_extensions (void **state)
{
  const char *prefixes[] = { "['\"', ", "[/* \" */ ", "[/* \" / ", "['a\\', " };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      g_autofree char *deep = nested (prefixes[i], 100000, "]");
      g_autofree char *shallow = nested (prefixes[i], 3, "]");
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) node = json_from_string (shallow, &error);

      /* json-glib reads the text as JSON … */
      if (node == NULL)
        fail_msg ("%s: %s", shallow, error->message);
      /* … and the scan refuses it once deep. */
      assert_false (sluice_json_check_depth (deep, -1, NULL));
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_boundary),
    cmocka_unit_test (test_strings),
    cmocka_unit_test (test_json_glib_extensions),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
