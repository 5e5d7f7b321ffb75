/* sluice-http-pipes.c — /api/pipes: the list, one pipe's status, and the pump operations
 * (digest §3.6) of POST /api/pipes/{id}/pump.
 *
 * A pipe is shown from its SluicePipeSnapshot; the operations map one to one onto the
 * SluiceControl functions, whose errors carry the status (409 for a running pipe, a pump that
 * is off, a durable pipe without force, …).  Listing needs read access, an operation admin
 * access, each on the pipe concerned.
 */
#include "sluice-http-private.h"
#include "sluice-control-retries.h"
#include "sluice-json-depth.h"

static const char *const operations[] = {
  "start", "start-rescan", "stop", "enable", "disable", "update-last-seen",
  "set-last-seen-to-end", "discard-retries", NULL,
};

/* A stored offset (JSON text) as a JSON value; a string when it is not JSON (or nests deeper
 * than json-glib may be given). */
static JsonNode *
offset_node (const char *text)
{
  JsonNode *node = NULL;

  if (text == NULL)
    return json_node_new (JSON_NODE_NULL);
  if (sluice_json_check_depth (text, -1, NULL))
    node = json_from_string (text, NULL);
  if (node == NULL)
    {
      node = json_node_new (JSON_NODE_VALUE);
      json_node_set_string (node, text);
    }
  return node;
}

static void
add_strv (JsonBuilder *builder, const char *name, char **values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

static void
add_int (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_run (JsonBuilder *builder, const SluiceRunStats *stats)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "run_id");
  json_builder_add_string_value (builder, stats->run_id);
  json_builder_set_member_name (builder, "run_type");
  json_builder_add_string_value (builder, sluice_run_type_to_string (stats->run_type));
  json_builder_set_member_name (builder, "succeeded");
  json_builder_add_boolean_value (builder, stats->error == NULL);
  add_int (builder, "started", stats->started);
  add_int (builder, "finished", stats->finished);
  add_int (builder, "entities_read", (gint64) stats->entities_read);
  add_int (builder, "entities_written", (gint64) stats->entities_written);
  add_int (builder, "changes", (gint64) stats->changes);
  add_int (builder, "batches_committed", (gint64) stats->batches_committed);
  json_builder_set_member_name (builder, "since_before");
  json_builder_add_value (builder, offset_node (stats->since_before));
  json_builder_set_member_name (builder, "since_after");
  json_builder_add_value (builder, offset_node (stats->since_after));
  json_builder_set_member_name (builder, "error");
  if (stats->error != NULL)
    json_builder_add_string_value (builder, stats->error->message);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}

static JsonNode *
pipe_to_json (const SluicePipeSnapshot *s)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "_id");
  json_builder_add_string_value (builder, s->pipe_id);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, s->state);
  json_builder_set_member_name (builder, "mode");
  json_builder_add_string_value (builder, s->mode);
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, s->enabled);
  json_builder_set_member_name (builder, "running");
  json_builder_add_boolean_value (builder, s->running);
  json_builder_set_member_name (builder, "durable");
  json_builder_add_boolean_value (builder, s->durable);
  json_builder_set_member_name (builder, "circuit_breaker_tripped");
  json_builder_add_boolean_value (builder, s->breaker_tripped);
  json_builder_set_member_name (builder, "source_type");
  json_builder_add_string_value (builder, s->source_type);
  json_builder_set_member_name (builder, "sink_type");
  json_builder_add_string_value (builder, s->sink_type);
  add_strv (builder, "input_datasets", s->input_datasets);
  add_strv (builder, "output_datasets", s->output_datasets);
  json_builder_set_member_name (builder, "since");
  json_builder_add_value (builder, offset_node (s->since));
  json_builder_set_member_name (builder, "next_start");
  if (s->next_start >= 0)
    json_builder_add_int_value (builder, s->next_start);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "current_run");
  if (s->running)
    {
      json_builder_begin_object (builder);
      add_int (builder, "entities_read", (gint64) s->current_read);
      add_int (builder, "entities_written", (gint64) s->current_written);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "last_run");
  if (s->last_run != NULL)
    add_run (builder, s->last_run);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "counters");
  json_builder_begin_object (builder);
  add_int (builder, "runs_started", (gint64) s->runs_started);
  add_int (builder, "runs_succeeded", (gint64) s->runs_succeeded);
  add_int (builder, "runs_failed", (gint64) s->runs_failed);
  add_int (builder, "entities_read", (gint64) s->entities_read);
  add_int (builder, "entities_written", (gint64) s->entities_written);
  add_int (builder, "changes", (gint64) s->changes);
  add_int (builder, "run_time_total_us", s->run_time_total);
  json_builder_end_object (builder);
  add_strv (builder, "supported_operations", (char **) operations);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
reply_pipe (SluiceHttpContext *context, SoupServerMessage *msg, const char *pipe_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluicePipeSnapshot) snapshot = NULL;
  g_autoptr (JsonNode) root = NULL;

  snapshot = sluice_control_get_pipe (context->control, pipe_id, &error);
  if (snapshot == NULL)
    {
      sluice_http_reply_gerror (msg, error);
      return;
    }
  root = pipe_to_json (snapshot);
  sluice_http_reply_json (msg, SOUP_STATUS_OK, root);
}

static void
list_pipes (SluiceHttpContext *context, SoupServerMessage *msg)
{
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_ARRAY);
  JsonArray *array = json_array_new ();

  json_node_take_array (root, array);
  if (!sluice_http_authorize (context, msg, SLUICE_HTTP_ACCESS_READ, NULL))
    return;
  ids = sluice_control_list_pipes (context->control);
  for (guint i = 0; i < ids->len; i++)
    {
      const char *pipe_id = g_ptr_array_index (ids, i);
      g_autoptr (GError) error = NULL;
      g_autoptr (SluicePipeSnapshot) snapshot = NULL;

      if (context->token_pipes != NULL && !g_strv_contains (context->token_pipes, pipe_id))
        continue;
      snapshot = sluice_control_get_pipe (context->control, pipe_id, &error);
      if (snapshot == NULL)
        {
          sluice_http_reply_gerror (msg, error);
          return;
        }
      json_array_add_element (array, pipe_to_json (snapshot));
    }
  sluice_http_reply_json (msg, SOUP_STATUS_OK, root);
}

/* A `last-seen` field as the JSON text of the offset in *@ret_json: JSON as it is (99,
 * "\"abc\""), anything else as a string ("abc"), "" as a reset (NULL).  FALSE after replying 400
 * for JSON nested too deep. */
static gboolean
last_seen_json (SoupServerMessage *msg, const char *text, char **ret_json)
{
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonNode) string = NULL;
  g_autoptr (GError) error = NULL;

  *ret_json = NULL;
  if (*text == '\0')
    return TRUE;
  if (!sluice_json_check_depth (text, -1, &error))
    {
      sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "field 'last-seen': %s",
                               error->message);
      return FALSE;
    }
  node = json_from_string (text, NULL);
  if (node != NULL)
    {
      *ret_json = g_strdup (text);
      return TRUE;
    }
  string = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (string, text);
  *ret_json = json_to_string (string, FALSE);
  return TRUE;
}

static void
pump_operation (SluiceHttpContext *context, SoupServerMessage *msg, const char *pipe_id,
                GHashTable *query)
{
  g_autoptr (GHashTable) fields = NULL;
  g_autoptr (GError) error = NULL;
  const char *operation, *comment;
  gboolean force;
  gboolean ok;

  fields = sluice_http_read_fields (msg, query);
  if (fields == NULL)
    return;
  operation = g_hash_table_lookup (fields, "operation");
  comment = g_hash_table_lookup (fields, "comment");
  if (!sluice_http_field_boolean (msg, fields, "force", FALSE, &force))
    return;
  if (operation == NULL || !g_strv_contains (operations, operation))
    {
      g_autofree char *list = g_strjoinv (", ", (char **) operations);

      if (operation == NULL)
        sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                 "field 'operation' is required: one of %s", list);
      else
        sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                 "field 'operation': unknown operation '%s': expected one of %s",
                                 operation, list);
      return;
    }

  if (g_str_equal (operation, "start"))
    ok = sluice_control_start (context->control, pipe_id, &error);
  else if (g_str_equal (operation, "start-rescan"))
    ok = sluice_control_start_rescan (context->control, pipe_id, &error);
  else if (g_str_equal (operation, "stop"))
    ok = sluice_control_stop (context->control, pipe_id, &error);
  else if (g_str_equal (operation, "enable") || g_str_equal (operation, "disable"))
    ok = sluice_control_set_enabled (context->control, pipe_id,
                                     g_str_equal (operation, "enable"), comment, &error);
  else if (g_str_equal (operation, "update-last-seen"))
    {
      const char *last_seen = g_hash_table_lookup (fields, "last-seen");
      g_autofree char *since = NULL;

      if (last_seen == NULL)
        {
          sluice_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                   "field 'last-seen' is required by update-last-seen (an empty "
                                   "value resets the offset)");
          return;
        }
      if (!last_seen_json (msg, last_seen, &since))
        return;
      ok = sluice_control_set_since (context->control, pipe_id, since, force, &error);
    }
  else if (g_str_equal (operation, "discard-retries"))
    ok = sluice_control_discard_retries (context->control, pipe_id, &error);
  else
    ok = sluice_control_set_since_to_end (context->control, pipe_id, force, &error);

  if (!ok)
    {
      sluice_http_reply_gerror (msg, error);
      return;
    }
  g_message ("HTTP API: pump operation %s on pipe '%s' by token '%s'", operation, pipe_id,
             context->token_name);
  reply_pipe (context, msg, pipe_id);
}

void
sluice_http_handle_pipes (SluiceHttpContext *context, SoupServerMessage *msg, const char *pipe_id,
                          const char *what, GHashTable *query)
{
  gboolean post = g_str_equal (soup_server_message_get_method (msg), "POST");

  /* metadata.public_read opens a pipe's data, not its status or its pump. */
  if (context->token_name == NULL)
    {
      sluice_http_authorize (context, msg, SLUICE_HTTP_ACCESS_READ, NULL);
      return;
    }
  if (pipe_id == NULL)
    {
      list_pipes (context, msg);
      return;
    }
  if (!sluice_http_authorize (context, msg,
                              post ? SLUICE_HTTP_ACCESS_ADMIN : SLUICE_HTTP_ACCESS_READ, pipe_id))
    return;
  if (post)
    pump_operation (context, msg, pipe_id, query);
  else
    reply_pipe (context, msg, pipe_id);
}
