/* sluice-value-private.h — the representation of SluiceValue, shared by the files of the SDK library
 * that build or walk values (the JSON codec, the binary form, the content hash).
 *
 * Not installed and not exported: plugins see values only through sluice-value.h.  Every node keeps
 * its bytes (text, decimal parts, dict entries and keys) right behind its header.  A node is its
 * own allocation, or lives inside its dict's allocation, or inside the block of the entity a decoder
 * handed out (sluice-value-arena.c).
 */
#pragma once

#include "sluice-value.h"
#include "sluice-error.h"

#include <string.h>

SLUICE_BEGIN_DECLS

/* Flags of a value node. */
#define VALUE_FLAG_STATIC (1u << 0)     /* a shared singleton: never freed */
#define VALUE_FLAG_DATE (1u << 1)       /* DATETIME: the `~tYYYY-MM-DD` form */
#define VALUE_FLAG_BIG_INTEGER (1u << 2) /* DECIMAL: a JSON integer beyond int64, written back bare */
/* A scalar stored inside the allocation of the dict that holds it (see
 * sluice_value_new_dict_with_keys_borrowed ()): it has no reference count of its own; a
 * reference to it is a reference to that dict, whose pointer sits right before the node. */
#define VALUE_FLAG_EMBEDDED (1u << 3)
/* The root of an arena block (sluice-value-arena.c): every descendant that is not a static
 * singleton lives in the root's own allocation as an embedded value, so freeing the root frees the
 * whole tree at once, without walking it. */
#define VALUE_FLAG_ARENA (1u << 4)

/* Integers 0..SLUICE_VALUE_N_SMALL_INTEGERS-1 are static singletons (no memory of their own). */
#define SLUICE_VALUE_N_SMALL_INTEGERS 256

static inline SluiceValue *
sluice_value_embedded_parent (const SluiceValue *value)
{
  return ((SluiceValue *const *) value)[-1];
}

/* Dicts above this size get a sorted index for lookups; below it a linear scan is faster. */
#define SLUICE_DICT_INDEX_THRESHOLD 16

typedef struct
{
  const char *key;
  uint32_t key_len;
  /* The first four key bytes (zero-padded), in what would otherwise be padding: most lookups
   * settle a mismatch, and a match of a key of up to four bytes, without reading the key text. */
  uint32_t key_prefix;
  SluiceValue *value;
} SluiceDictEntry;

static inline uint32_t
sluice_dict_key_prefix (const char *key, size_t len)
{
  const unsigned char *k = (const unsigned char *) key;
  uint32_t prefix = 0;

  /* Keys of equal length are only ever compared with each other, so the two forms need not
   * agree. */
  if (len >= 4)
    {
      memcpy (&prefix, key, 4);
      return prefix;
    }
  switch (len)
    {
    case 3:
      prefix |= (uint32_t) k[2] << 16;
      /* fall through */
    case 2:
      prefix |= (uint32_t) k[1] << 8;
      /* fall through */
    case 1:
      prefix |= k[0];
      break;
    default:
      break;
    }
  return prefix;
}

/* Whether @e holds @key (of @len bytes, with the prefix @prefix). */
static inline gboolean
sluice_dict_entry_matches (const SluiceDictEntry *e, const char *key, size_t len, uint32_t prefix)
{
  return e->key_len == len && e->key_prefix == prefix
         && (len <= 4 || memcmp (e->key + 4, key + 4, len - 4) == 0);
}

typedef struct
{
  /* value = sign × digits × 10^exponent; digits has no leading or trailing zeros; zero is
   * sign 0 with no digits. */
  int sign;
  int64_t exponent;
  const char *digits;
  size_t n_digits;
} SluiceDecimalParts;

struct _SluiceValue
{
  int ref_count;
  uint16_t kind;
  uint16_t flags;
  union
  {
    gboolean boolean;
    int64_t integer;
    double number;
    struct
    {
      /* STRING, NI, URI, UUID (lowercase text), BYTES, and DECIMAL (its text as given) */
      const char *data;
      size_t len;
      /* DECIMAL only: the normalized form */
      SluiceDecimalParts *decimal;
    } str;
    struct
    {
      int64_t seconds;
      uint32_t nanoseconds;
    } datetime;
    struct
    {
      SluiceValue **items;
      size_t len;
    } list;
    struct
    {
      SluiceDictEntry *entries;
      size_t len;
      uint32_t *sorted; /* entry positions sorted by key; NULL below the threshold */
    } dict;
  } u;
};

/* Builds a STRING (or NI, URI) from bytes already known to be valid UTF-8. */
SluiceValue *sluice_value_new_text_unchecked (SluiceValueKind kind, const char *str, size_t len);
/* A big JSON integer kept exactly as a DECIMAL; @text must be a valid JSON integer. */
SluiceValue *sluice_value_new_big_integer (const char *text, size_t len);
SluiceValue *sluice_value_new_decimal_len (const char *text, size_t len, GError **error);
/* Takes the items (and the references they hold); @items itself is copied. */
SluiceValue *sluice_value_new_list_take (SluiceValue **items, size_t len);
/* Keys are copied, values taken.  A repeated key keeps its first position and its last value. */
SluiceValue *sluice_value_new_dict_take (const char *const *keys, const uint32_t *key_lens,
                                         SluiceValue **values, size_t len);

/* Typed payloads from their transit text (without the two-character prefix); NULL when the text
 * is not of that type. */
SluiceValue *sluice_value_parse_datetime (const char *text, size_t len);
SluiceValue *sluice_value_parse_uuid (const char *text, size_t len);
SluiceValue *sluice_value_parse_base64 (const char *text, size_t len);
/* A transit-encoded string ("~t…", "~:…", …) as a typed value, or NULL for a plain string. */
SluiceValue *sluice_value_from_transit (const char *str, size_t len);

/* Appends the transit text of DATETIME (without "~t") and BYTES (base64, without "~b"). */
void sluice_value_append_datetime (GString *out, const SluiceValue *value);
void sluice_value_append_base64 (GString *out, const uint8_t *data, size_t len);

/* Entry positions of @dict in key byte order; *@ret_free is set when the caller must g_free the
 * result. */
const uint32_t *sluice_value_dict_sorted_positions (const SluiceValue *dict, uint32_t *scratch,
                                                   size_t scratch_len, gboolean *ret_free);
/* UTF-8 validation that, unlike g_utf8_validate_len (), accepts NUL bytes. */
gboolean sluice_utf8_validate (const char *str, size_t len);

/* Appends @str as a quoted JSON string (sluice-json-writer.c). */
void sluice_json_write_string (GString *out, const char *str, size_t len);

int sluice_value_key_compare (const char *a, size_t a_len, const char *b, size_t b_len);

/* Fills a DECIMAL node that has sluice_decimal_payload_size (@len) bytes of payload behind it
 * from its text; FALSE on bad syntax. */
gboolean sluice_value_fill_decimal (SluiceValue *value, const char *text, size_t len);
/* Fills @positions with the entry positions of @entries in key byte order. */
void sluice_dict_sort_positions (const SluiceDictEntry *entries, uint32_t *positions, size_t len);

/* Arena blocks (sluice-value-arena.c): a whole tree in one allocation, laid out in the order a
 * reader walks it.  Used by the decoders for the entities they hand out. */
typedef struct
{
  char *block;
  size_t size;
  size_t used;
  SluiceValue *root;
} SluiceArena;

/* The bytes a node with @extra bytes of payload takes in an arena. */
static inline size_t
sluice_arena_node_size (size_t extra)
{
  return sizeof (void *) + sizeof (SluiceValue) + ((extra + 7) & ~(size_t) 7);
}

/* The bytes of a DECIMAL's payload for @len bytes of text (as sluice_value_new_decimal_len). */
static inline size_t
sluice_decimal_payload_size (size_t len)
{
  return sizeof (SluiceDecimalParts) + 2 * (len + 1);
}

/* The payload bytes of a dict of @n entries with @key_bytes of key text (NULs included). */
static inline size_t
sluice_dict_payload_size (size_t n, size_t key_bytes)
{
  return n * sizeof (SluiceDictEntry) + (n > SLUICE_DICT_INDEX_THRESHOLD ? n * sizeof (uint32_t) : 0)
         + key_bytes;
}

/* A block of exactly @size bytes, the sum of sluice_arena_node_size () of its nodes. */
void sluice_arena_init (SluiceArena *arena, size_t size);
/* Frees a block whose root was never handed out (a decoder that gave up half-way). */
void sluice_arena_discard (SluiceArena *arena);
/* The next node: the first one is the root (reference count 1), every later one is embedded. */
SluiceValue *sluice_arena_alloc (SluiceArena *arena, SluiceValueKind kind, size_t extra);
SluiceValue *sluice_arena_new_text (SluiceArena *arena, SluiceValueKind kind, const char *str,
                                    size_t len);
/* NULL on bad syntax (nothing to undo: the node's bytes are simply not used). */
SluiceValue *sluice_arena_new_decimal (SluiceArena *arena, const char *text, size_t len);
/* A dict node whose @n entries the caller fills (keys into *@ret_key_data) before the next
 * allocation, then finishes with sluice_arena_dict_finish (). */
SluiceValue *sluice_arena_new_dict (SluiceArena *arena, size_t n, size_t key_bytes,
                                    char **ret_key_data);
/* Builds the sorted index of large dicts; FALSE when a key repeats. */
gboolean sluice_arena_dict_finish (SluiceValue *dict);
/* A copy of a value that is neither a list nor a dict, as one node (and its text) of @arena. */
SluiceValue *sluice_arena_copy_scalar (SluiceArena *arena, const SluiceValue *value);
/* A copy of @value in one arena block, or a new reference to @value itself when it is not a list
 * or dict, or already is an arena root. */
SluiceValue *sluice_value_dup_compact (SluiceValue *value);

SLUICE_END_DECLS
