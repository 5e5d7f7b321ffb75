/* sluice-value.h — the values that entities are made of.
 *
 * A SluiceValue is immutable and reference-counted: once built it never changes, so it can be shared
 * between threads and between a plugin and the host without copying.  The types are those of the
 * Sesam entity model: the JSON types (with 64-bit integers, binary64 floats and arbitrary-precision
 * decimals) and the transit-encoded extension types (datetime `~t`, namespaced identifier `~:`, URI
 * `~r`, bytes `~b`, UUID `~u`, decimal `~f`).
 *
 * Lists and dicts are built with SluiceListBuilder and SluiceDictBuilder.  Dicts keep the order in
 * which keys were added (so output looks like input); equality, ordering and hashing do not depend
 * on that order.
 *
 * Ownership: functions named _new, _ref, _dup or _end return a reference the caller owns;
 * _get functions return a borrowed pointer valid as long as the value it came from.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "sluice-macros.h"

SLUICE_BEGIN_DECLS

typedef struct _SluiceValue SluiceValue;

/* Value kinds: a fixed-width integer; new kinds are only ever appended. */
typedef uint32_t SluiceValueKind;

#define SLUICE_VALUE_NULL 0
#define SLUICE_VALUE_BOOLEAN 1
#define SLUICE_VALUE_INTEGER 2
#define SLUICE_VALUE_FLOAT 3
#define SLUICE_VALUE_DECIMAL 4
#define SLUICE_VALUE_STRING 5
#define SLUICE_VALUE_LIST 6
#define SLUICE_VALUE_DICT 7
#define SLUICE_VALUE_DATETIME 8 /* `~t`: a datetime, or a date when sluice_value_is_date () */
#define SLUICE_VALUE_NI 9       /* `~:` namespaced identifier */
#define SLUICE_VALUE_URI 10     /* `~r` */
#define SLUICE_VALUE_BYTES 11   /* `~b` */
#define SLUICE_VALUE_UUID 12    /* `~u` */

SLUICE_SDK_API SluiceValue *sluice_value_ref (SluiceValue *value);
SLUICE_SDK_API void sluice_value_unref (SluiceValue *value);

SLUICE_SDK_API SluiceValueKind sluice_value_get_kind (const SluiceValue *value);
SLUICE_SDK_API const char *sluice_value_kind_get_name (SluiceValueKind kind);

/* Scalars. */
SLUICE_SDK_API SluiceValue *sluice_value_new_null (void);
SLUICE_SDK_API SluiceValue *sluice_value_new_boolean (gboolean b);
SLUICE_SDK_API SluiceValue *sluice_value_new_integer (int64_t i);
SLUICE_SDK_API SluiceValue *sluice_value_new_float (double d);
/* @text: a decimal number in plain or exponent notation ("12.50", "-1e-3"); NULL on bad syntax. */
SLUICE_SDK_API SluiceValue *sluice_value_new_decimal (const char *text, GError **error);
/* @str: UTF-8 text of @len bytes (-1: NUL-terminated). The text is copied; it may contain NULs. */
SLUICE_SDK_API SluiceValue *sluice_value_new_string (const char *str, gssize len);
/* A datetime in UTC: seconds since the Unix epoch plus nanoseconds (0..999999999).
 * The range is 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z. */
SLUICE_SDK_API SluiceValue *sluice_value_new_datetime (int64_t unix_seconds, uint32_t nanoseconds,
                                                       GError **error);
/* A date (the `~tYYYY-MM-DD` form), stored as midnight UTC of that day. */
SLUICE_SDK_API SluiceValue *sluice_value_new_date (int year, int month, int day, GError **error);
/* Namespaced identifier "ns:id" (the text after `~:`). */
SLUICE_SDK_API SluiceValue *sluice_value_new_ni (const char *text, gssize len);
SLUICE_SDK_API SluiceValue *sluice_value_new_uri (const char *text, gssize len);
SLUICE_SDK_API SluiceValue *sluice_value_new_bytes (const void *data, size_t len);
/* @text: a UUID in its 36-character hexadecimal form; NULL with an error otherwise. */
SLUICE_SDK_API SluiceValue *sluice_value_new_uuid (const char *text, GError **error);

SLUICE_SDK_API gboolean sluice_value_get_boolean (const SluiceValue *value);
SLUICE_SDK_API int64_t sluice_value_get_integer (const SluiceValue *value);
/* The value as a double: for FLOAT, INTEGER and DECIMAL. */
SLUICE_SDK_API double sluice_value_get_float (const SluiceValue *value);
/* The text of STRING, DECIMAL, NI, URI and UUID values, without the transit prefix; @ret_len may
 * be NULL.  Borrowed. */
SLUICE_SDK_API const char *sluice_value_get_string (const SluiceValue *value, size_t *ret_len);
SLUICE_SDK_API const uint8_t *sluice_value_get_bytes (const SluiceValue *value, size_t *ret_len);
SLUICE_SDK_API int64_t sluice_value_get_datetime_seconds (const SluiceValue *value);
SLUICE_SDK_API uint32_t sluice_value_get_datetime_nanoseconds (const SluiceValue *value);
SLUICE_SDK_API gboolean sluice_value_is_date (const SluiceValue *value);

/* Lists. */
SLUICE_SDK_API size_t sluice_value_list_get_length (const SluiceValue *list);
SLUICE_SDK_API SluiceValue *sluice_value_list_get (const SluiceValue *list, size_t index);

/* Dicts. Keys are UTF-8 strings; a key appears at most once. */
SLUICE_SDK_API size_t sluice_value_dict_get_size (const SluiceValue *dict);
/* Borrowed; NULL when the key is absent. */
SLUICE_SDK_API SluiceValue *sluice_value_dict_lookup (const SluiceValue *dict, const char *key);
/* Like sluice_value_dict_lookup (), for one key looked up in many dicts that tend to have the
 * same layout (the entities of one source): *@hint remembers where the key was last found, so
 * that a dict with the same layout answers after a single comparison.  @key_len: bytes of @key
 * (-1: NUL-terminated).  @hint: starts at 0; it may be shared between threads (a stale hint only
 * costs the ordinary search). */
SLUICE_SDK_API SluiceValue *sluice_value_dict_lookup_hinted (const SluiceValue *dict, const char *key,
                                                             gssize key_len, size_t *hint);
/* Position-based iteration in insertion order. */
SLUICE_SDK_API const char *sluice_value_dict_get_key (const SluiceValue *dict, size_t index);
SLUICE_SDK_API SluiceValue *sluice_value_dict_get_value (const SluiceValue *dict, size_t index);

/* Comparison. */
/* Deep equality of kind and value: 1, 1.0 and "1" differ; decimals compare by value (1.50 equals
 * 1.5), dict key order does not matter.  Equal values have equal content hashes. */
SLUICE_SDK_API gboolean sluice_value_equal (const SluiceValue *a, const SluiceValue *b);
/* The mixed-type ordering of the entity model: null < boolean < numbers < datetimes < UUID < NI
 * < URI < string < dict < list < bytes; values of one rank compare by value. Returns <0, 0, >0. */
SLUICE_SDK_API int sluice_value_compare (const SluiceValue *a, const SluiceValue *b);

/* Builders.  A builder is used once: _end returns the value and frees the builder. */
typedef struct _SluiceListBuilder SluiceListBuilder;
typedef struct _SluiceDictBuilder SluiceDictBuilder;

SLUICE_SDK_API SluiceListBuilder *sluice_list_builder_new (void);
/* Takes ownership of @item. */
SLUICE_SDK_API void sluice_list_builder_take (SluiceListBuilder *builder, SluiceValue *item);
SLUICE_SDK_API void sluice_list_builder_add (SluiceListBuilder *builder, SluiceValue *item);
SLUICE_SDK_API SluiceValue *sluice_list_builder_end (SluiceListBuilder *builder);
SLUICE_SDK_API void sluice_list_builder_free (SluiceListBuilder *builder);

SLUICE_SDK_API SluiceDictBuilder *sluice_dict_builder_new (void);
/* Sets @key (copied) to @value (taken); setting a key twice replaces the earlier value. */
SLUICE_SDK_API void sluice_dict_builder_take (SluiceDictBuilder *builder, const char *key,
                                              SluiceValue *value);
SLUICE_SDK_API void sluice_dict_builder_add (SluiceDictBuilder *builder, const char *key,
                                             SluiceValue *value);
SLUICE_SDK_API void sluice_dict_builder_remove (SluiceDictBuilder *builder, const char *key);
SLUICE_SDK_API SluiceValue *sluice_dict_builder_end (SluiceDictBuilder *builder);
SLUICE_SDK_API void sluice_dict_builder_free (SluiceDictBuilder *builder);
/* A builder with room for @n keys, so that building a dict of known size
 * reallocates nothing. */
SLUICE_SDK_API SluiceDictBuilder *sluice_dict_builder_new_sized (size_t n);

/* A fixed sequence of distinct keys, validated once, for building many dicts that have the same
 * keys in the same order (a transform's output, a codec's rows).  Immutable: one SluiceDictKeys may
 * be used from several threads at once.  The dicts built copy the keys, so they do not depend on
 * it. */
typedef struct _SluiceDictKeys SluiceDictKeys;

/* @keys: @n NUL-terminated UTF-8 strings (copied).  NULL with SLUICE_ERROR_INVALID_DATA when a
 * key repeats or is not UTF-8. */
SLUICE_SDK_API SluiceDictKeys *sluice_dict_keys_new (const char *const *keys, size_t n,
                                                     GError **error);
SLUICE_SDK_API void sluice_dict_keys_free (SluiceDictKeys *keys);
SLUICE_SDK_API size_t sluice_dict_keys_get_size (const SluiceDictKeys *keys);
/* Borrowed. */
SLUICE_SDK_API const char *sluice_dict_keys_get_key (const SluiceDictKeys *keys, size_t index);
/* A dict of @keys with @values (one per key, in the same order; the references are taken):
 * equal to what a builder makes from the same pairs, in one allocation and without re-checking
 * the keys. */
SLUICE_SDK_API SluiceValue *sluice_value_new_dict_with_keys (const SluiceDictKeys *keys,
                                                             SluiceValue *const *values);
/* The same with @values borrowed: the dict holds its own references, except that small scalars
 * (numbers, datetimes, texts up to 64 bytes) are copied into the dict's own allocation instead,
 * so that copying properties from one entity to another costs no atomic reference counting.
 * Such a copy is an ordinary value to every reader; a reference to it keeps the dict alive. */
SLUICE_SDK_API SluiceValue *sluice_value_new_dict_with_keys_borrowed (const SluiceDictKeys *keys,
                                                                      SluiceValue *const *values);

/* The process-wide shared copy of a string: a value that is never freed, so that taking and
 * dropping references to it costs nothing (no atomic operation).  For a bounded set of strings
 * that live as long as the process, such as the literals of a configuration: each distinct
 * string stays in memory until exit.  Past an internal budget (1 MiB of interned text) this
 * returns an ordinary new string instead.  @str: UTF-8 of @len bytes (-1: NUL-terminated). */
SLUICE_SDK_API SluiceValue *sluice_value_intern_string (const char *str, gssize len);

/* Asks the processor to start loading @value into its caches, without waiting for it: for a value
 * that a decoder built as one block (the entities of the JSON reader and of the binary form) the
 * whole tree, up to 4 KiB; for another value, its node and a dict's first entries.  A loop over
 * many entities calls it on an entity a few positions ahead of the one it works on.  It only reads
 * @value (its header: best when that was touched or prefetched a little earlier).
 * NULL is allowed. */
SLUICE_SDK_API void sluice_value_prefetch (const SluiceValue *value);

/* JSON text with transit encoding ("~t…", "~:…", …) for one value.  For the streaming parser of
 * whole arrays of entities see sluice-json.h. */
SLUICE_SDK_API SluiceValue *sluice_value_from_json (const char *text, gssize len, GError **error);
SLUICE_SDK_API char *sluice_value_to_json (const SluiceValue *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceValue, sluice_value_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceListBuilder, sluice_list_builder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceDictBuilder, sluice_dict_builder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceDictKeys, sluice_dict_keys_free)

SLUICE_END_DECLS
