/* test-log.c — plugin log messages carry the plugin, element and component as structured fields,
 * and say where they came from in their text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sluice-plugin-sdk.h>

typedef struct
{
  GLogLevelFlags level;
  GHashTable *fields; /* key -> value, both owned */
} Captured;

static Captured captured;

static GLogWriterOutput
capture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  g_clear_pointer (&captured.fields, g_hash_table_unref);
  captured.fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  captured.level = level;
  for (gsize i = 0; i < n_fields; i++)
    g_hash_table_insert (captured.fields, g_strdup (fields[i].key),
                         fields[i].length < 0 ? g_strdup (fields[i].value)
                                              : g_strndup (fields[i].value, fields[i].length));
  return G_LOG_WRITER_HANDLED;
}

static const char *
field (const char *key)
{
  return g_hash_table_lookup (captured.fields, key);
}

static void
test_message_with_context (void **state)
{
  g_autoptr (SluiceValue) options = sluice_value_from_json ("{}", -1, NULL);
  g_autoptr (SluiceElementContext) context
      = sluice_element_context_new ("http", "json", "crm-persons", options);

  sluice_log_warning (context, "GET %s answered %d", "/persons", 503);

  assert_int_equal (captured.level, G_LOG_LEVEL_WARNING);
  assert_string_equal (field ("MESSAGE"), "crm-persons json: GET /persons answered 503");
  assert_string_equal (field ("SLUICE_PLUGIN"), "http");
  assert_string_equal (field ("SLUICE_ELEMENT"), "json");
  assert_string_equal (field ("SLUICE_COMPONENT"), "crm-persons");
  assert_string_equal (field ("GLIB_DOMAIN"), "sluice-plugin");
  assert_string_equal (field ("PRIORITY"), "4");
}

static void
test_message_without_context (void **state)
{
  sluice_log_info (NULL, "loaded %d elements", 3);

  assert_int_equal (captured.level, G_LOG_LEVEL_INFO);
  assert_string_equal (field ("MESSAGE"), "loaded 3 elements");
  assert_string_equal (field ("SLUICE_PLUGIN"), "");
  assert_string_equal (field ("PRIORITY"), "6");
}

/* A format directive in a tag must not be interpreted: tags are data, not formats. */
static void
test_tags_are_not_formats (void **state)
{
  g_autoptr (SluiceElementContext) context
      = sluice_element_context_new ("p%s", "t%n", "pipe-%d", NULL);

  sluice_log_message (context, "%s", "done");

  assert_string_equal (field ("MESSAGE"), "pipe-%d t%n: done");
  assert_string_equal (field ("SLUICE_ELEMENT"), "t%n");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_message_with_context),
    cmocka_unit_test (test_message_without_context),
    cmocka_unit_test (test_tags_are_not_formats),
  };
  int failed;

  g_log_set_writer_func (capture_writer, NULL, NULL);
  failed = cmocka_run_group_tests (tests, NULL, NULL);
  g_clear_pointer (&captured.fields, g_hash_table_unref);
  return failed;
}
