/* test-cron.c — cron expressions: the next run time a pump would get, for the digest's examples
 * and the corners of the calendar (month ends, leap years, the year field, the 2100 limit), and
 * the exact messages for expressions that do not parse.  Expected times were worked out by hand
 * from a calendar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-cron.h"

static gint64
parse_iso (const char *iso)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_iso8601 (iso, NULL);

  assert_non_null (dt);
  return g_date_time_to_unix (dt);
}

/* The next run after @after as an ISO 8601 UTC string, or "none". */
static char *
next_after (const char *expression, const char *after)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceCron) cron = sluice_cron_parse (expression, &error);
  g_autoptr (GDateTime) dt = NULL;
  gint64 next;

  assert_null (error);
  assert_non_null (cron);
  next = sluice_cron_next (cron, parse_iso (after));
  if (next < 0)
    return g_strdup ("none");
  assert_int_equal (next % 60, 0);
  dt = g_date_time_new_from_unix_utc (next);
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

#define assert_next(expression, after, expected)                \
  do                                                           \
    {                                                          \
      g_autofree char *got_ = next_after (expression, after); \
      assert_string_equal (got_, expected);                    \
    }                                                          \
  while (0)

static void
assert_invalid (const char *expression, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceCron) cron = sluice_cron_parse (expression, &error);

  assert_null (cron);
  assert_non_null (error);
  assert_true (g_error_matches (error, SLUICE_CRON_ERROR, SLUICE_CRON_ERROR_INVALID));
  assert_string_equal (error->message, message);
}

static void
test_every_five_minutes (void **state)
{
  assert_next ("*/5 * * * *", "2024-03-10T10:02:30Z", "2024-03-10T10:05:00Z");
  /* Strictly after: a time that matches is not its own next run. */
  assert_next ("*/5 * * * *", "2024-03-10T10:05:00Z", "2024-03-10T10:10:00Z");
  assert_next ("*/5 * * * *", "2024-03-10T10:04:59Z", "2024-03-10T10:05:00Z");
  assert_next ("*/5 * * * *", "2024-03-10T23:58:00Z", "2024-03-11T00:00:00Z");
  assert_next ("*/5 * * * *", "2024-12-31T23:57:00Z", "2025-01-01T00:00:00Z");
  assert_next ("* * * * *", "2024-02-28T23:59:00Z", "2024-02-29T00:00:00Z");
  assert_next ("* * * * *", "2023-02-28T23:59:00Z", "2023-03-01T00:00:00Z");
}

static void
test_noon_daily (void **state)
{
  assert_next ("0 12 * * ?", "2024-03-10T11:59:59Z", "2024-03-10T12:00:00Z");
  assert_next ("0 12 * * ?", "2024-03-10T12:00:00Z", "2024-03-11T12:00:00Z");
  assert_next ("0 12 * * ?", "2024-12-31T12:30:00Z", "2025-01-01T12:00:00Z");
  /* Fields may be separated by several blanks. */
  assert_next ("  0   12 *\t* ?  ", "2024-03-10T11:59:59Z", "2024-03-10T12:00:00Z");
}

static void
test_steps_and_lists (void **state)
{
  /* 0/5 is every fifth minute from 0; hours 14 and 18 only. */
  assert_next ("0/5 14,18 * * ?", "2024-03-10T13:00:00Z", "2024-03-10T14:00:00Z");
  assert_next ("0/5 14,18 * * ?", "2024-03-10T14:52:00Z", "2024-03-10T14:55:00Z");
  assert_next ("0/5 14,18 * * ?", "2024-03-10T14:56:00Z", "2024-03-10T18:00:00Z");
  assert_next ("0/5 14,18 * * ?", "2024-03-10T18:55:00Z", "2024-03-11T14:00:00Z");
  /* 10-40/10 is 10, 20, 30, 40. */
  assert_next ("10-40/10 * * * *", "2024-03-10T10:00:00Z", "2024-03-10T10:10:00Z");
  assert_next ("10-40/10 * * * *", "2024-03-10T10:10:00Z", "2024-03-10T10:20:00Z");
  assert_next ("10-40/10 * * * *", "2024-03-10T10:35:00Z", "2024-03-10T10:40:00Z");
  assert_next ("10-40/10 * * * *", "2024-03-10T10:40:00Z", "2024-03-10T11:10:00Z");
  /* 7/20 runs from 7 to the end of the field: 7, 27, 47. */
  assert_next ("7/20 * * * *", "2024-03-10T10:47:00Z", "2024-03-10T11:07:00Z");
  assert_next ("7/20 * * * *", "2024-03-10T10:28:00Z", "2024-03-10T10:47:00Z");
  /* Hours: a range that wraps past midnight. */
  assert_next ("0 22-2 * * *", "2024-03-10T02:00:00Z", "2024-03-10T22:00:00Z");
  assert_next ("0 22-2 * * *", "2024-03-10T23:00:00Z", "2024-03-11T00:00:00Z");
  assert_next ("30 */6 * * *", "2024-03-10T06:30:00Z", "2024-03-10T12:30:00Z");
}

static void
test_weekdays (void **state)
{
  /* 2024-03-08 is a Friday; the next weekday is Monday the 11th. */
  assert_next ("15 10 ? * MON-FRI", "2024-03-08T10:15:00Z", "2024-03-11T10:15:00Z");
  assert_next ("15 10 ? * MON-FRI", "2024-03-08T10:14:00Z", "2024-03-08T10:15:00Z");
  assert_next ("15 10 ? * mon-fri", "2024-03-09T00:00:00Z", "2024-03-11T10:15:00Z");
  assert_next ("15 10 ? * 1-5", "2024-03-09T00:00:00Z", "2024-03-11T10:15:00Z");
  /* 0 and 7 are both Sunday (2024-03-10). */
  assert_next ("0 0 * * 0", "2024-03-08T00:00:00Z", "2024-03-10T00:00:00Z");
  assert_next ("0 0 * * 7", "2024-03-08T00:00:00Z", "2024-03-10T00:00:00Z");
  assert_next ("0 0 * * SUN", "2024-03-08T00:00:00Z", "2024-03-10T00:00:00Z");
  /* A range that wraps: FRI-MON is Friday, Saturday, Sunday, Monday. */
  assert_next ("0 0 ? * FRI-MON", "2024-03-11T00:00:00Z", "2024-03-15T00:00:00Z");
  assert_next ("0 0 ? * FRI-MON", "2024-03-10T00:00:00Z", "2024-03-11T00:00:00Z");
  assert_next ("0 0 ? * SAT,SUN", "2024-03-11T00:00:00Z", "2024-03-16T00:00:00Z");
  assert_next ("0 0 ? * */2", "2024-03-10T00:00:00Z", "2024-03-12T00:00:00Z"); /* Sun, Tue, … */
}

static void
test_last_day_of_month (void **state)
{
  /* February in a leap year, a common year, and 2000 (divisible by 400: leap). */
  assert_next ("15 10 L * ?", "2024-02-01T00:00:00Z", "2024-02-29T10:15:00Z");
  assert_next ("15 10 L * ?", "2023-02-01T00:00:00Z", "2023-02-28T10:15:00Z");
  assert_next ("15 10 L * ?", "2000-02-01T00:00:00Z", "2000-02-29T10:15:00Z");
  assert_next ("15 10 L * ?", "2024-02-29T10:15:00Z", "2024-03-31T10:15:00Z");
  assert_next ("15 10 L * ?", "2024-04-30T10:16:00Z", "2024-05-31T10:15:00Z");
  assert_next ("15 10 L * ?", "2024-12-31T10:16:00Z", "2025-01-31T10:15:00Z");
  assert_next ("0 0 L 2 ?", "2024-03-01T00:00:00Z", "2025-02-28T00:00:00Z");
  /* L together with other days. */
  assert_next ("0 0 1,15,L * ?", "2024-04-15T00:00:00Z", "2024-04-30T00:00:00Z");
}

static void
test_last_weekday_of_month (void **state)
{
  /* March 2024: the last Friday is the 29th, the last Saturday the 30th.  sluice numbers days
   * from 0 = Sunday, so 6L is the last Saturday (see sluice-cron.h about the digest's example). */
  assert_next ("15 10 ? * 6L", "2024-03-01T00:00:00Z", "2024-03-30T10:15:00Z");
  assert_next ("15 10 ? * 5L", "2024-03-01T00:00:00Z", "2024-03-29T10:15:00Z");
  assert_next ("15 10 ? * FRIL", "2024-03-01T00:00:00Z", "2024-03-29T10:15:00Z");
  assert_next ("15 10 ? * fril", "2024-03-29T10:15:00Z", "2024-04-26T10:15:00Z");
  /* February 2024 (leap, ends on Thursday 29th): last Friday the 23rd, last Saturday the 24th. */
  assert_next ("15 10 ? * 5L", "2024-02-01T00:00:00Z", "2024-02-23T10:15:00Z");
  assert_next ("15 10 ? * 6L", "2024-02-01T00:00:00Z", "2024-02-24T10:15:00Z");
  /* September 2024 ends on Monday the 30th: that is its last Monday. */
  assert_next ("0 0 ? * 1L", "2024-09-01T00:00:00Z", "2024-09-30T00:00:00Z");
  /* L alone in day-of-week is Saturday. */
  assert_next ("0 0 ? * L", "2024-03-11T00:00:00Z", "2024-03-16T00:00:00Z");
}

static void
test_months (void **state)
{
  assert_next ("0 0 1 JAN,JUL *", "2024-02-01T00:00:00Z", "2024-07-01T00:00:00Z");
  assert_next ("0 0 1 JAN,JUL *", "2024-07-01T00:00:00Z", "2025-01-01T00:00:00Z");
  assert_next ("0 0 1 jun-aug ?", "2024-08-01T00:00:00Z", "2025-06-01T00:00:00Z");
  assert_next ("0 0 1 */3 ?", "2024-02-01T00:00:00Z", "2024-04-01T00:00:00Z"); /* 1, 4, 7, 10 */
  assert_next ("0 0 1 NOV-FEB ?", "2024-03-01T00:00:00Z", "2024-11-01T00:00:00Z");
  assert_next ("0 0 1 NOV-FEB ?", "2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z");
  /* The 31st only exists in some months. */
  assert_next ("0 0 31 * ?", "2024-03-31T00:00:00Z", "2024-05-31T00:00:00Z");
}

static void
test_years (void **state)
{
  assert_next ("0 0 1 1 * 2030", "2024-03-10T00:00:00Z", "2030-01-01T00:00:00Z");
  assert_next ("0 0 1 1 * 2030", "2030-01-01T00:00:00Z", "none");
  assert_next ("30 6 * * * 2025-2027", "2027-12-31T06:30:00Z", "none");
  assert_next ("30 6 * * * 2025-2027", "2024-06-01T00:00:00Z", "2025-01-01T06:30:00Z");
  assert_next ("0 0 29 2 ? 2025,2028", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z");
  /* Nothing after 2099. */
  assert_next ("* * * * *", "2099-12-31T23:58:00Z", "2099-12-31T23:59:00Z");
  assert_next ("* * * * *", "2099-12-31T23:59:00Z", "none");
  assert_next ("* * * * *", "2150-01-01T00:00:00Z", "none");
  /* Times before 1970 count as the start of 1970. */
  assert_next ("0 0 * * *", "1960-05-05T00:00:00Z", "1970-01-01T00:00:00Z");
}

static void
test_day_combinations (void **state)
{
  /* Both restricted: either matches (the 13th, a Wednesday, and Fridays). */
  assert_next ("0 0 13 * FRI", "2024-03-10T00:00:00Z", "2024-03-13T00:00:00Z");
  assert_next ("0 0 13 * FRI", "2024-03-13T00:00:00Z", "2024-03-15T00:00:00Z");
  /* With '?' or '*' in one, only the other counts. */
  assert_next ("0 0 13 * ?", "2024-03-13T00:00:00Z", "2024-04-13T00:00:00Z");
  assert_next ("0 0 13 * *", "2024-03-13T00:00:00Z", "2024-04-13T00:00:00Z");
  assert_next ("0 0 ? * FRI", "2024-03-13T00:00:00Z", "2024-03-15T00:00:00Z");
  assert_next ("0 0 * * FRI", "2024-03-13T00:00:00Z", "2024-03-15T00:00:00Z");
  /* Never: 30 February.  The search ends at 2099 without walking minute by minute. */
  assert_next ("0 0 30 2 ?", "2024-01-01T00:00:00Z", "none");
  assert_next ("0 0 31 4,6,9,11 ?", "2024-01-01T00:00:00Z", "none");
  /* Leap days only: four years on. */
  assert_next ("0 0 29 2 ?", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z");
}

static void
test_text_kept (void **state)
{
  g_autoptr (SluiceCron) cron = sluice_cron_parse ("0 12 * * ?", NULL);

  assert_non_null (cron);
  assert_string_equal (sluice_cron_get_text (cron), "0 12 * * ?");
}

static void
test_invalid (void **state)
{
  assert_invalid ("", "cron expression '': expected 5 or 6 fields (minute hour day-of-month month "
                      "day-of-week [year]), got 0");
  assert_invalid ("* * * *", "cron expression '* * * *': expected 5 or 6 fields (minute hour "
                             "day-of-month month day-of-week [year]), got 4");
  assert_invalid ("0 0 * * * * *", "cron expression '0 0 * * * * *': expected 5 or 6 fields "
                                   "(minute hour day-of-month month day-of-week [year]), got 7");
  assert_invalid ("0 0 32 * ?", "cron field 3 (day-of-month) '32': value out of range 1-31");
  assert_invalid ("0 0 0 * ?", "cron field 3 (day-of-month) '0': value out of range 1-31");
  assert_invalid ("60 * * * *", "cron field 1 (minute) '60': value out of range 0-59");
  assert_invalid ("0 24 * * *", "cron field 2 (hour) '24': value out of range 0-23");
  assert_invalid ("0 0 1 13 ?", "cron field 4 (month) '13': value out of range 1-12");
  assert_invalid ("0 0 * * 8", "cron field 5 (day-of-week) '8': value out of range 0-7");
  assert_invalid ("0 0 1 1 * 1969", "cron field 6 (year) '1969': value out of range 1970-2099");
  assert_invalid ("0 0 1 1 * 2100", "cron field 6 (year) '2100': value out of range 1970-2099");
  assert_invalid ("0 0 1-40 * ?", "cron field 3 (day-of-month) '40': value out of range 1-31");
  assert_invalid ("0 0 15W * ?", "cron field 3 (day-of-month) '15W': 'W' is not supported");
  assert_invalid ("0 0 LW * ?", "cron field 3 (day-of-month) 'LW': 'W' is not supported");
  assert_invalid ("0 0 ? * 6#3", "cron field 5 (day-of-week) '6#3': '#' is not supported");
  assert_invalid ("0 0 ? * ?",
                  "cron field 5 (day-of-week) '?': day-of-month is '?' too; at most one of them "
                  "may be '?'");
  assert_invalid ("0 ? * * *",
                  "cron field 2 (hour) '?': '?' is only allowed in day-of-month and day-of-week");
  assert_invalid ("0 0 1,? * *", "cron field 3 (day-of-month) '?': '?' must be the whole field");
  assert_invalid ("0 L * * *",
                  "cron field 2 (hour) 'L': 'L' is only allowed in day-of-month and day-of-week");
  assert_invalid ("0 0 L-3 * ?", "cron field 3 (day-of-month) 'L-3': 'L' must stand alone in "
                                 "day-of-month");
  assert_invalid ("0 0 * FOO *",
                  "cron field 4 (month) 'FOO': expected a number 1-12 or a name JAN-DEC");
  assert_invalid ("0 0 ? * MON-FRX",
                  "cron field 5 (day-of-week) 'FRX': expected a number 0-6 or a name SUN-SAT");
  assert_invalid ("a * * * *", "cron field 1 (minute) 'a': expected a number 0-59");
  assert_invalid ("5x * * * *", "cron field 1 (minute) '5x': expected a number 0-59");
  assert_invalid ("*/0 * * * *",
                  "cron field 1 (minute) '*/0': the step after '/' must be at least 1");
  assert_invalid ("*/ * * * *", "cron field 1 (minute) '*/': expected a step after '/'");
  assert_invalid ("/5 * * * *", "cron field 1 (minute) '/5': expected a value before '/'");
  assert_invalid ("*/x * * * *",
                  "cron field 1 (minute) '*/x': the step after '/' must be a number");
  assert_invalid ("0 0 1,,2 * ?", "cron field 3 (day-of-month) '1,,2': empty list item");
  assert_invalid ("0 0 1 1 * 2030-2025",
                  "cron field 6 (year) '2030-2025': range start 2030 is after its end 2025");
  assert_invalid ("1- * * * *",
                  "cron field 1 (minute) '1-': expected a value on both sides of '-'");
  assert_invalid ("0 0 ? * 1-5L", "cron field 5 (day-of-week) '1-5': expected a number 0-6 or a "
                                  "name SUN-SAT");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_every_five_minutes),
    cmocka_unit_test (test_noon_daily),
    cmocka_unit_test (test_steps_and_lists),
    cmocka_unit_test (test_weekdays),
    cmocka_unit_test (test_last_day_of_month),
    cmocka_unit_test (test_last_weekday_of_month),
    cmocka_unit_test (test_months),
    cmocka_unit_test (test_years),
    cmocka_unit_test (test_day_combinations),
    cmocka_unit_test (test_text_kept),
    cmocka_unit_test (test_invalid),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
