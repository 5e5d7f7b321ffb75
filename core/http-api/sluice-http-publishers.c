/* sluice-http-publishers.c — GET /api/publishers/{pipe}/entities[/{filename}]: the JSON pull
 * protocol (digest §9.6, §12.1, docs/http-endpoints.md) for pipes whose sink is a publisher
 * (`http_endpoint`, flagged SLUICE_ELEMENT_FLAG_NOT_PUMPED).
 *
 * Each request reads the pipe's source through its transforms with instances of its own (a
 * SluicePublication of the control API), streamed from a worker thread with
 * sluice_http_stream_entities (), so a large read keeps constant memory and never holds up the
 * main loop.  `since` (JSON text; text that is not JSON is taken as a string) and `limit` work as
 * on datasets; every other query parameter is bound to the DTL variable `_B` as a string.
 * Entities the transforms filtered (`_filtered: true`) are not served.  `X-Dataset-Filtered: true`
 * is sent when the pipe has transforms; `Content-Disposition` when a file name is known (the
 * path's, else the sink's `filename` option), with the sink's `content_disposition` (default
 * attachment), encoded by sluice_http_format_disposition (): a name in the path that is not
 * printable UTF-8 is refused with 400 before anything is read, never copied into the header.
 */
#include "sluice-http-private.h"

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
disposition_of (SoupServerMessage *msg, const char *pipe_id, SluicePublication *publication,
                const char *filename, char **ret_value)
{
  const char *name = filename != NULL ? filename : sluice_publication_get_filename (publication);
  const char *type = sluice_publication_get_content_disposition (publication);
  g_autofree char *what = NULL;
  g_autoptr (GError) error = NULL;

  *ret_value = NULL;
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

static SluiceEntity *
publication_next (gpointer data, GError **error)
{
  return sluice_publication_next (data, error);
}

void
sluice_http_handle_publisher (SluiceHttpContext *context, SoupServerMessage *msg,
                              const char *pipe_id, const char *filename, GHashTable *query)
{
  g_autoptr (SluicePublication) publication = NULL;
  g_autoptr (SluiceValue) bound = NULL;
  g_autofree char *since = NULL;
  g_autofree char *disposition = NULL;
  g_autoptr (GError) error = NULL;
  gint64 limit;

  if (!sluice_http_authorize (context, msg, SLUICE_HTTP_ACCESS_READ, pipe_id))
    return;
  publication = sluice_control_open_publication (context->control, pipe_id, &error);
  if (publication == NULL)
    {
      sluice_http_reply_gerror (msg, error);
      return;
    }
  if (!sluice_http_query_int64 (msg, query, "limit", 0, &limit)
      || !disposition_of (msg, pipe_id, publication, filename, &disposition))
    return;
  since = dup_since (query);
  bound = new_bound (query);
  if (!sluice_publication_start (publication, since, bound, (guint64) limit, &error))
    {
      sluice_http_reply_gerror (msg, error);
      return;
    }
  if (sluice_publication_is_filtered (publication))
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "X-Dataset-Filtered", "true");
  if (disposition != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Content-Disposition", disposition);
  sluice_http_stream_entities (context, msg, publication_next, g_steal_pointer (&publication),
                               (GDestroyNotify) sluice_publication_free);
}
