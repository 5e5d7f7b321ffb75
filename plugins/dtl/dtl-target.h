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
  gboolean owned; /* the key is ours to free; otherwise it outlives the target */
} DtlTargetEntry;

typedef struct
{
  DtlTargetEntry *entries;
  guint n;
  guint cap;
  GHashTable *index;     /* key -> position + 1, once the target grows large */
  SluiceValue *snapshot; /* the target as a value, until it changes */
} DtlTarget;

void sluice_dtl_target_init (DtlTarget *target);
void sluice_dtl_target_clear (DtlTarget *target);
/* Borrowed; NULL when absent. */
SluiceValue *sluice_dtl_target_lookup (const DtlTarget *target, const char *key);
/* Takes @value; the key is copied. */
void sluice_dtl_target_set (DtlTarget *target, const char *key, SluiceValue *value);
/* Takes @value; @key is borrowed and must outlive the target (a compiled constant, or a key of the
 * source entity, which outlives the run). */
void sluice_dtl_target_set_static (DtlTarget *target, const char *key, SluiceValue *value);
void sluice_dtl_target_remove (DtlTarget *target, const char *key);
/* Every property of @dict (borrowed) becomes a property of the target. */
void sluice_dtl_target_set_all (DtlTarget *target, SluiceValue *dict);
/* Borrowed, valid until the target changes. */
SluiceValue *sluice_dtl_target_get_value (DtlTarget *target);
/* The target as a value (owned), leaving the target empty; cheaper than get_value + clear. */
SluiceValue *sluice_dtl_target_steal_value (DtlTarget *target);

G_END_DECLS
