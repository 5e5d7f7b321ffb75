/* sluice-demo-crm.c — a small CRM-like HTTP service for trying out, testing and benchmarking
 * sluice's HTTP elements on loopback.  See demo/crm/README.md.
 *
 * With --port 0 it picks a free port; the first line on stdout is always
 * "listening on http://127.0.0.1:N", so that tests and scripts can read the port.  Logs go to
 * stderr.  SIGTERM and SIGINT stop it cleanly.
 */
#include "crm-seed.h"
#include "crm-server.h"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>

static gboolean
on_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_message ("shutting down");
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  gint port = 0;
  gint generate = 0;
  gint seed = 42;
  char *seed_file = NULL;
  char **fault_specs = NULL;
  gboolean require_if_match = FALSE;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port,
      "Listen on 127.0.0.1:PORT (default 0: pick a free port)", "PORT" },
    { "seed", 's', 0, G_OPTION_ARG_FILENAME, &seed_file,
      "Load entities from FILE: {\"persons\":[…],\"companies\":[…]}, an array of persons, or "
      "persons as JSON lines",
      "FILE" },
    { "generate", 'g', 0, G_OPTION_ARG_INT, &generate,
      "Generate N persons (the benchmark entity) and N/20 companies", "N" },
    { "random-seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed of the generator (default 42)", "S" },
    { "fault", 'f', 0, G_OPTION_ARG_STRING_ARRAY, &fault_specs,
      "Inject a fault, as POST /_control does, e.g. transient-500:count=2,resource=persons "
      "(repeatable)",
      "KIND[:key=value,…]" },
    { "require-if-match", 0, 0, G_OPTION_ARG_NONE, &require_if_match,
      "Refuse PUT and DELETE of existing entities without If-Match (428)", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Do not log each request", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CrmServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  guint listening_port = 0;
  guint sigterm, sigint;
  int status = EXIT_SUCCESS;

  g_option_context_set_summary (context,
                                "A demo CRM (persons and companies) over HTTP, for sluice's HTTP "
                                "elements.\nSee demo/crm/README.md for the endpoints and faults.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("sluice-demo-crm: %s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535 || generate < 0)
    {
      g_printerr ("sluice-demo-crm: --port must be 0…65535 and --generate not negative\n");
      return 2;
    }

  server = crm_server_new (quiet);
  crm_server_set_require_if_match (server, require_if_match);
  for (char **spec = fault_specs; spec != NULL && *spec != NULL; spec++)
    if (!crm_faults_apply_spec (crm_server_get_faults (server), *spec, &error))
      {
        g_printerr ("sluice-demo-crm: %s\n", error->message);
        status = 2;
        goto out;
      }
  if (seed_file != NULL && !crm_seed_load_file (server, seed_file, &error))
    {
      g_printerr ("sluice-demo-crm: %s\n", error->message);
      status = 2;
      goto out;
    }
  if (generate > 0)
    crm_seed_generate (server, (guint)generate, (guint32)seed);

  if (!crm_server_listen (server, (guint)port, &listening_port, &error))
    {
      g_printerr ("sluice-demo-crm: cannot listen on 127.0.0.1:%d: %s\n", port, error->message);
      status = 1;
      goto out;
    }
  printf ("listening on http://127.0.0.1:%u\n", listening_port);
  fflush (stdout);
  {
    g_autoptr (GPtrArray) persons
        = crm_resource_dup_live_ids (crm_server_get_resource (server, "persons"));
    g_autoptr (GPtrArray) companies
        = crm_resource_dup_live_ids (crm_server_get_resource (server, "companies"));

    g_message ("serving %u persons and %u companies on http://127.0.0.1:%u", persons->len,
               companies->len, listening_port);
  }

  loop = g_main_loop_new (NULL, FALSE);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, loop);
  sigint = g_unix_signal_add (SIGINT, on_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (sigterm);
  g_source_remove (sigint);

out:
  g_free (seed_file);
  g_strfreev (fault_specs);
  return status;
}
