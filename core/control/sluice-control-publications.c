/* sluice-control-publications.c — reads of publisher pipes (sluice-control.h, "Publishers"): the
 * pipe's source through its transforms with a SluicePipeReader of its own, nothing written, the
 * entities the transforms filtered left out (digest §9.6). */
#include "sluice-control-private.h"

#include "sluice-pipe-reader.h"

/* Entities asked of the reader at a time. */
#define READ_BATCH 256

struct _SluicePublication
{
  SluiceControl *control; /* borrowed, until started */
  char *pipe_id;
  char *filename;
  char *content_disposition;
  SluicePipeReader *reader; /* NULL until started */
  SluiceBatch *batch;
  size_t index;
  guint64 limit; /* 0: unlimited */
  guint64 served;
  gboolean eos;
};

void
sluice_publication_free (SluicePublication *publication)
{
  if (publication == NULL)
    return;
  g_clear_pointer (&publication->reader, sluice_pipe_reader_free);
  g_clear_pointer (&publication->batch, sluice_batch_free);
  g_free (publication->pipe_id);
  g_free (publication->filename);
  g_free (publication->content_disposition);
  g_free (publication);
}

/* The sink's configuration as written, or NULL. */
static JsonObject *
sink_object (SluiceConfig *config, const char *pipe_id)
{
  SluiceConfigComponent *component = sluice_config_lookup (config, pipe_id);
  JsonNode *sink;

  if (component == NULL)
    return NULL;
  sink = json_object_get_member (
      json_node_get_object (sluice_config_component_get_node (component)), "sink");
  return sink != NULL && JSON_NODE_HOLDS_OBJECT (sink) ? json_node_get_object (sink) : NULL;
}

SluicePublication *
sluice_control_open_publication (SluiceControl *control, const char *pipe_id, GError **error)
{
  SluiceEngine *engine;
  SluicePipe *pipe;
  const SluiceElementDescriptor *sink;
  SluicePublication *publication;
  JsonObject *options;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), NULL);
  g_return_val_if_fail (pipe_id != NULL, NULL);

  engine = control->current->engine;
  pipe = sluice_engine_lookup_pipe (engine, pipe_id);
  if (pipe == NULL)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND, "no pipe '%s'",
                   pipe_id);
      return NULL;
    }
  sink = sluice_registry_lookup_element (sluice_engine_get_registry (engine),
                                         SLUICE_ELEMENT_KIND_SINK, sluice_pipe_get_sink_type (pipe),
                                         NULL, NULL);
  if (sink == NULL || !(sink->flags & SLUICE_ELEMENT_FLAG_NOT_PUMPED))
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND,
                   "pipe '%s' is not a publisher: its sink (type '%s') is written by runs; only a "
                   "pipe with a publisher sink such as 'http_endpoint' can be read at "
                   "/api/publishers",
                   pipe_id, sluice_pipe_get_sink_type (pipe));
      return NULL;
    }
  publication = g_new0 (SluicePublication, 1);
  publication->control = control;
  publication->pipe_id = g_strdup (pipe_id);
  options = sink_object (control->current->config, pipe_id);
  if (options != NULL)
    {
      publication->filename
          = g_strdup (json_object_get_string_member_with_default (options, "filename", NULL));
      publication->content_disposition = g_strdup (json_object_get_string_member_with_default (
          options, "content_disposition", "attachment"));
    }
  else
    publication->content_disposition = g_strdup ("attachment");
  return publication;
}

const char *
sluice_publication_get_filename (SluicePublication *publication)
{
  return publication->filename;
}

const char *
sluice_publication_get_content_disposition (SluicePublication *publication)
{
  return publication->content_disposition;
}

gboolean
sluice_publication_start (SluicePublication *publication, const char *since,
                          const SluiceValue *bound, guint64 limit, GError **error)
{
  SluicePipeReaderOptions options = { .since = since, .bound = bound };
  g_autoptr (GError) local_error = NULL;
  SluicePipe *pipe;

  g_return_val_if_fail (publication != NULL && publication->reader == NULL, FALSE);

  pipe = sluice_control_lookup_pipe_or_error (publication->control, publication->pipe_id, error);
  if (pipe == NULL)
    return FALSE;
  publication->control = NULL;
  publication->limit = limit;
  publication->batch = sluice_batch_new ();
  publication->reader = sluice_pipe_reader_new (pipe, &options, &local_error);
  if (publication->reader == NULL)
    {
      /* A source that refuses to start from the client's offset says why: a bad argument. */
      g_set_error_literal (
          error, SLUICE_CONTROL_ERROR,
          since != NULL
                  && g_error_matches (local_error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED)
              ? SLUICE_CONTROL_ERROR_INVALID_ARGUMENT
              : SLUICE_CONTROL_ERROR_FAILED,
          local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
sluice_publication_is_filtered (SluicePublication *publication)
{
  return publication->reader != NULL && sluice_pipe_reader_is_filtered (publication->reader);
}

static gboolean
is_filtered (SluiceEntity *entity)
{
  SluiceValue *filtered = sluice_value_dict_lookup (sluice_entity_get_body (entity), "_filtered");

  return filtered != NULL && sluice_value_get_kind (filtered) == SLUICE_VALUE_BOOLEAN
         && sluice_value_get_boolean (filtered);
}

SluiceEntity *
sluice_publication_next (SluicePublication *publication, GError **error)
{
  g_return_val_if_fail (publication != NULL && publication->reader != NULL, NULL);

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
