/* sluice-hash.c — the canonical binary form of values and its XXH3-128 content hash.
 *
 * The hash is a content fingerprint for change tracking, not a defence against someone who crafts
 * colliding entities on purpose.  XXH3-128 was chosen over GLib's MD5 because MD5 cost about 600 ns
 * per standard entity, against about 35 ns, at a dataset sink whose whole budget is 1.5–3 µs per
 * entity (docs/decisions/0002-content-hash.md).
 */
#include "sluice-hash.h"
#include "sluice-value-private.h"

#include <string.h>
#include <xxhash.h>

enum
{
  TAG_NULL = 0x00,
  TAG_FALSE = 0x01,
  TAG_TRUE = 0x02,
  TAG_INTEGER = 0x03,
  TAG_FLOAT = 0x04,
  TAG_DECIMAL = 0x05,
  TAG_STRING = 0x06,
  TAG_LIST = 0x07,
  TAG_DICT = 0x08,
  TAG_DATETIME = 0x09,
  TAG_DATE = 0x0a,
  TAG_NI = 0x0b,
  TAG_URI = 0x0c,
  TAG_BYTES = 0x0d,
  TAG_UUID = 0x0e,
};

/* The canonical form is built in a small growable buffer that starts on the stack: most entities
 * fit in it, so hashing one allocates nothing. */
typedef struct
{
  uint8_t *data;
  size_t len;
  size_t cap;
  uint8_t *stack;
} Form;

static void
form_grow (Form *out, size_t need)
{
  size_t cap = MAX (out->cap * 2, out->len + need);

  if (out->data == out->stack)
    {
      out->data = g_malloc (cap);
      memcpy (out->data, out->stack, out->len);
    }
  else
    out->data = g_realloc (out->data, cap);
  out->cap = cap;
}

static inline void
put_raw (Form *out, const void *data, size_t len)
{
  if (G_UNLIKELY (out->len + len > out->cap))
    form_grow (out, len);
  if (len > 0)
    memcpy (out->data + out->len, data, len);
  out->len += len;
}

static inline void
put_u64 (Form *out, uint64_t v)
{
  uint8_t b[8];

  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t) (v >> (8 * i));
  put_raw (out, b, 8);
}

static inline void
put_tag (Form *out, uint8_t tag)
{
  put_raw (out, &tag, 1);
}

static inline void
put_bytes (Form *out, const void *data, size_t len)
{
  put_u64 (out, len);
  put_raw (out, data, len);
}

static void canonical_value (Form *out, const SluiceValue *value);

static gboolean
is_hashed_root_key (const SluiceDictEntry *e)
{
  if (e->key_len == 0 || e->key[0] != '_')
    return TRUE;
  return e->key_len == 3 && memcmp (e->key, "_id", 3) == 0;
}

static void
canonical_dict (Form *out, const SluiceValue *dict, gboolean entity_root)
{
  uint32_t scratch[32];
  gboolean must_free;
  const uint32_t *order;
  size_t count = 0;
  gboolean deleted = FALSE;

  order = sluice_value_dict_sorted_positions (dict, scratch, G_N_ELEMENTS (scratch), &must_free);
  if (entity_root)
    {
      SluiceValue *d = sluice_value_dict_lookup (dict, "_deleted");

      deleted = d != NULL && d->kind == SLUICE_VALUE_BOOLEAN && d->u.boolean;
      for (size_t i = 0; i < dict->u.dict.len; i++)
        count += is_hashed_root_key (&dict->u.dict.entries[i]);
      count += deleted;
    }
  else
    count = dict->u.dict.len;

  put_tag (out, TAG_DICT);
  put_u64 (out, count);
  for (size_t i = 0; i < dict->u.dict.len; i++)
    {
      const SluiceDictEntry *e = &dict->u.dict.entries[order[i]];

      /* Only a true `_deleted` is hashed, at its sorted place: any other value means "not
       * deleted" and must hash like a missing `_deleted`. */
      if (entity_root && deleted && e->key_len == 8 && memcmp (e->key, "_deleted", 8) == 0)
        {
          put_bytes (out, e->key, e->key_len);
          put_tag (out, TAG_TRUE);
          continue;
        }
      if (entity_root && !is_hashed_root_key (e))
        continue;
      put_bytes (out, e->key, e->key_len);
      canonical_value (out, e->value);
    }
  if (must_free)
    g_free ((gpointer) order);
}

static void
canonical_value (Form *out, const SluiceValue *value)
{
  switch (value->kind)
    {
    case SLUICE_VALUE_NULL:
      put_tag (out, TAG_NULL);
      break;
    case SLUICE_VALUE_BOOLEAN:
      put_tag (out, value->u.boolean ? TAG_TRUE : TAG_FALSE);
      break;
    case SLUICE_VALUE_INTEGER:
      put_tag (out, TAG_INTEGER);
      put_u64 (out, (uint64_t) value->u.integer);
      break;
    case SLUICE_VALUE_FLOAT:
      {
        double d = value->u.number == 0.0 ? 0.0 : value->u.number;
        uint64_t bits;

        memcpy (&bits, &d, sizeof bits);
        put_tag (out, TAG_FLOAT);
        put_u64 (out, bits);
      }
      break;
    case SLUICE_VALUE_DECIMAL:
      {
        const SluiceDecimalParts *p = value->u.str.decimal;

        put_tag (out, TAG_DECIMAL);
        put_tag (out, (uint8_t) (p->sign + 1));
        put_u64 (out, (uint64_t) p->exponent);
        put_bytes (out, p->digits, p->n_digits);
      }
      break;
    case SLUICE_VALUE_STRING:
      put_tag (out, TAG_STRING);
      put_bytes (out, value->u.str.data, value->u.str.len);
      break;
    case SLUICE_VALUE_NI:
      put_tag (out, TAG_NI);
      put_bytes (out, value->u.str.data, value->u.str.len);
      break;
    case SLUICE_VALUE_URI:
      put_tag (out, TAG_URI);
      put_bytes (out, value->u.str.data, value->u.str.len);
      break;
    case SLUICE_VALUE_BYTES:
      put_tag (out, TAG_BYTES);
      put_bytes (out, value->u.str.data, value->u.str.len);
      break;
    case SLUICE_VALUE_UUID:
      put_tag (out, TAG_UUID);
      put_bytes (out, value->u.str.data, value->u.str.len);
      break;
    case SLUICE_VALUE_DATETIME:
      put_tag (out, (value->flags & VALUE_FLAG_DATE) ? TAG_DATE : TAG_DATETIME);
      put_u64 (out, (uint64_t) value->u.datetime.seconds);
      put_u64 (out, value->u.datetime.nanoseconds);
      break;
    case SLUICE_VALUE_LIST:
      put_tag (out, TAG_LIST);
      put_u64 (out, value->u.list.len);
      for (size_t i = 0; i < value->u.list.len; i++)
        canonical_value (out, value->u.list.items[i]);
      break;
    case SLUICE_VALUE_DICT:
      canonical_dict (out, value, FALSE);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
digest (Form *form, uint8_t ret_hash[SLUICE_HASH_SIZE])
{
  XXH128_canonical_t canonical;

  /* The canonical (big-endian) byte order of the 128-bit result, the same on every machine. */
  XXH128_canonicalFromHash (&canonical, XXH3_128bits (form->data, form->len));
  memcpy (ret_hash, canonical.digest, SLUICE_HASH_SIZE);
  if (form->data != form->stack)
    g_free (form->data);
}

#define FORM_INIT(buf) { buf, 0, sizeof buf, buf }

void
sluice_hash_value (const SluiceValue *value, uint8_t ret_hash[SLUICE_HASH_SIZE])
{
  uint8_t buf[1024];
  Form form = FORM_INIT (buf);

  g_return_if_fail (value != NULL);
  canonical_value (&form, value);
  digest (&form, ret_hash);
}

void
sluice_hash_entity_body (const SluiceValue *body, uint8_t ret_hash[SLUICE_HASH_SIZE])
{
  uint8_t buf[1024];
  Form form = FORM_INIT (buf);

  g_return_if_fail (body != NULL && body->kind == SLUICE_VALUE_DICT);
  canonical_dict (&form, body, TRUE);
  digest (&form, ret_hash);
}

void
sluice_hash_to_hex (const uint8_t hash[SLUICE_HASH_SIZE], char ret_hex[33])
{
  static const char hex[] = "0123456789abcdef";

  for (int i = 0; i < SLUICE_HASH_SIZE; i++)
    {
      ret_hex[2 * i] = hex[hash[i] >> 4];
      ret_hex[2 * i + 1] = hex[hash[i] & 15];
    }
  ret_hex[32] = '\0';
}
