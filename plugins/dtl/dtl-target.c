/* dtl-target.c — the mutable target entity `_T` (see dtl-target.h). */
#include "dtl-target.h"

#include <string.h>

#define INDEX_THRESHOLD 16

void
sluice_dtl_target_init (DtlTarget *target)
{
  memset (target, 0, sizeof *target);
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
  g_clear_pointer (&target->index, g_hash_table_unref);
  invalidate (target);
}

static gssize
find (const DtlTarget *target, const char *key)
{
  if (target->index != NULL)
    return (gssize) GPOINTER_TO_UINT (g_hash_table_lookup (target->index, key)) - 1;
  for (guint i = 0; i < target->n; i++)
    if (strcmp (target->entries[i].key, key) == 0)
      return i;
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
set (DtlTarget *target, const char *key, SluiceValue *value, gboolean copy_key)
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
      target->entries = g_renew (DtlTargetEntry, target->entries, target->cap);
    }
  target->entries[target->n].key = copy_key ? g_strdup (key) : key;
  target->entries[target->n].owned = copy_key;
  target->entries[target->n].value = value;
  target->n++;
  if (target->index != NULL)
    g_hash_table_insert (target->index, (gpointer) target->entries[target->n - 1].key,
                         GUINT_TO_POINTER (target->n));
  else if (target->n > INDEX_THRESHOLD)
    rebuild_index (target);
}

void
sluice_dtl_target_set (DtlTarget *target, const char *key, SluiceValue *value)
{
  set (target, key, value, TRUE);
}

void
sluice_dtl_target_set_static (DtlTarget *target, const char *key, SluiceValue *value)
{
  set (target, key, value, FALSE);
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
  builder = sluice_dict_builder_new ();
  for (guint i = 0; i < target->n; i++)
    sluice_dict_builder_add (builder, target->entries[i].key, target->entries[i].value);
  target->snapshot = sluice_dict_builder_end (builder);
  return target->snapshot;
}

SluiceValue *
sluice_dtl_target_steal_value (DtlTarget *target)
{
  SluiceDictBuilder *builder;
  SluiceValue *value;

  if (target->snapshot != NULL)
    {
      value = g_steal_pointer (&target->snapshot);
      sluice_dtl_target_clear (target);
      return value;
    }
  builder = sluice_dict_builder_new ();
  for (guint i = 0; i < target->n; i++)
    {
      sluice_dict_builder_take (builder, target->entries[i].key, target->entries[i].value);
      if (target->entries[i].owned)
        g_free ((char *) target->entries[i].key);
    }
  target->n = 0;
  g_clear_pointer (&target->index, g_hash_table_unref);
  return sluice_dict_builder_end (builder);
}
