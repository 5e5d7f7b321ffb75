/* sluice-cron.h — cron expressions for pump schedules (`cron_expression`,
 * `rescan_cron_expression`; digest §3.4).
 *
 * A SluiceCron is an immutable, parsed expression; sluice_cron_next () finds the next minute it
 * matches.  Everything is evaluated in UTC, so schedules never move with daylight saving time.
 *
 * Syntax: 5 or 6 fields separated by blanks:
 *
 *   minute (0-59)  hour (0-23)  day-of-month (1-31)  month (1-12, JAN-DEC)
 *   day-of-week (0-7, SUN-SAT)  [year (1970-2099)]
 *
 * Every field accepts `*`, single values, lists `a,b`, ranges `a-b`, and steps: `a-b/n`, `a/n`
 * (from a to the field's maximum) and `*` followed by `/n` (the whole range).  A range whose start is after its end wraps around
 * (`FRI-MON`, hours `22-2`), except in the year field.  Names are case-insensitive.
 *
 * Day of week: 0 and 7 are Sunday, 1 Monday … 6 Saturday, as in Unix cron and as the digest's field
 * range (0-6, SUN-SAT) says.  The digest's example `6L` "last Friday" uses Quartz's numbering
 * (1 = Sunday); in sluice `6L` is the last Saturday and the last Friday is `5L` or `FRIL`.  Names
 * (`MON-FRI`) mean the same in both numberings, which is why the documentation recommends them.
 *
 * Special characters:
 *  - `?` (day-of-month or day-of-week, as the whole field): that field is ignored and days are
 *    chosen by the other one alone.  They cannot both be `?`.
 *  - `L` in day-of-month: the last day of the month.  In day-of-week, `nL` (or `FRIL`) is the last
 *    such weekday of the month, and `L` alone is Saturday (the last day of the week).
 *  - `W` and `#` are not supported: an error says so.
 *
 * Day-of-month and day-of-week together: when both are restricted (neither is `*` nor `?`), a day
 * matches when EITHER matches, as in Unix cron (`0 0 1 * MON`: the 1st and every Monday).
 * Otherwise the `*` field matches every day, so the other one alone decides.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SLUICE_CRON_ERROR (sluice_cron_error_quark ())

typedef enum
{
  SLUICE_CRON_ERROR_INVALID, /* the expression does not parse; the message names the field */
} SluiceCronError;

GQuark sluice_cron_error_quark (void);

typedef struct _SluiceCron SluiceCron;

/* Parses @text.  NULL with SLUICE_CRON_ERROR_INVALID on failure; the message names the field by
 * number and name and quotes the offending part, e.g.
 * "cron field 3 (day-of-month) '32': value out of range 1-31". */
SluiceCron *sluice_cron_parse (const char *text, GError **error);
void sluice_cron_free (SluiceCron *cron);

/* The text the expression was parsed from; borrowed. */
const char *sluice_cron_get_text (const SluiceCron *cron);

/* The first minute (as Unix seconds, a multiple of 60) that @cron matches strictly after
 * @after_unix_seconds, or -1 when there is none before the year 2100.  Times before 1970 are
 * treated as 1970-01-01T00:00:00Z. */
gint64 sluice_cron_next (const SluiceCron *cron, gint64 after_unix_seconds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceCron, sluice_cron_free)

G_END_DECLS
