/* sluice-pipe-reader.c — a pipe's source read through its transforms, outside any run: fresh
 * element instances (sluice-pipe-instances.h), nothing written.
 *
 * What leaves the transforms keeps the position of the source entity it came from, so that a
 * client of a publisher can continue with `since` = the `_updated` of the last entity it got
 * (digest §12.1): with transforms, each source entity goes through them on its own and every
 * output gets the source entity's dataset offset (or its body's `_updated`).  A source that
 * cannot continue from an offset itself (no SLUICE_SOURCE_SUPPORTS_SINCE) is read from the start
 * and the reader skips what is not after `since`. */
#include "sluice-pipe-instances.h"
#include "sluice-pipe-reader.h"

#include "sluice-run.h"

struct _SluicePipeReader
{
  SluicePipeInstances *instances;
  SluiceValue *since; /* NULL: from the start */
  gboolean filter_since; /* the source does not apply since itself */
  gboolean open;
  gboolean eos;
};

static const SluiceSourceCallbacks *
source_cb (SluicePipeReader *reader)
{
  return reader->instances->source.callbacks;
}

SluicePipeReader *
sluice_pipe_reader_new (SluicePipe *pipe, const SluicePipeReaderOptions *options, GError **error)
{
  const char *pipe_id = sluice_pipe_get_id (pipe);
  g_autoptr (SluicePipeReader) reader = g_new0 (SluicePipeReader, 1);
  g_autoptr (GError) local_error = NULL;
  uint32_t caps;
  int side_effects;

  reader->instances = sluice_pipe_instances_new (sluice_pipe_get_engine (pipe), pipe_id,
                                                 SLUICE_PIPE_INSTANCES_SOURCE
                                                   | SLUICE_PIPE_INSTANCES_TRANSFORMS,
                                                 (SluiceValue *) options->bound, &local_error);
  if (reader->instances == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code, "pipe '%s': %s", pipe_id,
                   local_error->message);
      return NULL;
    }
  side_effects = sluice_pipe_instances_find_side_effects (reader->instances);
  if (options->refuse_side_effects && side_effects >= 0)
    {
      const SluiceRunElement *element = &reader->instances->transforms[side_effects];

      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_NOT_SUPPORTED,
                   "pipe '%s': %s (type '%s') has side effects, so it is not run outside the "
                   "pipe's runs",
                   pipe_id, element->pointer, element->type_name);
      return NULL;
    }
  if (options->since != NULL)
    {
      reader->since = sluice_value_from_json (options->since, -1, &local_error);
      if (reader->since == NULL)
        {
          g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                       "pipe '%s': since '%s' is not JSON: %s", pipe_id, options->since,
                       local_error->message);
          return NULL;
        }
    }
  caps = source_cb (reader)->get_capabilities != NULL
           ? source_cb (reader)->get_capabilities (reader->instances->source.instance)
           : 0;
  reader->filter_since = reader->since != NULL && !(caps & SLUICE_SOURCE_SUPPORTS_SINCE);
  if (source_cb (reader)->open != NULL
      && !source_cb (reader)->open (reader->instances->source.instance,
                                    reader->since != NULL && !reader->filter_since
                                      ? 0
                                      : SLUICE_RUN_FLAG_FULL,
                                    reader->filter_since ? NULL : reader->since, &local_error))
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED,
                   "pipe '%s': /source (type '%s') could not start reading: %s", pipe_id,
                   reader->instances->source.type_name,
                   local_error != NULL ? local_error->message : "failed without saying why");
      return NULL;
    }
  reader->open = TRUE;
  return g_steal_pointer (&reader);
}

/* @output placed where @source was. */
static SluiceEntity *
place (SluiceEntity *output, SluiceEntity *source, GError **error)
{
  int64_t offset = sluice_entity_get_offset (source);
  SluiceValue *body = sluice_entity_get_body (output);
  SluiceValue *updated;
  g_autoptr (SluiceDictBuilder) builder = NULL;
  g_autoptr (SluiceValue) placed = NULL;

  if (sluice_entity_get_offset (output) >= 0)
    return sluice_entity_ref (output);
  if (offset >= 0)
    return sluice_entity_new_stored (body, offset, SLUICE_ENTITY_NO_OFFSET,
                                     sluice_entity_get_timestamp (source), NULL, error);
  updated = sluice_value_dict_lookup (sluice_entity_get_body (source), "_updated");
  if (updated == NULL || sluice_value_dict_lookup (body, "_updated") != NULL)
    return sluice_entity_ref (output);
  builder = sluice_dict_builder_new_sized (sluice_value_dict_get_size (body) + 1);
  for (size_t i = 0; i < sluice_value_dict_get_size (body); i++)
    sluice_dict_builder_add (builder, sluice_value_dict_get_key (body, i),
                             sluice_value_dict_get_value (body, i));
  sluice_dict_builder_add (builder, "_updated", updated);
  placed = sluice_dict_builder_end (g_steal_pointer (&builder));
  return sluice_entity_new (placed, error);
}

/* One source entity through the transforms, its outputs placed and appended to @batch. */
static gboolean
transform_one (SluicePipeReader *reader, SluiceEntity *entity, SluiceBatch *batch, GError **error)
{
  g_autoptr (SluiceBatch) input = sluice_batch_new ();
  g_autoptr (SluiceBatch) output = NULL;

  sluice_batch_add (input, entity);
  output = sluice_pipe_instances_transform (reader->instances, input, error);
  if (output == NULL)
    return FALSE;
  for (size_t i = 0; i < sluice_batch_get_length (output); i++)
    {
      SluiceEntity *placed = place (sluice_batch_get (output, i), entity, error);

      if (placed == NULL)
        return FALSE;
      sluice_batch_take (batch, placed);
    }
  return TRUE;
}

SluiceFlow
sluice_pipe_reader_read (SluicePipeReader *reader, SluiceBatch *batch, guint max_entities,
                         GError **error)
{
  g_autoptr (SluiceBatch) read = sluice_batch_new ();
  g_autoptr (GError) local_error = NULL;
  SluiceRunElement *source = &reader->instances->source;
  SluiceFlow flow;

  if (reader->eos)
    return SLUICE_FLOW_EOS;
  flow = source_cb (reader)->read (source->instance, read, MAX (max_entities, 1), &local_error);
  if (flow != SLUICE_FLOW_OK && flow != SLUICE_FLOW_EOS)
    {
      g_set_error (error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_FAILED, "%s (type '%s') %s: %s",
                   source->pointer, source->type_name,
                   flow == SLUICE_FLOW_RETRY ? "asked to retry reading" : "failed",
                   local_error != NULL ? local_error->message : "failed without saying why");
      return SLUICE_FLOW_ERROR;
    }
  for (size_t i = 0; i < sluice_batch_get_length (read); i++)
    {
      SluiceEntity *entity = sluice_batch_get (read, i);

      if (reader->filter_since)
        {
          g_autoptr (SluiceValue) position = sluice_run_entity_since (entity);

          if (position == NULL || sluice_value_compare (position, reader->since) <= 0)
            continue;
        }
      if (reader->instances->n_transforms == 0)
        sluice_batch_add (batch, entity);
      else if (!transform_one (reader, entity, batch, error))
        return SLUICE_FLOW_ERROR;
    }
  if (flow == SLUICE_FLOW_EOS)
    reader->eos = TRUE;
  return flow;
}

gboolean
sluice_pipe_reader_is_filtered (SluicePipeReader *reader)
{
  return reader->instances->n_transforms > 0;
}

void
sluice_pipe_reader_free (SluicePipeReader *reader)
{
  if (reader == NULL)
    return;
  if (reader->open && source_cb (reader)->close != NULL)
    source_cb (reader)->close (reader->instances->source.instance);
  sluice_pipe_instances_free (reader->instances);
  g_clear_pointer (&reader->since, sluice_value_unref);
  g_free (reader);
}
