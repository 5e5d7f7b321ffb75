/* sluice-context.c — the element context: options and names handed to an element instance. */
#include "sluice-context.h"
#include "sluice-context-private.h"

struct _SluiceElementContext
{
  char *plugin_name;
  char *element_type;
  char *component_id;
  SluiceValue *options;
  SluiceValue *component;
  SluiceValue *bound;
  const SluiceHostServices *host;
  void *host_data;
};

SluiceElementContext *
sluice_element_context_new (const char *plugin_name, const char *element_type,
                            const char *component_id, SluiceValue *options)
{
  SluiceElementContext *context = g_new0 (SluiceElementContext, 1);

  context->plugin_name = g_strdup (plugin_name);
  context->element_type = g_strdup (element_type);
  context->component_id = g_strdup (component_id);
  context->options = options ? sluice_value_ref (options) : NULL;
  return context;
}

void
sluice_element_context_free (SluiceElementContext *context)
{
  if (context == NULL)
    return;
  g_free (context->plugin_name);
  g_free (context->element_type);
  g_free (context->component_id);
  g_clear_pointer (&context->options, sluice_value_unref);
  g_clear_pointer (&context->component, sluice_value_unref);
  g_clear_pointer (&context->bound, sluice_value_unref);
  g_free (context);
}

void
sluice_element_context_set_component (SluiceElementContext *context, SluiceValue *component)
{
  g_return_if_fail (context != NULL);

  if (component != NULL)
    sluice_value_ref (component);
  g_clear_pointer (&context->component, sluice_value_unref);
  context->component = component;
}

SluiceValue *
sluice_element_context_get_component (const SluiceElementContext *context)
{
  g_return_val_if_fail (context != NULL, NULL);

  return context->component;
}

void
sluice_element_context_set_bound (SluiceElementContext *context, SluiceValue *bound)
{
  g_return_if_fail (context != NULL);

  if (bound != NULL)
    sluice_value_ref (bound);
  g_clear_pointer (&context->bound, sluice_value_unref);
  context->bound = bound;
}

SluiceValue *
sluice_element_context_get_bound (const SluiceElementContext *context)
{
  g_return_val_if_fail (context != NULL, NULL);

  return context->bound;
}

SluiceValue *
sluice_element_context_get_options (const SluiceElementContext *context)
{
  g_return_val_if_fail (context != NULL, NULL);

  return context->options;
}

static SluiceValue *
lookup_option (const SluiceElementContext *context, const char *key, SluiceValueKind kind)
{
  SluiceValue *value;

  if (context->options == NULL || sluice_value_get_kind (context->options) != SLUICE_VALUE_DICT)
    return NULL;
  value = sluice_value_dict_lookup (context->options, key);
  if (value == NULL || sluice_value_get_kind (value) != kind)
    return NULL;
  return value;
}

const char *
sluice_element_context_get_string (const SluiceElementContext *context, const char *key,
                                   const char *fallback)
{
  SluiceValue *value;

  g_return_val_if_fail (context != NULL && key != NULL, fallback);
  value = lookup_option (context, key, SLUICE_VALUE_STRING);
  return value ? sluice_value_get_string (value, NULL) : fallback;
}

int64_t
sluice_element_context_get_integer (const SluiceElementContext *context, const char *key,
                                    int64_t fallback)
{
  SluiceValue *value;

  g_return_val_if_fail (context != NULL && key != NULL, fallback);
  value = lookup_option (context, key, SLUICE_VALUE_INTEGER);
  return value ? sluice_value_get_integer (value) : fallback;
}

gboolean
sluice_element_context_get_boolean (const SluiceElementContext *context, const char *key,
                                    gboolean fallback)
{
  SluiceValue *value;

  g_return_val_if_fail (context != NULL && key != NULL, fallback);
  value = lookup_option (context, key, SLUICE_VALUE_BOOLEAN);
  return value ? sluice_value_get_boolean (value) : fallback;
}

const char *
sluice_element_context_get_plugin_name (const SluiceElementContext *context)
{
  g_return_val_if_fail (context != NULL, NULL);

  return context->plugin_name;
}

const char *
sluice_element_context_get_element_type (const SluiceElementContext *context)
{
  g_return_val_if_fail (context != NULL, NULL);

  return context->element_type;
}

const char *
sluice_element_context_get_component_id (const SluiceElementContext *context)
{
  g_return_val_if_fail (context != NULL, NULL);

  return context->component_id;
}

void
sluice_element_context_set_host (SluiceElementContext *context, const SluiceHostServices *services,
                                 void *host_data)
{
  g_return_if_fail (context != NULL);

  context->host = services;
  context->host_data = host_data;
}

const SluiceHostServices *
sluice_element_context_get_host (const SluiceElementContext *context)
{
  g_return_val_if_fail (context != NULL, NULL);

  return context->host;
}

void *
sluice_element_context_get_host_data (const SluiceElementContext *context)
{
  g_return_val_if_fail (context != NULL, NULL);

  return context->host_data;
}

SluiceValue *
sluice_element_context_get_system (const SluiceElementContext *context, const char *system_id)
{
  const SluiceHostServices *host;

  g_return_val_if_fail (context != NULL && system_id != NULL, NULL);
  host = context->host;
  /* Hosts built before get_system was appended have a shorter struct: never read past it. */
  if (host == NULL || system_id == NULL
      || host->struct_size < G_STRUCT_OFFSET (SluiceHostServices, get_system) + sizeof (void *)
      || host->get_system == NULL)
    return NULL;
  return host->get_system (context->host_data, context, system_id);
}
