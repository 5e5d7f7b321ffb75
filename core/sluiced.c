/* sluiced.c — the sluice daemon's entry point: parses the command line and runs one action.
 *
 * Each action (list plugins, describe a type, check the configuration, run pipes once, …) is one
 * function taking the parsed options; main () only picks the action.  Without a one-shot action
 * sluiced is the daemon: it runs pipes on their schedules until SIGTERM or SIGINT (run_daemon).
 */
#include <errno.h>
#include <signal.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "sluice-build-config.h"
#include "sluice-clock.h"
#include "sluice-config-loader.h"
#include "sluice-control.h"
#include "sluice-dbus-service.h"
#include "sluice-engine.h"
#include "sluice-host-datasets.h"
#include "sluice-registry.h"
#include "sluice-http-api.h"
#include "sluice-store-lmdb.h"

typedef struct
{
  char **plugin_dirs;
  char **config_paths;
  char *data_dir;
  char *secrets_file;
  char *describe_type;
  gboolean list_plugins;
  gboolean check_config;
  gboolean print_config;
  gboolean version;
  gboolean once;
  char **once_pipes; /* the PIPE arguments of --once; NULL: every enabled pipe */
  int max_concurrent_runs; /* daemon mode; 0: the scheduler's default */
  char *bus;               /* daemon mode: "session", "system", "none" or NULL (none) */
  char *http_address;      /* daemon mode: --http ADDR:PORT; NULL: no HTTP API */
  char *http_tls_cert;
  char *http_tls_key;
  gint64 http_max_body;    /* 0: SLUICE_HTTP_DEFAULT_MAX_BODY */
  gint64 http_push_budget; /* 0: SLUICE_HTTP_DEFAULT_PUSH_BUDGET */
} SluicedOptions;

static void
sluiced_options_clear (SluicedOptions *options)
{
  g_clear_pointer (&options->plugin_dirs, g_strfreev);
  g_clear_pointer (&options->config_paths, g_strfreev);
  g_clear_pointer (&options->data_dir, g_free);
  g_clear_pointer (&options->secrets_file, g_free);
  g_clear_pointer (&options->describe_type, g_free);
  g_clear_pointer (&options->once_pipes, g_strfreev);
  g_clear_pointer (&options->bus, g_free);
  g_clear_pointer (&options->http_address, g_free);
  g_clear_pointer (&options->http_tls_cert, g_free);
  g_clear_pointer (&options->http_tls_key, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SluicedOptions, sluiced_options_clear)

static gboolean
parse_options (int *argc, char ***argv, SluicedOptions *options, GError **error)
{
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME_ARRAY, &options->config_paths,
      "Read configuration from PATH, a JSON file or a directory of them (repeatable)", "PATH" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &options->data_dir,
      "Keep datasets and pipe state in DIR (default: " SLUICE_LOCALSTATEDIR ")", "DIR" },
    { "secrets", 0, 0, G_OPTION_ARG_FILENAME, &options->secrets_file,
      "Read $SECRET(name) values from FILE (must not be readable by group or others)", "FILE" },
    { "plugin-dir", 'p', 0, G_OPTION_ARG_FILENAME_ARRAY, &options->plugin_dirs,
      "Also load plugins from DIR, after those in SLUICE_PLUGIN_PATH and before the installed "
      "ones (repeatable)",
      "DIR" },
    { "check-config", 0, 0, G_OPTION_ARG_NONE, &options->check_config,
      "Validate the configuration, report every error and exit", NULL },
    { "print-config", 0, 0, G_OPTION_ARG_NONE, &options->print_config,
      "Print the configuration after substitution and pattern expansion (secrets redacted) and "
      "exit",
      NULL },
    { "list-plugins", 0, 0, G_OPTION_ARG_NONE, &options->list_plugins,
      "List the plugins found, their element types and the plugins that failed to load, and exit",
      NULL },
    { "describe", 0, 0, G_OPTION_ARG_STRING, &options->describe_type,
      "Print the options of element type TYPE as JSON Schema and exit (source:, sink: or "
      "transform: before TYPE says which kind, where kinds share a name)",
      "[KIND:]TYPE" },
    { "max-concurrent-runs", 0, 0, G_OPTION_ARG_INT, &options->max_concurrent_runs,
      "Run at most N pipes at the same time (default: 4)", "N" },
    { "http", 0, 0, G_OPTION_ARG_STRING, &options->http_address,
      "Serve the HTTP API on ADDR:PORT (a bare PORT means 127.0.0.1:PORT; docs/http-api.md)",
      "ADDR:PORT" },
    { "http-tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &options->http_tls_cert,
      "Serve the HTTP API over TLS with this PEM certificate (needs --http-tls-key)", "FILE" },
    { "http-tls-key", 0, 0, G_OPTION_ARG_FILENAME, &options->http_tls_key,
      "The PEM private key of --http-tls-cert", "FILE" },
    { "http-max-body", 0, 0, G_OPTION_ARG_INT64, &options->http_max_body,
      "Refuse HTTP request bodies larger than BYTES with 413 (default: 64 MiB)", "BYTES" },
    { "http-push-budget", 0, 0, G_OPTION_ARG_INT64, &options->http_push_budget,
      "Hold at most BYTES of bodies pushed to receivers at once; a push beyond gets 503 with "
      "Retry-After (default: 256 MiB, at least --http-max-body)",
      "BYTES" },
    { "bus", 0, 0, G_OPTION_ARG_STRING, &options->bus,
      "Daemon mode: own org.sluice.Sluice1 on the session or the system bus for sluicectl and "
      "other D-Bus clients, or none (the default)",
      "session|system|none" },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &options->version, "Print the version and exit",
      NULL },
    { "once", 0, 0, G_OPTION_ARG_NONE, &options->once,
      "Run the pipes named as arguments (default: every enabled pipe) once, writers before "
      "readers, and exit; the status is non-zero when a pipe failed",
      NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("[PIPE…]");

  g_option_context_set_summary (context, "sluice data synchronization host.");
  g_option_context_set_description (
    context,
    "Plugins (sluice-*.so) are searched in the directories of SLUICE_PLUGIN_PATH (colon-separated),\n"
    "then in each --plugin-dir, then in " SLUICE_PLUGINDIR ".\n");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (options->once && *argc > 1)
    {
      options->once_pipes = g_new0 (char *, *argc);
      for (int i = 1; i < *argc; i++)
        options->once_pipes[i - 1] = g_strdup ((*argv)[i]);
    }
  else if (*argc > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument '%s'",
                   (*argv)[1]);
      return FALSE;
    }
  return TRUE;
}

static SluiceRegistry *
load_plugins (const SluicedOptions *options)
{
  SluiceRegistry *registry = sluice_registry_new ();

  sluice_registry_scan (registry, (const char *const *) options->plugin_dirs, TRUE);
  return registry;
}

static int
run_version (const SluicedOptions *options)
{
  printf ("sluiced %s (plugin ABI %d.%d)\n", SLUICE_VERSION, SLUICE_PLUGIN_ABI_MAJOR,
          SLUICE_PLUGIN_ABI_MINOR);
  return EXIT_SUCCESS;
}

static const char *
or_none (const char *text)
{
  return text != NULL && text[0] != '\0' ? text : "(none)";
}

static int
run_list_plugins (const SluicedOptions *options)
{
  g_autoptr (SluiceRegistry) registry = load_plugins (options);
  const GPtrArray *plugins = sluice_registry_get_plugins (registry);
  const GPtrArray *problems = sluice_registry_get_problems (registry);

  if (plugins->len == 0)
    printf ("no plugins found\n");
  for (guint i = 0; i < plugins->len; i++)
    {
      const SluicePluginInfo *info = g_ptr_array_index (plugins, i);
      const SluicePluginDescriptor *d = info->descriptor;

      printf ("%s %s\n", d->name, or_none (d->version));
      printf ("  license: %s\n", or_none (d->license));
      printf ("  file: %s\n", info->file);
      printf ("  description: %s\n", or_none (d->description));
      printf ("  elements:\n");
      for (size_t j = 0; d->elements[j] != NULL; j++)
        printf ("    %-10s %s\n", sluice_element_kind_get_name (d->elements[j]->kind),
                d->elements[j]->type_name);
    }
  if (problems->len > 0)
    {
      printf ("problems:\n");
      for (guint i = 0; i < problems->len; i++)
        printf ("  %s\n", ((const SluicePluginProblem *) g_ptr_array_index (problems, i))->message);
    }
  /* A broken plugin only matters to a configuration that uses it: listing is still a success. */
  return EXIT_SUCCESS;
}

static int
run_describe (const SluicedOptions *options)
{
  g_autoptr (SluiceRegistry) registry = load_plugins (options);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) schema = NULL;
  g_autofree char *text = NULL;

  schema = sluice_registry_describe_element (registry, options->describe_type, &error);
  if (schema == NULL)
    {
      g_printerr ("sluiced: %s\n", error->message);
      return EXIT_FAILURE;
    }
  text = json_to_string (schema, TRUE);
  printf ("%s\n", text);
  return EXIT_SUCCESS;
}

/* Configuration: --config paths, or else the installed configuration directory when it exists. */
static SluiceConfig *
load_config (const SluicedOptions *options, SluiceRegistry *registry,
             SluiceConfigDiagnostics *diagnostics, GError **error)
{
  const char *default_paths[] = { SLUICE_SYSCONFDIR, NULL };
  const char *const *paths = (const char *const *) options->config_paths;

  if (paths == NULL)
    {
      if (!g_file_test (SLUICE_SYSCONFDIR, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, SLUICE_CONFIG_ERROR, SLUICE_CONFIG_ERROR_IO,
                       "no configuration: give --config PATH (the default directory %s does not "
                       "exist)", SLUICE_SYSCONFDIR);
          return NULL;
        }
      paths = default_paths;
    }
  return sluice_config_load (registry, paths, options->secrets_file, NULL, diagnostics, error);
}

/* Every problem on stderr, one per line, then the summary. */
static int
report_config_errors (SluiceConfigDiagnostics *diagnostics, const GError *error)
{
  g_autofree char *problems = sluice_config_diagnostics_format (diagnostics);

  g_printerr ("%s", problems);
  g_printerr ("sluiced: %s\n", error->message);
  return EXIT_FAILURE;
}

static const char *
plural (guint n, const char *one, const char *many)
{
  return n == 1 ? one : many;
}

static int
run_check_config (const SluicedOptions *options)
{
  g_autoptr (SluiceRegistry) registry = load_plugins (options);
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = load_config (options, registry, diagnostics, &error);
  g_autoptr (SluiceEngine) engine = NULL;
  guint n, pipes, systems, files;

  if (config == NULL)
    return report_config_errors (diagnostics, error);
  /* Building the engine runs every element's create callback, which is where a plugin finds what
   * only it can check (a DTL rule that does not compile); nothing runs and no store is opened. */
  engine = sluice_engine_new (registry, config, NULL, diagnostics, &error);
  if (engine == NULL)
    return report_config_errors (diagnostics, error);
  n = sluice_config_get_components (config)->len;
  pipes = sluice_config_count (config, SLUICE_COMPONENT_PIPE);
  systems = sluice_config_count (config, SLUICE_COMPONENT_SYSTEM);
  files = sluice_config_get_n_files (config);
  printf ("configuration OK: %u %s (%u %s, %u %s) from %u %s\n", n,
          plural (n, "component", "components"), pipes, plural (pipes, "pipe", "pipes"), systems,
          plural (systems, "system", "systems"), files, plural (files, "file", "files"));
  return EXIT_SUCCESS;
}

static int
run_print_config (const SluicedOptions *options)
{
  g_autoptr (SluiceRegistry) registry = load_plugins (options);
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = load_config (options, registry, diagnostics, &error);
  g_autofree char *text = NULL;

  if (config == NULL)
    return report_config_errors (diagnostics, error);
  text = sluice_config_to_json (config, TRUE);
  printf ("%s\n", text);
  return EXIT_SUCCESS;
}

/* --once: progress on a terminal. */
typedef struct
{
  const char *pipe_id;
  gint64 started;
  gint64 last_print;
} OnceProgress;

static void
on_progress (SluicePipe *pipe, guint64 read, guint64 written, gpointer user_data)
{
  OnceProgress *progress = user_data;
  gint64 now = g_get_monotonic_time ();
  double seconds = (double) (now - progress->started) / G_USEC_PER_SEC;

  /* A few updates a second are enough for a human and cost nothing on a fast pipe. */
  if (now - progress->last_print < G_USEC_PER_SEC / 5)
    return;
  progress->last_print = now;
  g_printerr ("\r%s: %" G_GUINT64_FORMAT " read, %" G_GUINT64_FORMAT " written, %.0f entities/s ",
              progress->pipe_id, read, written, seconds > 0 ? (double) read / seconds : 0.0);
}

static void
print_run (const char *pipe_id, const SluiceRunStats *stats)
{
  double seconds = (double) (stats->finished - stats->started) / G_USEC_PER_SEC;

  printf ("%s: %s run %s: %" G_GUINT64_FORMAT " read, %" G_GUINT64_FORMAT " written, %"
          G_GUINT64_FORMAT " changed, %" G_GUINT64_FORMAT " %s, offset %s, %.3f s\n",
          pipe_id, sluice_run_type_to_string (stats->run_type),
          stats->error != NULL ? "failed" : "done", stats->entities_read, stats->entities_written,
          stats->changes, stats->batches_committed, plural ((guint) stats->batches_committed,
          "batch", "batches"), stats->since_after != NULL ? stats->since_after : "(none)",
          seconds);
}

/* Opens the store in @data_dir (creating the directory) and builds the engine on it.  On failure
 * the reason is printed and @ret_status holds the exit status. */
/* Opens the store in @data_dir, creating the directory; prints why not and returns NULL. */
static SluiceStoreBackend *
open_store (const char *data_dir)
{
  g_autoptr (GError) error = NULL;
  SluiceStoreBackend *store;

  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      g_printerr ("sluiced: cannot create the data directory %s: %s\n", data_dir,
                  g_strerror (errno));
      return NULL;
    }
  store = sluice_store_lmdb_open (data_dir, NULL, &error);
  if (store == NULL)
    {
      g_printerr ("sluiced: %s\n", error->message);
      return NULL;
    }
  /* What a push left held when sluiced died is rolled back before anything reads or writes. */
  if (!sluice_host_datasets_recover_holds (store, NULL, NULL, &error))
    {
      g_printerr ("sluiced: %s\n", error->message);
      sluice_store_backend_free (store);
      return NULL;
    }
  return store;
}

static gboolean
open_engine (const char *data_dir, SluiceRegistry *registry, SluiceConfig *config,
             SluiceConfigDiagnostics *diagnostics, SluiceStoreBackend **ret_store,
             SluiceEngine **ret_engine, int *ret_status)
{
  g_autoptr (GError) error = NULL;

  *ret_status = EXIT_FAILURE;
  *ret_store = open_store (data_dir);
  if (*ret_store == NULL)
    return FALSE;
  *ret_engine = sluice_engine_new (registry, config, *ret_store, diagnostics, &error);
  if (*ret_engine == NULL)
    {
      *ret_status = report_config_errors (diagnostics, error);
      return FALSE;
    }
  return TRUE;
}

/* The pipes --once runs: those named (each must exist and may not be "off"), or every enabled
 * pipe, in dependency order. */
static char **
select_once_pipes (const SluicedOptions *options, SluiceEngine *engine, GError **error)
{
  g_autoptr (GStrvBuilder) ids = g_strv_builder_new ();
  g_auto (GStrv) selected = NULL;

  if (options->once_pipes != NULL)
    {
      for (char **id = options->once_pipes; *id != NULL; id++)
        {
          const char *mode = sluice_engine_get_pump_mode (engine, *id);

          if (sluice_engine_lookup_pipe (engine, *id) == NULL)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "--once: the configuration has no pipe '%s'", *id);
              return NULL;
            }
          if (g_strcmp0 (mode, "off") == 0)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "--once: pipe '%s' has pump mode \"off\" and cannot be started", *id);
              return NULL;
            }
          g_strv_builder_add (ids, *id);
        }
    }
  else
    {
      const GPtrArray *pipes = sluice_engine_get_pipes (engine);

      for (guint i = 0; i < pipes->len; i++)
        {
          const char *id = sluice_pipe_get_id (g_ptr_array_index (pipes, i));

          if (sluice_engine_pipe_is_enabled (engine, id))
            g_strv_builder_add (ids, id);
        }
    }
  selected = g_strv_builder_end (ids);
  return sluice_pipe_graph_sort (sluice_engine_get_graph (engine), (const char *const *) selected,
                                 error);
}

static int
run_once (const SluicedOptions *options)
{
  g_autoptr (SluiceRegistry) registry = load_plugins (options);
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceConfig) config = load_config (options, registry, diagnostics, &error);
  g_autoptr (SluiceStoreBackend) store = NULL;
  g_autoptr (SluiceEngine) engine = NULL;
  g_autoptr (GPtrArray) failed = g_ptr_array_new ();
  g_auto (GStrv) order = NULL;
  const char *data_dir = options->data_dir != NULL ? options->data_dir : SLUICE_LOCALSTATEDIR;
  gboolean progress = isatty (STDERR_FILENO);
  int status;

  if (config == NULL)
    return report_config_errors (diagnostics, error);
  if (!open_engine (data_dir, registry, config, diagnostics, &store, &engine, &status))
    return status;
  order = select_once_pipes (options, engine, &error);
  if (order == NULL)
    {
      g_printerr ("sluiced: %s\n", error->message);
      return EXIT_FAILURE;
    }

  for (char **id = order; *id != NULL; id++)
    {
      SluicePipe *pipe = sluice_engine_lookup_pipe (engine, *id);
      OnceProgress state = { *id, g_get_monotonic_time (), 0 };
      g_autoptr (SluiceRunStats) stats = NULL;
      g_autoptr (GError) run_error = NULL;
      gulong handler = 0;

      if (progress)
        handler = g_signal_connect (pipe, "progress", G_CALLBACK (on_progress), &state);
      sluice_pipe_run_sync (pipe, SLUICE_RUN_TYPE_AUTO, NULL, &stats, &run_error);
      if (handler != 0)
        {
          g_signal_handler_disconnect (pipe, handler);
          if (state.last_print != 0)
            g_printerr ("\r\033[K");
        }
      if (stats != NULL)
        print_run (*id, stats);
      if (run_error != NULL)
        {
          g_printerr ("sluiced: pipe '%s' failed: %s\n", *id, run_error->message);
          g_ptr_array_add (failed, *id);
        }
    }
  if (failed->len > 0)
    {
      g_autoptr (GString) names = g_string_new (NULL);

      for (guint i = 0; i < failed->len; i++)
        g_string_append_printf (names, "%s%s", i > 0 ? ", " : "",
                                (const char *) g_ptr_array_index (failed, i));
      g_printerr ("sluiced: %u of %u %s failed: %s\n", failed->len, g_strv_length (order),
                  plural (g_strv_length (order), "pipe", "pipes"), names->str);
      return EXIT_FAILURE;
    }
  return EXIT_SUCCESS;
}

/* Daemon mode: without a one-shot action sluiced runs pipes on their schedules until SIGTERM or
 * SIGINT.  SluiceControl (sluice-control.h) owns the engine, the scheduler and the pumps; runs
 * execute on worker threads, so the main loop only dispatches timers, signals, control requests
 * and run results and stays responsive.  On SIGTERM scheduling stops and running runs are
 * cancelled; a run notices between batches, so its current batch is committed whole or not at
 * all.  sluiced waits for them, closes the store and exits 0. */
typedef struct
{
  SluiceControl *control;
  GMainLoop *loop;
} Daemon;

static void
on_control_stopped (SluiceControl *control, gpointer user_data)
{
  Daemon *daemon = user_data;

  g_main_loop_quit (daemon->loop);
}

static gboolean
on_stop_signal (gpointer user_data)
{
  Daemon *daemon = user_data;
  guint running = sluice_control_get_n_running (daemon->control);

  g_message ("stopping: waiting for %u running %s to stop after the current batch", running,
             plural (running, "pipe", "pipes"));
  sluice_control_shutdown (daemon->control);
  return G_SOURCE_CONTINUE;
}

/* SIGHUP: reload the configuration, as Manager.Reload () does (docs/dbus.md); a configuration
 * that does not validate is logged with its problems and the running one stays. */
static gboolean
on_reload_signal (gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autoptr (GError) error = NULL;

  if (sluice_control_reload (daemon->control, &error))
    g_message ("SIGHUP: reloading the configuration");
  else
    g_warning ("SIGHUP: reload refused: %s", error->message);
  return G_SOURCE_CONTINUE;
}

/* --bus: NULL and "none" are G_BUS_TYPE_NONE. */
static gboolean
parse_bus (const char *bus, GBusType *ret_bus_type)
{
  if (bus == NULL || g_str_equal (bus, "none"))
    *ret_bus_type = G_BUS_TYPE_NONE;
  else if (g_str_equal (bus, "session"))
    *ret_bus_type = G_BUS_TYPE_SESSION;
  else if (g_str_equal (bus, "system"))
    *ret_bus_type = G_BUS_TYPE_SYSTEM;
  else
    return FALSE;
  return TRUE;
}

static int
run_daemon (const SluicedOptions *options)
{
  g_autoptr (SluiceRegistry) registry = load_plugins (options);
  g_autoptr (SluiceConfigDiagnostics) diagnostics = sluice_config_diagnostics_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceStoreBackend) store = NULL;
  g_autoptr (SluiceControl) control = NULL;
  g_autoptr (SluiceHttpServer) http_server = NULL;
  g_autoptr (SluiceDbusService) dbus = NULL;
  g_autoptr (SluiceClock) clock = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  const char *data_dir = options->data_dir != NULL ? options->data_dir : SLUICE_LOCALSTATEDIR;
  const char *default_paths[] = { SLUICE_SYSCONFDIR, NULL };
  SluiceControlSettings settings = { 0 };
  Daemon daemon = { 0 };
  g_autoptr (GPtrArray) pipe_ids = NULL;
  guint sigterm, sigint, sighup, n_pipes;
  GBusType bus_type;

  if (options->max_concurrent_runs < 0)
    {
      g_printerr ("sluiced: --max-concurrent-runs: expected a number of runs of at least 1, got "
                  "%d\n", options->max_concurrent_runs);
      return 2;
    }
  if (!parse_bus (options->bus, &bus_type))
    {
      g_printerr ("sluiced: --bus '%s': expected session, system or none\n", options->bus);
      return 2;
    }
  if (options->config_paths == NULL && !g_file_test (SLUICE_SYSCONFDIR, G_FILE_TEST_IS_DIR))
    {
      g_printerr ("sluiced: no configuration: give --config PATH (the default directory %s does "
                  "not exist)\n", SLUICE_SYSCONFDIR);
      return EXIT_FAILURE;
    }
  store = open_store (data_dir);
  if (store == NULL)
    return EXIT_FAILURE;

  clock = sluice_clock_new ();
  settings.registry = registry;
  settings.config_paths = options->config_paths != NULL
                            ? (const char *const *) options->config_paths
                            : default_paths;
  settings.secrets_file = options->secrets_file;
  settings.store = store;
  settings.clock = clock;
  settings.max_concurrent = (guint) options->max_concurrent_runs;
  control = sluice_control_new (&settings, diagnostics, &error);
  if (control == NULL)
    return report_config_errors (diagnostics, error);
  if (options->http_address != NULL)
    {
      SluiceHttpSettings http = {
        .address = options->http_address,
        .tls_cert_file = options->http_tls_cert,
        .tls_key_file = options->http_tls_key,
        .max_body_size = (gsize) options->http_max_body,
        .push_budget = (gsize) options->http_push_budget,
      };

      http_server = sluice_http_server_new (control, &http, &error);
      if (http_server == NULL)
        {
          g_printerr ("sluiced: %s\n", error->message);
          return EXIT_FAILURE;
        }
    }
  if (bus_type != G_BUS_TYPE_NONE)
    {
      dbus = sluice_dbus_service_new_for_bus (control, bus_type, &error);
      if (dbus == NULL)
        {
          g_printerr ("sluiced: D-Bus: %s\n", error->message);
          return EXIT_FAILURE;
        }
    }

  loop = g_main_loop_new (NULL, FALSE);
  daemon.control = control;
  daemon.loop = loop;
  g_signal_connect (control, "stopped", G_CALLBACK (on_control_stopped), &daemon);
  sigterm = g_unix_signal_add (SIGTERM, on_stop_signal, &daemon);
  sigint = g_unix_signal_add (SIGINT, on_stop_signal, &daemon);
  sighup = g_unix_signal_add (SIGHUP, on_reload_signal, &daemon);

  pipe_ids = sluice_control_list_pipes (control);
  n_pipes = pipe_ids->len;
  g_message ("running %u %s from %s, at most %u at a time", n_pipes,
             plural (n_pipes, "pipe", "pipes"), data_dir,
             sluice_control_get_max_concurrent (control));
  sluice_control_activate (control);
  g_main_loop_run (loop);

  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_source_remove (sighup);
  g_signal_handlers_disconnect_by_data (control, &daemon);
  /* The API's streams read through the control: they end before it goes. */
  g_clear_pointer (&http_server, sluice_http_server_free);
  g_clear_pointer (&dbus, sluice_dbus_service_free);
  g_clear_object (&control);
  if (!sluice_store_backend_sync (store, &error))
    {
      g_printerr ("sluiced: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_message ("stopped");
  return EXIT_SUCCESS;
}

int
main (int argc, char **argv)
{
  g_auto (SluicedOptions) options = { 0 };
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");

  if (!parse_options (&argc, &argv, &options, &error))
    {
      g_printerr ("sluiced: %s (see sluiced --help)\n", error->message);
      return 2;
    }

  if (options.version)
    return run_version (&options);
  if (options.list_plugins)
    return run_list_plugins (&options);
  if (options.describe_type != NULL)
    return run_describe (&options);
  if (options.check_config)
    return run_check_config (&options);
  if (options.print_config)
    return run_print_config (&options);
  if ((options.http_tls_cert != NULL || options.http_tls_key != NULL
       || options.http_max_body != 0 || options.http_push_budget != 0)
      && options.http_address == NULL)
    {
      g_printerr ("sluiced: --http-tls-cert, --http-tls-key, --http-max-body and "
                  "--http-push-budget need --http (see sluiced --help)\n");
      return 2;
    }
  if (options.http_max_body < 0)
    {
      g_printerr ("sluiced: --http-max-body: expected a number of bytes of at least 1, got %"
                  G_GINT64_FORMAT "\n", options.http_max_body);
      return 2;
    }
  if (options.http_push_budget < 0)
    {
      g_printerr ("sluiced: --http-push-budget: expected a number of bytes of at least 1, got %"
                  G_GINT64_FORMAT "\n", options.http_push_budget);
      return 2;
    }
  if (options.once && options.http_address != NULL)
    {
      g_printerr ("sluiced: --http serves a running daemon: it cannot be combined with --once "
                  "(see sluiced --help)\n");
      return 2;
    }
  if (options.once)
    return run_once (&options);
  return run_daemon (&options);
}
