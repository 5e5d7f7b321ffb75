/* test-since.c — rewinding a stored offset for partial rescans (core/run/sluice-since.c): the two
 * cases of digest Appendix B10, floats and fractions of seconds, and the offsets and deltas that
 * cannot be rewound, with their messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>

#include <cmocka.h>

#include "sluice-since.h"

static void
assert_rewind (const char *since, double delta, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *result = sluice_since_rewind (since, delta, &error);

  if (result == NULL)
    fail_msg ("%s - %g: %s", since, delta, error->message);
  assert_string_equal (result, expected);
}

static void
assert_refused (const char *since, double delta, GQuark domain, int code, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *result = sluice_since_rewind (since, delta, &error);

  assert_null (result);
  assert_non_null (error);
  assert_true (g_error_matches (error, domain, code));
  if (message != NULL)
    assert_string_equal (error->message, message);
}

static void
test_b10_cases (void **state)
{
  assert_rewind ("12637", 100, "12537");
  assert_rewind ("\"~t2018-04-27T15:46:40Z\"", 3600, "\"~t2018-04-27T14:46:40Z\"");
}

static void
test_other_rewinds (void **state)
{
  assert_rewind ("12637", 0, "12637");
  assert_rewind ("50", 100, "-50");
  assert_rewind ("2.5", 1, "1.5");
  /* Across midnight and a fraction of a second in both the offset and the delta. */
  assert_rewind ("\"~t2018-04-27T00:00:00.25Z\"", 0.5, "\"~t2018-04-26T23:59:59.75Z\"");
  assert_rewind ("\"~t2018-04-27T00:00:00Z\"", 86400 * 2, "\"~t2018-04-25T00:00:00Z\"");
}

static void
test_refused (void **state)
{
  assert_refused ("\"abc\"", 1, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "cannot rewind offset \"abc\": expected an integer, a float or a datetime, got "
                  "string");
  assert_refused ("[1,2]", 1, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "cannot rewind offset [1,2]: expected an integer, a float or a datetime, got "
                  "list");
  assert_refused ("{", 1, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, NULL);
  assert_refused ("12637", -1, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "cannot rewind offset 12637 by -1: expected a delta of 0 or more");
  assert_refused ("12637", NAN, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "cannot rewind offset 12637 by nan: expected a delta of 0 or more");
  assert_refused ("12637", 1.5, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "cannot rewind integer offset 12637 by 1.5: expected a whole number");
  assert_refused ("\"~t0001-01-01T00:00:10Z\"", 11, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "offset \"~t0001-01-01T00:00:10Z\" rewound by 11 s is before "
                  "0001-01-01T00:00:00Z");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_b10_cases),
    cmocka_unit_test (test_other_rewinds),
    cmocka_unit_test (test_refused),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
