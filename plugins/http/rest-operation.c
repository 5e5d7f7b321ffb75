/* rest-operation.c — compiling and rendering REST operations, and reading their responses, for the
 * rest source, sink and transform (rest-operation.h). */
#include "rest-operation.h"

#include <string.h>

static const char *const method_names[] = { "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
                                            "HEAD", NULL };
static const char *const payload_type_names[] = { "json", "json-transit", "text", "form", NULL };
static const char *const stop_names[] = { "empty-result", "next-page-link-empty",
                                          "same-next-page-link", "same-next-page-request",
                                          "same-response", "not-full-page", NULL };
/* The keys an operation may have; the response-mapping ones are read by the elements. */
static const char *const operation_keys[] = {
  "url", "method", "headers", "params", "payload-type", "payload", "properties",
  "response_property", "response_headers_property", "response_status_property",
  "response_include_content_type", "payload_property", "id_expression", "updated_expression",
  "next_page_link", "next_page_termination_strategy", "page_size", "allowed_status_codes",
  "ignored_status_codes", "since_property_name", "since_property_location",
  "rate_limiting_retries", "rate_limiting_delay", "comment", "description", NULL
};

struct _RestStatusSet
{
  GArray *ranges; /* of guint pairs: low, high */
};

static void
rest_operation_free (RestOperation *op)
{
  if (op == NULL)
    return;
  g_free (op->name);
  g_free (op->method);
  g_clear_pointer (&op->url, http_template_free);
  g_clear_pointer (&op->header_names, g_ptr_array_unref);
  g_clear_pointer (&op->header_values, g_ptr_array_unref);
  g_clear_pointer (&op->param_names, g_ptr_array_unref);
  g_clear_pointer (&op->param_values, g_ptr_array_unref);
  g_clear_pointer (&op->payload, sluice_value_unref);
  g_clear_pointer (&op->properties, sluice_value_unref);
  g_clear_pointer (&op->definition, sluice_value_unref);
  g_clear_pointer (&op->next_page_link, http_template_free);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RestOperation, rest_operation_free)

static gboolean
op_invalid (GError **error, const char *where, const char *name, const char *key,
            const char *format, ...) G_GNUC_PRINTF (5, 6);

/* "system 'crm': /operations/get-person/method: expected …" */
static gboolean
op_invalid (GError **error, const char *where, const char *name, const char *key,
            const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG, "%s: /operations/%s%s%s: %s",
               where, name, key ? "/" : "", key ? key : "", message);
  return FALSE;
}

static int
find_name (const char *const *names, const char *name)
{
  for (int i = 0; names[i] != NULL; i++)
    if (g_str_equal (names[i], name))
      return i;
  return -1;
}

void
rest_redact_error (GError *error, const char *secret_text)
{
  g_auto (GStrv) parts = NULL;

  if (error == NULL || secret_text == NULL || *secret_text == '\0'
      || strstr (error->message, secret_text) == NULL)
    return;
  parts = g_strsplit (error->message, secret_text, -1);
  g_free (error->message);
  error->message = g_strjoinv ("(hidden)", parts);
}

/* Compiles the templates of a headers or params object.  Header templates are named without
 * their text in errors, since header values often carry substituted secrets. */
static gboolean
compile_dict (SluiceValue *dict, const char *where, const char *name, const char *key,
              GPtrArray **ret_names, GPtrArray **ret_values, GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func ((GDestroyNotify) http_template_free);
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) http_template_free);

  if (dict == NULL)
    {
      *ret_names = g_steal_pointer (&names);
      *ret_values = g_steal_pointer (&values);
      return TRUE;
    }
  if (sluice_value_get_kind (dict) != SLUICE_VALUE_DICT)
    return op_invalid (error, where, name, key, "expected an object of templates");
  for (size_t i = 0; i < sluice_value_dict_get_size (dict); i++)
    {
      const char *k = sluice_value_dict_get_key (dict, i);
      SluiceValue *v = sluice_value_dict_get_value (dict, i);
      g_autofree char *what = g_strdup_printf ("%s.%s", key, k);
      g_autofree char *text = NULL;
      GError *local_error = NULL;
      HttpTemplate *tk, *tv;

      if (sluice_value_get_kind (v) == SLUICE_VALUE_NULL)
        continue;
      text = http_template_value_to_text (v);
      tk = http_template_compile (k, what, &local_error);
      tv = tk != NULL ? http_template_compile (text, what, &local_error) : NULL;
      if (tv == NULL)
        {
          g_clear_pointer (&tk, http_template_free);
          rest_redact_error (local_error, text);
          op_invalid (error, where, name, NULL, "%s", local_error->message);
          g_error_free (local_error);
          return FALSE;
        }
      g_ptr_array_add (names, tk);
      g_ptr_array_add (values, tv);
    }
  *ret_names = g_steal_pointer (&names);
  *ret_values = g_steal_pointer (&values);
  return TRUE;
}

static gboolean
templates_use (GPtrArray *templates, const char *variable)
{
  for (guint i = 0; i < templates->len; i++)
    if (http_template_uses_variable (g_ptr_array_index (templates, i), variable))
      return TRUE;
  return FALSE;
}

/* Whether some string inside @payload mentions the variable @name (`{{ page`). */
static gboolean
payload_uses (SluiceValue *payload, const char *name)
{
  if (payload == NULL)
    return FALSE;
  switch (sluice_value_get_kind (payload))
    {
    case SLUICE_VALUE_STRING:
      {
        g_autoptr (HttpTemplate) tmpl
          = http_template_compile (sluice_value_get_string (payload, NULL), "payload", NULL);

        return tmpl != NULL && http_template_uses_variable (tmpl, name);
      }
    case SLUICE_VALUE_LIST:
      for (size_t i = 0; i < sluice_value_list_get_length (payload); i++)
        if (payload_uses (sluice_value_list_get (payload, i), name))
          return TRUE;
      return FALSE;
    case SLUICE_VALUE_DICT:
      for (size_t i = 0; i < sluice_value_dict_get_size (payload); i++)
        if (payload_uses (sluice_value_dict_get_value (payload, i), name))
          return TRUE;
      return FALSE;
    default:
      return FALSE;
    }
}

static const char *
dict_string (SluiceValue *dict, const char *key)
{
  SluiceValue *value = sluice_value_dict_lookup (dict, key);

  return value != NULL && sluice_value_get_kind (value) == SLUICE_VALUE_STRING
           ? sluice_value_get_string (value, NULL)
           : NULL;
}

static gboolean
parse_stop (RestOperation *op, SluiceValue *value, const char *where, GError **error)
{
  const char *key = "next_page_termination_strategy";

  if (value == NULL)
    {
      /* Sesam's default, which a link that stays put or a response that repeats ends. */
      op->stop = REST_STOP_NEXT_PAGE_LINK_EMPTY | REST_STOP_SAME_NEXT_PAGE_REQUEST
                 | REST_STOP_SAME_RESPONSE;
      /* Paging by page number has no link: an empty page ends it. */
      if (op->next_page_link == NULL)
        op->stop |= REST_STOP_EMPTY_RESULT;
      return TRUE;
    }
  op->stop = 0;
  for (size_t i = 0;; i++)
    {
      SluiceValue *item;
      const char *text;
      int index;

      if (sluice_value_get_kind (value) == SLUICE_VALUE_STRING)
        {
          if (i > 0)
            break;
          item = value;
        }
      else if (sluice_value_get_kind (value) == SLUICE_VALUE_LIST)
        {
          if (i >= sluice_value_list_get_length (value))
            break;
          item = sluice_value_list_get (value, i);
        }
      else
        return op_invalid (error, where, op->name, key, "expected a string or a list of strings");
      text = sluice_value_get_kind (item) == SLUICE_VALUE_STRING ? sluice_value_get_string (item, NULL)
                                                                : "";
      index = find_name (stop_names, text);
      if (index < 0)
        return op_invalid (error, where, op->name, key,
                           "unknown strategy \"%s\" (expected empty-result, next-page-link-empty, "
                           "same-next-page-link, same-next-page-request, same-response or "
                           "not-full-page)",
                           text);
      op->stop |= 1u << index;
    }
  if ((op->stop & REST_STOP_NOT_FULL_PAGE) && op->page_size <= 0)
    return op_invalid (error, where, op->name, key, "not-full-page needs page_size");
  return TRUE;
}

static RestOperation *
compile_operation (const char *name, SluiceValue *def, const char *where, GError **error)
{
  g_autoptr (RestOperation) op = g_new0 (RestOperation, 1);
  const char *url, *method, *payload_type, *next;
  SluiceValue *value;
  GError *local_error = NULL;

  op->name = g_strdup (name);
  if (sluice_value_get_kind (def) != SLUICE_VALUE_DICT)
    {
      op_invalid (error, where, name, NULL, "expected an operation object");
      return NULL;
    }
  op->definition = sluice_value_ref (def);
  for (size_t i = 0; i < sluice_value_dict_get_size (def); i++)
    if (find_name (operation_keys, sluice_value_dict_get_key (def, i)) < 0)
      {
        op_invalid (error, where, name, sluice_value_dict_get_key (def, i),
                    "unknown key (see docs/http.md for the keys of an operation)");
        return NULL;
      }
  url = dict_string (def, "url");
  if (url == NULL)
    {
      op_invalid (error, where, name, "url", "required: expected a URL template");
      return NULL;
    }
  op->url = http_template_compile (url, "url", &local_error);
  if (op->url == NULL)
    {
      op_invalid (error, where, name, NULL, "%s", local_error->message);
      g_error_free (local_error);
      return NULL;
    }
  method = dict_string (def, "method");
  if (method == NULL || find_name (method_names, method) < 0)
    {
      op_invalid (error, where, name, "method",
                  "expected GET, POST, PUT, DELETE, PATCH, OPTIONS or HEAD (upper case), got %s%s%s",
                  method ? "\"" : "", method ? method : "nothing", method ? "\"" : "");
      return NULL;
    }
  op->method = g_strdup (method);
  if (!compile_dict (sluice_value_dict_lookup (def, "headers"), where, name, "headers",
                     &op->header_names, &op->header_values, error)
      || !compile_dict (sluice_value_dict_lookup (def, "params"), where, name, "params",
                        &op->param_names, &op->param_values, error))
    return NULL;
  payload_type = dict_string (def, "payload-type");
  if (payload_type == NULL)
    op->payload_type = REST_PAYLOAD_JSON;
  else if (find_name (payload_type_names, payload_type) >= 0)
    op->payload_type = (RestPayloadType) find_name (payload_type_names, payload_type);
  else
    {
      op_invalid (error, where, name, "payload-type",
                  "expected json, json-transit, text or form, got \"%s\"%s", payload_type,
                  g_str_equal (payload_type, "multipart-form") ? " (multipart-form is not supported)"
                                                                : "");
      return NULL;
    }
  value = sluice_value_dict_lookup (def, "payload");
  if (value != NULL && sluice_value_get_kind (value) != SLUICE_VALUE_NULL)
    op->payload = sluice_value_ref (value);
  value = sluice_value_dict_lookup (def, "properties");
  if (value != NULL && sluice_value_get_kind (value) == SLUICE_VALUE_DICT)
    op->properties = sluice_value_ref (value);
  else if (value != NULL && sluice_value_get_kind (value) != SLUICE_VALUE_NULL)
    {
      op_invalid (error, where, name, "properties", "expected an object");
      return NULL;
    }
  value = sluice_value_dict_lookup (def, "page_size");
  if (value != NULL && (sluice_value_get_kind (value) != SLUICE_VALUE_INTEGER
                        || sluice_value_get_integer (value) < 1))
    {
      op_invalid (error, where, name, "page_size", "expected a positive integer");
      return NULL;
    }
  op->page_size = value != NULL ? sluice_value_get_integer (value) : 0;
  next = dict_string (def, "next_page_link");
  if (next != NULL)
    {
      op->next_page_link = http_template_compile (next, "next_page_link", &local_error);
      if (op->next_page_link == NULL)
        {
          op_invalid (error, where, name, NULL, "%s", local_error->message);
          g_error_free (local_error);
          return NULL;
        }
    }
  op->uses_page = http_template_uses_variable (op->url, "page")
                  || templates_use (op->param_values, "page")
                  || templates_use (op->header_values, "page") || payload_uses (op->payload, "page");
  if (!parse_stop (op, sluice_value_dict_lookup (def, "next_page_termination_strategy"), where,
                   error))
    return NULL;
  return g_steal_pointer (&op);
}

static gboolean
add_operations (RestElement *element, SluiceValue *operations, const char *where, GError **error)
{
  for (size_t i = 0; operations != NULL && i < sluice_value_dict_get_size (operations); i++)
    {
      const char *name = sluice_value_dict_get_key (operations, i);
      RestOperation *op = compile_operation (name, sluice_value_dict_get_value (operations, i),
                                             where, error);

      if (op == NULL)
        return FALSE;
      g_hash_table_replace (element->operations, op->name, op);
    }
  return TRUE;
}

void
rest_element_free (RestElement *element)
{
  if (element == NULL)
    return;
  g_clear_pointer (&element->client, http_client_free);
  g_clear_pointer (&element->system, http_system_unref);
  g_clear_pointer (&element->operations, g_hash_table_unref);
  g_clear_pointer (&element->properties, sluice_value_unref);
  g_clear_pointer (&element->payload, sluice_value_unref);
  g_clear_pointer (&element->json_content_types, g_ptr_array_unref);
  g_free (element);
}

static gint
compare_string_pointers (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

RestOperation *
rest_element_get_operation (RestElement *element, const char *name, const char *where,
                            GError **error)
{
  RestOperation *op = g_hash_table_lookup (element->operations, name);
  g_autofree const char **names = NULL;
  g_autofree char *known = NULL;
  guint n;

  if (op != NULL)
    return op;
  names = (const char **) g_hash_table_get_keys_as_array (element->operations, &n);
  g_qsort_with_data (names, n, sizeof (char *), compare_string_pointers, NULL);
  known = n > 0 ? g_strjoinv (", ", (char **) names) : g_strdup ("none");
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
               "%s: %s: there is no operation '%s' in system '%s' or the element's operations "
               "(known: %s)",
               element->what, where, name, element->system->id, known);
  return NULL;
}

RestElement *
rest_element_new (SluiceElementContext *context, const char *what, gboolean need_operation,
                  GError **error)
{
  g_autoptr (RestElement) element = g_new0 (RestElement, 1);
  SluiceValue *options = sluice_element_context_get_options (context);
  SluiceValue *value;
  const char *operation;
  g_autofree char *where = NULL;

  element->context = context;
  element->what = what;
  element->operations = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                               (GDestroyNotify) rest_operation_free);
  element->json_content_types = g_ptr_array_new_with_free_func (g_free);
  element->system = http_system_acquire (context,
                                         sluice_element_context_get_string (context, "system", NULL),
                                         error);
  if (element->system == NULL)
    return NULL;
  where = g_strdup_printf ("system '%s'", element->system->id);
  if (!add_operations (element, element->system->operations, where, error))
    return NULL;
  value = sluice_value_dict_lookup (options, "operations");
  if (value != NULL && sluice_value_get_kind (value) == SLUICE_VALUE_DICT
      && !add_operations (element, value, what, error))
    return NULL;
  value = sluice_value_dict_lookup (element->system->config, "json_content_types");
  for (size_t i = 0; value != NULL && sluice_value_get_kind (value) == SLUICE_VALUE_LIST
                     && i < sluice_value_list_get_length (value);
       i++)
    if (sluice_value_get_kind (sluice_value_list_get (value, i)) == SLUICE_VALUE_STRING)
      g_ptr_array_add (element->json_content_types,
                       g_strdup (sluice_value_get_string (sluice_value_list_get (value, i), NULL)));

  operation = sluice_element_context_get_string (context, "operation", NULL);
  if (operation != NULL)
    {
      element->default_operation = rest_element_get_operation (element, operation, "option 'operation'",
                                                               error);
      if (element->default_operation == NULL)
        return NULL;
    }
  else if (need_operation)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "%s: option 'operation' is required: it names the operation to run", what);
      return NULL;
    }
  value = sluice_value_dict_lookup (options, "properties");
  if (value != NULL && sluice_value_get_kind (value) == SLUICE_VALUE_DICT)
    element->properties = sluice_value_ref (value);
  value = sluice_value_dict_lookup (options, "payload");
  if (value != NULL && sluice_value_get_kind (value) != SLUICE_VALUE_NULL)
    element->payload = sluice_value_ref (value);
  element->client = http_client_new (context, element->system, NULL);
  return g_steal_pointer (&element);
}

SluiceValue *
rest_element_lookup (RestElement *element, const RestOperation *op, const char *key)
{
  SluiceValue *value = sluice_value_dict_lookup (sluice_element_context_get_options (element->context),
                                                 key);

  if (value != NULL && sluice_value_get_kind (value) != SLUICE_VALUE_NULL)
    return value;
  value = op != NULL && op->definition != NULL ? sluice_value_dict_lookup (op->definition, key) : NULL;
  if (value != NULL && sluice_value_get_kind (value) != SLUICE_VALUE_NULL)
    return value;
  return NULL;
}

const char *
rest_element_lookup_string (RestElement *element, const RestOperation *op, const char *key,
                            const char *fallback)
{
  SluiceValue *value = rest_element_lookup (element, op, key);

  return value != NULL && sluice_value_get_kind (value) == SLUICE_VALUE_STRING
           ? sluice_value_get_string (value, NULL)
           : fallback;
}

void
rest_request_free (RestRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->method);
  g_free (request->url);
  g_clear_pointer (&request->headers, sluice_value_unref);
  g_clear_pointer (&request->params, sluice_value_unref);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request->content_type);
  g_free (request);
}

/* Renders a templated dict; @secret: keep template texts out of error messages. */
static SluiceValue *
render_dict (GPtrArray *names, GPtrArray *values, const SluiceValue *variables, gboolean secret,
             GError **error)
{
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *name = http_template_render (g_ptr_array_index (names, i), variables, error);
      g_autofree char *value = name != NULL
                                 ? http_template_render (g_ptr_array_index (values, i), variables, error)
                                 : NULL;

      if (value == NULL)
        {
          if (secret && error != NULL)
            rest_redact_error (*error, http_template_get_text (g_ptr_array_index (values, i)));
          return NULL;
        }
      sluice_dict_builder_take (builder, name, sluice_value_new_string (value, -1));
    }
  return sluice_dict_builder_end (g_steal_pointer (&builder));
}

/* Renders the strings inside a payload as templates; a string that is one placeholder keeps the
 * value's type. */
static SluiceValue *
render_payload (const SluiceValue *payload, const SluiceValue *variables, GError **error)
{
  switch (sluice_value_get_kind (payload))
    {
    case SLUICE_VALUE_STRING:
      {
        const char *text = sluice_value_get_string (payload, NULL);
        g_autoptr (HttpTemplate) tmpl = NULL;
        g_autofree char *rendered = NULL;
        SluiceValue *value;

        if (strstr (text, "{{") == NULL)
          return sluice_value_ref ((SluiceValue *) payload);
        tmpl = http_template_compile (text, "payload", error);
        if (tmpl == NULL)
          {
            rest_redact_error (*error, text);
            return NULL;
          }
        if (http_template_is_single_value (tmpl))
          {
            value = http_template_render_value (tmpl, variables, error);
            if (value == NULL)
              rest_redact_error (*error, text);
            return value;
          }
        rendered = http_template_render (tmpl, variables, error);
        if (rendered == NULL)
          {
            rest_redact_error (*error, text);
            return NULL;
          }
        return sluice_value_new_string (rendered, -1);
      }
    case SLUICE_VALUE_LIST:
      {
        g_autoptr (SluiceListBuilder) builder = sluice_list_builder_new ();

        for (size_t i = 0; i < sluice_value_list_get_length (payload); i++)
          {
            SluiceValue *item = render_payload (sluice_value_list_get (payload, i), variables, error);

            if (item == NULL)
              return NULL;
            sluice_list_builder_take (builder, item);
          }
        return sluice_list_builder_end (g_steal_pointer (&builder));
      }
    case SLUICE_VALUE_DICT:
      {
        g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();

        for (size_t i = 0; i < sluice_value_dict_get_size (payload); i++)
          {
            SluiceValue *item = render_payload (sluice_value_dict_get_value (payload, i), variables,
                                                error);

            if (item == NULL)
              return NULL;
            sluice_dict_builder_take (builder, sluice_value_dict_get_key (payload, i), item);
          }
        return sluice_dict_builder_end (g_steal_pointer (&builder));
      }
    default:
      return sluice_value_ref ((SluiceValue *) payload);
    }
}

static void
write_json_string (GString *out, const char *text, size_t len)
{
  g_string_append_c (out, '"');
  for (size_t i = 0; i < len; i++)
    {
      guchar c = text[i];

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, c);
        }
    }
  g_string_append_c (out, '"');
}

/* Plain JSON, for services that do not know transit encoding: typed values are written as the
 * text the templates give them (a datetime as ISO 8601, a decimal as a number). */
static void
write_plain_json (GString *out, const SluiceValue *value)
{
  switch (sluice_value_get_kind (value))
    {
    case SLUICE_VALUE_NULL:
    case SLUICE_VALUE_BOOLEAN:
    case SLUICE_VALUE_INTEGER:
    case SLUICE_VALUE_FLOAT:
      sluice_json_write_value (out, value);
      break;
    case SLUICE_VALUE_DECIMAL:
      g_string_append (out, sluice_value_get_string (value, NULL));
      break;
    case SLUICE_VALUE_LIST:
      g_string_append_c (out, '[');
      for (size_t i = 0; i < sluice_value_list_get_length (value); i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          write_plain_json (out, sluice_value_list_get (value, i));
        }
      g_string_append_c (out, ']');
      break;
    case SLUICE_VALUE_DICT:
      g_string_append_c (out, '{');
      for (size_t i = 0; i < sluice_value_dict_get_size (value); i++)
        {
          const char *key = sluice_value_dict_get_key (value, i);

          if (i > 0)
            g_string_append_c (out, ',');
          write_json_string (out, key, strlen (key));
          g_string_append_c (out, ':');
          write_plain_json (out, sluice_value_dict_get_value (value, i));
        }
      g_string_append_c (out, '}');
      break;
    default:
      {
        g_autofree char *text = http_template_value_to_text (value);

        write_json_string (out, text, strlen (text));
      }
    }
}

static gboolean
encode_payload (RestRequest *request, const RestOperation *op, const SluiceValue *payload,
                GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  SluiceValueKind kind = sluice_value_get_kind (payload);

  switch (op->payload_type)
    {
    case REST_PAYLOAD_JSON:
      write_plain_json (out, payload);
      request->content_type = g_strdup ("application/json");
      break;
    case REST_PAYLOAD_JSON_TRANSIT:
      sluice_json_write_value (out, payload);
      request->content_type = g_strdup ("application/json");
      break;
    case REST_PAYLOAD_TEXT:
      if (kind == SLUICE_VALUE_BYTES)
        {
          size_t len;
          const uint8_t *data = sluice_value_get_bytes (payload, &len);

          request->body = g_bytes_new (data, len);
          request->content_type = g_strdup ("application/octet-stream");
          return TRUE;
        }
      if (kind == SLUICE_VALUE_LIST || kind == SLUICE_VALUE_DICT)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "operation '%s': payload-type text needs a string or bytes payload, got a %s",
                       op->name, sluice_value_kind_get_name (kind));
          return FALSE;
        }
      {
        g_autofree char *text = http_template_value_to_text (payload);

        g_string_append (out, text);
      }
      request->content_type = g_strdup ("text/plain; charset=utf-8");
      break;
    case REST_PAYLOAD_FORM:
      if (kind == SLUICE_VALUE_DICT)
        for (size_t i = 0; i < sluice_value_dict_get_size (payload); i++)
          {
            g_autofree char *text = http_template_value_to_text (sluice_value_dict_get_value (payload, i));

            if (out->len > 0)
              g_string_append_c (out, '&');
            g_string_append_uri_escaped (out, sluice_value_dict_get_key (payload, i), NULL, FALSE);
            g_string_append_c (out, '=');
            g_string_append_uri_escaped (out, text, NULL, FALSE);
          }
      else if (kind == SLUICE_VALUE_STRING)
        g_string_append (out, sluice_value_get_string (payload, NULL));
      else
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "operation '%s': payload-type form needs an object or a string payload, "
                       "got a %s",
                       op->name, sluice_value_kind_get_name (kind));
          return FALSE;
        }
      request->content_type = g_strdup ("application/x-www-form-urlencoded");
      break;
    }
  request->body = g_bytes_new (out->str, out->len);
  return TRUE;
}

RestRequest *
rest_operation_render (RestElement *element, const RestOperation *op, const SluiceValue *variables,
                       const SluiceValue *payload, gboolean payload_is_template,
                       const char *url_override, SluiceValue *extra_headers, GError **error)
{
  g_autoptr (RestRequest) request = g_new0 (RestRequest, 1);
  g_autoptr (GString) url = NULL;
  g_autoptr (SluiceValue) headers = NULL;

  request->method = g_strdup (op->method);
  if (url_override != NULL)
    {
      url = g_string_new (url_override);
      request->params = sluice_dict_builder_end (sluice_dict_builder_new ());
    }
  else
    {
      g_autofree char *relative = http_template_render (op->url, variables, error);
      g_autofree char *resolved = NULL;

      if (relative == NULL)
        return NULL;
      resolved = http_system_resolve_url (element->system, relative);
      url = g_string_new (resolved);
      request->params = render_dict (op->param_names, op->param_values, variables, FALSE, error);
      if (request->params == NULL)
        return NULL;
      for (size_t i = 0; i < sluice_value_dict_get_size (request->params); i++)
        {
          g_string_append_c (url, strchr (url->str, '?') != NULL ? '&' : '?');
          g_string_append_uri_escaped (url, sluice_value_dict_get_key (request->params, i), NULL,
                                       FALSE);
          g_string_append_c (url, '=');
          g_string_append_uri_escaped (url,
                                       sluice_value_get_string (sluice_value_dict_get_value (request->params,
                                                                                             i),
                                                                NULL),
                                       NULL, FALSE);
        }
    }
  request->url = g_string_free (g_steal_pointer (&url), FALSE);
  headers = render_dict (op->header_names, op->header_values, variables, TRUE, error);
  if (headers == NULL)
    return NULL;
  if (extra_headers != NULL && sluice_value_dict_get_size (extra_headers) > 0)
    {
      g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();

      for (size_t i = 0; i < sluice_value_dict_get_size (headers); i++)
        sluice_dict_builder_add (builder, sluice_value_dict_get_key (headers, i),
                                 sluice_value_dict_get_value (headers, i));
      for (size_t i = 0; i < sluice_value_dict_get_size (extra_headers); i++)
        sluice_dict_builder_add (builder, sluice_value_dict_get_key (extra_headers, i),
                                 sluice_value_dict_get_value (extra_headers, i));
      g_clear_pointer (&headers, sluice_value_unref);
      headers = sluice_dict_builder_end (g_steal_pointer (&builder));
    }
  request->headers = g_steal_pointer (&headers);
  if (payload != NULL)
    {
      g_autoptr (SluiceValue) rendered = payload_is_template
                                           ? render_payload (payload, variables, error)
                                           : sluice_value_ref ((SluiceValue *) payload);

      if (rendered == NULL || !encode_payload (request, op, rendered, error))
        return NULL;
    }
  return g_steal_pointer (&request);
}

RestRequest *
rest_element_entity_request (RestElement *element, const SluiceEntity *entity,
                             RestOperation *fallback, RestOperation **ret_op, GError **error)
{
  SluiceValue *body = sluice_entity_get_body (entity);
  SluiceValue *name = sluice_value_dict_lookup (body, "operation");
  SluiceValue *properties = sluice_value_dict_lookup (body, "properties");
  SluiceValue *payload = sluice_value_dict_lookup (body, "payload");
  g_autoptr (SluiceDictBuilder) builder = NULL;
  g_autoptr (SluiceValue) variables = NULL;
  gboolean payload_is_template = FALSE;
  RestOperation *op = fallback != NULL ? fallback : element->default_operation;
  RestRequest *request;

  if (name != NULL && sluice_value_get_kind (name) == SLUICE_VALUE_STRING)
    {
      g_autofree char *where = g_strdup_printf ("entity '%s'", sluice_entity_get_id (entity));

      op = rest_element_get_operation (element, sluice_value_get_string (name, NULL), where, error);
      if (op == NULL)
        return NULL;
    }
  else if (op == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "%s: entity '%s': no operation: the entity has no string `operation` and the "
                   "element no `operation` option",
                   element->what, sluice_entity_get_id (entity));
      return NULL;
    }
  if (properties == NULL || sluice_value_get_kind (properties) != SLUICE_VALUE_DICT)
    properties = element->properties != NULL ? element->properties : op->properties;
  if (payload == NULL || sluice_value_get_kind (payload) == SLUICE_VALUE_NULL)
    {
      payload = element->payload != NULL ? element->payload : op->payload;
      payload_is_template = TRUE;
    }
  builder = sluice_dict_builder_new ();
  sluice_dict_builder_add (builder, "entity", body);
  sluice_dict_builder_add (builder, "source_entity", body);
  sluice_dict_builder_take (builder, "properties",
                            properties != NULL ? sluice_value_ref (properties)
                                               : sluice_dict_builder_end (sluice_dict_builder_new ()));
  variables = sluice_dict_builder_end (g_steal_pointer (&builder));
  request = rest_operation_render (element, op, variables, payload, payload_is_template, NULL, NULL,
                                   error);
  if (request == NULL)
    {
      g_prefix_error (error, "%s: entity '%s': operation '%s': ", element->what,
                      sluice_entity_get_id (entity), op->name);
      return NULL;
    }
  *ret_op = op;
  return request;
}

HttpResponse *
rest_element_send (RestElement *element, const RestOperation *op, const RestRequest *request,
                   uint32_t flags, GError **error)
{
  SluiceValue *retries = rest_element_lookup (element, op, "rate_limiting_retries");
  SluiceValue *delay = rest_element_lookup (element, op, "rate_limiting_delay");

  if (retries != NULL || delay != NULL)
    http_client_set_rate_limiting (element->client,
                                   retries != NULL && sluice_value_get_kind (retries) == SLUICE_VALUE_INTEGER
                                     ? (int) sluice_value_get_integer (retries)
                                     : element->system->retry.rate_limit_retries,
                                   delay != NULL && (sluice_value_get_kind (delay) == SLUICE_VALUE_INTEGER
                                                     || sluice_value_get_kind (delay) == SLUICE_VALUE_FLOAT)
                                     ? sluice_value_get_float (delay)
                                     : element->system->retry.rate_limit_delay);
  return http_client_send (element->client, request->method, request->url, request->headers,
                           request->body, request->content_type, flags, error);
}

static gboolean
is_json_type (RestElement *element, const char *type)
{
  if (type == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (type, "application/json") == 0 || g_str_has_suffix (type, "+json"))
    return TRUE;
  for (guint i = 0; i < element->json_content_types->len; i++)
    if (g_ascii_strcasecmp (type, g_ptr_array_index (element->json_content_types, i)) == 0)
      return TRUE;
  return FALSE;
}

SluiceValue *
rest_element_parse_body (RestElement *element, const HttpResponse *response, gboolean *ret_is_json,
                         GError **error)
{
  gsize len = 0;
  const char *data = response->body != NULL ? g_bytes_get_data (response->body, &len) : NULL;
  g_autoptr (GError) local_error = NULL;
  SluiceValue *value;

  if (!is_json_type (element, http_response_get_content_type (response)))
    {
      *ret_is_json = FALSE;
      if (!g_utf8_validate (data != NULL ? data : "", len, NULL))
        return sluice_value_new_bytes (data, len);
      return sluice_value_new_string (data != NULL ? data : "", len);
    }
  *ret_is_json = TRUE;
  if (len == 0)
    return sluice_value_new_null ();
  value = sluice_value_from_json (data, len, &local_error);
  if (value == NULL)
    g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PARSE, "%s %s: invalid JSON in the response: %s",
                 response->method, response->display_url, local_error->message);
  return value;
}

/* Parses an RFC 8288 Link header: `<url>; rel="next", <url2>; rel=last`. */
static SluiceValue *
parse_link (const char *text)
{
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();
  const char *p = text;

  while (p != NULL && *p != '\0')
    {
      const char *open = strchr (p, '<');
      const char *close = open != NULL ? strchr (open, '>') : NULL;
      const char *end;
      g_autofree char *target = NULL;
      g_autofree char *params = NULL;
      g_auto (GStrv) parts = NULL;

      if (close == NULL)
        break;
      target = g_strndup (open + 1, close - open - 1);
      /* The parameters run to the next ", <" (a comma may appear inside a quoted value). */
      end = strstr (close, ", <");
      if (end == NULL)
        end = strstr (close, ",<");
      if (end == NULL)
        end = close + strlen (close);
      params = g_strndup (close + 1, end - close - 1);
      parts = g_strsplit (params, ";", -1);
      for (guint i = 0; parts[i] != NULL; i++)
        {
          char *param = g_strstrip (parts[i]);

          if (g_ascii_strncasecmp (param, "rel", 3) == 0)
            {
              char *value = strchr (param, '=');
              g_auto (GStrv) rels = NULL;

              if (value == NULL)
                continue;
              value = g_strstrip (value + 1);
              if (*value == '"')
                {
                  value++;
                  if (*value != '\0' && value[strlen (value) - 1] == '"')
                    value[strlen (value) - 1] = '\0';
                }
              rels = g_strsplit (value, " ", -1);
              for (guint r = 0; rels[r] != NULL; r++)
                if (*rels[r] != '\0')
                  sluice_dict_builder_take (builder, rels[r], sluice_value_new_string (target, -1));
            }
        }
      p = *end != '\0' ? end + 1 : NULL;
    }
  return sluice_dict_builder_end (g_steal_pointer (&builder));
}

SluiceValue *
rest_response_headers (const HttpResponse *response)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (response->message);
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      const char *joined = soup_message_headers_get_list (headers, name);

      if (g_ascii_strcasecmp (name, "Link") == 0)
        sluice_dict_builder_take (builder, "Link", parse_link (joined));
      else
        sluice_dict_builder_take (builder, name, sluice_value_new_string (joined, -1));
    }
  return sluice_dict_builder_end (g_steal_pointer (&builder));
}

SluiceValue *
rest_select_path (SluiceValue *body, const char *path)
{
  g_auto (GStrv) segments = NULL;
  SluiceValue *value = body;

  if (body == NULL || sluice_value_get_kind (body) != SLUICE_VALUE_DICT)
    return NULL;
  if (sluice_value_dict_lookup (body, path) != NULL)
    return sluice_value_dict_lookup (body, path);
  segments = g_strsplit (path, ".", -1);
  for (guint i = 0; segments[i] != NULL && value != NULL; i++)
    value = sluice_value_get_kind (value) == SLUICE_VALUE_DICT
              ? sluice_value_dict_lookup (value, segments[i])
              : NULL;
  return value;
}

SluiceValue *
rest_dict_with (SluiceValue *dict, const char *key, SluiceValue *value)
{
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();

  for (size_t i = 0; i < sluice_value_dict_get_size (dict); i++)
    sluice_dict_builder_add (builder, sluice_value_dict_get_key (dict, i),
                             sluice_value_dict_get_value (dict, i));
  sluice_dict_builder_take (builder, key, value);
  return sluice_dict_builder_end (g_steal_pointer (&builder));
}

void
rest_status_set_free (RestStatusSet *set)
{
  if (set == NULL)
    return;
  g_array_unref (set->ranges);
  g_free (set);
}

static gboolean
parse_code (const char **p, guint *ret_code)
{
  guint code = 0;
  int digits = 0;

  while (g_ascii_isdigit (**p) && digits < 4)
    {
      code = code * 10 + (**p - '0');
      (*p)++;
      digits++;
    }
  if (digits != 3 || code < 100 || code > 599)
    return FALSE;
  *ret_code = code;
  return TRUE;
}

RestStatusSet *
rest_status_set_parse (const char *text, const char *what, GError **error)
{
  g_autoptr (RestStatusSet) set = g_new0 (RestStatusSet, 1);
  const char *p = text;
  const char *bad;

  set->ranges = g_array_new (FALSE, FALSE, sizeof (guint) * 2);
  for (;;)
    {
      guint range[2];

      bad = p;
      if (!parse_code (&p, &range[0]))
        break;
      range[1] = range[0];
      if (*p == '-')
        {
          bad = ++p;
          if (!parse_code (&p, &range[1]) || range[1] < range[0])
            break;
        }
      g_array_append_val (set->ranges, range);
      if (*p == '\0')
        return g_steal_pointer (&set);
      bad = p;
      if (*p != ',')
        break;
      p++;
    }
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
               "%s \"%s\": byte %td: expected a status code from 100 to 599, a range like 200-299 "
               "(low to high), or codes separated by ',' without spaces",
               what, text, bad - text);
  return NULL;
}

gboolean
rest_status_set_contains (const RestStatusSet *set, guint status)
{
  for (guint i = 0; set != NULL && i < set->ranges->len; i++)
    {
      const guint *range = &g_array_index (set->ranges, guint, i * 2);

      if (status >= range[0] && status <= range[1])
        return TRUE;
    }
  return FALSE;
}

gboolean
rest_status_set_overlaps (const RestStatusSet *a, const RestStatusSet *b)
{
  for (guint i = 0; a != NULL && b != NULL && i < a->ranges->len; i++)
    for (guint j = 0; j < b->ranges->len; j++)
      {
        const guint *x = &g_array_index (a->ranges, guint, i * 2);
        const guint *y = &g_array_index (b->ranges, guint, j * 2);

        if (x[0] <= y[1] && y[0] <= x[1])
          return TRUE;
      }
  return FALSE;
}
