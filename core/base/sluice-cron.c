/* sluice-cron.c — parsing cron expressions and computing the next matching minute.
 *
 * Each field becomes a bit set of the values it allows, plus the `L` forms as separate flags.  The
 * search for the next match walks the calendar from the largest field down: a year that is not in
 * the set is skipped whole, then a month, then a day, an hour, and the minute is looked up in its
 * set, so finding a match years away costs a few thousand steps at most, never one per minute.
 * Dates are computed with plain civil-calendar arithmetic in UTC, independent of the process's
 * time zone.
 */
#include "sluice-cron.h"

#include <string.h>

G_DEFINE_QUARK (sluice-cron-error-quark, sluice_cron_error)

#define YEAR_MIN 1970
#define YEAR_MAX 2099
#define LIMIT_UNIX_SECONDS G_GINT64_CONSTANT (4102444800) /* 2100-01-01T00:00:00Z */

typedef enum
{
  FIELD_MINUTE,
  FIELD_HOUR,
  FIELD_DAY_OF_MONTH,
  FIELD_MONTH,
  FIELD_DAY_OF_WEEK,
  FIELD_YEAR,
  N_FIELDS,
} Field;

typedef struct
{
  const char *name;
  int min, max; /* the values a number may take (day-of-week: 0-7, 7 being Sunday again) */
  const char *const *names; /* accepted names, names[i] meaning min + i; or NULL */
} FieldInfo;

static const char *const month_names[] = {
  "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL,
};
static const char *const weekday_names[] = {
  "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL,
};

static const FieldInfo fields[N_FIELDS] = {
  [FIELD_MINUTE] = { "minute", 0, 59, NULL },
  [FIELD_HOUR] = { "hour", 0, 23, NULL },
  [FIELD_DAY_OF_MONTH] = { "day-of-month", 1, 31, NULL },
  [FIELD_MONTH] = { "month", 1, 12, month_names },
  [FIELD_DAY_OF_WEEK] = { "day-of-week", 0, 7, weekday_names },
  [FIELD_YEAR] = { "year", YEAR_MIN, YEAR_MAX, NULL },
};

/* A set of values of one field: bit (value - offset) of a small bitmap.  130 years need 3 words. */
typedef struct
{
  guint64 bits[3];
} Set;

struct _SluiceCron
{
  char *text;
  Set sets[N_FIELDS];
  gboolean last_day_of_month;  /* `L` in day-of-month */
  guint8 last_weekdays;        /* bit d: `dL`, the last weekday d (0 = Sunday) of the month */
  gboolean dom_ignored, dow_ignored;       /* the field is `?` */
  gboolean dom_restricted, dow_restricted; /* the field is neither `*` nor `?` */
};

static inline void
set_add (Set *set, int bit)
{
  set->bits[bit / 64] |= G_GUINT64_CONSTANT (1) << (bit % 64);
}

static inline gboolean
set_has (const Set *set, int bit)
{
  return (set->bits[bit / 64] >> (bit % 64)) & 1;
}

/* The bit a value of @field is stored at. */
static inline int
bit_of (Field field, int value)
{
  if (field == FIELD_YEAR)
    return value - YEAR_MIN;
  if (field == FIELD_DAY_OF_WEEK)
    return value % 7;
  return value;
}

static gboolean fail (GError **error, Field field, const char *part, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

static gboolean
fail (GError **error, Field field, const char *part, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SLUICE_CRON_ERROR, SLUICE_CRON_ERROR_INVALID, "cron field %d (%s) '%s': %s",
               (int) field + 1, fields[field].name, part, message);
  return FALSE;
}

static gboolean
fail_expected_value (GError **error, Field field, const char *text)
{
  const FieldInfo *info = &fields[field];

  if (info->names != NULL)
    return fail (error, field, text, "expected a number %d-%d or a name %s-%s", info->min,
                 field == FIELD_DAY_OF_WEEK ? 6 : info->max, info->names[0],
                 info->names[g_strv_length ((char **) info->names) - 1]);
  return fail (error, field, text, "expected a number %d-%d", info->min, info->max);
}

/* One value: a number, or a name in the fields that have names. */
static gboolean
parse_value (Field field, const char *text, int *ret_value, GError **error)
{
  const FieldInfo *info = &fields[field];
  int value = 0;

  if (g_ascii_isdigit (*text))
    {
      for (const char *p = text; *p != '\0'; p++)
        {
          if (!g_ascii_isdigit (*p))
            return fail_expected_value (error, field, text);
          /* Stop accumulating early so that a long run of digits cannot overflow. */
          if (value <= 9999)
            value = value * 10 + (*p - '0');
        }
      if (value < info->min || value > info->max)
        return fail (error, field, text, "value out of range %d-%d", info->min, info->max);
      *ret_value = value;
      return TRUE;
    }
  if (info->names != NULL)
    for (int i = 0; info->names[i] != NULL; i++)
      if (g_ascii_strcasecmp (text, info->names[i]) == 0)
        {
          *ret_value = info->min + i;
          return TRUE;
        }
  return fail_expected_value (error, field, text);
}

/* Adds lo, lo+step, … up to hi to @set; a range with lo > hi wraps past the field's maximum. */
static void
add_range (Set *set, Field field, int lo, int hi, int step)
{
  int min = fields[field].min;
  int max = fields[field].max;
  int n, span;

  if (field == FIELD_DAY_OF_WEEK)
    {
      /* 7 is Sunday again: wrapping works on 0-6. */
      if (lo > hi)
        {
          lo %= 7;
          hi %= 7;
        }
      if (lo > hi)
        max = 6;
    }
  n = max - min + 1;
  span = lo <= hi ? hi - lo : hi - lo + n;
  for (int k = 0; k <= span; k += step)
    set_add (set, bit_of (field, min + (lo - min + k) % n));
}

/* One list item: `*`, `v`, `a-b`, any of these followed by `/step`, `L` or `vL`. */
static gboolean
parse_item (SluiceCron *cron, Field field, const char *item, GError **error)
{
  const FieldInfo *info = &fields[field];
  Set *set = &cron->sets[field];
  g_autofree char *base = NULL;
  const char *slash;
  const char *dash;
  int lo, hi, step = 1;

  if (strchr (item, '#') != NULL)
    return fail (error, field, item, "'#' is not supported");
  if (field == FIELD_DAY_OF_MONTH && strpbrk (item, "Ww") != NULL)
    return fail (error, field, item, "'W' is not supported");
  if (strcmp (item, "?") == 0)
    {
      if (field == FIELD_DAY_OF_MONTH || field == FIELD_DAY_OF_WEEK)
        return fail (error, field, item, "'?' must be the whole field");
      return fail (error, field, item, "'?' is only allowed in day-of-month and day-of-week");
    }

  if (g_ascii_strcasecmp (item, "L") == 0)
    {
      if (field == FIELD_DAY_OF_MONTH)
        cron->last_day_of_month = TRUE;
      else if (field == FIELD_DAY_OF_WEEK)
        set_add (set, 6);
      else
        return fail (error, field, item, "'L' is only allowed in day-of-month and day-of-week");
      return TRUE;
    }
  if (field == FIELD_DAY_OF_WEEK && g_ascii_toupper (item[strlen (item) - 1]) == 'L')
    {
      g_autofree char *day = g_strndup (item, strlen (item) - 1);
      int weekday;

      if (!parse_value (field, day, &weekday, error))
        return FALSE;
      cron->last_weekdays |= 1u << (weekday % 7);
      return TRUE;
    }
  if (strpbrk (item, "Ll") != NULL && field == FIELD_DAY_OF_MONTH)
    return fail (error, field, item, "'L' must stand alone in day-of-month");
  if (strpbrk (item, "Ll") != NULL && info->names == NULL)
    return fail (error, field, item, "'L' is only allowed in day-of-month and day-of-week");

  slash = strchr (item, '/');
  if (slash != NULL)
    {
      const char *p = slash + 1;

      if (*p == '\0')
        return fail (error, field, item, "expected a step after '/'");
      step = 0;
      for (; *p != '\0'; p++)
        {
          if (!g_ascii_isdigit (*p))
            return fail (error, field, item, "the step after '/' must be a number");
          if (step <= 9999)
            step = step * 10 + (*p - '0');
        }
      if (step == 0)
        return fail (error, field, item, "the step after '/' must be at least 1");
      base = g_strndup (item, slash - item);
    }
  else
    base = g_strdup (item);

  dash = strchr (base, '-');
  if (*base == '\0')
    return fail (error, field, item, "expected a value before '/'");
  if (strcmp (base, "*") == 0)
    {
      lo = info->min;
      hi = field == FIELD_DAY_OF_WEEK ? 6 : info->max;
    }
  else if (dash != NULL)
    {
      g_autofree char *first = g_strndup (base, dash - base);

      if (*first == '\0' || dash[1] == '\0')
        return fail (error, field, item, "expected a value on both sides of '-'");
      if (!parse_value (field, first, &lo, error) || !parse_value (field, dash + 1, &hi, error))
        return FALSE;
      if (lo > hi && field == FIELD_YEAR)
        return fail (error, field, item, "range start %d is after its end %d", lo, hi);
    }
  else
    {
      if (!parse_value (field, base, &lo, error))
        return FALSE;
      /* `a/n` runs from a to the field's maximum, as in Quartz. */
      hi = slash != NULL ? (field == FIELD_DAY_OF_WEEK ? 6 : info->max) : lo;
      if (lo > hi)
        hi = lo;
    }
  add_range (set, field, lo, hi, step);
  return TRUE;
}

static gboolean
parse_field (SluiceCron *cron, Field field, const char *text, GError **error)
{
  g_auto (GStrv) items = NULL;

  if (strcmp (text, "?") == 0)
    {
      if (field != FIELD_DAY_OF_MONTH && field != FIELD_DAY_OF_WEEK)
        return fail (error, field, text, "'?' is only allowed in day-of-month and day-of-week");
      if (field == FIELD_DAY_OF_MONTH)
        cron->dom_ignored = TRUE;
      else
        cron->dow_ignored = TRUE;
      return TRUE;
    }
  if (strcmp (text, "*") != 0)
    {
      if (field == FIELD_DAY_OF_MONTH)
        cron->dom_restricted = TRUE;
      else if (field == FIELD_DAY_OF_WEEK)
        cron->dow_restricted = TRUE;
    }

  items = g_strsplit (text, ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    {
      if (items[i][0] == '\0')
        return fail (error, field, text, "empty list item");
      if (!parse_item (cron, field, items[i], error))
        return FALSE;
    }
  return TRUE;
}

SluiceCron *
sluice_cron_parse (const char *text, GError **error)
{
  g_autoptr (SluiceCron) cron = NULL;
  g_auto (GStrv) words = NULL;
  const char *parts[N_FIELDS];
  guint n = 0;

  g_return_val_if_fail (text != NULL, NULL);

  words = g_strsplit_set (text, " \t\n", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] == '\0')
        continue;
      if (n < N_FIELDS)
        parts[n] = words[i];
      n++;
    }
  if (n != 5 && n != 6)
    {
      g_set_error (error, SLUICE_CRON_ERROR, SLUICE_CRON_ERROR_INVALID,
                   "cron expression '%s': expected 5 or 6 fields (minute hour day-of-month month "
                   "day-of-week [year]), got %u",
                   text, n);
      return NULL;
    }

  cron = g_new0 (SluiceCron, 1);
  cron->text = g_strdup (text);
  for (guint f = 0; f < n; f++)
    if (!parse_field (cron, (Field) f, parts[f], error))
      return NULL;
  if (n == 5)
    add_range (&cron->sets[FIELD_YEAR], FIELD_YEAR, YEAR_MIN, YEAR_MAX, 1);
  if (cron->dom_ignored && cron->dow_ignored)
    {
      fail (error, FIELD_DAY_OF_WEEK, "?", "day-of-month is '?' too; at most one of them may be '?'");
      return NULL;
    }
  return g_steal_pointer (&cron);
}

void
sluice_cron_free (SluiceCron *cron)
{
  if (cron == NULL)
    return;
  g_free (cron->text);
  g_free (cron);
}

const char *
sluice_cron_get_text (const SluiceCron *cron)
{
  g_return_val_if_fail (cron != NULL, NULL);
  return cron->text;
}

/* Civil calendar in UTC: days since 1970-01-01 from a date and back, through GLib's GDate (whose
 * Julian day 1 is 0001-01-01).  Cron years are 1970-2099, well inside its range. */
#define JULIAN_1970_01_01 719163

static gint64
days_from_civil (int y, int m, int d)
{
  GDate date;

  g_date_clear (&date, 1);
  g_date_set_dmy (&date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return (gint64) g_date_get_julian (&date) - JULIAN_1970_01_01;
}

static void
civil_from_days (gint64 days, int *ret_y, int *ret_m, int *ret_d)
{
  GDate date;

  g_date_clear (&date, 1);
  g_date_set_julian (&date, (guint32) (days + JULIAN_1970_01_01));
  *ret_y = g_date_get_year (&date);
  *ret_m = g_date_get_month (&date);
  *ret_d = g_date_get_day (&date);
}

static int
days_in_month (int y, int m)
{
  return g_date_get_days_in_month ((GDateMonth) m, (GDateYear) y);
}

static gboolean
day_matches (const SluiceCron *cron, int y, int m, int d)
{
  int last = days_in_month (y, m);
  /* 1970-01-01 was a Thursday (4). */
  int weekday = (int) (((days_from_civil (y, m, d) % 7) + 7 + 4) % 7);
  gboolean dom = set_has (&cron->sets[FIELD_DAY_OF_MONTH], d)
                 || (cron->last_day_of_month && d == last);
  gboolean dow = set_has (&cron->sets[FIELD_DAY_OF_WEEK], weekday)
                 || ((cron->last_weekdays >> weekday) & 1 && d + 7 > last);

  if (cron->dom_ignored)
    return dow;
  if (cron->dow_ignored)
    return dom;
  if (cron->dom_restricted && cron->dow_restricted)
    return dom || dow;
  return dom && dow;
}

/* The smallest value >= @from in @field's set, or -1. */
static int
next_in_set (const SluiceCron *cron, Field field, int from, int to)
{
  for (int v = from; v <= to; v++)
    if (set_has (&cron->sets[field], bit_of (field, v)))
      return v;
  return -1;
}

gint64
sluice_cron_next (const SluiceCron *cron, gint64 after_unix_seconds)
{
  gint64 start;
  gint64 days;
  int y, mo, d, h, mi;

  g_return_val_if_fail (cron != NULL, -1);

  if (after_unix_seconds >= LIMIT_UNIX_SECONDS)
    return -1;
  if (after_unix_seconds < 0)
    after_unix_seconds = -60;
  /* The first whole minute strictly after the given time. */
  start = after_unix_seconds - after_unix_seconds % 60 + 60;
  days = start / 86400;
  civil_from_days (days, &y, &mo, &d);
  h = (int) (start % 86400 / 3600);
  mi = (int) (start % 3600 / 60);

  while (y <= YEAR_MAX)
    {
      int v;

      if (!set_has (&cron->sets[FIELD_YEAR], y - YEAR_MIN))
        {
          y = next_in_set (cron, FIELD_YEAR, y + 1, YEAR_MAX);
          if (y < 0)
            return -1;
          mo = d = 1;
          h = mi = 0;
          continue;
        }
      if (!set_has (&cron->sets[FIELD_MONTH], mo))
        {
          v = next_in_set (cron, FIELD_MONTH, mo + 1, 12);
          if (v < 0)
            {
              y++;
              mo = 1;
            }
          else
            mo = v;
          d = 1;
          h = mi = 0;
          continue;
        }
      if (!day_matches (cron, y, mo, d))
        {
          if (++d > days_in_month (y, mo))
            {
              d = 1;
              if (++mo > 12)
                {
                  mo = 1;
                  y++;
                }
            }
          h = mi = 0;
          continue;
        }
      v = next_in_set (cron, FIELD_HOUR, h, 23);
      if (v < 0)
        {
          /* Nothing later today: the day loop above moves on. */
          h = 24;
          mi = 0;
        }
      else if (v != h)
        {
          h = v;
          mi = 0;
        }
      if (h < 24)
        {
          v = next_in_set (cron, FIELD_MINUTE, mi, 59);
          if (v >= 0)
            return (days_from_civil (y, mo, d) * 24 + h) * 3600 + v * 60;
          v = next_in_set (cron, FIELD_HOUR, h + 1, 23);
          if (v >= 0)
            {
              h = v;
              mi = 0;
              v = next_in_set (cron, FIELD_MINUTE, 0, 59);
              /* Every expression allows at least one minute, so this always finds one. */
              return (days_from_civil (y, mo, d) * 24 + h) * 3600 + v * 60;
            }
        }
      if (++d > days_in_month (y, mo))
        {
          d = 1;
          if (++mo > 12)
            {
              mo = 1;
              y++;
            }
        }
      h = mi = 0;
    }
  return -1;
}
