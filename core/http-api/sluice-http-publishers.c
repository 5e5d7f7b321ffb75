/* sluice-http-publishers.c — GET /api/publishers/{pipe}/entities[/{filename}]: the JSON pull
 * protocol (digest §9.6, §12.1, docs/http-endpoints.md) for pipes whose sink is a publisher
 * (`http_endpoint`, flagged SLUICE_ELEMENT_FLAG_NOT_PUMPED).
 *
 * Each request reads the pipe's source through its transforms with instances of its own
 * (SluicePipeReader), streamed from a worker thread with sluice_http_stream_entities (), so a
 * large read keeps constant memory and never holds up the main loop.  `since` (JSON text; text
 * that is not JSON is taken as a string) and `limit` work as on datasets; every other query
 * parameter is bound to the DTL variable `_B` as a string.  Entities the transforms filtered
 * (`_filtered: true`) are not served.  `X-Dataset-Filtered: true` is sent when the pipe has
 * transforms; `Content-Disposition` when a file name is known (the path's, else the sink's
 * `filename` option), with the sink's `content_disposition` (default attachment), encoded by
 * sluice_http_format_disposition (): a name in the path that is not printable UTF-8 is refused
 * with 400 before anything is read, never copied into the header.
 */
#include "sluice-config.h"
#include "sluice-http-private.h"
#include "sluice-pipe-reader.h"

#define READ_BATCH 256

typedef struct
{
  SluicePipeReader *reader;
  SluiceBatch *batch;
  size_t index;
  guint64 limit; /* 0: unlimited */
  guint64 served;
  gboolean eos;
} Publication;

static void
publication_free (Publication *publication)
{
  sluice_pipe_reader_free (publication->reader);
  sluice_batch_free (publication->batch);
  g_free (publication);
}

static gboolean
is_filtered (SluiceEntity *entity)
{
  SluiceValue *filtered = sluice_value_dict_lookup (sluice_entity_get_body (entity), "_filtered");

  return filtered != NULL && sluice_value_get_kind (filtered) == SLUICE_VALUE_BOOLEAN
         && sluice_value_get_boolean (filtered);
}

/* On the stream's worker thread. */
static SluiceEntity *
publication_next (gpointer data, GError **error)
{
  Publication *publication = data;

  while (publication->limit == 0 || publication->served < publication->limit)
    {
      SluiceEntity *entity;

      if (publication->index >= sluice_batch_get_length (publication->batch))
        {
          SluiceFlow flow;

          if (publication->eos)
            return NULL;
          sluice_batch_clear (publication->batch);
          publication->index = 0;
          flow = sluice_pipe_reader_read (publication->reader, publication->batch, READ_BATCH,
                                          error);
          if (flow == SLUICE_FLOW_ERROR || flow == SLUICE_FLOW_RETRY)
            return NULL;
          publication->eos = flow == SLUICE_FLOW_EOS;
          continue;
        }
      entity = sluice_batch_get (publication->batch, publication->index++);
      if (is_filtered (entity))
        continue;
      publication->served++;
      return sluice_entity_ref (entity);
    }
  return NULL;
}

/* The sink's configuration as written, or NULL. */
static JsonObject *
sink_object (SluiceEngine *engine, const char *pipe_id)
{
  SluiceConfigComponent *component
    = sluice_config_lookup (sluice_engine_get_config (engine), pipe_id);
  JsonNode *sink;

  if (component == NULL)
    return NULL;
  sink = json_object_get_member (json_node_get_object (sluice_config_component_get_node (component)),
                                 "sink");
  return sink != NULL && JSON_NODE_HOLDS_OBJECT (sink) ? json_node_get_object (sink) : NULL;
}

/* Whether @pipe's sink is a publisher; replies 404 when not. */
static gboolean
check_publisher (SluiceEngine *engine, SoupServerMessage *msg, const char *pipe_id,
                 SluicePipe *pipe)
{
  const SluiceElementDescriptor *sink = NULL;

  if (pipe == NULL)
    {
      sluice_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, "no pipe '%s'", pipe_id);
      return FALSE;
    }
  sink = sluice_registry_lookup_element (sluice_engine_get_registry (engine),
                                         SLUICE_ELEMENT_KIND_SINK,
                                         sluice_pipe_get_sink_type (pipe), NULL, NULL);
  if (sink == NULL || !(sink->flags & SLUICE_ELEMENT_FLAG_NOT_PUMPED))
    {
      sluice_http_reply_error (msg, SOUP_STATUS_NOT_FOUND,
                               "pipe '%s' is not a publisher: its sink (type '%s') is written by "
                               "runs; only a pipe with a publisher sink such as 'http_endpoint' "
                               "can be read at /api/publishers",
                               pipe_id, sluice_pipe_get_sink_type (pipe));
      return FALSE;
    }
  return TRUE;
}

/* The extra query parameters, as strings: `_B`. */
static SluiceValue *
new_bound (GHashTable *query)
{
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();
  g_autoptr (GList) keys = query != NULL ? g_hash_table_get_keys (query) : NULL;

  keys = g_list_sort (keys, (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *key = l->data;

      if (g_str_equal (key, "since") || g_str_equal (key, "limit"))
        continue;
      sluice_dict_builder_take (builder, key,
                                sluice_value_new_string (g_hash_table_lookup (query, key), -1));
    }
  return sluice_dict_builder_end (g_steal_pointer (&builder));
}

/* `since` as JSON text: as given when it is JSON, else as a JSON string. */
static char *
dup_since (GHashTable *query)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, "since") : NULL;
  g_autoptr (SluiceValue) parsed = NULL;
  g_autoptr (SluiceValue) string = NULL;

  if (text == NULL || text[0] == '\0')
    return NULL;
  parsed = sluice_value_from_json (text, -1, NULL);
  if (parsed != NULL)
    return g_strdup (text);
  string = sluice_value_new_string (text, -1);
  return sluice_value_to_json (string);
}

/* The Content-Disposition of the response in *@ret_value, for the path's file name (@filename,
 * nullable) or else the sink's `filename`, with the sink's `content_disposition`; NULL when no
 * name is known.  FALSE after replying: 400 for a name in the path that cannot be a file name,
 * 500 for such a name in the configuration. */
static gboolean
disposition_of (SoupServerMessage *msg, const char *pipe_id, JsonObject *sink,
                const char *filename, char **ret_value)
{
  const char *name = filename;
  const char *type = "attachment";
  g_autofree char *what = NULL;
  g_autoptr (GError) error = NULL;

  *ret_value = NULL;
  if (sink != NULL && name == NULL)
    name = json_object_get_string_member_with_default (sink, "filename", NULL);
  if (sink != NULL)
    type = json_object_get_string_member_with_default (sink, "content_disposition", type);
  if (name == NULL || name[0] == '\0')
    return TRUE;
  what = filename != NULL ? g_strdup ("the file name in the path")
                          : g_strdup_printf ("pipe '%s': /sink/filename", pipe_id);
  *ret_value = sluice_http_format_disposition (type, name, what, &error);
  if (*ret_value != NULL)
    return TRUE;
  sluice_http_reply_error (msg,
                           filename != NULL ? SOUP_STATUS_BAD_REQUEST
                                            : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                           "%s", error->message);
  return FALSE;
}

void
sluice_http_handle_publisher (SluiceHttpContext *context, SoupServerMessage *msg,
                              const char *pipe_id, const char *filename, GHashTable *query)
{
  SluiceEngine *engine = sluice_control_get_engine (context->control);
  SluicePipe *pipe = sluice_engine_lookup_pipe (engine, pipe_id);
  g_autoptr (SluiceValue) bound = NULL;
  g_autofree char *since = NULL;
  g_autofree char *disposition = NULL;
  g_autoptr (GError) error = NULL;
  SluicePipeReaderOptions options = { 0 };
  Publication *publication;
  gint64 limit;

  if (!sluice_http_authorize (context, msg, SLUICE_HTTP_ACCESS_READ, pipe_id)
      || !check_publisher (engine, msg, pipe_id, pipe)
      || !sluice_http_query_int64 (msg, query, "limit", 0, &limit)
      || !disposition_of (msg, pipe_id, sink_object (engine, pipe_id), filename, &disposition))
    return;
  since = dup_since (query);
  bound = new_bound (query);
  options.since = since;
  options.bound = bound;

  publication = g_new0 (Publication, 1);
  publication->limit = (guint64) limit;
  publication->batch = sluice_batch_new ();
  publication->reader = sluice_pipe_reader_new (pipe, &options, &error);
  if (publication->reader == NULL)
    {
      /* A source that refuses to start from the client's offset says why: a bad request. */
      sluice_http_reply_error (msg,
                               since != NULL
                                   && g_error_matches (error, SLUICE_PIPE_ERROR,
                                                       SLUICE_PIPE_ERROR_FAILED)
                                 ? SOUP_STATUS_BAD_REQUEST
                                 : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                               "%s", error->message);
      publication_free (publication);
      return;
    }
  if (sluice_pipe_reader_is_filtered (publication->reader))
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "X-Dataset-Filtered", "true");
  if (disposition != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Content-Disposition", disposition);
  sluice_http_stream_entities (context, msg, publication_next, publication,
                               (GDestroyNotify) publication_free);
}
