/* sluice-pipe-push.c — a receiver: pushed entities through the transforms into the sink, one
 * durable transaction per push (a large push: held parts, committed durably at the end), full
 * syncs kept open in the sink across requests. */
#include "sluice-pipe-instances.h"
#include "sluice-pipe-push.h"

#include <string.h>

/* A body is parsed into the JSON reader this much at a time, so that entities are taken out of
 * the reader (and handed on) every few hundred. */
#define FEED_SLICE (64 * 1024)

/* Pushes to one receiver pipe wait for each other across its SluicePipePush instances too (a
 * reload builds a new one while a push through the old one may still run): a large push holds
 * the pipe's datasets, and no other push may write after its watermark meanwhile, where a
 * rollback of the large one would take those writes with it. */
typedef struct
{
  gint ref_count; /* under pipe_locks_lock */
  GMutex mutex;
  char *pipe_id;
} PipeLock;

static GMutex pipe_locks_lock;
static GHashTable *pipe_locks; /* pipe id → PipeLock * */

static PipeLock *
pipe_lock_get (const char *pipe_id)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&pipe_locks_lock);
  PipeLock *lock;

  if (pipe_locks == NULL)
    pipe_locks = g_hash_table_new (g_str_hash, g_str_equal);
  lock = g_hash_table_lookup (pipe_locks, pipe_id);
  if (lock == NULL)
    {
      lock = g_new0 (PipeLock, 1);
      g_mutex_init (&lock->mutex);
      lock->pipe_id = g_strdup (pipe_id);
      g_hash_table_insert (pipe_locks, lock->pipe_id, lock);
    }
  lock->ref_count++;
  return lock;
}

static void
pipe_lock_release (PipeLock *lock)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&pipe_locks_lock);

  if (--lock->ref_count > 0)
    return;
  g_hash_table_remove (pipe_locks, lock->pipe_id);
  g_mutex_clear (&lock->mutex);
  g_free (lock->pipe_id);
  g_free (lock);
}

struct _SluicePipePush
{
  gint ref_count;
  PipeLock *pipe_lock; /* one push of the pipe at a time; guards everything below */
  SluiceEngine *engine; /* owned: it must outlive the instances, also across a reload */
  char *pipe_id;
  SluicePipeInstances *instances;
  SluiceStoreBackend *store;
  guint batch_size;
  uint32_t json_flags;     /* SLUICE_JSON_READER_FLAG_* from the source's options */
  gboolean auto_populate;  /* the source's auto_populate_dataset */
  SluicePushSequence *sequence;
  gboolean sink_in_full_run; /* the sink's begin (FULL) was called, its end not yet */
  char **outputs;    /* the datasets the sink writes */
  gboolean can_hold; /* no other pipe writes them: a large push may hold them */
  gsize part_bytes;  /* SLUICE_PUSH_PART_BYTES, or what a test set */
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
  push->pipe_lock = pipe_lock_get (pipe_id);
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
  push->outputs = g_strdupv ((char **) sluice_pipe_get_output_datasets (pipe));
  /* A hold makes what the push wrote invisible until it ends, and a rollback removes every
   * version after the watermark: that must never take another writer's versions with it. */
  push->can_hold = TRUE;
  for (guint i = 0; push->outputs != NULL && push->outputs[i] != NULL; i++)
    {
      g_autoptr (GPtrArray) writers
        = sluice_pipe_graph_get_writers (sluice_engine_get_graph (engine), push->outputs[i]);

      for (guint j = 0; j < writers->len; j++)
        if (g_strcmp0 (g_ptr_array_index (writers, j), pipe_id) != 0)
          push->can_hold = FALSE;
    }
  push->part_bytes = SLUICE_PUSH_PART_BYTES;
  return push;
}

void
sluice_pipe_push_set_part_bytes (SluicePipePush *push, gsize part_bytes)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&push->pipe_lock->mutex);

  push->part_bytes = part_bytes > 0 ? part_bytes : SLUICE_PUSH_PART_BYTES;
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
  g_strfreev (push->outputs);
  g_object_unref (push->engine);
  g_free (push->pipe_id);
  pipe_lock_release (push->pipe_lock);
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
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&push->pipe_lock->mutex);

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

/* Where the entities of a push come from, a batch at a time. */
typedef struct _EntitySource EntitySource;
struct _EntitySource
{
  /* Up to @max entities into @batch (none: the push has no more).  FALSE on a bad body. */
  gboolean (*next) (EntitySource *source, SluiceBatch *batch, guint max, GError **error);
  guint64 position; /* bytes of the body read so far (0 for entities given as a batch) */
};

/* The transforms and the sink's write of every entity of @source, in the open batch; a held
 * batch commits a part each time another part_bytes of the body were read. */
static gboolean
write_all (SluicePipePush *push, EntitySource *source, gboolean held, SluicePushStats *stats,
           GError **error)
{
  guint64 part_start = 0;

  for (;;)
    {
      g_autoptr (SluiceBatch) batch = sluice_batch_new ();
      g_autoptr (GError) local_error = NULL;

      if (!source->next (source, batch, push->batch_size, error))
        return FALSE;
      if (sluice_batch_get_length (batch) == 0)
        return TRUE;
      stats->received += sluice_batch_get_length (batch);
      if (!write_entities (push, batch, stats, error))
        return FALSE;
      if (!held || source->position - part_start < push->part_bytes)
        continue;
      if (!sluice_host_datasets_commit_part (push->instances->host, &local_error))
        {
          g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_FAILED,
                       "pipe '%s': committing a part of the push failed: %s", push->pipe_id,
                       local_error->message);
          return FALSE;
        }
      part_start = source->position;
    }
}

/* One push, under the lock, after the protocol allowed it.  @held: the push may commit parts
 * (held until its end, sluice-host-datasets.h). */
static gboolean
push_locked (SluicePipePush *push, const SluicePushStep *step, EntitySource *source,
             gboolean held, SluicePushStats *stats, GError **error)
{
  SluicePipeInstances *instances = push->instances;
  const SluiceSinkCallbacks *cb = sink_cb (push);
  g_auto (SluicePipeState) state = { 0 };
  g_autoptr (GError) local_error = NULL;
  gint64 started = g_get_real_time ();
  gboolean own_run = FALSE; /* an incremental push outside a full sync: begin and end here */
  gboolean ok = TRUE;

  sluice_host_datasets_begin_batch (instances->host);
  if (held)
    sluice_host_datasets_hold_batch (instances->host, push->pipe_id);
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

  ok = write_all (push, source, held, stats, error);
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

  /* Nothing of this push was committed, or what its parts committed was rolled back. */
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

/* Whether a push of @length bytes holds its datasets and commits in parts: it is larger than a
 * part, the receiver is the only writer of its datasets, and none of them has a circuit breaker
 * (a run's; what an earlier push left held is rolled back first).  Otherwise it is one
 * transaction, as every push used to be. */
static gboolean
decide_hold (SluicePipePush *push, guint64 length, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (length <= push->part_bytes || !push->can_hold || push->outputs == NULL)
    return FALSE;
  if (!sluice_host_datasets_recover_holds (push->store, (const char *const *) push->outputs, NULL,
                                           &local_error))
    {
      g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_FAILED, "pipe '%s': %s",
                   push->pipe_id, local_error->message);
      return FALSE;
    }
  for (guint i = 0; push->outputs[i] != NULL; i++)
    {
      g_auto (SluiceBreakerState) state = { 0 };

      if (sluice_store_backend_get_breaker (push->store, push->outputs[i], &state, NULL))
        return FALSE;
    }
  return TRUE;
}

/* The protocol's check, then the push of @length bytes of body (0: entities given as a batch). */
static gboolean
push_checked (SluicePipePush *push, const SluicePushRequest *request, EntitySource *source,
              guint64 length, SluicePushStats *ret_stats, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&push->pipe_lock->mutex);
  g_autoptr (GError) local_error = NULL;
  SluicePushStats stats = { 0 };
  SluicePushStep step = { 0 };
  gboolean held;

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
  held = decide_hold (push, length, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!push_locked (push, &step, source, held, &stats, error))
    return FALSE;
  sluice_push_sequence_advance (push->sequence, request, &step);
  if (ret_stats != NULL)
    *ret_stats = stats;
  return TRUE;
}

/* Entities given as a batch. */
typedef struct
{
  EntitySource parent;
  const SluiceBatch *entities;
  size_t next;
} BatchSource;

static gboolean
batch_next (EntitySource *source, SluiceBatch *batch, guint max, GError **error)
{
  BatchSource *self = (BatchSource *) source;

  for (; self->next < sluice_batch_get_length (self->entities)
         && sluice_batch_get_length (batch) < max;
       self->next++)
    sluice_batch_add (batch, sluice_batch_get (self->entities, self->next));
  return TRUE;
}

gboolean
sluice_pipe_push_batch (SluicePipePush *push, const SluicePushRequest *request,
                        const SluiceBatch *entities, SluicePushStats *ret_stats, GError **error)
{
  BatchSource source = { { batch_next, 0 }, entities, 0 };

  return push_checked (push, request, &source.parent, 0, ret_stats, error);
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

/* A JSON body (its chunks, GBytes, in order) read a slice at a time: every value of it as an
 * entity, or an error naming the first that is not one: "body entity /3" in an array, "the body
 * (value 1)" for a single object. */
typedef struct
{
  EntitySource parent;
  SluicePipePush *push;
  GPtrArray *chunks; /* borrowed */
  guint chunk;       /* the chunk being read */
  gsize offset;      /* in it */
  SluiceJsonReader *reader;
  gboolean seen_start; /* the first byte that is not white space was seen */
  gboolean top_array;  /* … and it was '[' */
  gboolean finished;   /* the reader saw the end of the body */
  gboolean json_failed;
  gboolean drop;       /* values are only parsed, not made entities (after an entity error) */
  guint index;         /* of the next value */
} BodySource;

static gboolean body_next (EntitySource *source, SluiceBatch *batch, guint max, GError **error);

static void
body_init (BodySource *body, SluicePipePush *push, GPtrArray *chunks)
{
  memset (body, 0, sizeof (*body));
  body->parent.next = body_next;
  body->push = push;
  body->chunks = chunks;
  body->reader = sluice_json_reader_new (push->json_flags);
}

static void
body_clear (BodySource *body)
{
  g_clear_pointer (&body->reader, sluice_json_reader_free);
}

/* Feeds the next slice of the body to the reader, or ends it. */
static gboolean
body_feed (BodySource *body, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean ok;

  while (body->chunk < body->chunks->len
         && body->offset >= g_bytes_get_size (g_ptr_array_index (body->chunks, body->chunk)))
    {
      body->chunk++;
      body->offset = 0;
    }
  if (body->chunk < body->chunks->len)
    {
      gsize size;
      const char *data = g_bytes_get_data (g_ptr_array_index (body->chunks, body->chunk), &size);
      /* Slices no larger than a part, so that parts end where they should (tests set tiny ones). */
      gsize len = MIN (size - body->offset, MIN (FEED_SLICE, body->push->part_bytes));

      for (gsize i = 0; !body->seen_start && i < len; i++)
        if (!g_ascii_isspace (data[body->offset + i]))
          {
            body->seen_start = TRUE;
            body->top_array = data[body->offset + i] == '[';
          }
      ok = sluice_json_reader_feed (body->reader, data + body->offset, len, &local_error);
      body->offset += len;
      body->parent.position += len;
    }
  else
    {
      ok = sluice_json_reader_finish (body->reader, &local_error);
      body->finished = TRUE;
    }
  if (ok)
    return TRUE;
  body->json_failed = TRUE;
  g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_INVALID,
               "the body is not valid JSON: %s", local_error->message);
  return FALSE;
}

static gboolean
body_next (EntitySource *source, SluiceBatch *batch, guint max, GError **error)
{
  BodySource *body = (BodySource *) source;
  g_autoptr (GError) local_error = NULL;

  while (sluice_batch_get_length (batch) < max)
    {
      g_autoptr (SluiceValue) value = sluice_json_reader_pop (body->reader);
      SluiceEntity *entity;

      if (value == NULL)
        {
          if (body->finished)
            return TRUE;
          if (!body_feed (body, error))
            return FALSE;
          continue;
        }
      body->index++;
      if (body->drop)
        continue;
      entity = sluice_entity_new (value, &local_error);
      if (entity != NULL && !check_deleted (entity, &local_error))
        g_clear_pointer (&entity, sluice_entity_unref);
      if (entity == NULL)
        {
          if (body->top_array)
            g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_INVALID,
                         "body entity /%u: %s", body->index - 1, local_error->message);
          else
            g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_INVALID,
                         "the body (value %u): %s", body->index, local_error->message);
          return FALSE;
        }
      sluice_batch_take (batch, entity);
    }
  return TRUE;
}

/* Reads the whole body, every entity into @entities (nullable: keeps none, a body is then only
 * checked, with memory bounded by a batch).  The error is the one of a body parsed whole before
 * its values are looked at: a JSON error anywhere wins over an entity that is not one. */
static gboolean
parse_body (SluicePipePush *push, GPtrArray *chunks, SluiceBatch *entities, GError **error)
{
  BodySource body;
  g_autoptr (GError) entity_error = NULL;
  gboolean ok = TRUE;

  body_init (&body, push, chunks);
  for (;;)
    {
      g_autoptr (SluiceBatch) scratch = entities == NULL ? sluice_batch_new () : NULL;
      SluiceBatch *batch = entities != NULL ? entities : scratch;
      size_t before = sluice_batch_get_length (batch);
      GError *local_error = NULL;

      if (!body_next (&body.parent, batch, entities != NULL ? G_MAXUINT : push->batch_size,
                      &local_error))
        {
          if (body.json_failed)
            {
              g_clear_error (&entity_error);
              g_propagate_error (error, local_error);
              ok = FALSE;
              break;
            }
          /* Read on: a JSON error later in the body is what is reported. */
          entity_error = local_error;
          body.drop = TRUE;
          continue;
        }
      if (sluice_batch_get_length (batch) == before)
        break;
    }
  body_clear (&body);
  if (ok && entity_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&entity_error));
      ok = FALSE;
    }
  return ok;
}

static guint64
body_length (GPtrArray *chunks)
{
  guint64 length = 0;

  for (guint i = 0; i < chunks->len; i++)
    length += g_bytes_get_size (g_ptr_array_index (chunks, i));
  return length;
}

gboolean
sluice_pipe_push_json_chunks (SluicePipePush *push, const SluicePushRequest *request,
                              GPtrArray *chunks, SluicePushStats *ret_stats, GError **error)
{
  guint64 length = body_length (chunks);
  BodySource body;
  gboolean ok;

  /* A body of up to a part is parsed whole and pushed in one transaction.  A larger one is
   * checked first, keeping nothing, so that a bad body is refused before anything runs, and
   * then read again and pushed a batch at a time. */
  if (length <= push->part_bytes)
    {
      g_autoptr (SluiceBatch) entities = sluice_batch_new ();

      if (!parse_body (push, chunks, entities, error))
        return FALSE;
      return sluice_pipe_push_batch (push, request, entities, ret_stats, error);
    }
  if (!parse_body (push, chunks, NULL, error))
    return FALSE;
  body_init (&body, push, chunks);
  ok = push_checked (push, request, &body.parent, length, ret_stats, error);
  body_clear (&body);
  return ok;
}

gboolean
sluice_pipe_push_json (SluicePipePush *push, const SluicePushRequest *request, const char *body,
                       gsize length, SluicePushStats *ret_stats, GError **error)
{
  g_autoptr (GPtrArray) chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  g_ptr_array_add (chunks, g_bytes_new_static (body, length));
  return sluice_pipe_push_json_chunks (push, request, chunks, ret_stats, error);
}
