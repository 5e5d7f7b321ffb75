/* union-datasets-source.c — the `union_datasets` source (digest §8.3): several datasets read one
 * after the other, each to its end before the next, with `_id`s prefixed by the dataset id
 * (`men:dave`) unless prefix_ids is false.  The offset is composite (dataset-multi.h). */
#include "dataset-elements.h"
#include "dataset-multi.h"

typedef struct
{
  DatasetMulti multi;
  gboolean prefix_ids;
  size_t current; /* the dataset being read */
} UnionSource;

static const SluiceOptionSpec union_options[] = {
  DATASET_MULTI_COMMON_OPTIONS,
  { .key = "prefix_ids", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true",
    .description = "Prefix each `_id` with the dataset id and a colon (`men:dave`)." },
  { NULL },
};

static void
union_destroy (void *instance)
{
  UnionSource *self = instance;

  dataset_multi_clear (&self->multi);
  g_free (self);
}

static void *
union_create (SluiceElementContext *context, GError **error)
{
  UnionSource *self = g_new0 (UnionSource, 1);

  if (!dataset_multi_init (&self->multi, context, error))
    {
      union_destroy (self);
      return NULL;
    }
  self->prefix_ids = sluice_element_context_get_boolean (context, "prefix_ids", TRUE);
  return self;
}

static uint32_t
union_get_capabilities (void *instance)
{
  return SLUICE_SOURCE_SUPPORTS_SINCE | SLUICE_SOURCE_IS_SINCE_COMPARABLE
         | SLUICE_SOURCE_IS_CHRONOLOGICAL;
}

static gboolean
union_open (void *instance, uint32_t run_flags, const SluiceValue *since, GError **error)
{
  UnionSource *self = instance;

  self->current = 0;
  return dataset_multi_open (&self->multi, since, error);
}

static SluiceFlow
union_read (void *instance, SluiceBatch *batch, uint32_t max_entities, GError **error)
{
  UnionSource *self = instance;
  DatasetMulti *multi = &self->multi;

  while (self->current < multi->n_datasets && sluice_batch_get_length (batch) < max_entities)
    {
      g_autoptr (SluiceBatch) read = sluice_batch_new ();
      SluiceFlow flow = sluice_dataset_reader_read (multi->readers[self->current], read,
                                                    max_entities - sluice_batch_get_length (batch),
                                                    error);

      if (flow != SLUICE_FLOW_OK && flow != SLUICE_FLOW_EOS)
        return flow;
      for (size_t i = 0; i < sluice_batch_get_length (read); i++)
        {
          SluiceEntity *entity = sluice_batch_get (read, i);
          g_autofree char *id = self->prefix_ids
                                  ? g_strdup_printf ("%s:%s", multi->datasets[self->current],
                                                     sluice_entity_get_id (entity))
                                  : NULL;
          SluiceEntity *rebuilt;

          multi->offsets[self->current] = sluice_entity_get_offset (entity);
          rebuilt = dataset_multi_rebuild (sluice_entity_get_body (entity), id,
                                           dataset_multi_offsets (multi), error);
          if (rebuilt == NULL)
            {
              g_prefix_error (error, "union_datasets: dataset '%s', offset %" G_GINT64_FORMAT ": ",
                              multi->datasets[self->current], sluice_entity_get_offset (entity));
              return SLUICE_FLOW_ERROR;
            }
          sluice_batch_take (batch, rebuilt);
        }
      if (flow == SLUICE_FLOW_EOS)
        self->current++;
    }
  return self->current < multi->n_datasets ? SLUICE_FLOW_OK : SLUICE_FLOW_EOS;
}

static void
union_close (void *instance)
{
  UnionSource *self = instance;

  dataset_multi_close (&self->multi);
}

static const SluiceSourceCallbacks union_callbacks = {
  SLUICE_SOURCE_CALLBACKS_INIT,
  .create = union_create,
  .destroy = union_destroy,
  .get_capabilities = union_get_capabilities,
  .open = union_open,
  .read = union_read,
  .close = union_close,
};

const SluiceElementDescriptor dataset_union_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .type_name = "union_datasets",
  .description = "Reads several datasets one after the other, prefixing `_id`s with the dataset.",
  .options = union_options,
  .callbacks = &union_callbacks,
};
