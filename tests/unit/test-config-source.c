/* test-config-source.c — the configuration JSON parser: values, positions, strictness, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-config-source.h"
#include "sluice-config.h"

static void
assert_position (SluiceConfigSource *source, const char *pointer, gboolean key, guint line,
                 guint column)
{
  guint l = 0, c = 0;

  assert_true (sluice_config_source_locate (source, pointer, key, &l, &c));
  if (l != line || c != column)
    fail_msg ("%s%s at %u:%u, expected %u:%u", pointer, key ? " (key)" : "", l, c, line, column);
}

static void
test_values_and_positions (void **state)
{
  const char *text = "[\n"
                     "  {\"a\": 1, \"b/c\": [true, null, -2.5e1],\n"
                     "\t\"é~\": \"x\\u00e9\\ud83d\\ude00\"}\n"
                     "]";
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfigSource) source = sluice_config_source_parse ("t.json", text, -1, NULL,
                                                                      NULL, &error);
  JsonObject *object;
  JsonArray *array;

  assert_non_null (source);
  assert_string_equal (sluice_config_source_get_path (source), "t.json");
  object = json_array_get_object_element (json_node_get_array (sluice_config_source_get_root (source)), 0);
  assert_int_equal (json_object_get_int_member (object, "a"), 1);
  array = json_object_get_array_member (object, "b/c");
  assert_true (json_array_get_boolean_element (array, 0));
  assert_true (json_array_get_null_element (array, 1));
  assert_true (json_array_get_double_element (array, 2) == -25.0);
  assert_string_equal (json_object_get_string_member (object, "é~"), "xé\xF0\x9F\x98\x80");

  assert_position (source, "", FALSE, 1, 1);
  assert_position (source, "/0", FALSE, 2, 3);
  assert_position (source, "/0/a", FALSE, 2, 9);
  assert_position (source, "/0/a", TRUE, 2, 4);
  /* '/' and '~' are escaped in pointers. */
  assert_position (source, "/0/b~1c/2", FALSE, 2, 32);
  /* Columns count characters: the tab is one, 'é' is one. */
  assert_position (source, "/0/é~0", TRUE, 3, 2);
  assert_position (source, "/0/é~0", FALSE, 3, 8);
  /* A missing member falls back to the object that should hold it. */
  assert_position (source, "/0/missing", TRUE, 2, 3);
}

/* A whole configuration on one line: columns keep counting characters from the line start, and
 * many values on one line parse in linear time (20,000 took minutes when every column was counted
 * from the line start again). */
static void
test_long_line (void **state)
{
  g_autoptr (GString) text = g_string_new ("[");
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfigSource) source = NULL;
  guint column = 2;

  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (text, "%s\"é%05u\"", i > 0 ? "," : "", i);
  g_string_append (text, "]");
  source = sluice_config_source_parse ("long.json", text->str, text->len, NULL, NULL, &error);
  assert_non_null (source);

  /* Each element is 8 characters ("é00000" quoted) plus a comma. */
  assert_position (source, "/0", FALSE, 1, column);
  assert_position (source, "/1", FALSE, 1, column + 9);
  assert_position (source, "/19999", FALSE, 1, column + 19999 * 9);
  /* Asked out of order, the answer is the same. */
  assert_position (source, "/5", FALSE, 1, column + 5 * 9);
}

typedef struct
{
  const char *text;
  guint line;
  guint column;
  const char *message;
} ParseError;

static const ParseError parse_errors[] = {
  { "", 1, 1, "unexpected end of file: expected a value" },
  { "{\"a\": 1,}", 1, 9, "expected a string key" },
  { "[1 2]", 1, 4, "expected ',' or ']' after an array element" },
  { "{\"a\" 1}", 1, 6, "expected ':' after an object key" },
  { "{\"a\": 1\n \"b\": 2}", 2, 2, "expected ',' or '}' after an object member" },
  { "{\"a\": 1, \"a\": 2}", 1, 10, "duplicate key 'a' in an object" },
  { "{\"a\": tru}", 1, 7, "expected a value (an object, array, string, number, true, false or null)" },
  { "// comment\n{}", 1, 1, "expected a value (an object, array, string, number, true, false or null)" },
  { "[01]", 1, 3, "expected ',' or ']' after an array element" },
  { "[1.]", 1, 2, "invalid number: expected a digit after '.'" },
  { "[1e]", 1, 2, "invalid number: expected a digit in the exponent" },
  { "\"abc", 1, 1, "unterminated string" },
  { "[\"a\nb\"]", 1, 2, "unterminated string: expected '\"' before the end of the line" },
  { "[\"a\\x\"]", 1, 4, "invalid escape in a string: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u" },
  { "[\"\\u12\"]", 1, 3, "invalid \\u escape: expected four hexadecimal digits" },
  { "[\"\\ud800x\"]", 1, 3, "invalid \\u escape: unpaired high surrogate" },
  { "[\"\\udc00\"]", 1, 3, "invalid \\u escape: unpaired low surrogate" },
  { "[\"\\u0000\"]", 1, 3, "invalid \\u escape: NUL characters are not allowed" },
  { "{} {}", 1, 4, "unexpected text after the end of the JSON value" },
  { "[\"a\",\n \"\xff\"]", 2, 3, "invalid UTF-8" },
};

static void
test_parse_errors (void **state)
{
  for (gsize i = 0; i < G_N_ELEMENTS (parse_errors); i++)
    {
      const ParseError *e = &parse_errors[i];
      g_autoptr (GError) error = NULL;
      guint line = 0, column = 0;
      g_autoptr (SluiceConfigSource) source = sluice_config_source_parse ("t.json", e->text, -1,
                                                                          &line, &column, &error);

      if (source != NULL)
        fail_msg ("case %zu parsed: %s", i, e->text);
      assert_true (g_error_matches (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_PARSE));
      if (!g_str_equal (error->message, e->message) || line != e->line || column != e->column)
        fail_msg ("case %zu: %u:%u %s, expected %u:%u %s", i, line, column, error->message,
                  e->line, e->column, e->message);
    }
}

static void
test_depth_limit (void **state)
{
  g_autoptr (GString) deep = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfigSource) source = NULL;

  for (int i = 0; i < 600; i++)
    g_string_append_c (deep, '[');
  source = sluice_config_source_parse ("t.json", deep->str, -1, NULL, NULL, &error);
  assert_null (source);
  assert_string_equal (error->message, "nesting deeper than 512 levels");
}

static void
test_byte_order_mark (void **state)
{
  g_autoptr (SluiceConfigSource) source =
    sluice_config_source_parse ("t.json", "\xEF\xBB\xBF{\"a\": 1}", -1, NULL, NULL, NULL);

  assert_non_null (source);
  assert_position (source, "/a", FALSE, 1, 7);
}

static void
test_pointer_escaping (void **state)
{
  g_autoptr (GString) pointer = g_string_new (NULL);

  sluice_json_pointer_append (pointer, "a/b~c");
  sluice_json_pointer_append_index (pointer, 3);
  assert_string_equal (pointer->str, "/a~1b~0c/3");
}

/* Numbers keep their text as written: a JsonNode has only a gint64 or a double, and messages must
 * quote what the file says, not "1.0000000000000001e-09". */
static void
test_number_text (void **state)
{
  const char *text = "{\"a\": 1e-9, \"b\": [5.0, -0.5, 1E18], \"c\": 7, \"d\": \"1e3\"}";
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfigSource) source = sluice_config_source_parse ("t.json", text, -1, NULL,
                                                                      NULL, &error);

  assert_non_null (source);
  assert_string_equal (sluice_config_source_get_number_text (source, "/a"), "1e-9");
  assert_string_equal (sluice_config_source_get_number_text (source, "/b/0"), "5.0");
  assert_string_equal (sluice_config_source_get_number_text (source, "/b/1"), "-0.5");
  assert_string_equal (sluice_config_source_get_number_text (source, "/b/2"), "1E18");
  assert_string_equal (sluice_config_source_get_number_text (source, "/c"), "7");
  assert_null (sluice_config_source_get_number_text (source, "/d"));
  assert_null (sluice_config_source_get_number_text (source, "/b"));
}

/* A number that neither a gint64 nor a double holds is no syntax error: an embedded entity keeps
 * it exactly, as a receiver does, and validation judges it where an option must be a number. */
static void
test_numbers_beyond_double (void **state)
{
  const char *text = "[99999999999999999999, -12345678901234567890.5, 1e400, -1E400, 1e-400]";
  const char *written[] = { "99999999999999999999", "-12345678901234567890.5", "1e400", "-1E400",
                            "1e-400" };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfigSource) source = sluice_config_source_parse ("t.json", text, -1, NULL,
                                                                      NULL, &error);
  JsonArray *array;

  if (source == NULL)
    fail_msg ("%s", error->message);
  array = json_node_get_array (sluice_config_source_get_root (source));
  assert_int_equal (json_array_get_length (array), G_N_ELEMENTS (written));
  for (guint i = 0; i < G_N_ELEMENTS (written); i++)
    {
      g_autofree char *pointer = g_strdup_printf ("/%u", i);

      assert_string_equal (sluice_config_source_get_number_text (source, pointer), written[i]);
    }
  /* The nodes hold the nearest double, the sign of an overflow included. */
  assert_true (json_array_get_double_element (array, 0) == 1e20);
  assert_true (isinf (json_array_get_double_element (array, 2))
               && json_array_get_double_element (array, 2) > 0);
  assert_true (isinf (json_array_get_double_element (array, 3))
               && json_array_get_double_element (array, 3) < 0);
  assert_true (json_array_get_double_element (array, 4) == 0);
}

/* Whether a number is exactly an integer is decided on its decimal text. */
static void
test_number_get_integer (void **state)
{
  struct
  {
    const char *text;
    gboolean integral;
    gint64 value;
  } cases[] = {
    { "0", TRUE, 0 },
    { "-0.0", TRUE, 0 },
    { "5.0", TRUE, 5 },
    { "1e3", TRUE, 1000 },
    { "2.50e1", TRUE, 25 },
    { "1250e-2", FALSE, 0 },
    { "1200e-2", TRUE, 12 },
    { "0.0001e4", TRUE, 1 },
    { "1E18", TRUE, 1000000000000000000 },
    { "-0.5", FALSE, 0 },
    { "1e-9", FALSE, 0 },
    { "2.5", FALSE, 0 },
    { "9223372036854775807", TRUE, G_MAXINT64 },
    { "9223372036854775807.0", TRUE, G_MAXINT64 },
    { "9223372036854775808", FALSE, 0 },
    { "-9223372036854775808", TRUE, G_MININT64 },
    { "-9223372036854775809", FALSE, 0 },
    /* A double would round this one to ...992. */
    { "9007199254740993.0", TRUE, 9007199254740993 },
    { "1e19", FALSE, 0 },
    { "1e99999999999999999999", FALSE, 0 },
    { "0e99999999999999999999", TRUE, 0 },
    { "1e-99999999999999999999", FALSE, 0 },
    { "-", FALSE, 0 },
    { "1x", FALSE, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 value = -42;
      gboolean integral = sluice_json_number_get_integer (cases[i].text, &value);

      if (integral != cases[i].integral || (integral && value != cases[i].value))
        fail_msg ("%s: %s %" G_GINT64_FORMAT, cases[i].text, integral ? "integral" : "not integral",
                  value);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_values_and_positions),
    cmocka_unit_test (test_long_line),
    cmocka_unit_test (test_parse_errors),
    cmocka_unit_test (test_depth_limit),
    cmocka_unit_test (test_byte_order_mark),
    cmocka_unit_test (test_pointer_escaping),
    cmocka_unit_test (test_number_text),
    cmocka_unit_test (test_numbers_beyond_double),
    cmocka_unit_test (test_number_get_integer),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
