/* dtl-target.c — the mutable target entity `_T` (see dtl-target.h). */
#include "dtl-target.h"

#include <string.h>

#define INDEX_THRESHOLD 16

void
sluice_dtl_target_init (DtlTarget *target)
{
  memset (target, 0, sizeof *target);
}

void
sluice_dtl_target_init_with_storage (DtlTarget *target, DtlTargetEntry *storage, guint n)
{
  memset (target, 0, sizeof *target);
  target->entries = target->inline_entries = storage;
  target->cap = n;
}

void
sluice_dtl_target_free_storage (DtlTarget *target)
{
  sluice_dtl_target_clear (target);
  if (target->entries != target->inline_entries)
    g_free (target->entries);
  target->entries = NULL;
  target->cap = 0;
}

static void
invalidate (DtlTarget *target)
{
  g_clear_pointer (&target->snapshot, sluice_value_unref);
}

void
sluice_dtl_target_clear (DtlTarget *target)
{
  for (guint i = 0; i < target->n; i++)
    {
      if (target->entries[i].owned)
        g_free ((char *) target->entries[i].key);
      sluice_value_unref (target->entries[i].value);
    }
  target->n = 0;
  target->key_bits = 0;
  g_clear_pointer (&target->index, g_hash_table_unref);
  invalidate (target);
}

/* One of 64 bits chosen by the first two bytes of @key: most `add`s put a new key into the
 * target, and this settles that without comparing against every key already there. */
static inline guint64
key_bit (const char *key)
{
  guint h = (guint8) key[0] * 31u + (key[0] != '\0' ? (guint8) key[1] : 0u);

  return G_GUINT64_CONSTANT (1) << (h & 63);
}

static gssize
find (const DtlTarget *target, const char *key)
{
  if (!(target->key_bits & key_bit (key)))
    return -1;
  if (target->index != NULL)
    return (gssize) GPOINTER_TO_UINT (g_hash_table_lookup (target->index, key)) - 1;
  /* Compiled keys are found by pointer; most other mismatches by their first byte. */
  for (guint i = 0; i < target->n; i++)
    {
      const char *k = target->entries[i].key;

      if (k == key || (k[0] == key[0] && strcmp (k, key) == 0))
        return i;
    }
  return -1;
}

SluiceValue *
sluice_dtl_target_lookup (const DtlTarget *target, const char *key)
{
  gssize pos = find (target, key);

  return pos < 0 ? NULL : target->entries[pos].value;
}

static void
rebuild_index (DtlTarget *target)
{
  g_clear_pointer (&target->index, g_hash_table_unref);
  if (target->n <= INDEX_THRESHOLD)
    return;
  target->index = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < target->n; i++)
    g_hash_table_insert (target->index, (gpointer) target->entries[i].key, GUINT_TO_POINTER (i + 1));
}

static void
set (DtlTarget *target, const char *key, SluiceValue *value, gboolean copy_key, gboolean compiled)
{
  gssize pos = find (target, key);

  invalidate (target);
  if (pos >= 0)
    {
      sluice_value_unref (target->entries[pos].value);
      target->entries[pos].value = value;
      return;
    }
  if (target->n == target->cap)
    {
      target->cap = target->cap ? target->cap * 2 : 16;
      if (target->entries != NULL && target->entries == target->inline_entries)
        target->entries = g_memdup2 (target->entries, target->n * sizeof (DtlTargetEntry));
      target->entries = g_renew (DtlTargetEntry, target->entries, target->cap);
    }
  target->entries[target->n].key = copy_key ? g_strdup (key) : key;
  target->entries[target->n].owned = copy_key;
  target->entries[target->n].compiled = compiled;
  target->entries[target->n].value = value;
  target->n++;
  target->key_bits |= key_bit (key);
  if (target->index != NULL)
    g_hash_table_insert (target->index, (gpointer) target->entries[target->n - 1].key,
                         GUINT_TO_POINTER (target->n));
  else if (target->n > INDEX_THRESHOLD)
    rebuild_index (target);
}

void
sluice_dtl_target_set (DtlTarget *target, const char *key, SluiceValue *value)
{
  set (target, key, value, TRUE, FALSE);
}

void
sluice_dtl_target_set_static (DtlTarget *target, const char *key, SluiceValue *value)
{
  set (target, key, value, FALSE, FALSE);
}

void
sluice_dtl_target_set_compiled (DtlTarget *target, const char *key, SluiceValue *value)
{
  set (target, key, value, FALSE, TRUE);
}

void
sluice_dtl_target_remove (DtlTarget *target, const char *key)
{
  gssize pos = find (target, key);

  if (pos < 0)
    return;
  invalidate (target);
  if (target->entries[pos].owned)
    g_free ((char *) target->entries[pos].key);
  sluice_value_unref (target->entries[pos].value);
  memmove (&target->entries[pos], &target->entries[pos + 1],
           (target->n - (guint) pos - 1) * sizeof (DtlTargetEntry));
  target->n--;
  target->key_bits = 0;
  for (guint i = 0; i < target->n; i++)
    target->key_bits |= key_bit (target->entries[i].key);
  if (target->index != NULL)
    rebuild_index (target);
}

void
sluice_dtl_target_set_all (DtlTarget *target, SluiceValue *dict)
{
  size_t n = sluice_value_dict_get_size (dict);

  for (size_t i = 0; i < n; i++)
    sluice_dtl_target_set (target, sluice_value_dict_get_key (dict, i),
                           sluice_value_ref (sluice_value_dict_get_value (dict, i)));
}

SluiceValue *
sluice_dtl_target_get_value (DtlTarget *target)
{
  SluiceDictBuilder *builder;

  if (target->snapshot != NULL)
    return target->snapshot;
  builder = sluice_dict_builder_new_sized (target->n);
  for (guint i = 0; i < target->n; i++)
    sluice_dict_builder_add (builder, target->entries[i].key, target->entries[i].value);
  target->snapshot = sluice_dict_builder_end (builder);
  return target->snapshot;
}

/* Shapes. */

#define SHAPE_MAX_KEYS 64

typedef struct
{
  guint n;
  SluiceDictKeys *keys;
  /* The program's own key strings, so that matching a target is a pointer comparison per key;
   * they live as long as the program, and so as long as the cache. */
  const char *key_ptrs[];
} DtlShape;

void
sluice_dtl_shape_cache_clear (DtlShapeCache *cache)
{
  for (guint i = 0; i < DTL_SHAPE_SLOTS; i++)
    {
      DtlShape *shape = g_steal_pointer (&cache->slots[i]);

      if (shape != NULL)
        {
          sluice_dict_keys_free (shape->keys);
          g_free (shape);
        }
    }
}

static gboolean
shape_matches (const DtlShape *shape, const DtlTarget *target)
{
  /* A compiled key is alive as long as the program, so no other live key can have its address:
   * equal pointers are the same key. */
  if (shape->n != target->n)
    return FALSE;
  for (guint i = 0; i < shape->n; i++)
    if (shape->key_ptrs[i] != target->entries[i].key)
      return FALSE;
  return TRUE;
}

static DtlShape *
shape_new (const DtlTarget *target)
{
  DtlShape *shape;

  for (guint i = 0; i < target->n; i++)
    if (!target->entries[i].compiled)
      return NULL;
  shape = g_malloc (sizeof (DtlShape) + target->n * sizeof (const char *));
  shape->n = target->n;
  for (guint i = 0; i < target->n; i++)
    shape->key_ptrs[i] = target->entries[i].key;
  shape->keys = sluice_dict_keys_new (shape->key_ptrs, shape->n, NULL);
  if (shape->keys == NULL)
    {
      g_free (shape);
      return NULL;
    }
  return shape;
}

/* The shape of @target from @cache, adding it to a free slot when it is new; NULL when the target
 * cannot have one (a key that is not compiled) or the cache is full. */
static const DtlShape *
find_shape (DtlShapeCache *cache, const DtlTarget *target)
{
  DtlShape *shape;
  gboolean full = TRUE;

  if (target->n == 0 || target->n > SHAPE_MAX_KEYS)
    return NULL;
  for (guint i = 0; i < DTL_SHAPE_SLOTS; i++)
    {
      const DtlShape *known = g_atomic_pointer_get (&cache->slots[i]);

      if (known == NULL)
        {
          full = FALSE;
          break;
        }
      if (shape_matches (known, target))
        return known;
    }
  /* A rule with more shapes than slots builds the others key by key. */
  if (full)
    return NULL;
  shape = shape_new (target);
  if (shape == NULL)
    return NULL;
  for (guint i = 0; i < DTL_SHAPE_SLOTS; i++)
    {
      const DtlShape *known;

      if (g_atomic_pointer_compare_and_exchange (&cache->slots[i], NULL, shape))
        return shape;
      /* The slot is taken, perhaps by another thread that just added this very shape. */
      known = g_atomic_pointer_get (&cache->slots[i]);
      if (shape_matches (known, target))
        {
          sluice_dict_keys_free (shape->keys);
          g_free (shape);
          return known;
        }
    }
  sluice_dict_keys_free (shape->keys);
  g_free (shape);
  return NULL;
}

SluiceValue *
sluice_dtl_target_steal_value (DtlTarget *target, DtlShapeCache *shapes)
{
  SluiceDictBuilder *builder;
  const DtlShape *shape;
  SluiceValue *value;

  if (target->snapshot != NULL)
    {
      value = g_steal_pointer (&target->snapshot);
      sluice_dtl_target_clear (target);
      return value;
    }
  shape = shapes != NULL ? find_shape (shapes, target) : NULL;
  if (shape != NULL)
    {
      SluiceValue *values[SHAPE_MAX_KEYS];

      /* Compiled keys are never owned: nothing to free but the slots. */
      for (guint i = 0; i < target->n; i++)
        values[i] = target->entries[i].value;
      value = sluice_value_new_dict_with_keys (shape->keys, values);
    }
  else
    {
      builder = sluice_dict_builder_new_sized (target->n);
      for (guint i = 0; i < target->n; i++)
        {
          sluice_dict_builder_take (builder, target->entries[i].key, target->entries[i].value);
          if (target->entries[i].owned)
            g_free ((char *) target->entries[i].key);
        }
      value = sluice_dict_builder_end (builder);
    }
  target->n = 0;
  target->key_bits = 0;
  g_clear_pointer (&target->index, g_hash_table_unref);
  return value;
}
