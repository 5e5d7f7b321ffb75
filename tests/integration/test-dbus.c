/* test-dbus.c — org.sluice.Sluice1 on a private bus, and sluicectl against it.
 *
 * Each test starts its own dbus-daemon (GTestDBus), a SluiceControl on an in-process engine
 * (engine-fixture) and the D-Bus service on one connection, and talks to it as a client would
 * from a second connection: every Manager and Pipe method, the properties and their
 * PropertiesChanged, the signals of runs, the D-Bus error names and messages.  sluicectl runs as a
 * subprocess against the same bus (DBUS_SESSION_BUS_ADDRESS is the private bus), and the test
 * checks its output and exit status.  Nothing sleeps: the test iterates the main context until
 * what it waits for arrived, with a deadline.
 *
 * Usage (from meson): test-dbus SLUICECTL
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "engine-fixture.h"
#include "sluice-clock.h"
#include "sluice-dbus-service.h"

#define TIMEOUT_S 60

static const char *sluicectl_path;

static const char config_text[]
    = "[\n"
      "  {\"_id\": \"numbers\", \"type\": \"pipe\", \"batch_size\": 10,\n"
      "   \"source\": {\"type\": \"test-sequence\", \"count\": 25},\n"
      "   \"pump\": {\"mode\": \"manual\"}},\n"
      "  {\"_id\": \"copy\", \"type\": \"pipe\",\n"
      "   \"source\": {\"type\": \"dataset\", \"dataset\": \"numbers\"},\n"
      "   \"pump\": {\"mode\": \"manual\"}},\n"
      "  {\"_id\": \"big\", \"type\": \"pipe\", \"batch_size\": 1,\n"
      "   \"source\": {\"type\": \"test-sequence\", \"count\": 100000000},\n"
      "   \"sink\": {\"type\": \"null\"},\n"
      "   \"pump\": {\"mode\": \"manual\"}},\n"
      "  {\"_id\": \"failing\", \"type\": \"pipe\", \"batch_size\": 10,\n"
      "   \"source\": {\"type\": \"test-sequence\", \"count\": 30},\n"
      "   \"sink\": {\"type\": \"test-fail-sink\", \"fail_at_batch\": 2},\n"
      "   \"pump\": {\"mode\": \"manual\"}},\n"
      "  {\"_id\": \"off\", \"type\": \"pipe\",\n"
      "   \"source\": {\"type\": \"test-sequence\"}, \"pump\": {\"mode\": \"off\"}},\n"
      "  {\"_id\": \"durable\", \"type\": \"pipe\", \"metadata\": {\"durable\": true},\n"
      "   \"source\": {\"type\": \"test-sequence\"}, \"pump\": {\"mode\": \"manual\"}},\n"
      "  {\"_id\": \"nightly\", \"type\": \"pipe\",\n"
      "   \"source\": {\"type\": \"test-sequence\"},\n"
      "   \"pump\": {\"cron_expression\": \"0 3 * * *\"}}\n"
      "]\n";

typedef struct
{
  EngineFixture *engine;
  char *config_path;
  GTestDBus *bus;
  SluiceClock *clock;
  SluiceControl *control;
  SluiceDbusService *service;
  GDBusConnection *service_connection;
  GDBusConnection *client;
  guint subscription;
  /* Every signal the client received: "<pipe or manager> <Member> <arguments>". */
  GPtrArray *events;
  GArray *progress_times; /* monotonic µs of each Progress signal */
} Fixture;

/* ---- Waiting -------------------------------------------------------------------------------- */

static gboolean
wake (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @expr holds, failing the test after TIMEOUT_S. */
#define WAIT_UNTIL(expr)                                                                           \
  do                                                                                               \
    {                                                                                              \
      gint64 deadline_ = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;                     \
      guint waker_ = g_timeout_add (100, wake, NULL);                                              \
      while (!(expr))                                                                              \
        {                                                                                          \
          if (g_get_monotonic_time () > deadline_)                                                 \
            fail_msg ("timed out waiting for %s", #expr);                                          \
          g_main_context_iteration (NULL, TRUE);                                                   \
        }                                                                                          \
      g_source_remove (waker_);                                                                    \
    }                                                                                              \
  while (0)

/* ---- Calls ---------------------------------------------------------------------------------- */

typedef struct
{
  gboolean done;
  GVariant *reply;
  GError *error;
} CallResult;

static void
on_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CallResult *call = user_data;

  call->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &call->error);
  call->done = TRUE;
}

/* Calls @method and returns its reply, or NULL with @error.  The service answers on this same
 * main context, so the call is asynchronous and the context iterated meanwhile. */
static GVariant *
try_call (Fixture *f, const char *path, const char *interface, const char *method,
          GVariant *parameters, const char *reply_type, GError **error)
{
  CallResult call = { 0 };

  g_dbus_connection_call (f->client, SLUICE_DBUS_NAME, path, interface, method, parameters,
                          reply_type != NULL ? G_VARIANT_TYPE (reply_type) : NULL,
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_call_done, &call);
  WAIT_UNTIL (call.done);
  if (call.error != NULL)
    g_propagate_error (error, call.error);
  return call.reply;
}

static GVariant *
call (Fixture *f, const char *path, const char *interface, const char *method, GVariant *parameters,
      const char *reply_type)
{
  g_autoptr (GError) error = NULL;
  GVariant *reply = try_call (f, path, interface, method, parameters, reply_type, &error);

  if (reply == NULL)
    fail_msg ("%s.%s on %s: %s", interface, method, path, error->message);
  return reply;
}

static char *
pipe_path (const char *pipe_id)
{
  return sluice_dbus_pipe_path (pipe_id);
}

static GVariant *
call_pipe (Fixture *f, const char *pipe_id, const char *method, GVariant *parameters,
           const char *reply_type)
{
  g_autofree char *path = pipe_path (pipe_id);

  return call (f, path, SLUICE_DBUS_PIPE_INTERFACE, method, parameters, reply_type);
}

/* Calls a pipe method that must fail; checks the D-Bus error name and the message. */
static void
assert_pipe_error (Fixture *f, const char *pipe_id, const char *method, GVariant *parameters,
                   const char *error_name, const char *message)
{
  g_autofree char *path = pipe_path (pipe_id);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *remote = NULL;

  reply = try_call (f, path, SLUICE_DBUS_PIPE_INTERFACE, method, parameters, NULL, &error);
  assert_null (reply);
  remote = g_dbus_error_get_remote_error (error);
  assert_string_equal (remote, error_name);
  g_dbus_error_strip_remote_error (error);
  if (message != NULL)
    assert_string_equal (error->message, message);
}

static void
assert_manager_error (Fixture *f, const char *method, GVariant *parameters, const char *error_name,
                      const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *remote = NULL;

  reply = try_call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, method, parameters, NULL,
                    &error);
  assert_null (reply);
  remote = g_dbus_error_get_remote_error (error);
  assert_string_equal (remote, error_name);
  g_dbus_error_strip_remote_error (error);
  if (message != NULL)
    assert_string_equal (error->message, message);
}

static GVariant *
get_property (Fixture *f, const char *pipe_id, const char *name)
{
  g_autofree char *path = pipe_path (pipe_id);
  g_autoptr (GVariant) reply = NULL;
  GVariant *value;

  reply = call (f, path, "org.freedesktop.DBus.Properties", "Get",
                g_variant_new ("(ss)", SLUICE_DBUS_PIPE_INTERFACE, name), "(v)");
  g_variant_get (reply, "(v)", &value);
  return value;
}

static char *
get_string_property (Fixture *f, const char *pipe_id, const char *name)
{
  g_autoptr (GVariant) value = get_property (f, pipe_id, name);

  return g_variant_dup_string (value, NULL);
}

static guint64
get_run_counter (GVariant *run, const char *key)
{
  guint64 value = G_MAXUINT64;

  assert_true (g_variant_lookup (run, key, "t", &value));
  return value;
}

/* ---- Events --------------------------------------------------------------------------------- */

static void
on_signal (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
           const char *member, GVariant *parameters, gpointer user_data)
{
  Fixture *f = user_data;
  const char *who = g_str_has_prefix (path, SLUICE_DBUS_PIPE_PATH_PREFIX)
                        ? path + strlen (SLUICE_DBUS_PIPE_PATH_PREFIX)
                        : "manager";
  g_autofree char *arguments = g_variant_print (parameters, FALSE);

  if (g_str_equal (member, "Progress"))
    {
      gint64 now = g_get_monotonic_time ();

      g_array_append_val (f->progress_times, now);
    }
  g_ptr_array_add (f->events, g_strdup_printf ("%s %s %s", who, member, arguments));
  if (g_getenv ("TEST_DBUS_VERBOSE") != NULL)
    g_printerr ("signal: %s\n", (char *)g_ptr_array_index (f->events, f->events->len - 1));
}

/* The index of the first event from @from on that starts with @prefix, or -1. */
static int
find_event (Fixture *f, guint from, const char *prefix)
{
  for (guint i = from; i < f->events->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (f->events, i), prefix))
      return (int)i;
  return -1;
}

/* Whether an event that starts with @prefix contains @part. */
static gboolean
has_event_with (Fixture *f, const char *prefix, const char *part)
{
  for (int i = find_event (f, 0, prefix); i >= 0; i = find_event (f, (guint)i + 1, prefix))
    if (strstr (g_ptr_array_index (f->events, i), part) != NULL)
      return TRUE;
  return FALSE;
}

static const char *
event (Fixture *f, int index)
{
  assert_true (index >= 0);
  return g_ptr_array_index (f->events, index);
}

/* ---- Setup ---------------------------------------------------------------------------------- */

static void
write_config (Fixture *f, const char *text)
{
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents (f->config_path, text, -1, &error))
    fail_msg ("%s", error->message);
}

static GDBusConnection *
connect_bus (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection = g_dbus_connection_new_for_address_sync (
      g_test_dbus_get_bus_address (f->bus),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);

  if (connection == NULL)
    fail_msg ("connecting to the test bus: %s", error->message);
  return connection;
}

static void
start_service (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  f->service = sluice_dbus_service_new (f->control, f->service_connection, &error);
  if (f->service == NULL)
    fail_msg ("%s", error->message);
}

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  void *engine_state = NULL;
  g_autoptr (GError) error = NULL;
  const char *paths[2] = { NULL, NULL };
  SluiceControlSettings settings = { 0 };

  engine_fixture_setup (&engine_state);
  f->engine = engine_state;
  {
    /* For a transform with side effects (test_preview_side_effects). */
    g_autofree char *http
        = g_build_filename (g_getenv ("SLUICE_TEST_BUILDDIR"), "plugins", "sluice-http.so", NULL);

    if (!sluice_registry_load_file (f->engine->registry, http, &error))
      fail_msg ("%s", error->message);
  }
  f->config_path = g_build_filename (f->engine->dir, "config.json", NULL);
  write_config (f, config_text);
  f->events = g_ptr_array_new_with_free_func (g_free);
  f->progress_times = g_array_new (FALSE, FALSE, sizeof (gint64));

  f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (f->bus);
  f->service_connection = connect_bus (f);
  f->client = connect_bus (f);

  f->clock = sluice_clock_new ();
  paths[0] = f->config_path;
  settings.registry = f->engine->registry;
  settings.config_paths = paths;
  settings.store = f->engine->store;
  settings.clock = f->clock;
  f->control = sluice_control_new (&settings, NULL, &error);
  if (f->control == NULL)
    fail_msg ("%s", error->message);
  sluice_control_activate (f->control);
  start_service (f);

  f->subscription
      = g_dbus_connection_signal_subscribe (f->client, SLUICE_DBUS_NAME, NULL, NULL, NULL, NULL,
                                            G_DBUS_SIGNAL_FLAGS_NONE, on_signal, f, NULL);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;
  void *engine_state = f->engine;

  g_dbus_connection_signal_unsubscribe (f->client, f->subscription);
  g_clear_pointer (&f->service, sluice_dbus_service_free);
  sluice_control_shutdown (f->control);
  WAIT_UNTIL (sluice_control_is_stopped (f->control));
  g_clear_object (&f->control);
  g_clear_object (&f->clock);
  g_dbus_connection_close_sync (f->client, NULL, NULL);
  g_dbus_connection_close_sync (f->service_connection, NULL, NULL);
  g_clear_object (&f->client);
  g_clear_object (&f->service_connection);
  g_test_dbus_down (f->bus);
  g_clear_object (&f->bus);
  /* Finish what the closed connections still had queued. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  engine_fixture_teardown (&engine_state);
  g_ptr_array_unref (f->events);
  g_array_unref (f->progress_times);
  g_free (f->config_path);
  g_free (f);
  return 0;
}

/* ---- Manager -------------------------------------------------------------------------------- */

static void
test_manager (void **state)
{
  Fixture *f = *state;
  g_autoptr (GVariant) pipes = NULL;
  g_autoptr (GVariant) path = NULL;
  g_autoptr (GVariant) version = NULL;
  g_autoptr (GVariant) objects = NULL;
  g_autoptr (GVariant) config = NULL;
  g_autofree char *pipes_text = NULL;
  const char *config_json;

  pipes = call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "ListPipes", NULL, "(a(so))");
  pipes_text = g_variant_print (pipes, FALSE);
  assert_string_equal (pipes_text, "([('numbers', '/org/sluice/Sluice1/pipe/numbers'), "
                                   "('copy', '/org/sluice/Sluice1/pipe/copy'), "
                                   "('big', '/org/sluice/Sluice1/pipe/big'), "
                                   "('failing', '/org/sluice/Sluice1/pipe/failing'), "
                                   "('off', '/org/sluice/Sluice1/pipe/off'), "
                                   "('durable', '/org/sluice/Sluice1/pipe/durable'), "
                                   "('nightly', '/org/sluice/Sluice1/pipe/nightly')],)");

  path = call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "GetPipe",
               g_variant_new ("(s)", "copy"), "(o)");
  {
    const char *object_path;

    g_variant_get (path, "(&o)", &object_path);
    assert_string_equal (object_path, "/org/sluice/Sluice1/pipe/copy");
  }
  assert_manager_error (f, "GetPipe", g_variant_new ("(s)", "nope"),
                        "org.sluice.Sluice1.Error.NotFound", "no pipe 'nope'");

  version = call (f, SLUICE_DBUS_PATH, "org.freedesktop.DBus.Properties", "Get",
                  g_variant_new ("(ss)", SLUICE_DBUS_MANAGER_INTERFACE, "Version"), "(v)");
  {
    g_autofree char *text = g_variant_print (version, FALSE);

    assert_string_equal (text, "(<'0.1.0'>,)");
  }

  /* Every pipe with its properties in one call. */
  objects = call (f, SLUICE_DBUS_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                  NULL, "(a{oa{sa{sv}}})");
  {
    g_autoptr (GVariant) dict = g_variant_get_child_value (objects, 0);
    g_autoptr (GVariant) interfaces = NULL;
    g_autoptr (GVariant) props = NULL;
    const char *mode = NULL;

    assert_int_equal (g_variant_n_children (dict), 7);
    interfaces = g_variant_lookup_value (dict, "/org/sluice/Sluice1/pipe/off", NULL);
    assert_non_null (interfaces);
    props = g_variant_lookup_value (interfaces, SLUICE_DBUS_PIPE_INTERFACE, NULL);
    assert_true (g_variant_lookup (props, "Mode", "&s", &mode));
    assert_string_equal (mode, "off");
  }

  config
      = call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "GetExpandedConfig", NULL, "(s)");
  g_variant_get (config, "(&s)", &config_json);
  assert_non_null (strstr (config_json, "\"numbers\""));
  assert_non_null (strstr (config_json, "\"test-fail-sink\""));
}

/* ---- A run: signals, properties, datasets --------------------------------------------------- */

static void
test_run_signals_and_properties (void **state)
{
  Fixture *f = *state;
  g_autoptr (GVariant) last_run = NULL;
  g_autoptr (GVariant) dataset = NULL;
  g_autoptr (GVariant) datasets = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *offset = NULL;
  g_autofree char *run_state = NULL;
  g_autofree char *datasets_text = NULL;
  guint64 n = 0;
  int started, finished;

  g_variant_unref (call_pipe (f, "numbers", "Start", NULL, NULL));
  WAIT_UNTIL (find_event (f, 0, "numbers RunFinished") >= 0);

  started = find_event (f, 0, "numbers RunStarted");
  finished = find_event (f, 0, "numbers RunFinished");
  assert_string_equal (event (f, started), "numbers RunStarted ('full',)");
  assert_true (started < finished);
  assert_non_null (strstr (event (f, finished), "'entities_read': <uint64 25>"));
  assert_non_null (strstr (event (f, finished), "'entities_written': <uint64 25>"));
  assert_non_null (strstr (event (f, finished), "'batches_committed': <uint64 3>"));
  assert_non_null (strstr (event (f, finished), "'since_after': <'24'>"));
  /* The properties followed the run: running, then idle with the new offset. */
  assert_true (has_event_with (f, "numbers PropertiesChanged", "'State': <'running'>"));
  /* PropertiesChanged coalesces the changes of one main-loop turn, after the run's end. */
  WAIT_UNTIL (has_event_with (f, "numbers PropertiesChanged", "'State': <'idle'>"));
  assert_true (has_event_with (f, "numbers PropertiesChanged", "'Offset': <'24'>"));

  offset = get_string_property (f, "numbers", "Offset");
  assert_string_equal (offset, "24");
  run_state = get_string_property (f, "numbers", "State");
  assert_string_equal (run_state, "idle");
  last_run = get_property (f, "numbers", "LastRun");
  assert_int_equal (get_run_counter (last_run, "entities_read"), 25);
  assert_int_equal (get_run_counter (last_run, "changes"), 25);
  {
    g_autoptr (GVariant) runs = get_property (f, "numbers", "RunsSucceeded");

    assert_int_equal (g_variant_get_uint64 (runs), 1);
  }

  /* The dataset it wrote. */
  dataset = call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "GetDataset",
                  g_variant_new ("(s)", "numbers"), "(a{sv})");
  {
    g_autoptr (GVariant) dict = g_variant_get_child_value (dataset, 0);
    const char *writer = NULL;
    gboolean populated = FALSE;

    assert_true (g_variant_lookup (dict, "entity_count", "t", &n));
    assert_int_equal (n, 25);
    assert_true (g_variant_lookup (dict, "writer", "&s", &writer));
    assert_string_equal (writer, "numbers");
    assert_true (g_variant_lookup (dict, "populated", "b", &populated));
    assert_true (populated);
  }
  assert_manager_error (f, "GetDataset", g_variant_new ("(s)", "nope"),
                        "org.sluice.Sluice1.Error.NotFound", NULL);

  datasets
      = call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "ListDatasets", NULL, "(aa{sv})");
  datasets_text = g_variant_print (datasets, FALSE);
  assert_non_null (strstr (datasets_text, "'id': <'numbers'>"));
  assert_non_null (strstr (datasets_text, "'id': <'system:pump_execution:numbers'>"));

  /* Its entities, after an offset, limited. */
  reply = call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "GetEntities",
                g_variant_new ("(sxta{sv})", "numbers", (gint64)20, (guint64)2, NULL), "(s)");
  {
    const char *json;
    g_autoptr (JsonParser) parser = json_parser_new ();
    JsonArray *array;

    g_variant_get (reply, "(&s)", &json);
    assert_true (json_parser_load_from_data (parser, json, -1, NULL));
    array = json_node_get_array (json_parser_get_root (parser));
    assert_int_equal (json_array_get_length (array), 2);
    assert_string_equal (
        json_object_get_string_member (json_array_get_object_element (array, 0), "_id"), "e21");
    assert_int_equal (
        json_object_get_int_member (json_array_get_object_element (array, 1), "_updated"), 22);
  }
  assert_manager_error (
      f, "GetEntities",
      g_variant_new_parsed ("('numbers', int64 -1, uint64 0, {'histroy': <true>})"),
      "org.sluice.Sluice1.Error.InvalidArgument",
      "GetEntities: unknown option 'histroy' (expected history, deleted or "
      "uncommitted)");
  assert_manager_error (f, "GetEntities",
                        g_variant_new_parsed ("('numbers', int64 -1, uint64 0, {'history': <1>})"),
                        "org.sluice.Sluice1.Error.InvalidArgument",
                        "GetEntities: option 'history' is of type 'i', expected a boolean ('b')");
  assert_manager_error (f, "GetEntities",
                        g_variant_new ("(sxta{sv})", "nope", (gint64)-1, (guint64)0, NULL),
                        "org.sluice.Sluice1.Error.NotFound", NULL);

  /* A second run is incremental and reads nothing new. */
  g_variant_unref (call_pipe (f, "numbers", "Start", NULL, NULL));
  WAIT_UNTIL (find_event (f, (guint)finished + 1, "numbers RunFinished") >= 0);
  assert_true (find_event (f, (guint)finished, "numbers RunStarted ('incremental',)") >= 0);
}

/* ---- Pipe operations and their errors ------------------------------------------------------- */

static void
test_offsets (void **state)
{
  Fixture *f = *state;
  g_autofree char *offset = NULL;
  g_autofree char *after_reset = NULL;
  g_autofree char *copy_offset = NULL;
  g_autofree char *after_delete = NULL;

  g_variant_unref (
      call_pipe (f, "numbers", "SetOffset", g_variant_new ("(sb)", "10", FALSE), NULL));
  offset = get_string_property (f, "numbers", "Offset");
  assert_string_equal (offset, "10");
  WAIT_UNTIL (find_event (f, 0,
                          "numbers PropertiesChanged ('org.sluice.Sluice1.Pipe', "
                          "{'Offset': <'10'>}")
              >= 0);
  assert_pipe_error (f, "numbers", "SetOffset", g_variant_new ("(sb)", "{not json", FALSE),
                     "org.sluice.Sluice1.Error.InvalidArgument", NULL);

  g_variant_unref (call_pipe (f, "numbers", "Reset", g_variant_new ("(b)", FALSE), NULL));
  after_reset = get_string_property (f, "numbers", "Offset");
  assert_string_equal (after_reset, "");

  assert_pipe_error (f, "durable", "Reset", g_variant_new ("(b)", FALSE),
                     "org.sluice.Sluice1.Error.Refused", NULL);
  g_variant_unref (call_pipe (f, "durable", "Reset", g_variant_new ("(b)", TRUE), NULL));

  assert_pipe_error (f, "numbers", "SetOffsetToEnd", g_variant_new ("(b)", FALSE),
                     "org.sluice.Sluice1.Error.NotSupported", NULL);
  /* A dataset source knows its end: the last offset of "numbers" once it has entities. */
  g_variant_unref (call_pipe (f, "numbers", "Start", NULL, NULL));
  WAIT_UNTIL (find_event (f, 0, "numbers RunFinished") >= 0);
  g_variant_unref (call_pipe (f, "copy", "SetOffsetToEnd", g_variant_new ("(b)", FALSE), NULL));
  copy_offset = get_string_property (f, "copy", "Offset");
  assert_string_equal (copy_offset, "24");

  /* Nothing waits for a retry: discarding succeeds and changes nothing. */
  g_variant_unref (call_pipe (f, "numbers", "DiscardRetries", NULL, NULL));

  /* Deleting a dataset resets its writer's offset; a durable writer needs force. */
  assert_manager_error (f, "DeleteDataset", g_variant_new ("(sb)", "nope", FALSE),
                        "org.sluice.Sluice1.Error.NotFound", NULL);
  g_variant_unref (call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "DeleteDataset",
                         g_variant_new ("(sb)", "numbers", FALSE), NULL));
  after_delete = get_string_property (f, "numbers", "Offset");
  assert_string_equal (after_delete, "");
  assert_manager_error (f, "DeleteDataset", g_variant_new ("(sb)", "numbers", FALSE),
                        "org.sluice.Sluice1.Error.NotFound", NULL);
}

static void
test_enable_disable (void **state)
{
  Fixture *f = *state;
  g_autoptr (GVariant) enabled = NULL;
  g_autoptr (GVariant) next_start = NULL;
  g_autoptr (GVariant) enabled_again = NULL;

  /* A pump on cron has its next start armed. */
  next_start = get_property (f, "nightly", "NextStart");
  assert_true (g_variant_get_int64 (next_start) > 0);

  g_variant_unref (call_pipe (f, "nightly", "Disable", g_variant_new ("(s)", "maintenance"), NULL));
  enabled = get_property (f, "nightly", "Enabled");
  assert_false (g_variant_get_boolean (enabled));
  WAIT_UNTIL (find_event (f, 0, "nightly PropertiesChanged") >= 0);
  assert_non_null (
      strstr (event (f, find_event (f, 0, "nightly PropertiesChanged")), "'Enabled': <false>"));
  {
    g_autofree char *state_word = get_string_property (f, "nightly", "State");

    assert_string_equal (state_word, "disabled");
  }
  g_variant_unref (call_pipe (f, "nightly", "Enable", g_variant_new ("(s)", ""), NULL));
  enabled_again = get_property (f, "nightly", "Enabled");
  assert_true (g_variant_get_boolean (enabled_again));
}

static void
test_errors (void **state)
{
  Fixture *f = *state;
  g_autofree char *failed_state = NULL;
  int failed;

  assert_pipe_error (f, "off", "Start", NULL, "org.sluice.Sluice1.Error.Off", NULL);

  /* The names are registered with GDBus: a client in this process gets the control error back. */
  {
    g_autofree char *path = pipe_path ("off");
    g_autoptr (GError) error = NULL;
    g_autoptr (GVariant) reply = try_call (f, path, SLUICE_DBUS_PIPE_INTERFACE, "Start", NULL,
                                           NULL, &error);

    assert_null (reply);
    assert_true (g_error_matches (error, SLUICE_CONTROL_ERROR, SLUICE_CONTROL_ERROR_OFF));
  }

  /* A failing run: RunFailed with the element's message, state "failed". */
  g_variant_unref (call_pipe (f, "failing", "Start", NULL, NULL));
  WAIT_UNTIL (find_event (f, 0, "failing RunFailed") >= 0);
  failed = find_event (f, 0, "failing RunFailed");
  assert_non_null (strstr (event (f, failed), "failed in batch 2"));
  assert_non_null (strstr (event (f, failed), "'batches_committed': <uint64 1>"));
  failed_state = get_string_property (f, "failing", "State");
  assert_string_equal (failed_state, "failed");

  /* Unknown objects are not there at all. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GVariant) reply = try_call (f, SLUICE_DBUS_PIPE_PATH_PREFIX "nope",
                                           SLUICE_DBUS_PIPE_INTERFACE, "Start", NULL, NULL, &error);

    assert_null (reply);
    assert_non_null (error);
  }
}

/* Busy, Stop, and Progress at most five times a second while batches commit far more often. */
static void
test_stop_and_progress (void **state)
{
  Fixture *f = *state;
  g_autoptr (GVariant) current = NULL;
  int failed;

  g_variant_unref (call_pipe (f, "big", "Start", NULL, NULL));
  WAIT_UNTIL (f->progress_times->len >= 4);
  assert_pipe_error (f, "big", "Start", NULL, "org.sluice.Sluice1.Error.Busy", NULL);
  assert_pipe_error (f, "big", "Reset", g_variant_new ("(b)", FALSE),
                     "org.sluice.Sluice1.Error.Busy", NULL);
  current = get_property (f, "big", "CurrentRead");
  g_variant_unref (call_pipe (f, "big", "Stop", NULL, NULL));
  WAIT_UNTIL (find_event (f, 0, "big RunFailed") >= 0);
  failed = find_event (f, 0, "big RunFailed");

  for (guint i = 1; i < f->progress_times->len; i++)
    {
      gint64 gap = g_array_index (f->progress_times, gint64, i)
                   - g_array_index (f->progress_times, gint64, i - 1);

      /* Signals may reach us closer together than they were sent; allow for it a little. */
      assert_true (gap >= SLUICE_DBUS_PROGRESS_INTERVAL_US / 2);
    }
  /* One batch is one entity here: many more batches than signals. */
  assert_true (g_variant_get_uint64 (current) > 4 * f->progress_times->len);
  /* Nothing follows the end of the run. */
  assert_int_equal (find_event (f, (guint)failed, "big Progress"), -1);
  {
    g_autoptr (GVariant) running = get_property (f, "big", "Running");
    g_autoptr (GVariant) read = get_property (f, "big", "CurrentRead");

    assert_false (g_variant_get_boolean (running));
    assert_int_equal (g_variant_get_uint64 (read), 0);
  }
}

static void
test_preview (void **state)
{
  Fixture *f = *state;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = pipe_path ("numbers");

  assert_pipe_error (f, "numbers", "Preview", g_variant_new ("(u)", 0),
                     "org.sluice.Sluice1.Error.InvalidArgument", NULL);
  reply = try_call (f, path, SLUICE_DBUS_PIPE_INTERFACE, "Preview", g_variant_new ("(u)", 3), "(s)",
                    &error);
  if (reply == NULL)
    {
      /* The pipe reader that preview uses may not be built yet; its error must still be a
       * named one. */
      g_autofree char *remote = g_dbus_error_get_remote_error (error);

      assert_true (g_str_has_prefix (remote, "org.sluice.Sluice1.Error."));
      return;
    }
  {
    const char *json;
    g_autoptr (JsonParser) parser = json_parser_new ();
    JsonArray *array;

    g_variant_get (reply, "(&s)", &json);
    assert_true (json_parser_load_from_data (parser, json, -1, NULL));
    array = json_node_get_array (json_parser_get_root (parser));
    assert_int_equal (json_array_get_length (array), 3);
    assert_string_equal (
        json_object_get_string_member (json_array_get_object_element (array, 0), "_id"), "e0");
  }
  /* Nothing was written. */
  assert_manager_error (f, "GetDataset", g_variant_new ("(s)", "numbers"),
                        "org.sluice.Sluice1.Error.NotFound", NULL);
}

/* A transform with side effects (an http transform) is never run by a preview. */
static void
test_preview_side_effects (void **state)
{
  Fixture *f = *state;

  write_config (f, "[{\"_id\": \"api\", \"type\": \"system:url\",\n"
                   "  \"url_pattern\": \"http://127.0.0.1:9/%s\"},\n"
                   " {\"_id\": \"effects\", \"type\": \"pipe\", \"pump\": {\"mode\": "
                   "\"manual\"},\n"
                   "  \"source\": {\"type\": \"test-sequence\"},\n"
                   "  \"transform\": {\"type\": \"http\", \"system\": \"api\", \"url\": "
                   "\"x\"}}]\n");
  g_variant_unref (call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "Reload", NULL, NULL));
  WAIT_UNTIL (find_event (f, 0, "manager Reloaded") >= 0);
  assert_pipe_error (f, "effects", "Preview", g_variant_new ("(u)", 1),
                     "org.sluice.Sluice1.Error.NotSupported", NULL);
}

static void
test_breakers (void **state)
{
  Fixture *f = *state;

  assert_manager_error (f, "CommitCircuitBreaker", g_variant_new ("(s)", "numbers"),
                        "org.sluice.Sluice1.Error.NotFound", NULL);
  assert_manager_error (f, "RollbackCircuitBreaker", g_variant_new ("(s)", "numbers"),
                        "org.sluice.Sluice1.Error.NotFound", NULL);
}

static const char *const breaker_config
    = "[{\"_id\": \"guarded\", \"type\": \"pipe\", \"pump\": {\"mode\": \"manual\"},\n"
      "  \"source\": {\"type\": \"test-sequence\", \"count\": 5, \"value\": \"%s\"},\n"
      "  \"sink\": {\"type\": \"dataset\", \"circuit_breaker_threshold_count\": 2}}]\n";

/* A run that writes more than the breaker allows trips it: BreakerTripped, state "tripped", no
 * start until an operator commits through the Manager. */
static void
test_breaker_tripped (void **state)
{
  Fixture *f = *state;
  g_autofree char *first = g_strdup_printf (breaker_config, "v");
  g_autofree char *second = g_strdup_printf (breaker_config, "w");
  g_autofree char *tripped_state = NULL;
  g_autofree char *idle_state = NULL;
  g_autoptr (GVariant) tripped = NULL;
  int reloaded;

  write_config (f, first);
  g_variant_unref (call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "Reload", NULL, NULL));
  WAIT_UNTIL (find_event (f, 0, "manager Reloaded") >= 0);
  g_variant_unref (call_pipe (f, "guarded", "Start", NULL, NULL));
  WAIT_UNTIL (find_event (f, 0, "guarded RunFinished") >= 0);

  /* Five changed entities where two are allowed. */
  write_config (f, second);
  g_variant_unref (call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "Reload", NULL, NULL));
  reloaded = find_event (f, 0, "manager Reloaded");
  WAIT_UNTIL (find_event (f, (guint)reloaded + 1, "manager Reloaded") >= 0);
  g_variant_unref (call_pipe (f, "guarded", "Rescan", NULL, NULL));
  WAIT_UNTIL (find_event (f, 0, "guarded RunFailed") >= 0);
  WAIT_UNTIL (find_event (f, 0, "guarded BreakerTripped") >= 0);
  tripped_state = get_string_property (f, "guarded", "State");
  assert_string_equal (tripped_state, "tripped");
  tripped = get_property (f, "guarded", "BreakerTripped");
  assert_true (g_variant_get_boolean (tripped));
  assert_pipe_error (f, "guarded", "Start", NULL, "org.sluice.Sluice1.Error.Refused", NULL);

  g_variant_unref (call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "CommitCircuitBreaker",
                         g_variant_new ("(s)", "guarded"), NULL));
  WAIT_UNTIL (has_event_with (f, "guarded PropertiesChanged", "'BreakerTripped': <false>"));
  idle_state = get_string_property (f, "guarded", "State");
  assert_string_not_equal (idle_state, "tripped");
  assert_manager_error (f, "CommitCircuitBreaker", g_variant_new ("(s)", "guarded"),
                        "org.sluice.Sluice1.Error.NotFound", NULL);
}

static const char reloaded_config[]
    = "[\n"
      "  {\"_id\": \"numbers\", \"type\": \"pipe\",\n"
      "   \"source\": {\"type\": \"test-sequence\", \"count\": 5},\n"
      "   \"pump\": {\"mode\": \"manual\"}},\n"
      "  {\"_id\": \"extra.pipe\", \"type\": \"pipe\",\n"
      "   \"source\": {\"type\": \"test-sequence\"}, \"pump\": {\"mode\": \"manual\"}}\n"
      "]\n";

static void
test_reload (void **state)
{
  Fixture *f = *state;
  g_autoptr (GVariant) pipes = NULL;
  g_autoptr (GVariant) path = NULL;
  g_autofree char *pipes_text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) refused = NULL;
  g_autofree char *remote = NULL;

  /* A configuration that does not validate is refused with its problems. */
  write_config (f, "[{\"_id\": \"numbers\", \"type\": \"pipe\", \"source\": {\"type\": 7}}]");
  refused
      = try_call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "Reload", NULL, NULL, &error);
  assert_null (refused);
  remote = g_dbus_error_get_remote_error (error);
  assert_string_equal (remote, "org.sluice.Sluice1.Error.InvalidConfig");
  assert_non_null (strstr (error->message, "config.json"));
  assert_non_null (strstr (error->message, "/source/type"));
  assert_non_null (strstr (error->message, "the running configuration stays"));

  write_config (f, reloaded_config);
  g_variant_unref (call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "Reload", NULL, NULL));
  WAIT_UNTIL (find_event (f, 0, "manager Reloaded") >= 0);
  assert_true (find_event (f, 0, "manager InterfacesAdded ('/org/sluice/Sluice1/pipe/extra_2epipe'")
               >= 0);
  assert_true (find_event (f, 0, "manager InterfacesRemoved ('/org/sluice/Sluice1/pipe/copy'")
               >= 0);
  pipes = call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "ListPipes", NULL, "(a(so))");
  pipes_text = g_variant_print (pipes, FALSE);
  assert_string_equal (pipes_text, "([('numbers', '/org/sluice/Sluice1/pipe/numbers'), "
                                   "('extra.pipe', '/org/sluice/Sluice1/pipe/extra_2epipe')],)");
  path = call (f, SLUICE_DBUS_PATH, SLUICE_DBUS_MANAGER_INTERFACE, "GetPipe",
               g_variant_new ("(s)", "extra.pipe"), "(o)");

  /* The new pipe runs; the old one is gone. */
  g_variant_unref (call_pipe (f, "extra.pipe", "Start", NULL, NULL));
  WAIT_UNTIL (find_event (f, 0, "extra_2epipe RunFinished") >= 0);
  assert_manager_error (f, "GetPipe", g_variant_new ("(s)", "copy"),
                        "org.sluice.Sluice1.Error.NotFound", "no pipe 'copy'");
}

/* ---- sluicectl ------------------------------------------------------------------------------ */

typedef struct
{
  gboolean done;
  char *out;
  char *err;
} Communicated;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Communicated *c = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, &c->err,
                                             &error))
    fail_msg ("sluicectl: %s", error->message);
  c->done = TRUE;
}

static GSubprocessLauncher *
sluicectl_launcher (Fixture *f, GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                g_test_dbus_get_bus_address (f->bus), TRUE);
  g_subprocess_launcher_setenv (launcher, "SLUICE_BUS", "session", TRUE);
  return launcher;
}

/* Runs sluicectl with the arguments (NULL-terminated); its exit status, stdout and stderr. */
static int
sluicectl (Fixture *f, char **ret_out, char **ret_err, const char *first_arg, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  Communicated c = { 0 };
  va_list args;

  g_ptr_array_add (argv, (char *)sluicectl_path);
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *)arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher
      = sluicectl_launcher (f, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  if (process == NULL)
    fail_msg ("%s", error->message);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated, &c);
  WAIT_UNTIL (c.done);
  *ret_out = c.out;
  *ret_err = c.err;
  return g_subprocess_get_exit_status (process);
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &error))
    fail_msg ("not JSON (%s): %s", error->message, text);
  return json_node_copy (json_parser_get_root (parser));
}

static void
reset_output (char **out, char **err)
{
  g_clear_pointer (out, g_free);
  g_clear_pointer (err, g_free);
}

static void
test_sluicectl (void **state)
{
  Fixture *f = *state;
  char *out = NULL, *err = NULL;
  g_autofree char *off_message = NULL;

#define RESET_OUTPUT() reset_output (&out, &err)

  /* list: a table, one row per pipe in configuration order. */
  assert_int_equal (sluicectl (f, &out, &err, "list", NULL), 0);
  assert_string_equal (err, "");
  {
    g_auto (GStrv) lines = g_strsplit (out, "\n", -1);

    assert_int_equal (g_strv_length (lines), 9); /* heading, 7 pipes, "" */
    assert_string_equal (lines[0], "PIPE     STATE  MODE       ENABLED  LAST RUN  READ  WRITTEN  "
                                   "OFFSET  NEXT START");
    assert_string_equal (lines[1], "numbers  idle   manual     yes      -         0     0        "
                                   "-       -");
    assert_string_equal (lines[5], "off      off    off        yes      -         0     0        "
                                   "-       -");
    assert_true (g_str_has_prefix (lines[7], "nightly  idle   scheduled  yes      -         0     "
                                             "0        -       20"));
  }
  RESET_OUTPUT ();

  /* start, then status once it ran. */
  assert_int_equal (sluicectl (f, &out, &err, "start", "numbers", NULL), 0);
  assert_string_equal (out, "numbers: run asked for\n");
  RESET_OUTPUT ();
  WAIT_UNTIL (find_event (f, 0, "numbers RunFinished") >= 0);
  assert_int_equal (sluicectl (f, &out, &err, "status", "numbers", NULL), 0);
  assert_non_null (strstr (out, "pipe:            numbers\n"
                                "state:           idle\n"
                                "mode:            manual, enabled\n"
                                "source, sink:    test-sequence, dataset\n"
                                "input datasets:  -\n"
                                "output datasets: numbers\n"
                                "offset:          24\n"));
  assert_non_null (strstr (out, "last run:        full, succeeded at "));
  assert_non_null (strstr (out, ": 25 read, 25 written, 25 changes, 3 batches, "));
  assert_non_null (strstr (out, "runs:            1 started, 1 succeeded, 0 failed\n"));
  RESET_OUTPUT ();

  /* --json for scripts. */
  assert_int_equal (sluicectl (f, &out, &err, "--json", "status", "numbers", NULL), 0);
  {
    g_autoptr (JsonNode) node = parse_json (out);
    JsonObject *object = json_node_get_object (node);

    assert_string_equal (json_object_get_string_member (object, "Offset"), "24");
    assert_string_equal (json_object_get_string_member (object, "State"), "idle");
    assert_int_equal (json_object_get_int_member (json_object_get_object_member (object, "LastRun"),
                                                  "entities_read"),
                      25);
  }
  RESET_OUTPUT ();
  assert_int_equal (sluicectl (f, &out, &err, "list", "--json", NULL), 0);
  {
    g_autoptr (JsonNode) node = parse_json (out);
    JsonArray *array = json_node_get_array (node);

    assert_int_equal (json_array_get_length (array), 7);
    assert_string_equal (
        json_object_get_string_member (json_array_get_object_element (array, 1), "Id"), "copy");
  }
  RESET_OUTPUT ();

  /* Offsets. */
  assert_int_equal (sluicectl (f, &out, &err, "set-since", "numbers", "5", NULL), 0);
  assert_string_equal (out, "numbers: offset set to 5\n");
  RESET_OUTPUT ();
  assert_int_equal (sluicectl (f, &out, &err, "reset", "numbers", NULL), 0);
  assert_string_equal (out, "numbers: offset removed, the next run is full\n");
  RESET_OUTPUT ();
  assert_int_equal (sluicectl (f, &out, &err, "set-since", "numbers", NULL), 2);
  assert_string_equal (err, "sluicectl: set-since: give either an OFFSET or --end\n");
  RESET_OUTPUT ();
  assert_int_equal (sluicectl (f, &out, &err, "set-since", "copy", "--end", NULL), 0);
  assert_string_equal (out, "copy: offset set to the end of its source\n");
  RESET_OUTPUT ();

  /* Datasets and entities. */
  assert_int_equal (sluicectl (f, &out, &err, "datasets", NULL), 0);
  assert_true (g_str_has_prefix (out, "DATASET "));
  assert_non_null (strstr (out, "\nnumbers "));
  RESET_OUTPUT ();
  assert_int_equal (
      sluicectl (f, &out, &err, "entities", "numbers", "--since", "3", "--limit", "2", NULL), 0);
  {
    g_autoptr (JsonNode) node = parse_json (out);
    JsonArray *array = json_node_get_array (node);

    assert_int_equal (json_array_get_length (array), 2);
    assert_string_equal (
        json_object_get_string_member (json_array_get_object_element (array, 0), "_id"), "e4");
  }
  RESET_OUTPUT ();
  assert_int_equal (sluicectl (f, &out, &err, "expand", NULL), 0);
  {
    g_autoptr (JsonNode) node = parse_json (out);

    assert_int_equal (json_array_get_length (json_node_get_array (node)), 7);
  }
  RESET_OUTPUT ();

  /* Exit statuses: not found, refused, usage. */
  assert_int_equal (sluicectl (f, &out, &err, "start", "nope", NULL), 4);
  assert_string_equal (out, "");
  assert_string_equal (err, "sluicectl: no pipe 'nope'\n");
  RESET_OUTPUT ();
  assert_int_equal (sluicectl (f, &out, &err, "breaker", "commit", "numbers", NULL), 4);
  RESET_OUTPUT ();
  {
    g_autofree char *path = pipe_path ("off");
    g_autoptr (GError) error = NULL;
    g_autoptr (GVariant) reply
        = try_call (f, path, SLUICE_DBUS_PIPE_INTERFACE, "Start", NULL, NULL, &error);

    g_dbus_error_strip_remote_error (error);
    off_message = g_strdup_printf ("sluicectl: %s\n", error->message);
  }
  assert_int_equal (sluicectl (f, &out, &err, "start", "off", NULL), 1);
  assert_string_equal (err, off_message);
  RESET_OUTPUT ();
  assert_int_equal (sluicectl (f, &out, &err, "reset", "durable", NULL), 1);
  assert_true (g_str_has_prefix (err, "sluicectl: pipe 'durable' is durable"));
  RESET_OUTPUT ();
  assert_int_equal (sluicectl (f, &out, &err, "frobnicate", NULL), 2);
  assert_string_equal (err, "sluicectl: unknown command 'frobnicate'\nTry 'sluicectl --help'.\n");
  RESET_OUTPUT ();
  assert_int_equal (sluicectl (f, &out, &err, "status", NULL), 2);
  assert_string_equal (err, "sluicectl: usage: sluicectl status PIPE\nTry 'sluicectl --help'.\n");
  RESET_OUTPUT ();
  assert_int_equal (sluicectl (f, &out, &err, "--bus", "nowhere", "list", NULL), 2);
  assert_string_equal (err, "sluicectl: --bus 'nowhere': expected 'system' or 'session'\n");
  RESET_OUTPUT ();
  assert_int_equal (sluicectl (f, &out, &err, "preview", "numbers", "-n", "0", NULL), 2);
  RESET_OUTPUT ();

  /* sluiced not on the bus. */
  g_clear_pointer (&f->service, sluice_dbus_service_free);
  assert_int_equal (sluicectl (f, &out, &err, "list", NULL), 3);
  assert_string_equal (err, "sluicectl: sluiced is not running on the session bus "
                            "(org.sluice.Sluice1 is not there)\n");
  RESET_OUTPUT ();
  start_service (f);
  assert_int_equal (sluicectl (f, &out, &err, "list", NULL), 0);
  RESET_OUTPUT ();
#undef RESET_OUTPUT
}

typedef struct
{
  GDataInputStream *lines;
  GPtrArray *read;
  gboolean eof;
  gboolean exited;
  int status;
} Watcher;

static void read_watch_line (Watcher *watcher);

static void
on_watch_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Watcher *watcher = user_data;
  g_autoptr (GError) error = NULL;
  char *line = g_data_input_stream_read_line_finish_utf8 (watcher->lines, result, NULL, &error);

  if (line == NULL)
    {
      watcher->eof = TRUE;
      return;
    }
  g_ptr_array_add (watcher->read, line);
  read_watch_line (watcher);
}

static void
read_watch_line (Watcher *watcher)
{
  g_data_input_stream_read_line_async (watcher->lines, G_PRIORITY_DEFAULT, NULL, on_watch_line,
                                       watcher);
}

static void
on_watch_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Watcher *watcher = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  watcher->status = g_subprocess_get_exit_status (G_SUBPROCESS (source));
  watcher->exited = TRUE;
}

static void
test_sluicectl_watch (void **state)
{
  Fixture *f = *state;
  g_autoptr (GSubprocessLauncher) launcher = sluicectl_launcher (f, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  Watcher watcher = { .read = g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (JsonNode) first = NULL;
  g_autoptr (JsonNode) started = NULL;
  g_autoptr (JsonNode) finished = NULL;

  process = g_subprocess_launcher_spawn (launcher, &error, sluicectl_path, "--json", "watch",
                                         "--runs", "1", "numbers", NULL);
  assert_non_null (process);
  watcher.lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  read_watch_line (&watcher);
  g_subprocess_wait_async (process, NULL, on_watch_exited, &watcher);

  /* The first line says it watches (and so has subscribed): then the run starts. */
  WAIT_UNTIL (watcher.read->len >= 1);
  first = parse_json (g_ptr_array_index (watcher.read, 0));
  {
    g_autofree char *text = json_to_string (first, FALSE);

    assert_string_equal (
        text, "{\"event\":\"watching\",\"pipes\":[{\"pipe\":\"numbers\",\"state\":\"idle\"}]}");
  }
  g_variant_unref (call_pipe (f, "failing", "Start", NULL, NULL)); /* not watched */
  WAIT_UNTIL (find_event (f, 0, "failing RunFailed") >= 0);
  g_variant_unref (call_pipe (f, "numbers", "Start", NULL, NULL));
  WAIT_UNTIL (watcher.exited && watcher.eof);
  assert_int_equal (watcher.status, 0);

  /* watching, run-started, perhaps progress, run-finished; nothing about "failing". */
  assert_true (watcher.read->len >= 3);
  started = parse_json (g_ptr_array_index (watcher.read, 1));
  {
    g_autofree char *text = json_to_string (started, FALSE);

    assert_string_equal (text,
                         "{\"run_type\":\"full\",\"event\":\"run-started\",\"pipe\":\"numbers\"}");
  }
  finished = parse_json (g_ptr_array_index (watcher.read, watcher.read->len - 1));
  {
    JsonObject *object = json_node_get_object (finished);

    assert_string_equal (json_object_get_string_member (object, "event"), "run-finished");
    assert_string_equal (json_object_get_string_member (object, "pipe"), "numbers");
    assert_int_equal (json_object_get_int_member (json_object_get_object_member (object, "run"),
                                                  "entities_written"),
                      25);
  }
  g_object_unref (watcher.lines);
  g_ptr_array_unref (watcher.read);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_manager, setup, teardown),
    cmocka_unit_test_setup_teardown (test_run_signals_and_properties, setup, teardown),
    cmocka_unit_test_setup_teardown (test_offsets, setup, teardown),
    cmocka_unit_test_setup_teardown (test_enable_disable, setup, teardown),
    cmocka_unit_test_setup_teardown (test_errors, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stop_and_progress, setup, teardown),
    cmocka_unit_test_setup_teardown (test_preview, setup, teardown),
    cmocka_unit_test_setup_teardown (test_preview_side_effects, setup, teardown),
    cmocka_unit_test_setup_teardown (test_breakers, setup, teardown),
    cmocka_unit_test_setup_teardown (test_reload, setup, teardown),
    cmocka_unit_test_setup_teardown (test_breaker_tripped, setup, teardown),
    cmocka_unit_test_setup_teardown (test_sluicectl, setup, teardown),
    cmocka_unit_test_setup_teardown (test_sluicectl_watch, setup, teardown),
  };

  if (argc != 2)
    {
      g_printerr ("usage: %s SLUICECTL\n", argv[0]);
      return 2;
    }
  sluicectl_path = argv[1];
  return cmocka_run_group_tests (tests, NULL, NULL);
}
