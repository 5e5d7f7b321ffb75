/* embedded-source.c — the `embedded` source: entities written inline in the pipe configuration
 * (digest §8.6).  Useful for small static data such as code lists, and for examples.
 *
 * When `supports_since` is on, the entities' own `_updated` values act as offsets: an incremental
 * run emits only the entities whose `_updated` sorts after the stored offset. */
#include "basic-elements.h"

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  SluiceValue *entities;         /* borrowed from the options: a LIST of DICTs */
  SluiceValue *since; /* owned; NULL on a full run */
  size_t next;
} EmbeddedSource;

static const SluiceOptionSpec embedded_options[] = {
  { .key = "entities", .types = SLUICE_OPTION_ARRAY,
    .flags = SLUICE_OPTION_FLAG_REQUIRED | SLUICE_OPTION_FLAG_ENTITIES,
    .description = "The entities to emit, in order. Each is an object with a string `_id`. "
                   "Numbers are read as a receiver reads them: 0.1 is an exact decimal." },
  { .key = "system", .types = SLUICE_OPTION_STRING,
    .description = "The `_id` of a system this data belongs to; informational only." },
  SOURCE_COMMON_OPTIONS ("false", "true", "false"),
  { NULL },
};

static void *
embedded_create (SluiceElementContext *context, GError **error)
{
  SluiceValue *options = sluice_element_context_get_options (context);
  SluiceValue *entities = sluice_value_dict_lookup (options, "entities");
  EmbeddedSource *self;

  for (size_t i = 0; i < sluice_value_list_get_length (entities); i++)
    {
      SluiceValue *entity = sluice_value_list_get (entities, i);
      SluiceValue *id;

      if (sluice_value_get_kind (entity) != SLUICE_VALUE_DICT)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                       "entities/%zu: expected an object, got a %s", i,
                       sluice_value_kind_get_name (sluice_value_get_kind (entity)));
          return NULL;
        }
      id = sluice_value_dict_lookup (entity, "_id");
      if (id == NULL || sluice_value_get_kind (id) != SLUICE_VALUE_STRING)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                       "entities/%zu: every entity needs a string `_id`", i);
          return NULL;
        }
    }

  self = g_new0 (EmbeddedSource, 1);
  self->context = context;
  self->entities = entities;
  return self;
}

static void
embedded_destroy (void *instance)
{
  EmbeddedSource *self = instance;

  g_clear_pointer (&self->since, sluice_value_unref);
  g_free (self);
}

static uint32_t
embedded_get_capabilities (void *instance)
{
  EmbeddedSource *self = instance;

  return source_common_get_capabilities (self->context);
}

static gboolean
embedded_open (void *instance, uint32_t run_flags, const SluiceValue *since, GError **error)
{
  EmbeddedSource *self = instance;

  g_clear_pointer (&self->since, sluice_value_unref);
  self->since = source_common_dup_since (self->context, run_flags, since);
  self->next = 0;
  return TRUE;
}

static SluiceFlow
embedded_read (void *instance, SluiceBatch *batch, uint32_t max_entities, GError **error)
{
  EmbeddedSource *self = instance;
  size_t count = sluice_value_list_get_length (self->entities);
  uint32_t added = 0;

  while (self->next < count && added < max_entities)
    {
      SluiceValue *body = sluice_value_list_get (self->entities, self->next++);
      SluiceEntity *entity;

      if (!source_common_is_after_since (self->since, body))
        continue;
      entity = sluice_entity_new (body, error);
      if (entity == NULL)
        {
          g_prefix_error (error, "embedded source: entity %zu (counting from 0): ", self->next - 1);
          return SLUICE_FLOW_ERROR;
        }
      sluice_batch_take (batch, entity);
      added++;
    }
  return self->next < count ? SLUICE_FLOW_OK : SLUICE_FLOW_EOS;
}

static void
embedded_close (void *instance)
{
  EmbeddedSource *self = instance;

  g_clear_pointer (&self->since, sluice_value_unref);
}

static const SluiceSourceCallbacks embedded_callbacks = {
  SLUICE_SOURCE_CALLBACKS_INIT,
  .create = embedded_create,
  .destroy = embedded_destroy,
  .get_capabilities = embedded_get_capabilities,
  .open = embedded_open,
  .read = embedded_read,
  .close = embedded_close,
};

const SluiceElementDescriptor basic_embedded_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .type_name = "embedded",
  .description = "Emits entities written inline in the configuration.",
  .options = embedded_options,
  .callbacks = &embedded_callbacks,
};
