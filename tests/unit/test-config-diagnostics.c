/* test-config-diagnostics.c — the one-line error format and the summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "sluice-config-diagnostics.h"

static void
test_format (void **state)
{
  g_autoptr (SluiceConfigDiagnostics) d = sluice_config_diagnostics_new ();
  g_autofree char *all = NULL;
  g_autofree char *summary = NULL;

  sluice_config_diagnostics_add (d, "pipes.json", 3, 7, "people", "/source/url",
                                 "wrong type for '%s'", "url");
  /* The parts that do not apply are left out with their separator. */
  sluice_config_diagnostics_add (d, "pipes.json", 1, 1, "people", "", "missing required key 'source'");
  sluice_config_diagnostics_add (d, "other.json", 2, 1, NULL, NULL, "missing required key '_id'");
  sluice_config_diagnostics_add_literal (d, "secrets.json", 0, 9, NULL, NULL, "cannot open: %s");
  assert_int_equal (sluice_config_diagnostics_get_length (d), 4);
  assert_int_equal (sluice_config_diagnostics_count_files (d), 3);
  assert_null (sluice_config_diagnostics_get (d, 1)->pointer);
  all = sluice_config_diagnostics_format (d);
  assert_string_equal (all,
                       "pipes.json:3:7: people: /source/url: wrong type for 'url'\n"
                       "pipes.json:1:1: people: missing required key 'source'\n"
                       "other.json:2:1: missing required key '_id'\n"
                       "secrets.json: cannot open: %s\n");
  summary = sluice_config_diagnostics_format_summary (d);
  assert_string_equal (summary, "4 errors in 3 files");
}

static void
test_summary_singular (void **state)
{
  g_autoptr (SluiceConfigDiagnostics) d = sluice_config_diagnostics_new ();
  g_autofree char *summary = NULL;

  sluice_config_diagnostics_add (d, "a.json", 1, 1, NULL, NULL, "x");
  summary = sluice_config_diagnostics_format_summary (d);
  assert_string_equal (summary, "1 error in 1 file");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_format),
    cmocka_unit_test (test_summary_singular),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
