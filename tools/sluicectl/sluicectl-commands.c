/* sluicectl-commands.c — what each sluicectl command asks sluiced and how it shows the answer.
 *
 * Pipe commands find the pipe's object with Manager.GetPipe first, so that a wrong name fails
 * with "no pipe 'x'" (exit status 4) rather than with a D-Bus complaint about an object path.
 * `watch` is the only command that stays: it follows the Pipe signals until interrupted.
 */
#include "sluicectl-commands.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "sluicectl-output.h"

/* ---- Reading properties --------------------------------------------------------------------- */

static const char *
prop_string (GVariant *props, const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (props, key, "&s", &value))
    return "";
  return value;
}

static guint64
prop_uint64 (GVariant *props, const char *key)
{
  guint64 value = 0;

  g_variant_lookup (props, key, "t", &value);
  return value;
}

static gint64
prop_int64 (GVariant *props, const char *key, gint64 fallback)
{
  gint64 value = fallback;

  g_variant_lookup (props, key, "x", &value);
  return value;
}

static gboolean
prop_boolean (GVariant *props, const char *key)
{
  gboolean value = FALSE;

  g_variant_lookup (props, key, "b", &value);
  return value;
}

static char *
prop_strv_joined (GVariant *props, const char *key)
{
  g_autofree const char **values = NULL;

  if (!g_variant_lookup (props, key, "^a&s", &values) || values[0] == NULL)
    return g_strdup ("-");
  return g_strjoinv (", ", (char **)values);
}

static char *
format_uint64 (guint64 value)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT, value);
}

/* Calls a method whose result is JSON text, and prints it. */
static gboolean
call_printing_json (SluicectlClient *client, const char *path, const char *interface,
                    const char *method, GVariant *parameters, GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  const char *json;

  reply = sluicectl_client_call (client, path, interface, method, parameters,
                                 G_VARIANT_TYPE ("(s)"), error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(&s)", &json);
  sluicectl_print_json_text (json, stdout);
  return TRUE;
}

/* ---- Pipes ---------------------------------------------------------------------------------- */

/* (transfer full) The pipes' properties by object path (GetManagedObjects). */
static GHashTable *
fetch_pipe_properties (SluicectlClient *client, GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) objects = NULL;
  g_autoptr (GHashTable) by_path = NULL;
  GVariantIter iter;
  const char *path;
  GVariant *interfaces;

  reply = sluicectl_client_call (client, SLUICECTL_MANAGER_PATH,
                                 "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL,
                                 G_VARIANT_TYPE ("(a{oa{sa{sv}}})"), error);
  if (reply == NULL)
    return NULL;
  by_path
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_variant_unref);
  objects = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_loop (&iter, "{&o@a{sa{sv}}}", &path, &interfaces))
    {
      GVariant *props
          = g_variant_lookup_value (interfaces, SLUICECTL_PIPE_INTERFACE, G_VARIANT_TYPE_VARDICT);

      if (props != NULL)
        g_hash_table_insert (by_path, g_strdup (path), props);
    }
  return g_steal_pointer (&by_path);
}

static GVariant *
list_pipes (SluicectlClient *client, GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  reply = sluicectl_client_call (client, SLUICECTL_MANAGER_PATH, SLUICECTL_MANAGER_INTERFACE,
                                 "ListPipes", NULL, G_VARIANT_TYPE ("(a(so))"), error);
  if (reply == NULL)
    return NULL;
  return g_variant_get_child_value (reply, 0);
}

static gboolean
command_list (SluicectlClient *client, const SluicectlOptions *options, char **args, GError **error)
{
  g_autoptr (GVariant) pipes = list_pipes (client, error);
  g_autoptr (GHashTable) properties = NULL;
  g_autoptr (SluicectlTable) table = NULL;
  GVariantBuilder json;
  GVariantIter iter;
  const char *pipe_id, *path;

  if (pipes == NULL)
    return FALSE;
  properties = fetch_pipe_properties (client, error);
  if (properties == NULL)
    return FALSE;
  table = sluicectl_table_new ("PIPE", "STATE", "MODE", "ENABLED", "LAST RUN", "READ", "WRITTEN",
                               "OFFSET", "NEXT START", NULL);
  g_variant_builder_init (&json, G_VARIANT_TYPE ("aa{sv}"));
  g_variant_iter_init (&iter, pipes);
  while (g_variant_iter_next (&iter, "(&s&o)", &pipe_id, &path))
    {
      GVariant *props = g_hash_table_lookup (properties, path);
      g_autoptr (GVariant) last_run = NULL;
      g_autofree char *last_finished = NULL;
      g_autofree char *read = NULL;
      g_autofree char *written = NULL;
      g_autofree char *next_start = NULL;
      gint64 finished = -1;
      guint64 n_read = 0, n_written = 0;

      if (props == NULL)
        continue; /* gone with a reload between the two calls */
      if (options->json)
        {
          g_variant_builder_add_value (&json, props);
          continue;
        }
      last_run = g_variant_lookup_value (props, "LastRun", G_VARIANT_TYPE_VARDICT);
      if (last_run != NULL)
        {
          g_variant_lookup (last_run, "finished", "x", &finished);
          g_variant_lookup (last_run, "entities_read", "t", &n_read);
          g_variant_lookup (last_run, "entities_written", "t", &n_written);
        }
      if (prop_boolean (props, "Running"))
        {
          n_read = prop_uint64 (props, "CurrentRead");
          n_written = prop_uint64 (props, "CurrentWritten");
        }
      last_finished = sluicectl_format_time (finished);
      read = format_uint64 (n_read);
      written = format_uint64 (n_written);
      next_start = sluicectl_format_time (prop_int64 (props, "NextStart", -1));
      sluicectl_table_add_row (
          table, pipe_id, prop_string (props, "State"), prop_string (props, "Mode"),
          prop_boolean (props, "Enabled") ? "yes" : "no", last_finished, read, written,
          prop_string (props, "Offset")[0] != '\0' ? prop_string (props, "Offset") : "-",
          next_start);
    }
  if (options->json)
    {
      g_autoptr (GVariant) value = g_variant_ref_sink (g_variant_builder_end (&json));

      sluicectl_print_variant_json (value, stdout);
    }
  else
    {
      g_variant_builder_clear (&json);
      sluicectl_table_print (table, stdout);
    }
  return TRUE;
}

static char *
describe_run (GVariant *run)
{
  GString *text = g_string_new (NULL);
  const char *run_type = "", *message = NULL;
  gint64 started = 0, finished = 0;
  g_autofree char *when = NULL;
  g_autofree char *took = NULL;

  g_variant_lookup (run, "run_type", "&s", &run_type);
  g_variant_lookup (run, "started", "x", &started);
  g_variant_lookup (run, "finished", "x", &finished);
  g_variant_lookup (run, "error", "&s", &message);
  when = sluicectl_format_time (finished);
  took = sluicectl_format_duration (finished - started);
  g_string_append_printf (
      text,
      "%s, %s at %s: %" G_GUINT64_FORMAT " read, %" G_GUINT64_FORMAT " written, %" G_GUINT64_FORMAT
      " changes, %" G_GUINT64_FORMAT " batches, %s",
      run_type, message != NULL ? "failed" : "succeeded", when, prop_uint64 (run, "entities_read"),
      prop_uint64 (run, "entities_written"), prop_uint64 (run, "changes"),
      prop_uint64 (run, "batches_committed"), took);
  if (message != NULL)
    g_string_append_printf (text, "\n                 %s", message);
  return g_string_free (text, FALSE);
}

static gboolean
command_status (SluicectlClient *client, const SluicectlOptions *options, char **args,
                GError **error)
{
  g_autofree char *path = sluicectl_client_pipe_path (client, args[0], error);
  g_autoptr (GVariant) props = NULL;
  g_autoptr (GVariant) last_run = NULL;
  g_autofree char *inputs = NULL;
  g_autofree char *outputs = NULL;
  g_autofree char *next_start = NULL;
  g_autofree char *run_time = NULL;
  const char *offset;

  if (path == NULL)
    return FALSE;
  props = sluicectl_client_get_all (client, path, SLUICECTL_PIPE_INTERFACE, error);
  if (props == NULL)
    return FALSE;
  if (options->json)
    {
      sluicectl_print_variant_json (props, stdout);
      return TRUE;
    }
  inputs = prop_strv_joined (props, "InputDatasets");
  outputs = prop_strv_joined (props, "OutputDatasets");
  next_start = sluicectl_format_time (prop_int64 (props, "NextStart", -1));
  run_time = sluicectl_format_duration (prop_int64 (props, "RunTimeTotal", 0));
  offset = prop_string (props, "Offset");
  printf ("pipe:            %s\n", prop_string (props, "Id"));
  printf ("state:           %s\n", prop_string (props, "State"));
  printf ("mode:            %s, %s\n", prop_string (props, "Mode"),
          prop_boolean (props, "Enabled") ? "enabled" : "disabled");
  printf ("source, sink:    %s, %s\n", prop_string (props, "SourceType"),
          prop_string (props, "SinkType"));
  printf ("input datasets:  %s\n", inputs);
  printf ("output datasets: %s\n", outputs);
  printf ("offset:          %s\n", offset[0] != '\0' ? offset : "none (the next run is full)");
  printf ("next start:      %s\n", next_start);
  printf ("durable:         %s\n", prop_boolean (props, "Durable") ? "yes" : "no");
  printf ("breaker:         %s\n", prop_boolean (props, "BreakerTripped") ? "tripped" : "-");
  if (prop_boolean (props, "Running"))
    printf ("this run:        %" G_GUINT64_FORMAT " read, %" G_GUINT64_FORMAT " written\n",
            prop_uint64 (props, "CurrentRead"), prop_uint64 (props, "CurrentWritten"));
  last_run = g_variant_lookup_value (props, "LastRun", G_VARIANT_TYPE_VARDICT);
  if (last_run != NULL && g_variant_n_children (last_run) > 0)
    {
      g_autofree char *text = describe_run (last_run);

      printf ("last run:        %s\n", text);
    }
  else
    printf ("last run:        -\n");
  printf ("runs:            %" G_GUINT64_FORMAT " started, %" G_GUINT64_FORMAT
          " succeeded, %" G_GUINT64_FORMAT " failed\n",
          prop_uint64 (props, "RunsStarted"), prop_uint64 (props, "RunsSucceeded"),
          prop_uint64 (props, "RunsFailed"));
  printf ("entities:        %" G_GUINT64_FORMAT " read, %" G_GUINT64_FORMAT
          " written, %" G_GUINT64_FORMAT " changes in %s\n",
          prop_uint64 (props, "EntitiesRead"), prop_uint64 (props, "EntitiesWritten"),
          prop_uint64 (props, "Changes"), run_time);
  return TRUE;
}

/* A pipe method without a result; @done is what to say on success (human output only). */
static gboolean
call_pipe (SluicectlClient *client, const SluicectlOptions *options, const char *pipe_id,
           const char *method, GVariant *parameters, const char *done, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) sunk = parameters != NULL ? g_variant_ref_sink (parameters) : NULL;

  path = sluicectl_client_pipe_path (client, pipe_id, error);
  if (path == NULL)
    return FALSE;
  reply = sluicectl_client_call (client, path, SLUICECTL_PIPE_INTERFACE, method, sunk, NULL, error);
  if (reply == NULL)
    return FALSE;
  if (!options->json)
    printf ("%s: %s\n", pipe_id, done);
  return TRUE;
}

static gboolean
command_start (SluicectlClient *client, const SluicectlOptions *options, char **args,
               GError **error)
{
  return call_pipe (client, options, args[0], "Start", NULL, "run asked for", error);
}

static gboolean
command_rescan (SluicectlClient *client, const SluicectlOptions *options, char **args,
                GError **error)
{
  return call_pipe (client, options, args[0], "Rescan", NULL, "full run asked for", error);
}

static gboolean
command_stop (SluicectlClient *client, const SluicectlOptions *options, char **args, GError **error)
{
  return call_pipe (client, options, args[0], "Stop", NULL, "stopping", error);
}

static gboolean
command_enable (SluicectlClient *client, const SluicectlOptions *options, char **args,
                GError **error)
{
  return call_pipe (client, options, args[0], "Enable",
                    g_variant_new ("(s)", options->comment != NULL ? options->comment : ""),
                    "enabled", error);
}

static gboolean
command_disable (SluicectlClient *client, const SluicectlOptions *options, char **args,
                 GError **error)
{
  return call_pipe (client, options, args[0], "Disable",
                    g_variant_new ("(s)", options->comment != NULL ? options->comment : ""),
                    "disabled", error);
}

static gboolean
command_reset (SluicectlClient *client, const SluicectlOptions *options, char **args,
               GError **error)
{
  return call_pipe (client, options, args[0], "Reset", g_variant_new ("(b)", options->force),
                    "offset removed, the next run is full", error);
}

static gboolean
command_discard_retries (SluicectlClient *client, const SluicectlOptions *options, char **args,
                         GError **error)
{
  return call_pipe (client, options, args[0], "DiscardRetries", NULL,
                    "pending write retries discarded", error);
}

static gboolean
command_set_since (SluicectlClient *client, const SluicectlOptions *options, char **args,
                   GError **error)
{
  g_autofree char *done = NULL;

  if (options->end == (args[1] != NULL))
    {
      g_set_error (error, SLUICECTL_ERROR, SLUICECTL_EXIT_USAGE,
                   "set-since: give either an OFFSET or --end");
      return FALSE;
    }
  if (options->end)
    return call_pipe (client, options, args[0], "SetOffsetToEnd",
                      g_variant_new ("(b)", options->force), "offset set to the end of its source",
                      error);
  done = g_strdup_printf ("offset set to %s", args[1]);
  return call_pipe (client, options, args[0], "SetOffset",
                    g_variant_new ("(sb)", args[1], options->force), done, error);
}

static gboolean
command_preview (SluicectlClient *client, const SluicectlOptions *options, char **args,
                 GError **error)
{
  g_autofree char *path = NULL;

  if (options->n < 1)
    {
      g_set_error (error, SLUICECTL_ERROR, SLUICECTL_EXIT_USAGE,
                   "preview: -n %d: expected a number of entities of at least 1", options->n);
      return FALSE;
    }
  path = sluicectl_client_pipe_path (client, args[0], error);
  if (path == NULL)
    return FALSE;
  return call_printing_json (client, path, SLUICECTL_PIPE_INTERFACE, "Preview",
                             g_variant_new ("(u)", (guint32)options->n), error);
}

/* ---- Datasets ------------------------------------------------------------------------------- */

static gboolean
command_datasets (SluicectlClient *client, const SluicectlOptions *options, char **args,
                  GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) datasets = NULL;
  g_autoptr (SluicectlTable) table = NULL;
  GVariantIter iter;
  GVariant *dataset;

  reply = sluicectl_client_call (client, SLUICECTL_MANAGER_PATH, SLUICECTL_MANAGER_INTERFACE,
                                 "ListDatasets", NULL, G_VARIANT_TYPE ("(aa{sv})"), error);
  if (reply == NULL)
    return FALSE;
  datasets = g_variant_get_child_value (reply, 0);
  if (options->json)
    {
      sluicectl_print_variant_json (datasets, stdout);
      return TRUE;
    }
  table = sluicectl_table_new ("DATASET", "ENTITIES", "VERSIONS", "LAST OFFSET", "POPULATED",
                               "BREAKER", "WRITER", NULL);
  g_variant_iter_init (&iter, datasets);
  while (g_variant_iter_loop (&iter, "@a{sv}", &dataset))
    {
      g_autofree char *entities = format_uint64 (prop_uint64 (dataset, "entity_count"));
      g_autofree char *versions = format_uint64 (prop_uint64 (dataset, "version_count"));
      gint64 max_offset = prop_int64 (dataset, "max_offset", -1);
      g_autofree char *offset
          = max_offset >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, max_offset) : g_strdup ("-");
      const char *writer = prop_string (dataset, "writer");

      sluicectl_table_add_row (table, prop_string (dataset, "id"), entities, versions, offset,
                               prop_boolean (dataset, "populated") ? "yes" : "no",
                               prop_boolean (dataset, "breaker_tripped") ? "tripped" : "-",
                               writer[0] != '\0' ? writer : "-");
    }
  sluicectl_table_print (table, stdout);
  return TRUE;
}

static gboolean
command_entities (SluicectlClient *client, const SluicectlOptions *options, char **args,
                  GError **error)
{
  if (options->limit < 0)
    {
      g_set_error (error, SLUICECTL_ERROR, SLUICECTL_EXIT_USAGE,
                   "entities: --limit %" G_GINT64_FORMAT ": expected 0 (no limit) or more",
                   options->limit);
      return FALSE;
    }
  return call_printing_json (
      client, SLUICECTL_MANAGER_PATH, SLUICECTL_MANAGER_INTERFACE, "GetEntities",
      g_variant_new ("(sxta{sv})", args[0], options->since, (guint64)options->limit, NULL), error);
}

static gboolean
command_breaker (SluicectlClient *client, const SluicectlOptions *options, char **args,
                 GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  const char *method;

  if (g_str_equal (args[0], "commit"))
    method = "CommitCircuitBreaker";
  else if (g_str_equal (args[0], "rollback"))
    method = "RollbackCircuitBreaker";
  else
    {
      g_set_error (error, SLUICECTL_ERROR, SLUICECTL_EXIT_USAGE,
                   "breaker '%s': expected 'commit' or 'rollback'", args[0]);
      return FALSE;
    }
  reply = sluicectl_client_call (client, SLUICECTL_MANAGER_PATH, SLUICECTL_MANAGER_INTERFACE,
                                 method, g_variant_new ("(s)", args[1]), NULL, error);
  if (reply == NULL)
    return FALSE;
  if (!options->json)
    printf ("%s: circuit breaker %s\n", args[1],
            g_str_equal (args[0], "commit") ? "committed" : "rolled back");
  return TRUE;
}

static gboolean
command_delete_dataset (SluicectlClient *client, const SluicectlOptions *options, char **args,
                        GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  reply = sluicectl_client_call (client, SLUICECTL_MANAGER_PATH, SLUICECTL_MANAGER_INTERFACE,
                                 "DeleteDataset", g_variant_new ("(sb)", args[0], options->force),
                                 NULL, error);
  if (reply == NULL)
    return FALSE;
  if (!options->json)
    printf ("%s: deleted; the pipe that writes it runs in full next time\n", args[0]);
  return TRUE;
}

/* ---- Configuration -------------------------------------------------------------------------- */

static gboolean
command_reload (SluicectlClient *client, const SluicectlOptions *options, char **args,
                GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  reply = sluicectl_client_call (client, SLUICECTL_MANAGER_PATH, SLUICECTL_MANAGER_INTERFACE,
                                 "Reload", NULL, NULL, error);
  if (reply == NULL)
    return FALSE;
  if (!options->json)
    printf ("reloading\n");
  return TRUE;
}

static gboolean
command_expand (SluicectlClient *client, const SluicectlOptions *options, char **args,
                GError **error)
{
  return call_printing_json (client, SLUICECTL_MANAGER_PATH, SLUICECTL_MANAGER_INTERFACE,
                             "GetExpandedConfig", NULL, error);
}

/* ---- watch ---------------------------------------------------------------------------------- */

typedef struct
{
  SluicectlClient *client;
  const SluicectlOptions *options;
  char **only;          /* the PIPE arguments; NULL: every pipe */
  GHashTable *pipe_ids; /* object path → pipe id */
  GHashTable *rates;    /* pipe id → RateMark */
  GMainLoop *loop;
  int runs_ended;
  GError *error; /* why the watch ended, when it failed */
} Watch;

typedef struct
{
  gint64 time;
  guint64 read;
} RateMark;

static gboolean
watch_update_pipes (Watch *watch, GError **error)
{
  g_autoptr (GVariant) pipes = list_pipes (watch->client, error);
  GVariantIter iter;
  const char *pipe_id, *path;

  if (pipes == NULL)
    return FALSE;
  g_hash_table_remove_all (watch->pipe_ids);
  g_variant_iter_init (&iter, pipes);
  while (g_variant_iter_next (&iter, "(&s&o)", &pipe_id, &path))
    g_hash_table_insert (watch->pipe_ids, g_strdup (path), g_strdup (pipe_id));
  return TRUE;
}

static void
watch_print_json (GVariant *event)
{
  g_autoptr (GVariant) sunk = g_variant_ref_sink (event);
  g_autoptr (JsonNode) node = json_gvariant_serialize (sunk);
  g_autofree char *text = json_to_string (node, FALSE);

  printf ("%s\n", text);
  fflush (stdout);
}

static void
watch_event (Watch *watch, const char *pipe_id, const char *event, GVariantBuilder *fields,
             const char *human)
{
  if (watch->options->json)
    {
      g_variant_builder_add (fields, "{sv}", "event", g_variant_new_string (event));
      g_variant_builder_add (fields, "{sv}", "pipe", g_variant_new_string (pipe_id));
      watch_print_json (g_variant_builder_end (fields));
    }
  else
    {
      g_variant_builder_clear (fields);
      printf ("%s: %s\n", pipe_id, human);
      fflush (stdout);
    }
}

static void
watch_run_ended (Watch *watch)
{
  watch->runs_ended++;
  if (watch->options->runs > 0 && watch->runs_ended >= watch->options->runs)
    g_main_loop_quit (watch->loop);
}

static void
on_watch_signal (GDBusConnection *connection, const char *sender, const char *path,
                 const char *interface, const char *member, GVariant *parameters,
                 gpointer user_data)
{
  Watch *watch = user_data;
  const char *pipe_id = g_hash_table_lookup (watch->pipe_ids, path);
  GVariantBuilder fields;

  if (pipe_id == NULL)
    {
      /* A pipe that came with a reload we have not seen yet. */
      if (!watch_update_pipes (watch, NULL)
          || (pipe_id = g_hash_table_lookup (watch->pipe_ids, path)) == NULL)
        return;
    }
  if (watch->only != NULL && !g_strv_contains ((const char *const *)watch->only, pipe_id))
    return;
  g_variant_builder_init (&fields, G_VARIANT_TYPE_VARDICT);
  if (g_str_equal (member, "RunStarted"))
    {
      const char *run_type;
      g_autofree char *human = NULL;
      RateMark *mark = g_new0 (RateMark, 1);

      g_variant_get (parameters, "(&s)", &run_type);
      mark->time = g_get_monotonic_time ();
      g_hash_table_insert (watch->rates, g_strdup (pipe_id), mark);
      g_variant_builder_add (&fields, "{sv}", "run_type", g_variant_new_string (run_type));
      human = g_strdup_printf ("%s run started", run_type);
      watch_event (watch, pipe_id, "run-started", &fields, human);
    }
  else if (g_str_equal (member, "Progress"))
    {
      guint64 n_read, n_written;
      RateMark *mark = g_hash_table_lookup (watch->rates, pipe_id);
      gint64 now = g_get_monotonic_time ();
      g_autofree char *human = NULL;
      double rate = 0;

      g_variant_get (parameters, "(tt)", &n_read, &n_written);
      if (mark == NULL)
        {
          /* The run started before the watch: the rate shows from the next report on. */
          mark = g_new0 (RateMark, 1);
          mark->time = -1;
          g_hash_table_insert (watch->rates, g_strdup (pipe_id), mark);
        }
      if (mark->time >= 0 && now > mark->time)
        rate = (double)(n_read - MIN (n_read, mark->read)) * G_USEC_PER_SEC / (now - mark->time);
      mark->time = now;
      mark->read = n_read;
      g_variant_builder_add (&fields, "{sv}", "entities_read", g_variant_new_uint64 (n_read));
      g_variant_builder_add (&fields, "{sv}", "entities_written", g_variant_new_uint64 (n_written));
      human = g_strdup_printf ("%" G_GUINT64_FORMAT " read, %" G_GUINT64_FORMAT
                               " written, %.0f entities/s",
                               n_read, n_written, rate);
      watch_event (watch, pipe_id, "progress", &fields, human);
    }
  else if (g_str_equal (member, "RunFinished") || g_str_equal (member, "RunFailed"))
    {
      gboolean failed = g_str_equal (member, "RunFailed");
      g_autoptr (GVariant) run = g_variant_get_child_value (parameters, 0);
      g_autofree char *human = describe_run (run);

      g_variant_builder_add (&fields, "{sv}", "run", run);
      g_hash_table_remove (watch->rates, pipe_id);
      watch_event (watch, pipe_id, failed ? "run-failed" : "run-finished", &fields, human);
      watch_run_ended (watch);
    }
  else if (g_str_equal (member, "BreakerTripped"))
    {
      const char *dataset_id, *message;
      g_autofree char *human = NULL;

      g_variant_get (parameters, "(&s&s)", &dataset_id, &message);
      g_variant_builder_add (&fields, "{sv}", "dataset", g_variant_new_string (dataset_id));
      g_variant_builder_add (&fields, "{sv}", "message", g_variant_new_string (message));
      human = g_strdup_printf ("circuit breaker of '%s' tripped: %s", dataset_id, message);
      watch_event (watch, pipe_id, "breaker-tripped", &fields, human);
    }
  else
    g_variant_builder_clear (&fields);
}

static void
on_watch_owner_changed (GDBusConnection *connection, const char *sender, const char *path,
                        const char *interface, const char *member, GVariant *parameters,
                        gpointer user_data)
{
  Watch *watch = user_data;
  const char *name, *old_owner, *new_owner;

  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (new_owner[0] != '\0' || watch->error != NULL)
    return;
  g_set_error (&watch->error, SLUICECTL_ERROR, SLUICECTL_EXIT_UNREACHABLE,
               "sluiced left the %s bus", watch->client->bus_label);
  g_main_loop_quit (watch->loop);
}

static void
on_watch_reloaded (GDBusConnection *connection, const char *sender, const char *path,
                   const char *interface, const char *member, GVariant *parameters,
                   gpointer user_data)
{
  Watch *watch = user_data;

  watch_update_pipes (watch, NULL);
  if (watch->options->json)
    {
      GVariantBuilder fields;

      g_variant_builder_init (&fields, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&fields, "{sv}", "event", g_variant_new_string ("reloaded"));
      watch_print_json (g_variant_builder_end (&fields));
    }
  else
    {
      printf ("configuration reloaded\n");
      fflush (stdout);
    }
}

static gboolean
on_watch_interrupt (gpointer user_data)
{
  Watch *watch = user_data;

  g_main_loop_quit (watch->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
command_watch (SluicectlClient *client, const SluicectlOptions *options, char **args,
               GError **error)
{
  Watch watch = { .client = client, .options = options };
  g_autoptr (GHashTable) properties = NULL;
  g_autoptr (GVariant) pipes = NULL;
  GVariantBuilder states;
  GVariantIter iter;
  const char *pipe_id, *path;
  guint signals_id, reloaded_id, owner_id, sigint_id, sigterm_id;
  int watched = 0;

  watch.only = args[0] != NULL ? args : NULL;
  watch.pipe_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  watch.rates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  watch.loop = g_main_loop_new (NULL, FALSE);
  /* Subscribe before reading the state, so that nothing falls between the two. */
  signals_id = g_dbus_connection_signal_subscribe (
      client->connection, SLUICECTL_BUS_NAME, SLUICECTL_PIPE_INTERFACE, NULL, NULL, NULL,
      G_DBUS_SIGNAL_FLAGS_NONE, on_watch_signal, &watch, NULL);
  reloaded_id = g_dbus_connection_signal_subscribe (
      client->connection, SLUICECTL_BUS_NAME, SLUICECTL_MANAGER_INTERFACE, "Reloaded",
      SLUICECTL_MANAGER_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_watch_reloaded, &watch, NULL);
  owner_id = g_dbus_connection_signal_subscribe (
      client->connection, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
      "/org/freedesktop/DBus", SLUICECTL_BUS_NAME, G_DBUS_SIGNAL_FLAGS_NONE, on_watch_owner_changed,
      &watch, NULL);
  sigint_id = g_unix_signal_add (SIGINT, on_watch_interrupt, &watch);
  sigterm_id = g_unix_signal_add (SIGTERM, on_watch_interrupt, &watch);

  if (!watch_update_pipes (&watch, &watch.error)
      || (properties = fetch_pipe_properties (client, &watch.error)) == NULL
      || (pipes = list_pipes (client, &watch.error)) == NULL)
    goto out;
  for (char **p = watch.only; p != NULL && *p != NULL; p++)
    {
      g_autofree char *pipe_path = sluicectl_client_pipe_path (client, *p, &watch.error);

      if (pipe_path == NULL)
        goto out;
    }
  g_variant_builder_init (&states, G_VARIANT_TYPE ("aa{sv}"));
  g_variant_iter_init (&iter, pipes);
  while (g_variant_iter_next (&iter, "(&s&o)", &pipe_id, &path))
    {
      GVariant *props = g_hash_table_lookup (properties, path);
      GVariantBuilder state;

      if (props == NULL
          || (watch.only != NULL && !g_strv_contains ((const char *const *)watch.only, pipe_id)))
        continue;
      watched++;
      g_variant_builder_init (&state, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&state, "{sv}", "pipe", g_variant_new_string (pipe_id));
      g_variant_builder_add (&state, "{sv}", "state",
                             g_variant_new_string (prop_string (props, "State")));
      g_variant_builder_add_value (&states, g_variant_builder_end (&state));
      if (!options->json)
        printf ("%s: %s\n", pipe_id, prop_string (props, "State"));
    }
  if (options->json)
    {
      GVariantBuilder event;

      g_variant_builder_init (&event, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&event, "{sv}", "event", g_variant_new_string ("watching"));
      g_variant_builder_add (&event, "{sv}", "pipes", g_variant_builder_end (&states));
      watch_print_json (g_variant_builder_end (&event));
    }
  else
    {
      g_variant_builder_clear (&states);
      printf ("watching %d pipes; Ctrl-C ends\n", watched);
      fflush (stdout);
    }
  g_main_loop_run (watch.loop);

out:
  g_dbus_connection_signal_unsubscribe (client->connection, signals_id);
  g_dbus_connection_signal_unsubscribe (client->connection, reloaded_id);
  g_dbus_connection_signal_unsubscribe (client->connection, owner_id);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_hash_table_unref (watch.pipe_ids);
  g_hash_table_unref (watch.rates);
  g_main_loop_unref (watch.loop);
  if (watch.error != NULL)
    {
      g_propagate_error (error, watch.error);
      return FALSE;
    }
  return TRUE;
}

/* ---- The table ------------------------------------------------------------------------------ */

const SluicectlCommand sluicectl_commands[] = {
  { "list", "", 0, 0, command_list, "List the pipes with their state" },
  { "status", "PIPE", 1, 1, command_status, "Show everything about one pipe" },
  { "start", "PIPE", 1, 1, command_start, "Run a pipe now (also when disabled)" },
  { "rescan", "PIPE", 1, 1, command_rescan, "Run a pipe now, a full run" },
  { "stop", "PIPE", 1, 1, command_stop, "Stop a pipe's run after its current batch" },
  { "enable", "PIPE [--comment TEXT]", 1, 1, command_enable, "Let scheduled runs happen" },
  { "disable", "PIPE [--comment TEXT]", 1, 1, command_disable, "Stop scheduled runs" },
  { "reset", "PIPE [--force]", 1, 1, command_reset,
    "Remove a pipe's offset: its next run is full" },
  { "set-since", "PIPE OFFSET|--end [--force]", 1, 2, command_set_since,
    "Set a pipe's offset (JSON: 42, '\"text\"'), or to the end of its source" },
  { "preview", "PIPE [-n N]", 1, 1, command_preview,
    "Show the first N entities (default 10) after the transforms, writing nothing" },
  { "datasets", "", 0, 0, command_datasets, "List the datasets" },
  { "entities", "DATASET [--since OFFSET] [--limit N]", 1, 1, command_entities,
    "Print a dataset's entities as JSON" },
  { "reload", "", 0, 0, command_reload,
    "Read the configuration again (refused, with its errors, when it does not validate)" },
  { "expand", "", 0, 0, command_expand,
    "Print the running configuration, expanded, secrets redacted" },
  { "discard-retries", "PIPE", 1, 1, command_discard_retries,
    "Drop a pipe's pending write retries without dead-lettering them" },
  { "delete-dataset", "DATASET [--force]", 1, 1, command_delete_dataset,
    "Delete a dataset; its writer's offset is reset" },
  { "breaker", "commit|rollback DATASET", 2, 2, command_breaker,
    "Resolve a tripped circuit breaker" },
  { "watch", "[PIPE...] [--runs N]", 0, G_MAXUINT, command_watch,
    "Follow runs as they start, progress and end" },
  { NULL },
};

const SluicectlCommand *
sluicectl_command_lookup (const char *name)
{
  for (const SluicectlCommand *command = sluicectl_commands; command->name != NULL; command++)
    if (g_str_equal (command->name, name))
      return command;
  return NULL;
}
