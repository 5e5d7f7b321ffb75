/* empty-source.c — the `empty` source: produces nothing (digest §8.7).  A pipe with it and a
 * dataset sink empties the dataset on a full run, through deletion tracking. */
#include "basic-elements.h"

static const SluiceOptionSpec empty_options[] = {
  { .key = "comment", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,
    .description = "Free text for the reader of the configuration; ignored." },
  { NULL },
};

/* The source keeps no state; a non-NULL instance pointer is all the host needs. */
static void *
empty_create (SluiceElementContext *context, GError **error)
{
  return context;
}

static void
empty_destroy (void *instance)
{
}

static gboolean
empty_open (void *instance, uint32_t run_flags, const SluiceValue *since, GError **error)
{
  return TRUE;
}

static SluiceFlow
empty_read (void *instance, SluiceBatch *batch, uint32_t max_entities, GError **error)
{
  return SLUICE_FLOW_EOS;
}

static const SluiceSourceCallbacks empty_callbacks = {
  SLUICE_SOURCE_CALLBACKS_INIT,
  .create = empty_create,
  .destroy = empty_destroy,
  .open = empty_open,
  .read = empty_read,
};

const SluiceElementDescriptor basic_empty_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .type_name = "empty",
  .description = "Produces no entities.",
  .options = empty_options,
  .callbacks = &empty_callbacks,
};
