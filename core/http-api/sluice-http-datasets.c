/* sluice-http-datasets.c — /api/datasets: the list, one dataset, its entities (JSON pull,
 * digest §2.3 and §12.1), one entity, and the circuit-breaker operations (digest §6).
 *
 * A dataset's access goes through the pipe whose sink writes it (an execution log
 * `system:pump_execution:<pipe>` through that pipe): a token limited to some pipes sees their
 * datasets only, and a pipe with `metadata.public_read` makes its datasets readable without a
 * token.  Entities are streamed from a worker thread (sluice_http_stream_entities), so a reader
 * of a million entities holds memory constant while pipes keep writing the same dataset: the
 * reader takes no store transaction between entities, and what it returns is what was committed
 * when it got there.
 */
#include <string.h>

#include "sluice-http-private.h"

static JsonNode *
dataset_to_json (const SluiceDatasetSnapshot *snapshot)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "_id");
  json_builder_add_string_value (builder, snapshot->dataset_id);
  json_builder_set_member_name (builder, "generation");
  json_builder_add_string_value (builder, snapshot->generation);
  json_builder_set_member_name (builder, "created");
  json_builder_add_int_value (builder, snapshot->created);
  json_builder_set_member_name (builder, "max_updated");
  if (snapshot->max_offset >= 0)
    json_builder_add_int_value (builder, snapshot->max_offset);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "entity_count");
  json_builder_add_int_value (builder, (gint64) snapshot->entity_count);
  json_builder_set_member_name (builder, "id_count");
  json_builder_add_int_value (builder, (gint64) snapshot->id_count);
  json_builder_set_member_name (builder, "version_count");
  json_builder_add_int_value (builder, (gint64) snapshot->version_count);
  json_builder_set_member_name (builder, "populated");
  json_builder_add_boolean_value (builder, snapshot->populated);
  json_builder_set_member_name (builder, "circuit_breaker_tripped");
  json_builder_add_boolean_value (builder, snapshot->breaker_tripped);
  json_builder_set_member_name (builder, "writer");
  if (snapshot->writer != NULL)
    json_builder_add_string_value (builder, snapshot->writer);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Whether the request's token may see dataset @dataset_id, without replying. */
static gboolean
may_see (SluiceHttpContext *context, const char *dataset_id)
{
  const char *pipe_id = sluice_control_lookup_dataset_pipe (context->control, dataset_id);

  if (context->token_pipes == NULL)
    return TRUE;
  return pipe_id != NULL && g_strv_contains (context->token_pipes, pipe_id);
}

/* (transfer full) The dataset, once the request may do @access on it; NULL after replying.
 *
 * Who may is decided from the configuration, before the store is asked: a request that may not
 * gets the same answer whether the dataset exists or not.  Without a token that is 401 (naming
 * no pipe), unless the pipe is public; for a token limited to pipes that do not write it, 403. */
static SluiceDatasetSnapshot *
authorized_dataset (SluiceHttpContext *context, SoupServerMessage *msg, const char *dataset_id,
                    SluiceHttpAccess access)
{
  g_autoptr (GError) error = NULL;
  SluiceDatasetSnapshot *snapshot;
  const char *pipe_id = sluice_control_lookup_dataset_pipe (context->control, dataset_id);

  if (context->token_name == NULL
      && (pipe_id == NULL || access != SLUICE_HTTP_ACCESS_READ
          || !sluice_http_pipe_is_public_read (context->control, pipe_id)))
    {
      sluice_http_authorize (context, msg, access, NULL);
      return NULL;
    }
  if (context->token_name != NULL && !may_see (context, dataset_id))
    {
      sluice_http_reply_outside_pipes (context, msg, "dataset", dataset_id);
      return NULL;
    }
  if (!sluice_http_authorize (context, msg, access, pipe_id))
    return NULL;
  snapshot = sluice_control_get_dataset (context->control, dataset_id, &error);
  if (snapshot == NULL)
    sluice_http_reply_gerror (msg, error);
  return snapshot;
}

static void
list_datasets (SluiceHttpContext *context, SoupServerMessage *msg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) datasets = NULL;
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_ARRAY);
  JsonArray *array = json_array_new ();

  json_node_take_array (root, array);
  if (!sluice_http_authorize (context, msg, SLUICE_HTTP_ACCESS_READ, NULL))
    return;
  datasets = sluice_control_list_datasets (context->control, &error);
  if (datasets == NULL)
    {
      sluice_http_reply_gerror (msg, error);
      return;
    }
  for (guint i = 0; i < datasets->len; i++)
    {
      const SluiceDatasetSnapshot *snapshot = g_ptr_array_index (datasets, i);

      if (may_see (context, snapshot->dataset_id))
        json_array_add_element (array, dataset_to_json (snapshot));
    }
  sluice_http_reply_json (msg, SOUP_STATUS_OK, root);
}

static void
set_dataset_headers (SoupServerMessage *msg, const SluiceDatasetSnapshot *snapshot)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "X-Dataset-Populated",
                                snapshot->populated ? "true" : "false");
  if (snapshot->max_offset >= 0)
    {
      g_autofree char *max = g_strdup_printf ("%" G_GINT64_FORMAT, snapshot->max_offset);

      soup_message_headers_replace (headers, "X-Dataset-Max-Updated", max);
    }
  if (snapshot->generation != NULL)
    soup_message_headers_replace (headers, "X-Dataset-Generation", snapshot->generation);
}

static SluiceEntity *
next_entity (gpointer data, GError **error)
{
  return sluice_dataset_stream_next (data, error);
}

static void
pause_reader (gpointer data)
{
  sluice_dataset_stream_pause (data);
}

static void
destroy_reader (gpointer data)
{
  sluice_dataset_stream_free (data);
}

static void
read_entities (SluiceHttpContext *context, SoupServerMessage *msg, const char *dataset_id,
               GHashTable *query)
{
  SluiceDatasetQuery request = SLUICE_DATASET_QUERY_INIT;
  g_autoptr (SluiceDatasetSnapshot) snapshot = NULL;
  g_autoptr (GError) error = NULL;
  SluiceDatasetStream *reader;
  gboolean populated = FALSE, reverse = FALSE;
  gint64 since, limit;

  snapshot = authorized_dataset (context, msg, dataset_id, SLUICE_HTTP_ACCESS_READ);
  if (snapshot == NULL)
    return;
  if (!sluice_http_query_int64 (msg, query, "since", -1, &since)
      || !sluice_http_query_int64 (msg, query, "limit", -1, &limit)
      || !sluice_http_query_boolean (msg, query, "history", TRUE, &request.history)
      || !sluice_http_query_boolean (msg, query, "deleted", TRUE, &request.deleted)
      || !sluice_http_query_boolean (msg, query, "populated", FALSE, &populated)
      || !sluice_http_query_boolean (msg, query, "uncommitted", FALSE, &request.uncommitted)
      || !sluice_http_query_boolean (msg, query, "reverse", FALSE, &reverse))
    return;
  if (reverse)
    {
      sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                               "query parameter 'reverse': reading from the end is not supported");
      return;
    }
  if (query != NULL && g_hash_table_contains (query, "subset"))
    {
      sluice_http_reply_error (msg, SOUP_STATUS_NOT_FOUND,
                               "dataset '%s' has no subset '%s' (subsets are not supported yet)",
                               dataset_id, (const char *) g_hash_table_lookup (query, "subset"));
      return;
    }
  if (populated && !snapshot->populated)
    {
      sluice_http_reply_error (msg, SOUP_STATUS_NOT_FOUND,
                               "dataset '%s' is not populated yet (populated=true was asked)",
                               dataset_id);
      return;
    }
  request.since = since;
  request.limit = limit > 0 ? (guint64) limit : 0;
  set_dataset_headers (msg, snapshot);
  if (limit == 0 || g_str_equal (soup_server_message_get_method (msg), "HEAD"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "[]", 2);
      return;
    }
  reader = sluice_control_read_dataset (context->control, dataset_id, &request, &error);
  if (reader == NULL)
    {
      sluice_http_reply_gerror (msg, error);
      return;
    }
  sluice_http_stream_entities_full (context, msg, next_entity, pause_reader, reader,
                                    destroy_reader);
}

static void
read_entity (SluiceHttpContext *context, SoupServerMessage *msg, const char *dataset_id,
             GHashTable *query)
{
  g_autoptr (SluiceDatasetSnapshot) snapshot = NULL;
  g_autoptr (SluiceEntity) entity = NULL;
  g_autoptr (GError) error = NULL;
  const char *entity_id = query != NULL ? g_hash_table_lookup (query, "entity_id") : NULL;
  gint64 offset;
  char *json;

  snapshot = authorized_dataset (context, msg, dataset_id, SLUICE_HTTP_ACCESS_READ);
  if (snapshot == NULL)
    return;
  if (entity_id == NULL)
    {
      sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                               "query parameter 'entity_id' is required (the _id of the entity)");
      return;
    }
  if (!sluice_http_query_int64 (msg, query, "offset", -1, &offset))
    return;
  entity = sluice_control_get_entity (context->control, dataset_id, entity_id, offset, &error);
  if (entity == NULL)
    {
      sluice_http_reply_gerror (msg, error);
      return;
    }
  set_dataset_headers (msg, snapshot);
  json = sluice_entity_to_json (entity);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, json, strlen (json));
}

static void
dataset_operation (SluiceHttpContext *context, SoupServerMessage *msg, const char *dataset_id,
                   GHashTable *query)
{
  g_autoptr (SluiceDatasetSnapshot) snapshot = NULL;
  g_autoptr (SluiceDatasetSnapshot) after = NULL;
  g_autoptr (GHashTable) fields = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = NULL;
  const char *operation;
  gboolean ok;

  snapshot = authorized_dataset (context, msg, dataset_id, SLUICE_HTTP_ACCESS_ADMIN);
  if (snapshot == NULL)
    return;
  fields = sluice_http_read_fields (msg, query);
  if (fields == NULL)
    return;
  operation = g_hash_table_lookup (fields, "operation");
  if (g_strcmp0 (operation, "commit-circuit-breaker") == 0)
    ok = sluice_control_breaker_commit (context->control, dataset_id, &error);
  else if (g_strcmp0 (operation, "rollback-circuit-breaker") == 0)
    ok = sluice_control_breaker_rollback (context->control, dataset_id, &error);
  else
    {
      if (operation == NULL)
        sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                 "field 'operation' is required: commit-circuit-breaker or "
                                 "rollback-circuit-breaker");
      else
        sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                 "field 'operation': unknown operation '%s' on a dataset: expected "
                                 "commit-circuit-breaker or rollback-circuit-breaker", operation);
      return;
    }
  if (!ok)
    {
      sluice_http_reply_gerror (msg, error);
      return;
    }
  g_message ("HTTP API: %s on dataset '%s' by token '%s'", operation, dataset_id,
             context->token_name);
  after = sluice_control_get_dataset (context->control, dataset_id, &error);
  if (after == NULL)
    {
      sluice_http_reply_gerror (msg, error);
      return;
    }
  root = dataset_to_json (after);
  sluice_http_reply_json (msg, SOUP_STATUS_OK, root);
}

/* DELETE /api/datasets/{id}[?force=true]: the dataset goes, and its writer's offset is reset. */
static void
delete_dataset (SluiceHttpContext *context, SoupServerMessage *msg, const char *dataset_id,
                GHashTable *query)
{
  g_autoptr (SluiceDatasetSnapshot) snapshot = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) empty = NULL;
  gboolean force = FALSE;

  snapshot = authorized_dataset (context, msg, dataset_id, SLUICE_HTTP_ACCESS_ADMIN);
  if (snapshot == NULL || !sluice_http_query_boolean (msg, query, "force", FALSE, &force))
    return;
  if (!sluice_control_delete_dataset (context->control, dataset_id, force, &error))
    {
      sluice_http_reply_gerror (msg, error);
      return;
    }
  g_message ("HTTP API: dataset '%s' deleted by token '%s'", dataset_id, context->token_name);
  empty = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (empty, json_object_new ());
  sluice_http_reply_json (msg, SOUP_STATUS_OK, empty);
}

void
sluice_http_handle_datasets (SluiceHttpContext *context, SoupServerMessage *msg,
                             const char *dataset_id, const char *what, GHashTable *query)
{
  const char *method = soup_server_message_get_method (msg);

  if (dataset_id == NULL)
    list_datasets (context, msg);
  else if (what == NULL && g_str_equal (method, "POST"))
    dataset_operation (context, msg, dataset_id, query);
  else if (what == NULL && g_str_equal (method, "DELETE"))
    delete_dataset (context, msg, dataset_id, query);
  else if (what == NULL)
    {
      g_autoptr (SluiceDatasetSnapshot) snapshot = NULL;
      g_autoptr (JsonNode) root = NULL;

      snapshot = authorized_dataset (context, msg, dataset_id, SLUICE_HTTP_ACCESS_READ);
      if (snapshot == NULL)
        return;
      root = dataset_to_json (snapshot);
      sluice_http_reply_json (msg, SOUP_STATUS_OK, root);
    }
  else if (g_str_equal (what, "entities"))
    read_entities (context, msg, dataset_id, query);
  else
    read_entity (context, msg, dataset_id, query);
}
