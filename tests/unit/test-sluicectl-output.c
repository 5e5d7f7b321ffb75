/* test-sluicectl-output.c — sluicectl's output helpers (tools/sluicectl/sluicectl-output.c):
 * column alignment of tables (with multi-byte text), JSON of D-Bus values, times and durations
 * as people read them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <glib.h>

#include "sluicectl-output.h"

/* What @print writes to a FILE, as a string. */
static char *
capture (void (*print) (gpointer data, FILE *out), gpointer data)
{
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream (&text, &size);

  print (data, out);
  fclose (out);
  return text;
}

static void
print_table (gpointer data, FILE *out)
{
  sluicectl_table_print (data, out);
}

static void
print_variant (gpointer data, FILE *out)
{
  sluicectl_print_variant_json (data, out);
}

static void
test_table_aligns_columns (void **state)
{
  g_autoptr (SluicectlTable) table = sluicectl_table_new ("PIPE", "STATE", "OFFSET", NULL);
  g_autofree char *text = NULL;

  sluicectl_table_add_row (table, "person", "idle", "12");
  sluicectl_table_add_row (table, "größe", NULL, "-");
  text = capture (print_table, table);
  /* Width counts characters, not bytes; a NULL cell prints "-"; the last column is not
   * padded. */
  assert_string_equal (text, "PIPE    STATE  OFFSET\n"
                             "person  idle   12\n"
                             "größe   -      -\n");
}

static void
test_variant_json (void **state)
{
  g_autoptr (GVariant) value = g_variant_ref_sink (
      g_variant_new_parsed ("{'State': <'idle'>, 'RunsStarted': <uint64 3>, 'Enabled': <true>}"));
  g_autofree char *text = capture (print_variant, value);

  assert_string_equal (text, "{\n"
                             "  \"State\" : \"idle\",\n"
                             "  \"RunsStarted\" : 3,\n"
                             "  \"Enabled\" : true\n"
                             "}\n");
}

static void
test_times_and_durations (void **state)
{
  g_autofree char *none = sluicectl_format_time (-1);
  g_autofree char *time = sluicectl_format_time (G_GINT64_CONSTANT (1795834800) * G_USEC_PER_SEC);
  g_autofree char *short_run = sluicectl_format_duration (420 * 1000);
  g_autofree char *minutes = sluicectl_format_duration ((gint64)192 * G_USEC_PER_SEC);
  g_autofree char *hours = sluicectl_format_duration ((gint64)7500 * G_USEC_PER_SEC);

  assert_string_equal (none, "-");
  assert_string_equal (time, "2026-11-28 03:00:00Z");
  assert_string_equal (short_run, "0.42 s");
  assert_string_equal (minutes, "3 min 12 s");
  assert_string_equal (hours, "2 h 05 min");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_table_aligns_columns),
    cmocka_unit_test (test_variant_json),
    cmocka_unit_test (test_times_and_durations),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
