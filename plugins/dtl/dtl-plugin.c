/* dtl-plugin.c — sluice-dtl.so: the `dtl` transform (digest §10.1, §11).
 *
 * create() compiles the rules once, so that every DTL error is reported when the configuration
 * loads, with the JSON pointer inside the transform object.  transform() runs the default rule on
 * each entity: the target is emitted (with `_filtered: true` when `filter` rejected it, not at all
 * when `discard` did), followed by the entities `create` made.  `fail!` and `trip!` end the batch
 * with SLUICE_FLOW_ERROR (see sluice-dtl.h for the error codes).
 */
#include "dtl-compiler.h"

#include <string.h>

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  DtlProgram *program;
  char *trigger_key;   /* trigger_on.key, or NULL */
  char *trigger_value; /* trigger_on.value pattern */
} DtlTransform;

static const SluiceOptionSpec trigger_options[] = {
  { .key = "key", .types = SLUICE_OPTION_STRING, .default_json = "\"_trigger\"",
    .description = "The property (path notation allowed) whose value selects the entities to transform." },
  { .key = "value", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,
    .description = "The pattern (with `*` wildcards) that the property's value must match." },
  { NULL },
};

static const SluiceOptionSpec dtl_options[] = {
  { .key = "rules", .types = SLUICE_OPTION_OBJECT,
    .flags = SLUICE_OPTION_FLAG_REQUIRED | SLUICE_OPTION_FLAG_OPEN,
    .description = "The DTL rules: `default` runs on each entity; other rules are reached through `apply`." },
  { .key = "id_required", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true",
    .description = "Fail when the target or an entity given to `create` lacks a string `_id`." },
  { .key = "trigger_on", .types = SLUICE_OPTION_OBJECT, .properties = trigger_options,
    .description = "Transform only the entities whose property matches; pass the others through unchanged." },
  { NULL },
};

static const char *
component_string (SluiceValue *component, const char *key, const char *sub)
{
  SluiceValue *v;

  if (component == NULL || sluice_value_get_kind (component) != SLUICE_VALUE_DICT)
    return NULL;
  v = sluice_value_dict_lookup (component, key);
  if (v != NULL && sub != NULL)
    v = sluice_value_get_kind (v) == SLUICE_VALUE_DICT ? sluice_value_dict_lookup (v, sub) : NULL;
  return v != NULL && sluice_value_get_kind (v) == SLUICE_VALUE_STRING ? sluice_value_get_string (v, NULL)
                                                                      : NULL;
}

static void
dtl_destroy (void *instance)
{
  DtlTransform *self = instance;

  if (self == NULL)
    return;
  sluice_dtl_program_free (self->program);
  g_free (self->trigger_key);
  g_free (self->trigger_value);
  g_free (self);
}

static void *
dtl_create (SluiceElementContext *context, GError **error)
{
  SluiceValue *options = sluice_element_context_get_options (context);
  SluiceValue *component = sluice_element_context_get_component (context);
  SluiceValue *trigger;
  SluiceValue *ni;
  DtlSettings settings = { 0 };
  DtlTransform *self;

  settings.pipe_id = sluice_element_context_get_component_id (context);
  if (settings.pipe_id == NULL)
    settings.pipe_id = component_string (component, "_id", NULL);
  ni = component && sluice_value_get_kind (component) == SLUICE_VALUE_DICT
         ? sluice_value_dict_lookup (component, "namespaced_identifiers") : NULL;
  settings.namespaced_identifiers = ni != NULL && sluice_value_get_kind (ni) == SLUICE_VALUE_BOOLEAN
                                    && sluice_value_get_boolean (ni);
  settings.identity_namespace = component_string (component, "namespaces", "identity");
  settings.property_namespace = component_string (component, "namespaces", "property");
  settings.id_required = sluice_element_context_get_boolean (context, "id_required", TRUE);

  self = g_new0 (DtlTransform, 1);
  self->context = context;
  self->program = sluice_dtl_program_compile (sluice_value_dict_lookup (options, "rules"), &settings, error);
  if (self->program == NULL)
    {
      dtl_destroy (self);
      return NULL;
    }
  /* A publisher's query parameters (digest §9.6); the context outlives the program. */
  self->program->bound = sluice_element_context_get_bound (context);
  trigger = sluice_value_dict_lookup (options, "trigger_on");
  if (trigger != NULL && sluice_value_get_kind (trigger) == SLUICE_VALUE_DICT)
    {
      const char *key = component_string (trigger, "key", NULL);
      const char *value = component_string (trigger, "value", NULL);

      self->trigger_key = g_strdup (key ? key : "_trigger");
      self->trigger_value = g_strdup (value ? value : "*");
    }
  return self;
}

static gboolean
triggered (DtlTransform *self, SluiceValue *body)
{
  g_auto (GStrv) steps = NULL;
  g_autoptr (SluiceValue) v = NULL;

  if (self->trigger_key == NULL)
    return TRUE;
  steps = g_strsplit (self->trigger_key, ".", -1);
  v = sluice_dtl_path_walk (body, steps, g_strv_length (steps), FALSE);
  for (size_t i = 0; i < dtl_count (v); i++)
    {
      const char *s = dtl_string (dtl_at (v, i), NULL);

      if (s != NULL && g_pattern_match_simple (self->trigger_value, s))
        return TRUE;
    }
  return FALSE;
}

/* The output entity for a target: `_id` from the source when the target has none (a filtered
 * entity must still name what the sink should delete). */
static SluiceEntity *
make_entity (SluiceValue *target, SluiceValue *source, gboolean filtered, gboolean id_required,
             GError **error)
{
  SluiceValue *id = sluice_value_dict_lookup (target, "_id");
  g_autoptr (SluiceValue) body = NULL;

  if (filtered || (id == NULL && !id_required) || sluice_value_dict_lookup (source, "_deleted") != NULL)
    {
      SluiceDictBuilder *builder = sluice_dict_builder_new ();
      SluiceValue *deleted = sluice_value_dict_lookup (source, "_deleted");

      for (size_t i = 0; i < sluice_value_dict_get_size (target); i++)
        sluice_dict_builder_add (builder, sluice_value_dict_get_key (target, i),
                                 sluice_value_dict_get_value (target, i));
      if (id == NULL && (filtered || !id_required))
        {
          SluiceValue *source_id = sluice_value_dict_lookup (source, "_id");

          if (source_id != NULL)
            sluice_dict_builder_add (builder, "_id", source_id);
        }
      /* A deleted source makes a deleted target, unless the rules decided otherwise. */
      if (deleted != NULL && sluice_value_get_kind (deleted) == SLUICE_VALUE_BOOLEAN
          && sluice_value_get_boolean (deleted) && sluice_value_dict_lookup (target, "_deleted") == NULL)
        sluice_dict_builder_add (builder, "_deleted", deleted);
      if (filtered)
        sluice_dict_builder_take (builder, "_filtered", sluice_value_new_boolean (TRUE));
      body = sluice_dict_builder_end (builder);
    }
  else
    body = sluice_value_ref (target);
  return sluice_entity_new (body, error);
}

/* How many entities ahead of the one it transforms the batch loop asks for the next body to be
 * loaded: evaluating a simple rule takes about as long as a load from memory, so two ahead has
 * arrived in time (docs/decisions/0007-dtl-dense-values.md). */
#define PREFETCH_AHEAD 2

static SluiceFlow
dtl_transform (void *instance, const SluiceBatch *input, SluiceBatch *output, GError **error)
{
  DtlTransform *self = instance;
  size_t n = sluice_batch_get_length (input);

  for (size_t i = 0; i < n; i++)
    {
      SluiceEntity *entity = sluice_batch_get (input, i);
      SluiceValue *body = sluice_entity_get_body (entity);
      DtlResult result;
      GError *local = NULL;

      if (i + PREFETCH_AHEAD < n)
        sluice_value_prefetch (sluice_entity_get_body (sluice_batch_get (input, i + PREFETCH_AHEAD)));

      if (!triggered (self, body))
        {
          sluice_batch_add (output, entity);
          continue;
        }
      if (!sluice_dtl_program_run (self->program, body, NULL, &result, &local))
        {
          g_propagate_prefixed_error (error, local, "entity '%s': ", sluice_entity_get_id (entity));
          return SLUICE_FLOW_ERROR;
        }
      if (result.status != DTL_STATUS_DISCARD)
        {
          SluiceEntity *out = make_entity (result.target, body, result.status == DTL_STATUS_FILTER,
                                           self->program->id_required, &local);

          if (out == NULL)
            {
              sluice_dtl_result_clear (&result);
              g_set_error (error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_ID_REQUIRED,
                           "entity '%s': the target has no string _id (id_required is true): %s",
                           sluice_entity_get_id (entity), local->message);
              g_error_free (local);
              return SLUICE_FLOW_ERROR;
            }
          sluice_batch_take (output, out);
        }
      for (guint j = 0; result.created != NULL && j < result.created->len; j++)
        {
          /* 'create' passed on dicts with a string _id only; one that cannot name an entity of a
           * dataset (empty, too long, a U+0000) fails the run rather than vanish. */
          SluiceEntity *created = sluice_entity_new (result.created->pdata[j], &local);

          if (created == NULL)
            {
              sluice_dtl_result_clear (&result);
              g_propagate_prefixed_error (error, local, "entity '%s': 'create', entity %u: ",
                                          sluice_entity_get_id (entity), j);
              return SLUICE_FLOW_ERROR;
            }
          sluice_batch_take (output, created);
        }
      sluice_dtl_result_clear (&result);
    }
  return SLUICE_FLOW_OK;
}

static const SluiceTransformCallbacks dtl_callbacks = {
  SLUICE_TRANSFORM_CALLBACKS_INIT,
  .create = dtl_create,
  .destroy = dtl_destroy,
  .transform = dtl_transform,
};

static const SluiceElementDescriptor dtl_element = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_TRANSFORM,
  .type_name = "dtl",
  .description = "Transforms entities with DTL, the Data Transformation Language",
  .options = dtl_options,
  .callbacks = &dtl_callbacks,
};

SLUICE_PLUGIN_DEFINE (dtl, "0.1.0", "MIT", "The DTL transform", NULL, NULL, &dtl_element)
