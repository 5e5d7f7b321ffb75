/* test-option-table.c — reading, checking and exporting plugin option tables
 * (core/registry/sluice-option-table.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-option-table.h"

static const char *const mode_choices[] = { "full", "incremental", NULL };

static const SluiceOptionSpec auth_options[] = {
  { .key = "user", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED },
  { .key = "password", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_SECRET,
    .description = "The password." },
  { NULL },
};

static const SluiceOptionSpec good_options[] = {
  { .key = "url", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,
    .description = "Where to read from." },
  { .key = "page_size", .types = SLUICE_OPTION_INTEGER, .default_json = "100" },
  { .key = "ratio", .types = SLUICE_OPTION_NUMBER | SLUICE_OPTION_INTEGER, .default_json = "1" },
  { .key = "mode", .types = SLUICE_OPTION_STRING, .default_json = "\"full\"",
    .choices = mode_choices },
  { .key = "auth", .types = SLUICE_OPTION_OBJECT, .properties = auth_options },
  { .key = "headers", .types = SLUICE_OPTION_OBJECT | SLUICE_OPTION_NULL,
    .flags = SLUICE_OPTION_FLAG_OPEN, .default_json = "null" },
  { .key = "anything", .types = SLUICE_OPTION_ANY },
  { NULL },
};

static SluiceOptionTable
table_of (const SluiceOptionSpec *entries)
{
  SluiceOptionTable table = { entries, sizeof (SluiceOptionSpec) };

  return table;
}

/* The message of checking a one-entry table, or NULL when it is well formed. */
static char *
check_one (SluiceOptionSpec spec)
{
  SluiceOptionSpec entries[2] = { spec, { NULL } };
  SluiceOptionTable table = table_of (entries);
  g_autoptr (GError) error = NULL;

  if (sluice_option_table_check (&table, "element 'test'", &error))
    return NULL;
  assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA));
  return g_strdup (error->message);
}

#define assert_check_message(spec_, expected_)     \
  G_STMT_START                                     \
  {                                                \
    g_autofree char *message_ = check_one (spec_); \
    assert_non_null (message_);                    \
    assert_string_equal (message_, (expected_));   \
  }                                                \
  G_STMT_END

static void
test_get_and_lookup (void **state)
{
  SluiceOptionTable table = table_of (good_options);
  SluiceOptionSpec spec;
  size_t n = 0;

  while (sluice_option_table_get (&table, n, &spec))
    n++;
  assert_int_equal (n, 7);

  assert_true (sluice_option_table_lookup (&table, "mode", &spec));
  assert_string_equal (spec.key, "mode");
  assert_string_equal (spec.default_json, "\"full\"");
  assert_ptr_equal (spec.choices, mode_choices);
  assert_false (sluice_option_table_lookup (&table, "nope", &spec));

  assert_true (sluice_option_table_lookup (&table, "auth", &spec));
  {
    SluiceOptionTable nested = sluice_option_table_nested (&table, &spec);
    SluiceOptionSpec inner;

    assert_true (sluice_option_table_lookup (&nested, "password", &inner));
    assert_int_equal (inner.flags, SLUICE_OPTION_FLAG_SECRET);
  }
  assert_true (sluice_option_table_lookup (&table, "url", &spec));
  assert_null (sluice_option_table_nested (&table, &spec).entries);
}

/* A plugin built against a later minor ABI has a bigger SluiceOptionSpec: the host must stride by
 * the plugin's size and still find every entry. */
typedef struct
{
  SluiceOptionSpec base;
  const char *added_in_a_later_version;
  uint64_t another;
} BiggerSpec;

static void
test_bigger_stride (void **state)
{
  static const BiggerSpec entries[] = {
    { { .key = "a", .types = SLUICE_OPTION_STRING }, "x", 1 },
    { { .key = "b", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true" }, "y", 2 },
    { { NULL }, NULL, 0 },
  };
  SluiceOptionTable table = { &entries[0].base, sizeof (BiggerSpec) };
  SluiceOptionSpec spec;
  g_autoptr (GError) error = NULL;

  assert_true (sluice_option_table_get (&table, 1, &spec));
  assert_string_equal (spec.key, "b");
  assert_string_equal (spec.default_json, "true");
  assert_false (sluice_option_table_get (&table, 2, &spec));
  assert_true (sluice_option_table_check (&table, "element 'bigger'", &error));
  assert_null (error);
}

static void
test_from_element (void **state)
{
  SluiceElementDescriptor element = { SLUICE_ELEMENT_DESCRIPTOR_INIT, .options = good_options };
  SluiceOptionTable table = sluice_option_table_from_element (&element);

  assert_ptr_equal (table.entries, good_options);
  assert_int_equal (table.stride, sizeof (SluiceOptionSpec));

  element.options = NULL;
  table = sluice_option_table_from_element (&element);
  assert_null (table.entries);
  /* An empty table is well formed, has no entries and suggests nothing. */
  assert_true (sluice_option_table_check (&table, "element 'empty'", NULL));
  assert_false (sluice_option_table_lookup (&table, "url", &(SluiceOptionSpec) { 0 }));
  assert_null (sluice_option_table_suggest (&table, "url"));
}

static void
test_stride_too_small (void **state)
{
  SluiceOptionTable table = { good_options, 16 };
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = g_strdup_printf (
    "element 'old': option_struct_size is 16 bytes, smaller than ABI 1.0's %zu bytes",
    (size_t) SLUICE_OPTION_SPEC_SIZE_1_0);

  assert_false (sluice_option_table_check (&table, "element 'old'", &error));
  assert_string_equal (error->message, expected);
}

static void
test_suggest (void **state)
{
  SluiceOptionTable table = table_of (good_options);

  assert_string_equal (sluice_option_table_suggest (&table, "urll"), "url");
  assert_string_equal (sluice_option_table_suggest (&table, "pagesize"), "page_size");
  assert_string_equal (sluice_option_table_suggest (&table, "page_szie"), "page_size");
  assert_string_equal (sluice_option_table_suggest (&table, "mode"), "mode");
  /* Too far from every key: a wrong suggestion is worse than none. */
  assert_null (sluice_option_table_suggest (&table, "xyz"));
  assert_null (sluice_option_table_suggest (&table, "ur"));

  assert_int_equal (sluice_option_table_key_distance ("abc", "acb"), 1);
  assert_int_equal (sluice_option_table_key_distance ("", "abc"), 3);
  assert_int_equal (sluice_option_table_key_distance ("kitten", "sitting"), 3);
}

static void
test_check_good (void **state)
{
  SluiceOptionTable table = table_of (good_options);
  g_autoptr (GError) error = NULL;

  assert_true (sluice_option_table_check (&table, "element 'good'", &error));
  assert_null (error);
}

static void
test_check_malformed (void **state)
{
  static const char *const no_choices[] = { NULL };

  assert_check_message (((SluiceOptionSpec) { .key = "", .types = SLUICE_OPTION_STRING }),
                        "element 'test': option #1 has an empty key");
  assert_check_message (((SluiceOptionSpec) { .key = "url" }),
                        "element 'test': option 'url' accepts no type (types is 0)");
  assert_check_message (((SluiceOptionSpec) { .key = "url", .types = 1u << 9 }),
                        "element 'test': option 'url' has unknown type bits 0x200");
  assert_check_message (
    ((SluiceOptionSpec) { .key = "url", .types = SLUICE_OPTION_STRING, .flags = 1u << 7 }),
    "element 'test': option 'url' has unknown flag bits 0x80");
  {
    /* The parser's own words follow in parentheses; they are json-glib's to change. */
    g_autofree char *message = check_one ((SluiceOptionSpec) {
      .key = "n", .types = SLUICE_OPTION_INTEGER, .default_json = "[1," });

    assert_non_null (message);
    assert_true (g_str_has_prefix (
      message, "element 'test': option 'n' has a default that is not valid JSON: [1, ("));
  }
  assert_check_message (((SluiceOptionSpec) { .key = "batch_size", .types = SLUICE_OPTION_INTEGER,
                                              .default_json = "\"ten\"" }),
                        "element 'test': option 'batch_size' has a default of type string "
                        "(\"ten\"), but the option accepts integer");
  assert_check_message (((SluiceOptionSpec) { .key = "n", .types = SLUICE_OPTION_INTEGER,
                                              .default_json = "1.5" }),
                        "element 'test': option 'n' has a default of type number (1.5), but the "
                        "option accepts integer");
  assert_check_message (((SluiceOptionSpec) { .key = "mode", .types = SLUICE_OPTION_STRING,
                                              .default_json = "\"partial\"",
                                              .choices = mode_choices }),
                        "element 'test': option 'mode' has the default \"partial\", which is not "
                        "one of its choices (full, incremental)");
  assert_check_message (((SluiceOptionSpec) { .key = "mode", .types = SLUICE_OPTION_INTEGER,
                                              .choices = mode_choices }),
                        "element 'test': option 'mode' has choices but does not accept strings");
  assert_check_message (((SluiceOptionSpec) { .key = "mode", .types = SLUICE_OPTION_STRING,
                                              .choices = no_choices }),
                        "element 'test': option 'mode' has an empty list of choices");
  assert_check_message (((SluiceOptionSpec) { .key = "url", .types = SLUICE_OPTION_STRING,
                                              .flags = SLUICE_OPTION_FLAG_REQUIRED,
                                              .default_json = "\"x\"" }),
                        "element 'test': option 'url' is required and also has a default");
  assert_check_message (((SluiceOptionSpec) { .key = "auth", .types = SLUICE_OPTION_STRING,
                                              .properties = auth_options }),
                        "element 'test': option 'auth' has properties but does not accept objects");
  assert_check_message (((SluiceOptionSpec) { .key = "h", .types = SLUICE_OPTION_ARRAY,
                                              .flags = SLUICE_OPTION_FLAG_OPEN }),
                        "element 'test': option 'h' is marked open but does not accept objects");
  /* A number option accepts an integer default. */
  assert_null (check_one ((SluiceOptionSpec) { .key = "r", .types = SLUICE_OPTION_NUMBER,
                                               .default_json = "3" }));
}

static void
test_check_duplicate_and_nested (void **state)
{
  static const SluiceOptionSpec twice[] = {
    { .key = "url", .types = SLUICE_OPTION_STRING },
    { .key = "url", .types = SLUICE_OPTION_STRING },
    { NULL },
  };
  static const SluiceOptionSpec bad_inner[] = {
    { .key = "port", .types = SLUICE_OPTION_INTEGER, .default_json = "true" },
    { NULL },
  };
  static const SluiceOptionSpec outer[] = {
    { .key = "server", .types = SLUICE_OPTION_OBJECT, .properties = bad_inner },
    { NULL },
  };
  SluiceOptionTable table = table_of (twice);
  g_autoptr (GError) error = NULL;

  assert_false (sluice_option_table_check (&table, "element 'dup'", &error));
  assert_string_equal (error->message, "element 'dup': option 'url' is declared twice");
  g_clear_error (&error);

  table = table_of (outer);
  assert_false (sluice_option_table_check (&table, "element 'nested'", &error));
  assert_string_equal (error->message,
                       "element 'nested': option 'server.port' has a default of type boolean "
                       "(true), but the option accepts integer");
}

static void
test_check_self_nesting (void **state)
{
  /* A table that contains itself would recurse forever. */
  static SluiceOptionSpec loop[2];
  SluiceOptionTable table;
  g_autoptr (GError) error = NULL;

  loop[0] = (SluiceOptionSpec) { .key = "x", .types = SLUICE_OPTION_OBJECT, .properties = loop };
  table = table_of (loop);
  assert_false (sluice_option_table_check (&table, "element 'loop'", &error));
  assert_string_equal (error->message,
                       "element 'loop': option 'x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x' nests more than "
                       "16 levels deep (does a table contain itself?)");
}

static void
test_json_schema (void **state)
{
  static const char expected[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"url\":{\"type\":\"string\",\"description\":\"Where to read from.\"},"
    "\"page_size\":{\"type\":\"integer\",\"default\":100},"
    "\"ratio\":{\"type\":\"number\",\"default\":1},"
    "\"mode\":{\"type\":\"string\",\"default\":\"full\",\"enum\":[\"full\",\"incremental\"]},"
    "\"auth\":{\"type\":\"object\",\"properties\":{"
    "\"user\":{\"type\":\"string\"},"
    "\"password\":{\"type\":\"string\",\"description\":\"The password.\",\"writeOnly\":true}},"
    "\"required\":[\"user\"],\"additionalProperties\":false},"
    "\"headers\":{\"type\":[\"object\",\"null\"],\"default\":null},"
    "\"anything\":{}},"
    "\"required\":[\"url\"],\"additionalProperties\":false}";
  SluiceOptionTable table = table_of (good_options);
  g_autoptr (JsonNode) schema = sluice_option_table_to_json_schema (&table);
  g_autofree char *text = json_to_string (schema, FALSE);

  assert_string_equal (text, expected);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_get_and_lookup),
    cmocka_unit_test (test_bigger_stride),
    cmocka_unit_test (test_from_element),
    cmocka_unit_test (test_stride_too_small),
    cmocka_unit_test (test_suggest),
    cmocka_unit_test (test_check_good),
    cmocka_unit_test (test_check_malformed),
    cmocka_unit_test (test_check_duplicate_and_nested),
    cmocka_unit_test (test_check_self_nesting),
    cmocka_unit_test (test_json_schema),
  };

  return cmocka_run_group_tests_name ("option-table", tests, NULL, NULL);
}
