/* json-sink.c — the `json` sink: a JSON push client (digest §9.3, §12.3).
 *
 * Every run is one sequence with a fresh UUID `sequence_id`.  Each write POSTs the batch as JSON
 * arrays of at most `batch_size` entities, reserved fields included (so deletions arrive as
 * `_deleted: true`), with `sequence_id`, `is_full`, `request_id` (a counter from 1) and
 * `previous_request_id`; a full run marks its first request `is_first`.  A successful run ends
 * with the final empty batch (marked `is_last` on a full run), which is what tells the receiver
 * that the sequence is complete; a failed run sends nothing more, so the receiver never runs
 * deletion detection on a partial sequence.  409 Conflict means the receiver rejected the sequence:
 * the run fails, and the next full run starts a new one.
 *
 * A full sequence cannot be continued by another run: the receiver would see a new sequence that
 * lacks everything before the checkpoint, and delete it at the end.  So a resumed full run (one
 * that an earlier process left unfinished, or that failed) is refused with
 * SLUICE_ERROR_RESTART_FULL_RUN, and the host starts the full run over as a new sequence.
 * Incremental runs resend at most what came after the last checkpoint, which the receiver's change
 * tracking makes harmless. */
#include "http-client.h"
#include "http-elements.h"

#include <string.h>

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  HttpClient *client;
  char *url;
  int64_t batch_size;

  /* The current run. */
  char *sequence_id;
  gboolean full;
  guint64 request_id; /* of the last request sent; 0 before the first */
  gboolean sequence_rejected; /* the receiver answered 409 */
} JsonSink;

static const SluiceOptionSpec json_sink_options[] = {
  { .key = "system", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_REQUIRED,
    .description = "The `_id` of the system:url to POST to." },
  { .key = "url", .types = SLUICE_OPTION_STRING, .default_json = "\"\"",
    .description = "The URL, relative to the system's url_pattern, or absolute." },
  { .key = "headers", .types = SLUICE_OPTION_OBJECT, .flags = SLUICE_OPTION_FLAG_OPEN,
    .description = "Extra request headers; they win over the system's." },
  { .key = "batch_size", .types = SLUICE_OPTION_INTEGER, .default_json = "100",
    .description = "At most this many entities in one request." },
  { NULL },
};

static void *
json_sink_create (SluiceElementContext *context, GError **error)
{
  HttpClient *client;
  char *url = NULL;
  JsonSink *self;
  int64_t batch_size = sluice_element_context_get_integer (context, "batch_size", 100);

  if (batch_size < 1)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "json sink: batch_size must be at least 1, got %" G_GINT64_FORMAT, batch_size);
      return NULL;
    }
  client = http_client_new_for_element (context, &url, error);
  if (client == NULL)
    return NULL;
  self = g_new0 (JsonSink, 1);
  self->context = context;
  self->client = g_steal_pointer (&client);
  self->url = g_steal_pointer (&url);
  self->batch_size = batch_size;
  return self;
}

static void
json_sink_destroy (void *instance)
{
  JsonSink *self = instance;

  http_client_free (self->client);
  g_free (self->url);
  g_free (self->sequence_id);
  g_free (self);
}

static gboolean
json_sink_begin (void *instance, uint32_t run_flags, GError **error)
{
  JsonSink *self = instance;

  if (run_flags & SLUICE_RUN_FLAG_RESUMED)
    {
      g_autofree char *display_url = http_display_url (self->url);

      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_RESTART_FULL_RUN,
                   "json sink: %s: a JSON push sequence cannot continue the full run that did not "
                   "finish",
                   display_url);
      return FALSE;
    }
  g_free (self->sequence_id);
  self->sequence_id = g_uuid_string_random ();
  self->full = (run_flags & SLUICE_RUN_FLAG_FULL) != 0;
  self->request_id = 0;
  self->sequence_rejected = FALSE;
  return TRUE;
}

/* POSTs entities [@start, @end) of @batch (none for the final batch). */
static gboolean
post (JsonSink *self, const SluiceBatch *batch, size_t start, size_t end, gboolean last,
      GError **error)
{
  g_autoptr (GString) url = g_string_new (self->url);
  g_autoptr (GString) body = g_string_new ("[");
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (HttpResponse) response = NULL;
  g_autoptr (GError) local_error = NULL;
  guint64 request_id = self->request_id + 1;

  for (size_t i = start; i < end; i++)
    {
      if (i > start)
        g_string_append_c (body, ',');
      sluice_entity_write_json (body, sluice_batch_get (batch, i));
    }
  g_string_append_c (body, ']');
  bytes = g_bytes_new (body->str, body->len);

  g_string_append_printf (url, "%ssequence_id=%s&is_full=%s&request_id=%" G_GUINT64_FORMAT,
                          strchr (self->url, '?') != NULL ? "&" : "?", self->sequence_id,
                          self->full ? "true" : "false", request_id);
  if (self->request_id > 0)
    g_string_append_printf (url, "&previous_request_id=%" G_GUINT64_FORMAT, self->request_id);
  if (self->full && self->request_id == 0)
    g_string_append (url, "&is_first=true");
  if (self->full && last)
    g_string_append (url, "&is_last=true");

  response = http_client_send (self->client, "POST", url->str, NULL, bytes, "application/json",
                               HTTP_SEND_ANY_STATUS, &local_error);
  if (response == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (response->status == 409)
    {
      self->sequence_rejected = TRUE;
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO,
                   "POST %s: 409 Conflict: the receiver rejected request %" G_GUINT64_FORMAT
                   " of sequence %s; the run stops and the next full run starts a new sequence",
                   response->display_url, request_id, self->sequence_id);
      return FALSE;
    }
  if (response->status < 200 || response->status > 299)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO, "POST %s: %u %s", response->display_url,
                   response->status, http_status_phrase (response->status));
      return FALSE;
    }
  self->request_id = request_id;
  return TRUE;
}

static SluiceFlow
json_sink_write (void *instance, const SluiceBatch *batch, GError **error)
{
  JsonSink *self = instance;
  size_t length = sluice_batch_get_length (batch);

  for (size_t start = 0; start < length; start += self->batch_size)
    if (!post (self, batch, start, MIN (length, start + (size_t) self->batch_size), FALSE, error))
      /* A rejected sequence (409) cannot be continued; anything else may succeed when the pump's
       * write retries send the batch again (docs/retries.md). */
      return self->sequence_rejected ? SLUICE_FLOW_ERROR : SLUICE_FLOW_RETRY;
  return SLUICE_FLOW_OK;
}

static gboolean
json_sink_end (void *instance, gboolean success, GError **error)
{
  JsonSink *self = instance;
  gboolean ok = TRUE;

  if (success && self->sequence_id != NULL)
    ok = post (self, NULL, 0, 0, TRUE, error);
  g_clear_pointer (&self->sequence_id, g_free);
  return ok;
}

static const SluiceSinkCallbacks json_sink_callbacks = {
  SLUICE_SINK_CALLBACKS_INIT,
  .create = json_sink_create,
  .destroy = json_sink_destroy,
  .begin = json_sink_begin,
  .write = json_sink_write,
  .end = json_sink_end,
};

const SluiceElementDescriptor http_json_sink = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SINK,
  .flags = SLUICE_ELEMENT_FLAG_BLOCKING,
  .type_name = "json",
  .description = "Pushes entities to an HTTP endpoint with the JSON push protocol.",
  .options = json_sink_options,
  .callbacks = &json_sink_callbacks,
};
