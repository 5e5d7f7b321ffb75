/* sluice-binary.c — encoder and validating decoder of the compact binary value form (see
 * sluice-binary.h for the layout). */
#include "sluice-binary.h"
#include "sluice-value-private.h"

#include <string.h>

enum
{
  TAG_NULL = 0,
  TAG_FALSE = 1,
  TAG_TRUE = 2,
  TAG_INTEGER = 3,
  TAG_FLOAT = 4,
  TAG_DECIMAL = 5,
  TAG_BIG_INTEGER = 6,
  TAG_STRING = 7,
  TAG_LIST = 8,
  TAG_DICT = 9,
  TAG_DATETIME = 10,
  TAG_DATE = 11,
  TAG_NI = 12,
  TAG_URI = 13,
  TAG_BYTES = 14,
  TAG_UUID = 15,
};

/* Encoding.  The bytes are written through a pointer into room reserved in @out beforehand, and
 * @out's length is set once at the end: appending each tag byte and varint on its own cost about
 * half of the encoder's instructions (a call, a length check and a memcpy per byte). */

typedef struct
{
  GByteArray *out;
  uint8_t *p;   /* the next byte to write */
  uint8_t *end; /* the end of the room reserved in out */
} Writer;

/* The most bytes a varint takes. */
#define MAX_VARINT 10

static void
writer_grow (Writer *w, size_t need)
{
  size_t used = (size_t) (w->p - w->out->data);
  size_t size = MAX (used + need, 2 * (size_t) w->out->len);

  /* GByteArray lengths are guint: a bigger value could not have been appended either. */
  g_assert (size <= G_MAXUINT);
  g_byte_array_set_size (w->out, (guint) size);
  w->p = w->out->data + used;
  w->end = w->out->data + w->out->len;
}

/* Makes room for @need more bytes. */
static inline void
writer_reserve (Writer *w, size_t need)
{
  if (G_UNLIKELY ((size_t) (w->end - w->p) < need))
    writer_grow (w, need);
}

static inline uint8_t *
write_varint (uint8_t *p, uint64_t v)
{
  while (v >= 0x80)
    {
      *p++ = (uint8_t) (v | 0x80);
      v >>= 7;
    }
  *p++ = (uint8_t) v;
  return p;
}

static inline uint64_t
zigzag (int64_t v)
{
  return ((uint64_t) v << 1) ^ (uint64_t) (v >> 63);
}

static inline void
write_tagged_bytes (Writer *w, uint8_t tag, const void *data, size_t len)
{
  uint8_t *p;

  writer_reserve (w, 1 + MAX_VARINT + len);
  p = w->p;
  *p++ = tag;
  p = write_varint (p, len);
  if (len > 0)
    memcpy (p, data, len);
  w->p = p + len;
}

static void
encode (Writer *w, const SluiceValue *value)
{
  uint8_t *p;

  /* Room for any node's tag and fixed-size payload (a datetime's two varints, a UUID's 16
   * bytes); texts and keys reserve their own. */
  writer_reserve (w, 1 + 2 * MAX_VARINT);
  p = w->p;
  switch (value->kind)
    {
    case SLUICE_VALUE_NULL:
      *p++ = TAG_NULL;
      break;
    case SLUICE_VALUE_BOOLEAN:
      *p++ = value->u.boolean ? TAG_TRUE : TAG_FALSE;
      break;
    case SLUICE_VALUE_INTEGER:
      *p++ = TAG_INTEGER;
      p = write_varint (p, zigzag (value->u.integer));
      break;
    case SLUICE_VALUE_FLOAT:
      {
        uint64_t bits;

        memcpy (&bits, &value->u.number, sizeof bits);
        bits = GUINT64_TO_LE (bits);
        *p++ = TAG_FLOAT;
        memcpy (p, &bits, 8);
        p += 8;
      }
      break;
    case SLUICE_VALUE_DECIMAL:
      write_tagged_bytes (w,
                          (value->flags & VALUE_FLAG_BIG_INTEGER) ? TAG_BIG_INTEGER : TAG_DECIMAL,
                          value->u.str.data, value->u.str.len);
      return;
    case SLUICE_VALUE_STRING:
      write_tagged_bytes (w, TAG_STRING, value->u.str.data, value->u.str.len);
      return;
    case SLUICE_VALUE_NI:
      write_tagged_bytes (w, TAG_NI, value->u.str.data, value->u.str.len);
      return;
    case SLUICE_VALUE_URI:
      write_tagged_bytes (w, TAG_URI, value->u.str.data, value->u.str.len);
      return;
    case SLUICE_VALUE_BYTES:
      write_tagged_bytes (w, TAG_BYTES, value->u.str.data, value->u.str.len);
      return;
    case SLUICE_VALUE_UUID:
      *p++ = TAG_UUID;
      memset (p, 0, 16);
      for (int i = 0, j = 0; i < 36; i++)
        {
          char c = value->u.str.data[i];
          int h = c <= '9' ? c - '0' : c - 'a' + 10;

          if (c == '-')
            continue;
          p[j / 2] |= (uint8_t) (j % 2 ? h : h << 4);
          j++;
        }
      p += 16;
      break;
    case SLUICE_VALUE_DATETIME:
      if (value->flags & VALUE_FLAG_DATE)
        {
          *p++ = TAG_DATE;
          p = write_varint (p, zigzag (value->u.datetime.seconds / 86400));
        }
      else
        {
          *p++ = TAG_DATETIME;
          p = write_varint (p, zigzag (value->u.datetime.seconds));
          p = write_varint (p, value->u.datetime.nanoseconds);
        }
      break;
    case SLUICE_VALUE_LIST:
      *p++ = TAG_LIST;
      w->p = write_varint (p, value->u.list.len);
      for (size_t i = 0; i < value->u.list.len; i++)
        encode (w, value->u.list.items[i]);
      return;
    case SLUICE_VALUE_DICT:
      *p++ = TAG_DICT;
      w->p = write_varint (p, value->u.dict.len);
      for (size_t i = 0; i < value->u.dict.len; i++)
        {
          const SluiceDictEntry *e = &value->u.dict.entries[i];

          writer_reserve (w, MAX_VARINT + e->key_len);
          p = write_varint (w->p, e->key_len);
          memcpy (p, e->key, e->key_len);
          w->p = p + e->key_len;
          encode (w, e->value);
        }
      return;
    default:
      g_assert_not_reached ();
    }
  w->p = p;
}

void
sluice_binary_append (GByteArray *out, const SluiceValue *value)
{
  Writer w;
  guint start;

  g_return_if_fail (out != NULL && value != NULL);
  start = out->len;
  /* Most entity bodies fit in this at once. */
  g_byte_array_set_size (out, start + 256);
  w.out = out;
  w.p = out->data + start;
  w.end = out->data + out->len;
  *w.p++ = SLUICE_BINARY_FORMAT_1;
  encode (&w, value);
  g_byte_array_set_size (out, (guint) (w.p - out->data));
}

GBytes *
sluice_binary_encode (const SluiceValue *value)
{
  GByteArray *out;

  g_return_val_if_fail (value != NULL, NULL);
  out = g_byte_array_sized_new (256);
  sluice_binary_append (out, value);
  return g_byte_array_free_to_bytes (out);
}

/* Decoding. */

typedef struct
{
  const uint8_t *data;
  size_t len;
  size_t pos;
  GError **error;
} Decoder;

static gboolean bad (Decoder *d, size_t at, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
bad (Decoder *d, size_t at, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (d->error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
               "invalid binary value at byte %" G_GSIZE_FORMAT ": %s", at, message);
  return FALSE;
}

static gboolean
get_varint_long (Decoder *d, uint64_t *ret)
{
  uint64_t v = 0;
  size_t start = d->pos;

  for (int shift = 0; shift < 64; shift += 7)
    {
      uint8_t b;

      if (d->pos >= d->len)
        return bad (d, start, "truncated: expected a varint");
      b = d->data[d->pos++];
      if (shift == 63 && b > 1)
        break;
      v |= (uint64_t) (b & 0x7f) << shift;
      if (!(b & 0x80))
        {
          *ret = v;
          return TRUE;
        }
    }
  return bad (d, start, "varint longer than 64 bits");
}

/* Most varints of an entity (lengths, counts, small integers) are one byte. */
static inline gboolean
get_varint (Decoder *d, uint64_t *ret)
{
  if (G_LIKELY (d->pos < d->len && d->data[d->pos] < 0x80))
    {
      *ret = d->data[d->pos++];
      return TRUE;
    }
  return get_varint_long (d, ret);
}

/* A length-prefixed byte run; the length is checked against what is left. */
static gboolean
get_run (Decoder *d, const char *what, const char **ret, size_t *ret_len)
{
  uint64_t n;
  size_t start = d->pos;

  if (!get_varint (d, &n))
    return FALSE;
  if (n > d->len - d->pos)
    return bad (d, start, "%s of %" G_GUINT64_FORMAT " bytes runs past the end (%" G_GSIZE_FORMAT
                " bytes left)", what, n, d->len - d->pos);
  *ret = (const char *) d->data + d->pos;
  *ret_len = (size_t) n;
  d->pos += (size_t) n;
  return TRUE;
}

static gboolean
get_text (Decoder *d, const char *what, const char **ret, size_t *ret_len)
{
  size_t start = d->pos;

  if (!get_run (d, what, ret, ret_len))
    return FALSE;
  if (!sluice_utf8_validate (*ret, *ret_len))
    return bad (d, start, "%s is not valid UTF-8", what);
  return TRUE;
}

/* The 8 little-endian bytes of a float, whose presence the caller checked. */
static double
get_float (Decoder *d)
{
  uint64_t bits;
  double v;

  memcpy (&bits, d->data + d->pos, 8);
  bits = GUINT64_FROM_LE (bits);
  d->pos += 8;
  memcpy (&v, &bits, sizeof v);
  return v;
}

static SluiceValue *decode (Decoder *d, int depth);

static SluiceValue *
decode_list (Decoder *d, int depth, size_t at)
{
  uint64_t n;
  SluiceValue *stack_items[32];
  SluiceValue **items = stack_items;
  SluiceValue *value = NULL;
  size_t got = 0;

  if (!get_varint (d, &n))
    return NULL;
  /* Each element takes at least one byte: this bounds the allocation by the input size. */
  if (n > d->len - d->pos)
    {
      bad (d, at, "list of %" G_GUINT64_FORMAT " elements is longer than the input", n);
      return NULL;
    }
  if (n > G_N_ELEMENTS (stack_items))
    items = g_new (SluiceValue *, n);
  for (; got < n; got++)
    if ((items[got] = decode (d, depth + 1)) == NULL)
      break;
  if (got == n)
    value = sluice_value_new_list_take (items, n);
  else
    for (size_t i = 0; i < got; i++)
      sluice_value_unref (items[i]);
  if (items != stack_items)
    g_free (items);
  return value;
}

static SluiceValue *
decode_dict (Decoder *d, int depth, size_t at)
{
  uint64_t n;
  const char *stack_keys[32];
  uint32_t stack_lens[32];
  SluiceValue *stack_values[32];
  const char **keys = stack_keys;
  uint32_t *lens = stack_lens;
  SluiceValue **values = stack_values;
  SluiceValue *value = NULL;
  size_t got = 0;

  if (!get_varint (d, &n))
    return NULL;
  if (n > (d->len - d->pos) / 2)
    {
      bad (d, at, "dict of %" G_GUINT64_FORMAT " entries is longer than the input", n);
      return NULL;
    }
  if (n > G_N_ELEMENTS (stack_keys))
    {
      keys = g_new (const char *, n);
      lens = g_new (uint32_t, n);
      values = g_new (SluiceValue *, n);
    }
  for (; got < n; got++)
    {
      size_t key_len;

      if (!get_text (d, "dict key", &keys[got], &key_len))
        break;
      lens[got] = (uint32_t) key_len;
      if ((values[got] = decode (d, depth + 1)) == NULL)
        break;
    }
  if (got == n)
    value = sluice_value_new_dict_take (keys, lens, values, n);
  else
    for (size_t i = 0; i < got; i++)
      sluice_value_unref (values[i]);
  if (keys != stack_keys)
    {
      g_free (keys);
      g_free (lens);
      g_free (values);
    }
  return value;
}

static SluiceValue *
decode (Decoder *d, int depth)
{
  size_t at = d->pos;
  uint8_t tag;
  uint64_t u;
  const char *text;
  size_t len;

  if (depth > SLUICE_BINARY_MAX_DEPTH)
    {
      bad (d, at, "nested deeper than %d levels", SLUICE_BINARY_MAX_DEPTH);
      return NULL;
    }
  if (d->pos >= d->len)
    {
      bad (d, at, "truncated: expected a type tag");
      return NULL;
    }
  tag = d->data[d->pos++];
  switch (tag)
    {
    case TAG_NULL:
      return sluice_value_new_null ();
    case TAG_FALSE:
      return sluice_value_new_boolean (FALSE);
    case TAG_TRUE:
      return sluice_value_new_boolean (TRUE);
    case TAG_INTEGER:
      if (!get_varint (d, &u))
        return NULL;
      return sluice_value_new_integer ((int64_t) (u >> 1) ^ -(int64_t) (u & 1));
    case TAG_FLOAT:
      if (d->len - d->pos < 8)
        {
          bad (d, at, "truncated: expected 8 bytes of a float");
          return NULL;
        }
      return sluice_value_new_float (get_float (d));
    case TAG_DECIMAL:
    case TAG_BIG_INTEGER:
      {
        SluiceValue *v;

        if (!get_run (d, "decimal", &text, &len))
          return NULL;
        v = sluice_value_new_decimal_len (text, len, NULL);
        if (v == NULL)
          {
            bad (d, at, "invalid decimal text");
            return NULL;
          }
        if (tag == TAG_BIG_INTEGER)
          v->flags |= VALUE_FLAG_BIG_INTEGER;
        return v;
      }
    case TAG_STRING:
    case TAG_NI:
    case TAG_URI:
      if (!get_text (d, "string", &text, &len))
        return NULL;
      return sluice_value_new_text_unchecked (tag == TAG_STRING ? SLUICE_VALUE_STRING
                                              : tag == TAG_NI   ? SLUICE_VALUE_NI
                                                                : SLUICE_VALUE_URI,
                                              text, len);
    case TAG_BYTES:
      if (!get_run (d, "bytes", &text, &len))
        return NULL;
      return sluice_value_new_bytes (text, len);
    case TAG_UUID:
      {
        static const char hex[] = "0123456789abcdef";
        char buf[36];

        if (d->len - d->pos < 16)
          {
            bad (d, at, "truncated: expected 16 bytes of a UUID");
            return NULL;
          }
        for (int i = 0, j = 0; i < 36; i++)
          {
            uint8_t b;

            if (i == 8 || i == 13 || i == 18 || i == 23)
              {
                buf[i] = '-';
                continue;
              }
            b = d->data[d->pos + j / 2];
            buf[i] = hex[j % 2 ? b & 15 : b >> 4];
            j++;
          }
        d->pos += 16;
        return sluice_value_new_text_unchecked (SLUICE_VALUE_UUID, buf, 36);
      }
    case TAG_DATETIME:
    case TAG_DATE:
      {
        uint64_t nanos = 0;
        int64_t secs;
        SluiceValue *v;

        if (!get_varint (d, &u))
          return NULL;
        secs = (int64_t) (u >> 1) ^ -(int64_t) (u & 1);
        if (tag == TAG_DATETIME && !get_varint (d, &nanos))
          return NULL;
        if (tag == TAG_DATE)
          {
            if (secs < -800000 || secs > 3000000)
              {
                bad (d, at, "date out of range");
                return NULL;
              }
            secs *= 86400;
          }
        v = nanos <= 999999999 ? sluice_value_new_datetime (secs, (uint32_t) nanos, NULL) : NULL;
        if (v == NULL)
          {
            bad (d, at, "datetime out of range (0001-01-01 to 9999-12-31)");
            return NULL;
          }
        if (tag == TAG_DATE)
          v->flags |= VALUE_FLAG_DATE;
        return v;
      }
    case TAG_LIST:
      return decode_list (d, depth, at);
    case TAG_DICT:
      return decode_dict (d, depth, at);
    default:
      bad (d, at, "unknown type tag 0x%02x", tag);
      return NULL;
    }
}

/* Decoding into one arena block (sluice-value-arena.c).  A first pass checks the structure and
 * measures the block; a second builds the tree in it, checking the contents (UTF-8, decimals,
 * datetimes, repeated keys).  Either pass gives up on anything unusual, and the node-by-node
 * decoder above then produces the value or the exact error: the arena path only ever returns
 * what that decoder would. */

/* What the first pass learns for the second. */
typedef struct
{
  uint32_t *key_bytes; /* per dict, in pre-order: the bytes of its key text */
  size_t n, cap;
  uint32_t stack[64];
} DictSizes;

/* Skips a length-prefixed run in the first pass, which only needs its length: any error is left
 * for the ordinary decoder to report. */
static inline gboolean
skip_run (Decoder *d, size_t *ret_len)
{
  uint64_t n;

  if (!get_varint (d, &n) || n > d->len - d->pos)
    return FALSE;
  *ret_len = (size_t) n;
  d->pos += (size_t) n;
  return TRUE;
}

static G_GNUC_NO_INLINE gboolean measure_container (Decoder *d, uint8_t tag, int depth,
                                                    DictSizes *sizes, size_t *total);

/* Scalars are measured inline in their container's loop; containers call out. */
static G_ALWAYS_INLINE inline gboolean
measure_value (Decoder *d, int depth, DictSizes *sizes, size_t *total)
{
  uint8_t tag;
  uint64_t u;
  size_t len;

  if (depth > SLUICE_BINARY_MAX_DEPTH || d->pos >= d->len)
    return FALSE;
  tag = d->data[d->pos++];
  switch (tag)
    {
    case TAG_NULL:
    case TAG_FALSE:
    case TAG_TRUE:
      return TRUE;
    case TAG_INTEGER:
      if (!get_varint (d, &u))
        return FALSE;
      if ((u & 1) || (u >> 1) >= SLUICE_VALUE_N_SMALL_INTEGERS)
        *total += sluice_arena_node_size (0);
      return TRUE;
    case TAG_FLOAT:
      if (d->len - d->pos < 8)
        return FALSE;
      d->pos += 8;
      *total += sluice_arena_node_size (0);
      return TRUE;
    case TAG_DECIMAL:
    case TAG_BIG_INTEGER:
      if (!skip_run (d, &len))
        return FALSE;
      *total += sluice_arena_node_size (sluice_decimal_payload_size (len));
      return TRUE;
    case TAG_STRING:
    case TAG_NI:
    case TAG_URI:
    case TAG_BYTES:
      if (!skip_run (d, &len))
        return FALSE;
      *total += sluice_arena_node_size (len + 1);
      return TRUE;
    case TAG_UUID:
      if (d->len - d->pos < 16)
        return FALSE;
      d->pos += 16;
      *total += sluice_arena_node_size (37);
      return TRUE;
    case TAG_DATETIME:
      if (!get_varint (d, &u) || !get_varint (d, &u))
        return FALSE;
      *total += sluice_arena_node_size (0);
      return TRUE;
    case TAG_DATE:
      if (!get_varint (d, &u))
        return FALSE;
      *total += sluice_arena_node_size (0);
      return TRUE;
    case TAG_LIST:
    case TAG_DICT:
      return measure_container (d, tag, depth, sizes, total);
    default:
      return FALSE;
    }
}

static gboolean
measure_container (Decoder *d, uint8_t tag, int depth, DictSizes *sizes, size_t *total)
{
  uint64_t u;
  size_t len;

  switch (tag)
    {
    case TAG_LIST:
      if (!get_varint (d, &u) || u > d->len - d->pos)
        return FALSE;
      *total += sluice_arena_node_size ((size_t) u * sizeof (SluiceValue *));
      for (uint64_t i = 0; i < u; i++)
        if (!measure_value (d, depth + 1, sizes, total))
          return FALSE;
      return TRUE;
    case TAG_DICT:
      {
        size_t slot, key_bytes = 0;

        if (!get_varint (d, &u) || u > (d->len - d->pos) / 2)
          return FALSE;
        if (sizes->n == sizes->cap)
          {
            sizes->cap *= 2;
            if (sizes->key_bytes == sizes->stack)
              sizes->key_bytes = g_memdup2 (sizes->stack, sizeof sizes->stack);
            sizes->key_bytes = g_renew (uint32_t, sizes->key_bytes, sizes->cap);
          }
        slot = sizes->n++;
        for (uint64_t i = 0; i < u; i++)
          {
            if (!skip_run (d, &len))
              return FALSE;
            key_bytes += len + 1;
            if (!measure_value (d, depth + 1, sizes, total))
              return FALSE;
          }
        if (key_bytes > G_MAXUINT32)
          return FALSE;
        sizes->key_bytes[slot] = (uint32_t) key_bytes;
        *total += sluice_arena_node_size (sluice_dict_payload_size ((size_t) u, key_bytes));
        return TRUE;
      }
    default:
      g_assert_not_reached ();
    }
}

/* Readers for the second pass, over input the first pass found sound. */
static inline uint64_t
next_varint (Decoder *d)
{
  uint64_t v = 0;

  if (G_LIKELY (d->data[d->pos] < 0x80))
    return d->data[d->pos++];
  for (int shift = 0;; shift += 7)
    {
      uint8_t b = d->data[d->pos++];

      v |= (uint64_t) (b & 0x7f) << shift;
      if (!(b & 0x80))
        return v;
    }
}

static inline const char *
next_run (Decoder *d, size_t *ret_len)
{
  const char *run;

  *ret_len = (size_t) next_varint (d);
  run = (const char *) d->data + d->pos;
  d->pos += *ret_len;
  return run;
}

/* The bytes of @w that are the first @n (< 8) in memory order. */
static inline uint64_t
first_bytes (uint64_t w, size_t n)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  return w & ~(~(uint64_t) 0 << (8 * n));
#else
  return w & ~(~(uint64_t) 0 >> (8 * n));
#endif
}

/* Copies the @len bytes of text at @src to @dst, NUL-terminated, and checks that they are UTF-8.
 * @room: the bytes writable at @dst (at least @len + 1); @src_end: the end of readable input.
 * A short text with room to read and write whole words is copied a word at a time, and when it
 * is ASCII (most keys and values) the same words settle its validity. */
static G_ALWAYS_INLINE inline gboolean
copy_text (char *dst, size_t room, const uint8_t *src, size_t len, const uint8_t *src_end)
{
  size_t words = (len + 7) & ~(size_t) 7;
  uint64_t w;

  /* Most keys: one word. */
  if (len < 8 && room >= 8 && src_end - src >= 8)
    {
      memcpy (&w, src, 8);
      memcpy (dst, &w, 8);
      dst[len] = '\0';
      return (first_bytes (w, len) & 0x8080808080808080u) == 0
             || sluice_utf8_validate ((const char *) src, len);
    }
  if (len <= 64 && room >= words && (size_t) (src_end - src) >= words)
    {
      uint64_t bits = 0;
      size_t i = 0;

      for (; i + 8 <= len; i += 8)
        {
          memcpy (&w, src + i, 8);
          memcpy (dst + i, &w, 8);
          bits |= w;
        }
      if (i < len)
        {
          memcpy (&w, src + i, 8);
          memcpy (dst + i, &w, 8);
          bits |= first_bytes (w, len - i);
        }
      dst[len] = '\0';
      return (bits & 0x8080808080808080u) == 0 || sluice_utf8_validate ((const char *) src, len);
    }
  /* Long texts, and the last key of a dict, which has no room for a whole word behind it. */
  if (len > 0)
    memcpy (dst, src, len);
  dst[len] = '\0';
  return sluice_utf8_validate ((const char *) src, len);
}

/* The second pass: the structure is known to be sound, so only the contents can fail. */
static G_GNUC_NO_INLINE SluiceValue *fill_container (Decoder *d, uint8_t tag, SluiceArena *arena,
                                                      const DictSizes *sizes, size_t *next_dict);

/* Scalars are built inline in their container's loop; containers call out. */
static G_ALWAYS_INLINE inline SluiceValue *
fill_value (Decoder *d, SluiceArena *arena, const DictSizes *sizes, size_t *next_dict)
{
  uint8_t tag = d->data[d->pos++];
  uint64_t u;
  const char *text;
  size_t len;
  SluiceValue *v;

  switch (tag)
    {
    case TAG_NULL:
      return sluice_value_new_null ();
    case TAG_FALSE:
      return sluice_value_new_boolean (FALSE);
    case TAG_TRUE:
      return sluice_value_new_boolean (TRUE);
    case TAG_INTEGER:
      {
        int64_t i;

        u = next_varint (d);
        i = (int64_t) (u >> 1) ^ -(int64_t) (u & 1);
        if (i >= 0 && i < SLUICE_VALUE_N_SMALL_INTEGERS)
          return sluice_value_new_integer (i);
        v = sluice_arena_alloc (arena, SLUICE_VALUE_INTEGER, 0);
        v->u.integer = i;
        return v;
      }
    case TAG_FLOAT:
      v = sluice_arena_alloc (arena, SLUICE_VALUE_FLOAT, 0);
      v->u.number = get_float (d);
      return v;
    case TAG_DECIMAL:
    case TAG_BIG_INTEGER:
      text = next_run (d, &len);
      v = sluice_arena_new_decimal (arena, text, len);
      if (v != NULL && tag == TAG_BIG_INTEGER)
        v->flags |= VALUE_FLAG_BIG_INTEGER;
      return v;
    case TAG_STRING:
    case TAG_NI:
    case TAG_URI:
      {
        char *data;

        text = next_run (d, &len);
        /* As sluice_arena_new_text (), with the copy and the check in one. */
        v = sluice_arena_alloc (arena, tag == TAG_STRING ? SLUICE_VALUE_STRING
                                       : tag == TAG_NI   ? SLUICE_VALUE_NI
                                                         : SLUICE_VALUE_URI,
                                len + 1);
        data = (char *) (v + 1);
        v->u.str.data = data;
        v->u.str.len = len;
        v->u.str.decimal = NULL;
        /* The node's payload is rounded up to eight bytes. */
        if (!copy_text (data, (len + 8) & ~(size_t) 7, (const uint8_t *) text, len,
                        d->data + d->len))
          return NULL;
        return v;
      }
    case TAG_BYTES:
      text = next_run (d, &len);
      return sluice_arena_new_text (arena, SLUICE_VALUE_BYTES, text, len);
    case TAG_UUID:
    case TAG_DATETIME:
    case TAG_DATE:
      {
        /* Rare in entities: decode the node the ordinary way and copy it in. */
        SluiceValue *plain;

        d->pos--;
        plain = decode (d, 0);
        if (plain == NULL)
          return NULL;
        if (tag == TAG_UUID)
          v = sluice_arena_new_text (arena, SLUICE_VALUE_UUID, plain->u.str.data, plain->u.str.len);
        else
          {
            v = sluice_arena_alloc (arena, SLUICE_VALUE_DATETIME, 0);
            v->flags |= plain->flags & VALUE_FLAG_DATE;
            v->u.datetime = plain->u.datetime;
          }
        sluice_value_unref (plain);
        return v;
      }
    case TAG_LIST:
    case TAG_DICT:
      return fill_container (d, tag, arena, sizes, next_dict);
    default:
      return NULL;
    }
}

static SluiceValue *
fill_container (Decoder *d, uint8_t tag, SluiceArena *arena, const DictSizes *sizes,
                size_t *next_dict)
{
  uint64_t u;
  const char *text;
  size_t len;
  SluiceValue *v;

  switch (tag)
    {
    case TAG_LIST:
      {
        SluiceValue **items;

        u = next_varint (d);
        v = sluice_arena_alloc (arena, SLUICE_VALUE_LIST, (size_t) u * sizeof (SluiceValue *));
        items = (SluiceValue **) (v + 1);
        v->u.list.items = items;
        v->u.list.len = (size_t) u;
        for (uint64_t i = 0; i < u; i++)
          if ((items[i] = fill_value (d, arena, sizes, next_dict)) == NULL)
            return NULL;
        return v;
      }
    case TAG_DICT:
      {
        SluiceDictEntry *entries;
        char *key_data;
        const char *keys_end;
        size_t key_bytes;

        u = next_varint (d);
        key_bytes = sizes->key_bytes[(*next_dict)++];
        v = sluice_arena_new_dict (arena, (size_t) u, key_bytes, &key_data);
        keys_end = key_data + key_bytes;
        entries = v->u.dict.entries;
        for (uint64_t i = 0; i < u; i++)
          {
            text = next_run (d, &len);
            /* Never past the keys: each value's node, behind them, is written before the next key. */
            if (!copy_text (key_data, (size_t) (keys_end - key_data), (const uint8_t *) text, len,
                            d->data + d->len))
              return NULL;
            entries[i].key = key_data;
            entries[i].key_len = (uint32_t) len;
            entries[i].key_prefix = sluice_dict_key_prefix (text, len);
            key_data += len + 1;
            if ((entries[i].value = fill_value (d, arena, sizes, next_dict)) == NULL)
              return NULL;
          }
        return sluice_arena_dict_finish (v) ? v : NULL;
      }
    default:
      g_assert_not_reached ();
    }
}

/* The value of a well-formed container, in one block; NULL to let the ordinary decoder decide. */
static SluiceValue *
decode_arena (const uint8_t *data, size_t len)
{
  Decoder d = { data, len, 1, NULL };
  DictSizes sizes;
  SluiceArena arena;
  SluiceValue *root = NULL;
  size_t total = 0, next_dict = 0;

  sizes.key_bytes = sizes.stack;
  sizes.n = 0;
  sizes.cap = G_N_ELEMENTS (sizes.stack);
  if (measure_value (&d, 0, &sizes, &total) && d.pos == len)
    {
      sluice_arena_init (&arena, total);
      d.pos = 1;
      root = fill_value (&d, &arena, &sizes, &next_dict);
      if (root == NULL)
        sluice_arena_discard (&arena);
      else
        g_assert (arena.used == arena.size);
    }
  if (sizes.key_bytes != sizes.stack)
    g_free (sizes.key_bytes);
  return root;
}

SluiceValue *
sluice_binary_decode (const void *data, size_t len, GError **error)
{
  Decoder d = { data, len, 1, error };
  SluiceValue *value;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  if (len == 0)
    {
      bad (&d, 0, "empty input: expected a format byte");
      return NULL;
    }
  if (d.data[0] != SLUICE_BINARY_FORMAT_1)
    {
      bad (&d, 0, "unknown format 0x%02x, expected 0x%02x", d.data[0], SLUICE_BINARY_FORMAT_1);
      return NULL;
    }
  if (len > 1 && (d.data[1] == TAG_DICT || d.data[1] == TAG_LIST)
      && (value = decode_arena (d.data, len)) != NULL)
    return value;
  value = decode (&d, 0);
  if (value != NULL && d.pos != len)
    {
      bad (&d, d.pos, "%" G_GSIZE_FORMAT " bytes left after the value", len - d.pos);
      g_clear_pointer (&value, sluice_value_unref);
    }
  return value;
}
