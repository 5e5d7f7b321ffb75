/* sluice-http-metrics.c — GET /api/health and GET /api/metrics (Prometheus text format 0.0.4;
 * digest §15.5).
 *
 * Metrics come from the SluicePipeSnapshot of every pipe: counters since the host started
 * (runs by outcome, entities read and written, changes, time in runs) and gauges (running,
 * enabled, the last run's duration, the circuit breaker).  Names follow Prometheus conventions
 * (`_total` for counters, base units) with a `sluice_` prefix instead of Sesam's `sesam_`.
 * A token limited to some pipes sees the metrics of those pipes only.
 */
#include <string.h>

#include "sluice-http-private.h"

typedef enum
{
  COUNTER,
  GAUGE,
} MetricType;

typedef struct
{
  const char *name;
  MetricType type;
  const char *help;
} Metric;

/* Label values may hold anything a pipe _id may hold: escape as the text format requires. */
static void
append_label_value (GString *out, const char *value)
{
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\\')
        g_string_append (out, "\\\\");
      else if (*p == '"')
        g_string_append (out, "\\\"");
      else if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
}

static void
append_header (GString *out, const Metric *metric)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", metric->name, metric->help,
                          metric->name, metric->type == COUNTER ? "counter" : "gauge");
}

static void
append_sample (GString *out, const char *name, const char *pipe_id, const char *outcome,
               const char *value)
{
  g_string_append (out, name);
  g_string_append (out, "{pipe=\"");
  append_label_value (out, pipe_id);
  g_string_append_c (out, '"');
  if (outcome != NULL)
    g_string_append_printf (out, ",outcome=\"%s\"", outcome);
  g_string_append_printf (out, "} %s\n", value);
}

static void
append_uint (GString *out, const char *name, const char *pipe_id, const char *outcome,
             guint64 value)
{
  char text[32];

  g_snprintf (text, sizeof text, "%" G_GUINT64_FORMAT, value);
  append_sample (out, name, pipe_id, outcome, text);
}

static void
append_seconds (GString *out, const char *name, const char *pipe_id, gint64 microseconds)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (text, sizeof text, "%.6f", (double) microseconds / G_USEC_PER_SEC);
  append_sample (out, name, pipe_id, NULL, text);
}

static const Metric metrics[] = {
  { "sluice_pipe_runs_total", COUNTER,
    "Runs of the pipe finished since the host started, by outcome." },
  { "sluice_pipe_entities_read_total", COUNTER,
    "Entities the pipe's source produced in finished runs." },
  { "sluice_pipe_entities_written_total", COUNTER,
    "Entities the pipe's sink accepted in finished runs." },
  { "sluice_pipe_changes_total", COUNTER,
    "Versions the pipe appended to datasets (change tracking) in finished runs." },
  { "sluice_pipe_run_seconds", GAUGE, "Duration of the pipe's last finished run." },
  { "sluice_pipe_run_seconds_total", COUNTER, "Time spent in finished runs of the pipe." },
  { "sluice_pipe_running", GAUGE, "1 while the pipe runs, else 0." },
  { "sluice_pipe_enabled", GAUGE, "1 when the pipe's pump is enabled, else 0." },
  { "sluice_pipe_circuit_breaker_tripped", GAUGE,
    "1 while a circuit breaker on the pipe's sink dataset is tripped, else 0." },
};

static void
append_pipe_metric (GString *out, guint index, const SluicePipeSnapshot *s)
{
  const char *name = metrics[index].name;
  const char *pipe_id = s->pipe_id;

  switch (index)
    {
    case 0:
      append_uint (out, name, pipe_id, "succeeded", s->runs_succeeded);
      append_uint (out, name, pipe_id, "failed", s->runs_failed);
      break;
    case 1:
      append_uint (out, name, pipe_id, NULL, s->entities_read);
      break;
    case 2:
      append_uint (out, name, pipe_id, NULL, s->entities_written);
      break;
    case 3:
      append_uint (out, name, pipe_id, NULL, s->changes);
      break;
    case 4:
      if (s->last_run != NULL && s->last_run->finished >= s->last_run->started)
        append_seconds (out, name, pipe_id, s->last_run->finished - s->last_run->started);
      break;
    case 5:
      append_seconds (out, name, pipe_id, s->run_time_total);
      break;
    case 6:
      append_uint (out, name, pipe_id, NULL, s->running ? 1 : 0);
      break;
    case 7:
      append_uint (out, name, pipe_id, NULL, s->enabled ? 1 : 0);
      break;
    default:
      append_uint (out, name, pipe_id, NULL, s->breaker_tripped ? 1 : 0);
      break;
    }
}

char *
sluice_http_metrics_format (SluiceControl *control, const char *const *pipes)
{
  static const Metric health = { "sluice_health", GAUGE,
                                 "1 while the host runs, 0 once it stops." };
  g_autoptr (GPtrArray) ids = sluice_control_list_pipes (control);
  g_autoptr (GPtrArray) snapshots = g_ptr_array_new_with_free_func (
    (GDestroyNotify) sluice_pipe_snapshot_free);
  GString *out = g_string_new (NULL);

  append_header (out, &health);
  g_string_append_printf (out, "sluice_health %d\n", sluice_control_is_stopped (control) ? 0 : 1);
  for (guint i = 0; i < ids->len; i++)
    {
      const char *pipe_id = g_ptr_array_index (ids, i);
      g_autoptr (GError) error = NULL;
      SluicePipeSnapshot *snapshot;

      if (pipes != NULL && !g_strv_contains (pipes, pipe_id))
        continue;
      snapshot = sluice_control_get_pipe (control, pipe_id, &error);
      if (snapshot == NULL)
        g_warning ("metrics: pipe '%s' left out: %s", pipe_id, error->message);
      else
        g_ptr_array_add (snapshots, snapshot);
    }
  /* Prometheus wants every sample of a metric right after its header. */
  for (guint m = 0; m < G_N_ELEMENTS (metrics); m++)
    {
      append_header (out, &metrics[m]);
      for (guint i = 0; i < snapshots->len; i++)
        append_pipe_metric (out, m, g_ptr_array_index (snapshots, i));
    }
  return g_string_free (out, FALSE);
}

void
sluice_http_handle_metrics (SluiceHttpContext *context, SoupServerMessage *msg)
{
  char *text;

  if (!sluice_http_authorize (context, msg, SLUICE_HTTP_ACCESS_ADMIN, NULL))
    return;
  text = sluice_http_metrics_format (context->control, context->token_pipes);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_TAKE, text, strlen (text));
}

void
sluice_http_handle_health (SluiceHttpContext *context, SoupServerMessage *msg)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  gboolean stopped = sluice_control_is_stopped (context->control);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, stopped ? "stopping"
                                          : sluice_control_is_reloading (context->control)
                                            ? "reloading" : "ok");
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  sluice_http_reply_json (msg, stopped ? SOUP_STATUS_SERVICE_UNAVAILABLE : SOUP_STATUS_OK, root);
}
