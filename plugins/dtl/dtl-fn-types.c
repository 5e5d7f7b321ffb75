/* dtl-fn-types.c — booleans and numbers: the casts `boolean`, `integer`, `decimal`, `float`,
 * `hex`, and the `is-*` predicates for them (digest §11.7 "Booleans", "Numbers").  Casts take an
 * optional default expression that replaces what does not convert (see sluice_dtl_cast ()). */
#include "dtl-compiler.h"
#include "dtl-decimal.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static SluiceValue *
boolean_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  const char *s;

  if (dtl_kind (item) == SLUICE_VALUE_BOOLEAN)
    return sluice_value_ref (item);
  s = dtl_string (item, NULL);
  if (s != NULL && g_ascii_strcasecmp (s, "true") == 0)
    return dtl_bool (TRUE);
  if (s != NULL && g_ascii_strcasecmp (s, "false") == 0)
    return dtl_bool (FALSE);
  return NULL;
}

static SluiceValue *
fn_boolean (DtlEval *ev, const DtlNode *node)
{
  return sluice_dtl_cast (ev, node, boolean_one, NULL);
}

/* "0x…": two's complement over the digits given, so "0xff" is -1 and "0x00ff" 255. */
static SluiceValue *
parse_hex (const char *s)
{
  size_t n = strlen (s);
  uint64_t u = 0;

  if (n == 0 || n > 16)
    return NULL;
  for (size_t i = 0; i < n; i++)
    {
      if (!g_ascii_isxdigit (s[i]))
        return NULL;
      u = (u << 4) | (uint64_t) g_ascii_xdigit_value (s[i]);
    }
  if (n < 16 && g_ascii_xdigit_value (s[0]) >= 8)
    return sluice_value_new_integer ((int64_t) u - (int64_t) (UINT64_C (1) << (4 * n)));
  return sluice_value_new_integer ((int64_t) u);
}

static SluiceValue *
integer_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  switch (dtl_kind (item))
    {
    case SLUICE_VALUE_INTEGER:
      return sluice_value_ref (item);
    case SLUICE_VALUE_FLOAT:
      {
        double d = sluice_value_get_float (item);

        if (!isfinite (d))
          return NULL;
        if (fabs (d) < 9.2e18)
          return sluice_value_new_integer ((int64_t) trunc (d));
      }
      G_GNUC_FALLTHROUGH;
    case SLUICE_VALUE_DECIMAL:
      {
        DtlDecimal d = { 0 };
        SluiceValue *r;

        if (!sluice_dtl_decimal_from_value (&d, item))
          return NULL;
        sluice_dtl_decimal_quantize (&d, 0, d.sign < 0 ? 'c' : 'f');
        r = sluice_dtl_decimal_to_value (&d, TRUE);
        sluice_dtl_decimal_clear (&d);
        return r;
      }
    case SLUICE_VALUE_STRING:
      {
        g_autofree char *s = g_strstrip (g_strdup (sluice_value_get_string (item, NULL)));
        const char *p = s;
        DtlDecimal d = { 0 };
        SluiceValue *r;

        if (g_ascii_strncasecmp (s, "0x", 2) == 0)
          return parse_hex (s + 2);
        if (*p == '-' || *p == '+')
          p++;
        if (*p == '\0')
          return NULL;
        for (; *p; p++)
          if (!g_ascii_isdigit (*p) && *p != '_')
            return NULL;
        if (!sluice_dtl_decimal_parse (&d, s, strlen (s)))
          return NULL;
        r = sluice_dtl_decimal_to_value (&d, TRUE);
        sluice_dtl_decimal_clear (&d);
        return r;
      }
    default:
      return NULL;
    }
}

static SluiceValue *
fn_integer (DtlEval *ev, const DtlNode *node)
{
  return sluice_dtl_cast (ev, node, integer_one, NULL);
}

static SluiceValue *
decimal_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  DtlDecimal d = { 0 };
  SluiceValue *r;

  switch (dtl_kind (item))
    {
    case SLUICE_VALUE_DECIMAL:
      return sluice_value_ref (item);
    case SLUICE_VALUE_INTEGER:
    case SLUICE_VALUE_FLOAT:
      if (!sluice_dtl_decimal_from_value (&d, item))
        return NULL;
      break;
    case SLUICE_VALUE_STRING:
      {
        g_autofree char *s = g_strstrip (g_strdup (sluice_value_get_string (item, NULL)));

        if (!sluice_dtl_decimal_parse (&d, s, strlen (s)))
          return NULL;
        /* Keep the text as written: "1.0" stays 1.0. */
        sluice_dtl_decimal_clear (&d);
        return sluice_value_new_decimal (s, NULL);
      }
    default:
      return NULL;
    }
  r = sluice_dtl_decimal_to_value (&d, FALSE);
  sluice_dtl_decimal_clear (&d);
  return r;
}

static SluiceValue *
fn_decimal (DtlEval *ev, const DtlNode *node)
{
  return sluice_dtl_cast (ev, node, decimal_one, NULL);
}

static SluiceValue *
float_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  switch (dtl_kind (item))
    {
    case SLUICE_VALUE_FLOAT:
      return sluice_value_ref (item);
    case SLUICE_VALUE_INTEGER:
    case SLUICE_VALUE_DECIMAL:
      return sluice_value_new_float (sluice_value_get_float (item));
    case SLUICE_VALUE_STRING:
      {
        g_autofree char *s = g_strstrip (g_strdup (sluice_value_get_string (item, NULL)));
        char *end;
        double d;

        /* Python's float () takes no hexadecimal. */
        if (*s == '\0' || strpbrk (s, "xX") != NULL)
          return NULL;
        errno = 0;
        d = g_ascii_strtod (s, &end);
        if (*end != '\0')
          return NULL;
        return sluice_value_new_float (d);
      }
    default:
      return NULL;
    }
}

static SluiceValue *
fn_float (DtlEval *ev, const DtlNode *node)
{
  return sluice_dtl_cast (ev, node, float_one, NULL);
}

static SluiceValue *
hex_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  int64_t v;
  int bytes = 1;
  GString *out;

  if (dtl_kind (item) != SLUICE_VALUE_INTEGER)
    return NULL;
  v = sluice_value_get_integer (item);
  /* The fewest whole bytes whose two's complement keeps the sign. */
  while (bytes < 8)
    {
      int64_t lo = -((int64_t) 1 << (8 * bytes - 1));
      int64_t hi = ((int64_t) 1 << (8 * bytes - 1)) - 1;

      if (v >= lo && v <= hi)
        break;
      bytes++;
    }
  out = g_string_new ("0x");
  for (int i = bytes - 1; i >= 0; i--)
    g_string_append_printf (out, "%02x", (unsigned) (((uint64_t) v >> (8 * i)) & 0xff));
  {
    SluiceValue *r = sluice_value_new_string (out->str, out->len);

    g_string_free (out, TRUE);
    return r;
  }
}

static SluiceValue *
fn_hex (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, v, hex_one, NULL);
}

static SluiceValue *
is_kind (DtlEval *ev, const DtlNode *node, SluiceValueKind kind)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (dtl_kind (dtl_first (v)) == kind);
}

static SluiceValue *fn_is_boolean (DtlEval *ev, const DtlNode *node) { return is_kind (ev, node, SLUICE_VALUE_BOOLEAN); }
static SluiceValue *fn_is_integer (DtlEval *ev, const DtlNode *node) { return is_kind (ev, node, SLUICE_VALUE_INTEGER); }
static SluiceValue *fn_is_float (DtlEval *ev, const DtlNode *node) { return is_kind (ev, node, SLUICE_VALUE_FLOAT); }

static SluiceValue *
fn_is_decimal (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);
  SluiceValue *first = dtl_first (v);
  g_autofree char *json = NULL;

  if (dtl_kind (first) != SLUICE_VALUE_DECIMAL)
    return dtl_bool (FALSE);
  /* A JSON integer beyond 64 bits is kept as a decimal, but it is an integer. */
  json = sluice_value_to_json (first);
  return dtl_bool (json[0] == '"');
}

const DtlFunction sluice_dtl_fn_types[] = {
  { "boolean", 1, 2, 0, fn_boolean },
  { "is-boolean", 1, 1, 0, fn_is_boolean },
  { "integer", 1, 2, 0, fn_integer },
  { "decimal", 1, 2, 0, fn_decimal },
  { "float", 1, 2, 0, fn_float },
  { "hex", 1, 1, 0, fn_hex },
  { "is-integer", 1, 1, 0, fn_is_integer },
  { "is-decimal", 1, 1, 0, fn_is_decimal },
  { "is-float", 1, 1, 0, fn_is_float },
  { NULL },
};
