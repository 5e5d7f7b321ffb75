/* null-sink.c — the `null` sink: accepts every batch and keeps nothing (digest §9.8). */
#include "basic-elements.h"

static const SluiceOptionSpec null_options[] = {
  { .key = "comment", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,
    .description = "Free text for the reader of the configuration; ignored." },
  { NULL },
};

static void *
null_create (SluiceElementContext *context, GError **error)
{
  return context;
}

static void
null_destroy (void *instance)
{
}

static gboolean
null_begin (void *instance, uint32_t run_flags, GError **error)
{
  return TRUE;
}

static SluiceFlow
null_write (void *instance, const SluiceBatch *batch, GError **error)
{
  return SLUICE_FLOW_OK;
}

static gboolean
null_end (void *instance, gboolean success, GError **error)
{
  return TRUE;
}

static const SluiceSinkCallbacks null_callbacks = {
  SLUICE_SINK_CALLBACKS_INIT,
  .create = null_create,
  .destroy = null_destroy,
  .begin = null_begin,
  .write = null_write,
  .end = null_end,
};

const SluiceElementDescriptor basic_null_sink = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SINK,
  .type_name = "null",
  .description = "Discards every entity; never fails.",
  .options = null_options,
  .callbacks = &null_callbacks,
};
