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
  if (!(value->flags & VALUE_FLAG_STATIC))
    g_atomic_int_inc (&value->ref_count);
  return value;
}

void
sluice_value_unref (SluiceValue *value)
{
  if (value == NULL || (value->flags & VALUE_FLAG_STATIC))
    return;
  /* Holding the only reference, no other thread can touch the count: skip the atomic
   * read-modify-write, which dominates freeing a parsed entity. */
  if (g_atomic_int_get (&value->ref_count) != 1 && !g_atomic_int_dec_and_test (&value->ref_count))
    return;
  switch (value->kind)
    {
    case SLUICE_VALUE_LIST:
      for (size_t i = 0; i < value->u.list.len; i++)
        sluice_value_unref (value->u.list.items[i]);
      break;
    case SLUICE_VALUE_DICT:
      for (size_t i = 0; i < value->u.dict.len; i++)
        sluice_value_unref (value->u.dict.entries[i].value);
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
#define N_SMALL_INTEGERS 256
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
  SluiceValue *value;
  SluiceDecimalParts *parts;
  char *text_copy, *digits;

  value = value_alloc (SLUICE_VALUE_DECIMAL, sizeof (SluiceDecimalParts) + 2 * (len + 1));
  parts = (SluiceDecimalParts *) value_tail (value);
  text_copy = (char *) (parts + 1);
  digits = text_copy + len + 1;
  if (!parse_decimal (text, len, parts, digits))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "invalid decimal \"%.*s\": expected digits with an optional sign, fraction "
                   "and exponent, like -12.50 or 1e-3", (int) MIN (len, 64), text);
      g_free (value);
      return NULL;
    }
  memcpy (text_copy, text, len);
  text_copy[len] = '\0';
  digits[parts->n_digits] = '\0';
  value->u.str.data = text_copy;
  value->u.str.len = len;
  value->u.str.decimal = parts;
  return value;
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

SluiceValue *
sluice_value_dict_lookup (const SluiceValue *dict, const char *key)
{
  const SluiceDictEntry *entries;
  size_t key_len;

  g_return_val_if_fail (dict != NULL && dict->kind == SLUICE_VALUE_DICT, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  entries = dict->u.dict.entries;
  key_len = strlen (key);
  if (dict->u.dict.sorted == NULL)
    {
      for (size_t i = 0; i < dict->u.dict.len; i++)
        if (entries[i].key_len == key_len && memcmp (entries[i].key, key, key_len) == 0)
          return entries[i].value;
      return NULL;
    }
  else
    {
      size_t lo = 0, hi = dict->u.dict.len;

      while (lo < hi)
        {
          size_t mid = lo + (hi - lo) / 2;
          const SluiceDictEntry *e = &entries[dict->u.dict.sorted[mid]];
          int c = sluice_value_key_compare (e->key, e->key_len, key, key_len);

          if (c == 0)
            return e->value;
          if (c < 0)
            lo = mid + 1;
          else
            hi = mid;
        }
      return NULL;
    }
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

struct _SluiceDictBuilder
{
  GPtrArray *keys;   /* owned strings */
  GPtrArray *values; /* owned references */
  GHashTable *index; /* key -> position + 1, built once the dict grows past the threshold */
};

SluiceDictBuilder *
sluice_dict_builder_new (void)
{
  SluiceDictBuilder *builder = g_new0 (SluiceDictBuilder, 1);

  builder->keys = g_ptr_array_new_with_free_func (g_free);
  builder->values = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_value_unref);
  return builder;
}

static gssize
builder_find (SluiceDictBuilder *builder, const char *key)
{
  if (builder->index == NULL && builder->keys->len > SLUICE_DICT_INDEX_THRESHOLD)
    {
      builder->index = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < builder->keys->len; i++)
        g_hash_table_insert (builder->index, builder->keys->pdata[i], GUINT_TO_POINTER (i + 1));
    }
  if (builder->index != NULL)
    return (gssize) GPOINTER_TO_UINT (g_hash_table_lookup (builder->index, key)) - 1;
  for (guint i = 0; i < builder->keys->len; i++)
    if (strcmp (builder->keys->pdata[i], key) == 0)
      return i;
  return -1;
}

void
sluice_dict_builder_take (SluiceDictBuilder *builder, const char *key, SluiceValue *value)
{
  gssize pos;

  g_return_if_fail (builder != NULL && key != NULL && value != NULL);
  if (!g_utf8_validate (key, -1, NULL))
    {
      sluice_value_unref (value);
      g_return_if_fail (g_utf8_validate (key, -1, NULL));
    }
  pos = builder_find (builder, key);
  if (pos >= 0)
    {
      sluice_value_unref (builder->values->pdata[pos]);
      builder->values->pdata[pos] = value;
      return;
    }
  g_ptr_array_add (builder->keys, g_strdup (key));
  g_ptr_array_add (builder->values, value);
  if (builder->index != NULL)
    g_hash_table_insert (builder->index, builder->keys->pdata[builder->keys->len - 1],
                         GUINT_TO_POINTER (builder->keys->len));
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
  pos = builder_find (builder, key);
  if (pos < 0)
    return;
  /* Positions shift; the index is rebuilt on the next lookup. */
  g_clear_pointer (&builder->index, g_hash_table_unref);
  g_ptr_array_remove_index (builder->keys, (guint) pos);
  g_ptr_array_remove_index (builder->values, (guint) pos);
}

SluiceValue *
sluice_dict_builder_end (SluiceDictBuilder *builder)
{
  g_autofree uint32_t *lens = NULL;
  SluiceValue *value;
  guint n;

  g_return_val_if_fail (builder != NULL, NULL);
  n = builder->keys->len;
  lens = g_new (uint32_t, n ? n : 1);
  for (guint i = 0; i < n; i++)
    lens[i] = (uint32_t) strlen (builder->keys->pdata[i]);
  value = sluice_value_new_dict_take ((const char *const *) builder->keys->pdata, lens,
                                      (SluiceValue **) builder->values->pdata, n);
  g_ptr_array_set_free_func (builder->values, NULL);
  sluice_dict_builder_free (builder);
  return value;
}

void
sluice_dict_builder_free (SluiceDictBuilder *builder)
{
  if (builder == NULL)
    return;
  g_clear_pointer (&builder->index, g_hash_table_unref);
  g_ptr_array_unref (builder->keys);
  g_ptr_array_unref (builder->values);
  g_free (builder);
}
