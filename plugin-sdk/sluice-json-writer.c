/* sluice-json-writer.c — values to JSON text, with transit encoding for the typed values.
 *
 * Output is compact (no spaces), keeps dict insertion order, and round-trips through
 * SluiceJsonReader: floats always carry a '.' or an exponent so that they read back as floats, with
 * the fewest digits that give back the same double; non-finite floats, which JSON cannot express,
 * are written as null.
 */
#include "sluice-json.h"
#include "sluice-value-private.h"

#include <math.h>
#include <string.h>

/* 1: the byte must be escaped inside a JSON string. */
static const uint8_t needs_escape[256] = {
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

static void
append_string_body (GString *out, const char *str, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  size_t run = 0;

  for (size_t i = 0; i < len; i++)
    {
      uint8_t c = (uint8_t) str[i];

      if (G_LIKELY (!needs_escape[c]))
        continue;
      g_string_append_len (out, str + run, (gssize) (i - run));
      run = i + 1;
      switch (c)
        {
        case '"': g_string_append_len (out, "\\\"", 2); break;
        case '\\': g_string_append_len (out, "\\\\", 2); break;
        case '\n': g_string_append_len (out, "\\n", 2); break;
        case '\r': g_string_append_len (out, "\\r", 2); break;
        case '\t': g_string_append_len (out, "\\t", 2); break;
        case '\b': g_string_append_len (out, "\\b", 2); break;
        case '\f': g_string_append_len (out, "\\f", 2); break;
        default:
          {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

            g_string_append_len (out, u, 6);
          }
        }
    }
  g_string_append_len (out, str + run, (gssize) (len - run));
}

void
sluice_json_write_string (GString *out, const char *str, size_t len)
{
  g_string_append_c (out, '"');
  append_string_body (out, str, len);
  g_string_append_c (out, '"');
}

static void
append_transit (GString *out, const char *prefix, const char *str, size_t len)
{
  g_string_append_c (out, '"');
  g_string_append_len (out, prefix, 2);
  append_string_body (out, str, len);
  g_string_append_c (out, '"');
}

static void
append_float (GString *out, double d)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (d))
    {
      g_string_append_len (out, "null", 4);
      return;
    }
  /* The shortest of 15, 16 or 17 significant digits that reads back as the same double. */
  g_ascii_formatd (buf, sizeof buf, "%.15g", d);
  if (g_ascii_strtod (buf, NULL) != d)
    {
      g_ascii_formatd (buf, sizeof buf, "%.16g", d);
      if (g_ascii_strtod (buf, NULL) != d)
        g_ascii_formatd (buf, sizeof buf, "%.17g", d);
    }
  g_string_append (out, buf);
  if (strpbrk (buf, ".e") == NULL)
    g_string_append_len (out, ".0", 2);
}

void
sluice_json_write_value (GString *out, const SluiceValue *value)
{
  g_return_if_fail (out != NULL && value != NULL);

  switch (value->kind)
    {
    case SLUICE_VALUE_NULL:
      g_string_append_len (out, "null", 4);
      break;
    case SLUICE_VALUE_BOOLEAN:
      if (value->u.boolean)
        g_string_append_len (out, "true", 4);
      else
        g_string_append_len (out, "false", 5);
      break;
    case SLUICE_VALUE_INTEGER:
      {
        char buf[24];
        int n = g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value->u.integer);

        g_string_append_len (out, buf, n);
      }
      break;
    case SLUICE_VALUE_FLOAT:
      append_float (out, value->u.number);
      break;
    case SLUICE_VALUE_DECIMAL:
      if (value->flags & VALUE_FLAG_BIG_INTEGER)
        g_string_append_len (out, value->u.str.data, (gssize) value->u.str.len);
      else
        append_transit (out, "~f", value->u.str.data, value->u.str.len);
      break;
    case SLUICE_VALUE_STRING:
      sluice_json_write_string (out, value->u.str.data, value->u.str.len);
      break;
    case SLUICE_VALUE_NI:
      append_transit (out, "~:", value->u.str.data, value->u.str.len);
      break;
    case SLUICE_VALUE_URI:
      append_transit (out, "~r", value->u.str.data, value->u.str.len);
      break;
    case SLUICE_VALUE_UUID:
      append_transit (out, "~u", value->u.str.data, value->u.str.len);
      break;
    case SLUICE_VALUE_BYTES:
      g_string_append_len (out, "\"~b", 3);
      sluice_value_append_base64 (out, (const uint8_t *) value->u.str.data, value->u.str.len);
      g_string_append_c (out, '"');
      break;
    case SLUICE_VALUE_DATETIME:
      g_string_append_len (out, "\"~t", 3);
      sluice_value_append_datetime (out, value);
      g_string_append_c (out, '"');
      break;
    case SLUICE_VALUE_LIST:
      g_string_append_c (out, '[');
      for (size_t i = 0; i < value->u.list.len; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          sluice_json_write_value (out, value->u.list.items[i]);
        }
      g_string_append_c (out, ']');
      break;
    case SLUICE_VALUE_DICT:
      g_string_append_c (out, '{');
      for (size_t i = 0; i < value->u.dict.len; i++)
        {
          const SluiceDictEntry *e = &value->u.dict.entries[i];

          if (i > 0)
            g_string_append_c (out, ',');
          sluice_json_write_string (out, e->key, e->key_len);
          g_string_append_c (out, ':');
          sluice_json_write_value (out, e->value);
        }
      g_string_append_c (out, '}');
      break;
    default:
      g_return_if_reached ();
    }
}

char *
sluice_value_to_json (const SluiceValue *value)
{
  GString *out;

  g_return_val_if_fail (value != NULL, NULL);
  out = g_string_sized_new (128);
  sluice_json_write_value (out, value);
  return g_string_free (out, FALSE);
}
