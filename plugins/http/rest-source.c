/* rest-source.c — the `rest` source: runs one operation of a system:rest and turns the responses
 * into entities (digest §8.9, §14.3; docs/http.md "rest source").
 *
 * A run renders the operation's request (with `since` added as a query parameter or header on an
 * incremental run), takes the entities from the response (`payload_property` selects them inside
 * the body), gives each an `_id` and `_updated` from `id_expression` and `updated_expression` when
 * those are set, and follows pages: by a `next_page_link` template (which may read the body or the
 * `Link` header), or by page number when a request template uses `page`.  The termination
 * strategies say when paging ends.  A page is held in memory while its entities are handed on; pages
 * are bounded by the service's page size, unlike the json source's single streamed response. */
#include "http-elements.h"
#include "rest-operation.h"

#include <string.h>

typedef enum
{
  SINCE_QUERY,
  SINCE_HEADER,
  SINCE_MANUAL,
} SinceLocation;

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  RestElement *rest;
  RestOperation *op; /* borrowed from rest */
  gboolean fail_if_empty;
  char *payload_property;  /* or NULL */
  char *response_property;
  gboolean include_content_type;
  HttpTemplate *id_expression;
  HttpTemplate *updated_expression;
  char *since_name;
  SinceLocation since_location;
  SluiceValue *initial_since; /* or NULL */

  /* The current run. */
  SluiceValue *since; /* NULL: no since in the requests */
  gboolean full;
  gboolean finished; /* no more pages */
  int64_t page;      /* of the next request, from 0 */
  char *next_url;    /* link paging: the next request's URL */
  char *prev_link;
  char *prev_request;
  GBytes *prev_body;
  SluiceValue *entities;  /* the current page's, a LIST */
  size_t index;           /* next to hand on */
  SluiceValue *page_vars; /* template variables of the current page */
  char *page_url;         /* display URL of the current page's request */
  char *page_method;
  size_t n_emitted;
} RestSource;

static const SluiceOptionSpec rest_source_options[] = {
  REST_ELEMENT_SHARED_OPTIONS,
  { .key = "operation", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,
    .description = "The operation to run." },
  { .key = "payload_property", .types = SLUICE_OPTION_STRING,
    .description = "Where the entities are in the response: a key, or a dotted path." },
  { .key = "response_property", .types = SLUICE_OPTION_STRING,
    .description = "For a response that is not JSON: the property that holds its text "
                   "(\"response\")." },
  { .key = "response_include_content_type", .types = SLUICE_OPTION_BOOLEAN,
    .description = "With a non-JSON response, also add a `content-type` property." },
  { .key = "id_expression", .types = SLUICE_OPTION_STRING,
    .description = "A template rendering each entity's `_id` (variables: entity, body, headers, "
                   "…)." },
  { .key = "updated_expression", .types = SLUICE_OPTION_STRING,
    .description = "A template rendering each entity's `_updated`; one placeholder keeps the "
                   "value's type." },
  { .key = "since_property_name", .types = SLUICE_OPTION_STRING,
    .description = "The name of the since parameter or header (\"since\")." },
  { .key = "since_property_location", .types = SLUICE_OPTION_STRING,
    .choices = (const char *const[]){ "query", "header", "manual", NULL },
    .description = "Where since goes: a query parameter (default), a header, or only where "
                   "templates put `{{ since }}`." },
  { .key = "initial_since_value", .types = SLUICE_OPTION_ANY,
    .description = "The since of a run that has no stored offset." },
  SOURCE_COMMON_OPTIONS ("false", "true", "false"),
  { NULL },
};

static void
rest_source_close (void *instance)
{
  RestSource *self = instance;

  g_clear_pointer (&self->since, sluice_value_unref);
  g_clear_pointer (&self->next_url, g_free);
  g_clear_pointer (&self->prev_link, g_free);
  g_clear_pointer (&self->prev_request, g_free);
  g_clear_pointer (&self->prev_body, g_bytes_unref);
  g_clear_pointer (&self->entities, sluice_value_unref);
  g_clear_pointer (&self->page_vars, sluice_value_unref);
  g_clear_pointer (&self->page_url, g_free);
  g_clear_pointer (&self->page_method, g_free);
}

static void
rest_source_destroy (void *instance)
{
  RestSource *self = instance;

  rest_source_close (self);
  g_clear_pointer (&self->rest, rest_element_free);
  g_free (self->payload_property);
  g_free (self->response_property);
  g_clear_pointer (&self->id_expression, http_template_free);
  g_clear_pointer (&self->updated_expression, http_template_free);
  g_free (self->since_name);
  g_clear_pointer (&self->initial_since, sluice_value_unref);
  g_free (self);
}

static gboolean
compile_expression (RestSource *self, const char *key, HttpTemplate **ret, GError **error)
{
  const char *text = rest_element_lookup_string (self->rest, self->op, key, NULL);
  g_autoptr (GError) local_error = NULL;

  if (text == NULL)
    return TRUE;
  *ret = http_template_compile (text, key, &local_error);
  if (*ret == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG, "rest source: %s",
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

static void *
rest_source_create (SluiceElementContext *context, GError **error)
{
  RestSource *self = g_new0 (RestSource, 1);
  const char *location;
  SluiceValue *initial;

  self->context = context;
  self->rest = rest_element_new (context, "rest source", TRUE, error);
  if (self->rest == NULL)
    goto fail;
  self->op = self->rest->default_operation;
  self->fail_if_empty
    = g_strcmp0 (sluice_element_context_get_string (context, "if_source_empty", "accept"), "fail") == 0;
  self->payload_property = g_strdup (rest_element_lookup_string (self->rest, self->op,
                                                                 "payload_property", NULL));
  self->response_property = g_strdup (rest_element_lookup_string (self->rest, self->op,
                                                                  "response_property", "response"));
  self->include_content_type
    = rest_element_lookup (self->rest, self->op, "response_include_content_type") != NULL
      && sluice_value_get_boolean (rest_element_lookup (self->rest, self->op,
                                                        "response_include_content_type"));
  self->since_name = g_strdup (rest_element_lookup_string (self->rest, self->op,
                                                           "since_property_name", "since"));
  location = rest_element_lookup_string (self->rest, self->op, "since_property_location", "query");
  if (g_str_equal (location, "header"))
    self->since_location = SINCE_HEADER;
  else if (g_str_equal (location, "manual"))
    self->since_location = SINCE_MANUAL;
  else if (g_str_equal (location, "query"))
    self->since_location = SINCE_QUERY;
  else
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "rest source: since_property_location \"%s\": expected query, header or manual",
                   location);
      goto fail;
    }
  /* A URL that places since itself needs no parameter added. */
  if (http_template_uses_variable (self->op->url, "since"))
    self->since_location = SINCE_MANUAL;
  initial = sluice_value_dict_lookup (sluice_element_context_get_options (context),
                                      "initial_since_value");
  if (initial != NULL && sluice_value_get_kind (initial) != SLUICE_VALUE_NULL)
    self->initial_since = sluice_value_ref (initial);
  if (!compile_expression (self, "id_expression", &self->id_expression, error)
      || !compile_expression (self, "updated_expression", &self->updated_expression, error))
    goto fail;
  return self;

fail:
  rest_source_destroy (self);
  return NULL;
}

static uint32_t
rest_source_get_capabilities (void *instance)
{
  RestSource *self = instance;

  return source_common_get_capabilities (self->context);
}

static gboolean
rest_source_open (void *instance, uint32_t run_flags, const SluiceValue *since, GError **error)
{
  RestSource *self = instance;

  rest_source_close (self);
  self->since = source_common_dup_since (self->context, run_flags, since);
  self->full = self->since == NULL;
  if (self->since == NULL && self->initial_since != NULL
      && sluice_element_context_get_boolean (self->context, "supports_since", FALSE))
    self->since = sluice_value_ref (self->initial_since);
  self->finished = FALSE;
  self->page = 0;
  self->index = 0;
  self->n_emitted = 0;
  return TRUE;
}

static SluiceValue *
properties_of (RestSource *self)
{
  if (self->rest->properties != NULL)
    return self->rest->properties;
  return self->op->properties;
}

/* The variables of the requests' templates. */
static SluiceValue *
request_variables (RestSource *self)
{
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();
  SluiceValue *properties = properties_of (self);

  sluice_dict_builder_take (builder, "properties",
                            properties != NULL ? sluice_value_ref (properties)
                                               : sluice_dict_builder_end (sluice_dict_builder_new ()));
  sluice_dict_builder_take (builder, "since",
                            self->since != NULL ? sluice_value_ref (self->since)
                                                : sluice_value_new_null ());
  sluice_dict_builder_take (builder, "page", sluice_value_new_integer (self->page));
  sluice_dict_builder_take (builder, "is_first_page", sluice_value_new_boolean (self->page == 0));
  sluice_dict_builder_take (builder, "page_size",
                            self->op->page_size > 0 ? sluice_value_new_integer (self->op->page_size)
                                                    : sluice_value_new_null ());
  return sluice_dict_builder_end (g_steal_pointer (&builder));
}

static char *
request_key (const RestRequest *request)
{
  gsize len = 0;
  const char *body = request->body != NULL ? g_bytes_get_data (request->body, &len) : "";

  return g_strdup_printf ("%s %s\n%.*s", request->method, request->url, (int) len, body);
}

/* The entities of a response body. */
static SluiceValue *
entities_of (RestSource *self, const HttpResponse *response, SluiceValue *body, gboolean is_json,
             GError **error)
{
  SluiceValue *selected = body;
  g_autoptr (SluiceListBuilder) builder = NULL;

  if (!is_json)
    {
      g_autoptr (SluiceDictBuilder) entity = sluice_dict_builder_new ();

      if (self->id_expression == NULL)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "rest source: %s %s: the response is %s, not JSON; set id_expression to "
                       "make an entity of it",
                       response->method, response->display_url,
                       http_response_get_content_type (response)
                         ? http_response_get_content_type (response)
                         : "without a content type");
          return NULL;
        }
      sluice_dict_builder_add (entity, self->response_property, body);
      if (self->include_content_type)
        sluice_dict_builder_take (entity, "content-type",
                                  sluice_value_new_string (http_response_get_content_type (response)
                                                             ? http_response_get_content_type (response)
                                                             : "",
                                                           -1));
      builder = sluice_list_builder_new ();
      sluice_list_builder_take (builder, sluice_dict_builder_end (g_steal_pointer (&entity)));
      return sluice_list_builder_end (g_steal_pointer (&builder));
    }
  if (self->payload_property != NULL)
    selected = rest_select_path (body, self->payload_property);
  /* A page without the array (common on the last page) has no entities. */
  if (selected == NULL || sluice_value_get_kind (selected) == SLUICE_VALUE_NULL)
    return sluice_list_builder_end (sluice_list_builder_new ());
  if (sluice_value_get_kind (selected) == SLUICE_VALUE_LIST)
    return sluice_value_ref (selected);
  if (sluice_value_get_kind (selected) == SLUICE_VALUE_DICT)
    {
      builder = sluice_list_builder_new ();
      sluice_list_builder_add (builder, selected);
      return sluice_list_builder_end (g_steal_pointer (&builder));
    }
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
               "rest source: %s %s: expected a list of entities or one entity%s%s, got a %s",
               response->method, response->display_url,
               self->payload_property ? " at payload_property " : "",
               self->payload_property ? self->payload_property : "",
               sluice_value_kind_get_name (sluice_value_get_kind (selected)));
  return NULL;
}

/* Requests the next page and decides whether another follows. */
static gboolean
fetch_page (RestSource *self, GError **error)
{
  g_autoptr (SluiceValue) variables = request_variables (self);
  g_autoptr (SluiceValue) extra_headers = NULL;
  g_autoptr (RestRequest) request = NULL;
  g_autoptr (HttpResponse) response = NULL;
  g_autoptr (SluiceValue) body = NULL;
  g_autoptr (SluiceValue) headers = NULL;
  g_autoptr (SluiceDictBuilder) vars = NULL;
  g_autofree char *key = NULL;
  g_autofree char *link = NULL;
  SluiceValue *payload = self->rest->payload != NULL ? self->rest->payload : self->op->payload;
  gboolean is_json;
  size_t count;

  if (self->since != NULL && self->since_location == SINCE_HEADER)
    {
      g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();
      g_autofree char *text = http_template_value_to_text (self->since);

      sluice_dict_builder_take (builder, self->since_name, sluice_value_new_string (text, -1));
      extra_headers = sluice_dict_builder_end (g_steal_pointer (&builder));
    }
  request = rest_operation_render (self->rest, self->op, variables, payload, TRUE, self->next_url,
                                   extra_headers, error);
  if (request == NULL)
    {
      g_prefix_error (error, "rest source: operation '%s': ", self->op->name);
      return FALSE;
    }
  /* A next-page link is complete as the service gave it. */
  if (self->since != NULL && self->since_location == SINCE_QUERY && self->next_url == NULL)
    {
      g_autofree char *text = http_template_value_to_text (self->since);
      g_autoptr (GString) url = g_string_new (request->url);

      g_string_append_c (url, strchr (url->str, '?') != NULL ? '&' : '?');
      g_string_append_uri_escaped (url, self->since_name, NULL, FALSE);
      g_string_append_c (url, '=');
      g_string_append_uri_escaped (url, text, NULL, FALSE);
      g_free (request->url);
      request->url = g_string_free (g_steal_pointer (&url), FALSE);
    }
  key = request_key (request);
  if (self->page > 0 && (self->op->stop & REST_STOP_SAME_NEXT_PAGE_REQUEST)
      && g_strcmp0 (key, self->prev_request) == 0)
    {
      self->finished = TRUE;
      return TRUE;
    }
  response = rest_element_send (self->rest, self->op, request, 0, error);
  if (response == NULL)
    {
      g_prefix_error (error, "rest source: operation '%s': ", self->op->name);
      return FALSE;
    }
  body = rest_element_parse_body (self->rest, response, &is_json, error);
  if (body == NULL)
    {
      g_prefix_error (error, "rest source: ");
      return FALSE;
    }
  if (self->page > 0 && (self->op->stop & REST_STOP_SAME_RESPONSE) && self->prev_body != NULL
      && response->body != NULL && g_bytes_equal (self->prev_body, response->body))
    {
      self->finished = TRUE;
      return TRUE;
    }
  g_clear_pointer (&self->entities, sluice_value_unref);
  self->entities = entities_of (self, response, body, is_json, error);
  if (self->entities == NULL)
    return FALSE;
  self->index = 0;
  count = sluice_value_list_get_length (self->entities);

  headers = rest_response_headers (response);
  vars = sluice_dict_builder_new ();
  sluice_dict_builder_add (vars, "body", body);
  sluice_dict_builder_add (vars, "headers", headers);
  sluice_dict_builder_add (vars, "response_headers", headers);
  sluice_dict_builder_take (vars, "url", sluice_value_new_string (request->url, -1));
  sluice_dict_builder_add (vars, "request_params", request->params);
  sluice_dict_builder_add (vars, "request_headers", request->headers);
  for (size_t i = 0; i < sluice_value_dict_get_size (variables); i++)
    sluice_dict_builder_add (vars, sluice_value_dict_get_key (variables, i),
                             sluice_value_dict_get_value (variables, i));
  sluice_dict_builder_take (vars, "next_page", sluice_value_new_integer (self->page + 1));
  g_clear_pointer (&self->page_vars, sluice_value_unref);
  self->page_vars = sluice_dict_builder_end (g_steal_pointer (&vars));
  g_free (self->page_url);
  self->page_url = g_strdup (response->display_url);
  g_free (self->page_method);
  self->page_method = g_strdup (response->method);

  g_clear_pointer (&self->prev_body, g_bytes_unref);
  self->prev_body = response->body != NULL ? g_bytes_ref (response->body) : NULL;
  g_free (self->prev_request);
  self->prev_request = g_steal_pointer (&key);
  g_clear_pointer (&self->next_url, g_free);
  self->page++;

  if ((count == 0 && (self->op->stop & REST_STOP_EMPTY_RESULT))
      || ((self->op->stop & REST_STOP_NOT_FULL_PAGE) && count < (size_t) self->op->page_size))
    self->finished = TRUE;
  else if (self->op->next_page_link != NULL)
    {
      /* A link whose path leads nowhere (no `next` in the last body, no Link header on the last
       * page) is how most services say there is no next page. */
      link = http_template_render (self->op->next_page_link, self->page_vars, NULL);
      if (link == NULL)
        link = g_strdup ("");
      g_strstrip (link);
      if (*link == '\0'
          || ((self->op->stop & REST_STOP_SAME_NEXT_PAGE_LINK) && g_strcmp0 (link, self->prev_link) == 0))
        self->finished = TRUE;
      else
        {
          g_autoptr (GError) local_error = NULL;

          /* A relative link is relative to the request it came with (RFC 3986). */
          self->next_url = g_uri_resolve_relative (request->url, link, G_URI_FLAGS_ENCODED,
                                                   &local_error);
          if (self->next_url == NULL)
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                           "rest source: operation '%s': after %s %s: next_page_link \"%s\" is "
                           "not a URL: %s",
                           self->op->name, response->method, response->display_url, link,
                           local_error->message);
              return FALSE;
            }
          g_free (self->prev_link);
          self->prev_link = g_steal_pointer (&link);
        }
    }
  else if (!self->op->uses_page)
    self->finished = TRUE;
  return TRUE;
}

/* The @index-th entity of the page, with `_id` and `_updated` from the expressions. */
static SluiceEntity *
make_entity (RestSource *self, SluiceValue *value, GError **error)
{
  g_autoptr (SluiceValue) vars = NULL;
  g_autoptr (SluiceValue) body = NULL;
  SluiceEntity *entity;
  SluiceValue *id;

  if (sluice_value_get_kind (value) != SLUICE_VALUE_DICT)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "rest source: %s %s: entity %zu of the response is a %s, expected an object",
                   self->page_method, self->page_url, self->index,
                   sluice_value_kind_get_name (sluice_value_get_kind (value)));
      return NULL;
    }
  body = sluice_value_ref (value);
  if (self->id_expression != NULL || self->updated_expression != NULL)
    vars = rest_dict_with (self->page_vars, "entity", sluice_value_ref (value));
  if (self->id_expression != NULL)
    {
      g_autofree char *text = http_template_render (self->id_expression, vars, error);
      SluiceValue *next;

      if (text == NULL)
        {
          g_prefix_error (error, "rest source: %s %s: entity %zu: ", self->page_method,
                          self->page_url, self->index);
          return NULL;
        }
      next = rest_dict_with (body, "_id", sluice_value_new_string (text, -1));
      sluice_value_unref (body);
      body = next;
    }
  if (self->updated_expression != NULL)
    {
      SluiceValue *updated, *next;

      if (http_template_is_single_value (self->updated_expression))
        updated = http_template_render_value (self->updated_expression, vars, error);
      else
        {
          char *text = http_template_render (self->updated_expression, vars, error);

          updated = text != NULL ? sluice_value_new_string (text, -1) : NULL;
          g_free (text);
        }
      if (updated == NULL)
        {
          g_prefix_error (error, "rest source: %s %s: entity %zu: ", self->page_method,
                          self->page_url, self->index);
          return NULL;
        }
      next = rest_dict_with (body, "_updated", updated);
      sluice_value_unref (body);
      body = next;
    }
  id = sluice_value_dict_lookup (body, "_id");
  if (id == NULL || sluice_value_get_kind (id) != SLUICE_VALUE_STRING)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "rest source: %s %s: entity %zu of the response has no string `_id` (set "
                   "id_expression, e.g. \"{{ entity.id }}\")",
                   self->page_method, self->page_url, self->index);
      return NULL;
    }
  entity = sluice_entity_new (body, error);
  if (entity == NULL)
    g_prefix_error (error, "rest source: %s %s: entity %zu: ", self->page_method, self->page_url,
                    self->index);
  return entity;
}

static SluiceFlow
rest_source_read (void *instance, SluiceBatch *batch, uint32_t max_entities, GError **error)
{
  RestSource *self = instance;
  uint32_t added = 0;

  while (added < max_entities)
    {
      if (self->entities != NULL && self->index < sluice_value_list_get_length (self->entities))
        {
          SluiceEntity *entity = make_entity (self, sluice_value_list_get (self->entities, self->index),
                                              error);

          if (entity == NULL)
            return SLUICE_FLOW_ERROR;
          sluice_batch_take (batch, entity);
          self->index++;
          self->n_emitted++;
          added++;
          continue;
        }
      if (self->finished)
        break;
      if (!fetch_page (self, error))
        return SLUICE_FLOW_ERROR;
    }
  if (!self->finished || (self->entities != NULL
                          && self->index < sluice_value_list_get_length (self->entities)))
    return SLUICE_FLOW_OK;
  if (self->full && self->fail_if_empty && self->n_emitted == 0)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "rest source: operation '%s' returned no entities on a full run, and "
                   "if_source_empty is \"fail\"",
                   self->op->name);
      return SLUICE_FLOW_ERROR;
    }
  return SLUICE_FLOW_EOS;
}

static const SluiceSourceCallbacks rest_source_callbacks = {
  SLUICE_SOURCE_CALLBACKS_INIT,
  .create = rest_source_create,
  .destroy = rest_source_destroy,
  .get_capabilities = rest_source_get_capabilities,
  .open = rest_source_open,
  .read = rest_source_read,
  .close = rest_source_close,
};

const SluiceElementDescriptor http_rest_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .flags = SLUICE_ELEMENT_FLAG_BLOCKING,
  .type_name = "rest",
  .description = "Runs an operation of a REST system and reads entities from its responses, "
                 "following pages.",
  .options = rest_source_options,
  .callbacks = &rest_source_callbacks,
};
