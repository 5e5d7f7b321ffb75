/* sluice-value-private.h — the representation of SluiceValue, shared by the files of the SDK library
 * that build or walk values (the JSON codec, the binary form, the content hash).
 *
 * Not installed and not exported: plugins see values only through sluice-value.h.  Every node is one
 * allocation: strings, decimals and dicts keep their bytes right behind the header, so that building
 * a parsed entity costs one malloc per node.
 */
#pragma once

#include "sluice-value.h"
#include "sluice-error.h"

SLUICE_BEGIN_DECLS

/* Flags of a value node. */
#define VALUE_FLAG_STATIC (1u << 0)     /* a shared singleton: never freed */
#define VALUE_FLAG_DATE (1u << 1)       /* DATETIME: the `~tYYYY-MM-DD` form */
#define VALUE_FLAG_BIG_INTEGER (1u << 2) /* DECIMAL: a JSON integer beyond int64, written back bare */
/* A scalar stored inside the allocation of the dict that holds it (see
 * sluice_value_new_dict_with_keys_borrowed ()): it has no reference count of its own; a
 * reference to it is a reference to that dict, whose pointer sits right before the node. */
#define VALUE_FLAG_EMBEDDED (1u << 3)

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
  SluiceValue *value;
} SluiceDictEntry;

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

SLUICE_END_DECLS
