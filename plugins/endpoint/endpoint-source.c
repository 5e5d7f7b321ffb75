/* endpoint-source.c — the `http_endpoint` source (digest §8.12): a JSON push receiver.
 *
 * Its pipe is never pumped (SLUICE_ELEMENT_FLAG_NOT_PUMPED): entities arrive with
 * POST /api/receivers/<pipe>/entities, and the host pushes them through the pipe's transforms
 * into its sink itself (core/endpoints/sluice-pipe-push.c), reading the options below from the
 * configuration.  The source's callbacks exist only to say so when something tries to read it.
 * Continuation is fixed: no since, comparable, not chronological.
 *
 * Not supported (an unknown key is a configuration error): `trace`, `validation_expression`,
 * and the SDShare receiver. */
#include "endpoint-elements.h"

static const SluiceOptionSpec source_options[] = {
  { .key = "auto_populate_dataset", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true",
    .description = "Mark the sink dataset populated after each push.  Set it to false when the "
                   "first push is a full sync: the dataset is then populated when the first full "
                   "sync ends, so that downstream pipes wait for it." },
  { .key = "do_float_as_decimal", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true",
    .description = "Numbers with a fraction or an exponent become decimals; false: floats." },
  { .key = "do_float_as_int", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true",
    .description = "Numbers like 2.0 become the integer 2." },
  { .key = "comment", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,
    .description = "Free text for the reader of the configuration; ignored." },
  { NULL },
};

/* The source keeps no state; a non-NULL instance pointer is all the host needs. */
static void *
source_create (SluiceElementContext *context, GError **error)
{
  return context;
}

static void
source_destroy (void *instance)
{
}

static uint32_t
source_get_capabilities (void *instance)
{
  return SLUICE_SOURCE_IS_SINCE_COMPARABLE;
}

static gboolean
source_open (void *instance, uint32_t run_flags, const SluiceValue *since, GError **error)
{
  const SluiceElementContext *context = instance;

  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_NOT_SUPPORTED,
               "an http_endpoint source is never read by a run: its entities are pushed to "
               "POST /api/receivers/%s/entities",
               sluice_element_context_get_component_id (context));
  return FALSE;
}

static SluiceFlow
source_read (void *instance, SluiceBatch *batch, uint32_t max_entities, GError **error)
{
  return SLUICE_FLOW_EOS;
}

static const SluiceSourceCallbacks source_callbacks = {
  SLUICE_SOURCE_CALLBACKS_INIT,
  .create = source_create,
  .destroy = source_destroy,
  .get_capabilities = source_get_capabilities,
  .open = source_open,
  .read = source_read,
};

const SluiceElementDescriptor endpoint_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .flags = SLUICE_ELEMENT_FLAG_NOT_PUMPED,
  .type_name = "http_endpoint",
  .description = "Receives entities pushed to POST /api/receivers/<pipe>/entities (JSON push "
                 "protocol); the pipe is never pumped.",
  .options = source_options,
  .callbacks = &source_callbacks,
};
