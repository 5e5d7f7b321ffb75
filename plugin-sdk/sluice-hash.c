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

/* The canonical form is written through a pointer into a buffer that starts on the stack (most
 * entities fit in it, so hashing one allocates nothing); each node reserves room for what it
 * writes once, instead of checking the room for every byte. */
typedef struct
{
  uint8_t *data;
  uint8_t *p;   /* the next byte to write */
  uint8_t *end; /* the end of data */
  uint8_t *stack;
} Form;

static void
form_grow (Form *out, size_t need)
{
  size_t len = (size_t) (out->p - out->data);
  size_t cap = MAX (2 * (size_t) (out->end - out->data), len + need);

  if (out->data == out->stack)
    {
      out->data = g_malloc (cap);
      memcpy (out->data, out->stack, len);
    }
  else
    out->data = g_realloc (out->data, cap);
  out->p = out->data + len;
  out->end = out->data + cap;
}

/* Makes room for @need more bytes and returns where they go. */
static inline uint8_t *
form_reserve (Form *out, size_t need)
{
  if (G_UNLIKELY ((size_t) (out->end - out->p) < need))
    form_grow (out, need);
  return out->p;
}

static inline uint8_t *
store_u64 (uint8_t *p, uint64_t v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
  return p + 8;
}

/* A tag, an 8-byte length and the bytes. */
static inline void
put_tagged_bytes (Form *out, uint8_t tag, const void *data, size_t len)
{
  uint8_t *p = form_reserve (out, 1 + 8 + len);

  *p++ = tag;
  p = store_u64 (p, len);
  if (len > 0)
    memcpy (p, data, len);
  out->p = p + len;
}

static void canonical_value (Form *out, const SluiceValue *value);

/* The first four bytes of @e's key as a number that orders like them (zero-padded, so a tie needs
 * the whole keys). */
static inline uint32_t
order_prefix (const SluiceDictEntry *e)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  /* key_prefix holds the first four bytes in memory order, zero-padded. */
  return GUINT32_SWAP_LE_BE (e->key_prefix);
#else
  const unsigned char *k = (const unsigned char *) e->key;
  uint32_t v = 0;

  for (uint32_t i = 0; i < 4; i++)
    v = (v << 8) | (i < e->key_len ? k[i] : 0);
  return v;
#endif
}

static inline gboolean
key_before (const SluiceDictEntry *a, uint32_t a_prefix, const SluiceDictEntry *b, uint32_t b_prefix)
{
  if (a_prefix != b_prefix)
    return a_prefix < b_prefix;
  return sluice_value_key_compare (a->key, a->key_len, b->key, b->key_len) < 0;
}

/* Sorts @positions (of entries of one dict) by key bytes.  Insertion sort: entities' dicts are
 * small, and often already in order, which it settles in one pass; most comparisons are settled
 * by the prefixes without reading the keys. */
static void
sort_by_key (const SluiceDictEntry *entries, uint32_t *positions, size_t n)
{
  for (size_t i = 1; i < n; i++)
    {
      uint32_t pos = positions[i];
      const SluiceDictEntry *e = &entries[pos];
      uint32_t prefix = order_prefix (e);
      size_t j = i;

      while (j > 0 && key_before (e, prefix, &entries[positions[j - 1]],
                                  order_prefix (&entries[positions[j - 1]])))
        {
          positions[j] = positions[j - 1];
          j--;
        }
      positions[j] = pos;
    }
}

/* What an entity body hashes of a root entry: 0 nothing, 1 the entry, 2 `_deleted: true`.  Keys
 * starting with "_" are left out except `_id`; only a true `_deleted` is hashed, because any other
 * value means "not deleted" and must hash like a missing `_deleted`. */
static inline int
root_entry_kind (const SluiceDictEntry *e)
{
  if (e->key_len == 0 || e->key[0] != '_')
    return 1;
  if (e->key_len == 3 && memcmp (e->key, "_id", 3) == 0)
    return 1;
  if (e->key_len == 8 && memcmp (e->key, "_deleted", 8) == 0
      && e->value->kind == SLUICE_VALUE_BOOLEAN && e->value->u.boolean)
    return 2;
  return 0;
}

#define SCRATCH_ENTRIES 32

static void
canonical_dict (Form *out, const SluiceValue *dict, gboolean entity_root)
{
  const SluiceDictEntry *entries = dict->u.dict.entries;
  size_t len = dict->u.dict.len, n = 0;
  uint32_t scratch[SCRATCH_ENTRIES];
  uint32_t *positions = scratch;
  const uint32_t *order = NULL;
  gboolean must_free = FALSE;
  uint8_t *p;

  /* The entries hashed, in key order. */
  if (dict->u.dict.sorted != NULL || len > SCRATCH_ENTRIES)
    {
      order = sluice_value_dict_sorted_positions (dict, scratch, G_N_ELEMENTS (scratch), &must_free);
      if (!entity_root)
        n = len;
      else
        {
          /* Filter in place when the order is ours, else into a copy. */
          if (must_free)
            positions = (uint32_t *) order;
          else if (len > SCRATCH_ENTRIES)
            {
              positions = g_new (uint32_t, len);
              must_free = TRUE;
            }
          for (size_t i = 0; i < len; i++)
            if (root_entry_kind (&entries[order[i]]))
              positions[n++] = order[i];
          order = positions;
        }
    }
  else
    {
      for (size_t i = 0; i < len; i++)
        if (!entity_root || root_entry_kind (&entries[i]))
          positions[n++] = (uint32_t) i;
      sort_by_key (entries, positions, n);
      order = positions;
    }

  p = form_reserve (out, 1 + 8);
  *p++ = TAG_DICT;
  out->p = store_u64 (p, n);
  for (size_t i = 0; i < n; i++)
    {
      const SluiceDictEntry *e = &entries[order[i]];

      p = form_reserve (out, 8 + e->key_len);
      p = store_u64 (p, e->key_len);
      memcpy (p, e->key, e->key_len);
      out->p = p + e->key_len;
      if (entity_root && root_entry_kind (e) == 2)
        {
          p = form_reserve (out, 1);
          *p++ = TAG_TRUE;
          out->p = p;
        }
      else
        canonical_value (out, e->value);
    }
  if (must_free)
    g_free ((gpointer) order);
}

static void
canonical_value (Form *out, const SluiceValue *value)
{
  /* Room for any scalar but texts: a tag and two 8-byte numbers. */
  uint8_t *p = form_reserve (out, 1 + 8 + 8);

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
      p = store_u64 (p, (uint64_t) value->u.integer);
      break;
    case SLUICE_VALUE_FLOAT:
      {
        double d = value->u.number == 0.0 ? 0.0 : value->u.number;
        uint64_t bits;

        memcpy (&bits, &d, sizeof bits);
        *p++ = TAG_FLOAT;
        p = store_u64 (p, bits);
      }
      break;
    case SLUICE_VALUE_DECIMAL:
      {
        const SluiceDecimalParts *parts = value->u.str.decimal;

        *p++ = TAG_DECIMAL;
        *p++ = (uint8_t) (parts->sign + 1);
        out->p = store_u64 (p, (uint64_t) parts->exponent);
        p = form_reserve (out, 8 + parts->n_digits);
        p = store_u64 (p, parts->n_digits);
        if (parts->n_digits > 0)
          memcpy (p, parts->digits, parts->n_digits);
        p += parts->n_digits;
      }
      break;
    case SLUICE_VALUE_STRING:
      put_tagged_bytes (out, TAG_STRING, value->u.str.data, value->u.str.len);
      return;
    case SLUICE_VALUE_NI:
      put_tagged_bytes (out, TAG_NI, value->u.str.data, value->u.str.len);
      return;
    case SLUICE_VALUE_URI:
      put_tagged_bytes (out, TAG_URI, value->u.str.data, value->u.str.len);
      return;
    case SLUICE_VALUE_BYTES:
      put_tagged_bytes (out, TAG_BYTES, value->u.str.data, value->u.str.len);
      return;
    case SLUICE_VALUE_UUID:
      put_tagged_bytes (out, TAG_UUID, value->u.str.data, value->u.str.len);
      return;
    case SLUICE_VALUE_DATETIME:
      *p++ = (value->flags & VALUE_FLAG_DATE) ? TAG_DATE : TAG_DATETIME;
      p = store_u64 (p, (uint64_t) value->u.datetime.seconds);
      p = store_u64 (p, value->u.datetime.nanoseconds);
      break;
    case SLUICE_VALUE_LIST:
      *p++ = TAG_LIST;
      out->p = store_u64 (p, value->u.list.len);
      for (size_t i = 0; i < value->u.list.len; i++)
        canonical_value (out, value->u.list.items[i]);
      return;
    case SLUICE_VALUE_DICT:
      canonical_dict (out, value, FALSE);
      return;
    default:
      g_assert_not_reached ();
    }
  out->p = p;
}

static void
digest (Form *form, uint8_t ret_hash[SLUICE_HASH_SIZE])
{
  XXH128_canonical_t canonical;

  /* The canonical (big-endian) byte order of the 128-bit result, the same on every machine. */
  XXH128_canonicalFromHash (&canonical, XXH3_128bits (form->data, (size_t) (form->p - form->data)));
  memcpy (ret_hash, canonical.digest, SLUICE_HASH_SIZE);
  if (form->data != form->stack)
    g_free (form->data);
}

#define FORM_INIT(buf) { buf, buf, buf + sizeof buf, buf }

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
