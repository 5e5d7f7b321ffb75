/* sluice-control-receivers.c — receivers kept with a control, one set per engine. */
#include "sluice-control-receivers.h"

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

SluicePipePush *
sluice_control_dup_receiver (SluiceControl *control, const char *pipe_id, GError **error)
{
  SluiceEngine *engine = sluice_control_get_engine (control);
  Receivers *receivers = g_object_get_data (G_OBJECT (control), RECEIVERS_KEY);
  SluicePipePush *push;

  if (receivers == NULL)
    {
      receivers = g_new0 (Receivers, 1);
      receivers->by_pipe = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                  (GDestroyNotify) sluice_pipe_push_unref);
      g_object_set_data_full (G_OBJECT (control), RECEIVERS_KEY, receivers,
                              (GDestroyNotify) receivers_free);
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
