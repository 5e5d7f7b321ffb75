/* sluice-control-push.c — receivers kept with a control, one set per engine, and the push
 * operation (sluice-control-push.h). */
#include "sluice-build-config.h"

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif

#include "sluice-control-push.h"
#include "sluice-control-private.h"
#include "sluice-pipe-push.h"

#define RECEIVERS_KEY "sluice-control-receivers"

typedef struct
{
  SluiceEngine *engine; /* compared only: the engine the receivers were built from */
  GHashTable *by_pipe;  /* pipe id → SluicePipePush * */
} Receivers;

static void
receivers_free (Receivers *receivers)
{
  g_hash_table_destroy (receivers->by_pipe);
  g_free (receivers);
}

/* (transfer full) The receiver of @pipe_id.  SLUICE_PUSH_ERROR as sluice_pipe_push_new (). */
static SluicePipePush *
dup_receiver (SluiceControl *control, const char *pipe_id, GError **error)
{
  SluiceEngine *engine = control->current->engine;
  Receivers *receivers = g_object_get_data (G_OBJECT (control), RECEIVERS_KEY);
  SluicePipePush *push;

  if (receivers == NULL)
    {
      receivers = g_new0 (Receivers, 1);
      receivers->by_pipe = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                  (GDestroyNotify)sluice_pipe_push_unref);
      g_object_set_data_full (G_OBJECT (control), RECEIVERS_KEY, receivers,
                              (GDestroyNotify)receivers_free);
    }
  if (receivers->engine != engine)
    {
      /* A reload: the old engine's receivers (and their full syncs) end here. */
      g_hash_table_remove_all (receivers->by_pipe);
      receivers->engine = engine;
    }
  push = g_hash_table_lookup (receivers->by_pipe, pipe_id);
  if (push == NULL)
    {
      push = sluice_pipe_push_new (engine, pipe_id, error);
      if (push == NULL)
        return NULL;
      g_hash_table_insert (receivers->by_pipe, g_strdup (pipe_id), push);
    }
  return sluice_pipe_push_ref (push);
}

/* ---- One push ------------------------------------------------------------------------------- */

typedef struct
{
  GTask *task; /* the caller's */
  SluicePipePush *push;
  GHashTable *parameters; /* a copy: @request borrows its strings */
  SluicePushRequest request;
  GPtrArray *chunks;
  SluicePushStats stats; /* written by the worker, read after it returned */
} Push;

static void
push_free (Push *push)
{
  g_clear_pointer (&push->push, sluice_pipe_push_unref);
  g_clear_pointer (&push->parameters, g_hash_table_unref);
  g_clear_pointer (&push->chunks, g_ptr_array_unref);
  g_clear_object (&push->task);
  g_free (push);
}

static GHashTable *
copy_parameters (GHashTable *parameters)
{
  GHashTable *copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer key, value;

  if (parameters != NULL)
    {
      g_hash_table_iter_init (&iter, parameters);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_replace (copy, g_strdup (key), g_strdup (value));
    }
  return copy;
}

static void
push_in_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  Push *push = task_data;
  GError *error = NULL;
  gsize length = 0;
  gboolean ok;

  for (guint i = 0; i < push->chunks->len; i++)
    length += g_bytes_get_size (g_ptr_array_index (push->chunks, i));
  ok = sluice_pipe_push_json_chunks (push->push, &push->request, push->chunks, &push->stats,
                                     &error);
  g_clear_pointer (&push->chunks, g_ptr_array_unref);
#ifdef HAVE_MALLOC_TRIM
  if (length > SLUICE_PUSH_PART_BYTES)
    malloc_trim (0);
#else
  (void)length;
#endif
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Back on the main context: a push that changed the receiver's datasets signals the pipes that
 * read them, then the caller hears of it. */
static void
push_done (GObject *source_object, GAsyncResult *result, gpointer user_data)
{
  SluiceControl *control = SLUICE_CONTROL (source_object);
  Push *push = g_task_get_task_data (G_TASK (result));
  g_autoptr (GTask) task = g_object_ref (push->task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (push->stats.changes > 0)
    sluice_control_signal_downstream (control, sluice_pipe_push_get_pipe_id (push->push));
  g_task_return_boolean (task, TRUE);
}

void
sluice_control_push_async (SluiceControl *control, const char *pipe_id, GHashTable *parameters,
                           GPtrArray *chunks, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GTask) worker = NULL;
  GError *error = NULL;
  Push *push;

  g_return_if_fail (SLUICE_IS_CONTROL (control));
  g_return_if_fail (pipe_id != NULL && chunks != NULL);

  task = g_task_new (control, NULL, callback, user_data);
  g_task_set_source_tag (task, sluice_control_push_async);
  push = g_new0 (Push, 1);
  push->task = g_object_ref (task);
  push->chunks = chunks;
  push->parameters = copy_parameters (parameters);
  worker = g_task_new (control, NULL, push_done, NULL);
  g_task_set_task_data (worker, push, (GDestroyNotify)push_free);
  /* The receiver first: a request to a pipe that is no receiver is refused as such, whatever its
   * parameters. */
  push->push = dup_receiver (control, pipe_id, &error);
  if (push->push == NULL || !sluice_push_request_parse (push->parameters, &push->request, &error))
    {
      g_task_return_error (worker, error);
      return;
    }
  g_task_run_in_thread (worker, push_in_thread);
}

gboolean
sluice_control_push_finish (SluiceControl *control, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, control), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
