/* sluice-dbus-service.c — org.sluice.Sluice1 on D-Bus: a translation of SluiceControl.
 *
 * Method handlers call the control and answer with its result or its error (named by
 * sluice_dbus_error_name ()).  Pipe properties mirror SluicePipeSnapshot: they are
 * refreshed from a new snapshot whenever the control says something about the pipe changed, and
 * the generated skeletons coalesce the changes into one PropertiesChanged per main-loop turn.
 * The control reports progress after every batch, which may be thousands of times a second; the
 * Progress signal and the CurrentRead/CurrentWritten properties follow at most every
 * SLUICE_DBUS_PROGRESS_INTERVAL_US, with the latest counts.
 *
 * Pipe objects live in a GDBusObjectManagerServer on SLUICE_DBUS_PATH, so that a reload that adds
 * or removes pipes is announced with InterfacesAdded/InterfacesRemoved and a client can fetch
 * every pipe's properties with one GetManagedObjects call.
 */
#include "sluice-dbus-service.h"
#include "sluice-control-retries.h"
#include "sluice-dbus-errors.h"

#include "sluice-build-config.h"
#include "sluice-dbus-generated.h"

/* D-Bus messages are limited to 128 MiB; stay well below so that the bus never drops a reply. */
#define MAX_ENTITIES_REPLY ((gsize)32 * 1024 * 1024)

typedef struct _ServicePipe ServicePipe;

struct _SluiceDbusService
{
  SluiceControl *control;
  GDBusConnection *connection;
  GMainContext *context;
  SluiceDbusManager *manager;
  GDBusObjectManagerServer *objects;
  GHashTable *pipes; /* pipe id → ServicePipe */
  gboolean owns_name;
};

struct _ServicePipe
{
  SluiceDbusService *service;
  char *pipe_id;
  char *path;
  GDBusObjectSkeleton *object;
  SluiceDbusPipe *skeleton;
  /* Progress not yet sent (rate limit). */
  guint64 progress_read;
  guint64 progress_written;
  gint64 progress_sent; /* monotonic µs of the last Progress signal */
  GSource *progress_source;
};

char *
sluice_dbus_pipe_path (const char *pipe_id)
{
  g_autofree char *escaped = g_dbus_escape_object_path (pipe_id);

  return g_strconcat (SLUICE_DBUS_PIPE_PATH_PREFIX, escaped, NULL);
}

static void
return_gerror (GDBusMethodInvocation *invocation, const GError *error)
{
  g_dbus_method_invocation_return_dbus_error (invocation, sluice_dbus_error_name (error),
                                              error->message);
}

static void return_invalid_argument (GDBusMethodInvocation *invocation, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

static void
return_invalid_argument (GDBusMethodInvocation *invocation, const char *format, ...)
{
  g_autoptr (GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_INVALID_ARGUMENT, format,
                              args);
  va_end (args);
  return_gerror (invocation, error);
}

/* ---- Conversions ---------------------------------------------------------------------------- */

static GVariant *
run_stats_to_variant (const SluiceRunStats *stats)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  if (stats == NULL)
    return g_variant_builder_end (&builder);
  g_variant_builder_add (&builder, "{sv}", "run_type",
                         g_variant_new_string (sluice_run_type_to_string (stats->run_type)));
  if (stats->run_id != NULL)
    g_variant_builder_add (&builder, "{sv}", "run_id", g_variant_new_string (stats->run_id));
  g_variant_builder_add (&builder, "{sv}", "started", g_variant_new_int64 (stats->started));
  g_variant_builder_add (&builder, "{sv}", "finished", g_variant_new_int64 (stats->finished));
  g_variant_builder_add (&builder, "{sv}", "entities_read",
                         g_variant_new_uint64 (stats->entities_read));
  g_variant_builder_add (&builder, "{sv}", "entities_written",
                         g_variant_new_uint64 (stats->entities_written));
  g_variant_builder_add (&builder, "{sv}", "changes", g_variant_new_uint64 (stats->changes));
  g_variant_builder_add (&builder, "{sv}", "batches_committed",
                         g_variant_new_uint64 (stats->batches_committed));
  if (stats->since_before != NULL)
    g_variant_builder_add (&builder, "{sv}", "since_before",
                           g_variant_new_string (stats->since_before));
  if (stats->since_after != NULL)
    g_variant_builder_add (&builder, "{sv}", "since_after",
                           g_variant_new_string (stats->since_after));
  if (stats->error != NULL)
    g_variant_builder_add (&builder, "{sv}", "error", g_variant_new_string (stats->error->message));
  return g_variant_builder_end (&builder);
}

static GVariant *
dataset_to_variant (const SluiceDatasetSnapshot *dataset)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "id", g_variant_new_string (dataset->dataset_id));
  g_variant_builder_add (
      &builder, "{sv}", "generation",
      g_variant_new_string (dataset->generation != NULL ? dataset->generation : ""));
  g_variant_builder_add (&builder, "{sv}", "created", g_variant_new_int64 (dataset->created));
  g_variant_builder_add (&builder, "{sv}", "max_offset", g_variant_new_int64 (dataset->max_offset));
  g_variant_builder_add (&builder, "{sv}", "entity_count",
                         g_variant_new_uint64 (dataset->entity_count));
  g_variant_builder_add (&builder, "{sv}", "id_count", g_variant_new_uint64 (dataset->id_count));
  g_variant_builder_add (&builder, "{sv}", "version_count",
                         g_variant_new_uint64 (dataset->version_count));
  g_variant_builder_add (&builder, "{sv}", "populated", g_variant_new_boolean (dataset->populated));
  g_variant_builder_add (&builder, "{sv}", "breaker_tripped",
                         g_variant_new_boolean (dataset->breaker_tripped));
  if (dataset->writer != NULL)
    g_variant_builder_add (&builder, "{sv}", "writer", g_variant_new_string (dataset->writer));
  return g_variant_builder_end (&builder);
}

static char *
entities_to_json (GPtrArray *entities)
{
  GString *out = g_string_new ("[");

  for (guint i = 0; i < entities->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "\n  ");
      sluice_entity_write_json (out, g_ptr_array_index (entities, i));
    }
  g_string_append (out, entities->len > 0 ? "\n]" : "]");
  return g_string_free (out, FALSE);
}

/* ---- Pipe objects --------------------------------------------------------------------------- */

static const char *const no_strings[] = { NULL };

static void
refresh_pipe (ServicePipe *pipe)
{
  g_autoptr (SluicePipeSnapshot) snapshot = NULL;
  g_autoptr (GError) error = NULL;
  SluiceDbusPipe *skeleton = pipe->skeleton;

  snapshot = sluice_control_get_pipe (pipe->service->control, pipe->pipe_id, &error);
  if (snapshot == NULL)
    {
      /* The pipe went away with a reload; "reloaded" removes its object. */
      if (!g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND))
        g_warning ("D-Bus: pipe '%s': cannot read its state: %s", pipe->pipe_id, error->message);
      return;
    }
  sluice_dbus_pipe_set_state (skeleton, snapshot->state);
  sluice_dbus_pipe_set_mode (skeleton, snapshot->mode);
  sluice_dbus_pipe_set_enabled (skeleton, snapshot->enabled);
  sluice_dbus_pipe_set_running (skeleton, snapshot->running);
  sluice_dbus_pipe_set_durable (skeleton, snapshot->durable);
  sluice_dbus_pipe_set_breaker_tripped (skeleton, snapshot->breaker_tripped);
  sluice_dbus_pipe_set_source_type (skeleton,
                                    snapshot->source_type != NULL ? snapshot->source_type : "");
  sluice_dbus_pipe_set_sink_type (skeleton, snapshot->sink_type != NULL ? snapshot->sink_type : "");
  sluice_dbus_pipe_set_input_datasets (skeleton, snapshot->input_datasets != NULL
                                                     ? (const char *const *)snapshot->input_datasets
                                                     : no_strings);
  sluice_dbus_pipe_set_output_datasets (
      skeleton, snapshot->output_datasets != NULL ? (const char *const *)snapshot->output_datasets
                                                  : no_strings);
  sluice_dbus_pipe_set_offset (skeleton, snapshot->since != NULL ? snapshot->since : "");
  sluice_dbus_pipe_set_next_start (skeleton, snapshot->next_start);
  sluice_dbus_pipe_set_current_read (skeleton, snapshot->running ? snapshot->current_read : 0);
  sluice_dbus_pipe_set_current_written (skeleton,
                                        snapshot->running ? snapshot->current_written : 0);
  sluice_dbus_pipe_set_last_run (skeleton, run_stats_to_variant (snapshot->last_run));
  sluice_dbus_pipe_set_runs_started (skeleton, snapshot->runs_started);
  sluice_dbus_pipe_set_runs_succeeded (skeleton, snapshot->runs_succeeded);
  sluice_dbus_pipe_set_runs_failed (skeleton, snapshot->runs_failed);
  sluice_dbus_pipe_set_entities_read (skeleton, snapshot->entities_read);
  sluice_dbus_pipe_set_entities_written (skeleton, snapshot->entities_written);
  sluice_dbus_pipe_set_changes (skeleton, snapshot->changes);
  sluice_dbus_pipe_set_run_time_total (skeleton, snapshot->run_time_total);
}

static void
send_progress (ServicePipe *pipe)
{
  pipe->progress_sent = g_get_monotonic_time ();
  sluice_dbus_pipe_set_current_read (pipe->skeleton, pipe->progress_read);
  sluice_dbus_pipe_set_current_written (pipe->skeleton, pipe->progress_written);
  sluice_dbus_pipe_emit_progress (pipe->skeleton, pipe->progress_read, pipe->progress_written);
}

static void
cancel_progress (ServicePipe *pipe)
{
  if (pipe->progress_source != NULL)
    {
      g_source_destroy (pipe->progress_source);
      g_clear_pointer (&pipe->progress_source, g_source_unref);
    }
}

static gboolean
on_progress_due (gpointer user_data)
{
  ServicePipe *pipe = user_data;

  g_clear_pointer (&pipe->progress_source, g_source_unref);
  send_progress (pipe);
  return G_SOURCE_REMOVE;
}

static void
pipe_progress (ServicePipe *pipe, guint64 entities_read, guint64 entities_written)
{
  gint64 due = pipe->progress_sent + SLUICE_DBUS_PROGRESS_INTERVAL_US;
  gint64 now = g_get_monotonic_time ();

  pipe->progress_read = entities_read;
  pipe->progress_written = entities_written;
  if (pipe->progress_source != NULL)
    return; /* sent when due, with these counts */
  if (now >= due)
    {
      send_progress (pipe);
      return;
    }
  pipe->progress_source = g_timeout_source_new ((guint)((due - now + 999) / 1000));
  g_source_set_callback (pipe->progress_source, on_progress_due, pipe, NULL);
  g_source_attach (pipe->progress_source, pipe->service->context);
}

/* Answers a method without results: nothing on success, else the error. */
static gboolean
answer (GDBusMethodInvocation *invocation, gboolean ok, const GError *error)
{
  if (ok)
    g_dbus_method_invocation_return_value (invocation, NULL);
  else
    return_gerror (invocation, error);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_start (SluiceDbusPipe *skeleton, GDBusMethodInvocation *invocation, ServicePipe *pipe)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = sluice_control_start (pipe->service->control, pipe->pipe_id, &error);

  return answer (invocation, ok, error);
}

static gboolean
handle_rescan (SluiceDbusPipe *skeleton, GDBusMethodInvocation *invocation, ServicePipe *pipe)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = sluice_control_start_rescan (pipe->service->control, pipe->pipe_id, &error);

  return answer (invocation, ok, error);
}

static gboolean
handle_stop (SluiceDbusPipe *skeleton, GDBusMethodInvocation *invocation, ServicePipe *pipe)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = sluice_control_stop (pipe->service->control, pipe->pipe_id, &error);

  return answer (invocation, ok, error);
}

static gboolean
set_enabled (ServicePipe *pipe, GDBusMethodInvocation *invocation, gboolean enabled,
             const char *comment)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = sluice_control_set_enabled (pipe->service->control, pipe->pipe_id, enabled,
                                            comment[0] != '\0' ? comment : NULL, &error);

  return answer (invocation, ok, error);
}

static gboolean
handle_enable (SluiceDbusPipe *skeleton, GDBusMethodInvocation *invocation, const char *comment,
               ServicePipe *pipe)
{
  return set_enabled (pipe, invocation, TRUE, comment);
}

static gboolean
handle_disable (SluiceDbusPipe *skeleton, GDBusMethodInvocation *invocation, const char *comment,
                ServicePipe *pipe)
{
  return set_enabled (pipe, invocation, FALSE, comment);
}

static gboolean
handle_reset (SluiceDbusPipe *skeleton, GDBusMethodInvocation *invocation, gboolean force,
              ServicePipe *pipe)
{
  g_autoptr (GError) error = NULL;
  gboolean ok
      = sluice_control_set_since (pipe->service->control, pipe->pipe_id, NULL, force, &error);

  return answer (invocation, ok, error);
}

static gboolean
handle_discard_retries (SluiceDbusPipe *skeleton, GDBusMethodInvocation *invocation,
                        ServicePipe *pipe)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = sluice_control_discard_retries (pipe->service->control, pipe->pipe_id, &error);

  return answer (invocation, ok, error);
}

static gboolean
handle_set_offset (SluiceDbusPipe *skeleton, GDBusMethodInvocation *invocation, const char *offset,
                   gboolean force, ServicePipe *pipe)
{
  g_autoptr (GError) error = NULL;
  gboolean ok
      = sluice_control_set_since (pipe->service->control, pipe->pipe_id, offset, force, &error);

  return answer (invocation, ok, error);
}

static gboolean
handle_set_offset_to_end (SluiceDbusPipe *skeleton, GDBusMethodInvocation *invocation,
                          gboolean force, ServicePipe *pipe)
{
  g_autoptr (GError) error = NULL;
  gboolean ok
      = sluice_control_set_since_to_end (pipe->service->control, pipe->pipe_id, force, &error);

  return answer (invocation, ok, error);
}

static gboolean
handle_preview (SluiceDbusPipe *skeleton, GDBusMethodInvocation *invocation, guint n,
                ServicePipe *pipe)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entities = NULL;
  g_autofree char *json = NULL;

  entities = sluice_control_preview (pipe->service->control, pipe->pipe_id, n, &error);
  if (entities == NULL)
    {
      return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  json = entities_to_json (entities);
  sluice_dbus_pipe_complete_preview (skeleton, invocation, json);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
service_pipe_free (ServicePipe *pipe)
{
  cancel_progress (pipe);
  g_signal_handlers_disconnect_by_data (pipe->skeleton, pipe);
  g_dbus_object_manager_server_unexport (pipe->service->objects, pipe->path);
  g_object_unref (pipe->skeleton);
  g_object_unref (pipe->object);
  g_free (pipe->path);
  g_free (pipe->pipe_id);
  g_free (pipe);
}

static ServicePipe *
service_pipe_new (SluiceDbusService *service, const char *pipe_id)
{
  ServicePipe *pipe = g_new0 (ServicePipe, 1);

  pipe->service = service;
  pipe->pipe_id = g_strdup (pipe_id);
  pipe->path = sluice_dbus_pipe_path (pipe_id);
  pipe->object = g_dbus_object_skeleton_new (pipe->path);
  pipe->skeleton = sluice_dbus_pipe_skeleton_new ();
  sluice_dbus_pipe_set_id (pipe->skeleton, pipe_id);
  refresh_pipe (pipe);
  g_signal_connect (pipe->skeleton, "handle-start", G_CALLBACK (handle_start), pipe);
  g_signal_connect (pipe->skeleton, "handle-rescan", G_CALLBACK (handle_rescan), pipe);
  g_signal_connect (pipe->skeleton, "handle-stop", G_CALLBACK (handle_stop), pipe);
  g_signal_connect (pipe->skeleton, "handle-enable", G_CALLBACK (handle_enable), pipe);
  g_signal_connect (pipe->skeleton, "handle-disable", G_CALLBACK (handle_disable), pipe);
  g_signal_connect (pipe->skeleton, "handle-reset", G_CALLBACK (handle_reset), pipe);
  g_signal_connect (pipe->skeleton, "handle-discard-retries", G_CALLBACK (handle_discard_retries),
                    pipe);
  g_signal_connect (pipe->skeleton, "handle-set-offset", G_CALLBACK (handle_set_offset), pipe);
  g_signal_connect (pipe->skeleton, "handle-set-offset-to-end",
                    G_CALLBACK (handle_set_offset_to_end), pipe);
  g_signal_connect (pipe->skeleton, "handle-preview", G_CALLBACK (handle_preview), pipe);
  g_dbus_object_skeleton_add_interface (pipe->object, G_DBUS_INTERFACE_SKELETON (pipe->skeleton));
  g_dbus_object_manager_server_export (service->objects, pipe->object);
  return pipe;
}

/* Exports the pipes the control has now and unexports those it no longer has. */
static void
sync_pipes (SluiceDbusService *service)
{
  g_autoptr (GPtrArray) ids = sluice_control_list_pipes (service->control);
  g_autoptr (GHashTable) current = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < ids->len; i++)
    {
      const char *pipe_id = g_ptr_array_index (ids, i);
      ServicePipe *pipe = g_hash_table_lookup (service->pipes, pipe_id);

      g_hash_table_add (current, (gpointer)pipe_id);
      if (pipe == NULL)
        {
          pipe = service_pipe_new (service, pipe_id);
          g_hash_table_insert (service->pipes, pipe->pipe_id, pipe);
        }
      else
        refresh_pipe (pipe);
    }
  g_hash_table_iter_init (&iter, service->pipes);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (current, key))
      g_hash_table_iter_remove (&iter);
}

static ServicePipe *
lookup_pipe (SluiceDbusService *service, const char *pipe_id)
{
  return g_hash_table_lookup (service->pipes, pipe_id);
}

/* ---- Control signals ------------------------------------------------------------------------ */

static void
on_pipe_run_started (SluiceControl *control, const char *pipe_id, SluiceRunType run_type,
                     SluiceDbusService *service)
{
  ServicePipe *pipe = lookup_pipe (service, pipe_id);

  if (pipe == NULL)
    return;
  pipe->progress_read = pipe->progress_written = 0;
  pipe->progress_sent = 0;
  refresh_pipe (pipe);
  sluice_dbus_pipe_emit_run_started (pipe->skeleton, sluice_run_type_to_string (run_type));
}

static void
on_pipe_progress (SluiceControl *control, const char *pipe_id, guint64 entities_read,
                  guint64 entities_written, SluiceDbusService *service)
{
  ServicePipe *pipe = lookup_pipe (service, pipe_id);

  if (pipe != NULL)
    pipe_progress (pipe, entities_read, entities_written);
}

static void
on_pipe_run_finished (SluiceControl *control, const char *pipe_id, const SluiceRunStats *stats,
                      SluiceDbusService *service)
{
  ServicePipe *pipe = lookup_pipe (service, pipe_id);

  if (pipe == NULL)
    return;
  cancel_progress (pipe);
  refresh_pipe (pipe);
  sluice_dbus_pipe_emit_run_finished (pipe->skeleton, run_stats_to_variant (stats));
}

static void
on_pipe_run_failed (SluiceControl *control, const char *pipe_id, const SluiceRunStats *stats,
                    const GError *error, SluiceDbusService *service)
{
  ServicePipe *pipe = lookup_pipe (service, pipe_id);
  const char *message = error != NULL                           ? error->message
                        : stats != NULL && stats->error != NULL ? stats->error->message
                                                                : "the run failed";

  if (pipe == NULL)
    return;
  cancel_progress (pipe);
  refresh_pipe (pipe);
  sluice_dbus_pipe_emit_run_failed (pipe->skeleton, run_stats_to_variant (stats), message);
}

static void
on_pipe_changed (SluiceControl *control, const char *pipe_id, SluiceDbusService *service)
{
  ServicePipe *pipe = lookup_pipe (service, pipe_id);

  if (pipe != NULL)
    refresh_pipe (pipe);
}

static void
on_breaker_tripped (SluiceControl *control, const char *pipe_id, const char *dataset_id,
                    const char *message, SluiceDbusService *service)
{
  ServicePipe *pipe = lookup_pipe (service, pipe_id);

  if (pipe == NULL)
    return;
  refresh_pipe (pipe);
  sluice_dbus_pipe_emit_breaker_tripped (pipe->skeleton, dataset_id, message);
}

static void
on_reloaded (SluiceControl *control, SluiceDbusService *service)
{
  sync_pipes (service);
  sluice_dbus_manager_set_reloading (service->manager, sluice_control_is_reloading (control));
  sluice_dbus_manager_emit_reloaded (service->manager);
}

/* ---- Manager methods ------------------------------------------------------------------------ */

static gboolean
handle_list_pipes (SluiceDbusManager *manager, GDBusMethodInvocation *invocation,
                   SluiceDbusService *service)
{
  g_autoptr (GPtrArray) ids = sluice_control_list_pipes (service->control);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(so)"));
  for (guint i = 0; i < ids->len; i++)
    {
      const char *pipe_id = g_ptr_array_index (ids, i);
      g_autofree char *path = sluice_dbus_pipe_path (pipe_id);

      g_variant_builder_add (&builder, "(so)", pipe_id, path);
    }
  sluice_dbus_manager_complete_list_pipes (manager, invocation, g_variant_builder_end (&builder));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_pipe (SluiceDbusManager *manager, GDBusMethodInvocation *invocation, const char *pipe_id,
                 SluiceDbusService *service)
{
  ServicePipe *pipe = lookup_pipe (service, pipe_id);

  if (pipe == NULL)
    {
      g_autoptr (GError) error = g_error_new (SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_NOT_FOUND,
                                              "no pipe '%s'", pipe_id);

      return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  sluice_dbus_manager_complete_get_pipe (manager, invocation, pipe->path);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_datasets (SluiceDbusManager *manager, GDBusMethodInvocation *invocation,
                      SluiceDbusService *service)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) datasets = sluice_control_list_datasets (service->control, &error);
  GVariantBuilder builder;

  if (datasets == NULL)
    {
      return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < datasets->len; i++)
    g_variant_builder_add_value (&builder, dataset_to_variant (g_ptr_array_index (datasets, i)));
  sluice_dbus_manager_complete_list_datasets (manager, invocation,
                                              g_variant_builder_end (&builder));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_dataset (SluiceDbusManager *manager, GDBusMethodInvocation *invocation,
                    const char *dataset_id, SluiceDbusService *service)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetSnapshot) dataset = NULL;

  dataset = sluice_control_get_dataset (service->control, dataset_id, &error);
  if (dataset == NULL)
    return_gerror (invocation, error);
  else
    sluice_dbus_manager_complete_get_dataset (manager, invocation, dataset_to_variant (dataset));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* GetEntities reads on a worker thread, so that a large read does not hold up the main loop (and
 * with it every other client and the pipes' progress). */
typedef struct
{
  SluiceDatasetStream *stream;
  char *dataset_id;
} EntitiesRead;

static void
entities_read_free (EntitiesRead *read)
{
  g_clear_pointer (&read->stream, sluice_dataset_stream_free);
  g_free (read->dataset_id);
  g_free (read);
}

static void
read_entities_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  EntitiesRead *read = task_data;
  g_autoptr (GString) out = g_string_new ("[");
  g_autoptr (GError) error = NULL;
  guint64 count = 0;

  for (;;)
    {
      g_autoptr (SluiceEntity) entity = sluice_dataset_stream_next (read->stream, &error);

      if (entity == NULL)
        break;
      g_string_append (out, count > 0 ? ",\n  " : "\n  ");
      sluice_entity_write_json (out, entity);
      count++;
      if (out->len > MAX_ENTITIES_REPLY)
        {
          g_task_return_new_error (
              task, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_INVALID_ARGUMENT,
              "dataset '%s': the entities read exceed %" G_GSIZE_FORMAT
              " MiB after %" G_GUINT64_FORMAT
              " entities; ask for fewer with a limit, or read it over the HTTP API, which streams",
              read->dataset_id, MAX_ENTITIES_REPLY / (1024 * 1024), count);
          return;
        }
    }
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_string_append (out, count > 0 ? "\n]" : "]");
  g_task_return_pointer (task, g_string_free (g_steal_pointer (&out), FALSE), g_free);
}

static void
on_entities_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *json = g_task_propagate_pointer (G_TASK (result), &error);

  if (json == NULL)
    return_gerror (invocation, error);
  else
    sluice_dbus_manager_complete_get_entities (SLUICE_DBUS_MANAGER (source), invocation, json);
}

static gboolean
parse_entities_options (GDBusMethodInvocation *invocation, GVariant *options,
                        SluiceDatasetQuery *query)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      gboolean *field = g_str_equal (key, "history")       ? &query->history
                        : g_str_equal (key, "deleted")     ? &query->deleted
                        : g_str_equal (key, "uncommitted") ? &query->uncommitted
                                                           : NULL;

      if (field == NULL)
        {
          return_invalid_argument (invocation,
                                   "GetEntities: unknown option '%s' (expected history, deleted "
                                   "or uncommitted)",
                                   key);
          g_variant_unref (value);
          return FALSE;
        }
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
        {
          return_invalid_argument (invocation,
                                   "GetEntities: option '%s' is of type '%s', expected a boolean "
                                   "('b')",
                                   key, g_variant_get_type_string (value));
          g_variant_unref (value);
          return FALSE;
        }
      *field = g_variant_get_boolean (value);
    }
  return TRUE;
}

static gboolean
handle_get_entities (SluiceDbusManager *manager, GDBusMethodInvocation *invocation,
                     const char *dataset_id, gint64 after, guint64 limit, GVariant *options,
                     SluiceDbusService *service)
{
  SluiceDatasetQuery query = SLUICE_DATASET_QUERY_INIT;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  EntitiesRead *read;

  if (!parse_entities_options (invocation, options, &query))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  query.since = after < 0 ? -1 : after;
  query.limit = limit;
  read = g_new0 (EntitiesRead, 1);
  read->dataset_id = g_strdup (dataset_id);
  read->stream = sluice_control_read_dataset (service->control, dataset_id, &query, &error);
  if (read->stream == NULL)
    {
      entities_read_free (read);
      return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  task = g_task_new (manager, NULL, on_entities_read, invocation);
  g_task_set_task_data (task, read, (GDestroyNotify)entities_read_free);
  g_task_run_in_thread (task, read_entities_thread);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_reload (SluiceDbusManager *manager, GDBusMethodInvocation *invocation,
               SluiceDbusService *service)
{
  g_autoptr (GError) error = NULL;

  if (!sluice_control_reload (service->control, &error))
    return_gerror (invocation, error);
  else
    sluice_dbus_manager_complete_reload (manager, invocation);
  sluice_dbus_manager_set_reloading (manager, sluice_control_is_reloading (service->control));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_expanded_config (SluiceDbusManager *manager, GDBusMethodInvocation *invocation,
                            SluiceDbusService *service)
{
  g_autofree char *config = sluice_control_dup_expanded_config (service->control);

  sluice_dbus_manager_complete_get_expanded_config (manager, invocation, config);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_commit_circuit_breaker (SluiceDbusManager *manager, GDBusMethodInvocation *invocation,
                               const char *dataset_id, SluiceDbusService *service)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = sluice_control_breaker_commit (service->control, dataset_id, &error);

  return answer (invocation, ok, error);
}

static gboolean
handle_rollback_circuit_breaker (SluiceDbusManager *manager, GDBusMethodInvocation *invocation,
                                 const char *dataset_id, SluiceDbusService *service)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = sluice_control_breaker_rollback (service->control, dataset_id, &error);

  return answer (invocation, ok, error);
}

static gboolean
handle_delete_dataset (SluiceDbusManager *manager, GDBusMethodInvocation *invocation,
                       const char *dataset_id, gboolean force, SluiceDbusService *service)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = sluice_control_delete_dataset (service->control, dataset_id, force, &error);

  return answer (invocation, ok, error);
}

/* ---- The service ---------------------------------------------------------------------------- */

static gboolean
request_name (GDBusConnection *connection, GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  guint32 result;

  reply = g_dbus_connection_call_sync (
      connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "RequestName", g_variant_new ("(su)", SLUICE_DBUS_NAME, (guint32)0x4 /* DO_NOT_QUEUE */),
      G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    {
      g_prefix_error (error, "cannot own %s: ", SLUICE_DBUS_NAME);
      return FALSE;
    }
  g_variant_get (reply, "(u)", &result);
  if (result != 1 /* PRIMARY_OWNER */ && result != 4 /* ALREADY_OWNER */)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_FAILED,
                   "%s is already owned on the bus (is another sluiced running?)",
                   SLUICE_DBUS_NAME);
      return FALSE;
    }
  return TRUE;
}

static void
release_name (GDBusConnection *connection)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;

  if (g_dbus_connection_is_closed (connection))
    return;
  reply = g_dbus_connection_call_sync (
      connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "ReleaseName", g_variant_new ("(s)", SLUICE_DBUS_NAME), G_VARIANT_TYPE ("(u)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    g_debug ("D-Bus: releasing %s: %s", SLUICE_DBUS_NAME, error->message);
}

SluiceDbusService *
sluice_dbus_service_new (SluiceControl *control, GDBusConnection *connection, GError **error)
{
  g_autoptr (SluiceDbusService) service = g_new0 (SluiceDbusService, 1);

  g_return_val_if_fail (SLUICE_IS_CONTROL (control), NULL);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);

  sluice_dbus_errors_register ();
  service->control = g_object_ref (control);
  service->connection = g_object_ref (connection);
  service->context = g_main_context_ref_thread_default ();
  service->pipes
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)service_pipe_free);
  service->objects = g_dbus_object_manager_server_new (SLUICE_DBUS_PATH);
  service->manager = sluice_dbus_manager_skeleton_new ();
  sluice_dbus_manager_set_version (service->manager, SLUICE_VERSION);
  sluice_dbus_manager_set_reloading (service->manager, sluice_control_is_reloading (control));

  g_signal_connect (service->manager, "handle-list-pipes", G_CALLBACK (handle_list_pipes), service);
  g_signal_connect (service->manager, "handle-get-pipe", G_CALLBACK (handle_get_pipe), service);
  g_signal_connect (service->manager, "handle-list-datasets", G_CALLBACK (handle_list_datasets),
                    service);
  g_signal_connect (service->manager, "handle-get-dataset", G_CALLBACK (handle_get_dataset),
                    service);
  g_signal_connect (service->manager, "handle-get-entities", G_CALLBACK (handle_get_entities),
                    service);
  g_signal_connect (service->manager, "handle-reload", G_CALLBACK (handle_reload), service);
  g_signal_connect (service->manager, "handle-get-expanded-config",
                    G_CALLBACK (handle_get_expanded_config), service);
  g_signal_connect (service->manager, "handle-delete-dataset",
                    G_CALLBACK (handle_delete_dataset), service);
  g_signal_connect (service->manager, "handle-commit-circuit-breaker",
                    G_CALLBACK (handle_commit_circuit_breaker), service);
  g_signal_connect (service->manager, "handle-rollback-circuit-breaker",
                    G_CALLBACK (handle_rollback_circuit_breaker), service);

  g_signal_connect (control, "pipe-run-started", G_CALLBACK (on_pipe_run_started), service);
  g_signal_connect (control, "pipe-progress", G_CALLBACK (on_pipe_progress), service);
  g_signal_connect (control, "pipe-run-finished", G_CALLBACK (on_pipe_run_finished), service);
  g_signal_connect (control, "pipe-run-failed", G_CALLBACK (on_pipe_run_failed), service);
  g_signal_connect (control, "pipe-changed", G_CALLBACK (on_pipe_changed), service);
  g_signal_connect (control, "breaker-tripped", G_CALLBACK (on_breaker_tripped), service);
  g_signal_connect (control, "reloaded", G_CALLBACK (on_reloaded), service);

  sync_pipes (service);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (service->manager), connection,
                                         SLUICE_DBUS_PATH, error))
    return NULL;
  g_dbus_object_manager_server_set_connection (service->objects, connection);
  if (!request_name (connection, error))
    return NULL;
  service->owns_name = TRUE;
  return g_steal_pointer (&service);
}

SluiceDbusService *
sluice_dbus_service_new_for_bus (SluiceControl *control, GBusType bus_type, GError **error)
{
  g_autoptr (GDBusConnection) connection = NULL;
  g_autoptr (GError) local_error = NULL;

  connection = g_bus_get_sync (bus_type, NULL, &local_error);
  if (connection == NULL)
    {
      g_set_error (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_FAILED,
                   "cannot connect to the %s bus: %s",
                   bus_type == G_BUS_TYPE_SYSTEM ? "system" : "session", local_error->message);
      return NULL;
    }
  return sluice_dbus_service_new (control, connection, error);
}

void
sluice_dbus_service_free (SluiceDbusService *service)
{
  if (service == NULL)
    return;
  if (service->owns_name)
    release_name (service->connection);
  if (service->control != NULL)
    g_signal_handlers_disconnect_by_data (service->control, service);
  g_clear_pointer (&service->pipes, g_hash_table_unref);
  if (service->manager != NULL)
    {
      g_signal_handlers_disconnect_by_data (service->manager, service);
      if (g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (service->manager))
          != NULL)
        g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (service->manager));
      g_object_unref (service->manager);
    }
  if (service->objects != NULL)
    {
      g_dbus_object_manager_server_set_connection (service->objects, NULL);
      g_object_unref (service->objects);
    }
  g_clear_object (&service->connection);
  g_clear_pointer (&service->context, g_main_context_unref);
  g_clear_object (&service->control);
  g_free (service);
}
