/* endpoint-sink.c — the `http_endpoint` sink (digest §9.6): a JSON pull publisher.
 *
 * Its pipe is never pumped (SLUICE_ELEMENT_FLAG_NOT_PUMPED): clients GET
 * /api/publishers/<pipe>/entities[/<filename>], and the host runs the pipe's source and transforms
 * at request time (core/endpoints/sluice-pipe-reader.c, core/control/sluice-control-publications.c),
 * reading the options below from the configuration.  The sink's callbacks only refuse to be written.
 *
 * Not supported: the CSV, Excel, XML and SDShare feeds, and shareable links. */
#include "endpoint-elements.h"

static const char *const disposition_choices[] = { "attachment", "inline", NULL };

static const SluiceOptionSpec sink_options[] = {
  { .key = "filename", .types = SLUICE_OPTION_STRING,
    .description = "The file name for the Content-Disposition header of "
                   "GET /api/publishers/<pipe>/entities (a request naming a file in its path "
                   "uses that name instead)." },
  { .key = "content_disposition", .types = SLUICE_OPTION_STRING,
    .choices = disposition_choices,
    .description = "`attachment` or `inline`: the Content-Disposition type sent with a file "
                   "name (default: attachment)." },
  { .key = "comment", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,
    .description = "Free text for the reader of the configuration; ignored." },
  { NULL },
};

static void *
sink_create (SluiceElementContext *context, GError **error)
{
  return context;
}

static void
sink_destroy (void *instance)
{
}

static gboolean
sink_begin (void *instance, uint32_t run_flags, GError **error)
{
  const SluiceElementContext *context = instance;

  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_NOT_SUPPORTED,
               "an http_endpoint sink is never written by a run: clients read the pipe at "
               "GET /api/publishers/%s/entities",
               sluice_element_context_get_component_id (context));
  return FALSE;
}

static SluiceFlow
sink_write (void *instance, const SluiceBatch *batch, GError **error)
{
  return sink_begin (instance, 0, error) ? SLUICE_FLOW_OK : SLUICE_FLOW_ERROR;
}

static const SluiceSinkCallbacks sink_callbacks = {
  SLUICE_SINK_CALLBACKS_INIT,
  .create = sink_create,
  .destroy = sink_destroy,
  .begin = sink_begin,
  .write = sink_write,
};

const SluiceElementDescriptor endpoint_sink = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SINK,
  .flags = SLUICE_ELEMENT_FLAG_NOT_PUMPED,
  .type_name = "http_endpoint",
  .description = "Publishes the pipe's source, through its transforms, at "
                 "GET /api/publishers/<pipe>/entities (JSON pull protocol); the pipe is never "
                 "pumped.",
  .options = sink_options,
  .callbacks = &sink_callbacks,
};
