/* sluiced-fixture.c — `sluiced --http` as a child process of a test (see the header). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http-api-client.h"
#include "sluiced-fixture.h"

#define TIMEOUT_S 120

static void read_next_line (SluicedDaemon *daemon);

char *
sluiced_fixture_make_dir (const char *name, const char *config)
{
  g_autofree char *template = g_strdup_printf ("sluice-%s-XXXXXX", name);
  g_autoptr (GError) error = NULL;
  g_autoptr (GRegex) placeholder = g_regex_new ("@DIR@", 0, 0, NULL);
  g_autofree char *dir = g_dir_make_tmp (template, &error);
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;

  if (dir == NULL)
    fail_msg ("%s", error->message);
  text = g_regex_replace_literal (placeholder, config, -1, 0, dir, 0, NULL);
  path = g_build_filename (dir, "config.json", NULL);
  if (!g_file_set_contents (path, text, -1, &error))
    fail_msg ("%s", error->message);
  return g_steal_pointer (&dir);
}

gboolean
sluiced_fixture_args (int argc, char **argv, const char **ret_sluiced, const char **ret_plugin_dirs)
{
  if (argc != 4)
    {
      g_printerr ("usage: %s SLUICED PLUGIN_DIR TEST_PLUGIN_DIR\n", argv[0]);
      return FALSE;
    }
  *ret_sluiced = argv[1];
  ret_plugin_dirs[0] = argv[2];
  ret_plugin_dirs[1] = argv[3];
  ret_plugin_dirs[2] = NULL;
  return TRUE;
}

static void
on_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SluicedDaemon *daemon = user_data;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                    NULL);
  if (line == NULL)
    {
      daemon->eof = TRUE;
      return;
    }
  g_string_append_printf (daemon->log, "%s\n", line);
  read_next_line (daemon);
}

static void
read_next_line (SluicedDaemon *daemon)
{
  g_data_input_stream_read_line_async (daemon->lines, G_PRIORITY_DEFAULT, NULL, on_line, daemon);
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

void
sluiced_daemon_wait_for_line (SluicedDaemon *daemon, const char *text)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (TIMEOUT_S, on_timeout, &timed_out);

  while (strstr (daemon->log->str, text) == NULL && !daemon->eof && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout);
  if (strstr (daemon->log->str, text) == NULL)
    fail_msg ("sluiced %s before it logged '%s'; its log:\n%s", daemon->eof ? "ended" : "timed out",
              text, daemon->log->str);
}

SluicedDaemon *
sluiced_daemon_start (const char *sluiced, const char *const *plugin_dirs, const char *dir,
                      const char *const *extra_args)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  SluicedDaemon *daemon = g_new0 (SluicedDaemon, 1);
  const char *srcdir = g_getenv ("SLUICE_TEST_SRCDIR");
  const char *listening;

  g_ptr_array_add (argv, g_strdup (sluiced));
  for (guint i = 0; plugin_dirs[i] != NULL; i++)
    {
      g_ptr_array_add (argv, g_strdup ("--plugin-dir"));
      g_ptr_array_add (argv, g_strdup (plugin_dirs[i]));
    }
  g_ptr_array_add (argv, g_strdup ("--data"));
  g_ptr_array_add (argv, g_build_filename (dir, "data", NULL));
  g_ptr_array_add (argv, g_strdup ("--config"));
  g_ptr_array_add (argv, g_build_filename (dir, "config.json", NULL));
  g_ptr_array_add (argv, g_strdup ("--http"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1:0"));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "HOME", dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "sluice", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "SLUICE_PLUGIN_PATH");
  if (srcdir != NULL)
    {
      const char *lsan = g_getenv ("LSAN_OPTIONS");
      g_autofree char *options
          = g_strdup_printf ("%s%ssuppressions=%s/demo/crm/lsan.supp:print_suppressions=0",
                             lsan != NULL ? lsan : "", lsan != NULL ? ":" : "", srcdir);

      g_subprocess_launcher_setenv (launcher, "LSAN_OPTIONS", options, TRUE);
    }
  daemon->process
      = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  if (daemon->process == NULL)
    fail_msg ("starting %s: %s", sluiced, error->message);
  daemon->log = g_string_new (NULL);
  daemon->lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (daemon->process));
  read_next_line (daemon);
  sluiced_daemon_wait_for_line (daemon, "HTTP API listening on");
  listening = strstr (daemon->log->str, "(port ");
  assert_non_null (listening);
  daemon->port = (guint)g_ascii_strtoull (listening + strlen ("(port "), NULL, 10);
  assert_true (daemon->port > 0);
  return daemon;
}

char *
sluiced_daemon_url (SluicedDaemon *daemon, const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", daemon->port, path);
}

guint64
sluiced_daemon_status_kib (SluicedDaemon *daemon, const char *field)
{
  g_autofree char *path
      = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (daemon->process));
  g_autofree char *text = NULL;
  g_autofree char *key = g_strdup_printf ("\n%s:", field);
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    fail_msg ("cannot read %s", path);
  line = strstr (text, key);
  if (line == NULL)
    fail_msg ("no %s in %s", field, path);
  return g_ascii_strtoull (line + strlen (key), NULL, 10);
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SluicedDaemon *daemon = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  daemon->exited = TRUE;
}

void
sluiced_daemon_stop (SluicedDaemon *daemon, gboolean kill)
{
  gboolean timed_out = FALSE;
  guint timeout;

  g_subprocess_send_signal (daemon->process, kill ? SIGKILL : SIGTERM);
  g_subprocess_wait_async (daemon->process, NULL, on_exited, daemon);
  timeout = g_timeout_add_seconds (TIMEOUT_S, on_timeout, &timed_out);
  /* The log is read to its end too, so that no read is left pending on a freed daemon. */
  while ((!daemon->exited || !daemon->eof) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout);
  else
    {
      g_subprocess_force_exit (daemon->process);
      fail_msg ("sluiced did not end; its log:\n%s", daemon->log->str);
    }
  if (!kill
      && (!g_subprocess_get_if_exited (daemon->process)
          || g_subprocess_get_exit_status (daemon->process) != 0))
    fail_msg ("sluiced did not stop cleanly on SIGTERM; its log:\n%s", daemon->log->str);
  g_object_unref (daemon->lines);
  g_object_unref (daemon->process);
  g_string_free (daemon->log, TRUE);
  g_free (daemon);
}

GString *
sluiced_fixture_entities (guint n, const char *prefix, const char *last)
{
  static const char *const first[] = { "Ola", "Kari", "John", "Mary", "Per", "Anne", "Lars" };
  static const char *const family[] = { "Nordmann", "Smith", "Hansen", "Olsen", "Berg", "Dahl" };
  static const char *const city[] = { "Oslo", "Bergen", "Trondheim" };
  GString *body = g_string_sized_new ((gsize)n * 230 + 64);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);

  g_string_append_c (body, '[');
  for (guint i = 0; i < n; i++)
    g_string_append_printf (
        body,
        "%s{\"_id\":\"%s%u\",\"name\":\"%s %s\",\"email\":\"user%u@example.org\",\"age\":%d,"
        "\"updated\":\"2026-%02d-%02dT12:00:00Z\",\"address\":{\"street\":\"Street %d\","
        "\"zip\":\"%d\",\"city\":\"%s\"},\"tags\":[\"a\",\"c\",\"e\"],\"score\":%d.%03d}",
        i > 0 ? "," : "", prefix, i, first[g_rand_int_range (rand, 0, G_N_ELEMENTS (first))],
        family[g_rand_int_range (rand, 0, G_N_ELEMENTS (family))], i,
        g_rand_int_range (rand, 18, 91), g_rand_int_range (rand, 1, 13),
        g_rand_int_range (rand, 1, 29), g_rand_int_range (rand, 1, 201),
        g_rand_int_range (rand, 1000, 10000), city[g_rand_int_range (rand, 0, G_N_ELEMENTS (city))],
        g_rand_int_range (rand, 0, 100), g_rand_int_range (rand, 0, 1000));
  if (last != NULL)
    g_string_append_printf (body, "%s%s", n > 0 ? "," : "", last);
  g_string_append_c (body, ']');
  return body;
}

struct _SluicedGate
{
  char *reached;
  char *release;
  GInputStream *stream; /* the read end of reached */
  int writer;           /* a write end of it, kept open so that reading never meets its end */
  gint is_reached;
};

SluicedGate *
sluiced_gate_new (const char *dir)
{
  SluicedGate *gate = g_new0 (SluicedGate, 1);
  int fd;

  gate->reached = g_build_filename (dir, "reached", NULL);
  gate->release = g_build_filename (dir, "release", NULL);
  assert_int_equal (mkfifo (gate->reached, 0600), 0);
  assert_int_equal (mkfifo (gate->release, 0600), 0);
  /* Open without blocking, so that the sink's open for writing does not block either. */
  fd = g_open (gate->reached, O_RDONLY | O_NONBLOCK, 0);
  assert_true (fd >= 0);
  gate->stream = g_unix_input_stream_new (fd, TRUE);
  gate->writer = g_open (gate->reached, O_WRONLY, 0);
  assert_true (gate->writer >= 0);
  return gate;
}

static void
on_gate_reached (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SluicedGate *gate = user_data;
  g_autoptr (GBytes) bytes
      = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    fail_msg ("reading %s failed", gate->reached);
  gate->is_reached = TRUE;
}

void
sluiced_gate_wait_reached (SluicedGate *gate)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (TIMEOUT_S, on_timeout, &timed_out);

  gate->is_reached = FALSE;
  g_input_stream_read_bytes_async (gate->stream, 1, G_PRIORITY_DEFAULT, NULL, on_gate_reached,
                                   gate);
  while (!gate->is_reached && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    fail_msg ("no sink reached the gate %s", gate->reached);
  g_source_remove (timeout);
}

void
sluiced_gate_open (SluicedGate *gate)
{
  int fd = g_open (gate->release, O_WRONLY, 0);

  assert_true (fd >= 0);
  assert_int_equal (write (fd, "g", 1), 1);
  close (fd);
}

void
sluiced_gate_free (SluicedGate *gate)
{
  g_object_unref (gate->stream);
  close (gate->writer);
  g_unlink (gate->reached);
  g_unlink (gate->release);
  g_free (gate->reached);
  g_free (gate->release);
  g_free (gate);
}

struct _SluicedPush
{
  char *url;
  char *token;
  const GString *body;
  HttpApiResponse *response;
  gint done;
  GThread *thread;
};

static gpointer
push_thread (gpointer data)
{
  SluicedPush *push = data;
  HttpApiRequest request = {
    .method = "POST",
    .url = push->url,
    .token = push->token,
    .content_type = "application/json",
    .body = push->body->str,
    .body_len = (gssize)push->body->len,
  };

  push->response = http_api_send_here (&request);
  g_atomic_int_set (&push->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

SluicedPush *
sluiced_push_start (SluicedDaemon *daemon, const char *token, const char *pipe, const char *query,
                    const GString *body)
{
  SluicedPush *push = g_new0 (SluicedPush, 1);
  g_autofree char *path = g_strdup_printf ("/api/receivers/%s/entities%s%s", pipe,
                                           query != NULL ? "?" : "", query != NULL ? query : "");

  push->url = sluiced_daemon_url (daemon, path);
  push->token = g_strdup (token);
  push->body = body;
  push->thread = g_thread_new ("push", push_thread, push);
  return push;
}

gpointer
sluiced_push_finish (SluicedPush *push)
{
  HttpApiResponse *response;

  http_api_wait_for (&push->done);
  g_thread_join (push->thread);
  response = push->response;
  g_free (push->url);
  g_free (push->token);
  g_free (push);
  return response;
}
