/* dataset-sink.c — the `dataset` sink (digest §9.1): appends each batch to a dataset with change
 * tracking.  The host appends inside the batch's transaction and commits it together with the
 * pipe offset, so the sink itself needs no bookkeeping for crash safety.
 *
 * It also does what only a dataset sink can (digest §5):
 *  - `_filtered: true` entities become deletes of their `_id` when it is live, and are dropped
 *    otherwise, in every run type (the element declares SLUICE_ELEMENT_FLAG_ACCEPTS_FILTERED);
 *  - at the end of a successful full run, every live entity the run did not write gets a deleted
 *    version that keeps its content (deletion tracking).  The run remembers the offset of each
 *    entity's latest version after its append (the new version, or the one change tracking kept)
 *    in a compact offset set; at the end, a scan of the dataset's live ids (no entity decoded)
 *    finds those whose latest offset is not in it (docs/decisions/0008).  The end
 *    callback runs inside the transaction that commits the run's final pipe state, so the deletes
 *    are committed with it or not at all;
 *  - the populated flag, as set_initial_offset says (digest §2.2);
 *  - circuit breakers (digest §6): the sink declares and checks circuit_breaker_threshold_factor
 *    and _count; the engine arms them, because holding back what a run writes and tripping are a
 *    matter of the run's transactions (core/run/sluice-breaker.h, docs/decisions/0006). */
#include <string.h>

#include "dataset-elements.h"
#include "dataset-offset-set.h"

#define DELETE_BATCH 1000

typedef enum
{
  INITIAL_IF_SOURCE_POPULATED,
  INITIAL_NEVER,
  INITIAL_ALWAYS,
  INITIAL_INITIALLY,
  INITIAL_ONLOAD,
} InitialOffset;

static const char *const initial_offset_choices[]
  = { "if-source-populated", "never", "always", "initially", "onload", NULL };

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  const char *dataset;           /* borrowed from the options or the context */
  InitialOffset initial_offset;
  gboolean deletion_tracking;
  gboolean mark_deletion_tracked;
  uint32_t run_flags;
  gboolean tracking;      /* this run deletion-tracks */
  DatasetOffsetSet *seen; /* the offsets the run wrote or kept */
  GArray *offsets;        /* scratch: the offsets of one append */
} DatasetSink;

static const SluiceOptionSpec sink_options[] = {
  { .key = "dataset", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_DATASET,
    .description = "The `_id` of the dataset to write (default: the pipe `_id`)." },
  { .key = "set_initial_offset", .types = SLUICE_OPTION_STRING,
    .default_json = "\"if-source-populated\"", .choices = initial_offset_choices,
    .description = "When the dataset is marked populated: `if-source-populated` after a "
                   "successful run whose source inputs are populated, `never`, `always` after "
                   "any successful run, `initially` when a run starts, `onload` when the pipe "
                   "is loaded." },
  { .key = "deletion_tracking", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true",
    .description = "At the end of a successful full run, delete the entities the run did not "
                   "write.  Set it to false for sources that only deliver changes." },
  { .key = "mark_deletion_tracked", .types = SLUICE_OPTION_BOOLEAN, .default_json = "false",
    .description = "Add `\"$deletion_tracked\": true` to the deletes deletion tracking writes." },
  { .key = "circuit_breaker_threshold_factor", .types = SLUICE_OPTION_NUMBER | SLUICE_OPTION_NULL,
    .default_json = "null",
    .description = "Enables the circuit breaker: a run that writes more than this factor times the "
                   "number of ids in the dataset (deleted ones included) stops, and what it wrote "
                   "stays uncommitted until an operator commits or rolls it back.  A factor, not a "
                   "percentage (0.5: half).  Armed only once the dataset is populated." },
  { .key = "circuit_breaker_threshold_count", .types = SLUICE_OPTION_INTEGER | SLUICE_OPTION_NULL,
    .default_json = "null",
    .description = "Enables the circuit breaker with an absolute limit: a run may write this many "
                   "entities before it trips.  With a factor as well, the larger of the two "
                   "limits applies." },
  { .key = "comment", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,
    .description = "Free text for the reader of the configuration; ignored." },
  { NULL },
};

/* The breaker options as the engine reads them (core/run/sluice-breaker.c); refused here when they
 * could never work, so that the configuration check reports them. */
static gboolean
check_breaker_options (SluiceElementContext *context, GError **error)
{
  SluiceValue *options = sluice_element_context_get_options (context);
  SluiceValue *factor = sluice_value_dict_lookup (options, "circuit_breaker_threshold_factor");
  SluiceValue *count = sluice_value_dict_lookup (options, "circuit_breaker_threshold_count");

  if (factor != NULL && sluice_value_get_kind (factor) != SLUICE_VALUE_NULL)
    {
      g_autofree char *text = sluice_value_to_json (factor);
      double value = g_ascii_strtod (text, NULL);

      if (sluice_value_get_kind (factor) == SLUICE_VALUE_FLOAT)
        value = sluice_value_get_float (factor);
      if (!(value > 0))
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                       "circuit_breaker_threshold_factor: %s is not a usable factor: expected a "
                       "number > 0 (0.5 lets a run write half as many entities as the dataset "
                       "has ids)",
                       text);
          return FALSE;
        }
    }
  if (count != NULL && sluice_value_get_kind (count) == SLUICE_VALUE_INTEGER
      && sluice_value_get_integer (count) < 1)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "circuit_breaker_threshold_count: %" G_GINT64_FORMAT " is not a usable "
                   "count: expected an integer ≥ 1",
                   sluice_value_get_integer (count));
      return FALSE;
    }
  return TRUE;
}

static void *
sink_create (SluiceElementContext *context, GError **error)
{
  DatasetSink *self = g_new0 (DatasetSink, 1);
  const char *initial
    = sluice_element_context_get_string (context, "set_initial_offset", "if-source-populated");

  if (!check_breaker_options (context, error))
    {
      g_free (self);
      return NULL;
    }
  self->context = context;
  self->dataset = sluice_element_context_get_string (
    context, "dataset", sluice_element_context_get_component_id (context));
  self->deletion_tracking = sluice_element_context_get_boolean (context, "deletion_tracking", TRUE);
  self->mark_deletion_tracked
    = sluice_element_context_get_boolean (context, "mark_deletion_tracked", FALSE);
  self->initial_offset = INITIAL_IF_SOURCE_POPULATED;
  for (int i = 0; initial_offset_choices[i] != NULL; i++)
    if (g_strcmp0 (initial, initial_offset_choices[i]) == 0)
      self->initial_offset = (InitialOffset) i;

  if (self->initial_offset == INITIAL_ONLOAD)
    {
      g_autoptr (GError) local_error = NULL;

      /* Without a store (the configuration is only checked) there is nothing to mark. */
      if (!sluice_dataset_set_populated (context, self->dataset, &local_error)
          && !g_error_matches (local_error, SLUICE_ERROR, SLUICE_ERROR_NOT_SUPPORTED))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      "set_initial_offset: marking dataset '%s' populated "
                                      "failed: ",
                                      self->dataset);
          g_free (self);
          return NULL;
        }
    }
  return self;
}

static void
forget_run (DatasetSink *self)
{
  self->tracking = FALSE;
  g_clear_pointer (&self->seen, dataset_offset_set_free);
}

static void
sink_destroy (void *instance)
{
  DatasetSink *self = instance;

  forget_run (self);
  g_clear_pointer (&self->offsets, g_array_unref);
  g_free (self);
}

static gboolean
sink_begin (void *instance, uint32_t run_flags, GError **error)
{
  DatasetSink *self = instance;

  self->run_flags = run_flags;
  forget_run (self);
  /* A resumed full run does not know what its earlier attempt wrote before the crash: it must
   * not delete on that partial knowledge, so only the next full run deletion-tracks. */
  if (self->deletion_tracking && (run_flags & SLUICE_RUN_FLAG_FULL)
      && !(run_flags & SLUICE_RUN_FLAG_RESUMED))
    {
      self->tracking = TRUE;
      self->seen = dataset_offset_set_new ();
    }
  if (self->initial_offset == INITIAL_INITIALLY)
    return sluice_dataset_set_populated (self->context, self->dataset, error);
  return TRUE;
}

static gboolean
value_is_true (SluiceValue *value)
{
  return value != NULL && sluice_value_get_kind (value) == SLUICE_VALUE_BOOLEAN
         && sluice_value_get_boolean (value);
}

/* A deleted version of @body: its content without the reserved `_` fields the store drops
 * anyway, `_deleted: true`, and `$deletion_tracked: true` when @mark. */
static SluiceEntity *
new_delete (SluiceValue *body, gboolean mark, GError **error)
{
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();
  size_t size = sluice_value_dict_get_size (body);

  for (size_t i = 0; i < size; i++)
    {
      const char *key = sluice_value_dict_get_key (body, i);

      if (key[0] == '_' && strcmp (key, "_id") != 0)
        continue;
      sluice_dict_builder_add (builder, key, sluice_value_dict_get_value (body, i));
    }
  sluice_dict_builder_take (builder, "_deleted", sluice_value_new_boolean (TRUE));
  if (mark)
    sluice_dict_builder_take (builder, "$deletion_tracked", sluice_value_new_boolean (TRUE));
  {
    g_autoptr (SluiceValue) value = sluice_dict_builder_end (g_steal_pointer (&builder));

    return sluice_entity_new (value, error);
  }
}

/* digest §5.2: a filtered entity deletes its `_id` when that is live, and is dropped otherwise. */
static gboolean
add_filtered (DatasetSink *self, SluiceEntity *entity, SluiceBatch *out, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  SluiceEntity *stored
    = sluice_dataset_get_entity (self->context, self->dataset, sluice_entity_get_id (entity),
                                 &local_error);
  SluiceEntity *deleted;

  if (stored == NULL)
    {
      if (local_error == NULL)
        return TRUE;
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "dataset '%s': looking up filtered entity '%s' failed: ",
                                  self->dataset, sluice_entity_get_id (entity));
      return FALSE;
    }
  if (sluice_entity_is_deleted (stored))
    {
      sluice_entity_unref (stored);
      return TRUE;
    }
  sluice_entity_unref (stored);
  deleted = new_delete (sluice_entity_get_body (entity), FALSE, error);
  if (deleted == NULL)
    return FALSE;
  sluice_batch_take (out, deleted);
  return TRUE;
}

/* Appends @batch; a deletion-tracking run marks the offsets its entities now have.  A filtered-out
 * id is not marked: a full run that filters an id out deletes it.  A failed append fails the run
 * (the sink never asks for a retry), and a failed run tracks no deletions. */
static gboolean
append (DatasetSink *self, const SluiceBatch *batch, GError **error)
{
  size_t length = sluice_batch_get_length (batch);

  if (!self->tracking)
    return sluice_dataset_append (self->context, self->dataset, batch, 0, NULL, error);
  if (self->offsets == NULL)
    self->offsets = g_array_new (FALSE, FALSE, sizeof (int64_t));
  g_array_set_size (self->offsets, (guint)length);
  if (!sluice_dataset_append_offsets (self->context, self->dataset, batch, 0,
                                      (int64_t *)(void *)self->offsets->data, NULL, error))
    return FALSE;
  for (size_t i = 0; i < length; i++)
    dataset_offset_set_add (self->seen, g_array_index (self->offsets, int64_t, i));
  return TRUE;
}

static SluiceFlow
sink_write (void *instance, const SluiceBatch *batch, GError **error)
{
  DatasetSink *self = instance;
  size_t length = sluice_batch_get_length (batch);
  g_autoptr (SluiceBatch) out = NULL;

  for (size_t i = 0; i < length; i++)
    {
      SluiceEntity *entity = sluice_batch_get (batch, i);

      if (value_is_true (sluice_value_dict_lookup (sluice_entity_get_body (entity), "_filtered")))
        {
          if (out == NULL)
            {
              out = sluice_batch_new ();
              for (size_t j = 0; j < i; j++)
                sluice_batch_add (out, sluice_batch_get (batch, j));
            }
          if (!add_filtered (self, entity, out, error))
            return SLUICE_FLOW_ERROR;
          continue;
        }
      if (out != NULL)
        sluice_batch_add (out, entity);
    }

  if (out != NULL && sluice_batch_get_length (out) == 0)
    return SLUICE_FLOW_OK;
  return append (self, out != NULL ? out : batch, error) ? SLUICE_FLOW_OK : SLUICE_FLOW_ERROR;
}

typedef struct
{
  int64_t offset;
  char *id;
} Unseen;

typedef struct
{
  DatasetSink *self;
  GArray *unseen; /* of Unseen */
} Sweep;

static gboolean
collect_unseen (const char *id, size_t id_len, int64_t offset, void *user_data, GError **error)
{
  Sweep *sweep = user_data;
  Unseen u = { offset, NULL };

  if (dataset_offset_set_contains (sweep->self->seen, offset))
    return TRUE;
  u.id = g_strndup (id, id_len);
  g_array_append_val (sweep->unseen, u);
  return TRUE;
}

static int
by_offset (gconstpointer a, gconstpointer b)
{
  int64_t x = ((const Unseen *)a)->offset, y = ((const Unseen *)b)->offset;

  return x < y ? -1 : x > y;
}

static void
unseen_clear (gpointer data)
{
  g_free (((Unseen *)data)->id);
}

static gboolean
append_deletes (DatasetSink *self, SluiceBatch *deletes, GError **error)
{
  if (!sluice_dataset_append (self->context, self->dataset, deletes, 0, NULL, error))
    return FALSE;
  sluice_batch_clear (deletes);
  return TRUE;
}

/* The end of a successful full run: a delete for every live entity the run did not write, in the
 * order of their offsets.  The scan sees the committed dataset, in which every batch of the run is
 * committed already, and not the deletes appended here, which go into the transaction of the end
 * of the run. */
static gboolean
track_deletions (DatasetSink *self, GError **error)
{
  g_autoptr (GArray) unseen = g_array_new (FALSE, FALSE, sizeof (Unseen));
  g_autoptr (SluiceBatch) deletes = sluice_batch_new ();
  Sweep sweep = { self, unseen };

  g_array_set_clear_func (unseen, unseen_clear);
  if (!sluice_dataset_scan_live (self->context, self->dataset, collect_unseen, &sweep, error))
    return FALSE;
  g_array_sort (unseen, by_offset);
  for (guint i = 0; i < unseen->len; i++)
    {
      const Unseen *u = &g_array_index (unseen, Unseen, i);
      g_autoptr (GError) local_error = NULL;
      g_autoptr (SluiceEntity) stored
        = sluice_dataset_get_entity (self->context, self->dataset, u->id, &local_error);
      SluiceEntity *deleted;

      if (stored == NULL && local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (stored == NULL)
        continue;
      deleted = new_delete (sluice_entity_get_body (stored), self->mark_deletion_tracked, error);
      if (deleted == NULL)
        return FALSE;
      sluice_batch_take (deletes, deleted);
      if (sluice_batch_get_length (deletes) >= DELETE_BATCH && !append_deletes (self, deletes, error))
        return FALSE;
    }
  return sluice_batch_get_length (deletes) == 0 || append_deletes (self, deletes, error);
}

static gboolean
sink_end (void *instance, gboolean success, GError **error)
{
  DatasetSink *self = instance;
  gboolean ok = TRUE;
  gboolean populate = FALSE;

  if (success && self->tracking)
    ok = track_deletions (self, error);
  forget_run (self);
  if (!ok || !success)
    return ok;

  switch (self->initial_offset)
    {
    case INITIAL_IF_SOURCE_POPULATED:
      populate = (self->run_flags & SLUICE_RUN_FLAG_SOURCE_POPULATED) != 0;
      break;
    case INITIAL_ALWAYS:
      populate = TRUE;
      break;
    case INITIAL_NEVER:
    case INITIAL_INITIALLY:
    case INITIAL_ONLOAD:
    default:
      break;
    }
  if (populate)
    return sluice_dataset_set_populated (self->context, self->dataset, error);
  return TRUE;
}

static const SluiceSinkCallbacks sink_callbacks = {
  SLUICE_SINK_CALLBACKS_INIT,
  .create = sink_create,
  .destroy = sink_destroy,
  .begin = sink_begin,
  .write = sink_write,
  .end = sink_end,
};

const SluiceElementDescriptor dataset_sink = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SINK,
  .flags = SLUICE_ELEMENT_FLAG_ACCEPTS_FILTERED,
  .description = "Appends entities to a dataset with change tracking, deletion tracking after "
                 "full runs, and `_filtered` deletes.",
  .type_name = "dataset",
  .options = sink_options,
  .callbacks = &sink_callbacks,
};
