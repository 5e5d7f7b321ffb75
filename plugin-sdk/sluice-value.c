/* sluice-value.c — immutable, reference-counted values: construction, accessors, builders,
 * equality and the mixed-type ordering of the entity model (digest §1.4, §1.5).
 *
 * Each node is a single allocation (see sluice-value-private.h).  null, true and false are shared
 * static singletons whose reference count is never touched, because they are by far the most common
 * scalars and need no memory at all.
 */
#include "sluice-value-private.h"

#include <math.h>
#include <string.h>

static SluiceValue null_value = { 0, SLUICE_VALUE_NULL, VALUE_FLAG_STATIC, { 0 } };
static SluiceValue true_value = { 0, SLUICE_VALUE_BOOLEAN, VALUE_FLAG_STATIC, { .boolean = TRUE } };
static SluiceValue false_value = { 0, SLUICE_VALUE_BOOLEAN, VALUE_FLAG_STATIC, { .boolean = FALSE } };

static SluiceValue *
value_alloc (SluiceValueKind kind, size_t extra)
{
  SluiceValue *value = g_malloc (sizeof (SluiceValue) + extra);

  value->ref_count = 1;
  value->kind = (uint16_t) kind;
  value->flags = 0;
  return value;
}

static char *
value_tail (SluiceValue *value)
{
  return (char *) (value + 1);
}

SluiceValue *
sluice_value_ref (SluiceValue *value)
{
  g_return_val_if_fail (value != NULL, NULL);
  if (G_LIKELY (!(value->flags & (VALUE_FLAG_STATIC | VALUE_FLAG_EMBEDDED))))
    g_atomic_int_inc (&value->ref_count);
  else if (value->flags & VALUE_FLAG_EMBEDDED)
    sluice_value_ref (sluice_value_embedded_parent (value));
  return value;
}

void
sluice_value_unref (SluiceValue *value)
{
  if (value == NULL)
    return;
  if (G_UNLIKELY (value->flags & (VALUE_FLAG_STATIC | VALUE_FLAG_EMBEDDED)))
    {
      if (value->flags & VALUE_FLAG_EMBEDDED)
        sluice_value_unref (sluice_value_embedded_parent (value));
      return;
    }
  /* Holding the only reference, no other thread can touch the count: skip the atomic
   * read-modify-write, which dominates freeing a parsed entity. */
  if (g_atomic_int_get (&value->ref_count) != 1 && !g_atomic_int_dec_and_test (&value->ref_count))
    return;
  if (value->flags & VALUE_FLAG_ARENA)
    {
      g_free ((char *) value - sizeof (void *));
      return;
    }
  switch (value->kind)
    {
    case SLUICE_VALUE_LIST:
      for (size_t i = 0; i < value->u.list.len; i++)
        sluice_value_unref (value->u.list.items[i]);
      break;
    case SLUICE_VALUE_DICT:
      for (size_t i = 0; i < value->u.dict.len; i++)
        {
          SluiceValue *item = value->u.dict.entries[i].value;

          /* Its own embedded values go with its memory; static ones need no call. */
          if (item->flags & VALUE_FLAG_STATIC)
            continue;
          if (!(item->flags & VALUE_FLAG_EMBEDDED) || sluice_value_embedded_parent (item) != value)
            sluice_value_unref (item);
        }
      break;
    default:
      break;
    }
  g_free (value);
}

SluiceValueKind
sluice_value_get_kind (const SluiceValue *value)
{
  g_return_val_if_fail (value != NULL, SLUICE_VALUE_NULL);
  return value->kind;
}

const char *
sluice_value_kind_get_name (SluiceValueKind kind)
{
  static const char *const names[] = {
    "null", "boolean", "integer", "float", "decimal", "string", "list", "dict",
    "datetime", "ni", "uri", "bytes", "uuid",
  };

  if (kind < G_N_ELEMENTS (names))
    return names[kind];
  return "unknown";
}

/* Scalars. */

SluiceValue *
sluice_value_new_null (void)
{
  return &null_value;
}

SluiceValue *
sluice_value_new_boolean (gboolean b)
{
  return b ? &true_value : &false_value;
}

/* Small non-negative integers (ages, counts, flags) are shared, like null and booleans. */
#define N_SMALL_INTEGERS SLUICE_VALUE_N_SMALL_INTEGERS
static SluiceValue small_integers[N_SMALL_INTEGERS];

__attribute__ ((constructor)) static void
init_small_integers (void)
{
  for (int i = 0; i < N_SMALL_INTEGERS; i++)
    {
      small_integers[i].kind = SLUICE_VALUE_INTEGER;
      small_integers[i].flags = VALUE_FLAG_STATIC;
      small_integers[i].u.integer = i;
    }
}

SluiceValue *
sluice_value_new_integer (int64_t i)
{
  SluiceValue *value;

  if (i >= 0 && i < N_SMALL_INTEGERS)
    return &small_integers[i];
  value = value_alloc (SLUICE_VALUE_INTEGER, 0);

  value->u.integer = i;
  return value;
}

SluiceValue *
sluice_value_new_float (double d)
{
  SluiceValue *value = value_alloc (SLUICE_VALUE_FLOAT, 0);

  value->u.number = d;
  return value;
}

SluiceValue *
sluice_value_new_text_unchecked (SluiceValueKind kind, const char *str, size_t len)
{
  SluiceValue *value = value_alloc (kind, len + 1);
  char *data = value_tail (value);

  if (len > 0)
    memcpy (data, str, len);
  data[len] = '\0';
  value->u.str.data = data;
  value->u.str.len = len;
  value->u.str.decimal = NULL;
  return value;
}

/* g_utf8_validate_len () refuses NUL bytes, which a JSON string may legitimately hold ("\u0000"),
 * so validate the runs between them. */
gboolean
sluice_utf8_validate (const char *str, size_t len)
{
  const uint64_t high8 = 0x8080808080808080u;
  size_t ascii = 0;

  /* Most text is ASCII, where a look at the high bits settles it (NULs are valid here): eight
   * bytes at a time, the last eight overlapping what was seen; short texts (most keys and many
   * values) with two overlapping loads of four, or byte by byte. */
  if (len >= 8)
    {
      uint64_t w;

      for (; ascii + 8 <= len; ascii += 8)
        {
          memcpy (&w, str + ascii, 8);
          if (w & high8)
            goto general;
        }
      if (ascii == len)
        return TRUE;
      memcpy (&w, str + len - 8, 8);
      if (!(w & high8))
        return TRUE;
    }
  else if (len >= 4)
    {
      uint32_t a, b;

      memcpy (&a, str, 4);
      memcpy (&b, str + len - 4, 4);
      if (!((a | b) & 0x80808080u))
        return TRUE;
    }
  else
    {
      for (; ascii < len; ascii++)
        if ((unsigned char) str[ascii] & 0x80)
          goto general;
      return TRUE;
    }

general:
  /* From the start of the first word that is not ASCII, on a character boundary: everything before
   * it is ASCII.  g_utf8_validate_len () stops at a NUL, so the text is validated between them. */
  str += ascii;
  len -= ascii;
  while (len > 0)
    {
      const char *nul = memchr (str, '\0', len);
      size_t run = nul ? (size_t) (nul - str) : len;

      if (!g_utf8_validate_len (str, run, NULL))
        return FALSE;
      if (nul == NULL)
        break;
      str += run + 1;
      len -= run + 1;
    }
  return TRUE;
}

static SluiceValue *
new_text (SluiceValueKind kind, const char *str, gssize len)
{
  size_t n;

  g_return_val_if_fail (str != NULL || len == 0, NULL);
  n = len < 0 ? strlen (str) : (size_t) len;
  g_return_val_if_fail (sluice_utf8_validate (str, n), NULL);
  return sluice_value_new_text_unchecked (kind, str, n);
}

SluiceValue *
sluice_value_new_string (const char *str, gssize len)
{
  return new_text (SLUICE_VALUE_STRING, str, len);
}

SluiceValue *
sluice_value_new_ni (const char *text, gssize len)
{
  return new_text (SLUICE_VALUE_NI, text, len);
}

SluiceValue *
sluice_value_new_uri (const char *text, gssize len)
{
  return new_text (SLUICE_VALUE_URI, text, len);
}

SluiceValue *
sluice_value_new_bytes (const void *data, size_t len)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);
  return sluice_value_new_text_unchecked (SLUICE_VALUE_BYTES, data, len);
}

SluiceValue *
sluice_value_new_uuid (const char *text, GError **error)
{
  SluiceValue *value;

  g_return_val_if_fail (text != NULL, NULL);
  value = sluice_value_parse_uuid (text, strlen (text));
  if (value == NULL)
    g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                 "invalid UUID \"%s\": expected 36 characters of the form "
                 "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hexadecimal)", text);
  return value;
}

/* Decimals. */

/* Splits decimal text into its normalized parts; FALSE on bad syntax.  The digits are written to
 * @digits_out, which must hold @len bytes. */
static gboolean
parse_decimal (const char *text, size_t len, SluiceDecimalParts *parts, char *digits_out)
{
  size_t i = 0, n = 0, first_nonzero;
  int sign = 1;
  int64_t frac_digits = 0, exp = 0;
  gboolean any_digit = FALSE;

  if (i < len && (text[i] == '-' || text[i] == '+'))
    sign = text[i++] == '-' ? -1 : 1;
  for (; i < len && g_ascii_isdigit (text[i]); i++, any_digit = TRUE)
    digits_out[n++] = text[i];
  if (i < len && text[i] == '.')
    {
      for (i++; i < len && g_ascii_isdigit (text[i]); i++, any_digit = TRUE)
        {
          digits_out[n++] = text[i];
          frac_digits++;
        }
    }
  if (!any_digit)
    return FALSE;
  if (i < len && (text[i] == 'e' || text[i] == 'E'))
    {
      int esign = 1;
      gboolean any_exp = FALSE;

      i++;
      if (i < len && (text[i] == '-' || text[i] == '+'))
        esign = text[i++] == '-' ? -1 : 1;
      for (; i < len && g_ascii_isdigit (text[i]); i++, any_exp = TRUE)
        {
          /* Beyond this the number could not be printed in any memory anyway. */
          if (exp > 100000000)
            return FALSE;
          exp = exp * 10 + (text[i] - '0');
        }
      if (!any_exp)
        return FALSE;
      exp *= esign;
    }
  if (i != len)
    return FALSE;

  for (first_nonzero = 0; first_nonzero < n && digits_out[first_nonzero] == '0'; first_nonzero++)
    ;
  if (first_nonzero == n)
    {
      parts->sign = 0;
      parts->exponent = 0;
      parts->digits = digits_out;
      parts->n_digits = 0;
      return TRUE;
    }
  memmove (digits_out, digits_out + first_nonzero, n - first_nonzero);
  n -= first_nonzero;
  exp -= frac_digits;
  while (n > 0 && digits_out[n - 1] == '0')
    {
      n--;
      exp++;
    }
  parts->sign = sign;
  parts->exponent = exp;
  parts->digits = digits_out;
  parts->n_digits = n;
  return TRUE;
}

SluiceValue *
sluice_value_new_decimal_len (const char *text, size_t len, GError **error)
{
  SluiceValue *value = value_alloc (SLUICE_VALUE_DECIMAL, sluice_decimal_payload_size (len));

  if (!sluice_value_fill_decimal (value, text, len))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "invalid decimal \"%.*s\": expected digits with an optional sign, fraction "
                   "and exponent, like -12.50 or 1e-3", (int) MIN (len, 64), text);
      g_free (value);
      return NULL;
    }
  return value;
}

gboolean
sluice_value_fill_decimal (SluiceValue *value, const char *text, size_t len)
{
  SluiceDecimalParts *parts = (SluiceDecimalParts *) value_tail (value);
  char *text_copy = (char *) (parts + 1);
  char *digits = text_copy + len + 1;

  if (!parse_decimal (text, len, parts, digits))
    return FALSE;
  memcpy (text_copy, text, len);
  text_copy[len] = '\0';
  digits[parts->n_digits] = '\0';
  value->u.str.data = text_copy;
  value->u.str.len = len;
  value->u.str.decimal = parts;
  return TRUE;
}

SluiceValue *
sluice_value_new_decimal (const char *text, GError **error)
{
  g_return_val_if_fail (text != NULL, NULL);
  return sluice_value_new_decimal_len (text, strlen (text), error);
}

SluiceValue *
sluice_value_new_big_integer (const char *text, size_t len)
{
  SluiceValue *value = sluice_value_new_decimal_len (text, len, NULL);

  g_assert (value != NULL);
  value->flags |= VALUE_FLAG_BIG_INTEGER;
  return value;
}

/* Datetimes. */

#define MIN_SECONDS G_GINT64_CONSTANT (-62135596800)  /* 0001-01-01T00:00:00Z */
#define MAX_SECONDS G_GINT64_CONSTANT (253402300799)  /* 9999-12-31T23:59:59Z */

SluiceValue *
sluice_value_new_datetime (int64_t unix_seconds, uint32_t nanoseconds, GError **error)
{
  SluiceValue *value;

  if (unix_seconds < MIN_SECONDS || unix_seconds > MAX_SECONDS || nanoseconds > 999999999)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "datetime %" G_GINT64_FORMAT "s %uns is out of range: expected "
                   "0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z",
                   unix_seconds, nanoseconds);
      return NULL;
    }
  value = value_alloc (SLUICE_VALUE_DATETIME, 0);
  value->u.datetime.seconds = unix_seconds;
  value->u.datetime.nanoseconds = nanoseconds;
  return value;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the era-based formula). */
static int64_t
days_from_civil (int64_t y, int m, int d)
{
  int64_t era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

SluiceValue *
sluice_value_new_date (int year, int month, int day, GError **error)
{
  SluiceValue *value;

  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1
      || day > g_date_get_days_in_month ((GDateMonth) month, (GDateYear) year))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "invalid date %04d-%02d-%02d: expected a calendar date from 0001-01-01 to "
                   "9999-12-31", year, month, day);
      return NULL;
    }
  value = value_alloc (SLUICE_VALUE_DATETIME, 0);
  value->flags |= VALUE_FLAG_DATE;
  value->u.datetime.seconds = days_from_civil (year, month, day) * 86400;
  value->u.datetime.nanoseconds = 0;
  return value;
}

/* Accessors. */

gboolean
sluice_value_get_boolean (const SluiceValue *value)
{
  g_return_val_if_fail (value != NULL && value->kind == SLUICE_VALUE_BOOLEAN, FALSE);
  return value->u.boolean;
}

int64_t
sluice_value_get_integer (const SluiceValue *value)
{
  g_return_val_if_fail (value != NULL && value->kind == SLUICE_VALUE_INTEGER, 0);
  return value->u.integer;
}

double
sluice_value_get_float (const SluiceValue *value)
{
  g_return_val_if_fail (value != NULL, 0.0);
  switch (value->kind)
    {
    case SLUICE_VALUE_FLOAT:
      return value->u.number;
    case SLUICE_VALUE_INTEGER:
      return (double) value->u.integer;
    case SLUICE_VALUE_DECIMAL:
      return g_ascii_strtod (value->u.str.data, NULL);
    default:
      g_return_val_if_reached (0.0);
    }
}

const char *
sluice_value_get_string (const SluiceValue *value, size_t *ret_len)
{
  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (value->kind == SLUICE_VALUE_STRING || value->kind == SLUICE_VALUE_DECIMAL
                        || value->kind == SLUICE_VALUE_NI || value->kind == SLUICE_VALUE_URI
                        || value->kind == SLUICE_VALUE_UUID, NULL);
  if (ret_len)
    *ret_len = value->u.str.len;
  return value->u.str.data;
}

const uint8_t *
sluice_value_get_bytes (const SluiceValue *value, size_t *ret_len)
{
  g_return_val_if_fail (value != NULL && value->kind == SLUICE_VALUE_BYTES, NULL);
  if (ret_len)
    *ret_len = value->u.str.len;
  return (const uint8_t *) value->u.str.data;
}

int64_t
sluice_value_get_datetime_seconds (const SluiceValue *value)
{
  g_return_val_if_fail (value != NULL && value->kind == SLUICE_VALUE_DATETIME, 0);
  return value->u.datetime.seconds;
}

uint32_t
sluice_value_get_datetime_nanoseconds (const SluiceValue *value)
{
  g_return_val_if_fail (value != NULL && value->kind == SLUICE_VALUE_DATETIME, 0);
  return value->u.datetime.nanoseconds;
}

gboolean
sluice_value_is_date (const SluiceValue *value)
{
  g_return_val_if_fail (value != NULL, FALSE);
  return value->kind == SLUICE_VALUE_DATETIME && (value->flags & VALUE_FLAG_DATE) != 0;
}

/* Lists. */

SluiceValue *
sluice_value_new_list_take (SluiceValue **items, size_t len)
{
  SluiceValue *value = value_alloc (SLUICE_VALUE_LIST, len * sizeof (SluiceValue *));

  value->u.list.items = (SluiceValue **) value_tail (value);
  value->u.list.len = len;
  if (len > 0)
    memcpy (value->u.list.items, items, len * sizeof (SluiceValue *));
  return value;
}

size_t
sluice_value_list_get_length (const SluiceValue *list)
{
  g_return_val_if_fail (list != NULL && list->kind == SLUICE_VALUE_LIST, 0);
  return list->u.list.len;
}

SluiceValue *
sluice_value_list_get (const SluiceValue *list, size_t index)
{
  g_return_val_if_fail (list != NULL && list->kind == SLUICE_VALUE_LIST, NULL);
  g_return_val_if_fail (index < list->u.list.len, NULL);
  return list->u.list.items[index];
}

/* Dicts. */

int
sluice_value_key_compare (const char *a, size_t a_len, const char *b, size_t b_len)
{
  int c = memcmp (a, b, MIN (a_len, b_len));

  if (c != 0)
    return c;
  return a_len < b_len ? -1 : a_len > b_len;
}

static int
compare_positions (const void *pa, const void *pb, gpointer user_data)
{
  const SluiceDictEntry *entries = user_data;
  const SluiceDictEntry *a = &entries[*(const uint32_t *) pa];
  const SluiceDictEntry *b = &entries[*(const uint32_t *) pb];

  return sluice_value_key_compare (a->key, a->key_len, b->key, b->key_len);
}

static void
sort_positions (const SluiceDictEntry *entries, uint32_t *positions, size_t len)
{
  for (size_t i = 0; i < len; i++)
    positions[i] = (uint32_t) i;
  if (len <= 8)
    {
      /* Insertion sort: entities' dicts are small and g_qsort_with_data has a fixed cost. */
      for (size_t i = 1; i < len; i++)
        {
          uint32_t p = positions[i];
          size_t j = i;

          while (j > 0 && compare_positions (&positions[j - 1], &p, (gpointer) entries) > 0)
            {
              positions[j] = positions[j - 1];
              j--;
            }
          positions[j] = p;
        }
      return;
    }
  g_qsort_with_data (positions, (gint) len, sizeof (uint32_t), compare_positions, (gpointer) entries);
}

void
sluice_dict_sort_positions (const SluiceDictEntry *entries, uint32_t *positions, size_t len)
{
  sort_positions (entries, positions, len);
}

const uint32_t *
sluice_value_dict_sorted_positions (const SluiceValue *dict, uint32_t *scratch, size_t scratch_len,
                                    gboolean *ret_free)
{
  uint32_t *positions;

  *ret_free = FALSE;
  if (dict->u.dict.sorted != NULL)
    return dict->u.dict.sorted;
  if (dict->u.dict.len <= scratch_len)
    positions = scratch;
  else
    {
      positions = g_new (uint32_t, dict->u.dict.len);
      *ret_free = TRUE;
    }
  sort_positions (dict->u.dict.entries, positions, dict->u.dict.len);
  return positions;
}

SluiceValue *
sluice_value_new_dict_take (const char *const *keys, const uint32_t *key_lens,
                            SluiceValue **values, size_t len)
{
  /* slot[i]: the output position of input entry i; a repeated key gets the position of its first
   * occurrence with REPEATED set. */
  const uint32_t REPEATED = 0x80000000u;
  uint32_t slot_buf[64];
  uint32_t *slot = len <= G_N_ELEMENTS (slot_buf) ? slot_buf : g_new (uint32_t, len);
  g_autoptr (GHashTable) seen = NULL;
  size_t n = 0, key_bytes = 0, extra;
  SluiceValue *value;
  SluiceDictEntry *entries;
  char *key_data;
  gboolean indexed;

  for (size_t i = 0; i < len; i++)
    {
      gssize found = -1;

      if (len <= SLUICE_DICT_INDEX_THRESHOLD)
        {
          for (size_t j = 0; j < i && found < 0; j++)
            if (!(slot[j] & REPEATED) && key_lens[j] == key_lens[i]
                && memcmp (keys[j], keys[i], key_lens[i]) == 0)
              found = (gssize) slot[j];
        }
      else
        {
          g_autoptr (GBytes) probe = g_bytes_new_static (keys[i], key_lens[i]);
          gpointer pos;

          if (seen == NULL)
            seen = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                          (GDestroyNotify) g_bytes_unref, NULL);
          if (g_hash_table_lookup_extended (seen, probe, NULL, &pos))
            found = (gssize) GPOINTER_TO_SIZE (pos);
          else
            g_hash_table_insert (seen, g_bytes_new_static (keys[i], key_lens[i]),
                                 GSIZE_TO_POINTER ((gsize) n));
        }
      if (found >= 0)
        {
          slot[i] = (uint32_t) found | REPEATED;
          continue;
        }
      slot[i] = (uint32_t) n++;
      key_bytes += key_lens[i] + 1;
    }

  indexed = n > SLUICE_DICT_INDEX_THRESHOLD;
  extra = n * sizeof (SluiceDictEntry) + (indexed ? n * sizeof (uint32_t) : 0) + key_bytes;
  value = value_alloc (SLUICE_VALUE_DICT, extra);
  entries = (SluiceDictEntry *) value_tail (value);
  value->u.dict.entries = entries;
  value->u.dict.len = n;
  value->u.dict.sorted = indexed ? (uint32_t *) (entries + n) : NULL;
  key_data = (char *) (entries + n) + (indexed ? n * sizeof (uint32_t) : 0);

  for (size_t i = 0; i < len; i++)
    {
      SluiceDictEntry *e = &entries[slot[i] & ~REPEATED];

      if (slot[i] & REPEATED)
        {
          /* The later value wins, in the place of the first occurrence (as in JSON parsers that
           * keep the last duplicate). */
          sluice_value_unref (e->value);
          e->value = values[i];
          continue;
        }
      memcpy (key_data, keys[i], key_lens[i]);
      key_data[key_lens[i]] = '\0';
      e->key = key_data;
      e->key_len = key_lens[i];
      e->key_prefix = sluice_dict_key_prefix (key_data, key_lens[i]);
      e->value = values[i];
      key_data += key_lens[i] + 1;
    }
  if (indexed)
    sort_positions (entries, value->u.dict.sorted, n);
  if (slot != slot_buf)
    g_free (slot);
  return value;
}

size_t
sluice_value_dict_get_size (const SluiceValue *dict)
{
  g_return_val_if_fail (dict != NULL && dict->kind == SLUICE_VALUE_DICT, 0);
  return dict->u.dict.len;
}

/* The position of @key in @dict, or -1. */
static inline gssize
dict_find (const SluiceValue *dict, const char *key, size_t key_len)
{
  const SluiceDictEntry *entries = dict->u.dict.entries;

  if (dict->u.dict.sorted == NULL)
    {
      /* The stored prefix settles most mismatches, and matches of short keys, without reading
       * the key text. */
      uint32_t prefix = sluice_dict_key_prefix (key, key_len);

      for (size_t i = 0; i < dict->u.dict.len; i++)
        if (sluice_dict_entry_matches (&entries[i], key, key_len, prefix))
          return (gssize) i;
      return -1;
    }
  else
    {
      size_t lo = 0, hi = dict->u.dict.len;

      while (lo < hi)
        {
          size_t mid = lo + (hi - lo) / 2;
          uint32_t pos = dict->u.dict.sorted[mid];
          int c = sluice_value_key_compare (entries[pos].key, entries[pos].key_len, key, key_len);

          if (c == 0)
            return (gssize) pos;
          if (c < 0)
            lo = mid + 1;
          else
            hi = mid;
        }
      return -1;
    }
}

SluiceValue *
sluice_value_dict_lookup (const SluiceValue *dict, const char *key)
{
  gssize pos;

  g_return_val_if_fail (dict != NULL && dict->kind == SLUICE_VALUE_DICT, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  pos = dict_find (dict, key, strlen (key));
  return pos < 0 ? NULL : dict->u.dict.entries[pos].value;
}

/* The search when the hint missed, kept out of line so that a hit needs no stack frame. */
static __attribute__ ((noinline)) SluiceValue *
lookup_and_hint (const SluiceValue *dict, const char *key, size_t len, size_t *hint)
{
  gssize pos = dict_find (dict, key, len);

  if (pos < 0)
    return NULL;
  __atomic_store_n (hint, (size_t) pos, __ATOMIC_RELAXED);
  return dict->u.dict.entries[pos].value;
}

SluiceValue *
sluice_value_dict_lookup_hinted (const SluiceValue *dict, const char *key, gssize key_len,
                                 size_t *hint)
{
  const SluiceDictEntry *e;
  size_t len, guess;

  g_return_val_if_fail (dict != NULL && dict->kind == SLUICE_VALUE_DICT, NULL);
  g_return_val_if_fail (key != NULL && hint != NULL, NULL);
  len = key_len < 0 ? strlen (key) : (size_t) key_len;
  /* Relaxed atomics: the hint is shared by every thread that runs the same lookup, and any value
   * it holds is safe to try. */
  guess = __atomic_load_n (hint, __ATOMIC_RELAXED);
  if (G_LIKELY (guess < dict->u.dict.len))
    {
      e = &dict->u.dict.entries[guess];
      if (G_LIKELY (sluice_dict_entry_matches (e, key, len, sluice_dict_key_prefix (key, len))))
        return e->value;
    }
  return lookup_and_hint (dict, key, len, hint);
}

const char *
sluice_value_dict_get_key (const SluiceValue *dict, size_t index)
{
  g_return_val_if_fail (dict != NULL && dict->kind == SLUICE_VALUE_DICT, NULL);
  g_return_val_if_fail (index < dict->u.dict.len, NULL);
  return dict->u.dict.entries[index].key;
}

SluiceValue *
sluice_value_dict_get_value (const SluiceValue *dict, size_t index)
{
  g_return_val_if_fail (dict != NULL && dict->kind == SLUICE_VALUE_DICT, NULL);
  g_return_val_if_fail (index < dict->u.dict.len, NULL);
  return dict->u.dict.entries[index].value;
}

/* Numbers. */

static void
integer_decimal_parts (int64_t i, SluiceDecimalParts *parts, char buf[24])
{
  char tmp[24];
  size_t n;

  g_snprintf (tmp, sizeof tmp, "%" G_GINT64_FORMAT, i);
  n = strlen (tmp);
  if (!parse_decimal (tmp, n, parts, buf))
    g_assert_not_reached ();
}

/* Floats are compared with decimals through their shortest round-trip text, which is the value a
 * user wrote; comparing the exact binary expansion would make 0.1 differ from the decimal 0.1. */
static void
float_decimal_parts (double d, SluiceDecimalParts *parts, char buf[40])
{
  char tmp[40];

  g_ascii_formatd (tmp, sizeof tmp, "%.17g", d);
  for (int prec = 15; prec < 17; prec++)
    {
      char shorter[40];

      g_ascii_formatd (shorter, sizeof shorter, prec == 15 ? "%.15g" : "%.16g", d);
      if (g_ascii_strtod (shorter, NULL) == d)
        {
          memcpy (tmp, shorter, sizeof tmp);
          break;
        }
    }
  if (!parse_decimal (tmp, strlen (tmp), parts, buf))
    g_assert_not_reached ();
}

static int
decimal_parts_compare (const SluiceDecimalParts *a, const SluiceDecimalParts *b)
{
  int64_t adj_a, adj_b;
  int mag;

  if (a->sign != b->sign)
    return a->sign < b->sign ? -1 : 1;
  if (a->sign == 0)
    return 0;
  adj_a = a->exponent + (int64_t) a->n_digits;
  adj_b = b->exponent + (int64_t) b->n_digits;
  if (adj_a != adj_b)
    mag = adj_a < adj_b ? -1 : 1;
  else
    {
      mag = memcmp (a->digits, b->digits, MIN (a->n_digits, b->n_digits));
      if (mag == 0)
        mag = a->n_digits < b->n_digits ? -1 : a->n_digits > b->n_digits;
      mag = mag < 0 ? -1 : mag > 0;
    }
  return a->sign * mag;
}

static int
compare_integer_float (int64_t i, double d)
{
  double t;
  int64_t ti;

  if (isnan (d))
    return -1; /* NaN sorts after every number */
  if (d >= 9223372036854775808.0)
    return -1;
  if (d < -9223372036854775808.0)
    return 1;
  t = trunc (d);
  ti = (int64_t) t;
  if (i != ti)
    return i < ti ? -1 : 1;
  if (d > t)
    return -1;
  if (d < t)
    return 1;
  return 0;
}

static int
compare_floats (double a, double b)
{
  if (isnan (a) || isnan (b))
    return isnan (a) - isnan (b);
  return a < b ? -1 : a > b;
}

static int
compare_numbers (const SluiceValue *a, const SluiceValue *b)
{
  SluiceDecimalParts pa, pb;
  char bufa[40], bufb[40];

  if (a->kind == SLUICE_VALUE_INTEGER && b->kind == SLUICE_VALUE_INTEGER)
    return a->u.integer < b->u.integer ? -1 : a->u.integer > b->u.integer;
  if (a->kind == SLUICE_VALUE_FLOAT && b->kind == SLUICE_VALUE_FLOAT)
    return compare_floats (a->u.number, b->u.number);
  if (a->kind == SLUICE_VALUE_INTEGER && b->kind == SLUICE_VALUE_FLOAT)
    return compare_integer_float (a->u.integer, b->u.number);
  if (a->kind == SLUICE_VALUE_FLOAT && b->kind == SLUICE_VALUE_INTEGER)
    return -compare_integer_float (b->u.integer, a->u.number);

  /* At least one decimal: compare exactly as decimals. */
  if ((a->kind == SLUICE_VALUE_FLOAT && isnan (a->u.number))
      || (b->kind == SLUICE_VALUE_FLOAT && isnan (b->u.number)))
    return compare_floats (a->kind == SLUICE_VALUE_FLOAT ? a->u.number : 0,
                           b->kind == SLUICE_VALUE_FLOAT ? b->u.number : 0);
  if (a->kind == SLUICE_VALUE_DECIMAL)
    pa = *a->u.str.decimal;
  else if (a->kind == SLUICE_VALUE_INTEGER)
    integer_decimal_parts (a->u.integer, &pa, bufa);
  else if (isinf (a->u.number))
    return a->u.number < 0 ? -1 : 1;
  else
    float_decimal_parts (a->u.number, &pa, bufa);
  if (b->kind == SLUICE_VALUE_DECIMAL)
    pb = *b->u.str.decimal;
  else if (b->kind == SLUICE_VALUE_INTEGER)
    integer_decimal_parts (b->u.integer, &pb, bufb);
  else if (isinf (b->u.number))
    return b->u.number < 0 ? 1 : -1;
  else
    float_decimal_parts (b->u.number, &pb, bufb);
  return decimal_parts_compare (&pa, &pb);
}

/* Comparison. */

static int
kind_rank (SluiceValueKind kind)
{
  switch (kind)
    {
    case SLUICE_VALUE_NULL: return 0;
    case SLUICE_VALUE_BOOLEAN: return 1;
    case SLUICE_VALUE_INTEGER:
    case SLUICE_VALUE_FLOAT:
    case SLUICE_VALUE_DECIMAL: return 2;
    case SLUICE_VALUE_DATETIME: return 3;
    case SLUICE_VALUE_UUID: return 4;
    case SLUICE_VALUE_NI: return 5;
    case SLUICE_VALUE_URI: return 6;
    case SLUICE_VALUE_STRING: return 7;
    case SLUICE_VALUE_DICT: return 8;
    case SLUICE_VALUE_LIST: return 9;
    case SLUICE_VALUE_BYTES: return 10;
    default: return 11;
    }
}

static int
compare_dicts (const SluiceValue *a, const SluiceValue *b)
{
  uint32_t scratch_a[32], scratch_b[32];
  gboolean free_a, free_b;
  const uint32_t *pa = sluice_value_dict_sorted_positions (a, scratch_a, G_N_ELEMENTS (scratch_a), &free_a);
  const uint32_t *pb = sluice_value_dict_sorted_positions (b, scratch_b, G_N_ELEMENTS (scratch_b), &free_b);
  size_t n = MIN (a->u.dict.len, b->u.dict.len);
  int c = 0;

  for (size_t i = 0; i < n && c == 0; i++)
    {
      const SluiceDictEntry *ea = &a->u.dict.entries[pa[i]];
      const SluiceDictEntry *eb = &b->u.dict.entries[pb[i]];

      c = sluice_value_key_compare (ea->key, ea->key_len, eb->key, eb->key_len);
      if (c == 0)
        c = sluice_value_compare (ea->value, eb->value);
    }
  if (c == 0)
    c = a->u.dict.len < b->u.dict.len ? -1 : a->u.dict.len > b->u.dict.len;
  if (free_a)
    g_free ((gpointer) pa);
  if (free_b)
    g_free ((gpointer) pb);
  return c < 0 ? -1 : c > 0;
}

int
sluice_value_compare (const SluiceValue *a, const SluiceValue *b)
{
  int ra, rb, c;

  g_return_val_if_fail (a != NULL && b != NULL, 0);
  if (a == b)
    return 0;
  ra = kind_rank (a->kind);
  rb = kind_rank (b->kind);
  if (ra != rb)
    return ra < rb ? -1 : 1;

  switch (a->kind)
    {
    case SLUICE_VALUE_NULL:
      return 0;
    case SLUICE_VALUE_BOOLEAN:
      return (int) !!a->u.boolean - (int) !!b->u.boolean;
    case SLUICE_VALUE_INTEGER:
    case SLUICE_VALUE_FLOAT:
    case SLUICE_VALUE_DECIMAL:
      return compare_numbers (a, b);
    case SLUICE_VALUE_DATETIME:
      if (a->u.datetime.seconds != b->u.datetime.seconds)
        return a->u.datetime.seconds < b->u.datetime.seconds ? -1 : 1;
      return a->u.datetime.nanoseconds < b->u.datetime.nanoseconds ? -1
             : a->u.datetime.nanoseconds > b->u.datetime.nanoseconds;
    case SLUICE_VALUE_UUID:
    case SLUICE_VALUE_NI:
    case SLUICE_VALUE_URI:
    case SLUICE_VALUE_STRING:
    case SLUICE_VALUE_BYTES:
      c = sluice_value_key_compare (a->u.str.data, a->u.str.len, b->u.str.data, b->u.str.len);
      return c < 0 ? -1 : c > 0;
    case SLUICE_VALUE_LIST:
      for (size_t i = 0; i < a->u.list.len && i < b->u.list.len; i++)
        {
          c = sluice_value_compare (a->u.list.items[i], b->u.list.items[i]);
          if (c != 0)
            return c;
        }
      return a->u.list.len < b->u.list.len ? -1 : a->u.list.len > b->u.list.len;
    case SLUICE_VALUE_DICT:
      return compare_dicts (a, b);
    default:
      return 0;
    }
}

gboolean
sluice_value_equal (const SluiceValue *a, const SluiceValue *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);
  if (a == b)
    return TRUE;
  if (a->kind != b->kind)
    return FALSE;

  switch (a->kind)
    {
    case SLUICE_VALUE_NULL:
      return TRUE;
    case SLUICE_VALUE_BOOLEAN:
      return !a->u.boolean == !b->u.boolean;
    case SLUICE_VALUE_INTEGER:
      return a->u.integer == b->u.integer;
    case SLUICE_VALUE_FLOAT:
      return a->u.number == b->u.number || (isnan (a->u.number) && isnan (b->u.number));
    case SLUICE_VALUE_DECIMAL:
      return decimal_parts_compare (a->u.str.decimal, b->u.str.decimal) == 0;
    case SLUICE_VALUE_DATETIME:
      return a->u.datetime.seconds == b->u.datetime.seconds
             && a->u.datetime.nanoseconds == b->u.datetime.nanoseconds
             && (a->flags & VALUE_FLAG_DATE) == (b->flags & VALUE_FLAG_DATE);
    case SLUICE_VALUE_UUID:
    case SLUICE_VALUE_NI:
    case SLUICE_VALUE_URI:
    case SLUICE_VALUE_STRING:
    case SLUICE_VALUE_BYTES:
      return a->u.str.len == b->u.str.len
             && memcmp (a->u.str.data, b->u.str.data, a->u.str.len) == 0;
    case SLUICE_VALUE_LIST:
      if (a->u.list.len != b->u.list.len)
        return FALSE;
      for (size_t i = 0; i < a->u.list.len; i++)
        if (!sluice_value_equal (a->u.list.items[i], b->u.list.items[i]))
          return FALSE;
      return TRUE;
    case SLUICE_VALUE_DICT:
      if (a->u.dict.len != b->u.dict.len)
        return FALSE;
      for (size_t i = 0; i < a->u.dict.len; i++)
        {
          const SluiceDictEntry *e = &a->u.dict.entries[i];
          SluiceValue *other;

          /* A key with a NUL byte cannot be looked up by name; compare those by position. */
          if (strlen (e->key) != e->key_len)
            {
              const SluiceDictEntry *f = &b->u.dict.entries[i];

              if (f->key_len != e->key_len || memcmp (f->key, e->key, e->key_len) != 0)
                return FALSE;
              other = f->value;
            }
          else
            other = sluice_value_dict_lookup (b, e->key);
          if (other == NULL || !sluice_value_equal (e->value, other))
            return FALSE;
        }
      return TRUE;
    default:
      return FALSE;
    }
}

/* Builders. */

struct _SluiceListBuilder
{
  GPtrArray *items;
};

SluiceListBuilder *
sluice_list_builder_new (void)
{
  SluiceListBuilder *builder = g_new (SluiceListBuilder, 1);

  builder->items = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_value_unref);
  return builder;
}

void
sluice_list_builder_take (SluiceListBuilder *builder, SluiceValue *item)
{
  g_return_if_fail (builder != NULL && item != NULL);
  g_ptr_array_add (builder->items, item);
}

void
sluice_list_builder_add (SluiceListBuilder *builder, SluiceValue *item)
{
  g_return_if_fail (builder != NULL && item != NULL);
  g_ptr_array_add (builder->items, sluice_value_ref (item));
}

SluiceValue *
sluice_list_builder_end (SluiceListBuilder *builder)
{
  SluiceValue *value;

  g_return_val_if_fail (builder != NULL, NULL);
  value = sluice_value_new_list_take ((SluiceValue **) builder->items->pdata, builder->items->len);
  /* The list now holds the references. */
  g_ptr_array_set_free_func (builder->items, NULL);
  g_ptr_array_unref (builder->items);
  g_free (builder);
  return value;
}

void
sluice_list_builder_free (SluiceListBuilder *builder)
{
  if (builder == NULL)
    return;
  g_ptr_array_unref (builder->items);
  g_free (builder);
}

/* Dict builders keep their keys in one growing buffer rather than one allocation each, and start
 * with room for a typical entity inline, so that building a small dict costs one allocation for
 * the builder and one for the dict. */
#define BUILDER_INLINE_ENTRIES 8
#define BUILDER_INLINE_KEY_BYTES 128

typedef struct
{
  uint32_t key_offset; /* into the builder's key buffer */
  uint32_t key_len;
  SluiceValue *value;  /* owned */
} BuilderEntry;

struct _SluiceDictBuilder
{
  BuilderEntry *entries;
  size_t n;
  size_t cap;
  char *keys; /* NUL-terminated keys back to back; removed keys leave a gap */
  size_t keys_len;
  size_t keys_cap;
  GHashTable *index; /* owned key copy -> position + 1, once the dict grows past the threshold */
  BuilderEntry inline_entries[BUILDER_INLINE_ENTRIES];
  char inline_keys[BUILDER_INLINE_KEY_BYTES];
};

SluiceDictBuilder *
sluice_dict_builder_new_sized (size_t n)
{
  SluiceDictBuilder *builder = g_new (SluiceDictBuilder, 1);

  builder->n = 0;
  builder->keys_len = 0;
  builder->index = NULL;
  if (n <= BUILDER_INLINE_ENTRIES)
    {
      builder->entries = builder->inline_entries;
      builder->cap = BUILDER_INLINE_ENTRIES;
      builder->keys = builder->inline_keys;
      builder->keys_cap = BUILDER_INLINE_KEY_BYTES;
    }
  else
    {
      builder->entries = g_new (BuilderEntry, n);
      builder->cap = n;
      builder->keys_cap = MAX (n * 16, BUILDER_INLINE_KEY_BYTES);
      builder->keys = g_malloc (builder->keys_cap);
    }
  return builder;
}

SluiceDictBuilder *
sluice_dict_builder_new (void)
{
  return sluice_dict_builder_new_sized (0);
}

/* The length of @key when it is valid UTF-8, or -1.  Keys are nearly always ASCII, which needs
 * no more than the scan for the terminating NUL. */
static gssize
key_length (const char *key)
{
  size_t i = 0;

  while ((unsigned char) key[i] - 1u < 0x7fu)
    i++;
  if (key[i] == '\0')
    return (gssize) i;
  i += strlen (key + i);
  return g_utf8_validate_len (key, i, NULL) ? (gssize) i : -1;
}

static inline const char *
builder_key (const SluiceDictBuilder *builder, size_t pos)
{
  return builder->keys + builder->entries[pos].key_offset;
}

static void
builder_index (SluiceDictBuilder *builder)
{
  builder->index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (size_t i = 0; i < builder->n; i++)
    g_hash_table_insert (builder->index, g_strdup (builder_key (builder, i)), GSIZE_TO_POINTER (i + 1));
}

static gssize
builder_find (SluiceDictBuilder *builder, const char *key, size_t key_len)
{
  if (builder->index == NULL && builder->n > SLUICE_DICT_INDEX_THRESHOLD)
    builder_index (builder);
  if (builder->index != NULL)
    return (gssize) GPOINTER_TO_SIZE (g_hash_table_lookup (builder->index, key)) - 1;
  for (size_t i = 0; i < builder->n; i++)
    {
      const BuilderEntry *e = &builder->entries[i];

      if (e->key_len == key_len && memcmp (builder->keys + e->key_offset, key, key_len) == 0)
        return (gssize) i;
    }
  return -1;
}

static void
builder_grow (void **buf, size_t *cap, size_t need, size_t elem, const void *inline_buf,
              size_t used)
{
  size_t new_cap = *cap;
  void *p;

  while (new_cap < need)
    new_cap *= 2;
  if (*buf == inline_buf)
    {
      p = g_malloc (new_cap * elem);
      memcpy (p, *buf, used * elem);
    }
  else
    p = g_realloc (*buf, new_cap * elem);
  *buf = p;
  *cap = new_cap;
}

void
sluice_dict_builder_take (SluiceDictBuilder *builder, const char *key, SluiceValue *value)
{
  gssize key_len, pos;
  BuilderEntry *e;

  g_return_if_fail (builder != NULL && key != NULL && value != NULL);
  key_len = key_length (key);
  if (key_len < 0)
    {
      sluice_value_unref (value);
      g_return_if_fail (g_utf8_validate (key, -1, NULL));
      return;
    }
  pos = builder_find (builder, key, (size_t) key_len);
  if (pos >= 0)
    {
      sluice_value_unref (builder->entries[pos].value);
      builder->entries[pos].value = value;
      return;
    }
  if (builder->n == builder->cap)
    builder_grow ((void **) &builder->entries, &builder->cap, builder->n + 1, sizeof (BuilderEntry),
                  builder->inline_entries, builder->n);
  if (builder->keys_len + (size_t) key_len + 1 > builder->keys_cap)
    builder_grow ((void **) &builder->keys, &builder->keys_cap, builder->keys_len + (size_t) key_len + 1,
                  1, builder->inline_keys, builder->keys_len);
  e = &builder->entries[builder->n++];
  e->key_offset = (uint32_t) builder->keys_len;
  e->key_len = (uint32_t) key_len;
  e->value = value;
  memcpy (builder->keys + builder->keys_len, key, (size_t) key_len + 1);
  builder->keys_len += (size_t) key_len + 1;
  if (builder->index != NULL)
    g_hash_table_insert (builder->index, g_strdup (key), GSIZE_TO_POINTER (builder->n));
}

void
sluice_dict_builder_add (SluiceDictBuilder *builder, const char *key, SluiceValue *value)
{
  g_return_if_fail (value != NULL);
  sluice_dict_builder_take (builder, key, sluice_value_ref (value));
}

void
sluice_dict_builder_remove (SluiceDictBuilder *builder, const char *key)
{
  gssize pos;

  g_return_if_fail (builder != NULL && key != NULL);
  pos = builder_find (builder, key, strlen (key));
  if (pos < 0)
    return;
  /* Positions shift; the index is rebuilt on the next lookup.  The key's bytes stay behind as a
   * gap in the key buffer. */
  g_clear_pointer (&builder->index, g_hash_table_unref);
  sluice_value_unref (builder->entries[pos].value);
  memmove (&builder->entries[pos], &builder->entries[pos + 1],
           (builder->n - (size_t) pos - 1) * sizeof (BuilderEntry));
  builder->n--;
}

/* A dict node with room for @n entries and @key_bytes of key text; returns where the key text
 * goes.  The caller fills the entries, then calls dict_finish (). */
static SluiceValue *
dict_alloc (size_t n, size_t key_bytes, char **ret_key_data)
{
  gboolean indexed = n > SLUICE_DICT_INDEX_THRESHOLD;
  size_t extra = n * sizeof (SluiceDictEntry) + (indexed ? n * sizeof (uint32_t) : 0) + key_bytes;
  SluiceValue *value = value_alloc (SLUICE_VALUE_DICT, extra);
  SluiceDictEntry *entries = (SluiceDictEntry *) value_tail (value);

  value->u.dict.entries = entries;
  value->u.dict.len = n;
  value->u.dict.sorted = indexed ? (uint32_t *) (entries + n) : NULL;
  *ret_key_data = (char *) (entries + n) + (indexed ? n * sizeof (uint32_t) : 0);
  return value;
}

static void
builder_release (SluiceDictBuilder *builder)
{
  g_clear_pointer (&builder->index, g_hash_table_unref);
  if (builder->entries != builder->inline_entries)
    g_free (builder->entries);
  if (builder->keys != builder->inline_keys)
    g_free (builder->keys);
  g_free (builder);
}

SluiceValue *
sluice_dict_builder_end (SluiceDictBuilder *builder)
{
  SluiceValue *value;
  SluiceDictEntry *entries;
  size_t key_bytes = 0;
  char *key_data;

  g_return_val_if_fail (builder != NULL, NULL);
  /* The builder already made the keys distinct: no need to check them again. */
  for (size_t i = 0; i < builder->n; i++)
    key_bytes += builder->entries[i].key_len + 1;
  value = dict_alloc (builder->n, key_bytes, &key_data);
  entries = value->u.dict.entries;
  for (size_t i = 0; i < builder->n; i++)
    {
      const BuilderEntry *b = &builder->entries[i];

      memcpy (key_data, builder->keys + b->key_offset, b->key_len + 1);
      entries[i].key = key_data;
      entries[i].key_len = b->key_len;
      entries[i].key_prefix = sluice_dict_key_prefix (key_data, b->key_len);
      entries[i].value = b->value;
      key_data += b->key_len + 1;
    }
  if (value->u.dict.sorted != NULL)
    sort_positions (entries, value->u.dict.sorted, builder->n);
  builder_release (builder);
  return value;
}

void
sluice_dict_builder_free (SluiceDictBuilder *builder)
{
  if (builder == NULL)
    return;
  for (size_t i = 0; i < builder->n; i++)
    sluice_value_unref (builder->entries[i].value);
  builder_release (builder);
}

/* Key sets. */

struct _SluiceDictKeys
{
  size_t n;
  size_t key_bytes;
  SluiceDictEntry *entries; /* keys point into @key_data; values unused */
  uint32_t *sorted;         /* as in a dict of this size; NULL below the threshold */
  char *key_data;
};

SluiceDictKeys *
sluice_dict_keys_new (const char *const *keys, size_t n, GError **error)
{
  g_autofree uint32_t *lens = g_new (uint32_t, n ? n : 1);
  SluiceDictKeys *set;
  size_t key_bytes = 0;
  gboolean indexed = n > SLUICE_DICT_INDEX_THRESHOLD;
  char *key_data;

  g_return_val_if_fail (keys != NULL || n == 0, NULL);
  for (size_t i = 0; i < n; i++)
    {
      gssize len;

      g_return_val_if_fail (keys[i] != NULL, NULL);
      len = key_length (keys[i]);
      if (len < 0)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "dict key %zu is not valid UTF-8: expected UTF-8 text", i);
          return NULL;
        }
      lens[i] = (uint32_t) len;
      key_bytes += (size_t) len + 1;
    }
  set = g_malloc (sizeof *set + n * sizeof (SluiceDictEntry) + (indexed ? n * sizeof (uint32_t) : 0)
                  + key_bytes);
  set->n = n;
  set->key_bytes = key_bytes;
  set->entries = (SluiceDictEntry *) (set + 1);
  set->sorted = indexed ? (uint32_t *) (set->entries + n) : NULL;
  set->key_data = key_data = (char *) (set->entries + n) + (indexed ? n * sizeof (uint32_t) : 0);
  for (size_t i = 0; i < n; i++)
    {
      memcpy (key_data, keys[i], lens[i] + 1);
      set->entries[i].key = key_data;
      set->entries[i].key_len = lens[i];
      set->entries[i].key_prefix = sluice_dict_key_prefix (key_data, lens[i]);
      set->entries[i].value = NULL;
      key_data += lens[i] + 1;
    }
  {
    uint32_t scratch[32];
    uint32_t *order = n <= G_N_ELEMENTS (scratch) ? scratch : g_new (uint32_t, n);
    const char *repeated = NULL;

    sort_positions (set->entries, order, n);
    for (size_t i = 1; i < n && repeated == NULL; i++)
      {
        const SluiceDictEntry *a = &set->entries[order[i - 1]], *b = &set->entries[order[i]];

        if (a->key_len == b->key_len && memcmp (a->key, b->key, a->key_len) == 0)
          repeated = a->key;
      }
    if (repeated != NULL)
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "dict key \"%s\" appears more than once: expected distinct keys", repeated);
    else if (indexed)
      memcpy (set->sorted, order, n * sizeof (uint32_t));
    if (order != scratch)
      g_free (order);
    if (repeated != NULL)
      {
        g_free (set);
        return NULL;
      }
  }
  return set;
}

void
sluice_dict_keys_free (SluiceDictKeys *keys)
{
  g_free (keys);
}

size_t
sluice_dict_keys_get_size (const SluiceDictKeys *keys)
{
  g_return_val_if_fail (keys != NULL, 0);
  return keys->n;
}

const char *
sluice_dict_keys_get_key (const SluiceDictKeys *keys, size_t index)
{
  g_return_val_if_fail (keys != NULL && index < keys->n, NULL);
  return keys->entries[index].key;
}

SluiceValue *
sluice_value_new_dict_with_keys (const SluiceDictKeys *keys, SluiceValue *const *values)
{
  SluiceValue *value;
  SluiceDictEntry *entries;
  char *key_data;
  ptrdiff_t shift;
  size_t n;

  g_return_val_if_fail (keys != NULL && (values != NULL || keys->n == 0), NULL);
  n = keys->n;
  value = dict_alloc (n, keys->key_bytes, &key_data);
  entries = value->u.dict.entries;
  /* One copy of all the key text; each entry's key moves by the same distance. */
  memcpy (key_data, keys->key_data, keys->key_bytes);
  shift = key_data - keys->key_data;
  for (size_t i = 0; i < n; i++)
    {
      entries[i].key = keys->entries[i].key + shift;
      entries[i].key_len = keys->entries[i].key_len;
      entries[i].key_prefix = keys->entries[i].key_prefix;
      entries[i].value = values[i];
    }
  if (keys->sorted != NULL)
    memcpy (value->u.dict.sorted, keys->sorted, n * sizeof (uint32_t));
  return value;
}

/* Scalars up to this many bytes of payload are copied into a dict built from borrowed values. */
#define EMBED_MAX_BYTES 64

/* The bytes @value takes when embedded (its parent pointer and node included), or 0 when it is
 * not worth embedding: a container, a decimal, a long text, or a value that costs nothing to
 * reference anyway. */
static size_t
embedded_size (const SluiceValue *value)
{
  size_t size = sizeof (SluiceValue *) + sizeof (SluiceValue);

  /* An embedded value (of another dict, or of a decoded entity's arena) is copied too: a reference
   * to it would be an atomic operation on its whole tree, and would keep that tree alive. */
  if (value->flags & VALUE_FLAG_STATIC)
    return 0;
  switch (value->kind)
    {
    case SLUICE_VALUE_INTEGER:
    case SLUICE_VALUE_FLOAT:
    case SLUICE_VALUE_DATETIME:
      return size;
    case SLUICE_VALUE_STRING:
    case SLUICE_VALUE_NI:
    case SLUICE_VALUE_URI:
    case SLUICE_VALUE_UUID:
    case SLUICE_VALUE_BYTES:
      if (value->u.str.len > EMBED_MAX_BYTES)
        return 0;
      return size + ((value->u.str.len + 1 + 7) & ~(size_t) 7);
    default:
      return 0;
    }
}

SluiceValue *
sluice_value_new_dict_with_keys_borrowed (const SluiceDictKeys *keys, SluiceValue *const *values)
{
  size_t embed[SLUICE_DICT_INDEX_THRESHOLD * 4];
  size_t n, embed_bytes = 0, key_bytes;
  SluiceValue *value;
  SluiceDictEntry *entries;
  char *key_data, *tail;
  ptrdiff_t shift;

  g_return_val_if_fail (keys != NULL && (values != NULL || keys->n == 0), NULL);
  n = keys->n;
  for (size_t i = 0; i < n; i++)
    {
      size_t size;

      g_return_val_if_fail (values[i] != NULL, NULL);
      size = i < G_N_ELEMENTS (embed) ? embedded_size (values[i]) : 0;
      if (i < G_N_ELEMENTS (embed))
        embed[i] = size;
      embed_bytes += size;
    }
  /* Embedded nodes start on an 8-byte boundary after the key text. */
  key_bytes = (keys->key_bytes + 7) & ~(size_t) 7;
  value = dict_alloc (n, key_bytes + embed_bytes, &key_data);
  entries = value->u.dict.entries;
  memcpy (key_data, keys->key_data, keys->key_bytes);
  shift = key_data - keys->key_data;
  tail = key_data + key_bytes;
  for (size_t i = 0; i < n; i++)
    {
      SluiceValue *item = values[i];

      entries[i].key = keys->entries[i].key + shift;
      entries[i].key_len = keys->entries[i].key_len;
      entries[i].key_prefix = keys->entries[i].key_prefix;
      if (i < G_N_ELEMENTS (embed) && embed[i] > 0)
        {
          SluiceValue *copy = (SluiceValue *) (tail + sizeof (SluiceValue *));

          ((SluiceValue **) tail)[0] = value;
          *copy = *item;
          copy->ref_count = 0;
          copy->flags = (uint16_t) ((copy->flags & ~VALUE_FLAG_ARENA) | VALUE_FLAG_EMBEDDED);
          if (item->kind != SLUICE_VALUE_INTEGER && item->kind != SLUICE_VALUE_FLOAT
              && item->kind != SLUICE_VALUE_DATETIME)
            {
              char *data = (char *) (copy + 1);

              memcpy (data, item->u.str.data, item->u.str.len + 1);
              copy->u.str.data = data;
            }
          entries[i].value = copy;
          tail += embed[i];
        }
      else
        entries[i].value = (item->flags & VALUE_FLAG_STATIC) ? item : sluice_value_ref (item);
    }
  if (keys->sorted != NULL)
    memcpy (value->u.dict.sorted, keys->sorted, n * sizeof (uint32_t));
  return value;
}

/* Interned strings. */

#define INTERN_BUDGET (1024 * 1024)

static GMutex intern_lock;
static GHashTable *interned; /* (const char *, len) as a GBytes -> SluiceValue; never freed */
static size_t interned_bytes;

SluiceValue *
sluice_value_intern_string (const char *str, gssize len)
{
  size_t n;
  g_autoptr (GBytes) probe = NULL;
  SluiceValue *value;

  g_return_val_if_fail (str != NULL || len == 0, NULL);
  n = len < 0 ? strlen (str) : (size_t) len;
  g_return_val_if_fail (sluice_utf8_validate (str, n), NULL);
  probe = g_bytes_new_static (str, n);
  g_mutex_lock (&intern_lock);
  if (interned == NULL)
    interned = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref, NULL);
  value = g_hash_table_lookup (interned, probe);
  if (value == NULL && interned_bytes + n <= INTERN_BUDGET)
    {
      value = sluice_value_new_text_unchecked (SLUICE_VALUE_STRING, str, n);
      value->flags |= VALUE_FLAG_STATIC;
      interned_bytes += n;
      g_hash_table_insert (interned, g_bytes_new_static (value->u.str.data, n), value);
    }
  g_mutex_unlock (&intern_lock);
  return value != NULL ? value : sluice_value_new_text_unchecked (SLUICE_VALUE_STRING, str, n);
}
