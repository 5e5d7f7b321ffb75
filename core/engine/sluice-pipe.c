/* sluice-pipe.c — SluicePipe: builds the element instances of a pipe component and runs them on a
 * worker thread, one run at a time, forwarding what the run reports to signals on the main
 * context of the thread that started it. */
#include <stdlib.h>
#include <string.h>

#include "sluice-engine.h"
#include "sluice-execution-log.h"
#include "sluice-host-datasets.h"
#include "sluice-main-context.h"
#include "sluice-option-table.h"
#include "sluice-config-json.h"
#include "sluice-config-source.h"
#include "sluice-config-validate.h"
#include "sluice-pipe-instances.h"
#include "sluice-run.h"
#include "sluice-pipe.h"


typedef struct
{
  const SluiceElementDescriptor *descriptor; /* borrowed from the registry */
  SluiceElementContext *context;
  void *instance;
  char *pointer;   /* "/source", "/transform/0", "/sink" */
  char *type_name;
} Element;

struct _SluicePipe
{
  GObject parent_instance;

  SluiceEngine *engine; /* borrowed: the engine outlives its pipes */
  char *id;
  SluiceValue *component; /* the pipe's configuration, defaults filled in */
  SluiceHostDatasets *host;
  Element source;
  GPtrArray *transforms; /* Element * */
  Element sink;
  SluiceRunElement *run_transforms;
  guint batch_size;
  guint checkpoint_interval;
  gboolean durable;
  gboolean public_read;
  SluiceContinuation continuation;
  char **inputs;
  char **outputs;
  char **source_inputs;          /* the datasets the source alone reads */
  gboolean fail_if_source_empty; /* /source/if_source_empty is "fail" */
  gboolean require_populated_input;
  double partial_rescan_delta; /* /pump/partial_rescan_delta; < 0 when not set */
  SluiceRetryPolicy retry_policy; /* the retry keys of /pump */

  SluicePipeStatus status;
  gboolean running;
  SluiceRunStats *last_stats;
};

enum
{
  PROP_0,
  PROP_STATUS,
  N_PROPS,
};

enum
{
  SIGNAL_RUN_STARTED,
  SIGNAL_PROGRESS,
  SIGNAL_BATCH_COMMITTED,
  SIGNAL_FINISHED,
  SIGNAL_FAILED,
  N_SIGNALS,
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (SluicePipe, sluice_pipe, G_TYPE_OBJECT)

/* The status enumeration. */

GType
sluice_pipe_status_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { SLUICE_PIPE_STATUS_IDLE, "SLUICE_PIPE_STATUS_IDLE", "idle" },
    { SLUICE_PIPE_STATUS_RUNNING, "SLUICE_PIPE_STATUS_RUNNING", "running" },
    { SLUICE_PIPE_STATUS_FAILED, "SLUICE_PIPE_STATUS_FAILED", "failed" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("SluicePipeStatus", values));
  return type;
}

/* Building. */

static void
element_clear (Element *element)
{
  if (element->instance != NULL && element->descriptor != NULL)
    {
      /* Every callback table starts with struct_size, create, destroy. */
      const SluiceSourceCallbacks *cb = element->descriptor->callbacks;

      if (cb->destroy != NULL)
        cb->destroy (element->instance);
    }
  element->instance = NULL;
  g_clear_pointer (&element->context, sluice_element_context_free);
  g_clear_pointer (&element->pointer, g_free);
  g_clear_pointer (&element->type_name, g_free);
}

static void
element_free (Element *element)
{
  element_clear (element);
  g_free (element);
}

/* Adds the dataset ids an option flagged SLUICE_OPTION_FLAG_DATASET names: a string, or a list of
 * strings whose first word is the id ("people p"). */
static void
collect_datasets (JsonNode *value, GPtrArray *into)
{
  if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
    {
      g_ptr_array_add (into, g_strdup (json_node_get_string (value)));
    }
  else if (JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *array = json_node_get_array (value);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          g_auto (GStrv) words = NULL;

          if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
            continue;
          words = g_strsplit_set (json_node_get_string (item), " \t", 2);
          if (words[0] != NULL && words[0][0] != '\0')
            g_ptr_array_add (into, g_strdup (words[0]));
        }
    }
}

/* An element's error message may start with a pointer relative to its options ("rules/0/2: …",
 * "entities/3: …"): it then becomes part of the pointer of the problem. */
static void
split_element_message (const SluiceOptionTable *table, const char *element_pointer,
                       const char *message, char **ret_pointer, char **ret_message)
{
  const char *colon = strstr (message, ": ");
  g_autofree char *prefix = colon != NULL ? g_strndup (message, colon - message) : NULL;
  g_autofree char *first = NULL;
  SluiceOptionSpec spec;

  if (prefix != NULL && prefix[0] != '\0' && strpbrk (prefix, " \t'\"") == NULL)
    {
      const char *start = prefix[0] == '/' ? prefix + 1 : prefix;
      const char *slash = strchr (start, '/');

      first = slash != NULL ? g_strndup (start, slash - start) : g_strdup (start);
      if (sluice_option_table_lookup (table, first, &spec))
        {
          *ret_pointer = g_strconcat (element_pointer, "/", start, NULL);
          *ret_message = g_strdup (colon + 2);
          return;
        }
    }
  *ret_pointer = g_strdup (element_pointer);
  *ret_message = g_strdup (message);
}

JsonNode *
sluice_pipe_element_options (const SluiceElementDescriptor *descriptor, SluiceElementKind kind,
                             JsonNode *node, const char *pipe_id)
{
  JsonNode *copy = json_node_copy (node);
  JsonObject *object = json_node_get_object (copy);
  SluiceOptionTable table = sluice_option_table_from_element (descriptor);
  SluiceOptionSpec spec;

  sluice_config_fill_defaults (object, &table);
  for (size_t i = 0; kind == SLUICE_ELEMENT_KIND_SINK && sluice_option_table_get (&table, i, &spec);
       i++)
    if ((spec.flags & SLUICE_OPTION_FLAG_DATASET) && (spec.types & SLUICE_OPTION_STRING)
        && !json_object_has_member (object, spec.key))
      json_object_set_string_member (object, spec.key, pipe_id);
  return copy;
}

/* An element's configuration at @pointer as the component value shows it: read with the option
 * table of its type, so that its entity options are read as entities. */
static SluiceValue *
element_value (SluiceRegistry *registry, SluiceElementKind kind, JsonNode *node,
               GHashTable *numbers, const char *pointer, GError **error)
{
  SluiceOptionTable table = { NULL, 0 };
  const char *type_name = NULL;

  if (JSON_NODE_HOLDS_OBJECT (node))
    type_name = json_object_get_string_member_with_default (json_node_get_object (node), "type",
                                                            NULL);
  if (type_name != NULL)
    table = sluice_option_table_from_element (
      sluice_registry_lookup_element (registry, kind, type_name, NULL, NULL));
  return sluice_config_json_to_value (node, numbers, pointer, &table, error);
}

SluiceValue *
sluice_pipe_component_value (SluiceRegistry *registry, JsonNode *node, GHashTable *numbers,
                             GError **error)
{
  g_autoptr (SluiceDictBuilder) builder = NULL;
  g_autoptr (GString) pointer = g_string_new (NULL);
  JsonObjectIter iter;
  const char *key;
  JsonNode *member;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return sluice_config_json_to_value (node, numbers, "", NULL, error);
  builder = sluice_dict_builder_new_sized (json_object_get_size (json_node_get_object (node)));
  json_object_iter_init_ordered (&iter, json_node_get_object (node));
  while (json_object_iter_next_ordered (&iter, &key, &member))
    {
      SluiceValue *value;

      g_string_truncate (pointer, 0);
      sluice_json_pointer_append (pointer, key);
      if (g_str_equal (key, "source") || g_str_equal (key, "sink"))
        value = element_value (registry,
                               g_str_equal (key, "source") ? SLUICE_ELEMENT_KIND_SOURCE
                                                           : SLUICE_ELEMENT_KIND_SINK,
                               member, numbers, pointer->str, error);
      else if (g_str_equal (key, "transform") && JSON_NODE_HOLDS_ARRAY (member))
        {
          JsonArray *array = json_node_get_array (member);
          g_autoptr (SluiceListBuilder) list = sluice_list_builder_new ();

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              g_autofree char *item_pointer = g_strdup_printf ("/transform/%u", i);
              SluiceValue *item = element_value (registry, SLUICE_ELEMENT_KIND_TRANSFORM,
                                                 json_array_get_element (array, i), numbers,
                                                 item_pointer, error);

              if (item == NULL)
                return NULL;
              sluice_list_builder_take (list, item);
            }
          value = sluice_list_builder_end (g_steal_pointer (&list));
        }
      else if (g_str_equal (key, "transform"))
        value = element_value (registry, SLUICE_ELEMENT_KIND_TRANSFORM, member, numbers,
                               pointer->str, error);
      else
        value = sluice_config_json_to_value (member, numbers, pointer->str, NULL, error);
      if (value == NULL)
        return NULL;
      sluice_dict_builder_take (builder, key, value);
    }
  return sluice_dict_builder_end (g_steal_pointer (&builder));
}

static gboolean
build_element (SluicePipe *pipe, JsonNode *node, SluiceElementKind kind, const char *pointer,
               Element *element, char **ret_pointer, GError **error)
{
  SluiceRegistry *registry = sluice_engine_get_registry (pipe->engine);
  const SluicePluginInfo *plugin = NULL;
  g_autoptr (JsonNode) copy = NULL;
  g_autoptr (SluiceValue) options = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GPtrArray) datasets = g_ptr_array_new_with_free_func (g_free);
  SluiceOptionTable table;
  SluiceOptionSpec spec;
  JsonObject *object;
  const char *type_name;
  const SluiceSourceCallbacks *cb;

  element->pointer = g_strdup (pointer);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)
      || json_object_get_string_member_with_default (json_node_get_object (node), "type", NULL)
           == NULL)
    {
      *ret_pointer = g_strdup (pointer);
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG,
                   "expected an object with a string \"type\"");
      return FALSE;
    }
  type_name = json_object_get_string_member (json_node_get_object (node), "type");
  element->type_name = g_strdup (type_name);
  element->descriptor
    = sluice_registry_lookup_element (registry, kind, type_name, &plugin, &local_error);
  if (element->descriptor == NULL)
    {
      *ret_pointer = g_strconcat (pointer, "/type", NULL);
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG, "%s", local_error->message);
      return FALSE;
    }

  copy = sluice_pipe_element_options (element->descriptor, kind, node, pipe->id);
  object = json_node_get_object (copy);
  table = sluice_option_table_from_element (element->descriptor);
  for (size_t i = 0; sluice_option_table_get (&table, i, &spec); i++)
    {
      JsonNode *value;

      if (!(spec.flags & SLUICE_OPTION_FLAG_DATASET))
        continue;
      value = json_object_get_member (object, spec.key);
      if (value != NULL)
        collect_datasets (value, datasets);
    }
  for (guint i = 0; i < datasets->len; i++)
    {
      char **list = kind == SLUICE_ELEMENT_KIND_SINK ? pipe->outputs : pipe->inputs;
      g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

      if (g_strv_contains ((const char *const *) list, g_ptr_array_index (datasets, i)))
        continue;
      g_strv_builder_addv (builder, (const char **) list);
      g_strv_builder_add (builder, g_ptr_array_index (datasets, i));
      g_strfreev (list);
      if (kind == SLUICE_ELEMENT_KIND_SINK)
        pipe->outputs = g_strv_builder_end (builder);
      else
        pipe->inputs = g_strv_builder_end (builder);
    }

  options = sluice_config_json_to_value (
    copy,
    sluice_config_component_get_numbers (
      sluice_config_lookup (sluice_engine_get_config (pipe->engine), pipe->id)),
    pointer, &table, &local_error);
  if (options == NULL)
    {
      *ret_pointer = g_strdup (pointer);
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG, "%s", local_error->message);
      return FALSE;
    }
  element->context = sluice_element_context_new (plugin->descriptor->name, type_name, pipe->id,
                                                 options);
  sluice_element_context_set_component (element->context, pipe->component);
  sluice_host_datasets_attach (pipe->host, element->context);

  /* An element without a create callback keeps no state: its callbacks get a NULL instance. */
  cb = element->descriptor->callbacks;
  if (cb->create == NULL)
    return TRUE;
  element->instance = cb->create (element->context, &local_error);
  if (element->instance == NULL)
    {
      g_autofree char *message = NULL;

      split_element_message (&table, pointer,
                             local_error != NULL ? local_error->message
                                                 : "the element's create callback failed without "
                                                   "saying why",
                             ret_pointer, &message);
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG, "%s", message);
      return FALSE;
    }
  return TRUE;
}

/* The object member @key, or NULL (json-glib 1.6 has no _with_default for objects). */
static JsonObject *
get_object_member (JsonObject *object, const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gint64
get_int_member (JsonObject *object, const char *key, gint64 fallback)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
sort_strv (char **strv)
{
  qsort (strv, g_strv_length (strv), sizeof (char *), compare_strings);
}

static gboolean
build (SluicePipe *pipe, char **ret_pointer, GError **error)
{
  SluiceConfig *config = sluice_engine_get_config (pipe->engine);
  SluiceConfigComponent *component = sluice_config_lookup (config, pipe->id);
  SluiceStoreBackend *store = sluice_engine_get_store (pipe->engine);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) local_error = NULL;
  SluiceOptionTable pipe_table = sluice_config_get_pipe_options ();
  JsonObject *object, *metadata;
  JsonNode *transform;
  gint64 batch_size, checkpoint_interval;

  if (component == NULL || sluice_config_component_get_kind (component) != SLUICE_COMPONENT_PIPE)
    {
      *ret_pointer = NULL;
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG,
                   "the configuration has no pipe '%s'", pipe->id);
      return FALSE;
    }
  node = json_node_copy (sluice_config_component_get_node (component));
  object = json_node_get_object (node);
  sluice_config_fill_defaults (object, &pipe_table);
  pipe->component = sluice_pipe_component_value (
    sluice_engine_get_registry (pipe->engine), node,
    sluice_config_component_get_numbers (component), &local_error);
  if (pipe->component == NULL)
    {
      *ret_pointer = NULL;
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG, "%s", local_error->message);
      return FALSE;
    }

  batch_size = get_int_member (object, "batch_size", 100);
  pipe->batch_size = (guint) CLAMP (batch_size, 1, G_MAXUINT32);
  checkpoint_interval = get_int_member (object, "checkpoint_interval",
                                        MAX (10000 / (gint64) pipe->batch_size, 1));
  pipe->checkpoint_interval = (guint) CLAMP (checkpoint_interval, 1, G_MAXUINT32);
  pipe->partial_rescan_delta = -1;
  if (get_object_member (object, "pump") != NULL)
    {
      JsonNode *delta
          = json_object_get_member (get_object_member (object, "pump"), "partial_rescan_delta");

      /* The pump validated it; a pipe without a pump (tests, --once) takes what is usable. */
      if (delta != NULL && JSON_NODE_HOLDS_VALUE (delta)
          && (json_node_get_value_type (delta) == G_TYPE_INT64
              || json_node_get_value_type (delta) == G_TYPE_DOUBLE)
          && json_node_get_double (delta) >= 0)
        pipe->partial_rescan_delta = json_node_get_double (delta);
    }
  sluice_retry_policy_init (&pipe->retry_policy, pipe->id, get_object_member (object, "pump"));
  /* Accepted by the schema (Sesam has it) but not built: refuse it rather than ignore it. */
  if (get_object_member (object, "pump") != NULL
      && json_object_get_boolean_member_with_default (get_object_member (object, "pump"),
                                                      "track_dead_letters", FALSE))
    {
      *ret_pointer = g_strdup ("/pump/track_dead_letters");
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CONFIG,
                   "track_dead_letters: true is not supported yet (dead letters stay in the "
                   "dead-letter dataset when a later version succeeds; docs/retries.md)");
      return FALSE;
    }
  metadata = get_object_member (object, "metadata");
  pipe->durable = metadata != NULL
                  && json_object_get_boolean_member_with_default (metadata, "durable", FALSE);
  pipe->public_read
    = metadata != NULL
      && json_object_get_boolean_member_with_default (metadata, "public_read", FALSE);

  pipe->host = sluice_host_datasets_new (store, sluice_engine_get_system_lookup (pipe->engine),
                                         pipe->engine);
  pipe->inputs = g_new0 (char *, 1);
  pipe->outputs = g_new0 (char *, 1);

  if (!build_element (pipe, json_object_get_member (object, "source"), SLUICE_ELEMENT_KIND_SOURCE,
                      "/source", &pipe->source, ret_pointer, error))
    return FALSE;
  pipe->source_inputs = g_strdupv (pipe->inputs);
  {
    /* Generic source options the engine itself honours, whichever the source type. */
    JsonObject *source = get_object_member (object, "source");
    const char *if_empty = source != NULL ? json_object_get_string_member_with_default (
                                              source, "if_source_empty", NULL)
                                          : NULL;

    pipe->fail_if_source_empty = g_strcmp0 (if_empty, "fail") == 0;
    pipe->require_populated_input
      = source != NULL
        && json_object_get_boolean_member_with_default (source, "require_populated_input", FALSE);
  }

  transform = json_object_get_member (object, "transform");
  if (transform != NULL && JSON_NODE_HOLDS_ARRAY (transform))
    {
      JsonArray *array = json_node_get_array (transform);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          Element *element = g_new0 (Element, 1);
          g_autofree char *pointer = g_strdup_printf ("/transform/%u", i);

          g_ptr_array_add (pipe->transforms, element);
          if (!build_element (pipe, json_array_get_element (array, i),
                              SLUICE_ELEMENT_KIND_TRANSFORM, pointer, element, ret_pointer, error))
            return FALSE;
        }
    }
  else if (transform != NULL && !JSON_NODE_HOLDS_NULL (transform))
    {
      Element *element = g_new0 (Element, 1);

      g_ptr_array_add (pipe->transforms, element);
      if (!build_element (pipe, transform, SLUICE_ELEMENT_KIND_TRANSFORM, "/transform", element,
                          ret_pointer, error))
        return FALSE;
    }

  if (!build_element (pipe, json_object_get_member (object, "sink"), SLUICE_ELEMENT_KIND_SINK,
                      "/sink", &pipe->sink, ret_pointer, error))
    return FALSE;

  {
    const SluiceSourceCallbacks *source = pipe->source.descriptor->callbacks;
    uint32_t caps = source->get_capabilities != NULL
                      ? source->get_capabilities (pipe->source.instance)
                      : 0;

    pipe->continuation = sluice_continuation_from_capabilities (caps);
  }
  pipe->run_transforms = g_new0 (SluiceRunElement, pipe->transforms->len + 1);
  for (guint i = 0; i < pipe->transforms->len; i++)
    {
      Element *element = g_ptr_array_index (pipe->transforms, i);

      pipe->run_transforms[i] = (SluiceRunElement) {
        element->descriptor->callbacks, element->instance, element->pointer, element->type_name,
      };
    }
  sort_strv (pipe->inputs);
  sort_strv (pipe->outputs);
  return TRUE;
}

SluicePipe *
sluice_pipe_new_located (SluiceEngine *engine, const char *pipe_id, char **ret_pointer,
                         GError **error)
{
  g_autoptr (SluicePipe) pipe = g_object_new (SLUICE_TYPE_PIPE, NULL);
  g_autofree char *pointer = NULL;

  pipe->engine = engine;
  pipe->id = g_strdup (pipe_id);
  if (!build (pipe, &pointer, error))
    {
      if (ret_pointer != NULL)
        *ret_pointer = g_steal_pointer (&pointer);
      return NULL;
    }
  return g_steal_pointer (&pipe);
}

SluicePipe *
sluice_pipe_new (SluiceEngine *engine, const char *pipe_id, GError **error)
{
  g_autofree char *pointer = NULL;
  GError *local_error = NULL;
  SluicePipe *pipe = sluice_pipe_new_located (engine, pipe_id, &pointer, &local_error);

  if (pipe == NULL)
    {
      if (pointer != NULL)
        g_prefix_error (&local_error, "%s: ", pointer);
      g_propagate_error (error, local_error);
    }
  return pipe;
}

/* Accessors. */

const char *
sluice_pipe_get_id (SluicePipe *pipe)
{
  return pipe->id;
}

SluicePipeStatus
sluice_pipe_get_status (SluicePipe *pipe)
{
  return pipe->status;
}

SluiceContinuation
sluice_pipe_get_continuation (SluicePipe *pipe)
{
  return pipe->continuation;
}

guint
sluice_pipe_get_batch_size (SluicePipe *pipe)
{
  return pipe->batch_size;
}

const char *const *
sluice_pipe_get_input_datasets (SluicePipe *pipe)
{
  return (const char *const *) pipe->inputs;
}

const char *const *
sluice_pipe_get_output_datasets (SluicePipe *pipe)
{
  return (const char *const *) pipe->outputs;
}

const SluiceRunStats *
sluice_pipe_get_last_stats (SluicePipe *pipe)
{
  return pipe->last_stats;
}

static SluiceStoreBackend *
require_store (SluicePipe *pipe, GError **error)
{
  SluiceStoreBackend *store = sluice_engine_get_store (pipe->engine);

  if (store == NULL)
    g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_STORE,
                 "pipe '%s': the engine has no store", pipe->id);
  return store;
}

gboolean
sluice_pipe_dup_since (SluicePipe *pipe, char **ret_since, GError **error)
{
  SluiceStoreBackend *store = require_store (pipe, error);
  g_auto (SluicePipeState) state = { 0 };
  g_autoptr (GError) local_error = NULL;

  if (store == NULL)
    return FALSE;
  if (!sluice_store_backend_get_pipe_state (store, pipe->id, &state, &local_error)
      && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  *ret_since = g_steal_pointer (&state.since);
  return TRUE;
}

gboolean
sluice_pipe_set_since (SluicePipe *pipe, const char *since, GError **error)
{
  SluiceStoreBackend *store = require_store (pipe, error);
  g_auto (SluicePipeState) state = { 0 };
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SluiceValue) parsed = NULL;
  g_autoptr (SluiceStoreTxn) txn = NULL;
  g_autofree char *original = NULL;

  if (store == NULL)
    return FALSE;
  if (pipe->running)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_BUSY,
                   "pipe '%s' is running; stop it before setting its offset", pipe->id);
      return FALSE;
    }
  if (since != NULL && (parsed = sluice_value_from_json (since, -1, &local_error)) == NULL)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                   "pipe '%s': the offset must be JSON text: %s", pipe->id, local_error->message);
      return FALSE;
    }
  if (!sluice_store_backend_get_pipe_state (store, pipe->id, &state, &local_error)
      && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  original = g_steal_pointer (&state.since);
  state.since = g_strdup (since);
  txn = sluice_store_backend_begin (store, error);
  if (txn == NULL || !sluice_store_txn_set_pipe_state (txn, pipe->id, &state, error)
      || !sluice_store_txn_commit (g_steal_pointer (&txn), 0, error))
    return FALSE;
  return sluice_execution_log_write_offset_set (store, pipe->id, since, original, error);
}

gboolean
sluice_pipe_set_since_to_end (SluicePipe *pipe, GError **error)
{
  SluiceStoreBackend *store = require_store (pipe, error);
  g_autoptr (SluiceDatasetInfo) info = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *since = NULL;
  const char *dataset;

  if (store == NULL)
    return FALSE;
  if (g_strcmp0 (pipe->source.type_name, "dataset") != 0 || pipe->source_inputs[0] == NULL)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_NOT_SUPPORTED,
                   "pipe '%s': /source (type '%s') cannot set its offset to the end: only a "
                   "'dataset' source knows where its end is",
                   pipe->id, pipe->source.type_name);
      return FALSE;
    }
  dataset = pipe->source_inputs[0];
  info = sluice_store_backend_dup_dataset_info (store, dataset, NULL, &local_error);
  if (info == NULL)
    {
      g_set_error (error, SLUICE_PIPE_ERROR,
                   g_error_matches (local_error, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND)
                       ? SLUICE_PIPE_ERROR_FAILED
                       : SLUICE_PIPE_ERROR_STORE,
                   "pipe '%s': cannot set its offset to the end of source dataset '%s': %s",
                   pipe->id, dataset, local_error->message);
      return FALSE;
    }
  /* A dataset source's offset is the offset of the last version it read. */
  since = g_strdup_printf ("%" G_GINT64_FORMAT, info->next_offset - 1);
  return sluice_pipe_set_since (pipe, since, error);
}

gboolean
sluice_pipe_get_durable (SluicePipe *pipe)
{
  g_return_val_if_fail (SLUICE_IS_PIPE (pipe), FALSE);
  return pipe->durable;
}

gboolean
sluice_pipe_get_public_read (SluicePipe *pipe)
{
  g_return_val_if_fail (SLUICE_IS_PIPE (pipe), FALSE);
  return pipe->public_read;
}

const char *
sluice_pipe_get_source_type (SluicePipe *pipe)
{
  g_return_val_if_fail (SLUICE_IS_PIPE (pipe), NULL);
  return pipe->source.type_name;
}

const char *
sluice_pipe_get_sink_type (SluicePipe *pipe)
{
  g_return_val_if_fail (SLUICE_IS_PIPE (pipe), NULL);
  return pipe->sink.type_name;
}

SluiceEngine *
sluice_pipe_get_engine (SluicePipe *pipe)
{
  g_return_val_if_fail (SLUICE_IS_PIPE (pipe), NULL);
  return pipe->engine;
}

gboolean
sluice_pipe_is_pumped (SluicePipe *pipe)
{
  g_return_val_if_fail (SLUICE_IS_PIPE (pipe), FALSE);
  return !(pipe->source.descriptor->flags & SLUICE_ELEMENT_FLAG_NOT_PUMPED)
         && !(pipe->sink.descriptor->flags & SLUICE_ELEMENT_FLAG_NOT_PUMPED);
}

char *
sluice_pipe_dup_not_pumped_reason (SluicePipe *pipe)
{
  g_return_val_if_fail (SLUICE_IS_PIPE (pipe), NULL);
  /* Its source receives pushes, or its sink is read over HTTP (docs/http-endpoints.md). */
  if (pipe->source.descriptor->flags & SLUICE_ELEMENT_FLAG_NOT_PUMPED)
    return g_strdup_printf ("pipe '%s' is never run: its source (type '%s') receives the "
                            "entities pushed to POST /api/receivers/%s/entities",
                            pipe->id, pipe->source.type_name, pipe->id);
  if (pipe->sink.descriptor->flags & SLUICE_ELEMENT_FLAG_NOT_PUMPED)
    return g_strdup_printf ("pipe '%s' is never run: its sink (type '%s') is read at "
                            "GET /api/publishers/%s/entities",
                            pipe->id, pipe->sink.type_name, pipe->id);
  return NULL;
}

/* Runs. */

/* The worker thread drops its reference to the run's task after the task returned, possibly after
 * everything else let go of the pipe.  So the task does not own the pipe: run_done, on the main
 * context, takes the pipe's reference out of the run data and drops it there, and the pipe is never
 * finalized on a worker thread while the main thread tears the engine down. */
typedef struct
{
  SluicePipe *pipe; /* owned until run_done takes it */
  GMainContext *context; /* owned */
  SluiceRunType run_type;
} RunData;

static void
run_data_free (RunData *data)
{
  g_clear_object (&data->pipe);
  g_main_context_unref (data->context);
  g_free (data);
}

typedef struct
{
  SluicePipe *pipe; /* owned */
  SluiceRunType run_type;
  guint64 batch;
  guint64 read;
  guint64 written;
  char *since;
} Report;

static void
report_free (Report *report)
{
  g_object_unref (report->pipe);
  g_free (report->since);
  g_free (report);
}

static gboolean
emit_started (gpointer user_data)
{
  Report *report = user_data;

  g_signal_emit (report->pipe, signals[SIGNAL_RUN_STARTED], 0, report->run_type);
  return G_SOURCE_REMOVE;
}

static gboolean
emit_batch (gpointer user_data)
{
  Report *report = user_data;

  g_signal_emit (report->pipe, signals[SIGNAL_PROGRESS], 0, report->read, report->written);
  g_signal_emit (report->pipe, signals[SIGNAL_BATCH_COMMITTED], 0, report->batch, report->since);
  return G_SOURCE_REMOVE;
}

static Report *
new_report (RunData *data, const SluiceRunStats *stats)
{
  Report *report = g_new0 (Report, 1);

  report->pipe = g_object_ref (data->pipe);
  report->run_type = stats->run_type;
  report->batch = stats->batches_committed;
  report->read = stats->entities_read;
  report->written = stats->entities_written;
  report->since = g_strdup (stats->since_after);
  return report;
}

static void
observe_started (gpointer user_data, const SluiceRunStats *stats)
{
  RunData *data = user_data;

  sluice_main_context_post (data->context, emit_started, new_report (data, stats),
                            (GDestroyNotify) report_free);
}

static void
observe_batch (gpointer user_data, const SluiceRunStats *stats)
{
  RunData *data = user_data;

  sluice_main_context_post (data->context, emit_batch, new_report (data, stats),
                            (GDestroyNotify) report_free);
}

static const SluiceRunObserver run_observer = {
  .started = observe_started,
  .batch_committed = observe_batch,
};

static void
run_in_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  RunData *data = task_data;
  SluicePipe *pipe = data->pipe;
  SluiceRunPlan plan = {
    .pipe_id = pipe->id,
    .source = { pipe->source.descriptor->callbacks, pipe->source.instance, pipe->source.pointer,
                pipe->source.type_name },
    .transforms = pipe->run_transforms,
    .n_transforms = pipe->transforms->len,
    .sink = { pipe->sink.descriptor->callbacks, pipe->sink.instance, pipe->sink.pointer,
              pipe->sink.type_name },
    .batch_size = pipe->batch_size,
    .checkpoint_interval = pipe->checkpoint_interval,
    .durable = pipe->durable,
    .continuation = pipe->continuation,
    .store = sluice_engine_get_store (pipe->engine),
    .host = pipe->host,
    .sink_accepts_filtered
    = (pipe->sink.descriptor->flags & SLUICE_ELEMENT_FLAG_ACCEPTS_FILTERED) != 0,
    .fail_if_source_empty = pipe->fail_if_source_empty,
    .require_populated_input = pipe->require_populated_input,
    .partial_rescan_delta = pipe->partial_rescan_delta,
    .source_datasets = (const char *const *) pipe->source_inputs,
    .sink_options = sluice_element_context_get_options (pipe->sink.context),
    .sink_datasets = (const char *const *) pipe->outputs,
    .retry_policy = &pipe->retry_policy,
  };
  SluiceRunStats *stats
    = sluice_run_execute (&plan, data->run_type, cancellable, &run_observer, data);

  g_task_return_pointer (task, stats, (GDestroyNotify) sluice_run_stats_free);
}

static void
set_status (SluicePipe *pipe, SluicePipeStatus status)
{
  if (pipe->status == status)
    return;
  pipe->status = status;
  g_object_notify_by_pspec (G_OBJECT (pipe), properties[PROP_STATUS]);
}

/* On the main context, after the worker finished: signals first, then the caller's callback. */
static void
run_done (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  RunData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr (SluicePipe) pipe = g_steal_pointer (&data->pipe);
  g_autoptr (GTask) outer = user_data;
  SluiceRunStats *stats = g_task_propagate_pointer (G_TASK (result), NULL);

  pipe->running = FALSE;
  g_clear_pointer (&pipe->last_stats, sluice_run_stats_free);
  pipe->last_stats = stats;
  set_status (pipe, stats->error != NULL ? SLUICE_PIPE_STATUS_FAILED : SLUICE_PIPE_STATUS_IDLE);
  if (stats->error != NULL)
    g_signal_emit (pipe, signals[SIGNAL_FAILED], 0, stats, stats->error);
  else
    g_signal_emit (pipe, signals[SIGNAL_FINISHED], 0, stats);

  g_task_set_task_data (outer, sluice_run_stats_copy (stats), (GDestroyNotify) sluice_run_stats_free);
  if (stats->error != NULL)
    g_task_return_error (outer, g_error_copy (stats->error));
  else
    g_task_return_boolean (outer, TRUE);
}

void
sluice_pipe_run_async (SluicePipe *pipe, SluiceRunType run_type, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;
  RunData *data;

  g_return_if_fail (SLUICE_IS_PIPE (pipe));

  outer = g_task_new (pipe, NULL, callback, user_data);
  g_task_set_source_tag (outer, sluice_pipe_run_async);
  if (pipe->running)
    {
      g_task_return_new_error (outer, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_BUSY,
                               "pipe '%s' is already running", pipe->id);
      return;
    }
  if (!sluice_pipe_is_pumped (pipe))
    {
      g_autofree char *reason = sluice_pipe_dup_not_pumped_reason (pipe);

      g_task_return_new_error (outer, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_NOT_SUPPORTED, "%s",
                               reason);
      return;
    }
  pipe->running = TRUE;
  set_status (pipe, SLUICE_PIPE_STATUS_RUNNING);

  data = g_new0 (RunData, 1);
  data->pipe = g_object_ref (pipe);
  data->context = g_main_context_ref_thread_default ();
  data->run_type = run_type;
  inner = g_task_new (NULL, cancellable, run_done, g_steal_pointer (&outer));
  g_task_set_check_cancellable (inner, FALSE);
  g_task_set_task_data (inner, data, (GDestroyNotify) run_data_free);
  g_task_run_in_thread (inner, run_in_thread);
}

gboolean
sluice_pipe_run_finish (SluicePipe *pipe, GAsyncResult *result, SluiceRunStats **ret_stats,
                        GError **error)
{
  SluiceRunStats *stats;

  g_return_val_if_fail (g_task_is_valid (result, pipe), FALSE);
  stats = g_task_get_task_data (G_TASK (result));
  if (ret_stats != NULL)
    *ret_stats = stats != NULL ? sluice_run_stats_copy (stats) : NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  GAsyncResult *result;
} SyncData;

static void
sync_done (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  SyncData *data = user_data;

  data->result = g_object_ref (result);
}

gboolean
sluice_pipe_run_sync (SluicePipe *pipe, SluiceRunType run_type, GCancellable *cancellable,
                      SluiceRunStats **ret_stats, GError **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  SyncData data = { NULL };
  gboolean ok;

  g_main_context_push_thread_default (context);
  sluice_pipe_run_async (pipe, run_type, cancellable, sync_done, &data);
  while (data.result == NULL)
    g_main_context_iteration (context, TRUE);
  ok = sluice_pipe_run_finish (pipe, data.result, ret_stats, error);
  g_object_unref (data.result);
  /* Sources the run queued (its last reports) were all dispatched before the result. */
  while (g_main_context_pending (context))
    g_main_context_iteration (context, FALSE);
  g_main_context_pop_thread_default (context);
  return ok;
}

/* GObject. */

static void
sluice_pipe_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SluicePipe *pipe = SLUICE_PIPE (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_enum (value, pipe->status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sluice_pipe_finalize (GObject *object)
{
  SluicePipe *pipe = SLUICE_PIPE (object);

  /* Transforms and sink go before the source, the reverse of the order they were created in. */
  element_clear (&pipe->sink);
  g_ptr_array_unref (pipe->transforms);
  element_clear (&pipe->source);
  g_free (pipe->run_transforms);
  g_clear_pointer (&pipe->host, sluice_host_datasets_free);
  g_clear_pointer (&pipe->component, sluice_value_unref);
  g_strfreev (pipe->inputs);
  g_strfreev (pipe->outputs);
  g_strfreev (pipe->source_inputs);
  sluice_retry_policy_clear (&pipe->retry_policy);
  g_clear_pointer (&pipe->last_stats, sluice_run_stats_free);
  g_free (pipe->id);
  G_OBJECT_CLASS (sluice_pipe_parent_class)->finalize (object);
}

static void
sluice_pipe_class_init (SluicePipeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = sluice_pipe_get_property;
  object_class->finalize = sluice_pipe_finalize;

  properties[PROP_STATUS]
    = g_param_spec_enum ("status", NULL, NULL, SLUICE_TYPE_PIPE_STATUS, SLUICE_PIPE_STATUS_IDLE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_RUN_STARTED]
    = g_signal_new ("run-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, SLUICE_TYPE_RUN_TYPE);
  signals[SIGNAL_PROGRESS]
    = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_UINT64);
  signals[SIGNAL_BATCH_COMMITTED]
    = g_signal_new ("batch-committed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_STRING);
  signals[SIGNAL_FINISHED]
    = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, SLUICE_TYPE_RUN_STATS | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_FAILED]
    = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 2, SLUICE_TYPE_RUN_STATS | G_SIGNAL_TYPE_STATIC_SCOPE,
                    G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
sluice_pipe_init (SluicePipe *pipe)
{
  pipe->transforms = g_ptr_array_new_with_free_func ((GDestroyNotify) element_free);
}
