/* rest-sink.c — the `rest` sink: one request per entity, with the operation, properties and
 * payload the entity chooses (digest §9.4; docs/http.md "rest sink").
 *
 * Entities are written one by one in batch order, whatever the batch size, so that a failure names
 * the one entity that failed and everything before it was acknowledged by the service.  The batch
 * then fails as a whole and the engine writes it again on the next run; the operations are expected
 * to be idempotent (PUT, or a guard such as an ETag), as for every external sink (DESIGN.md:
 * at-least-once).  A `_deleted` entity without its own `operation` uses `delete_operation` when the
 * sink has one.  Responses are not kept: use the rest transform to capture them. */
#include "http-elements.h"
#include "rest-operation.h"

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  RestElement *rest;
  RestOperation *delete_operation; /* borrowed from rest, or NULL */
} RestSink;

static const SluiceOptionSpec rest_sink_options[] = {
  REST_ELEMENT_SHARED_OPTIONS,
  { .key = "operation", .types = SLUICE_OPTION_STRING,
    .description = "The operation of entities without a string `operation` property." },
  { .key = "delete_operation", .types = SLUICE_OPTION_STRING,
    .description = "The operation of `_deleted` entities without their own `operation` "
                   "(default: the `operation` option, as in Sesam)." },
  { NULL },
};

static void
rest_sink_destroy (void *instance)
{
  RestSink *self = instance;

  g_clear_pointer (&self->rest, rest_element_free);
  g_free (self);
}

static void *
rest_sink_create (SluiceElementContext *context, GError **error)
{
  RestSink *self = g_new0 (RestSink, 1);
  const char *delete_operation = sluice_element_context_get_string (context, "delete_operation", NULL);

  self->context = context;
  self->rest = rest_element_new (context, "rest sink", FALSE, error);
  if (self->rest == NULL)
    {
      rest_sink_destroy (self);
      return NULL;
    }
  if (delete_operation != NULL)
    {
      self->delete_operation = rest_element_get_operation (self->rest, delete_operation,
                                                           "option 'delete_operation'", error);
      if (self->delete_operation == NULL)
        {
          rest_sink_destroy (self);
          return NULL;
        }
    }
  return self;
}

static gboolean
rest_sink_begin (void *instance, uint32_t run_flags, GError **error)
{
  return TRUE;
}

static SluiceFlow
rest_sink_write (void *instance, const SluiceBatch *batch, GError **error)
{
  RestSink *self = instance;

  for (size_t i = 0; i < sluice_batch_get_length (batch); i++)
    {
      SluiceEntity *entity = sluice_batch_get (batch, i);
      RestOperation *fallback = sluice_entity_is_deleted (entity) ? self->delete_operation : NULL;
      RestOperation *op = NULL;
      g_autoptr (RestRequest) request = rest_element_entity_request (self->rest, entity, fallback,
                                                                     &op, error);
      g_autoptr (HttpResponse) response = NULL;

      if (request == NULL)
        return SLUICE_FLOW_ERROR;
      response = rest_element_send (self->rest, op, request, 0, error);
      /* The system refused or could not be reached, after the system's own retries: the pump's
       * write retries decide what happens next (docs/retries.md).  Entities before this one were
       * written; writing them again is harmless (idempotent operations, change tracking). */
      if (response == NULL)
        {
          g_prefix_error (error, "rest sink: entity '%s': operation '%s': ",
                          sluice_entity_get_id (entity), op->name);
          return SLUICE_FLOW_RETRY;
        }
    }
  return SLUICE_FLOW_OK;
}

static gboolean
rest_sink_end (void *instance, gboolean success, GError **error)
{
  return TRUE;
}

static const SluiceSinkCallbacks rest_sink_callbacks = {
  SLUICE_SINK_CALLBACKS_INIT,
  .create = rest_sink_create,
  .destroy = rest_sink_destroy,
  .begin = rest_sink_begin,
  .write = rest_sink_write,
  .end = rest_sink_end,
};

const SluiceElementDescriptor http_rest_sink = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SINK,
  .flags = SLUICE_ELEMENT_FLAG_BLOCKING,
  .type_name = "rest",
  .description = "Sends each entity to a REST system with the operation it chooses.",
  .options = rest_sink_options,
  .callbacks = &rest_sink_callbacks,
};
