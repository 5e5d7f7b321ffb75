/* sluice-pipe-push.c — a receiver: pushed entities through the transforms into the sink, one
 * durable transaction per push, full syncs kept open in the sink across requests. */
#include "sluice-pipe-instances.h"
#include "sluice-pipe-push.h"

struct _SluicePipePush
{
  gint ref_count;
  GMutex lock; /* one push at a time; guards everything below */
  SluiceEngine *engine; /* owned: it must outlive the instances, also across a reload */
  char *pipe_id;
  SluicePipeInstances *instances;
  SluiceStoreBackend *store;
  guint batch_size;
  uint32_t json_flags;     /* SLUICE_JSON_READER_FLAG_* from the source's options */
  gboolean auto_populate;  /* the source's auto_populate_dataset */
  SluicePushSequence *sequence;
  gboolean sink_in_full_run; /* the sink's begin (FULL) was called, its end not yet */
};

static gboolean
option_boolean (SluiceValue *options, const char *key, gboolean fallback)
{
  SluiceValue *value = options != NULL ? sluice_value_dict_lookup (options, key) : NULL;

  if (value == NULL || sluice_value_get_kind (value) != SLUICE_VALUE_BOOLEAN)
    return fallback;
  return sluice_value_get_boolean (value);
}

SluicePipePush *
sluice_pipe_push_new (SluiceEngine *engine, const char *pipe_id, GError **error)
{
  SluicePipe *pipe = sluice_engine_lookup_pipe (engine, pipe_id);
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SluicePipeInstances) instances = NULL;
  SluicePipePush *push;

  if (pipe == NULL)
    {
      g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_NOT_FOUND, "no pipe '%s'",
                   pipe_id);
      return NULL;
    }
  if (sluice_engine_get_store (engine) == NULL)
    {
      g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_FAILED,
                   "pipe '%s': the engine has no store", pipe_id);
      return NULL;
    }
  instances = sluice_pipe_instances_new (engine, pipe_id,
                                         SLUICE_PIPE_INSTANCES_SOURCE
                                           | SLUICE_PIPE_INSTANCES_TRANSFORMS
                                           | SLUICE_PIPE_INSTANCES_SINK,
                                         NULL, &local_error);
  if (instances == NULL)
    {
      g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_FAILED, "pipe '%s': %s", pipe_id,
                   local_error->message);
      return NULL;
    }
  if (!(instances->source_flags & SLUICE_ELEMENT_FLAG_NOT_PUMPED))
    {
      g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_NOT_RECEIVER,
                   "pipe '%s' does not receive entities: its source (type '%s') is read by "
                   "runs; only a pipe with a receiver source such as 'http_endpoint' accepts "
                   "pushes",
                   pipe_id, instances->source.type_name);
      return NULL;
    }

  push = g_new0 (SluicePipePush, 1);
  push->ref_count = 1;
  g_mutex_init (&push->lock);
  push->engine = g_object_ref (engine);
  push->pipe_id = g_strdup (pipe_id);
  push->store = sluice_engine_get_store (engine);
  push->batch_size = sluice_pipe_get_batch_size (pipe);
  /* A body is one entity or one array of them (docs/http-endpoints.md). */
  push->json_flags = SLUICE_JSON_READER_FLAG_ONE_VALUE;
  if (option_boolean (instances->source_options, "do_float_as_decimal", TRUE))
    push->json_flags |= SLUICE_JSON_READER_FLAG_FLOAT_AS_DECIMAL;
  if (option_boolean (instances->source_options, "do_float_as_int", TRUE))
    push->json_flags |= SLUICE_JSON_READER_FLAG_FLOAT_AS_INT;
  push->auto_populate = option_boolean (instances->source_options, "auto_populate_dataset", TRUE);
  push->instances = g_steal_pointer (&instances);
  push->sequence = sluice_push_sequence_new ();
  return push;
}

static const SluiceSinkCallbacks *
sink_cb (SluicePipePush *push)
{
  return push->instances->sink.callbacks;
}

/* Ends the sink's full run without success: a dataset sink drops its seen ids, deleting
 * nothing.  Outside any batch: an unsuccessful end writes nothing. */
static void
abandon_full_run (SluicePipePush *push)
{
  g_autoptr (GError) ignored = NULL;

  if (!push->sink_in_full_run)
    return;
  push->sink_in_full_run = FALSE;
  if (sink_cb (push)->end != NULL)
    sink_cb (push)->end (push->instances->sink.instance, FALSE, &ignored);
}

SluicePipePush *
sluice_pipe_push_ref (SluicePipePush *push)
{
  g_atomic_int_inc (&push->ref_count);
  return push;
}

void
sluice_pipe_push_unref (SluicePipePush *push)
{
  if (push == NULL || !g_atomic_int_dec_and_test (&push->ref_count))
    return;
  abandon_full_run (push);
  sluice_push_sequence_free (push->sequence);
  sluice_pipe_instances_free (push->instances);
  g_object_unref (push->engine);
  g_free (push->pipe_id);
  g_mutex_clear (&push->lock);
  g_free (push);
}

const char *
sluice_pipe_push_get_pipe_id (SluicePipePush *push)
{
  return push->pipe_id;
}

char *
sluice_pipe_push_dup_active_sequence (SluicePipePush *push)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&push->lock);

  return g_strdup (sluice_push_sequence_get_active (push->sequence));
}

/* "/sink (type 'dataset') failed: <message>", as a run says it. */
static void
element_failed (GError **error, const SluiceRunElement *element, const char *what, GError *cause)
{
  g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_FAILED, "%s (type '%s') %s: %s",
               element->pointer, element->type_name, what,
               cause != NULL ? cause->message : "failed without saying why");
}

static gboolean
is_filtered (SluiceEntity *entity)
{
  SluiceValue *filtered = sluice_value_dict_lookup (sluice_entity_get_body (entity), "_filtered");

  return filtered != NULL && sluice_value_get_kind (filtered) == SLUICE_VALUE_BOOLEAN
         && sluice_value_get_boolean (filtered);
}

/* The transforms and the sink's write, @batch_size entities at a time, in the open batch. */
static gboolean
write_entities (SluicePipePush *push, const SluiceBatch *entities, SluicePushStats *stats,
                GError **error)
{
  SluicePipeInstances *instances = push->instances;
  gboolean keep_filtered = (instances->sink_flags & SLUICE_ELEMENT_FLAG_ACCEPTS_FILTERED) != 0;
  size_t length = sluice_batch_get_length (entities);

  for (size_t start = 0; start < length; start += push->batch_size)
    {
      g_autoptr (SluiceBatch) chunk = sluice_batch_new ();
      g_autoptr (SluiceBatch) output = NULL;
      g_autoptr (SluiceBatch) kept = sluice_batch_new ();
      g_autoptr (GError) local_error = NULL;

      for (size_t i = start; i < MIN (length, start + push->batch_size); i++)
        sluice_batch_add (chunk, sluice_batch_get (entities, i));
      output = sluice_pipe_instances_transform (instances, chunk, &local_error);
      if (output == NULL)
        {
          g_set_error_literal (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_FAILED,
                               local_error->message);
          return FALSE;
        }
      for (size_t i = 0; i < sluice_batch_get_length (output); i++)
        if (keep_filtered || !is_filtered (sluice_batch_get (output, i)))
          sluice_batch_add (kept, sluice_batch_get (output, i));
      if (sluice_batch_get_length (kept) > 0
          && sink_cb (push)->write (instances->sink.instance, kept, &local_error)
               != SLUICE_FLOW_OK)
        {
          element_failed (error, &instances->sink, "failed", local_error);
          return FALSE;
        }
      stats->written += sluice_batch_get_length (kept);
    }
  return TRUE;
}

/* The pipe's counters, committed with the push. */
static gboolean
update_state (SluicePipePush *push, SluicePipeState *state, const SluicePushStats *stats,
              gint64 started, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!sluice_store_backend_get_pipe_state (push->store, push->pipe_id, state, &local_error)
      && local_error != NULL)
    {
      g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_FAILED,
                   "pipe '%s': reading the pipe state failed: %s", push->pipe_id,
                   local_error->message);
      return FALSE;
    }
  state->runs++;
  state->entities_read += stats->received;
  state->entities_written += stats->written;
  state->last_run_started = started;
  state->last_run_finished = g_get_real_time ();
  return TRUE;
}

/* One push, under the lock, after the protocol allowed it. */
static gboolean
push_locked (SluicePipePush *push, const SluicePushStep *step, const SluiceBatch *entities,
             SluicePushStats *stats, GError **error)
{
  SluicePipeInstances *instances = push->instances;
  const SluiceSinkCallbacks *cb = sink_cb (push);
  g_auto (SluicePipeState) state = { 0 };
  g_autoptr (GError) local_error = NULL;
  gint64 started = g_get_real_time ();
  gboolean own_run = FALSE; /* an incremental push outside a full sync: begin and end here */
  gboolean ok = TRUE;

  sluice_host_datasets_begin_batch (instances->host);
  if (step->starts || (!step->full && !push->sink_in_full_run))
    {
      uint32_t flags = 0;

      if (step->starts)
        flags = SLUICE_RUN_FLAG_FULL | SLUICE_RUN_FLAG_SOURCE_POPULATED;
      else if (push->auto_populate)
        flags = SLUICE_RUN_FLAG_SOURCE_POPULATED;
      if (cb->begin != NULL && !cb->begin (instances->sink.instance, flags, &local_error))
        {
          element_failed (error, &instances->sink, "could not start writing", local_error);
          sluice_host_datasets_abort_batch (instances->host);
          return FALSE;
        }
      if (step->starts)
        push->sink_in_full_run = TRUE;
      else
        own_run = TRUE;
    }

  ok = write_entities (push, entities, stats, error);
  if (ok && (own_run || step->ends))
    {
      if (step->ends)
        push->sink_in_full_run = FALSE;
      if (cb->end != NULL && !cb->end (instances->sink.instance, TRUE, &local_error))
        {
          element_failed (error, &instances->sink, "could not finish writing", local_error);
          ok = FALSE;
        }
      own_run = FALSE;
    }
  if (ok)
    ok = update_state (push, &state, stats, started, error);
  if (ok)
    {
      stats->changes = sluice_host_datasets_get_batch_changes (instances->host);
      if (!sluice_host_datasets_commit_batch (instances->host, push->pipe_id, &state,
                                              SLUICE_STORE_COMMIT_DURABLE, &local_error))
        {
          g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_FAILED,
                       "pipe '%s': committing the push failed: %s", push->pipe_id,
                       local_error->message);
          ok = FALSE;
        }
      if (ok)
        return TRUE;
    }
  else
    sluice_host_datasets_abort_batch (instances->host);

  /* Nothing of this push was committed. */
  if (own_run && cb->end != NULL)
    {
      g_autoptr (GError) ignored = NULL;

      cb->end (instances->sink.instance, FALSE, &ignored);
    }
  /* A full sync whose first request failed never started; one whose end failed is over. */
  if (step->starts || step->ends)
    {
      abandon_full_run (push);
      sluice_push_sequence_reset (push->sequence);
    }
  return FALSE;
}

gboolean
sluice_pipe_push_batch (SluicePipePush *push, const SluicePushRequest *request,
                        const SluiceBatch *entities, SluicePushStats *ret_stats, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&push->lock);
  g_autoptr (GError) local_error = NULL;
  SluicePushStats stats = { .received = sluice_batch_get_length (entities) };
  SluicePushStep step = { 0 };

  if (!sluice_push_sequence_check (push->sequence, request, &step, &local_error))
    {
      if (g_error_matches (local_error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_CONFLICT_BROKEN))
        {
          abandon_full_run (push);
          sluice_push_sequence_reset (push->sequence);
        }
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "pipe '%s': ", push->pipe_id);
      return FALSE;
    }
  if (step.replaces)
    {
      abandon_full_run (push);
      sluice_push_sequence_reset (push->sequence);
    }
  if (!push_locked (push, &step, entities, &stats, error))
    return FALSE;
  sluice_push_sequence_advance (push->sequence, request, &step);
  if (ret_stats != NULL)
    *ret_stats = stats;
  return TRUE;
}

/* A pushed entity's `_deleted` is true or false.  Elsewhere any other value means "not deleted"
 * (digest §1.2), but a sender that writes "yes" or 1 means something, and storing the entity as
 * live would silently turn that around. */
static gboolean
check_deleted (SluiceEntity *entity, GError **error)
{
  SluiceValue *deleted = sluice_value_dict_lookup (sluice_entity_get_body (entity), "_deleted");

  if (deleted == NULL || sluice_value_get_kind (deleted) == SLUICE_VALUE_BOOLEAN)
    return TRUE;
  g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
               "entity '%s': \"_deleted\" is a %s: expected true or false",
               sluice_entity_get_id (entity),
               sluice_value_kind_get_name (sluice_value_get_kind (deleted)));
  return FALSE;
}

/* Every value of @body as an entity, or an error naming the first that is not one: "body entity
 * /3" in an array, "the body (value 1)" for a single object. */
static gboolean
parse_body (SluicePipePush *push, const char *body, gsize length, SluiceBatch *entities,
            GError **error)
{
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (push->json_flags);
  g_autoptr (GError) local_error = NULL;
  gboolean top_array;
  gsize skip = 0;

  while (skip < length && g_ascii_isspace (body[skip]))
    skip++;
  top_array = skip < length && body[skip] == '[';
  if (!sluice_json_reader_feed (reader, body, length, &local_error)
      || !sluice_json_reader_finish (reader, &local_error))
    {
      g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_INVALID,
                   "the body is not valid JSON: %s", local_error->message);
      return FALSE;
    }
  for (guint index = 0;; index++)
    {
      g_autoptr (SluiceValue) value = sluice_json_reader_pop (reader);
      SluiceEntity *entity;

      if (value == NULL)
        break;
      entity = sluice_entity_new (value, &local_error);
      if (entity != NULL && !check_deleted (entity, &local_error))
        g_clear_pointer (&entity, sluice_entity_unref);
      if (entity == NULL)
        {
          if (top_array)
            g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_INVALID,
                         "body entity /%u: %s", index, local_error->message);
          else
            g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_INVALID,
                         "the body (value %u): %s", index + 1, local_error->message);
          return FALSE;
        }
      sluice_batch_take (entities, entity);
    }
  return TRUE;
}

gboolean
sluice_pipe_push_json (SluicePipePush *push, const SluicePushRequest *request, const char *body,
                       gsize length, SluicePushStats *ret_stats, GError **error)
{
  g_autoptr (SluiceBatch) entities = sluice_batch_new ();

  if (!parse_body (push, body, length, entities, error))
    return FALSE;
  return sluice_pipe_push_batch (push, request, entities, ret_stats, error);
}
