/* sluice-json-reader.c — the incremental data-plane JSON parser.
 *
 * A hand-written push parser: bytes are fed in chunks of any size (one byte at a time works), and
 * each element of a top-level array, or each top-level value of a sequence (JSON lines), is handed
 * out as soon as it is complete.  Containers under construction live on an explicit stack, so the
 * parser never recurses and memory is bounded by the largest single entity.  A token cut by a chunk
 * boundary stays in the buffer and its scan resumes where it stopped, so feeding byte by byte stays
 * linear.
 *
 * Why hand-written rather than yajl or json-c: exact error messages with byte offsets, values built
 * directly with no intermediate tree, and no new dependency; the measurements are in
 * docs/decisions/0001-data-plane-json-codec.md.
 */
#include "sluice-json.h"
#include "sluice-value-private.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define MAX_DEPTH 512

typedef enum
{
  ST_TOP,          /* between top-level values */
  ST_VALUE,        /* a value must come (after ':' or after ',' in an array) */
  ST_ARRAY_FIRST,  /* after '[': a value or ']' */
  ST_ARRAY_NEXT,   /* after an element: ',' or ']' */
  ST_OBJECT_FIRST, /* after '{': a key or '}' */
  ST_OBJECT_KEY,   /* after ',' in an object: a key */
  ST_COLON,        /* after a key */
  ST_OBJECT_NEXT,  /* after a member: ',' or '}' */
  ST_END,          /* single-value mode: only whitespace may follow */
  ST_FAILED,
} State;

typedef enum
{
  TOKEN_NONE,
  TOKEN_STRING,
  TOKEN_NUMBER,
  TOKEN_LITERAL,
} Token;

typedef enum
{
  FRAME_ARRAY,
  FRAME_OBJECT,
  FRAME_STREAM, /* the top-level array whose elements are handed out one by one */
} FrameType;

typedef struct
{
  FrameType type;
  uint64_t start; /* absolute offset of the opening bracket */
  size_t value_base;
  size_t key_base;
  size_t key_arena_base;
} Frame;

typedef struct
{
  size_t offset;
  uint32_t len;
} KeyRef;

struct _SluiceJsonReader
{
  uint32_t flags;
  gboolean single; /* sluice_value_from_json (): exactly one value, arrays not streamed */
  State state;
  GError *error; /* set once the reader failed */

  /* The input being parsed: the caller's chunk itself when nothing was pending, else @buf. */
  const uint8_t *data;
  size_t len;
  GByteArray *buf; /* input kept between feeds: the start of a token cut by a chunk boundary */
  size_t pos;      /* parse position in data */
  uint64_t base;   /* absolute offset of data[0] */

  Token token;
  size_t token_start; /* in buf */
  size_t scan;        /* in buf: where the token's scan resumes */
  gboolean token_is_key, token_escapes, token_high;

  /* Plain arrays rather than GArrays: these are touched for every value parsed. */
  Frame *frames;
  size_t n_frames, cap_frames;
  SluiceValue **values; /* children of the open containers */
  size_t n_values, cap_values;
  KeyRef *keys; /* the open objects' keys, their bytes in @arena */
  size_t n_keys, cap_keys;
  char *arena;
  size_t arena_len, arena_cap;
  const char **key_ptrs; /* scratch for building one dict */
  uint32_t *key_lens;
  size_t cap_key_tmp;
  GString *scratch;
  GQueue out;
};

/* Character classes for the string scan: 0 plain, 1 '"', 2 '\\', 3 control, 4 non-ASCII. */
static uint8_t string_class[256];

static void
init_tables (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      for (int c = 0; c < 256; c++)
        string_class[c] = c < 0x20 ? 3 : c == '"' ? 1 : c == '\\' ? 2 : c >= 0x80 ? 4 : 0;
      g_once_init_leave (&done, 1);
    }
}

static inline void *
reserve (void *array, size_t *cap, size_t need, size_t elem_size)
{
  if (G_LIKELY (need <= *cap))
    return array;
  *cap = MAX (need, MAX (*cap * 2, 16));
  return g_realloc_n (array, *cap, elem_size);
}

static SluiceJsonReader *
reader_new (uint32_t flags, gboolean single)
{
  SluiceJsonReader *reader = g_new0 (SluiceJsonReader, 1);

  init_tables ();
  reader->flags = flags;
  reader->single = single;
  reader->state = ST_TOP;
  reader->buf = g_byte_array_new ();
  reader->scratch = g_string_new (NULL);
  g_queue_init (&reader->out);
  return reader;
}

SluiceJsonReader *
sluice_json_reader_new (uint32_t flags)
{
  return reader_new (flags, FALSE);
}

void
sluice_json_reader_free (SluiceJsonReader *reader)
{
  if (reader == NULL)
    return;
  g_clear_error (&reader->error);
  g_byte_array_unref (reader->buf);
  g_free (reader->frames);
  for (size_t i = 0; i < reader->n_values; i++)
    sluice_value_unref (reader->values[i]);
  g_free (reader->values);
  g_free (reader->keys);
  g_free (reader->arena);
  g_free (reader->key_ptrs);
  g_free (reader->key_lens);
  g_string_free (reader->scratch, TRUE);
  g_queue_clear_full (&reader->out, (GDestroyNotify) sluice_value_unref);
  g_free (reader);
}

/* Errors. */

static uint64_t
abs_offset (SluiceJsonReader *reader, size_t pos)
{
  return reader->base + pos;
}

/* "'x'", "0xc3" or "end of input": what was found at @pos. */
static void
describe_at (SluiceJsonReader *reader, size_t pos, char ret[16])
{
  if (pos >= reader->len)
    g_strlcpy (ret, "end of input", 16);
  else
    {
      uint8_t c = reader->data[pos];

      if (c >= 0x20 && c < 0x7f)
        g_snprintf (ret, 16, "'%c'", c);
      else
        g_snprintf (ret, 16, "byte 0x%02x", c);
    }
}

static gboolean fail (SluiceJsonReader *reader, uint64_t offset, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static gboolean
fail (SluiceJsonReader *reader, uint64_t offset, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  reader->error = g_error_new (SLUICE_ERROR, SLUICE_ERROR_PARSE, "byte %" G_GUINT64_FORMAT ": %s",
                               offset, message);
  reader->state = ST_FAILED;
  return FALSE;
}

static gboolean
fail_expected (SluiceJsonReader *reader, size_t pos, const char *expected)
{
  char got[16];

  describe_at (reader, pos, got);
  return fail (reader, abs_offset (reader, pos), "expected %s, got %s", expected, got);
}

/* Completed values. */

/* An entity handed out: a container is copied into one arena block (sluice-value-arena.c), which
 * its readers walk faster and which is freed at once.  Single values (configuration, since values)
 * keep their nodes: a part of them may outlive the rest. */
static void
hand_out (SluiceJsonReader *reader, SluiceValue *value)
{
  if (!reader->single && (sluice_value_get_kind (value) == SLUICE_VALUE_DICT
                          || sluice_value_get_kind (value) == SLUICE_VALUE_LIST))
    {
      SluiceValue *compact = sluice_value_dup_compact (value);

      sluice_value_unref (value);
      value = compact;
    }
  g_queue_push_tail (&reader->out, value);
}

static gboolean
value_done (SluiceJsonReader *reader, SluiceValue *value)
{
  Frame *top;

  if (reader->n_frames == 0)
    {
      hand_out (reader, value);
      reader->state = reader->single ? ST_END : ST_TOP;
      return TRUE;
    }
  top = &reader->frames[reader->n_frames - 1];
  if (top->type == FRAME_STREAM)
    {
      hand_out (reader, value);
      reader->state = ST_ARRAY_NEXT;
      return TRUE;
    }
  reader->values = reserve (reader->values, &reader->cap_values, reader->n_values + 1,
                            sizeof (SluiceValue *));
  reader->values[reader->n_values++] = value;
  reader->state = top->type == FRAME_ARRAY ? ST_ARRAY_NEXT : ST_OBJECT_NEXT;
  return TRUE;
}

static gboolean
open_container (SluiceJsonReader *reader, FrameType type)
{
  Frame *frame;

  if (reader->n_frames >= MAX_DEPTH)
    return fail (reader, abs_offset (reader, reader->pos),
                 "nesting deeper than %d levels", MAX_DEPTH);
  reader->frames = reserve (reader->frames, &reader->cap_frames, reader->n_frames + 1, sizeof (Frame));
  frame = &reader->frames[reader->n_frames++];
  frame->type = type;
  frame->start = abs_offset (reader, reader->pos);
  frame->value_base = reader->n_values;
  frame->key_base = reader->n_keys;
  frame->key_arena_base = reader->arena_len;
  reader->state = type == FRAME_OBJECT ? ST_OBJECT_FIRST : ST_ARRAY_FIRST;
  reader->pos++;
  return TRUE;
}

static gboolean
close_container (SluiceJsonReader *reader)
{
  Frame frame = reader->frames[--reader->n_frames];
  size_t n = reader->n_values - frame.value_base;
  SluiceValue **items = reader->values + frame.value_base;
  SluiceValue *value;

  reader->pos++;
  if (frame.type == FRAME_STREAM)
    {
      reader->state = ST_TOP;
      return TRUE;
    }
  if (frame.type == FRAME_ARRAY)
    value = sluice_value_new_list_take (items, n);
  else
    {
      if (n > reader->cap_key_tmp)
        {
          reader->cap_key_tmp = MAX (n, 2 * reader->cap_key_tmp);
          reader->key_ptrs = g_renew (const char *, reader->key_ptrs, reader->cap_key_tmp);
          reader->key_lens = g_renew (uint32_t, reader->key_lens, reader->cap_key_tmp);
        }
      for (size_t i = 0; i < n; i++)
        {
          KeyRef *k = &reader->keys[frame.key_base + i];

          reader->key_ptrs[i] = reader->arena + k->offset;
          reader->key_lens[i] = k->len;
        }
      value = sluice_value_new_dict_take (reader->key_ptrs, reader->key_lens, items, n);
      reader->n_keys = frame.key_base;
      reader->arena_len = frame.key_arena_base;
    }
  /* The container now owns the children's references. */
  reader->n_values = frame.value_base;
  return value_done (reader, value);
}

/* Strings. */

/* Four hex digits at @p (bounds already known), or -1. */
static int
read_hex4 (const uint8_t *p)
{
  int v = 0;

  for (int i = 0; i < 4; i++)
    {
      int h = g_ascii_xdigit_value ((char) p[i]);

      if (h < 0)
        return -1;
      v = v << 4 | h;
    }
  return v;
}

/* Decodes the escapes of the string body at [@start, @end) of the buffer into reader->scratch. */
static gboolean
decode_escapes (SluiceJsonReader *reader, size_t start, size_t end)
{
  const uint8_t *data = reader->data;
  GString *out = reader->scratch;
  size_t i = start, run = start;

  g_string_truncate (out, 0);
  while (i < end)
    {
      uint8_t c;
      size_t esc = i;

      if (data[i] != '\\')
        {
          i++;
          continue;
        }
      g_string_append_len (out, (const char *) data + run, (gssize) (i - run));
      c = data[i + 1]; /* the scan guarantees a character after a backslash */
      i += 2;
      switch (c)
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
            int cp = end - i >= 4 ? read_hex4 (data + i) : -1;

            if (cp < 0)
              return fail (reader, abs_offset (reader, esc),
                           "invalid \\u escape in string: expected 4 hexadecimal digits");
            i += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff)
              return fail (reader, abs_offset (reader, esc),
                           "invalid \\u escape in string: low surrogate \\u%04x without a high "
                           "surrogate before it", (unsigned) cp);
            if (cp >= 0xd800 && cp <= 0xdbff)
              {
                int lo = end - i >= 6 && data[i] == '\\' && data[i + 1] == 'u'
                         ? read_hex4 (data + i + 2) : -1;

                if (lo < 0xdc00 || lo > 0xdfff)
                  return fail (reader, abs_offset (reader, esc),
                               "invalid \\u escape in string: high surrogate \\u%04x not followed "
                               "by a low surrogate", (unsigned) cp);
                i += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              }
            g_string_append_unichar (out, (gunichar) cp);
          }
          break;
        default:
          {
            char got[16];

            describe_at (reader, esc + 1, got);
            return fail (reader, abs_offset (reader, esc),
                         "invalid escape in string: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r "
                         "\\t \\u after the backslash, got %s", got);
          }
        }
      run = i;
    }
  g_string_append_len (out, (const char *) data + run, (gssize) (end - run));
  return TRUE;
}

static gboolean
finish_string (SluiceJsonReader *reader, size_t end)
{
  size_t start = reader->token_start + 1;
  const char *str;
  size_t len;

  reader->token = TOKEN_NONE;
  reader->pos = end + 1;
  if (reader->token_high)
    {
      const char *bad = NULL;

      if (!g_utf8_validate_len ((const char *) reader->data + start, end - start, &bad))
        return fail (reader, abs_offset (reader, (size_t) ((const uint8_t *) bad - reader->data)),
                     "invalid UTF-8 in string");
    }
  if (reader->token_escapes)
    {
      if (!decode_escapes (reader, start, end))
        return FALSE;
      str = reader->scratch->str;
      len = reader->scratch->len;
    }
  else
    {
      str = (const char *) reader->data + start;
      len = end - start;
    }

  if (reader->token_is_key)
    {
      KeyRef *k;

      if (len > UINT32_MAX)
        return fail (reader, abs_offset (reader, reader->token_start), "object key longer than 4 GiB");
      reader->keys = reserve (reader->keys, &reader->cap_keys, reader->n_keys + 1, sizeof (KeyRef));
      k = &reader->keys[reader->n_keys++];
      k->offset = reader->arena_len;
      k->len = (uint32_t) len;
      reader->arena = reserve (reader->arena, &reader->arena_cap, reader->arena_len + len + 1, 1);
      memcpy (reader->arena + reader->arena_len, str, len);
      reader->arena[reader->arena_len + len] = '\0';
      reader->arena_len += len + 1;
      reader->state = ST_COLON;
      return TRUE;
    }
  else
    {
      SluiceValue *value = NULL;

      if (len >= 2 && str[0] == '~')
        value = sluice_value_from_transit (str, len);
      if (value == NULL)
        value = sluice_value_new_text_unchecked (SLUICE_VALUE_STRING, str, len);
      return value_done (reader, value);
    }
}

/* Continues scanning a string token; FALSE with *@ret_done unset when more input is needed. */
static gboolean
scan_string (SluiceJsonReader *reader, gboolean *ret_done)
{
  const uint8_t *data = reader->data;
  size_t len = reader->len;
  size_t i = reader->scan;

  *ret_done = FALSE;
  while (i < len)
    {
      uint8_t cls;

      /* Eight bytes at a time while none of them is '"', '\\' or a control character. */
      while (i + 8 <= len)
        {
          const uint64_t ones = G_GUINT64_CONSTANT (0x0101010101010101);
          const uint64_t highs = G_GUINT64_CONSTANT (0x8080808080808080);
          uint64_t x, q, b;

          memcpy (&x, data + i, 8);
          q = x ^ (ones * '"');
          b = x ^ (ones * '\\');
          if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & highs)
            break;
          if (x & highs)
            reader->token_high = TRUE;
          i += 8;
        }
      if (i >= len)
        break;
      cls = string_class[data[i]];

      if (G_LIKELY (cls == 0))
        {
          i++;
          continue;
        }
      switch (cls)
        {
        case 1:
          *ret_done = TRUE;
          return finish_string (reader, i);
        case 2:
          if (i + 1 >= len)
            {
              /* Resume at the backslash once the escaped character is there. */
              reader->scan = i;
              return TRUE;
            }
          reader->token_escapes = TRUE;
          i += 2;
          break;
        case 3:
          return fail (reader, abs_offset (reader, i),
                       "control character U+%04X in string: expected it escaped, as \\u%04x",
                       data[i], data[i]);
        default:
          reader->token_high = TRUE;
          i++;
          break;
        }
    }
  reader->scan = i;
  return TRUE;
}

/* Numbers. */

static gboolean
is_number_char (uint8_t c)
{
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static gboolean
finish_number (SluiceJsonReader *reader, size_t end)
{
  const uint8_t *data = reader->data;
  size_t start = reader->token_start, p = start, int_end, frac_start = 0, frac_end = 0;
  gboolean negative = FALSE, has_frac = FALSE, has_exp = FALSE;
  SluiceValue *value = NULL;
  char got[16];

  reader->token = TOKEN_NONE;
  reader->pos = end;

#define DIGIT_AT(q) ((q) < end && data[q] >= '0' && data[q] <= '9')
  if (data[p] == '-')
    {
      negative = TRUE;
      p++;
    }
  if (!DIGIT_AT (p))
    {
      describe_at (reader, p, got);
      return fail (reader, abs_offset (reader, p),
                   negative ? "invalid number: expected a digit after '-', got %s"
                            : "invalid number: expected a digit, got %s", got);
    }
  if (data[p] == '0' && DIGIT_AT (p + 1))
    return fail (reader, abs_offset (reader, p),
                 "invalid number: a leading zero must not be followed by digits");
  while (DIGIT_AT (p))
    p++;
  int_end = p;
  if (p < end && data[p] == '.')
    {
      p++;
      if (!DIGIT_AT (p))
        {
          describe_at (reader, p, got);
          return fail (reader, abs_offset (reader, p),
                       "invalid number: expected a digit after '.', got %s", got);
        }
      has_frac = TRUE;
      frac_start = p;
      while (DIGIT_AT (p))
        p++;
      frac_end = p;
    }
  if (p < end && (data[p] == 'e' || data[p] == 'E'))
    {
      p++;
      if (p < end && (data[p] == '+' || data[p] == '-'))
        p++;
      if (!DIGIT_AT (p))
        {
          describe_at (reader, p, got);
          return fail (reader, abs_offset (reader, p),
                       "invalid number: expected a digit in the exponent, got %s", got);
        }
      has_exp = TRUE;
      while (DIGIT_AT (p))
        p++;
    }
  if (p != end)
    {
      describe_at (reader, p, got);
      return fail (reader, abs_offset (reader, p), "invalid number: unexpected %s", got);
    }
#undef DIGIT_AT

  if (!has_exp && (!has_frac || (reader->flags & SLUICE_JSON_READER_FLAG_FLOAT_AS_INT)))
    {
      gboolean integral = TRUE;

      for (size_t q = frac_start; q < frac_end; q++)
        integral &= data[q] == '0';
      if (integral)
        {
          uint64_t acc = 0, limit = negative ? (uint64_t) G_MAXINT64 + 1 : (uint64_t) G_MAXINT64;
          gboolean overflow = FALSE;

          for (size_t q = start + negative; q < int_end && !overflow; q++)
            {
              uint64_t digit = data[q] - '0';

              if (acc > (limit - digit) / 10)
                overflow = TRUE;
              else
                acc = acc * 10 + digit;
            }
          if (overflow)
            /* Integers are unbounded in the entity model: keep the exact value. */
            value = sluice_value_new_big_integer ((const char *) data + start, int_end - start);
          else
            value = sluice_value_new_integer (negative ? (int64_t) (0 - acc) : (int64_t) acc);
          return value_done (reader, value);
        }
    }

  {
    char small[64];
    g_autofree char *big = NULL;
    char *text = small;
    size_t len = end - start;
    double d;

    if (len >= sizeof small)
      text = big = g_malloc (len + 1);
    memcpy (text, data + start, len);
    text[len] = '\0';
    if (reader->flags & SLUICE_JSON_READER_FLAG_FLOAT_AS_DECIMAL)
      {
        if ((reader->flags & SLUICE_JSON_READER_FLAG_FLOAT_AS_INT) && has_exp)
          {
            d = g_ascii_strtod (text, NULL);
            if (d == trunc (d) && fabs (d) < 9007199254740992.0)
              return value_done (reader, sluice_value_new_integer ((int64_t) d));
          }
        return value_done (reader, sluice_value_new_decimal_len (text, len, NULL));
      }
    errno = 0;
    d = g_ascii_strtod (text, NULL);
    if (isinf (d))
      return fail (reader, abs_offset (reader, start),
                   "number out of range: %.*s%s is beyond the largest binary64 float (about 1.8e308)",
                   (int) MIN (len, 40), text, len > 40 ? "…" : "");
    if ((reader->flags & SLUICE_JSON_READER_FLAG_FLOAT_AS_INT) && d == trunc (d)
        && fabs (d) < 9007199254740992.0)
      value = sluice_value_new_integer ((int64_t) d);
    else
      value = sluice_value_new_float (d);
    return value_done (reader, value);
  }
}

static gboolean
scan_number (SluiceJsonReader *reader, gboolean at_eof, gboolean *ret_done)
{
  const uint8_t *data = reader->data;
  size_t len = reader->len, i = reader->scan;

  while (i < len && is_number_char (data[i]))
    i++;
  reader->scan = i;
  *ret_done = i < len || at_eof;
  if (!*ret_done)
    return TRUE;
  return finish_number (reader, i);
}

/* Literals. */

static gboolean
scan_literal (SluiceJsonReader *reader, gboolean at_eof, gboolean *ret_done)
{
  const uint8_t *data = reader->data;
  size_t start = reader->token_start, avail = reader->len - start;
  const char *word = data[start] == 't' ? "true" : data[start] == 'f' ? "false" : "null";
  size_t wlen = strlen (word), n = MIN (avail, wlen);

  *ret_done = FALSE;
  for (size_t i = 0; i < n; i++)
    if (data[start + i] != (uint8_t) word[i])
      {
        char got[16];

        describe_at (reader, start + i, got);
        return fail (reader, abs_offset (reader, start + i), "invalid literal: expected %s, got %s",
                     word, got);
      }
  if (avail < wlen)
    {
      if (at_eof)
        return fail (reader, abs_offset (reader, reader->len),
                     "truncated input: incomplete literal %s starting at byte %" G_GUINT64_FORMAT,
                     word, abs_offset (reader, start));
      return TRUE;
    }
  *ret_done = TRUE;
  reader->token = TOKEN_NONE;
  reader->pos = start + wlen;
  return value_done (reader, data[start] == 't'   ? sluice_value_new_boolean (TRUE)
                             : data[start] == 'f' ? sluice_value_new_boolean (FALSE)
                                                  : sluice_value_new_null ());
}

/* The parse loop. */

static gboolean
start_value (SluiceJsonReader *reader, uint8_t c)
{
  size_t pos = reader->pos;

  switch (c)
    {
    case '{':
      return open_container (reader, FRAME_OBJECT);
    case '[':
      return open_container (reader, reader->n_frames == 0 && !reader->single ? FRAME_STREAM
                                                                                 : FRAME_ARRAY);
    case '"':
      reader->token = TOKEN_STRING;
      reader->token_is_key = FALSE;
      break;
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      reader->token = TOKEN_NUMBER;
      break;
    case 't':
    case 'f':
    case 'n':
      reader->token = TOKEN_LITERAL;
      break;
    default:
      return fail_expected (reader, pos, "a value");
    }
  reader->token_start = pos;
  reader->scan = pos + 1;
  reader->token_escapes = FALSE;
  reader->token_high = FALSE;
  return TRUE;
}

static void
start_key (SluiceJsonReader *reader)
{
  reader->token = TOKEN_STRING;
  reader->token_is_key = TRUE;
  reader->token_start = reader->pos;
  reader->scan = reader->pos + 1;
  reader->token_escapes = FALSE;
  reader->token_high = FALSE;
}

static gboolean
parse (SluiceJsonReader *reader, gboolean at_eof)
{
  for (;;)
    {
      const uint8_t *data;
      size_t len;
      uint8_t c;

      if (reader->token != TOKEN_NONE)
        {
          gboolean done = FALSE, ok;

          switch (reader->token)
            {
            case TOKEN_STRING:
              ok = scan_string (reader, &done);
              break;
            case TOKEN_NUMBER:
              ok = scan_number (reader, at_eof, &done);
              break;
            default:
              ok = scan_literal (reader, at_eof, &done);
              break;
            }
          if (!ok)
            return FALSE;
          if (!done)
            return TRUE;
          continue;
        }

      data = reader->data;
      len = reader->len;
      {
        size_t pos = reader->pos;

        while (pos < len && (data[pos] == ' ' || data[pos] == '\n' || data[pos] == '\r'
                             || data[pos] == '\t'))
          pos++;
        reader->pos = pos;
        if (pos >= len)
          return TRUE;
        c = data[pos];
      }

      switch (reader->state)
        {
        case ST_TOP:
        case ST_VALUE:
          if (!start_value (reader, c))
            return FALSE;
          break;
        case ST_ARRAY_FIRST:
          if (c == ']')
            {
              if (!close_container (reader))
                return FALSE;
            }
          else if (!start_value (reader, c))
            return FALSE;
          break;
        case ST_ARRAY_NEXT:
          if (c == ',')
            {
              reader->pos++;
              reader->state = ST_VALUE;
            }
          else if (c == ']')
            {
              if (!close_container (reader))
                return FALSE;
            }
          else
            return fail_expected (reader, reader->pos, "',' or ']' after array element");
          break;
        case ST_OBJECT_FIRST:
          if (c == '}')
            {
              if (!close_container (reader))
                return FALSE;
            }
          else if (c == '"')
            start_key (reader);
          else
            return fail_expected (reader, reader->pos, "a string key or '}'");
          break;
        case ST_OBJECT_KEY:
          if (c != '"')
            return fail_expected (reader, reader->pos, "a string key after ','");
          start_key (reader);
          break;
        case ST_COLON:
          if (c != ':')
            return fail_expected (reader, reader->pos, "':' after object key");
          reader->pos++;
          reader->state = ST_VALUE;
          break;
        case ST_OBJECT_NEXT:
          if (c == ',')
            {
              reader->pos++;
              reader->state = ST_OBJECT_KEY;
            }
          else if (c == '}')
            {
              if (!close_container (reader))
                return FALSE;
            }
          else
            return fail_expected (reader, reader->pos, "',' or '}' after object member");
          break;
        case ST_END:
          return fail_expected (reader, reader->pos, "end of input after the value");
        case ST_FAILED:
          return FALSE;
        }
    }
}

/* Keeps what is still needed of the input just parsed (a token cut by the end of the chunk) in
 * reader->buf, and makes that the view. */
static void
keep_tail (SluiceJsonReader *reader, gboolean external)
{
  size_t keep = reader->token != TOKEN_NONE ? reader->token_start : reader->pos;

  if (external)
    g_byte_array_append (reader->buf, reader->data + keep, (guint) (reader->len - keep));
  else if (keep > 0)
    g_byte_array_remove_range (reader->buf, 0, (guint) keep);
  reader->base += keep;
  reader->pos -= keep;
  if (reader->token != TOKEN_NONE)
    {
      reader->token_start -= keep;
      reader->scan -= keep;
    }
  reader->data = reader->buf->data;
  reader->len = reader->buf->len;
}

gboolean
sluice_json_reader_feed (SluiceJsonReader *reader, const void *data, size_t len, GError **error)
{
  g_return_val_if_fail (reader != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (reader->error == NULL)
    {
      /* Parse straight from the caller's chunk unless a cut token waits in the buffer. */
      gboolean external = reader->buf->len == 0;
      gboolean ok;

      if (external)
        {
          reader->data = data;
          reader->len = len;
        }
      else
        {
          g_byte_array_append (reader->buf, data, (guint) len);
          reader->data = reader->buf->data;
          reader->len = reader->buf->len;
        }
      ok = parse (reader, FALSE);
      if (ok)
        {
          keep_tail (reader, external);
          return TRUE;
        }
      /* The message is built; the caller's chunk must not be referenced past this call. */
      reader->data = NULL;
      reader->len = 0;
    }
  if (error)
    *error = g_error_copy (reader->error);
  return FALSE;
}

gboolean
sluice_json_reader_finish (SluiceJsonReader *reader, GError **error)
{
  g_return_val_if_fail (reader != NULL, FALSE);

  if (reader->error == NULL && parse (reader, TRUE))
    {
      uint64_t eof = abs_offset (reader, reader->len);

      if (reader->token == TOKEN_STRING)
        fail (reader, eof, "truncated input: unterminated string starting at byte %" G_GUINT64_FORMAT,
              abs_offset (reader, reader->token_start));
      else if (reader->n_frames > 0)
        {
          Frame *top = &reader->frames[reader->n_frames - 1];

          fail (reader, eof, "truncated input: unterminated %s starting at byte %" G_GUINT64_FORMAT,
                top->type == FRAME_OBJECT ? "object" : "array", top->start);
        }
      else if (reader->single && reader->state == ST_TOP)
        fail (reader, eof, "truncated input: expected a value");
      else
        {
          keep_tail (reader, FALSE);
          return TRUE;
        }
    }
  if (error)
    *error = g_error_copy (reader->error);
  return FALSE;
}

SluiceValue *
sluice_json_reader_pop (SluiceJsonReader *reader)
{
  g_return_val_if_fail (reader != NULL, NULL);
  return g_queue_pop_head (&reader->out);
}

uint64_t
sluice_json_reader_get_offset (const SluiceJsonReader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->base + reader->pos;
}

SluiceValue *
sluice_value_from_json (const char *text, gssize len, GError **error)
{
  g_autoptr (SluiceJsonReader) reader = NULL;
  size_t n;

  g_return_val_if_fail (text != NULL || len == 0, NULL);
  n = len < 0 ? strlen (text) : (size_t) len;
  reader = reader_new (0, TRUE);
  if (!sluice_json_reader_feed (reader, text, n, error) || !sluice_json_reader_finish (reader, error))
    return NULL;
  return sluice_json_reader_pop (reader);
}
