/* dtl-fn-dates.c — date and time functions (digest §11.7 "Date and time").
 *
 * Datetimes are UTC with nanosecond precision (seconds + nanoseconds).  Time zones come from the
 * tz database through GTimeZone; calendar arithmetic (months, years) and rendering go through
 * GDateTime, which keeps microseconds, so the nanoseconds are carried beside it.
 */
#include "dtl-compiler.h"

#include <string.h>

#define NS_PER_SEC INT64_C (1000000000)

static SluiceValue *
new_datetime (int64_t seconds, int64_t ns)
{
  seconds += ns / NS_PER_SEC;
  ns %= NS_PER_SEC;
  if (ns < 0)
    {
      ns += NS_PER_SEC;
      seconds--;
    }
  return sluice_value_new_datetime (seconds, (uint32_t) ns, NULL);
}

static gboolean
get_datetime (SluiceValue *v, int64_t *ret_seconds, int64_t *ret_ns)
{
  if (dtl_kind (v) != SLUICE_VALUE_DATETIME)
    return FALSE;
  *ret_seconds = sluice_value_get_datetime_seconds (v);
  *ret_ns = sluice_value_get_datetime_nanoseconds (v);
  return TRUE;
}

static GTimeZone *
zone_of (SluiceValue *v)
{
  const char *name = dtl_string (v, NULL);

  if (name == NULL)
    return NULL;
  if (g_ascii_strcasecmp (name, "UTC") == 0)
    return g_time_zone_new_utc ();
  return g_time_zone_new_identifier (name);
}

/* Seconds since the epoch of the wall-clock time given in @tz (NULL: UTC). */
static gboolean
wall_to_unix (GTimeZone *tz, int y, int mo, int d, int h, int mi, int s, int64_t *ret)
{
  g_autoptr (GDateTime) dt = NULL;

  if (tz == NULL)
    dt = g_date_time_new_utc (y, mo, d, h, mi, s);
  else
    dt = g_date_time_new (tz, y, mo, d, h, mi, s);
  if (dt == NULL)
    return FALSE;
  *ret = g_date_time_to_unix (dt);
  return TRUE;
}

static int
read_digits (const char **p, int min, int max, int *ret)
{
  int n = 0, v = 0;

  while (n < max && g_ascii_isdigit (**p))
    {
      v = v * 10 + (**p - '0');
      (*p)++;
      n++;
    }
  *ret = v;
  return n >= min;
}

/* ISO-8601: a date, optionally 'T' or ' ' and a time, optionally 'Z' or an offset. */
static gboolean
parse_iso (const char *s, int64_t *ret_seconds, int64_t *ret_ns)
{
  const char *p = s;
  int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
  int64_t ns = 0, unix_s;

  if (!read_digits (&p, 4, 4, &y) || *p++ != '-' || !read_digits (&p, 2, 2, &mo) || *p++ != '-'
      || !read_digits (&p, 2, 2, &d))
    return FALSE;
  if (*p == 'T' || *p == 't' || *p == ' ')
    {
      p++;
      if (!read_digits (&p, 2, 2, &h) || *p++ != ':' || !read_digits (&p, 2, 2, &mi))
        return FALSE;
      if (*p == ':')
        {
          p++;
          if (!read_digits (&p, 2, 2, &sec))
            return FALSE;
          if (*p == '.' || *p == ',')
            {
              int n = 0;

              p++;
              while (g_ascii_isdigit (*p))
                {
                  if (n < 9)
                    {
                      ns = ns * 10 + (*p - '0');
                      n++;
                    }
                  p++;
                }
              if (n == 0)
                return FALSE;
              for (; n < 9; n++)
                ns *= 10;
            }
        }
      if (*p == 'Z' || *p == 'z')
        p++;
      else if (*p == '+' || *p == '-')
        {
          int sign = *p++ == '-' ? -1 : 1, oh, om = 0;

          if (!read_digits (&p, 2, 2, &oh))
            return FALSE;
          if (*p == ':')
            p++;
          read_digits (&p, 0, 2, &om);
          off = sign * (oh * 3600 + om * 60);
        }
    }
  if (*p != '\0' || !wall_to_unix (NULL, y, mo, d, h, mi, sec, &unix_s))
    return FALSE;
  *ret_seconds = unix_s - off;
  *ret_ns = ns;
  return TRUE;
}

static SluiceValue *
datetime_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  int64_t s, ns;

  switch (dtl_kind (item))
    {
    case SLUICE_VALUE_DATETIME:
      return sluice_value_ref (item);
    case SLUICE_VALUE_INTEGER:
      {
        int64_t v = sluice_value_get_integer (item);

        s = v / NS_PER_SEC;
        ns = v % NS_PER_SEC;
        return new_datetime (s, ns);
      }
    case SLUICE_VALUE_STRING:
      if (!parse_iso (sluice_value_get_string (item, NULL), &s, &ns))
        return NULL;
      return new_datetime (s, ns);
    default:
      return NULL;
    }
}

static SluiceValue *
fn_datetime (DtlEval *ev, const DtlNode *node)
{
  return sluice_dtl_cast (ev, node, datetime_one, NULL);
}

/* strptime-like parsing with the tokens the documentation lists. */
static gboolean
parse_format (const char *fmt, const char *s, GTimeZone *tz, int64_t *ret_seconds, int64_t *ret_ns)
{
  int y = 1900, mo = 1, d = 1, h = 0, mi = 0, sec = 0, pm = -1;
  int64_t ns = 0, unix_s;
  gboolean has_offset = FALSE;
  int off = 0;
  const char *p = s;

  for (const char *f = fmt; *f; f++)
    {
      if (*f != '%')
        {
          if (g_ascii_isspace (*f))
            {
              while (g_ascii_isspace (*p))
                p++;
              continue;
            }
          if (*p++ != *f)
            return FALSE;
          continue;
        }
      f++;
      switch (*f)
        {
        case 'd': if (!read_digits (&p, 1, 2, &d)) return FALSE; break;
        case 'e':
          while (*p == ' ')
            p++;
          if (!read_digits (&p, 1, 2, &d)) return FALSE;
          break;
        case 'H': if (!read_digits (&p, 1, 2, &h)) return FALSE; break;
        case 'I': if (!read_digits (&p, 1, 2, &h) || h < 1 || h > 12) return FALSE; break;
        case 'm': if (!read_digits (&p, 1, 2, &mo)) return FALSE; break;
        case 'M': if (!read_digits (&p, 1, 2, &mi)) return FALSE; break;
        case 'S': if (!read_digits (&p, 1, 2, &sec)) return FALSE; break;
        case 'Y': if (!read_digits (&p, 4, 4, &y)) return FALSE; break;
        case 'y':
          if (!read_digits (&p, 2, 2, &y))
            return FALSE;
          y += y <= 68 ? 2000 : 1900;
          break;
        case 'f':
          {
            int n = 0;

            ns = 0;
            while (g_ascii_isdigit (*p) && n < 9)
              {
                ns = ns * 10 + (*p++ - '0');
                n++;
              }
            if (n == 0)
              return FALSE;
            for (; n < 9; n++)
              ns *= 10;
          }
          break;
        case 'p':
          if (g_ascii_strncasecmp (p, "AM", 2) == 0)
            pm = 0;
          else if (g_ascii_strncasecmp (p, "PM", 2) == 0)
            pm = 1;
          else
            return FALSE;
          p += 2;
          break;
        case 'z':
          {
            int sign, oh, om;

            if (*p == 'Z')
              {
                p++;
                has_offset = TRUE;
                off = 0;
                break;
              }
            if (*p != '+' && *p != '-')
              return FALSE;
            sign = *p++ == '-' ? -1 : 1;
            if (!read_digits (&p, 2, 2, &oh))
              return FALSE;
            if (*p == ':')
              p++;
            if (!read_digits (&p, 2, 2, &om))
              return FALSE;
            has_offset = TRUE;
            off = sign * (oh * 3600 + om * 60);
          }
          break;
        case '%':
          if (*p++ != '%')
            return FALSE;
          break;
        default:
          return FALSE;
        }
    }
  if (*p != '\0')
    return FALSE;
  if (pm >= 0)
    h = (h % 12) + (pm ? 12 : 0);
  if (!wall_to_unix (has_offset ? NULL : tz, y, mo, d, h, mi, sec, &unix_s))
    return FALSE;
  *ret_seconds = unix_s - (has_offset ? off : 0);
  *ret_ns = ns;
  return TRUE;
}

typedef struct
{
  const char *format;
  GTimeZone *tz;
} ParseSpec;

static SluiceValue *
parse_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  ParseSpec *spec = data;
  const char *s = dtl_string (item, NULL);
  int64_t secs, ns;

  if (s == NULL || !parse_format (spec->format, s, spec->tz, &secs, &ns))
    return NULL;
  return new_datetime (secs, ns);
}

static SluiceValue *
fn_datetime_parse (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) tz = node->n_args == 3 ? dtl_eval (ev, node->args[0]) : NULL;
  g_autoptr (SluiceValue) fmt = dtl_eval (ev, node->args[node->n_args - 2]);
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[node->n_args - 1]);
  ParseSpec spec = { dtl_string (fmt, NULL), NULL };
  SluiceValue *r;

  if (spec.format == NULL)
    return dtl_null ();
  if (tz != NULL && (spec.tz = zone_of (tz)) == NULL)
    return dtl_null ();
  r = sluice_dtl_map (ev, node, v, parse_one, &spec);
  g_clear_pointer (&spec.tz, g_time_zone_unref);
  return r;
}

static GDateTime *
to_gdatetime (int64_t secs, int64_t ns, GTimeZone *tz)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (secs);
  g_autoptr (GDateTime) with_us = NULL;

  if (utc == NULL)
    return NULL;
  with_us = g_date_time_add (utc, ns / 1000);
  return tz ? g_date_time_to_timezone (with_us, tz) : g_date_time_ref (with_us);
}

typedef struct
{
  const char *format;
  GTimeZone *tz;
} FormatSpec;

static SluiceValue *
format_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  FormatSpec *spec = data;
  int64_t secs, ns;
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char *text = NULL;

  if (!get_datetime (item, &secs, &ns))
    return NULL;
  dt = to_gdatetime (secs, ns, spec->tz);
  if (dt == NULL)
    return NULL;
  text = g_date_time_format (dt, spec->format);
  return text ? sluice_value_new_string (text, -1) : NULL;
}

static SluiceValue *
fn_datetime_format (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) tz = node->n_args == 3 ? dtl_eval (ev, node->args[0]) : NULL;
  g_autoptr (SluiceValue) fmt = dtl_eval (ev, node->args[node->n_args - 2]);
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[node->n_args - 1]);
  FormatSpec spec = { dtl_string (fmt, NULL), NULL };
  SluiceValue *r;

  if (spec.format == NULL)
    return dtl_null ();
  if (tz != NULL && (spec.tz = zone_of (tz)) == NULL)
    return dtl_null ();
  r = sluice_dtl_map (ev, node, v, format_one, &spec);
  g_clear_pointer (&spec.tz, g_time_zone_unref);
  return r;
}

/* Nanoseconds per fixed-length unit; 0 for month and year; -1 for an unknown name. */
static int64_t
unit_ns (const char *part)
{
  static const struct { const char *name; int64_t ns; } units[] = {
    { "year", 0 }, { "month", 0 }, { "week", 7 * 86400 * NS_PER_SEC },
    { "day", 86400 * NS_PER_SEC }, { "hour", 3600 * NS_PER_SEC }, { "minute", 60 * NS_PER_SEC },
    { "second", NS_PER_SEC }, { "millisecond", 1000000 }, { "microsecond", 1000 },
    { "nanosecond", 1 },
  };

  if (part == NULL)
    return -1;
  for (size_t i = 0; i < G_N_ELEMENTS (units); i++)
    if (strcmp (part, units[i].name) == 0 || (g_str_has_suffix (part, "s")
                                              && strncmp (part, units[i].name, strlen (part) - 1) == 0
                                              && strlen (part) - 1 == strlen (units[i].name)))
      return units[i].ns;
  return -1;
}

typedef struct
{
  const char *part;
  int64_t unit;
  int64_t n;
} PlusSpec;

static SluiceValue *
plus_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  PlusSpec *spec = data;
  int64_t secs, ns;

  if (!get_datetime (item, &secs, &ns))
    return NULL;
  if (spec->unit > 0)
    {
      __int128 total = (__int128) secs * NS_PER_SEC + ns + (__int128) spec->n * spec->unit;
      int64_t s = (int64_t) (total / NS_PER_SEC), rest = (int64_t) (total % NS_PER_SEC);

      return new_datetime (s, rest);
    }
  {
    g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (secs);
    g_autoptr (GDateTime) moved = NULL;

    if (dt == NULL)
      return NULL;
    moved = spec->part[0] == 'y' ? g_date_time_add_years (dt, (int) spec->n)
                                 : g_date_time_add_months (dt, (int) spec->n);
    if (moved == NULL)
      return NULL;
    return new_datetime (g_date_time_to_unix (moved), ns);
  }
}

static SluiceValue *
fn_datetime_plus (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) part = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) n = dtl_eval (ev, node->args[1]);
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[2]);
  PlusSpec spec = { dtl_string (part, NULL), 0, 0 };

  spec.unit = unit_ns (spec.part);
  if (spec.unit < 0 || dtl_kind (n) != SLUICE_VALUE_INTEGER)
    return dtl_null ();
  spec.n = sluice_value_get_integer (n);
  return sluice_dtl_map (ev, node, v, plus_one, &spec);
}

static SluiceValue *
fn_datetime_diff (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) part = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) start = dtl_eval (ev, node->args[1]);
  g_autoptr (SluiceValue) end = dtl_eval (ev, node->args[2]);
  const char *p = dtl_string (part, NULL);
  int64_t unit = unit_ns (p), s1, n1, s2, n2;

  if (unit < 0 || !get_datetime (dtl_first (start), &s1, &n1) || !get_datetime (dtl_first (end), &s2, &n2))
    return dtl_null ();
  if (unit > 0)
    {
      __int128 diff = ((__int128) s1 - s2) * NS_PER_SEC + (n1 - n2);

      return sluice_value_new_integer ((int64_t) (diff / unit));
    }
  {
    g_autoptr (GDateTime) a = g_date_time_new_from_unix_utc (s1);
    g_autoptr (GDateTime) b = g_date_time_new_from_unix_utc (s2);
    int64_t months;
    g_autoptr (GDateTime) back = NULL;

    if (a == NULL || b == NULL)
      return dtl_null ();
    months = (int64_t) (g_date_time_get_year (a) - g_date_time_get_year (b)) * 12
             + (g_date_time_get_month (a) - g_date_time_get_month (b));
    /* Whole months only: step back when the rest of the span points the other way. */
    back = g_date_time_add_months (b, (int) months);
    if (months > 0 && (g_date_time_compare (back, a) > 0
                       || (g_date_time_compare (back, a) == 0 && n2 > n1)))
      months--;
    else if (months < 0 && (g_date_time_compare (back, a) < 0
                            || (g_date_time_compare (back, a) == 0 && n2 < n1)))
      months++;
    return sluice_value_new_integer (p[0] == 'y' ? months / 12 : months);
  }
}

typedef struct
{
  GTimeZone *from, *to;
} ShiftSpec;

static SluiceValue *
shift_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  ShiftSpec *spec = data;
  int64_t secs, ns, instant;
  g_autoptr (GDateTime) wall = NULL;
  g_autoptr (GDateTime) there = NULL;

  if (!get_datetime (item, &secs, &ns))
    return NULL;
  wall = g_date_time_new_from_unix_utc (secs);
  if (wall == NULL
      || !wall_to_unix (spec->from, g_date_time_get_year (wall), g_date_time_get_month (wall),
                        g_date_time_get_day_of_month (wall), g_date_time_get_hour (wall),
                        g_date_time_get_minute (wall), g_date_time_get_second (wall), &instant))
    return NULL;
  there = to_gdatetime (instant, 0, spec->to);
  if (there == NULL)
    return NULL;
  return new_datetime (instant + g_date_time_get_utc_offset (there) / G_USEC_PER_SEC, ns);
}

static SluiceValue *
fn_datetime_shift (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) from = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) to = dtl_eval (ev, node->args[1]);
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[2]);
  ShiftSpec spec = { zone_of (from), zone_of (to) };
  SluiceValue *r = NULL;

  if (spec.from != NULL && spec.to != NULL)
    r = sluice_dtl_map (ev, node, v, shift_one, &spec);
  g_clear_pointer (&spec.from, g_time_zone_unref);
  g_clear_pointer (&spec.to, g_time_zone_unref);
  return r ? r : dtl_null ();
}

static SluiceValue *
fn_is_datetime (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (dtl_kind (dtl_first (v)) == SLUICE_VALUE_DATETIME);
}

static SluiceValue *
fn_now (DtlEval *ev, const DtlNode *node)
{
  int64_t us = g_get_real_time ();

  return new_datetime (us / G_USEC_PER_SEC, (us % G_USEC_PER_SEC) * 1000);
}

const DtlFunction sluice_dtl_fn_dates[] = {
  { "datetime", 1, 2, 0, fn_datetime },
  { "datetime-parse", 2, 3, 0, fn_datetime_parse },
  { "datetime-format", 2, 3, 0, fn_datetime_format },
  { "datetime-plus", 3, 3, 0, fn_datetime_plus },
  { "datetime-diff", 3, 3, 0, fn_datetime_diff },
  { "datetime-shift", 3, 3, 0, fn_datetime_shift },
  { "is-datetime", 1, 1, 0, fn_is_datetime },
  { "now", 0, 0, 0, fn_now },
  { NULL },
};
