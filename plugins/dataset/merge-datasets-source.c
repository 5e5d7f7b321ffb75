/* merge-datasets-source.c — the `merge_datasets` source (digest §8.4): several datasets read
 * together in order of their versions' `_ts`, `_id`s unchanged.
 *
 * strategy "latest": each version as it is, so the last one emitted for an `_id` is the newest
 * across the datasets.  strategy "all": for each version read, one entity holding the latest
 * version of that `_id` in every dataset, under the dataset's id; deleted only when no dataset
 * holds a live version.  The offset is composite (dataset-multi.h). */
#include "dataset-elements.h"
#include "dataset-multi.h"

#define BUFFER_SIZE 100

typedef struct
{
  DatasetMulti multi;
  gboolean all;
  SluiceBatch **buffers; /* per dataset: entities read ahead */
  size_t *positions;     /* per dataset: the next entity in its buffer */
  gboolean *ended;       /* per dataset: its reader reached the end */
} MergeSource;

static const char *const strategy_choices[] = { "latest", "all", NULL };

static const SluiceOptionSpec merge_options[] = {
  DATASET_MULTI_COMMON_OPTIONS,
  { .key = "strategy", .types = SLUICE_OPTION_STRING, .default_json = "\"latest\"",
    .choices = strategy_choices,
    .description = "`latest`: each version as it is; `all`: one entity holding the latest version "
                   "from each dataset, keyed by dataset id." },
  { NULL },
};

static void
merge_close (void *instance)
{
  MergeSource *self = instance;

  for (size_t i = 0; self->buffers != NULL && i < self->multi.n_datasets; i++)
    g_clear_pointer (&self->buffers[i], sluice_batch_free);
  dataset_multi_close (&self->multi);
}

static void
merge_destroy (void *instance)
{
  MergeSource *self = instance;

  merge_close (self);
  dataset_multi_clear (&self->multi);
  g_free (self->buffers);
  g_free (self->positions);
  g_free (self->ended);
  g_free (self);
}

static void *
merge_create (SluiceElementContext *context, GError **error)
{
  MergeSource *self = g_new0 (MergeSource, 1);

  if (!dataset_multi_init (&self->multi, context, error))
    {
      merge_destroy (self);
      return NULL;
    }
  self->all = g_strcmp0 (sluice_element_context_get_string (context, "strategy", "latest"), "all")
              == 0;
  self->buffers = g_new0 (SluiceBatch *, self->multi.n_datasets);
  self->positions = g_new0 (size_t, self->multi.n_datasets);
  self->ended = g_new0 (gboolean, self->multi.n_datasets);
  return self;
}

static uint32_t
merge_get_capabilities (void *instance)
{
  return SLUICE_SOURCE_SUPPORTS_SINCE | SLUICE_SOURCE_IS_SINCE_COMPARABLE
         | SLUICE_SOURCE_IS_CHRONOLOGICAL;
}

static gboolean
merge_open (void *instance, uint32_t run_flags, const SluiceValue *since, GError **error)
{
  MergeSource *self = instance;

  merge_close (self);
  for (size_t i = 0; i < self->multi.n_datasets; i++)
    {
      self->buffers[i] = sluice_batch_new ();
      self->positions[i] = 0;
      self->ended[i] = FALSE;
    }
  return dataset_multi_open (&self->multi, since, error);
}

/* The next entity of dataset @i without consuming it; NULL at its end or on error. */
static SluiceEntity *
peek (MergeSource *self, size_t i, GError **error)
{
  if (self->positions[i] >= sluice_batch_get_length (self->buffers[i]) && !self->ended[i])
    {
      SluiceFlow flow;

      sluice_batch_clear (self->buffers[i]);
      self->positions[i] = 0;
      flow = sluice_dataset_reader_read (self->multi.readers[i], self->buffers[i], BUFFER_SIZE,
                                         error);
      if (flow == SLUICE_FLOW_EOS)
        self->ended[i] = TRUE;
      else if (flow != SLUICE_FLOW_OK)
        return NULL;
    }
  if (self->positions[i] < sluice_batch_get_length (self->buffers[i]))
    return sluice_batch_get (self->buffers[i], self->positions[i]);
  return NULL;
}

/* One entity with the latest version of @entity's `_id` in every dataset. */
static SluiceEntity *
merge_all (MergeSource *self, size_t from, SluiceEntity *entity, GError **error)
{
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();
  g_autoptr (SluiceValue) body = NULL;
  const char *id = sluice_entity_get_id (entity);
  gboolean live = FALSE;

  sluice_dict_builder_take (builder, "_id", sluice_value_new_string (id, -1));
  for (size_t j = 0; j < self->multi.n_datasets; j++)
    {
      g_autoptr (SluiceEntity) version = NULL;

      if (j == from)
        version = sluice_entity_ref (entity);
      else
        {
          version = sluice_dataset_get_entity (self->multi.context, self->multi.datasets[j], id,
                                               error);
          if (version == NULL && error != NULL && *error != NULL)
            return NULL;
        }
      if (version == NULL)
        continue;
      if (!sluice_entity_is_deleted (version))
        live = TRUE;
      sluice_dict_builder_add (builder, self->multi.datasets[j], sluice_entity_get_body (version));
    }
  if (!live)
    sluice_dict_builder_take (builder, "_deleted", sluice_value_new_boolean (TRUE));
  sluice_dict_builder_take (builder, "_updated", dataset_multi_offsets (&self->multi));
  body = sluice_dict_builder_end (g_steal_pointer (&builder));
  return sluice_entity_new (body, error);
}

static SluiceFlow
merge_read (void *instance, SluiceBatch *batch, uint32_t max_entities, GError **error)
{
  MergeSource *self = instance;

  while (sluice_batch_get_length (batch) < max_entities)
    {
      SluiceEntity *next = NULL;
      size_t from = 0;

      for (size_t i = 0; i < self->multi.n_datasets; i++)
        {
          GError *local_error = NULL;
          SluiceEntity *head = peek (self, i, &local_error);

          if (local_error != NULL)
            {
              g_propagate_error (error, local_error);
              return SLUICE_FLOW_ERROR;
            }
          /* Ties go to the dataset listed first. */
          if (head != NULL
              && (next == NULL || sluice_entity_get_timestamp (head) < sluice_entity_get_timestamp (next)))
            {
              next = head;
              from = i;
            }
        }
      if (next == NULL)
        return SLUICE_FLOW_EOS;
      self->positions[from]++;
      self->multi.offsets[from] = sluice_entity_get_offset (next);
      if (self->all)
        {
          SluiceEntity *merged = merge_all (self, from, next, error);

          if (merged == NULL)
            return SLUICE_FLOW_ERROR;
          sluice_batch_take (batch, merged);
        }
      else
        {
          SluiceEntity *rebuilt = dataset_multi_rebuild (sluice_entity_get_body (next), NULL,
                                                         dataset_multi_offsets (&self->multi),
                                                         error);

          if (rebuilt == NULL)
            {
              g_prefix_error (error, "merge_datasets: dataset '%s', offset %" G_GINT64_FORMAT ": ",
                              self->multi.datasets[from], sluice_entity_get_offset (next));
              return SLUICE_FLOW_ERROR;
            }
          sluice_batch_take (batch, rebuilt);
        }
    }
  return SLUICE_FLOW_OK;
}

static const SluiceSourceCallbacks merge_callbacks = {
  SLUICE_SOURCE_CALLBACKS_INIT,
  .create = merge_create,
  .destroy = merge_destroy,
  .get_capabilities = merge_get_capabilities,
  .open = merge_open,
  .read = merge_read,
  .close = merge_close,
};

const SluiceElementDescriptor dataset_merge_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .type_name = "merge_datasets",
  .description = "Reads several datasets together in order of their versions' `_ts`.",
  .options = merge_options,
  .callbacks = &merge_callbacks,
};
