/* sluice-engine.c — SluiceEngine: one SluicePipe per pipe component, and the pipe graph. */
#include "sluice-config-json.h"
#include "sluice-config-source.h"
#include "sluice-engine.h"
#include "sluice-config-validate.h"
#include "sluice-option-table.h"

struct _SluiceEngine
{
  GObject parent_instance;

  SluiceRegistry *registry;
  SluiceConfig *config;
  SluiceStoreBackend *store; /* borrowed */
  GPtrArray *pipes;          /* SluicePipe *, configuration order */
  GHashTable *by_id;         /* id → SluicePipe * (borrowed from pipes) */
  GHashTable *systems;       /* system `_id` → SluiceValue * (its options, defaults filled in) */
  SluicePipeGraph *graph;
};

G_DEFINE_TYPE (SluiceEngine, sluice_engine, G_TYPE_OBJECT)

/* The line and column of @pointer inside @component, found by parsing its file again: the
 * configuration keeps only where each component starts, and this is needed only to report a
 * problem.  Leaves the position alone when the file changed or cannot be read. */
static void
locate (const SluiceConfigComponent *component, const char *pointer, guint *ret_line,
        guint *ret_column)
{
  const char *file = sluice_config_component_get_file (component);
  g_autofree char *text = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *full = NULL;
  g_autoptr (SluiceConfigSource) source = NULL;
  JsonNode *root;
  gsize length;

  if (file == NULL || !g_file_get_contents (file, &text, &length, NULL))
    return;
  source = sluice_config_source_parse (file, text, length, NULL, NULL, NULL);
  if (source == NULL)
    return;
  root = sluice_config_source_get_root (source);
  if (JSON_NODE_HOLDS_ARRAY (root))
    {
      /* The component is the element of the file's array that starts on its line. */
      for (guint i = 0; i < json_array_get_length (json_node_get_array (root)) && prefix == NULL;
           i++)
        {
          g_autofree char *candidate = g_strdup_printf ("/%u", i);
          guint line = 0, column = 0;

          if (sluice_config_source_locate (source, candidate, FALSE, &line, &column)
              && line == sluice_config_component_get_line (component))
            prefix = g_steal_pointer (&candidate);
        }
      if (prefix == NULL)
        return;
    }
  full = g_strconcat (prefix != NULL ? prefix : "", pointer != NULL ? pointer : "", NULL);
  sluice_config_source_locate (source, full, FALSE, ret_line, ret_column);
}

/* What elements see of a system component (sluice_element_context_get_system ()): its object with
 * the defaults of its element filled in.  Validation ran before, so a system whose type no plugin
 * provides is not here to build. */
static SluiceValue *
build_system (SluiceRegistry *registry, SluiceConfigComponent *component)
{
  const SluiceElementDescriptor *element;
  g_autoptr (JsonNode) copy = json_node_copy (sluice_config_component_get_node (component));
  SluiceOptionTable table = { NULL, 0 };

  element = sluice_registry_lookup_element (registry, SLUICE_ELEMENT_KIND_SYSTEM,
                                            sluice_config_component_get_type_name (component),
                                            NULL, NULL);
  if (element != NULL && JSON_NODE_HOLDS_OBJECT (copy))
    {
      table = sluice_option_table_from_element (element);
      sluice_config_fill_defaults (json_node_get_object (copy), &table);
    }
  return sluice_config_json_to_value (copy, sluice_config_component_get_numbers (component), "",
                                      &table, NULL);
}

static SluiceValue *
lookup_system (const char *system_id, gpointer user_data)
{
  SluiceEngine *engine = user_data;

  return g_hash_table_lookup (engine->systems, system_id);
}

SluiceHostSystemLookup
sluice_engine_get_system_lookup (SluiceEngine *engine)
{
  return lookup_system;
}

SluiceValue *
sluice_engine_get_system (SluiceEngine *engine, const char *system_id)
{
  return lookup_system (system_id, engine);
}

SluiceEngine *
sluice_engine_new (SluiceRegistry *registry, SluiceConfig *config, SluiceStoreBackend *store,
                   SluiceConfigDiagnostics *diagnostics, GError **error)
{
  g_autoptr (SluiceEngine) engine = g_object_new (SLUICE_TYPE_ENGINE, NULL);
  g_autoptr (SluiceConfigDiagnostics) own_diagnostics = NULL;
  const GPtrArray *components = sluice_config_get_components (config);
  guint n_problems = 0;

  if (diagnostics == NULL)
    diagnostics = own_diagnostics = sluice_config_diagnostics_new ();
  engine->registry = g_object_ref (registry);
  engine->config = g_object_ref (config);
  engine->store = store;

  /* Systems first: elements look theirs up while they are created. */
  for (guint i = 0; i < components->len; i++)
    {
      SluiceConfigComponent *component = g_ptr_array_index (components, i);
      SluiceValue *system;

      if (sluice_config_component_get_kind (component) != SLUICE_COMPONENT_SYSTEM)
        continue;
      system = build_system (registry, component);
      if (system != NULL)
        g_hash_table_insert (engine->systems, g_strdup (sluice_config_component_get_id (component)),
                             system);
    }

  for (guint i = 0; i < components->len; i++)
    {
      SluiceConfigComponent *component = g_ptr_array_index (components, i);
      const char *id = sluice_config_component_get_id (component);
      g_autoptr (GError) local_error = NULL;
      g_autofree char *pointer = NULL;
      SluicePipe *pipe;

      if (sluice_config_component_get_kind (component) != SLUICE_COMPONENT_PIPE)
        continue;
      pipe = sluice_pipe_new_located (engine, id, &pointer, &local_error);
      if (pipe == NULL)
        {
          const char *generated_by = sluice_config_component_get_generated_by (component);

          n_problems++;
          if (generated_by != NULL)
            sluice_config_diagnostics_add (
              diagnostics, sluice_config_component_get_file (component),
              sluice_config_component_get_line (component), 0, generated_by, NULL,
              "%s%s%s (in pipe '%s' generated by pattern '%s')", pointer != NULL ? pointer : "",
              pointer != NULL ? ": " : "", local_error->message, id, generated_by);
          else
            {
              guint line = sluice_config_component_get_line (component), column = 0;

              locate (component, pointer, &line, &column);
              sluice_config_diagnostics_add_literal (diagnostics,
                                                     sluice_config_component_get_file (component),
                                                     line, column, id, pointer,
                                                     local_error->message);
            }
          continue;
        }
      g_ptr_array_add (engine->pipes, pipe);
      g_hash_table_insert (engine->by_id, (gpointer) sluice_pipe_get_id (pipe), pipe);
      sluice_pipe_graph_add_pipe (engine->graph, id, sluice_pipe_get_input_datasets (pipe),
                                  sluice_pipe_get_output_datasets (pipe));
    }

  if (n_problems > 0)
    {
      g_autofree char *summary = sluice_config_diagnostics_format_summary (diagnostics);

      g_set_error (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_INVALID, "%s", summary);
      return NULL;
    }
  return g_steal_pointer (&engine);
}

SluiceRegistry *
sluice_engine_get_registry (SluiceEngine *engine)
{
  return engine->registry;
}

SluiceConfig *
sluice_engine_get_config (SluiceEngine *engine)
{
  return engine->config;
}

SluiceStoreBackend *
sluice_engine_get_store (SluiceEngine *engine)
{
  return engine->store;
}

const GPtrArray *
sluice_engine_get_pipes (SluiceEngine *engine)
{
  return engine->pipes;
}

SluicePipe *
sluice_engine_lookup_pipe (SluiceEngine *engine, const char *pipe_id)
{
  return g_hash_table_lookup (engine->by_id, pipe_id);
}

SluicePipeGraph *
sluice_engine_get_graph (SluiceEngine *engine)
{
  return engine->graph;
}

/* The object member @key, or NULL (json-glib 1.6 has no _with_default for objects). */
static JsonObject *
get_object_member (JsonObject *object, const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

const char *
sluice_engine_get_pump_mode (SluiceEngine *engine, const char *pipe_id)
{
  SluiceConfigComponent *component = sluice_config_lookup (engine->config, pipe_id);
  JsonObject *object, *pump;

  if (component == NULL)
    return NULL;
  object = json_node_get_object (sluice_config_component_get_node (component));
  pump = get_object_member (object, "pump");
  if (pump == NULL)
    return "scheduled";
  return json_object_get_string_member_with_default (pump, "mode", "scheduled");
}

gboolean
sluice_engine_pipe_is_enabled (SluiceEngine *engine, const char *pipe_id)
{
  SluicePipe *pipe = sluice_engine_lookup_pipe (engine, pipe_id);

  /* Receivers and publishers are never pumped (sluice_pipe_is_pumped ()). */
  if (pipe != NULL && !sluice_pipe_is_pumped (pipe))
    return FALSE;
  return g_strcmp0 (sluice_engine_get_pump_mode (engine, pipe_id), "scheduled") == 0;
}

static void
sluice_engine_finalize (GObject *object)
{
  SluiceEngine *engine = SLUICE_ENGINE (object);

  g_hash_table_destroy (engine->by_id);
  g_ptr_array_unref (engine->pipes);
  g_hash_table_destroy (engine->systems);
  sluice_pipe_graph_free (engine->graph);
  g_clear_object (&engine->config);
  g_clear_object (&engine->registry);
  G_OBJECT_CLASS (sluice_engine_parent_class)->finalize (object);
}

static void
sluice_engine_class_init (SluiceEngineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sluice_engine_finalize;
}

static void
sluice_engine_init (SluiceEngine *engine)
{
  engine->pipes = g_ptr_array_new_with_free_func (g_object_unref);
  engine->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  engine->systems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) sluice_value_unref);
  engine->graph = sluice_pipe_graph_new ();
}
