/* sluice-pipe-instances.c — fresh element instances of a pipe, for readers and receivers. */
#include "sluice-config-json.h"
#include "sluice-config-validate.h"
#include "sluice-option-table.h"
#include "sluice-pipe-instances.h"

typedef struct
{
  const SluiceElementDescriptor *descriptor; /* borrowed from the registry */
  SluiceElementContext *context;
  void *instance;
  char *pointer;
  char *type_name;
  gboolean side_effects; /* configured `side_effects: true` */
} Instance;

static void
instance_free (Instance *element)
{
  if (element->instance != NULL)
    {
      /* Every callback table starts with struct_size, create, destroy. */
      const SluiceSourceCallbacks *cb = element->descriptor->callbacks;

      if (cb->destroy != NULL)
        cb->destroy (element->instance);
    }
  g_clear_pointer (&element->context, sluice_element_context_free);
  g_free (element->pointer);
  g_free (element->type_name);
  g_free (element);
}

static Instance *
build (SluiceEngine *engine, const char *pipe_id, SluiceValue *component, GHashTable *numbers,
       SluiceHostDatasets *host, JsonNode *node, SluiceElementKind kind, const char *pointer,
       SluiceValue *bound, SluiceValue **ret_options, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (JsonNode) copy = NULL;
  g_autoptr (SluiceValue) options = NULL;
  const SluicePluginInfo *plugin = NULL;
  SluiceOptionTable table;
  JsonObject *object;
  Instance *element;
  const SluiceSourceCallbacks *cb;

  /* The engine built this pipe from the same configuration, so its shape was checked. */
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG,
                   "%s: expected an object with a string \"type\"", pointer);
      return NULL;
    }
  object = json_node_get_object (node);
  element = g_new0 (Instance, 1);
  element->pointer = g_strdup (pointer);
  element->type_name = g_strdup (json_object_get_string_member_with_default (object, "type", ""));
  element->side_effects = json_object_get_boolean_member_with_default (object, "side_effects",
                                                                       FALSE);
  element->descriptor = sluice_registry_lookup_element (sluice_engine_get_registry (engine), kind,
                                                        element->type_name, &plugin, &local_error);
  if (element->descriptor == NULL)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG, "%s/type: %s", pointer,
                   local_error->message);
      instance_free (element);
      return NULL;
    }
  copy = sluice_pipe_element_options (element->descriptor, kind, node, pipe_id);
  table = sluice_option_table_from_element (element->descriptor);
  options = sluice_config_json_to_value (copy, numbers, pointer, &table, &local_error);
  if (options == NULL)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG, "%s: %s", pointer,
                   local_error->message);
      instance_free (element);
      return NULL;
    }
  element->context = sluice_element_context_new (plugin->descriptor->name, element->type_name,
                                                 pipe_id, options);
  sluice_element_context_set_component (element->context, component);
  sluice_element_context_set_bound (element->context, bound);
  sluice_host_datasets_attach (host, element->context);
  cb = element->descriptor->callbacks;
  if (cb->create != NULL
      && (element->instance = cb->create (element->context, &local_error)) == NULL)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG, "%s: %s", pointer,
                   local_error != NULL ? local_error->message
                                       : "the element's create callback failed without saying "
                                         "why");
      instance_free (element);
      return NULL;
    }
  if (ret_options != NULL)
    *ret_options = g_steal_pointer (&options);
  return element;
}

static SluiceRunElement
run_element (const Instance *element)
{
  return (SluiceRunElement) { element->descriptor->callbacks, element->instance, element->pointer,
                              element->type_name };
}

SluicePipeInstances *
sluice_pipe_instances_new (SluiceEngine *engine, const char *pipe_id, guint32 which,
                           SluiceValue *bound, GError **error)
{
  SluiceConfigComponent *component
    = sluice_config_lookup (sluice_engine_get_config (engine), pipe_id);
  g_autoptr (SluicePipeInstances) self = g_new0 (SluicePipeInstances, 1);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (SluiceValue) component_value = NULL;
  GHashTable *numbers;
  SluiceOptionTable pipe_table = sluice_config_get_pipe_options ();
  g_autoptr (GPtrArray) transforms = g_ptr_array_new ();
  JsonObject *object;
  JsonNode *transform;
  Instance *element;

  if (component == NULL || sluice_config_component_get_kind (component) != SLUICE_COMPONENT_PIPE)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG,
                   "the configuration has no pipe '%s'", pipe_id);
      return NULL;
    }
  self->engine = g_object_ref (engine);
  self->elements = g_ptr_array_new_with_free_func ((GDestroyNotify) instance_free);
  self->host = sluice_host_datasets_new (sluice_engine_get_store (engine),
                                         sluice_engine_get_system_lookup (engine), engine);
  node = json_node_copy (sluice_config_component_get_node (component));
  object = json_node_get_object (node);
  sluice_config_fill_defaults (object, &pipe_table);
  numbers = sluice_config_component_get_numbers (component);
  component_value = sluice_pipe_component_value (sluice_engine_get_registry (engine), node,
                                                 numbers, error);
  if (component_value == NULL)
    return NULL;

  if (which & SLUICE_PIPE_INSTANCES_SOURCE)
    {
      element = build (engine, pipe_id, component_value, numbers, self->host,
                       json_object_get_member (object, "source"), SLUICE_ELEMENT_KIND_SOURCE,
                       "/source", bound, &self->source_options, error);
      if (element == NULL)
        return NULL;
      g_ptr_array_add (self->elements, element);
      self->source = run_element (element);
      self->source_flags = element->descriptor->flags;
    }
  transform = json_object_get_member (object, "transform");
  if ((which & SLUICE_PIPE_INSTANCES_TRANSFORMS) && transform != NULL
      && !JSON_NODE_HOLDS_NULL (transform))
    {
      gboolean list = JSON_NODE_HOLDS_ARRAY (transform);
      guint n = list ? json_array_get_length (json_node_get_array (transform)) : 1;

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *pointer = list ? g_strdup_printf ("/transform/%u", i)
                                          : g_strdup ("/transform");

          element = build (engine, pipe_id, component_value, numbers, self->host,
                           list ? json_array_get_element (json_node_get_array (transform), i)
                                : transform,
                           SLUICE_ELEMENT_KIND_TRANSFORM, pointer, bound, NULL, error);
          if (element == NULL)
            return NULL;
          g_ptr_array_add (self->elements, element);
          g_ptr_array_add (transforms, element);
        }
    }
  self->n_transforms = transforms->len;
  self->transforms = g_new0 (SluiceRunElement, transforms->len + 1);
  for (guint i = 0; i < transforms->len; i++)
    self->transforms[i] = run_element (g_ptr_array_index (transforms, i));
  if (which & SLUICE_PIPE_INSTANCES_SINK)
    {
      element = build (engine, pipe_id, component_value, numbers, self->host,
                       json_object_get_member (object, "sink"), SLUICE_ELEMENT_KIND_SINK, "/sink",
                       bound, &self->sink_options, error);
      if (element == NULL)
        return NULL;
      g_ptr_array_add (self->elements, element);
      self->sink = run_element (element);
      self->sink_flags = element->descriptor->flags;
    }
  return g_steal_pointer (&self);
}

void
sluice_pipe_instances_free (SluicePipeInstances *instances)
{
  if (instances == NULL)
    return;
  /* The reverse of the order of creation: the sink and transforms go before the source. */
  if (instances->elements != NULL)
    while (instances->elements->len > 0)
      g_ptr_array_remove_index (instances->elements, instances->elements->len - 1);
  g_clear_pointer (&instances->elements, g_ptr_array_unref);
  g_free (instances->transforms);
  g_clear_pointer (&instances->host, sluice_host_datasets_free);
  g_clear_pointer (&instances->source_options, sluice_value_unref);
  g_clear_pointer (&instances->sink_options, sluice_value_unref);
  g_clear_object (&instances->engine);
  g_free (instances);
}

SluiceBatch *
sluice_pipe_instances_transform (SluicePipeInstances *instances, const SluiceBatch *batch,
                                 GError **error)
{
  SluiceBatch *current = sluice_batch_new ();

  for (size_t i = 0; i < sluice_batch_get_length (batch); i++)
    sluice_batch_add (current, sluice_batch_get (batch, i));
  for (guint i = 0; i < instances->n_transforms; i++)
    {
      const SluiceRunElement *element = &instances->transforms[i];
      const SluiceTransformCallbacks *cb = element->callbacks;
      g_autoptr (SluiceBatch) input = current;
      g_autoptr (GError) local_error = NULL;
      SluiceFlow flow;

      current = sluice_batch_new ();
      flow = cb->transform (element->instance, input, current, &local_error);
      if (flow != SLUICE_FLOW_OK && flow != SLUICE_FLOW_EOS)
        {
          g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                       "%s (type '%s') failed: %s", element->pointer, element->type_name,
                       local_error != NULL ? local_error->message : "failed without saying why");
          sluice_batch_free (current);
          return NULL;
        }
    }
  return current;
}

int
sluice_pipe_instances_find_side_effects (SluicePipeInstances *instances)
{
  guint n = 0;

  for (guint i = 0; i < instances->elements->len; i++)
    {
      Instance *element = g_ptr_array_index (instances->elements, i);

      if (element->descriptor->kind != SLUICE_ELEMENT_KIND_TRANSFORM)
        continue;
      if (element->side_effects || (element->descriptor->flags & SLUICE_ELEMENT_FLAG_SIDE_EFFECTS))
        return (int) n;
      n++;
    }
  return -1;
}
