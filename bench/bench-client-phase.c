/* bench-client-phase.c — a client process run while the server samples itself (see
 * bench-client-phase.h). */
#include "bench-client-phase.h"

#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

long
bench_proc_status_kib (const char *field)
{
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return -1;
  line = strstr (text, field);
  return line != NULL ? strtol (line + strlen (field) + 1, NULL, 10) : -1;
}

typedef struct
{
  long peak_anon_kib;
  gboolean done;
  char *output;
} Phase;

static gboolean
sample (gpointer data)
{
  Phase *phase = data;

  phase->peak_anon_kib = MAX (phase->peak_anon_kib, bench_proc_status_kib ("RssAnon:"));
  return G_SOURCE_CONTINUE;
}

static void
on_client_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Phase *phase = data;
  g_autoptr (GError) error = NULL;

  if (!g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &phase->output, NULL,
                                             &error))
    g_error ("client: %s", error->message);
  phase->done = TRUE;
}

JsonObject *
bench_run_client (const char *const *argv, long *ret_peak_anon_kib)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) client = NULL;
  g_autoptr (JsonNode) figures = NULL;
  Phase phase = { .peak_anon_kib = bench_proc_status_kib ("RssAnon:") };
  guint sampler = g_timeout_add (10, sample, &phase);

  client = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  if (client == NULL)
    g_error ("%s", error->message);
  g_subprocess_communicate_utf8_async (client, NULL, NULL, on_client_done, &phase);
  while (!phase.done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (sampler);
  sample (&phase);
  figures = json_from_string (phase.output, &error);
  if (figures == NULL || !JSON_NODE_HOLDS_OBJECT (figures))
    g_error ("client output: %s", phase.output);
  g_free (phase.output);
  *ret_peak_anon_kib = phase.peak_anon_kib;
  return json_object_ref (json_node_get_object (figures));
}
