/* sluice-control.c — the internal control API of a running host (sluice-control.h).
 *
 * The running configuration is a Running: the loaded configuration, the engine built from it, its
 * scheduler and its pumps.  A reload builds a second Running beside the first; the first stops
 * (scheduling off, runs cancelled between batches), and when its scheduler reports idle the second
 * takes its place.  Per-pipe counters live in the control, keyed by pipe id, so they survive reloads.
 *
 * This file holds the lifecycle, reload and the signals; the operations are in
 * sluice-control-pipes.c, -datasets.c, -breaker.c, -retries.c and -receivers.c.
 */
#include <string.h>

#include "sluice-control-private.h"

#include "sluice-config-loader.h"

G_DEFINE_QUARK (sluice-control-error-quark, sluice_control_error)

enum
{
  SIGNAL_PIPE_RUN_STARTED,
  SIGNAL_PIPE_PROGRESS,
  SIGNAL_PIPE_RUN_FINISHED,
  SIGNAL_PIPE_RUN_FAILED,
  SIGNAL_PIPE_CHANGED,
  SIGNAL_BREAKER_TRIPPED,
  SIGNAL_RELOADED,
  SIGNAL_STOPPED,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SluiceControl, sluice_control, G_TYPE_OBJECT)

/* ---- Errors --------------------------------------------------------------------------------- */

/* Turns an error of a lower layer (pipe, pump, store) into the control's vocabulary, keeping the
 * message, which already says where the problem is. */
gboolean
sluice_control_propagate_error (GError **error, GError *lower)
{
  SluiceControlError code = SLUICE_CONTROL_ERROR_FAILED;

  if (lower->domain == SLUICE_PIPE_ERROR)
    {
      switch (lower->code)
        {
        case SLUICE_PIPE_ERROR_BUSY: code = SLUICE_CONTROL_ERROR_BUSY; break;
        case SLUICE_PIPE_ERROR_NOT_SUPPORTED: code = SLUICE_CONTROL_ERROR_NOT_SUPPORTED; break;
        case SLUICE_PIPE_ERROR_CONFIG: code = SLUICE_CONTROL_ERROR_INVALID_ARGUMENT; break;
        default: break;
        }
    }
  else if (lower->domain == SLUICE_PUMP_ERROR)
    {
      switch (lower->code)
        {
        case SLUICE_PUMP_ERROR_OFF: code = SLUICE_CONTROL_ERROR_OFF; break;
        case SLUICE_PUMP_ERROR_BUSY: code = SLUICE_CONTROL_ERROR_BUSY; break;
        case SLUICE_PUMP_ERROR_SHUTDOWN: code = SLUICE_CONTROL_ERROR_SHUTTING_DOWN; break;
        case SLUICE_PUMP_ERROR_NOT_PUMPED: code = SLUICE_CONTROL_ERROR_NOT_SUPPORTED; break;
        default: break;
        }
    }
  else if (g_error_matches (lower, SLUICE_STORE_ERROR, SLUICE_STORE_ERROR_NOT_FOUND))
    code = SLUICE_CONTROL_ERROR_NOT_FOUND;
  g_set_error_literal (error, SLUICE_CONTROL_ERROR, code, lower->message);
  g_error_free (lower);
  return FALSE;
}

/* ---- Counters and signal forwarding --------------------------------------------------------- */

PipeCounters *
sluice_control_get_counters (SluiceControl *control, const char *pipe_id)
{
  PipeCounters *counters = g_hash_table_lookup (control->counters, pipe_id);

  if (counters == NULL)
    {
      counters = g_new0 (PipeCounters, 1);
      g_hash_table_insert (control->counters, g_strdup (pipe_id), counters);
    }
  return counters;
}

void
sluice_control_notify_pipe_changed (SluiceControl *control, const char *pipe_id)
{
  g_return_if_fail (SLUICE_IS_CONTROL (control));
  g_signal_emit (control, signals[SIGNAL_PIPE_CHANGED], g_quark_from_string (pipe_id), pipe_id);
}

static void
on_pipe_run_started (SluicePipe *pipe, SluiceRunType run_type, gpointer user_data)
{
  Running *running = user_data;
  const char *pipe_id = sluice_pipe_get_id (pipe);
  PipeCounters *counters = sluice_control_get_counters (running->control, pipe_id);

  counters->runs_started++;
  counters->current_read = counters->current_written = 0;
  g_signal_emit (running->control, signals[SIGNAL_PIPE_RUN_STARTED], 0, pipe_id, run_type);
}

static void
on_pipe_progress (SluicePipe *pipe, guint64 read, guint64 written, gpointer user_data)
{
  Running *running = user_data;
  const char *pipe_id = sluice_pipe_get_id (pipe);
  PipeCounters *counters = sluice_control_get_counters (running->control, pipe_id);

  counters->current_read = read;
  counters->current_written = written;
  g_signal_emit (running->control, signals[SIGNAL_PIPE_PROGRESS], 0, pipe_id, read, written);
}

static void
count_finished_run (PipeCounters *counters, const SluiceRunStats *stats)
{
  counters->entities_read += stats->entities_read;
  counters->entities_written += stats->entities_written;
  counters->changes += stats->changes;
  if (stats->finished > stats->started)
    counters->run_time_total += stats->finished - stats->started;
  counters->current_read = counters->current_written = 0;
}

void
sluice_control_signal_downstream (SluiceControl *control, const char *pipe_id)
{
  Running *running = control->current;
  g_autoptr (GPtrArray) readers = NULL;

  if (control->shutting_down || control->next != NULL)
    return;
  readers = sluice_pipe_graph_get_downstream (sluice_engine_get_graph (running->engine), pipe_id);
  for (guint i = 0; i < readers->len; i++)
    {
      SluicePump *pump = g_hash_table_lookup (running->pumps, g_ptr_array_index (readers, i));

      if (pump != NULL)
        sluice_pump_notify_input_changed (pump);
    }
}

/* A run that appended versions to datasets signals the pipes reading them.  A failed run may
 * have committed batches. */
static void
signal_downstream (Running *running, SluicePipe *pipe, const SluiceRunStats *stats)
{
  if (stats == NULL || stats->changes == 0 || running != running->control->current)
    return;
  sluice_control_signal_downstream (running->control, sluice_pipe_get_id (pipe));
}

static void
on_pipe_finished (SluicePipe *pipe, const SluiceRunStats *stats, gpointer user_data)
{
  Running *running = user_data;
  const char *pipe_id = sluice_pipe_get_id (pipe);
  PipeCounters *counters = sluice_control_get_counters (running->control, pipe_id);

  counters->runs_succeeded++;
  count_finished_run (counters, stats);
  g_signal_emit (running->control, signals[SIGNAL_PIPE_RUN_FINISHED], 0, pipe_id, stats);
  signal_downstream (running, pipe, stats);
}

static void
on_pipe_failed (SluicePipe *pipe, const SluiceRunStats *stats, const GError *error,
                gpointer user_data)
{
  Running *running = user_data;
  const char *pipe_id = sluice_pipe_get_id (pipe);
  PipeCounters *counters = sluice_control_get_counters (running->control, pipe_id);

  counters->runs_failed++;
  count_finished_run (counters, stats);
  g_signal_emit (running->control, signals[SIGNAL_PIPE_RUN_FAILED], 0, pipe_id, stats, error);
  if (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP))
    {
      const char *const *outputs = sluice_pipe_get_output_datasets (pipe);

      g_signal_emit (running->control, signals[SIGNAL_BREAKER_TRIPPED], 0, pipe_id,
                     outputs[0] != NULL ? outputs[0] : "", error->message);
    }
  signal_downstream (running, pipe, stats);
}

static void
on_pipe_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  Running *running = user_data;

  sluice_control_notify_pipe_changed (running->control, sluice_pipe_get_id (SLUICE_PIPE (object)));
}

static void
on_pump_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  Running *running = user_data;

  sluice_control_notify_pipe_changed (running->control, sluice_pump_get_pipe_id (SLUICE_PUMP (object)));
}

/* ---- The runner the scheduler starts runs with ---------------------------------------------- */

static void
runner_start (const SluiceRunRequest *request, GCancellable *cancellable,
              GAsyncReadyCallback callback, gpointer callback_data, gpointer user_data)
{
  Running *running = user_data;
  SluicePipe *pipe = sluice_engine_lookup_pipe (running->engine, request->pipe_id);

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "SLUICE_PIPE", request->pipe_id, "MESSAGE",
                    "pipe '%s': run started (%s%s)", request->pipe_id,
                    sluice_run_reason_to_string (request->reason),
                    request->full ? ", full" : request->partial ? ", partial rescan" : "");
  sluice_pipe_run_async (pipe,
                         request->full      ? SLUICE_RUN_TYPE_FULL
                         : request->partial ? SLUICE_RUN_TYPE_PARTIAL
                                            : SLUICE_RUN_TYPE_AUTO,
                         cancellable, callback, callback_data);
}

static gboolean
runner_finish (GAsyncResult *result, GError **error, gpointer user_data)
{
  g_autoptr (GObject) source = g_async_result_get_source_object (result);
  SluicePipe *pipe = SLUICE_PIPE (source);
  g_autoptr (SluiceRunStats) stats = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *pipe_id = sluice_pipe_get_id (pipe);

  if (sluice_pipe_run_finish (pipe, result, &stats, &local_error))
    {
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "SLUICE_PIPE", pipe_id, "MESSAGE",
                        "pipe '%s': %s run done: %" G_GUINT64_FORMAT " read, %" G_GUINT64_FORMAT
                        " written, %" G_GUINT64_FORMAT " changed",
                        pipe_id, sluice_run_type_to_string (stats->run_type),
                        stats->entities_read, stats->entities_written, stats->changes);
      return TRUE;
    }
  if (g_error_matches (local_error, SLUICE_PIPE_ERROR, SLUICE_PIPE_ERROR_CANCELLED))
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "SLUICE_PIPE", pipe_id, "MESSAGE",
                      "pipe '%s': run stopped: %s", pipe_id, local_error->message);
  else
    g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "SLUICE_PIPE", pipe_id, "MESSAGE",
                      "pipe '%s': run failed: %s", pipe_id, local_error->message);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static const SluiceRunner control_runner = { runner_start, runner_finish };

/* ---- Building and tearing down a Running ---------------------------------------------------- */

/* The object of @component when it is a metadata component, else NULL. */
static JsonObject *
metadata_object (SluiceConfigComponent *component)
{
  JsonNode *node = sluice_config_component_get_node (component);

  if (sluice_config_component_get_kind (component) != SLUICE_COMPONENT_METADATA
      || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

/* `global_defaults.use_signalling_internally` of the metadata component (default true). */
static gboolean
config_use_signalling (SluiceConfig *config)
{
  const GPtrArray *components = sluice_config_get_components (config);

  for (guint i = 0; i < components->len; i++)
    {
      JsonObject *object = metadata_object (g_ptr_array_index (components, i));
      JsonObject *defaults;
      JsonNode *node;

      if (object == NULL)
        continue;
      node = json_object_get_member (object, "global_defaults");
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        continue;
      defaults = json_node_get_object (node);
      node = json_object_get_member (defaults, "use_signalling_internally");
      if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
        return json_node_get_boolean (node);
    }
  return TRUE;
}

static void
running_free (Running *running)
{
  const GPtrArray *pipes;

  if (running == NULL)
    return;
  if (running->engine != NULL)
    {
      pipes = sluice_engine_get_pipes (running->engine);
      for (guint i = 0; i < pipes->len; i++)
        g_signal_handlers_disconnect_by_data (g_ptr_array_index (pipes, i), running);
    }
  if (running->pumps != NULL)
    {
      GHashTableIter iter;
      gpointer pump;

      g_hash_table_iter_init (&iter, running->pumps);
      while (g_hash_table_iter_next (&iter, NULL, &pump))
        g_signal_handlers_disconnect_by_data (pump, running);
      g_hash_table_destroy (running->pumps);
    }
  if (running->scheduler != NULL)
    g_signal_handlers_disconnect_by_data (running->scheduler, running->control);
  g_clear_object (&running->scheduler);
  g_clear_object (&running->engine);
  g_clear_object (&running->config);
  g_free (running);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Running, running_free)

static gboolean
running_create_pumps (Running *running, SluiceStoreBackend *store, GError **error)
{
  const GPtrArray *pipes = sluice_engine_get_pipes (running->engine);
  gboolean use_signalling = config_use_signalling (running->config);

  for (guint i = 0; i < pipes->len; i++)
    {
      SluicePipe *pipe = g_ptr_array_index (pipes, i);
      const char *pipe_id = sluice_pipe_get_id (pipe);
      SluiceConfigComponent *component = sluice_config_lookup (running->config, pipe_id);
      g_autofree char *reason = NULL;
      SluicePump *pump;

      g_assert (component != NULL);
      pump = sluice_pump_new (running->scheduler, pipe_id,
                              json_node_get_object (sluice_config_component_get_node (component)),
                              use_signalling, store, error);
      if (pump == NULL)
        {
          g_prefix_error (error, "%s:%u: ", sluice_config_component_get_file (component),
                          sluice_config_component_get_line (component));
          return FALSE;
        }
      reason = sluice_pipe_dup_not_pumped_reason (pipe);
      if (reason != NULL)
        sluice_pump_set_not_pumped (pump, reason);
      g_hash_table_insert (running->pumps, (gpointer) sluice_pump_get_pipe_id (pump), pump);
      g_signal_connect (pipe, "run-started", G_CALLBACK (on_pipe_run_started), running);
      g_signal_connect (pipe, "progress", G_CALLBACK (on_pipe_progress), running);
      g_signal_connect (pipe, "finished", G_CALLBACK (on_pipe_finished), running);
      g_signal_connect (pipe, "failed", G_CALLBACK (on_pipe_failed), running);
      g_signal_connect (pipe, "notify::status", G_CALLBACK (on_pipe_notify), running);
      g_signal_connect (pump, "notify::enabled", G_CALLBACK (on_pump_notify), running);
      g_signal_connect (pump, "notify::next-start", G_CALLBACK (on_pump_notify), running);
    }
  return TRUE;
}

/* Loads the configuration files and builds everything that runs them.  Problems go to
 * @diagnostics; the error is INVALID_CONFIG with a summary. */
static Running *
running_new (SluiceControl *control, SluiceConfigDiagnostics *diagnostics, GError **error)
{
  g_autoptr (Running) running = g_new0 (Running, 1);
  g_autoptr (GError) local_error = NULL;

  running->control = control;
  running->config = sluice_config_load (control->registry,
                                        (const char *const *) control->config_paths,
                                        control->secrets_file, NULL, diagnostics, &local_error);
  if (running->config == NULL)
    goto invalid;
  running->engine = sluice_engine_new (control->registry, running->config, control->store,
                                       diagnostics, &local_error);
  if (running->engine == NULL)
    goto invalid;
  running->pumps = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  running->scheduler = sluice_scheduler_new (control->clock, control->max_concurrent,
                                             &control_runner, running, NULL);
  if (!running_create_pumps (running, control->store, &local_error))
    goto invalid;
  return g_steal_pointer (&running);

invalid:
  g_set_error_literal (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_INVALID_CONFIG,
                       local_error->message);
  return NULL;
}

static void
running_activate (Running *running)
{
  const GPtrArray *pipes = sluice_engine_get_pipes (running->engine);

  /* In configuration order, which is the order of simultaneous startup runs. */
  for (guint i = 0; i < pipes->len; i++)
    sluice_pump_activate (
      g_hash_table_lookup (running->pumps, sluice_pipe_get_id (g_ptr_array_index (pipes, i))));
}

/* Scheduling off, waiting runs dropped, running ones cancelled; "idle" follows. */
static void
running_stop (Running *running)
{
  GHashTableIter iter;
  gpointer pump;

  g_hash_table_iter_init (&iter, running->pumps);
  while (g_hash_table_iter_next (&iter, NULL, &pump))
    sluice_pump_deactivate (pump);
  sluice_scheduler_shutdown (running->scheduler);
}

/* ---- Construction, activation, shutdown ----------------------------------------------------- */

SluiceControl *
sluice_control_new (const SluiceControlSettings *settings, SluiceConfigDiagnostics *diagnostics,
                    GError **error)
{
  g_autoptr (SluiceControl) control = g_object_new (SLUICE_TYPE_CONTROL, NULL);

  g_return_val_if_fail (settings != NULL && settings->registry != NULL, NULL);
  g_return_val_if_fail (settings->clock != NULL, NULL);

  control->registry = g_object_ref (settings->registry);
  control->config_paths = g_strdupv ((char **) settings->config_paths);
  control->secrets_file = g_strdup (settings->secrets_file);
  control->store = settings->store;
  control->clock = g_object_ref (settings->clock);
  control->max_concurrent = settings->max_concurrent > 0 ? settings->max_concurrent
                                                         : SLUICE_SCHEDULER_DEFAULT_MAX_CONCURRENT;
  control->current = running_new (control, diagnostics, error);
  if (control->current == NULL)
    return NULL;
  return g_steal_pointer (&control);
}

void
sluice_control_activate (SluiceControl *control)
{
  g_return_if_fail (SLUICE_IS_CONTROL (control));

  if (control->active || control->shutting_down)
    return;
  control->active = TRUE;
  if (control->next == NULL)
    running_activate (control->current);
}

static gboolean
emit_stopped (gpointer user_data)
{
  SluiceControl *control = user_data;

  control->stopped_idle = 0;
  control->stopped = TRUE;
  g_signal_emit (control, signals[SIGNAL_STOPPED], 0);
  return G_SOURCE_REMOVE;
}

static gboolean swap_in_next (gpointer user_data);

/* The current scheduler stopped its last run.  What follows (a swap, "stopped") happens from the
 * main loop, never inside the scheduler's own signal emission. */
static void
on_current_idle (SluiceScheduler *scheduler, gpointer user_data)
{
  SluiceControl *control = user_data;

  if (control->shutting_down)
    {
      if (control->stopped_idle == 0 && !control->stopped)
        control->stopped_idle = g_idle_add (emit_stopped, control);
      return;
    }
  if (control->next != NULL && control->swap_idle == 0)
    control->swap_idle = g_idle_add (swap_in_next, control);
}

void
sluice_control_shutdown (SluiceControl *control)
{
  g_return_if_fail (SLUICE_IS_CONTROL (control));

  if (control->shutting_down)
    return;
  control->shutting_down = TRUE;
  g_clear_pointer (&control->next, running_free);
  if (!sluice_scheduler_is_shut_down (control->current->scheduler))
    {
      g_signal_connect (control->current->scheduler, "idle", G_CALLBACK (on_current_idle),
                        control);
      running_stop (control->current);
    }
  else if (sluice_scheduler_get_n_running (control->current->scheduler) == 0)
    control->stopped_idle = g_idle_add (emit_stopped, control);
}

gboolean
sluice_control_is_stopped (SluiceControl *control)
{
  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);
  return control->stopped;
}

guint
sluice_control_get_n_running (SluiceControl *control)
{
  g_return_val_if_fail (SLUICE_IS_CONTROL (control), 0);
  return sluice_scheduler_get_n_running (control->current->scheduler);
}

guint
sluice_control_get_max_concurrent (SluiceControl *control)
{
  g_return_val_if_fail (SLUICE_IS_CONTROL (control), 0);
  return sluice_scheduler_get_max_concurrent (control->current->scheduler);
}

/* ---- Pipes ---------------------------------------------------------------------------------- */

GPtrArray *
sluice_control_list_pipes (SluiceControl *control)
{
  const GPtrArray *pipes = sluice_engine_get_pipes (control->current->engine);
  GPtrArray *ids = g_ptr_array_sized_new (pipes->len);

  for (guint i = 0; i < pipes->len; i++)
    g_ptr_array_add (ids, (gpointer) sluice_pipe_get_id (g_ptr_array_index (pipes, i)));
  return ids;
}

/* ---- Configuration -------------------------------------------------------------------------- */

static gboolean
swap_in_next (gpointer user_data)
{
  SluiceControl *control = user_data;
  g_autoptr (GPtrArray) ids = NULL;

  control->swap_idle = 0;
  if (control->next == NULL || control->shutting_down)
    return G_SOURCE_REMOVE;
  running_free (control->current);
  control->current = g_steal_pointer (&control->next);
  g_message ("configuration reloaded: %u %s", sluice_engine_get_pipes (control->current->engine)->len,
             sluice_engine_get_pipes (control->current->engine)->len == 1 ? "pipe" : "pipes");
  if (control->active)
    running_activate (control->current);
  g_signal_emit (control, signals[SIGNAL_RELOADED], 0);
  ids = sluice_control_list_pipes (control);
  for (guint i = 0; i < ids->len; i++)
    sluice_control_notify_pipe_changed (control, g_ptr_array_index (ids, i));
  return G_SOURCE_REMOVE;
}

gboolean
sluice_control_reload (SluiceControl *control, GError **error)
{
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) local_error = NULL;
  Running *next;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);

  if (control->shutting_down)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_SHUTTING_DOWN,
                   "cannot reload: the host is shutting down");
      return FALSE;
    }
  if (control->next != NULL)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_BUSY,
                   "a reload is in progress already (waiting for running pipes to stop)");
      return FALSE;
    }
  next = running_new (control, diagnostics, &local_error);
  if (next == NULL)
    {
      g_autofree char *problems = sluice_config_diagnostics_format (diagnostics);

      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_INVALID_CONFIG,
                   "%s%s; the running configuration stays", problems, local_error->message);
      return FALSE;
    }
  control->next = next;
  g_signal_connect (control->current->scheduler, "idle", G_CALLBACK (on_current_idle), control);
  /* Emits "idle" at once when nothing runs: the swap then follows from the main loop. */
  running_stop (control->current);
  return TRUE;
}

gboolean
sluice_control_is_reloading (SluiceControl *control)
{
  g_return_val_if_fail (SLUICE_IS_CONTROL (control), FALSE);
  return control->next != NULL;
}

char *
sluice_control_dup_expanded_config (SluiceControl *control)
{
  g_return_val_if_fail (SLUICE_IS_CONTROL (control), NULL);
  return sluice_config_to_json (control->current->config, TRUE);
}

void
sluice_api_token_free (SluiceApiToken *token)
{
  if (token == NULL)
    return;
  g_free (token->name);
  if (token->token != NULL)
    explicit_bzero (token->token, strlen (token->token));
  g_free (token->token);
  g_free (token->access);
  g_strfreev (token->pipes);
  g_free (token);
}

/* The string elements of @array. */
static char **
strings_of (JsonArray *array)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
        g_ptr_array_add (out, g_strdup (json_node_get_string (item)));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static SluiceApiToken *
api_token_from_object (JsonObject *object)
{
  SluiceApiToken *token = g_new0 (SluiceApiToken, 1);
  JsonNode *pipes = json_object_get_member (object, "pipes");

  token->name = g_strdup (json_object_get_string_member_with_default (object, "name", NULL));
  token->token = g_strdup (json_object_get_string_member_with_default (object, "token", NULL));
  token->access = g_strdup (json_object_get_string_member_with_default (object, "access", NULL));
  if (pipes != NULL && JSON_NODE_HOLDS_ARRAY (pipes))
    token->pipes = strings_of (json_node_get_array (pipes));
  return token;
}

GPtrArray *
sluice_control_dup_api_tokens (SluiceControl *control)
{
  const GPtrArray *components;
  GPtrArray *tokens;

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), NULL);

  components = sluice_config_get_components (control->current->config);
  tokens = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_api_token_free);
  for (guint i = 0; i < components->len; i++)
    {
      JsonObject *object = metadata_object (g_ptr_array_index (components, i));
      JsonNode *list = object != NULL ? json_object_get_member (object, "api_tokens") : NULL;

      if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
        continue;
      for (guint j = 0; j < json_array_get_length (json_node_get_array (list)); j++)
        {
          JsonNode *item = json_array_get_element (json_node_get_array (list), j);

          if (JSON_NODE_HOLDS_OBJECT (item))
            g_ptr_array_add (tokens, api_token_from_object (json_node_get_object (item)));
        }
    }
  return tokens;
}

/* ---- GObject -------------------------------------------------------------------------------- */

static void
sluice_control_finalize (GObject *object)
{
  SluiceControl *control = SLUICE_CONTROL (object);

  if (control->stopped_idle != 0)
    g_source_remove (control->stopped_idle);
  if (control->swap_idle != 0)
    g_source_remove (control->swap_idle);
  g_clear_pointer (&control->next, running_free);
  g_clear_pointer (&control->current, running_free);
  g_clear_pointer (&control->counters, g_hash_table_destroy);
  g_clear_object (&control->registry);
  g_clear_object (&control->clock);
  g_strfreev (control->config_paths);
  g_free (control->secrets_file);
  G_OBJECT_CLASS (sluice_control_parent_class)->finalize (object);
}

static void
sluice_control_class_init (SluiceControlClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->finalize = sluice_control_finalize;

  signals[SIGNAL_PIPE_RUN_STARTED]
    = g_signal_new ("pipe-run-started", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                    2, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, SLUICE_TYPE_RUN_TYPE);
  signals[SIGNAL_PIPE_PROGRESS]
    = g_signal_new ("pipe-progress", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                    G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_UINT64, G_TYPE_UINT64);
  signals[SIGNAL_PIPE_RUN_FINISHED]
    = g_signal_new ("pipe-run-finished", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 2, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                    SLUICE_TYPE_RUN_STATS | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_PIPE_RUN_FAILED]
    = g_signal_new ("pipe-run-failed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                    3, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                    SLUICE_TYPE_RUN_STATS | G_SIGNAL_TYPE_STATIC_SCOPE,
                    G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  /* Detailed by the pipe id, so that a per-pipe object connects to "pipe-changed::<id>". */
  signals[SIGNAL_PIPE_CHANGED]
    = g_signal_new ("pipe-changed", type, G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_BREAKER_TRIPPED]
    = g_signal_new ("breaker-tripped", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                    3, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                    G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                    G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_RELOADED] = g_signal_new ("reloaded", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                           NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_STOPPED] = g_signal_new ("stopped", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 0);
}

static void
sluice_control_init (SluiceControl *control)
{
  control->counters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}
