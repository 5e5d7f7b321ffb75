/* sluice-config-source.c — a strict JSON parser that records where every value is.
 * See sluice-config-source.h for why the core does not use JsonParser for configuration files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sluice-config-source.h"
#include "sluice-config-error.h"

/* Deeper documents are refused rather than risk the stack; configuration never comes close. */
#define MAX_DEPTH 512

typedef struct
{
  guint line;
  guint column;
} Position;

struct _SluiceConfigSource
{
  char *path;
  JsonNode *root;
  GHashTable *values;  /* JSON pointer -> Position * */
  GHashTable *keys;    /* JSON pointer -> Position * (the key of an object member) */
  GHashTable *numbers; /* JSON pointer -> char *, the number as written */
};

typedef struct
{
  const char *text;
  const char *end;
  const char *p;
  guint line;
  const char *line_start;
  const char *column_at; /* where column_chars was last counted up to, on the current line */
  guint column_chars;
  GString *pointer;
  GHashTable *values;
  GHashTable *keys;
  GHashTable *numbers;
  const char *error_at;
  char *error_message;
} Parser;

void
sluice_json_pointer_append (GString *pointer, const char *token)
{
  g_string_append_c (pointer, '/');
  for (const char *c = token; *c != '\0'; c++)
    {
      if (*c == '~')
        g_string_append (pointer, "~0");
      else if (*c == '/')
        g_string_append (pointer, "~1");
      else
        g_string_append_c (pointer, *c);
    }
}

void
sluice_json_pointer_append_index (GString *pointer, guint index)
{
  g_string_append_printf (pointer, "/%u", index);
}

static Position
position_at (Parser *parser, const char *at)
{
  Position position;

  /* The line is tracked while skipping whitespace, the only place a raw newline may appear, so
   * @at is always on the current line.  Positions are asked for in increasing order, so the
   * column is counted on from the last one: a whole configuration on one line stays linear. */
  if (parser->column_at == NULL || parser->column_at < parser->line_start || parser->column_at > at)
    {
      parser->column_at = parser->line_start;
      parser->column_chars = 0;
    }
  parser->column_chars += (guint) g_utf8_strlen (parser->column_at, at - parser->column_at);
  parser->column_at = at;
  position.line = parser->line;
  position.column = parser->column_chars + 1;
  return position;
}

static void
record (Parser *parser, GHashTable *table, const char *at)
{
  Position *position = g_new (Position, 1);

  *position = position_at (parser, at);
  g_hash_table_replace (table, g_strdup (parser->pointer->str), position);
}

static gboolean
fail (Parser *parser, const char *at, const char *message)
{
  if (parser->error_message == NULL)
    {
      parser->error_at = at;
      parser->error_message = g_strdup (message);
    }
  return FALSE;
}

static void
skip_whitespace (Parser *parser)
{
  while (parser->p < parser->end)
    {
      char c = *parser->p;

      if (c == '\n')
        {
          parser->line++;
          parser->line_start = parser->p + 1;
        }
      else if (c != ' ' && c != '\t' && c != '\r')
        break;
      parser->p++;
    }
}

static gboolean
read_hex4 (Parser *parser, const char *at, gunichar *ret)
{
  gunichar value = 0;

  if (parser->end - at < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (at[i]);

      if (digit < 0)
        return FALSE;
      value = value * 16 + (gunichar) digit;
    }
  *ret = value;
  return TRUE;
}

/* Parses a string starting at the opening quote into @out. */
static gboolean
parse_string (Parser *parser, GString *out)
{
  const char *start = parser->p;

  parser->p++;
  while (parser->p < parser->end)
    {
      unsigned char c = (unsigned char) *parser->p;

      if (c == '"')
        {
          parser->p++;
          return TRUE;
        }
      if (c == '\n')
        return fail (parser, start, "unterminated string: expected '\"' before the end of the line");
      if (c < 0x20)
        return fail (parser, parser->p,
                     "control character in a string (write it as an escape such as \\n)");
      if (c != '\\')
        {
          g_string_append_c (out, (char) c);
          parser->p++;
          continue;
        }
      if (parser->end - parser->p < 2)
        break;
      switch (parser->p[1])
        {
        case '"': g_string_append_c (out, '"'); break;
        case '\\': g_string_append_c (out, '\\'); break;
        case '/': g_string_append_c (out, '/'); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            gunichar unit, low;
            const char *escape = parser->p;

            if (!read_hex4 (parser, parser->p + 2, &unit))
              return fail (parser, escape, "invalid \\u escape: expected four hexadecimal digits");
            parser->p += 4;
            if (unit >= 0xDC00 && unit <= 0xDFFF)
              return fail (parser, escape, "invalid \\u escape: unpaired low surrogate");
            if (unit >= 0xD800 && unit <= 0xDBFF)
              {
                if (parser->end - parser->p < 8 || parser->p[2] != '\\' || parser->p[3] != 'u'
                    || !read_hex4 (parser, parser->p + 4, &low) || low < 0xDC00 || low > 0xDFFF)
                  return fail (parser, escape, "invalid \\u escape: unpaired high surrogate");
                unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                parser->p += 6;
              }
            if (unit == 0)
              return fail (parser, escape, "invalid \\u escape: NUL characters are not allowed");
            g_string_append_unichar (out, unit);
            break;
          }
        default:
          return fail (parser, parser->p, "invalid escape in a string: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
        }
      parser->p += 2;
    }
  return fail (parser, start, "unterminated string");
}

static gboolean
is_digit (const char *p, const char *end)
{
  return p < end && *p >= '0' && *p <= '9';
}

static JsonNode *
parse_number (Parser *parser)
{
  const char *start = parser->p;
  const char *p = start;
  gboolean is_integer = TRUE;
  g_autofree char *copy = NULL;

  if (p < parser->end && *p == '-')
    p++;
  if (!is_digit (p, parser->end))
    {
      fail (parser, start, "invalid number: expected a digit");
      return NULL;
    }
  if (*p == '0')
    p++;
  else
    while (is_digit (p, parser->end))
      p++;
  if (p < parser->end && *p == '.')
    {
      is_integer = FALSE;
      p++;
      if (!is_digit (p, parser->end))
        {
          fail (parser, start, "invalid number: expected a digit after '.'");
          return NULL;
        }
      while (is_digit (p, parser->end))
        p++;
    }
  if (p < parser->end && (*p == 'e' || *p == 'E'))
    {
      is_integer = FALSE;
      p++;
      if (p < parser->end && (*p == '+' || *p == '-'))
        p++;
      if (!is_digit (p, parser->end))
        {
          fail (parser, start, "invalid number: expected a digit in the exponent");
          return NULL;
        }
      while (is_digit (p, parser->end))
        p++;
    }
  parser->p = p;
  copy = g_strndup (start, p - start);
  g_hash_table_replace (parser->numbers, g_strdup (parser->pointer->str), g_strdup (copy));
  if (is_integer)
    {
      gint64 value;

      errno = 0;
      value = g_ascii_strtoll (copy, NULL, 10);
      if (errno != ERANGE)
        return json_node_init_int (json_node_alloc (), value);
    }
  /* Any other number is syntax-checked JSON, kept as written in the text recorded above: an
   * integer beyond a gint64 or a number beyond a double is no error here.  The node holds the
   * nearest double (infinite or 0 where a double cannot hold it), which validation judges where
   * an option must be a number (sluice-config-validate.h). */
  return json_node_init_double (json_node_alloc (), g_ascii_strtod (copy, NULL));
}

static JsonNode *parse_value (Parser *parser, guint depth);

static JsonNode *
parse_object (Parser *parser, guint depth)
{
  g_autoptr (JsonObject) object = json_object_new ();
  gsize pointer_length = parser->pointer->len;

  parser->p++;
  skip_whitespace (parser);
  if (parser->p < parser->end && *parser->p == '}')
    {
      parser->p++;
      return json_node_init_object (json_node_alloc (), object);
    }
  for (;;)
    {
      g_autoptr (GString) key = g_string_new (NULL);
      const char *key_at;
      JsonNode *member;

      skip_whitespace (parser);
      key_at = parser->p;
      if (parser->p >= parser->end || *parser->p != '"')
        {
          fail (parser, parser->p, "expected a string key");
          return NULL;
        }
      if (!parse_string (parser, key))
        return NULL;
      if (json_object_has_member (object, key->str))
        {
          g_autofree char *message = g_strdup_printf ("duplicate key '%s' in an object", key->str);

          fail (parser, key_at, message);
          return NULL;
        }
      sluice_json_pointer_append (parser->pointer, key->str);
      record (parser, parser->keys, key_at);
      skip_whitespace (parser);
      if (parser->p >= parser->end || *parser->p != ':')
        {
          fail (parser, parser->p, "expected ':' after an object key");
          return NULL;
        }
      parser->p++;
      member = parse_value (parser, depth + 1);
      if (member == NULL)
        return NULL;
      json_object_set_member (object, key->str, member);
      g_string_truncate (parser->pointer, pointer_length);
      skip_whitespace (parser);
      if (parser->p < parser->end && *parser->p == ',')
        {
          parser->p++;
          continue;
        }
      if (parser->p < parser->end && *parser->p == '}')
        {
          parser->p++;
          return json_node_init_object (json_node_alloc (), object);
        }
      fail (parser, parser->p, "expected ',' or '}' after an object member");
      return NULL;
    }
}

static JsonNode *
parse_array (Parser *parser, guint depth)
{
  g_autoptr (JsonArray) array = json_array_new ();
  gsize pointer_length = parser->pointer->len;

  parser->p++;
  skip_whitespace (parser);
  if (parser->p < parser->end && *parser->p == ']')
    {
      parser->p++;
      return json_node_init_array (json_node_alloc (), array);
    }
  for (guint index = 0;; index++)
    {
      JsonNode *element;

      sluice_json_pointer_append_index (parser->pointer, index);
      element = parse_value (parser, depth + 1);
      if (element == NULL)
        return NULL;
      json_array_add_element (array, element);
      g_string_truncate (parser->pointer, pointer_length);
      skip_whitespace (parser);
      if (parser->p < parser->end && *parser->p == ',')
        {
          parser->p++;
          continue;
        }
      if (parser->p < parser->end && *parser->p == ']')
        {
          parser->p++;
          return json_node_init_array (json_node_alloc (), array);
        }
      fail (parser, parser->p, "expected ',' or ']' after an array element");
      return NULL;
    }
}

static gboolean
match_literal (Parser *parser, const char *literal)
{
  gsize length = strlen (literal);

  if ((gsize) (parser->end - parser->p) < length || memcmp (parser->p, literal, length) != 0)
    return FALSE;
  parser->p += length;
  return TRUE;
}

static JsonNode *
parse_value (Parser *parser, guint depth)
{
  skip_whitespace (parser);
  if (depth > MAX_DEPTH)
    {
      fail (parser, parser->p, "nesting deeper than 512 levels");
      return NULL;
    }
  if (parser->p >= parser->end)
    {
      fail (parser, parser->p, "unexpected end of file: expected a value");
      return NULL;
    }
  record (parser, parser->values, parser->p);
  switch (*parser->p)
    {
    case '{':
      return parse_object (parser, depth);
    case '[':
      return parse_array (parser, depth);
    case '"':
      {
        g_autoptr (GString) text = g_string_new (NULL);

        if (!parse_string (parser, text))
          return NULL;
        return json_node_init_string (json_node_alloc (), text->str);
      }
    case 't':
      if (match_literal (parser, "true"))
        return json_node_init_boolean (json_node_alloc (), TRUE);
      break;
    case 'f':
      if (match_literal (parser, "false"))
        return json_node_init_boolean (json_node_alloc (), FALSE);
      break;
    case 'n':
      if (match_literal (parser, "null"))
        return json_node_init_null (json_node_alloc ());
      break;
    default:
      if (*parser->p == '-' || (*parser->p >= '0' && *parser->p <= '9'))
        return parse_number (parser);
      break;
    }
  fail (parser, parser->p,
        "expected a value (an object, array, string, number, true, false or null)");
  return NULL;
}

SluiceConfigSource *
sluice_config_source_parse (const char *path, const char *text, gssize length, guint *ret_line,
                            guint *ret_column, GError **error)
{
  Parser parser = { 0 };
  g_autoptr (JsonNode) root = NULL;
  SluiceConfigSource *source;
  const char *invalid = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  if (length < 0)
    length = (gssize) strlen (text);
  parser.text = parser.p = parser.line_start = text;
  parser.end = text + length;
  parser.line = 1;
  parser.pointer = g_string_new (NULL);
  parser.values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  parser.keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  parser.numbers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  if (!g_utf8_validate (text, length, &invalid))
    {
      /* Position the error by scanning the valid prefix. */
      for (const char *c = text; c < invalid; c++)
        if (*c == '\n')
          {
            parser.line++;
            parser.line_start = c + 1;
          }
      fail (&parser, invalid, "invalid UTF-8");
    }
  else
    {
      /* A UTF-8 byte order mark is tolerated: some editors write one. */
      if (length >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0)
        parser.p = parser.line_start = text + 3;
      root = parse_value (&parser, 0);
      if (root != NULL)
        {
          skip_whitespace (&parser);
          if (parser.p < parser.end)
            {
              fail (&parser, parser.p, "unexpected text after the end of the JSON value");
              g_clear_pointer (&root, json_node_unref);
            }
        }
    }

  g_string_free (parser.pointer, TRUE);
  if (root == NULL)
    {
      Position position = position_at (&parser, parser.error_at);

      if (ret_line != NULL)
        *ret_line = position.line;
      if (ret_column != NULL)
        *ret_column = position.column;
      g_set_error_literal (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_PARSE,
                           parser.error_message);
      g_free (parser.error_message);
      g_hash_table_unref (parser.values);
      g_hash_table_unref (parser.keys);
      g_hash_table_unref (parser.numbers);
      return NULL;
    }

  source = g_new0 (SluiceConfigSource, 1);
  source->path = g_strdup (path);
  source->root = g_steal_pointer (&root);
  source->values = parser.values;
  source->keys = parser.keys;
  source->numbers = parser.numbers;
  return source;
}

void
sluice_config_source_free (SluiceConfigSource *source)
{
  if (source == NULL)
    return;
  g_free (source->path);
  json_node_unref (source->root);
  g_hash_table_unref (source->values);
  g_hash_table_unref (source->keys);
  g_hash_table_unref (source->numbers);
  g_free (source);
}

const char *
sluice_config_source_get_path (const SluiceConfigSource *source)
{
  return source->path;
}

JsonNode *
sluice_config_source_get_root (const SluiceConfigSource *source)
{
  return source->root;
}

gboolean
sluice_config_source_locate (const SluiceConfigSource *source, const char *pointer, gboolean key,
                             guint *ret_line, guint *ret_column)
{
  g_autofree char *path = g_strdup (pointer != NULL ? pointer : "");

  for (;;)
    {
      const Position *position = g_hash_table_lookup (key ? source->keys : source->values, path);
      char *slash;

      if (position == NULL && key)
        position = g_hash_table_lookup (source->values, path);
      if (position != NULL)
        {
          *ret_line = position->line;
          *ret_column = position->column;
          return TRUE;
        }
      /* A missing member: fall back to the value that should have held it. */
      key = FALSE;
      slash = strrchr (path, '/');
      if (slash == NULL)
        return FALSE;
      *slash = '\0';
    }
}

const char *
sluice_config_source_get_number_text (const SluiceConfigSource *source, const char *pointer)
{
  return g_hash_table_lookup (source->numbers, pointer != NULL ? pointer : "");
}

gboolean
sluice_json_number_get_integer (const char *text, gint64 *ret_value)
{
  const char *p = text;
  gboolean negative = FALSE;
  g_autoptr (GString) digits = g_string_new (NULL); /* significant digits, no leading zero */
  gint64 exponent = 0; /* the value is digits × 10^exponent */
  guint64 magnitude = 0;

  if (*p == '-')
    {
      negative = TRUE;
      p++;
    }
  if (!g_ascii_isdigit (*p))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    if (digits->len > 0 || *p != '0')
      g_string_append_c (digits, *p);
  if (*p == '.')
    for (p++; g_ascii_isdigit (*p); p++)
      {
        if (digits->len > 0 || *p != '0')
          g_string_append_c (digits, *p);
        exponent--;
      }
  if (*p == 'e' || *p == 'E')
    {
      gboolean exponent_negative = FALSE;
      gint64 written = 0;

      p++;
      if (*p == '+' || *p == '-')
        exponent_negative = *p++ == '-';
      /* An exponent beyond a few thousand decides nothing more: cap it rather than overflow. */
      for (; g_ascii_isdigit (*p); p++)
        written = MIN (written * 10 + (*p - '0'), 100000);
      exponent += exponent_negative ? -written : written;
    }
  if (*p != '\0')
    return FALSE;
  /* Trailing zeros of the digits move into the exponent: 2.50e1 is 25 × 10^0. */
  while (digits->len > 0 && digits->str[digits->len - 1] == '0')
    {
      g_string_truncate (digits, digits->len - 1);
      exponent++;
    }
  if (digits->len == 0)
    {
      *ret_value = 0;
      return TRUE;
    }
  /* 10^19 is more than any gint64 holds. */
  if (exponent < 0 || (gint64) digits->len + exponent > 19)
    return FALSE;
  for (gsize i = 0; i < digits->len + (gsize) exponent; i++)
    {
      guint digit = i < digits->len ? (guint) (digits->str[i] - '0') : 0;

      if (magnitude > (G_MAXUINT64 - digit) / 10)
        return FALSE;
      magnitude = magnitude * 10 + digit;
    }
  if (magnitude > (guint64) G_MAXINT64 + (negative ? 1 : 0))
    return FALSE;
  *ret_value = negative ? -(gint64) (magnitude - 1) - 1 : (gint64) magnitude;
  return TRUE;
}
