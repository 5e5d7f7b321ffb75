/* rest-transform.c — the `rest` transform: one call of a REST operation per entity, whose response
 * is added to the entity or replaces it (digest §10.2; docs/http.md "rest transform").
 *
 * Unlike the sink it may GET, and it keeps what the service answered: the parsed JSON (or the text)
 * in `response_property`, and optionally the status and headers.  `allowed_status_codes` says which
 * answers are results (others fail the run, naming the entity, the request and the status);
 * `ignored_status_codes` drops the entity instead (a lookup that finds nothing).  `trigger_on`
 * limits the calls to the entities that have a given property: the others pass through untouched. */
#include "http-elements.h"
#include "rest-operation.h"

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  RestElement *rest;
  gboolean replace_entity;
  gboolean fail_if_empty;
  char **trigger_on; /* property names, or NULL */
} RestTransform;

static const SluiceOptionSpec rest_transform_options[] = {
  REST_ELEMENT_SHARED_OPTIONS,
  { .key = "operation", .types = SLUICE_OPTION_STRING,
    .description = "The operation of entities without a string `operation` property." },
  { .key = "response_property", .types = SLUICE_OPTION_STRING,
    .description = "Where the response goes (\"response\"): parsed JSON, or the text." },
  { .key = "response_status_property", .types = SLUICE_OPTION_STRING,
    .description = "Where the status code goes (not with replace_entity)." },
  { .key = "response_headers_property", .types = SLUICE_OPTION_STRING,
    .description = "Where the response headers go, as an object (not with replace_entity)." },
  { .key = "response_include_content_type", .types = SLUICE_OPTION_BOOLEAN,
    .description = "Also add a `content-type` property." },
  { .key = "payload_property", .types = SLUICE_OPTION_STRING,
    .description = "Keep only this part of a JSON response: a key, or a dotted path." },
  { .key = "allowed_status_codes", .types = SLUICE_OPTION_STRING,
    .description = "Status codes that are results (\"200-299\"): codes and ranges separated by "
                   "',', no whitespace. Others fail the run." },
  { .key = "ignored_status_codes", .types = SLUICE_OPTION_STRING,
    .description = "Status codes whose entity is dropped; must not overlap allowed_status_codes." },
  { .key = "replace_entity", .types = SLUICE_OPTION_BOOLEAN, .default_json = "false",
    .description = "The JSON response (one object or a list) becomes the output entities." },
  { .key = "side_effects", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true",
    .description = "Whether calling the service changes something (preview refuses the "
                   "transform either way; see docs/http.md)." },
  { .key = "trigger_on", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,
    .description = "Call only for entities where one of these properties is present and not "
                   "null; others pass through unchanged." },
  { .key = "if_transform_empty", .types = SLUICE_OPTION_STRING, .default_json = "\"accept\"",
    .choices = (const char *const[]){ "accept", "fail", NULL },
    .description = "`fail`: a batch of entities that comes out empty fails the run." },
  { NULL },
};

static void
rest_transform_destroy (void *instance)
{
  RestTransform *self = instance;

  g_clear_pointer (&self->rest, rest_element_free);
  g_strfreev (self->trigger_on);
  g_free (self);
}

/* "rest transform: allowed_status_codes", or with "operation 'x': " when the operation set it. */
static char *
status_what (RestTransform *self, const RestOperation *op, const char *key)
{
  SluiceValue *own = sluice_value_dict_lookup (sluice_element_context_get_options (self->context), key);

  if (own != NULL && sluice_value_get_kind (own) == SLUICE_VALUE_STRING)
    return g_strdup_printf ("rest transform: %s", key);
  return g_strdup_printf ("rest transform: operation '%s': %s", op->name, key);
}

static gboolean
status_sets (RestTransform *self, const RestOperation *op, RestStatusSet **ret_allowed,
             RestStatusSet **ret_ignored, GError **error)
{
  const char *allowed = rest_element_lookup_string (self->rest, op, "allowed_status_codes", "200-299");
  const char *ignored = rest_element_lookup_string (self->rest, op, "ignored_status_codes", NULL);
  g_autofree char *what_allowed = status_what (self, op, "allowed_status_codes");
  g_autofree char *what_ignored = status_what (self, op, "ignored_status_codes");

  *ret_ignored = NULL;
  *ret_allowed = rest_status_set_parse (allowed, what_allowed, error);
  if (*ret_allowed == NULL)
    return FALSE;
  if (ignored != NULL)
    {
      *ret_ignored = rest_status_set_parse (ignored, what_ignored, error);
      if (*ret_ignored == NULL)
        {
          g_clear_pointer (ret_allowed, rest_status_set_free);
          return FALSE;
        }
      if (rest_status_set_overlaps (*ret_allowed, *ret_ignored))
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                       "%s \"%s\" overlaps allowed_status_codes \"%s\"", what_ignored, ignored,
                       allowed);
          g_clear_pointer (ret_allowed, rest_status_set_free);
          g_clear_pointer (ret_ignored, rest_status_set_free);
          return FALSE;
        }
    }
  return TRUE;
}

static void *
rest_transform_create (SluiceElementContext *context, GError **error)
{
  RestTransform *self = g_new0 (RestTransform, 1);
  SluiceValue *trigger = sluice_value_dict_lookup (sluice_element_context_get_options (context),
                                                   "trigger_on");
  GHashTableIter iter;
  gpointer op;

  self->context = context;
  self->rest = rest_element_new (context, "rest transform", FALSE, error);
  if (self->rest == NULL)
    goto fail;
  self->replace_entity = sluice_element_context_get_boolean (context, "replace_entity", FALSE);
  self->fail_if_empty
    = g_strcmp0 (sluice_element_context_get_string (context, "if_transform_empty", "accept"), "fail")
      == 0;
  if (trigger != NULL && sluice_value_get_kind (trigger) == SLUICE_VALUE_STRING)
    {
      self->trigger_on = g_new0 (char *, 2);
      self->trigger_on[0] = g_strdup (sluice_value_get_string (trigger, NULL));
    }
  else if (trigger != NULL && sluice_value_get_kind (trigger) == SLUICE_VALUE_LIST)
    {
      size_t n = sluice_value_list_get_length (trigger);

      self->trigger_on = g_new0 (char *, n + 1);
      for (size_t i = 0; i < n; i++)
        {
          SluiceValue *item = sluice_value_list_get (trigger, i);

          if (sluice_value_get_kind (item) != SLUICE_VALUE_STRING)
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                           "rest transform: /trigger_on/%zu: expected a property name (a string)", i);
              goto fail;
            }
          self->trigger_on[i] = g_strdup (sluice_value_get_string (item, NULL));
        }
    }
  /* Bad status code sets fail when the configuration loads, not on the first entity: the
   * element's own first (so that the message does not depend on the operations), then each
   * operation's combination. */
  {
    RestOperation none = { .name = (char *) "", .definition = NULL };
    g_autoptr (RestStatusSet) allowed = NULL;
    g_autoptr (RestStatusSet) ignored = NULL;

    if (!status_sets (self, &none, &allowed, &ignored, error))
      goto fail;
  }
  g_hash_table_iter_init (&iter, self->rest->operations);
  while (g_hash_table_iter_next (&iter, NULL, &op))
    {
      g_autoptr (RestStatusSet) allowed = NULL;
      g_autoptr (RestStatusSet) ignored = NULL;

      if (!status_sets (self, op, &allowed, &ignored, error))
        goto fail;
    }
  return self;

fail:
  rest_transform_destroy (self);
  return NULL;
}

static gboolean
is_triggered (RestTransform *self, SluiceEntity *entity)
{
  SluiceValue *body = sluice_entity_get_body (entity);

  if (self->trigger_on == NULL)
    return TRUE;
  for (guint i = 0; self->trigger_on[i] != NULL; i++)
    {
      SluiceValue *value = sluice_value_dict_lookup (body, self->trigger_on[i]);

      if (value != NULL && sluice_value_get_kind (value) != SLUICE_VALUE_NULL)
        return TRUE;
    }
  return FALSE;
}

static gboolean
add_replacement (RestTransform *self, SluiceEntity *entity, const RestOperation *op,
                 const RestRequest *request, SluiceValue *value, size_t index, SluiceBatch *output,
                 GError **error)
{
  SluiceValue *id = sluice_value_get_kind (value) == SLUICE_VALUE_DICT
                      ? sluice_value_dict_lookup (value, "_id")
                      : NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *display_url = NULL;
  SluiceEntity *replacement = NULL;

  if (id != NULL && sluice_value_get_kind (id) == SLUICE_VALUE_STRING)
    replacement = sluice_entity_new (value, &local_error);
  if (replacement == NULL)
    {
      display_url = http_display_url (request->url);
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "rest transform: entity '%s': operation '%s': %s %s: with replace_entity, "
                   "returned value %zu must be an object with a string `_id`%s%s",
                   sluice_entity_get_id (entity), op->name, request->method, display_url, index,
                   local_error != NULL ? ": " : "",
                   local_error != NULL ? local_error->message : "");
      return FALSE;
    }
  sluice_batch_take (output, replacement);
  return TRUE;
}

static gboolean
call (RestTransform *self, SluiceEntity *entity, SluiceBatch *output, GError **error)
{
  RestOperation *op = NULL;
  g_autoptr (RestRequest) request = rest_element_entity_request (self->rest, entity, NULL, &op, error);
  g_autoptr (HttpResponse) response = NULL;
  g_autoptr (RestStatusSet) allowed = NULL;
  g_autoptr (RestStatusSet) ignored = NULL;
  g_autoptr (SluiceValue) body = NULL;
  g_autoptr (SluiceDictBuilder) builder = NULL;
  SluiceValue *selected;
  const char *payload_property, *response_property, *status_property, *headers_property;
  SluiceValue *include_type;
  gboolean is_json;

  if (request == NULL || !status_sets (self, op, &allowed, &ignored, error))
    return FALSE;
  response = rest_element_send (self->rest, op, request, HTTP_SEND_ANY_STATUS, error);
  if (response == NULL)
    {
      g_prefix_error (error, "rest transform: entity '%s': operation '%s': ",
                      sluice_entity_get_id (entity), op->name);
      return FALSE;
    }
  if (rest_status_set_contains (ignored, response->status))
    return TRUE;
  if (!rest_status_set_contains (allowed, response->status))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO,
                   "rest transform: entity '%s': operation '%s': %s %s: %u %s (allowed_status_codes "
                   "is \"%s\")",
                   sluice_entity_get_id (entity), op->name, response->method, response->display_url,
                   response->status, http_status_phrase (response->status),
                   rest_element_lookup_string (self->rest, op, "allowed_status_codes", "200-299"));
      return FALSE;
    }
  body = rest_element_parse_body (self->rest, response, &is_json, error);
  if (body == NULL)
    {
      g_prefix_error (error, "rest transform: entity '%s': operation '%s': ",
                      sluice_entity_get_id (entity), op->name);
      return FALSE;
    }
  payload_property = rest_element_lookup_string (self->rest, op, "payload_property", NULL);
  response_property = rest_element_lookup_string (self->rest, op, "response_property", "response");
  selected = body;
  if (is_json && payload_property != NULL)
    selected = rest_select_path (body, payload_property);
  if (self->replace_entity && is_json)
    {
      if (selected == NULL || sluice_value_get_kind (selected) == SLUICE_VALUE_NULL)
        return TRUE;
      if (sluice_value_get_kind (selected) != SLUICE_VALUE_LIST)
        return add_replacement (self, entity, op, request, selected, 0, output, error);
      for (size_t i = 0; i < sluice_value_list_get_length (selected); i++)
        if (!add_replacement (self, entity, op, request, sluice_value_list_get (selected, i), i,
                              output, error))
          return FALSE;
      return TRUE;
    }

  builder = sluice_dict_builder_new ();
  if (self->replace_entity)
    /* Text is not entities: an entity with the same `_id` holds it. */
    sluice_dict_builder_take (builder, "_id",
                              sluice_value_new_string (sluice_entity_get_id (entity), -1));
  else
    {
      SluiceValue *input = sluice_entity_get_body (entity);

      for (size_t i = 0; i < sluice_value_dict_get_size (input); i++)
        sluice_dict_builder_add (builder, sluice_value_dict_get_key (input, i),
                                 sluice_value_dict_get_value (input, i));
    }
  sluice_dict_builder_take (builder, response_property,
                            selected != NULL ? sluice_value_ref (selected) : sluice_value_new_null ());
  include_type = rest_element_lookup (self->rest, op, "response_include_content_type");
  if (include_type != NULL && sluice_value_get_kind (include_type) == SLUICE_VALUE_BOOLEAN
      && sluice_value_get_boolean (include_type))
    {
      const char *type = http_response_get_content_type (response);

      sluice_dict_builder_take (builder, "content-type",
                                type != NULL ? sluice_value_new_string (type, -1)
                                             : sluice_value_new_null ());
    }
  status_property = rest_element_lookup_string (self->rest, op, "response_status_property", NULL);
  headers_property = rest_element_lookup_string (self->rest, op, "response_headers_property", NULL);
  if (!self->replace_entity && status_property != NULL)
    sluice_dict_builder_take (builder, status_property, sluice_value_new_integer (response->status));
  if (!self->replace_entity && headers_property != NULL)
    sluice_dict_builder_take (builder, headers_property, rest_response_headers (response));
  {
    g_autoptr (SluiceValue) out = sluice_dict_builder_end (g_steal_pointer (&builder));
    SluiceEntity *made = sluice_entity_new (out, error);

    /* Only a response_property of "_id" can make the _id invalid. */
    if (made == NULL)
      {
        g_prefix_error (error, "rest transform: entity '%s': operation '%s': ",
                        sluice_entity_get_id (entity), op->name);
        return FALSE;
      }
    sluice_batch_take (output, made);
  }
  return TRUE;
}

static SluiceFlow
rest_transform_transform (void *instance, const SluiceBatch *input, SluiceBatch *output,
                          GError **error)
{
  RestTransform *self = instance;
  size_t length = sluice_batch_get_length (input);

  for (size_t i = 0; i < length; i++)
    {
      SluiceEntity *entity = sluice_batch_get (input, i);

      if (!is_triggered (self, entity))
        sluice_batch_add (output, entity);
      else if (!call (self, entity, output, error))
        return SLUICE_FLOW_ERROR;
    }
  if (self->fail_if_empty && length > 0 && sluice_batch_get_length (output) == 0)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "rest transform: a batch of %zu entities produced none, and if_transform_empty "
                   "is \"fail\"",
                   length);
      return SLUICE_FLOW_ERROR;
    }
  return SLUICE_FLOW_OK;
}

static const SluiceTransformCallbacks rest_transform_callbacks = {
  SLUICE_TRANSFORM_CALLBACKS_INIT,
  .create = rest_transform_create,
  .destroy = rest_transform_destroy,
  .transform = rest_transform_transform,
};

const SluiceElementDescriptor http_rest_transform = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_TRANSFORM,
  .flags = SLUICE_ELEMENT_FLAG_BLOCKING | SLUICE_ELEMENT_FLAG_SIDE_EFFECTS,
  .type_name = "rest",
  .description = "Calls a REST operation for each entity and keeps the response.",
  .options = rest_transform_options,
  .callbacks = &rest_transform_callbacks,
};
