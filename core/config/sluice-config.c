/* sluice-config.c — a loaded, validated, immutable configuration (see sluice-config.h). */
#include <string.h>

#include "sluice-config.h"
#include "sluice-config-json.h"
#include "sluice-config-source.h"

G_DEFINE_QUARK (sluice-config-error-quark, sluice_config_error)

struct _SluiceConfigComponent
{
  char *id;
  char *type_name;
  SluiceComponentKind kind;
  JsonNode *node;
  char *file;
  guint line;
  char *generated_by;
  GHashTable *secret_pointers; /* char * set, or NULL */
  GHashTable *numbers;         /* JSON pointer -> number as written, or NULL */
};

struct _SluiceConfig
{
  GObject parent_instance;

  GPtrArray *components; /* of SluiceConfigComponent * */
  GHashTable *by_id;     /* borrowed _id -> borrowed component */
  guint n_files;
};

G_DEFINE_FINAL_TYPE (SluiceConfig, sluice_config, G_TYPE_OBJECT)

static void
sluice_config_finalize (GObject *object)
{
  SluiceConfig *self = SLUICE_CONFIG (object);

  g_hash_table_unref (self->by_id);
  g_ptr_array_unref (self->components);
  G_OBJECT_CLASS (sluice_config_parent_class)->finalize (object);
}

static void
sluice_config_class_init (SluiceConfigClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sluice_config_finalize;
}

static void
sluice_config_init (SluiceConfig *self)
{
  self->components = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_config_component_free);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
}

SluiceConfig *
sluice_config_new (guint n_files)
{
  SluiceConfig *self = g_object_new (SLUICE_TYPE_CONFIG, NULL);

  self->n_files = n_files;
  return self;
}

gboolean
sluice_config_add (SluiceConfig *config, SluiceConfigComponent *component)
{
  g_return_val_if_fail (SLUICE_IS_CONFIG (config), FALSE);

  if (g_hash_table_contains (config->by_id, component->id))
    {
      sluice_config_component_free (component);
      return FALSE;
    }
  g_ptr_array_add (config->components, component);
  g_hash_table_insert (config->by_id, component->id, component);
  return TRUE;
}

const GPtrArray *
sluice_config_get_components (SluiceConfig *config)
{
  g_return_val_if_fail (SLUICE_IS_CONFIG (config), NULL);
  return config->components;
}

SluiceConfigComponent *
sluice_config_lookup (SluiceConfig *config, const char *component_id)
{
  g_return_val_if_fail (SLUICE_IS_CONFIG (config), NULL);
  return g_hash_table_lookup (config->by_id, component_id);
}

guint
sluice_config_count (SluiceConfig *config, SluiceComponentKind kind)
{
  guint count = 0;

  g_return_val_if_fail (SLUICE_IS_CONFIG (config), 0);
  for (guint i = 0; i < config->components->len; i++)
    {
      SluiceConfigComponent *component = g_ptr_array_index (config->components, i);

      if (component->kind == kind)
        count++;
    }
  return count;
}

guint
sluice_config_get_n_files (SluiceConfig *config)
{
  g_return_val_if_fail (SLUICE_IS_CONFIG (config), 0);
  return config->n_files;
}

char *
sluice_config_to_json (SluiceConfig *config, gboolean pretty)
{
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) root = NULL;
  /* The numbers of every component, under the pointers they have in the array. */
  g_autoptr (GHashTable) numbers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_return_val_if_fail (SLUICE_IS_CONFIG (config), NULL);
  for (guint i = 0; i < config->components->len; i++)
    {
      const SluiceConfigComponent *component = g_ptr_array_index (config->components, i);
      GHashTableIter iter;
      gpointer pointer, text;

      json_array_add_element (array, sluice_config_component_dup_redacted (component));
      if (component->numbers == NULL)
        continue;
      g_hash_table_iter_init (&iter, component->numbers);
      while (g_hash_table_iter_next (&iter, &pointer, &text))
        g_hash_table_insert (numbers, g_strdup_printf ("/%u%s", i, (const char *) pointer), text);
    }
  root = json_node_init_array (json_node_alloc (), array);
  return sluice_config_json_write (root, numbers, "", pretty);
}

SluiceConfigComponent *
sluice_config_component_new (const char *component_id, const char *type_name,
                             SluiceComponentKind kind, JsonNode *node, const char *file,
                             guint line, const char *generated_by, GHashTable *secret_pointers,
                             GHashTable *numbers)
{
  SluiceConfigComponent *component = g_new0 (SluiceConfigComponent, 1);

  component->id = g_strdup (component_id);
  component->type_name = g_strdup (type_name);
  component->kind = kind;
  component->node = node;
  component->file = g_strdup (file);
  component->line = line;
  component->generated_by = g_strdup (generated_by);
  component->secret_pointers = secret_pointers ? g_hash_table_ref (secret_pointers) : NULL;
  component->numbers = numbers != NULL ? g_hash_table_ref (numbers) : NULL;
  return component;
}

void
sluice_config_component_free (SluiceConfigComponent *component)
{
  if (component == NULL)
    return;
  g_free (component->id);
  g_free (component->type_name);
  g_clear_pointer (&component->node, json_node_unref);
  g_free (component->file);
  g_free (component->generated_by);
  g_clear_pointer (&component->secret_pointers, g_hash_table_unref);
  g_clear_pointer (&component->numbers, g_hash_table_unref);
  g_free (component);
}

const char *
sluice_config_component_get_id (const SluiceConfigComponent *component)
{
  return component->id;
}

const char *
sluice_config_component_get_type_name (const SluiceConfigComponent *component)
{
  return component->type_name;
}

SluiceComponentKind
sluice_config_component_get_kind (const SluiceConfigComponent *component)
{
  return component->kind;
}

JsonNode *
sluice_config_component_get_node (const SluiceConfigComponent *component)
{
  return component->node;
}

const char *
sluice_config_component_get_file (const SluiceConfigComponent *component)
{
  return component->file;
}

guint
sluice_config_component_get_line (const SluiceConfigComponent *component)
{
  return component->line;
}

const char *
sluice_config_component_get_generated_by (const SluiceConfigComponent *component)
{
  return component->generated_by;
}

gboolean
sluice_config_component_is_secret (const SluiceConfigComponent *component, const char *pointer)
{
  g_autofree char *path = NULL;

  if (component->secret_pointers == NULL)
    return FALSE;
  /* A value inside a secret (an element of a secret list) is secret too. */
  path = g_strdup (pointer);
  for (;;)
    {
      char *slash;

      if (g_hash_table_contains (component->secret_pointers, path))
        return TRUE;
      slash = strrchr (path, '/');
      if (slash == NULL)
        return FALSE;
      *slash = '\0';
    }
}

static JsonNode *
redact (const SluiceConfigComponent *component, JsonNode *node, GString *pointer)
{
  gsize length = pointer->len;

  if (g_hash_table_contains (component->secret_pointers, pointer->str))
    return json_node_init_string (json_node_alloc (), SLUICE_CONFIG_REDACTED);

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr (JsonObject) copy = json_object_new ();
      JsonObjectIter iter;
      const char *key;
      JsonNode *member;

      json_object_iter_init_ordered (&iter, object);
      while (json_object_iter_next_ordered (&iter, &key, &member))
        {
          g_string_truncate (pointer, length);
          sluice_json_pointer_append (pointer, key);
          json_object_set_member (copy, key, redact (component, member, pointer));
        }
      g_string_truncate (pointer, length);
      return json_node_init_object (json_node_alloc (), copy);
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      g_autoptr (JsonArray) copy = json_array_new ();

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_string_truncate (pointer, length);
          sluice_json_pointer_append_index (pointer, i);
          json_array_add_element (copy,
                                  redact (component, json_array_get_element (array, i), pointer));
        }
      g_string_truncate (pointer, length);
      return json_node_init_array (json_node_alloc (), copy);
    }
  return json_node_copy (node);
}

JsonNode *
sluice_config_component_dup_redacted (const SluiceConfigComponent *component)
{
  g_autoptr (GString) pointer = g_string_new (NULL);

  if (component->secret_pointers == NULL || g_hash_table_size (component->secret_pointers) == 0)
    return json_node_copy (component->node);
  return redact (component, component->node, pointer);
}

GHashTable *
sluice_config_component_get_numbers (const SluiceConfigComponent *component)
{
  return component->numbers;
}
