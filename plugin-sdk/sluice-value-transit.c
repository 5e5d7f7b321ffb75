/* sluice-value-transit.c — the transit text forms of typed values (digest §1.4): `~t` datetimes
 * and dates, `~:` NIs, `~r` URIs, `~b` base64 bytes, `~u` UUIDs and `~f` decimals.
 *
 * A string with one of these prefixes whose payload does not parse (a "~t" that is not an ISO-8601
 * UTC datetime, "~b" with bad base64, …) stays a plain string: the digest says a `~` cannot be
 * escaped, so such strings occur in real data, and refusing the entity would lose it.  See
 * docs/decisions/0001-data-plane-json-codec.md.
 */
#include "sluice-value-private.h"

#include <string.h>

static int
digits_value (const char *s, size_t n)
{
  int v = 0;

  for (size_t i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return -1;
      v = v * 10 + (s[i] - '0');
    }
  return v;
}

/* YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z */
SluiceValue *
sluice_value_parse_datetime (const char *text, size_t len)
{
  int year, month, day, hour, minute, second;
  uint32_t nanos = 0;
  g_autoptr (SluiceValue) date = NULL;
  size_t i;

  if (len < 10 || text[4] != '-' || text[7] != '-')
    return NULL;
  year = digits_value (text, 4);
  month = digits_value (text + 5, 2);
  day = digits_value (text + 8, 2);
  if (year < 0 || month < 0 || day < 0)
    return NULL;
  date = sluice_value_new_date (year, month, day, NULL);
  if (date == NULL)
    return NULL;
  if (len == 10)
    return g_steal_pointer (&date);

  if (len < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[len - 1] != 'Z')
    return NULL;
  hour = digits_value (text + 11, 2);
  minute = digits_value (text + 14, 2);
  second = digits_value (text + 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
    return NULL;
  i = 19;
  if (text[i] == '.')
    {
      size_t n = len - 1 - (i + 1);
      int frac;

      if (n < 1 || n > 9)
        return NULL;
      frac = digits_value (text + i + 1, n);
      if (frac < 0)
        return NULL;
      nanos = (uint32_t) frac;
      for (; n < 9; n++)
        nanos *= 10;
      i += 1 + (len - 1 - (i + 1));
    }
  if (i != len - 1)
    return NULL;
  return sluice_value_new_datetime (date->u.datetime.seconds + hour * 3600 + minute * 60 + second,
                                    nanos, NULL);
}

void
sluice_value_append_datetime (GString *out, const SluiceValue *value)
{
  int64_t secs = value->u.datetime.seconds;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int64_t z, era, doe, yoe, y, doy, mp, d, m;
  uint32_t nanos = value->u.datetime.nanoseconds;

  /* Civil date from days since 1970-01-01 (the inverse of days_from_civil). */
  z = days + 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;

  g_string_append_printf (out, "%04d-%02d-%02d", (int) y, (int) m, (int) d);
  if (value->flags & VALUE_FLAG_DATE)
    return;
  g_string_append_printf (out, "T%02d:%02d:%02d", (int) (rem / 3600), (int) (rem / 60 % 60),
                          (int) (rem % 60));
  if (nanos != 0)
    {
      char frac[10];
      int n = 9;

      g_snprintf (frac, sizeof frac, "%09u", nanos);
      while (n > 1 && frac[n - 1] == '0')
        n--;
      g_string_append_c (out, '.');
      g_string_append_len (out, frac, n);
    }
  g_string_append_c (out, 'Z');
}

SluiceValue *
sluice_value_parse_uuid (const char *text, size_t len)
{
  char lower[36];

  if (len != 36)
    return NULL;
  for (size_t i = 0; i < 36; i++)
    {
      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (text[i] != '-')
            return NULL;
          lower[i] = '-';
        }
      else if (g_ascii_isxdigit (text[i]))
        lower[i] = g_ascii_tolower (text[i]);
      else
        return NULL;
    }
  return sluice_value_new_text_unchecked (SLUICE_VALUE_UUID, lower, 36);
}

static const char base64_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
base64_digit (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Standard base64; the trailing '=' padding may be left out. */
SluiceValue *
sluice_value_parse_base64 (const char *text, size_t len)
{
  g_autofree uint8_t *out = NULL;
  size_t n = 0, pad = 0;
  uint32_t acc = 0;
  int bits = 0;

  while (pad < 2 && len > 0 && text[len - 1] == '=')
    {
      len--;
      pad++;
    }
  if (pad > 0 && (len + pad) % 4 != 0)
    return NULL;
  if (len % 4 == 1)
    return NULL;
  out = g_malloc (len / 4 * 3 + 3);
  for (size_t i = 0; i < len; i++)
    {
      int v = base64_digit (text[i]);

      if (v < 0)
        return NULL;
      acc = (acc << 6) | (uint32_t) v;
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          out[n++] = (uint8_t) (acc >> bits);
        }
    }
  /* Leftover bits must be zero, so that each byte string has exactly one text form. */
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    return NULL;
  return sluice_value_new_bytes (out, n);
}

void
sluice_value_append_base64 (GString *out, const uint8_t *data, size_t len)
{
  size_t i = 0;

  for (; i + 3 <= len; i += 3)
    {
      uint32_t v = (uint32_t) data[i] << 16 | (uint32_t) data[i + 1] << 8 | data[i + 2];
      char q[4] = { base64_alphabet[v >> 18], base64_alphabet[(v >> 12) & 63],
                    base64_alphabet[(v >> 6) & 63], base64_alphabet[v & 63] };

      g_string_append_len (out, q, 4);
    }
  if (len - i == 1)
    {
      uint32_t v = (uint32_t) data[i] << 16;
      char q[4] = { base64_alphabet[v >> 18], base64_alphabet[(v >> 12) & 63], '=', '=' };

      g_string_append_len (out, q, 4);
    }
  else if (len - i == 2)
    {
      uint32_t v = (uint32_t) data[i] << 16 | (uint32_t) data[i + 1] << 8;
      char q[4] = { base64_alphabet[v >> 18], base64_alphabet[(v >> 12) & 63],
                    base64_alphabet[(v >> 6) & 63], '=' };

      g_string_append_len (out, q, 4);
    }
}

SluiceValue *
sluice_value_from_transit (const char *str, size_t len)
{
  if (len < 2 || str[0] != '~')
    return NULL;
  switch (str[1])
    {
    case 't':
      return sluice_value_parse_datetime (str + 2, len - 2);
    case ':':
      return sluice_value_new_text_unchecked (SLUICE_VALUE_NI, str + 2, len - 2);
    case 'r':
      return sluice_value_new_text_unchecked (SLUICE_VALUE_URI, str + 2, len - 2);
    case 'b':
      return sluice_value_parse_base64 (str + 2, len - 2);
    case 'u':
      return sluice_value_parse_uuid (str + 2, len - 2);
    case 'f':
      return sluice_value_new_decimal_len (str + 2, len - 2, NULL);
    default:
      return NULL;
    }
}
