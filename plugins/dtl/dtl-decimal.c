/* dtl-decimal.c — exact decimal arithmetic (see dtl-decimal.h). */
#include "dtl-decimal.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define DIV_PRECISION 28

static void
normalize (DtlDecimal *d)
{
  size_t lead = 0;

  while (lead < d->digits->len && d->digits->str[lead] == '0')
    lead++;
  g_string_erase (d->digits, 0, lead);
  while (d->digits->len > 0 && d->digits->str[d->digits->len - 1] == '0' && d->exp < 0)
    {
      g_string_truncate (d->digits, d->digits->len - 1);
      d->exp++;
    }
  if (d->digits->len == 0)
    {
      d->sign = 0;
      d->exp = 0;
    }
}

void
sluice_dtl_decimal_clear (DtlDecimal *d)
{
  if (d->digits != NULL)
    g_string_free (d->digits, TRUE);
  d->digits = NULL;
}

static void
init (DtlDecimal *d)
{
  d->sign = 0;
  d->exp = 0;
  d->digits = g_string_new (NULL);
}

gboolean
sluice_dtl_decimal_parse (DtlDecimal *d, const char *text, size_t len)
{
  const char *p = text, *end = text + len;
  gboolean any = FALSE, neg = FALSE;

  init (d);
  if (p < end && (*p == '-' || *p == '+'))
    neg = *p++ == '-';
  for (; p < end && g_ascii_isdigit (*p); p++, any = TRUE)
    g_string_append_c (d->digits, *p);
  if (p < end && *p == '.')
    for (p++; p < end && g_ascii_isdigit (*p); p++, any = TRUE)
      {
        g_string_append_c (d->digits, *p);
        d->exp--;
      }
  if (any && p < end && (*p == 'e' || *p == 'E'))
    {
      char *e_end;
      gint64 e;
      g_autofree char *tmp = g_strndup (p + 1, end - p - 1);

      e = g_ascii_strtoll (tmp, &e_end, 10);
      if (*tmp == '\0' || *e_end != '\0')
        any = FALSE;
      d->exp += e;
      p = end;
    }
  if (!any || p != end)
    {
      sluice_dtl_decimal_clear (d);
      return FALSE;
    }
  d->sign = neg ? -1 : 1;
  normalize (d);
  return TRUE;
}

gboolean
sluice_dtl_decimal_from_value (DtlDecimal *d, const SluiceValue *v)
{
  char buf[64];
  size_t len;
  const char *s;

  switch (sluice_value_get_kind (v))
    {
    case SLUICE_VALUE_INTEGER:
      g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, sluice_value_get_integer (v));
      return sluice_dtl_decimal_parse (d, buf, strlen (buf));
    case SLUICE_VALUE_FLOAT:
      {
        double x = sluice_value_get_float (v);

        if (!isfinite (x))
          return FALSE;
        for (int prec = 1; prec <= 17; prec++)
          {
            g_snprintf (buf, sizeof buf, "%.*e", prec - 1, x);
            if (g_ascii_strtod (buf, NULL) == x)
              break;
          }
        return sluice_dtl_decimal_parse (d, buf, strlen (buf));
      }
    case SLUICE_VALUE_DECIMAL:
      s = sluice_value_get_string (v, &len);
      return sluice_dtl_decimal_parse (d, s, len);
    default:
      return FALSE;
    }
}

/* |a| vs |b| as integers of digit strings. */
static int
cmp_mag (const char *a, size_t la, const char *b, size_t lb)
{
  if (la != lb)
    return la < lb ? -1 : 1;
  return memcmp (a, b, la);
}

/* out = a + b (magnitudes, as digit strings). */
static void
add_mag (GString *out, const char *a, size_t la, const char *b, size_t lb)
{
  size_t n = MAX (la, lb);
  int carry = 0;

  g_string_set_size (out, n + 1);
  for (size_t i = 0; i < n + 1; i++)
    {
      int da = i < la ? a[la - 1 - i] - '0' : 0;
      int db = i < lb ? b[lb - 1 - i] - '0' : 0;
      int s = da + db + carry;

      out->str[n - i] = (char) ('0' + s % 10);
      carry = s / 10;
    }
}

/* out = a - b, with |a| >= |b|. */
static void
sub_mag (GString *out, const char *a, size_t la, const char *b, size_t lb)
{
  int borrow = 0;

  g_string_set_size (out, la);
  for (size_t i = 0; i < la; i++)
    {
      int da = a[la - 1 - i] - '0';
      int db = i < lb ? b[lb - 1 - i] - '0' : 0;
      int s = da - db - borrow;

      borrow = s < 0;
      if (s < 0)
        s += 10;
      out->str[la - 1 - i] = (char) ('0' + s);
    }
}

static void
strip_leading (GString *s)
{
  size_t lead = 0;

  while (lead < s->len && s->str[lead] == '0')
    lead++;
  g_string_erase (s, 0, lead);
}

/* Digits of @d scaled to exponent @exp (<= d->exp). */
static GString *
aligned (const DtlDecimal *d, int64_t exp)
{
  GString *s = g_string_new_len (d->digits->str, d->digits->len);

  for (int64_t i = exp; i < d->exp; i++)
    g_string_append_c (s, '0');
  return s;
}

void
sluice_dtl_decimal_add (DtlDecimal *ret, const DtlDecimal *a, const DtlDecimal *b, gboolean sub)
{
  int64_t exp = MIN (a->exp, b->exp);
  int sb = sub ? -b->sign : b->sign;
  g_autoptr (GString) da = aligned (a, exp);
  g_autoptr (GString) db = aligned (b, exp);

  init (ret);
  ret->exp = exp;
  if (a->sign == 0 || sb == 0)
    {
      g_string_assign (ret->digits, a->sign == 0 ? db->str : da->str);
      ret->sign = a->sign == 0 ? sb : a->sign;
    }
  else if (a->sign == sb)
    {
      add_mag (ret->digits, da->str, da->len, db->str, db->len);
      ret->sign = a->sign;
    }
  else
    {
      strip_leading (da);
      strip_leading (db);
      if (cmp_mag (da->str, da->len, db->str, db->len) >= 0)
        {
          sub_mag (ret->digits, da->str, da->len, db->str, db->len);
          ret->sign = a->sign;
        }
      else
        {
          sub_mag (ret->digits, db->str, db->len, da->str, da->len);
          ret->sign = sb;
        }
    }
  normalize (ret);
}

void
sluice_dtl_decimal_mul (DtlDecimal *ret, const DtlDecimal *a, const DtlDecimal *b)
{
  size_t la = a->digits->len, lb = b->digits->len;
  g_autofree int *acc = g_new0 (int, la + lb + 1);

  init (ret);
  if (a->sign == 0 || b->sign == 0)
    return;
  for (size_t i = 0; i < la; i++)
    for (size_t j = 0; j < lb; j++)
      acc[i + j + 1] += (a->digits->str[i] - '0') * (b->digits->str[j] - '0');
  for (size_t k = la + lb; k > 0; k--)
    {
      acc[k - 1] += acc[k] / 10;
      acc[k] %= 10;
    }
  for (size_t k = 0; k < la + lb; k++)
    g_string_append_c (ret->digits, (char) ('0' + acc[k]));
  ret->sign = a->sign * b->sign;
  ret->exp = a->exp + b->exp;
  normalize (ret);
}

gboolean
sluice_dtl_decimal_div (DtlDecimal *ret, const DtlDecimal *a, const DtlDecimal *b)
{
  g_autoptr (GString) rem = g_string_new (NULL);
  g_autoptr (GString) tmp = g_string_new (NULL);
  const char *bd = b->digits->str;
  size_t lb = b->digits->len;
  size_t produced = 0;
  size_t i = 0;

  init (ret);
  if (b->sign == 0)
    return FALSE;
  if (a->sign == 0)
    return TRUE;
  /* Long division of a's digits (then zeros) by b's, until 28 significant digits or exact. */
  for (;;)
    {
      int q = 0;

      if (i < a->digits->len)
        g_string_append_c (rem, a->digits->str[i]);
      else
        {
          if (rem->len == 0 || produced >= DIV_PRECISION + 1)
            break;
          g_string_append_c (rem, '0');
        }
      strip_leading (rem);
      while (cmp_mag (rem->str, rem->len, bd, lb) >= 0)
        {
          sub_mag (tmp, rem->str, rem->len, bd, lb);
          g_string_assign (rem, tmp->str);
          strip_leading (rem);
          q++;
        }
      g_string_append_c (ret->digits, (char) ('0' + q));
      if (ret->digits->len > 1 || q != 0)
        produced = ret->digits->len;
      i++;
    }
  /* The quotient has one digit per step; its last digit sits at 10^(exp_of_last). */
  ret->exp = a->exp - b->exp - (int64_t) (i > a->digits->len ? i - a->digits->len : 0);
  ret->sign = a->sign * b->sign;
  strip_leading (ret->digits);
  if (ret->digits->len > DIV_PRECISION)
    {
      DtlDecimal *d = ret;
      int64_t places = -(d->exp + (int64_t) (d->digits->len - DIV_PRECISION));

      sluice_dtl_decimal_quantize (d, places, 'e');
    }
  normalize (ret);
  return TRUE;
}

void
sluice_dtl_decimal_quantize (DtlDecimal *d, int64_t digits, char mode)
{
  int64_t drop = -digits - d->exp; /* how many trailing digits go */
  gboolean up;
  size_t keep;
  const char *rest;
  int first;
  gboolean rest_nonzero = FALSE;

  if (d->sign == 0 || drop <= 0)
    return;
  if ((size_t) drop > d->digits->len)
    {
      /* Everything goes: the result is 0 or one unit. */
      gboolean nonzero = d->digits->len > 0;

      up = (mode == 'c' && d->sign > 0 && nonzero) || (mode == 'f' && d->sign < 0 && nonzero);
      g_string_assign (d->digits, up ? "1" : "");
      d->exp = -digits;
      if (!up)
        d->sign = 0;
      normalize (d);
      return;
    }
  keep = d->digits->len - (size_t) drop;
  rest = d->digits->str + keep;
  first = rest[0] - '0';
  for (size_t i = 1; i < (size_t) drop; i++)
    rest_nonzero |= rest[i] != '0';
  switch (mode)
    {
    case 'c':
      up = d->sign > 0 && (first || rest_nonzero);
      break;
    case 'f':
      up = d->sign < 0 && (first || rest_nonzero);
      break;
    default:
      up = first > 5 || (first == 5 && rest_nonzero)
           || (first == 5 && !rest_nonzero && keep > 0 && ((d->digits->str[keep - 1] - '0') & 1));
      break;
    }
  g_string_truncate (d->digits, keep);
  d->exp = -digits;
  if (up)
    {
      g_autoptr (GString) sum = g_string_new (NULL);

      add_mag (sum, d->digits->str, d->digits->len, "1", 1);
      g_string_assign (d->digits, sum->str);
    }
  strip_leading (d->digits);
  if (d->digits->len == 0)
    d->sign = 0;
}

char *
sluice_dtl_decimal_to_string (const DtlDecimal *d)
{
  GString *out = g_string_new (NULL);
  int64_t n = (int64_t) d->digits->len;

  if (d->sign == 0)
    {
      g_string_append_c (out, '0');
      if (d->exp < 0)
        {
          g_string_append_c (out, '.');
          for (int64_t i = 0; i < -d->exp; i++)
            g_string_append_c (out, '0');
        }
      return g_string_free (out, FALSE);
    }
  if (d->sign < 0)
    g_string_append_c (out, '-');
  if (d->exp >= 0)
    {
      g_string_append_len (out, d->digits->str, n);
      for (int64_t i = 0; i < d->exp; i++)
        g_string_append_c (out, '0');
    }
  else if (-d->exp >= n)
    {
      g_string_append (out, "0.");
      for (int64_t i = 0; i < -d->exp - n; i++)
        g_string_append_c (out, '0');
      g_string_append_len (out, d->digits->str, n);
    }
  else
    {
      g_string_append_len (out, d->digits->str, n + d->exp);
      g_string_append_c (out, '.');
      g_string_append_len (out, d->digits->str + n + d->exp, -d->exp);
    }
  return g_string_free (out, FALSE);
}

SluiceValue *
sluice_dtl_decimal_to_value (const DtlDecimal *d, gboolean as_integer)
{
  g_autofree char *text = sluice_dtl_decimal_to_string (d);

  if (as_integer && d->exp >= 0)
    {
      char *end;
      gint64 i;

      errno = 0;
      i = g_ascii_strtoll (text, &end, 10);
      if (errno == 0 && *end == '\0')
        return sluice_value_new_integer (i);
      /* Beyond 64 bits: the JSON reader keeps big integers exactly. */
      return sluice_value_from_json (text, -1, NULL);
    }
  return sluice_value_new_decimal (text, NULL);
}
