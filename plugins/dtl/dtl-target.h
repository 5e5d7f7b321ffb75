/* dtl-target.h — the target entity `_T` while a rule builds it.
 *
 * Values are immutable, but transform functions change `_T` one property at a time, so the target
 * is a small mutable ordered dict.  It is reused from one source entity to the next, so building a
 * target allocates nothing but the keys; reading `_T.` as a whole builds (and caches) a value.
 */
#pragma once

#include <sluice-plugin-sdk.h>

G_BEGIN_DECLS

typedef struct
{
  const char *key;
  SluiceValue *value;
  gboolean owned;    /* the key is ours to free; otherwise it outlives the target */
  gboolean compiled; /* the key belongs to the compiled program: same pointer, same key */
} DtlTargetEntry;

typedef struct
{
  DtlTargetEntry *entries;
  guint n;
  guint cap;
  DtlTargetEntry *inline_entries; /* caller-provided storage that @entries starts in, or NULL */
  GHashTable *index;     /* key -> position + 1, once the target grows large */
  guint64 key_bits;      /* key_bit () of every key: a clear bit proves a key absent */
  SluiceValue *snapshot; /* the target as a value, until it changes */
} DtlTarget;

/* The key sequences a rule's targets ended with, each prepared once as a SluiceDictKeys, so that
 * the output dict of the next entity with the same keys is built in one step instead of key by
 * key.  A rule that sets constant property names in a fixed order (the common case) has one
 * shape; rules with branches may have a few.  Each slot is filled once, atomically, and then only
 * read, so the threads running a program share the cache. */
#define DTL_SHAPE_SLOTS 4

typedef struct
{
  gpointer slots[DTL_SHAPE_SLOTS];
} DtlShapeCache;

void sluice_dtl_shape_cache_clear (DtlShapeCache *cache);

void sluice_dtl_target_init (DtlTarget *target);
/* Starts the target in @storage (@n entries, typically on the caller's stack), so that a small
 * target allocates nothing; free with sluice_dtl_target_free_storage (). */
void sluice_dtl_target_init_with_storage (DtlTarget *target, DtlTargetEntry *storage, guint n);
/* Clears the target and frees its entry array unless it is the caller's storage. */
void sluice_dtl_target_free_storage (DtlTarget *target);
void sluice_dtl_target_clear (DtlTarget *target);
/* Borrowed; NULL when absent. */
SluiceValue *sluice_dtl_target_lookup (const DtlTarget *target, const char *key);
/* Takes @value; the key is copied. */
void sluice_dtl_target_set (DtlTarget *target, const char *key, SluiceValue *value);
/* Takes @value; @key is borrowed and must outlive the target (a compiled constant, or a key of the
 * source entity, which outlives the run). */
void sluice_dtl_target_set_static (DtlTarget *target, const char *key, SluiceValue *value);
/* Like set_static, for a key owned by the compiled program (a constant property name): such keys
 * are compared by pointer, and a target made only of them can use the shape cache. */
void sluice_dtl_target_set_compiled (DtlTarget *target, const char *key, SluiceValue *value);
void sluice_dtl_target_remove (DtlTarget *target, const char *key);
/* Every property of @dict (borrowed) becomes a property of the target. */
void sluice_dtl_target_set_all (DtlTarget *target, SluiceValue *dict);
/* Borrowed, valid until the target changes. */
SluiceValue *sluice_dtl_target_get_value (DtlTarget *target);
/* The target as a value (owned), leaving the target empty; cheaper than get_value + clear.
 * @shapes: the running rule's cache, or NULL. */
SluiceValue *sluice_dtl_target_steal_value (DtlTarget *target, DtlShapeCache *shapes);

G_END_DECLS
