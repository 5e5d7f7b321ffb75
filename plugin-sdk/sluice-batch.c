/* sluice-batch.c — a batch: the ordered list of entities passed between a pipe's source,
 * transforms and sink.  A batch owns one reference to each entity it holds. */
#include "sluice-entity.h"

struct _SluiceBatch
{
  GPtrArray *entities;
};

SluiceBatch *
sluice_batch_new (void)
{
  SluiceBatch *batch = g_new (SluiceBatch, 1);

  batch->entities = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_entity_unref);
  return batch;
}

void
sluice_batch_free (SluiceBatch *batch)
{
  if (batch == NULL)
    return;
  g_ptr_array_unref (batch->entities);
  g_free (batch);
}

size_t
sluice_batch_get_length (const SluiceBatch *batch)
{
  g_return_val_if_fail (batch != NULL, 0);
  return batch->entities->len;
}

SluiceEntity *
sluice_batch_get (const SluiceBatch *batch, size_t index)
{
  g_return_val_if_fail (batch != NULL, NULL);
  g_return_val_if_fail (index < batch->entities->len, NULL);
  return g_ptr_array_index (batch->entities, index);
}

void
sluice_batch_take (SluiceBatch *batch, SluiceEntity *entity)
{
  g_return_if_fail (batch != NULL && entity != NULL);
  g_ptr_array_add (batch->entities, entity);
}

void
sluice_batch_add (SluiceBatch *batch, SluiceEntity *entity)
{
  g_return_if_fail (batch != NULL && entity != NULL);
  g_ptr_array_add (batch->entities, sluice_entity_ref (entity));
}

void
sluice_batch_clear (SluiceBatch *batch)
{
  g_return_if_fail (batch != NULL);
  g_ptr_array_set_size (batch->entities, 0);
}
