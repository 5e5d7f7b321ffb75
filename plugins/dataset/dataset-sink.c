/* dataset-sink.c — the `dataset` sink (digest §9.1): appends each batch to a dataset with change
 * tracking.  The host appends inside the batch's transaction and commits it together with the
 * pipe offset, so the sink itself needs no bookkeeping.  A successful full run marks the dataset
 * populated (digest §2.2). */
#include "dataset-elements.h"

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  const char *dataset;           /* borrowed from the options or the context */
  gboolean full;
} DatasetSink;

static const SluiceOptionSpec sink_options[] = {
  { .key = "dataset", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_DATASET,
    .description = "The `_id` of the dataset to write (default: the pipe `_id`)." },
  { .key = "comment", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,
    .description = "Free text for the reader of the configuration; ignored." },
  { NULL },
};

static void *
sink_create (SluiceElementContext *context, GError **error)
{
  DatasetSink *self = g_new0 (DatasetSink, 1);

  self->context = context;
  self->dataset = sluice_element_context_get_string (
    context, "dataset", sluice_element_context_get_component_id (context));
  return self;
}

static void
sink_destroy (void *instance)
{
  g_free (instance);
}

static gboolean
sink_begin (void *instance, uint32_t run_flags, GError **error)
{
  DatasetSink *self = instance;

  self->full = (run_flags & SLUICE_RUN_FLAG_FULL) != 0;
  return TRUE;
}

static SluiceFlow
sink_write (void *instance, const SluiceBatch *batch, GError **error)
{
  DatasetSink *self = instance;

  if (!sluice_dataset_append (self->context, self->dataset, batch, 0, NULL, error))
    return SLUICE_FLOW_ERROR;
  return SLUICE_FLOW_OK;
}

static gboolean
sink_end (void *instance, gboolean success, GError **error)
{
  DatasetSink *self = instance;

  if (success && self->full)
    return sluice_dataset_set_populated (self->context, self->dataset, error);
  return TRUE;
}

static const SluiceSinkCallbacks sink_callbacks = {
  SLUICE_SINK_CALLBACKS_INIT,
  .create = sink_create,
  .destroy = sink_destroy,
  .begin = sink_begin,
  .write = sink_write,
  .end = sink_end,
};

const SluiceElementDescriptor dataset_sink = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SINK,
  .type_name = "dataset",
  .description = "Appends entities to a dataset with change tracking.",
  .options = sink_options,
  .callbacks = &sink_callbacks,
};
