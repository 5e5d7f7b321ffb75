/* http-transform.c — the `http` transform: an external transform service (digest §10.3, §12.4).
 *
 * The batch is POSTed as a JSON array, in requests of at most `batch_size` entities, and the JSON
 * array each request returns replaces those entities: the service may change, drop or add entities.
 * Any answer other than 2xx fails the run (after the system's retries); so does a returned value
 * that is not an object with a string `_id`.  The response is parsed as it streams in. */
#include "http-client.h"
#include "http-elements.h"

#include <string.h>

#define HTTP_TRANSFORM_CHUNK 65536

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  HttpClient *client;
  char *url;
  int64_t batch_size;
} HttpTransform;

static const SluiceOptionSpec http_transform_options[] = {
  { .key = "system", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,
    .description = "The `_id` of the system:url of the transform service." },
  { .key = "url", .types = SLUICE_OPTION_STRING, .default_json = "\"\"",
    .description = "The URL, relative to the system's url_pattern, or absolute." },
  { .key = "headers", .types = SLUICE_OPTION_OBJECT, .flags = SLUICE_OPTION_FLAG_OPEN,
    .description = "Extra request headers; they win over the system's." },
  { .key = "batch_size", .types = SLUICE_OPTION_INTEGER, .default_json = "100",
    .description = "At most this many entities in one request." },
  { .key = "side_effects", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true",
    .description = "Whether calling the service changes something (preview refuses it)." },
  { NULL },
};

static void *
http_transform_create (SluiceElementContext *context, GError **error)
{
  int64_t batch_size = sluice_element_context_get_integer (context, "batch_size", 100);
  HttpClient *client;
  char *url = NULL;
  HttpTransform *self;

  if (batch_size < 1)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "http transform: batch_size must be at least 1, got %" G_GINT64_FORMAT,
                   batch_size);
      return NULL;
    }
  client = http_client_new_for_element (context, &url, error);
  if (client == NULL)
    return NULL;
  self = g_new0 (HttpTransform, 1);
  self->context = context;
  self->client = g_steal_pointer (&client);
  self->url = g_steal_pointer (&url);
  self->batch_size = batch_size;
  return self;
}

static void
http_transform_destroy (void *instance)
{
  HttpTransform *self = instance;

  http_client_free (self->client);
  g_free (self->url);
  g_free (self);
}

static gboolean
take_values (HttpResponse *response, SluiceJsonReader *reader, size_t *count, SluiceBatch *output,
             GError **error)
{
  SluiceValue *value;

  while ((value = sluice_json_reader_pop (reader)) != NULL)
    {
      g_autoptr (SluiceValue) owned = value;
      g_autoptr (GError) local_error = NULL;
      SluiceValue *id = sluice_value_get_kind (value) == SLUICE_VALUE_DICT
                          ? sluice_value_dict_lookup (value, "_id")
                          : NULL;
      SluiceEntity *entity;

      if (id == NULL || sluice_value_get_kind (id) != SLUICE_VALUE_STRING)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "POST %s: returned value %zu is not an object with a string `_id`",
                       response->display_url, *count);
          return FALSE;
        }
      entity = sluice_entity_new (value, &local_error);
      if (entity == NULL)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "POST %s: returned value %zu: %s", response->display_url, *count,
                       local_error->message);
          return FALSE;
        }
      sluice_batch_take (output, entity);
      (*count)++;
    }
  return TRUE;
}

static gboolean
call_service (HttpTransform *self, const SluiceBatch *input, size_t start, size_t end,
              SluiceBatch *output, GError **error)
{
  g_autoptr (GString) body = g_string_new ("[");
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (HttpResponse) response = NULL;
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (0);
  g_autofree guint8 *chunk = g_malloc (HTTP_TRANSFORM_CHUNK);
  size_t count = 0;

  for (size_t i = start; i < end; i++)
    {
      if (i > start)
        g_string_append_c (body, ',');
      sluice_entity_write_json (body, sluice_batch_get (input, i));
    }
  g_string_append_c (body, ']');
  bytes = g_bytes_new (body->str, body->len);
  response = http_client_send (self->client, "POST", self->url, NULL, bytes, "application/json",
                               HTTP_SEND_STREAM, error);
  if (response == NULL)
    return FALSE;
  for (;;)
    {
      g_autoptr (GError) local_error = NULL;
      gssize n = g_input_stream_read (response->stream, chunk, HTTP_TRANSFORM_CHUNK, NULL,
                                      &local_error);

      if (n < 0)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO, "POST %s: reading the response failed: %s",
                       response->display_url, local_error->message);
          return FALSE;
        }
      if (n == 0 ? !sluice_json_reader_finish (reader, &local_error)
                 : !sluice_json_reader_feed (reader, chunk, n, &local_error))
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PARSE, "POST %s: invalid JSON in the response: %s",
                       response->display_url, local_error->message);
          return FALSE;
        }
      if (!take_values (response, reader, &count, output, error))
        return FALSE;
      if (n == 0)
        return TRUE;
    }
}

static SluiceFlow
http_transform_transform (void *instance, const SluiceBatch *input, SluiceBatch *output,
                          GError **error)
{
  HttpTransform *self = instance;
  size_t length = sluice_batch_get_length (input);

  for (size_t start = 0; start < length; start += self->batch_size)
    if (!call_service (self, input, start, MIN (length, start + (size_t) self->batch_size), output,
                       error))
      return SLUICE_FLOW_ERROR;
  return SLUICE_FLOW_OK;
}

static const SluiceTransformCallbacks http_transform_callbacks = {
  SLUICE_TRANSFORM_CALLBACKS_INIT,
  .create = http_transform_create,
  .destroy = http_transform_destroy,
  .transform = http_transform_transform,
};

const SluiceElementDescriptor http_http_transform = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_TRANSFORM,
  .flags = SLUICE_ELEMENT_FLAG_BLOCKING | SLUICE_ELEMENT_FLAG_SIDE_EFFECTS,
  .type_name = "http",
  .description = "POSTs each batch to a transform service, whose JSON array replaces it.",
  .options = http_transform_options,
  .callbacks = &http_transform_callbacks,
};
