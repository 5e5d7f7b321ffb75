/* json-source.c — the `json` source: a JSON pull client (digest §8.8, §12.1, §4.4).
 *
 * A run GETs the URL (resolved against the system's url_pattern), adding `since` on incremental
 * runs, `limit` when paging and `subset` when configured.  The response body is never held whole:
 * read () pulls it from the socket in JSON_SOURCE_CHUNK pieces, feeds them to the SDK's streaming
 * reader and hands entities on as they complete, so memory stays bounded by one chunk plus one
 * batch however large the response is.  With `page_size`, a page that came back full is followed by
 * a request for the entities after the last `_updated` seen, until a page comes back short. */
#include "http-client.h"
#include "http-elements.h"
#include "http-template.h"

#include <string.h>

#define JSON_SOURCE_CHUNK 65536

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  HttpClient *client;
  char *url;
  int64_t page_size; /* 0: no paging */
  char *subset;      /* JSON text, or NULL */
  gboolean fail_if_empty;

  /* The current run. */
  SluiceValue *since;        /* what the next request asks for; NULL on a full run */
  gboolean full;
  HttpResponse *response;    /* the page being read */
  SluiceJsonReader *reader;
  guint8 *chunk;
  gboolean body_done;        /* the whole body has been fed to the reader */
  gboolean finished;         /* no more requests */
  size_t page_count;
  size_t n_emitted;
  SluiceValue *last_updated; /* of the last entity of the current page */
} JsonSource;

static const SluiceOptionSpec json_source_options[] = {
  { .key = "system", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,
    .description = "The `_id` of the system:url (or system:rest) to GET from." },
  { .key = "url", .types = SLUICE_OPTION_STRING, .default_json = "\"\"",
    .description = "The URL, relative to the system's url_pattern, or absolute." },
  { .key = "headers", .types = SLUICE_OPTION_OBJECT, .flags = SLUICE_OPTION_FLAG_OPEN,
    .description = "Extra request headers; they win over the system's." },
  { .key = "page_size", .types = SLUICE_OPTION_INTEGER,
    .description = "Page with `limit`: repeat the request from the last `_updated` until a page "
                   "comes back short. Needs all three continuation flags true." },
  { .key = "subset", .types = SLUICE_OPTION_ANY,
    .description = "A subset expression, sent as the `subset` parameter (JSON)." },
  { .key = "supports_signalling", .types = SLUICE_OPTION_BOOLEAN, .default_json = "false",
    .description = "Accepted for compatibility; the json source is never signalled." },
  SOURCE_COMMON_OPTIONS ("false", "true", "false"),
  { NULL },
};

static void
json_source_close (void *instance)
{
  JsonSource *self = instance;

  g_clear_pointer (&self->response, http_response_free);
  g_clear_pointer (&self->reader, sluice_json_reader_free);
  g_clear_pointer (&self->chunk, g_free);
  g_clear_pointer (&self->since, sluice_value_unref);
  g_clear_pointer (&self->last_updated, sluice_value_unref);
}

static void
json_source_destroy (void *instance)
{
  JsonSource *self = instance;

  json_source_close (self);
  g_clear_pointer (&self->client, http_client_free);
  g_free (self->url);
  g_free (self->subset);
  g_free (self);
}

static void *
json_source_create (SluiceElementContext *context, GError **error)
{
  SluiceValue *options = sluice_element_context_get_options (context);
  HttpClient *client;
  char *url = NULL;
  SluiceValue *subset = sluice_value_dict_lookup (options, "subset");
  JsonSource *self;

  client = http_client_new_for_element (context, &url, error);
  if (client == NULL)
    return NULL;
  self = g_new0 (JsonSource, 1);
  self->context = context;
  self->client = g_steal_pointer (&client);
  self->url = g_steal_pointer (&url);
  self->page_size = sluice_element_context_get_integer (context, "page_size", 0);
  if (subset != NULL && sluice_value_get_kind (subset) != SLUICE_VALUE_NULL)
    self->subset = sluice_value_to_json (subset);
  self->fail_if_empty
    = g_strcmp0 (sluice_element_context_get_string (context, "if_source_empty", "accept"), "fail") == 0;
  if (self->page_size < 0
      || (self->page_size > 0
          && source_common_get_capabilities (context)
               != (SLUICE_SOURCE_SUPPORTS_SINCE | SLUICE_SOURCE_IS_SINCE_COMPARABLE
                   | SLUICE_SOURCE_IS_CHRONOLOGICAL)))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   self->page_size < 0
                     ? "json source: page_size must be positive"
                     : "json source: page_size needs supports_since, is_since_comparable and "
                       "is_chronological all true");
      json_source_destroy (self);
      return NULL;
    }
  return self;
}

static uint32_t
json_source_get_capabilities (void *instance)
{
  JsonSource *self = instance;

  return source_common_get_capabilities (self->context);
}

static gboolean
json_source_open (void *instance, uint32_t run_flags, const SluiceValue *since, GError **error)
{
  JsonSource *self = instance;

  json_source_close (self);
  self->since = source_common_dup_since (self->context, run_flags, since);
  self->full = self->since == NULL;
  self->finished = FALSE;
  self->n_emitted = 0;
  self->chunk = g_malloc (JSON_SOURCE_CHUNK);
  return TRUE;
}

static void
append_param (GString *url, const char *name, const char *value)
{
  g_string_append_c (url, strchr (url->str, '?') != NULL ? '&' : '?');
  g_string_append (url, name);
  g_string_append_c (url, '=');
  g_string_append_uri_escaped (url, value, NULL, FALSE);
}

static gboolean
start_request (JsonSource *self, GError **error)
{
  g_autoptr (GString) url = g_string_new (self->url);

  if (self->since != NULL)
    {
      g_autofree char *since = http_template_value_to_text (self->since);

      append_param (url, "since", since);
    }
  if (self->page_size > 0)
    {
      char limit[32];

      g_snprintf (limit, sizeof limit, "%" G_GINT64_FORMAT, self->page_size);
      append_param (url, "limit", limit);
    }
  if (self->subset != NULL)
    append_param (url, "subset", self->subset);
  self->response = http_client_send (self->client, "GET", url->str, NULL, NULL, NULL,
                                     HTTP_SEND_STREAM, error);
  if (self->response == NULL)
    return FALSE;
  self->reader = sluice_json_reader_new (0);
  self->body_done = FALSE;
  self->page_count = 0;
  g_clear_pointer (&self->last_updated, sluice_value_unref);
  return TRUE;
}

/* The page is read: decide whether another one follows. */
static gboolean
end_page (JsonSource *self, GError **error)
{
  gboolean full_page = self->page_size > 0 && self->page_count >= (size_t) self->page_size;

  if (full_page && self->last_updated == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "GET %s: a full page of %zu entities ended with no `_updated`, so the next page "
                   "cannot be asked for",
                   self->response->display_url, self->page_count);
      return FALSE;
    }
  if (full_page && self->since != NULL && sluice_value_equal (self->since, self->last_updated))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "GET %s: the page did not advance past since; the service ignores `since`",
                   self->response->display_url);
      return FALSE;
    }
  g_clear_pointer (&self->response, http_response_free);
  g_clear_pointer (&self->reader, sluice_json_reader_free);
  if (full_page)
    {
      g_clear_pointer (&self->since, sluice_value_unref);
      self->since = g_steal_pointer (&self->last_updated);
    }
  else
    self->finished = TRUE;
  return TRUE;
}

static SluiceFlow
fail_flow (JsonSource *self, GError **error, GError *cause, const char *what)
{
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PARSE, "GET %s: %s: %s",
               self->response->display_url, what, cause->message);
  g_error_free (cause);
  return SLUICE_FLOW_ERROR;
}

static SluiceFlow
json_source_read (void *instance, SluiceBatch *batch, uint32_t max_entities, GError **error)
{
  JsonSource *self = instance;
  uint32_t added = 0;

  while (added < max_entities && !self->finished)
    {
      g_autoptr (SluiceValue) value = NULL;
      GError *local_error = NULL;
      SluiceValue *id;
      gssize n;

      /* Nothing of this page was passed on yet, so the pump's read retries may ask again
       * (docs/retries.md). */
      if (self->response == NULL && !start_request (self, error))
        return SLUICE_FLOW_RETRY;

      value = sluice_json_reader_pop (self->reader);
      if (value != NULL)
        {
          SluiceEntity *entity;

          id = sluice_value_get_kind (value) == SLUICE_VALUE_DICT
                 ? sluice_value_dict_lookup (value, "_id")
                 : NULL;
          if (id == NULL || sluice_value_get_kind (id) != SLUICE_VALUE_STRING)
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                           "GET %s: entity %zu of the response (before byte %" G_GUINT64_FORMAT
                           ") is not an object with a string `_id`",
                           self->response->display_url, self->page_count,
                           sluice_json_reader_get_offset (self->reader));
              return SLUICE_FLOW_ERROR;
            }
          entity = sluice_entity_new (value, &local_error);
          if (entity == NULL)
            {
              g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                           "GET %s: entity %zu of the response (before byte %" G_GUINT64_FORMAT
                           "): %s",
                           self->response->display_url, self->page_count,
                           sluice_json_reader_get_offset (self->reader), local_error->message);
              g_error_free (local_error);
              return SLUICE_FLOW_ERROR;
            }
          sluice_batch_take (batch, entity);
          g_clear_pointer (&self->last_updated, sluice_value_unref);
          if (sluice_value_dict_lookup (value, "_updated") != NULL)
            self->last_updated = sluice_value_ref (sluice_value_dict_lookup (value, "_updated"));
          self->page_count++;
          self->n_emitted++;
          added++;
          continue;
        }
      if (self->body_done)
        {
          if (!end_page (self, error))
            return SLUICE_FLOW_ERROR;
          continue;
        }
      n = g_input_stream_read (self->response->stream, self->chunk, JSON_SOURCE_CHUNK, NULL,
                               &local_error);
      if (n < 0)
        return fail_flow (self, error, local_error, "reading the response failed");
      if (n == 0)
        {
          self->body_done = TRUE;
          if (!sluice_json_reader_finish (self->reader, &local_error))
            return fail_flow (self, error, local_error, "invalid JSON in the response");
        }
      else if (!sluice_json_reader_feed (self->reader, self->chunk, n, &local_error))
        return fail_flow (self, error, local_error, "invalid JSON in the response");
    }

  if (!self->finished)
    return SLUICE_FLOW_OK;
  if (self->full && self->fail_if_empty && self->n_emitted == 0)
    {
      g_autofree char *display_url = http_display_url (self->url);

      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "json source: GET %s returned no entities on a full run, and if_source_empty "
                   "is \"fail\"",
                   display_url);
      return SLUICE_FLOW_ERROR;
    }
  return SLUICE_FLOW_EOS;
}

static const SluiceSourceCallbacks json_source_callbacks = {
  SLUICE_SOURCE_CALLBACKS_INIT,
  .create = json_source_create,
  .destroy = json_source_destroy,
  .get_capabilities = json_source_get_capabilities,
  .open = json_source_open,
  .read = json_source_read,
  .close = json_source_close,
};

const SluiceElementDescriptor http_json_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .flags = SLUICE_ELEMENT_FLAG_BLOCKING,
  .type_name = "json",
  .description = "Pulls entities from an HTTP endpoint that speaks the JSON pull protocol.",
  .options = json_source_options,
  .callbacks = &json_source_callbacks,
};
