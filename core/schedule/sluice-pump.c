/* sluice-pump.c — one pipe's schedule (see sluice-pump.h).
 *
 * A pump holds at most one clock timer: the next interval or cron start.  Interval pumps arm it
 * when a run of their pipe finishes (the interval is the pause between runs) and drop it when one
 * starts, whatever started it; cron pumps re-arm it each time it fires, independently of runs.
 * The pump learns about runs from the scheduler's "run-started::<pipe>" and
 * "run-finished::<pipe>" signals, so runs started by the start operation or by signalling move the
 * interval just as scheduled ones do.
 *
 * Persisted next start: an interval pump keeps the start that fired until its run finishes and
 * the next one is known, so a run interrupted by a shutdown or a crash runs again soon after the
 * restart.  The record is written on the main loop: a small write, and the store's write lock is
 * held by a run only while its batch is appended and committed.
 */
#include "sluice-pump.h"
#include "sluice-config-validate.h"

#include <string.h>

G_DEFINE_QUARK (sluice-pump-error-quark, sluice_pump_error)

#define DEFAULT_INTERVAL_INTERNAL_S 30
#define DEFAULT_INTERVAL_S 900
#define JITTER_PERMILLE 50 /* ±5 % of a default interval */

struct _SluicePump
{
  GObject parent_instance;

  SluiceScheduler *scheduler;
  SluiceClock *clock;
  SluiceStoreBackend *store; /* borrowed; nullable */
  char *pipe_id;
  char *state_name; /* "schedule:<pipe id>" */

  SluicePumpMode mode;
  SluiceCron *cron;
  gint64 interval; /* µs */
  gboolean run_at_startup;
  gboolean signalling;
  gboolean persistent;
  char *schedule_key; /* what the persisted start belongs to: "cron <text>", "interval <µs>" */
  guint rescan_run_count;         /* 0: none */
  SluiceCron *rescan_cron;        /* nullable */
  guint partial_rescan_run_count; /* 0: none */
  double partial_rescan_delta;    /* < 0: none */
  guint64 runs;                   /* runs started so far; persisted when counting matters */
  guint rescan_timer;

  gboolean active;
  gboolean enabled;
  guint timer;
  gint64 next_start;
  char *not_pumped; /* why the pipe is never pumped (a receiver, a publisher), or NULL */
};

enum
{
  PROP_0,
  PROP_ENABLED,
  PROP_NEXT_START,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SluicePump, sluice_pump, G_TYPE_OBJECT)

#define pump_log(self, level, ...)                                                                 \
  g_log_structured (G_LOG_DOMAIN, level, "SLUICE_PIPE", (self)->pipe_id, "MESSAGE", __VA_ARGS__)

const char *
sluice_pump_mode_to_string (SluicePumpMode mode)
{
  switch (mode)
    {
      case SLUICE_PUMP_MODE_SCHEDULED:
        return "scheduled";
      case SLUICE_PUMP_MODE_MANUAL:
        return "manual";
      case SLUICE_PUMP_MODE_OFF:
        return "off";
    }
  return "unknown";
}

static void
sluice_pump_dispose (GObject *object)
{
  SluicePump *self = SLUICE_PUMP (object);

  if (self->clock != NULL && self->timer != 0)
    sluice_clock_cancel (self->clock, self->timer);
  if (self->clock != NULL && self->rescan_timer != 0)
    sluice_clock_cancel (self->clock, self->rescan_timer);
  self->timer = 0;
  self->rescan_timer = 0;
  g_clear_object (&self->clock);
  g_clear_object (&self->scheduler);
  G_OBJECT_CLASS (sluice_pump_parent_class)->dispose (object);
}

static void
sluice_pump_finalize (GObject *object)
{
  SluicePump *self = SLUICE_PUMP (object);

  g_clear_pointer (&self->cron, sluice_cron_free);
  g_clear_pointer (&self->rescan_cron, sluice_cron_free);
  g_free (self->pipe_id);
  g_free (self->state_name);
  g_free (self->schedule_key);
  g_free (self->not_pumped);
  G_OBJECT_CLASS (sluice_pump_parent_class)->finalize (object);
}

static void
sluice_pump_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SluicePump *self = SLUICE_PUMP (object);

  switch (prop_id)
    {
      case PROP_ENABLED:
        g_value_set_boolean (value, self->enabled);
        break;
      case PROP_NEXT_START:
        g_value_set_int64 (value, self->next_start);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sluice_pump_class_init (SluicePumpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sluice_pump_dispose;
  object_class->finalize = sluice_pump_finalize;
  object_class->get_property = sluice_pump_get_property;

  properties[PROP_ENABLED]
      = g_param_spec_boolean ("enabled", NULL, NULL, TRUE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NEXT_START]
      = g_param_spec_int64 ("next-start", NULL, NULL, -1, G_MAXINT64, -1,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sluice_pump_init (SluicePump *self)
{
  self->enabled = TRUE;
  self->next_start = -1;
  self->partial_rescan_delta = -1;
}

/* Configuration ------------------------------------------------------------------------------ */

static const char *
member_type (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  node = json_object_get_member (json_node_get_object (node), "type");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *object, const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* Sources that read datasets of this host, whose changes can be signalled. */
static gboolean
is_dataset_source (const char *type)
{
  static const char *const types[]
      = { "dataset", "merge", "union_datasets", "merge_datasets", NULL };

  return type != NULL && g_strv_contains (types, type);
}

/* A stable hash (FNV-1a): the jitter of a pipe must not change between versions or hosts. */
static guint32
stable_hash (const char *text)
{
  guint32 hash = 2166136261u;

  for (const guchar *p = (const guchar *)text; *p != '\0'; p++)
    hash = (hash ^ *p) * 16777619u;
  return hash;
}

static gboolean invalid (GError **error, const char *pipe_id, const char *pointer,
                         const char *format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
invalid (GError **error, const char *pipe_id, const char *pointer, const char *format, ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SLUICE_PUMP_ERROR, SLUICE_PUMP_ERROR_INVALID, "pipe '%s': %s: %s", pipe_id,
               pointer, reason);
  return FALSE;
}

/* A positive integer member of the pump ("/pump/<member>"), or 0 when absent. */
static gboolean
read_run_count (SluicePump *self, JsonObject *pump, const char *member, guint *ret_count,
                GError **error)
{
  JsonNode *node = pump != NULL ? json_object_get_member (pump, member) : NULL;
  g_autofree char *pointer = g_strconcat ("/pump/", member, NULL);
  gint64 count;

  *ret_count = 0;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
      || (count = json_node_get_int (node)) < 1 || count > G_MAXUINT32)
    return invalid (error, self->pipe_id, pointer, "expected a whole number of runs, 1 or more");
  *ret_count = (guint)count;
  return TRUE;
}

static gboolean
read_rescan_config (SluicePump *self, JsonObject *pump, GError **error)
{
  JsonNode *node;

  if (!read_run_count (self, pump, "rescan_run_count", &self->rescan_run_count, error)
      || !read_run_count (self, pump, "partial_rescan_run_count",
                          &self->partial_rescan_run_count, error))
    return FALSE;

  node = pump != NULL ? json_object_get_member (pump, "rescan_cron_expression") : NULL;
  if (node != NULL)
    {
      g_autoptr (GError) local_error = NULL;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        return invalid (error, self->pipe_id, "/pump/rescan_cron_expression",
                        "expected a string");
      if (self->rescan_run_count > 0)
        return invalid (error, self->pipe_id, "/pump/rescan_cron_expression",
                        "cannot be used together with /pump/rescan_run_count");
      self->rescan_cron = sluice_cron_parse (json_node_get_string (node), &local_error);
      if (self->rescan_cron == NULL)
        return invalid (error, self->pipe_id, "/pump/rescan_cron_expression", "%s",
                        local_error->message);
    }

  node = pump != NULL ? json_object_get_member (pump, "partial_rescan_delta") : NULL;
  if (node != NULL)
    {
      GType type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;

      if ((type != G_TYPE_INT64 && type != G_TYPE_DOUBLE) || !(json_node_get_double (node) >= 0)
          || json_node_get_double (node) > SLUICE_CONFIG_MAX_PARTIAL_RESCAN_DELTA)
        return invalid (error, self->pipe_id, "/pump/partial_rescan_delta",
                        "expected a number of 0 or more (seconds for a datetime offset)");
      self->partial_rescan_delta = json_node_get_double (node);
    }
  if (self->partial_rescan_run_count > 0 && self->partial_rescan_delta < 0)
    return invalid (error, self->pipe_id, "/pump/partial_rescan_run_count",
                    "requires /pump/partial_rescan_delta");
  return TRUE;
}

static gboolean
read_config (SluicePump *self, JsonObject *pipe, gboolean use_signalling_internally, GError **error)
{
  JsonObject *pump = member_object (pipe, "pump");
  JsonObject *source = member_object (pipe, "source");
  const char *source_type = member_type (pipe, "source");
  const char *sink_type = member_type (pipe, "sink");
  JsonNode *node;

  self->mode = SLUICE_PUMP_MODE_SCHEDULED;
  node = pump != NULL ? json_object_get_member (pump, "mode") : NULL;
  if (node != NULL)
    {
      const char *mode = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_string (node) : NULL;

      if (g_strcmp0 (mode, "scheduled") == 0)
        self->mode = SLUICE_PUMP_MODE_SCHEDULED;
      else if (g_strcmp0 (mode, "manual") == 0)
        self->mode = SLUICE_PUMP_MODE_MANUAL;
      else if (g_strcmp0 (mode, "off") == 0)
        self->mode = SLUICE_PUMP_MODE_OFF;
      else
        return invalid (error, self->pipe_id, "/pump/mode",
                        "expected \"scheduled\", \"manual\" or \"off\"");
    }

  node = pump != NULL ? json_object_get_member (pump, "cron_expression") : NULL;
  if (node != NULL)
    {
      g_autoptr (GError) local_error = NULL;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        return invalid (error, self->pipe_id, "/pump/cron_expression", "expected a string");
      self->cron = sluice_cron_parse (json_node_get_string (node), &local_error);
      if (self->cron == NULL)
        return invalid (error, self->pipe_id, "/pump/cron_expression", "%s", local_error->message);
    }

  node = pump != NULL ? json_object_get_member (pump, "schedule_interval") : NULL;
  if (node != NULL)
    {
      GType type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
      double seconds;

      if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
        return invalid (error, self->pipe_id, "/pump/schedule_interval",
                        "expected a number of seconds");
      seconds = json_node_get_double (node);
      /* The same bounds as validation (sluice-config-validate.h), which every configuration of
       * the daemon went through: these refusals only meet a pump built from unchecked JSON. */
      if (!(seconds > 0) || seconds > SLUICE_CONFIG_MAX_SCHEDULE_INTERVAL_S)
        return invalid (error, self->pipe_id, "/pump/schedule_interval",
                        "expected a positive number of seconds (at most 100 years), got %g",
                        seconds);
      if (seconds < SLUICE_CONFIG_MIN_SCHEDULE_INTERVAL_S)
        return invalid (error, self->pipe_id, "/pump/schedule_interval",
                        "expected at least %g second between runs, got %g",
                        SLUICE_CONFIG_MIN_SCHEDULE_INTERVAL_S, seconds);
      self->interval = (gint64)(seconds * SLUICE_USEC_PER_SEC + 0.5);
    }
  else
    {
      gboolean internal = is_dataset_source (source_type) && g_strcmp0 (sink_type, "dataset") == 0;
      gint64 base
          = (internal ? DEFAULT_INTERVAL_INTERNAL_S : DEFAULT_INTERVAL_S) * SLUICE_USEC_PER_SEC;
      gint64 permille
          = (gint64)(stable_hash (self->pipe_id) % (2 * JITTER_PERMILLE + 1)) - JITTER_PERMILLE;

      self->interval = base + base / 1000 * permille;
    }

  if (!read_rescan_config (self, pump, error))
    return FALSE;

  node = pump != NULL ? json_object_get_member (pump, "run_at_startup") : NULL;
  self->run_at_startup = node != NULL && JSON_NODE_HOLDS_VALUE (node)
                         && json_node_get_value_type (node) == G_TYPE_BOOLEAN
                         && json_node_get_boolean (node);

  self->signalling = FALSE;
  if (is_dataset_source (source_type))
    {
      node = json_object_get_member (source, "supports_signalling");
      if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
        self->signalling = json_node_get_boolean (node);
      else
        self->signalling = use_signalling_internally && self->cron == NULL
                           && self->interval < SLUICE_PUMP_LONG_INTERVAL_US;
    }

  self->persistent = self->cron != NULL || self->interval > SLUICE_PUMP_LONG_INTERVAL_US;
  if (self->cron != NULL)
    self->schedule_key = g_strdup_printf ("cron %s", sluice_cron_get_text (self->cron));
  else
    self->schedule_key = g_strdup_printf ("interval %" G_GINT64_FORMAT, self->interval);
  return TRUE;
}

static void on_run_started (SluiceScheduler *scheduler, const char *pipe_id, int reason,
                            SluicePump *self);
static void on_run_finished (SluiceScheduler *scheduler, const char *pipe_id, gboolean succeeded,
                             const GError *error, SluicePump *self);

SluicePump *
sluice_pump_new (SluiceScheduler *scheduler, const char *pipe_id, JsonObject *pipe,
                 gboolean use_signalling_internally, SluiceStoreBackend *store, GError **error)
{
  g_autoptr (SluicePump) self = NULL;
  g_autofree char *started = NULL;
  g_autofree char *finished = NULL;

  g_return_val_if_fail (SLUICE_IS_SCHEDULER (scheduler), NULL);
  g_return_val_if_fail (pipe_id != NULL, NULL);
  g_return_val_if_fail (pipe != NULL, NULL);

  self = g_object_new (SLUICE_TYPE_PUMP, NULL);
  self->scheduler = g_object_ref (scheduler);
  self->clock = g_object_ref (sluice_scheduler_get_clock (scheduler));
  self->store = store;
  self->pipe_id = g_strdup (pipe_id);
  self->state_name = g_strconcat (SLUICE_PUMP_STATE_PREFIX, pipe_id, NULL);
  if (!read_config (self, pipe, use_signalling_internally, error))
    return NULL;

  started = g_strconcat ("run-started::", pipe_id, NULL);
  finished = g_strconcat ("run-finished::", pipe_id, NULL);
  g_signal_connect_object (scheduler, started, G_CALLBACK (on_run_started), self, 0);
  g_signal_connect_object (scheduler, finished, G_CALLBACK (on_run_finished), self, 0);
  return g_steal_pointer (&self);
}

/* Persistence ------------------------------------------------------------------------------- */

typedef struct
{
  gboolean found;
  gboolean enabled;
  gint64 next_start; /* -1: none, or it belongs to another schedule */
  gint64 runs;
} Saved;

static Saved
load_state (SluicePump *self)
{
  Saved saved = { FALSE, TRUE, -1, 0 };
  g_auto (SluicePipeState) state = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = NULL;
  JsonObject *object;

  if (self->store == NULL)
    return saved;
  if (!sluice_store_backend_get_pipe_state (self->store, self->state_name, &state, &error))
    {
      if (error != NULL)
        pump_log (self, G_LOG_LEVEL_WARNING, "pipe '%s': cannot read its schedule state: %s",
                  self->pipe_id, error->message);
      return saved;
    }
  parser = json_parser_new ();
  if (state.since == NULL || !json_parser_load_from_data (parser, state.since, -1, &error)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      pump_log (self, G_LOG_LEVEL_WARNING,
                "pipe '%s': ignoring its schedule state '%s': expected a JSON object",
                self->pipe_id, state.since != NULL ? state.since : "");
      return saved;
    }
  object = json_node_get_object (json_parser_get_root (parser));
  saved.found = TRUE;
  saved.enabled = json_object_get_boolean_member_with_default (object, "enabled", TRUE);
  saved.runs = MAX (0, json_object_get_int_member_with_default (object, "runs", 0));
  if (g_strcmp0 (json_object_get_string_member_with_default (object, "schedule", NULL),
                 self->schedule_key)
      == 0)
    saved.next_start = json_object_get_int_member_with_default (object, "next_start", -1);
  return saved;
}

/* Whether the kind of a run depends on how many ran before it. */
static gboolean
counts_runs (SluicePump *self)
{
  return self->rescan_run_count > 0 || self->partial_rescan_run_count > 0;
}

static gboolean
save_state (SluicePump *self, GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (SluiceStoreTxn) txn = NULL;
  g_autofree char *text = NULL;
  SluicePipeState state = { 0 };

  if (self->store == NULL)
    return TRUE;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "schedule");
  json_builder_add_string_value (builder, self->schedule_key);
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, self->enabled);
  if (self->persistent && self->next_start >= 0)
    {
      json_builder_set_member_name (builder, "next_start");
      json_builder_add_int_value (builder, self->next_start);
    }
  if (counts_runs (self))
    {
      json_builder_set_member_name (builder, "runs");
      json_builder_add_int_value (builder, (gint64)self->runs);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  state.since = text;

  txn = sluice_store_backend_begin (self->store, error);
  if (txn == NULL || !sluice_store_txn_set_pipe_state (txn, self->state_name, &state, error))
    return FALSE;
  return sluice_store_txn_commit (g_steal_pointer (&txn), 0, error);
}

static void
save_state_or_warn (SluicePump *self)
{
  g_autoptr (GError) error = NULL;

  if (!save_state (self, &error))
    pump_log (self, G_LOG_LEVEL_WARNING, "pipe '%s': cannot keep its next start in the store: %s",
              self->pipe_id, error->message);
}

/* Timers ------------------------------------------------------------------------------------ */

static void
set_next_start (SluicePump *self, gint64 next_start)
{
  if (self->next_start == next_start)
    return;
  self->next_start = next_start;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEXT_START]);
}

static void
disarm (SluicePump *self)
{
  sluice_clock_cancel (self->clock, self->timer);
  self->timer = 0;
  set_next_start (self, -1);
}

static gboolean
should_schedule (SluicePump *self)
{
  return self->active && self->enabled && self->mode == SLUICE_PUMP_MODE_SCHEDULED
         && self->not_pumped == NULL;
}

static void on_timer (gpointer user_data);

/* Asks for the pump's next run: a full rescan every rescan_run_count-th run, else a partial one
 * every partial_rescan_run_count-th run (digest Appendix B9; a full rescan wins when both apply).
 * The number is that of the run to come: the runs started so far, plus one. */
static SluiceScheduleResult
request_run (SluicePump *self, SluiceRunReason reason)
{
  guint64 number = self->runs + 1;

  if (self->rescan_run_count > 0 && number % self->rescan_run_count == 0)
    return sluice_scheduler_request (self->scheduler, self->pipe_id, reason, TRUE);
  if (self->partial_rescan_run_count > 0 && number % self->partial_rescan_run_count == 0)
    return sluice_scheduler_request_partial (self->scheduler, self->pipe_id, reason);
  return sluice_scheduler_request (self->scheduler, self->pipe_id, reason, FALSE);
}

static void on_rescan_timer (gpointer user_data);

/* Arms the next start of rescan_cron_expression after @now, or drops it. */
static void
schedule_rescan_from (SluicePump *self, gint64 now)
{
  gint64 next;

  sluice_clock_cancel (self->clock, self->rescan_timer);
  self->rescan_timer = 0;
  if (self->rescan_cron == NULL || !should_schedule (self))
    return;
  next = sluice_cron_next (self->rescan_cron, now / SLUICE_USEC_PER_SEC);
  if (next < 0)
    return;
  self->rescan_timer
      = sluice_clock_call_at (self->clock, next * SLUICE_USEC_PER_SEC, on_rescan_timer, self);
}

static void
on_rescan_timer (gpointer user_data)
{
  SluicePump *self = user_data;
  gint64 due = sluice_clock_get_now (self->clock);

  self->rescan_timer = 0;
  sluice_scheduler_request (self->scheduler, self->pipe_id, SLUICE_RUN_REASON_SCHEDULE, TRUE);
  schedule_rescan_from (self, due);
}

static void
arm_at (SluicePump *self, gint64 when)
{
  sluice_clock_cancel (self->clock, self->timer);
  self->timer = sluice_clock_call_at (self->clock, when, on_timer, self);
  set_next_start (self, when);
  if (self->persistent)
    save_state_or_warn (self);
}

/* Arms the next start after @now, or nothing when the pump should not schedule. */
static void
schedule_from (SluicePump *self, gint64 now)
{
  if (!should_schedule (self))
    {
      disarm (self);
      return;
    }
  if (self->cron != NULL)
    {
      gint64 next = sluice_cron_next (self->cron, now / SLUICE_USEC_PER_SEC);

      if (next < 0)
        {
          pump_log (self, G_LOG_LEVEL_MESSAGE,
                    "pipe '%s': cron expression '%s' matches no time before 2100: no further "
                    "scheduled runs",
                    self->pipe_id, sluice_cron_get_text (self->cron));
          disarm (self);
          return;
        }
      arm_at (self, next * SLUICE_USEC_PER_SEC);
    }
  else
    arm_at (self, now + self->interval);
}

static void
on_timer (gpointer user_data)
{
  SluicePump *self = user_data;
  gint64 due = self->next_start;

  self->timer = 0;
  request_run (self, SLUICE_RUN_REASON_SCHEDULE);
  /* An interval pump arms again when the run finishes; a cron pump goes on from the due time (the
   * clock may read a little later), so that no matching minute is skipped or taken twice. */
  if (self->cron != NULL)
    schedule_from (self, MAX (due, sluice_clock_get_now (self->clock)));
}

static void
on_run_started (SluiceScheduler *scheduler, const char *pipe_id, int reason, SluicePump *self)
{
  self->runs++;
  /* Saved before the interval start below is dropped: the persisted start must stay as it is
   * until the run finished (see the header comment). */
  if (counts_runs (self))
    save_state_or_warn (self);
  if (self->cron == NULL)
    {
      sluice_clock_cancel (self->clock, self->timer);
      self->timer = 0;
      set_next_start (self, -1);
    }
}

static void
on_run_finished (SluiceScheduler *scheduler, const char *pipe_id, gboolean succeeded,
                 const GError *error, SluicePump *self)
{
  if (self->cron == NULL)
    schedule_from (self, sluice_clock_get_now (self->clock));
}

/* Public ------------------------------------------------------------------------------------ */

const char *
sluice_pump_get_pipe_id (SluicePump *pump)
{
  g_return_val_if_fail (SLUICE_IS_PUMP (pump), NULL);
  return pump->pipe_id;
}

SluicePumpMode
sluice_pump_get_mode (SluicePump *pump)
{
  g_return_val_if_fail (SLUICE_IS_PUMP (pump), SLUICE_PUMP_MODE_OFF);
  return pump->mode;
}

const SluiceCron *
sluice_pump_get_cron (SluicePump *pump)
{
  g_return_val_if_fail (SLUICE_IS_PUMP (pump), NULL);
  return pump->cron;
}

gint64
sluice_pump_get_interval (SluicePump *pump)
{
  g_return_val_if_fail (SLUICE_IS_PUMP (pump), 0);
  return pump->interval;
}

gboolean
sluice_pump_get_signalling (SluicePump *pump)
{
  g_return_val_if_fail (SLUICE_IS_PUMP (pump), FALSE);
  return pump->signalling;
}

gboolean
sluice_pump_get_persistent (SluicePump *pump)
{
  g_return_val_if_fail (SLUICE_IS_PUMP (pump), FALSE);
  return pump->persistent;
}

gboolean
sluice_pump_get_enabled (SluicePump *pump)
{
  g_return_val_if_fail (SLUICE_IS_PUMP (pump), FALSE);
  return pump->enabled;
}

gint64
sluice_pump_get_next_start (SluicePump *pump)
{
  g_return_val_if_fail (SLUICE_IS_PUMP (pump), -1);
  return pump->next_start;
}

static char *
format_time (gint64 us)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (us / SLUICE_USEC_PER_SEC);

  return time != NULL ? g_date_time_format_iso8601 (time) : g_strdup ("?");
}

void
sluice_pump_activate (SluicePump *pump)
{
  SluicePump *self = pump;
  gint64 now;
  Saved saved;

  g_return_if_fail (SLUICE_IS_PUMP (pump));
  if (self->active)
    return;
  self->active = TRUE;
  saved = load_state (self);
  self->runs = (guint64)saved.runs;
  if (saved.found && self->enabled != saved.enabled)
    {
      self->enabled = saved.enabled;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
    }
  if (!should_schedule (self))
    return;

  g_object_ref (self);
  now = sluice_clock_get_now (self->clock);
  if (self->persistent && saved.next_start >= 0 && saved.next_start <= now)
    {
      g_autofree char *missed = format_time (saved.next_start);

      pump_log (self, G_LOG_LEVEL_MESSAGE,
                "pipe '%s': its start at %s was missed while the host was down: running it now",
                self->pipe_id, missed);
      set_next_start (self, saved.next_start);
      request_run (self, SLUICE_RUN_REASON_MISSED);
      if (self->cron != NULL)
        schedule_from (self, now);
    }
  else if (self->persistent && saved.next_start >= 0)
    arm_at (self, saved.next_start);
  else
    schedule_from (self, now);
  schedule_rescan_from (self, now);

  if (self->run_at_startup)
    request_run (self, SLUICE_RUN_REASON_STARTUP);
  g_object_unref (self);
}

void
sluice_pump_deactivate (SluicePump *pump)
{
  g_return_if_fail (SLUICE_IS_PUMP (pump));
  pump->active = FALSE;
  disarm (pump);
  schedule_rescan_from (pump, 0);
}

gboolean
sluice_pump_set_enabled (SluicePump *pump, gboolean enabled, GError **error)
{
  SluicePump *self = pump;
  gint64 next_start;

  g_return_val_if_fail (SLUICE_IS_PUMP (pump), FALSE);
  enabled = !!enabled;
  if (self->enabled == enabled)
    return TRUE;

  self->enabled = enabled;
  /* The record must not keep a start that will never come. */
  next_start = self->next_start;
  if (!enabled)
    self->next_start = -1;
  if (!save_state (self, error))
    {
      self->enabled = !enabled;
      self->next_start = next_start;
      g_prefix_error (error, "pipe '%s': cannot %s its pump: ", self->pipe_id,
                      enabled ? "enable" : "disable");
      return FALSE;
    }
  self->next_start = next_start;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
  schedule_rescan_from (self, sluice_clock_get_now (self->clock));
  if (enabled && self->cron == NULL && sluice_scheduler_is_running (self->scheduler, self->pipe_id))
    return TRUE; /* armed when the run finishes */
  schedule_from (self, sluice_clock_get_now (self->clock));
  return TRUE;
}

gboolean
sluice_pump_start (SluicePump *pump, gboolean full, GError **error)
{
  g_return_val_if_fail (SLUICE_IS_PUMP (pump), FALSE);

  if (pump->not_pumped != NULL)
    {
      g_set_error (error, SLUICE_PUMP_ERROR, SLUICE_PUMP_ERROR_NOT_PUMPED, "%s",
                   pump->not_pumped);
      return FALSE;
    }
  if (pump->mode == SLUICE_PUMP_MODE_OFF)
    {
      g_set_error (error, SLUICE_PUMP_ERROR, SLUICE_PUMP_ERROR_OFF,
                   "pipe '%s' cannot be started: its pump mode is \"off\"", pump->pipe_id);
      return FALSE;
    }
  if (sluice_scheduler_is_running (pump->scheduler, pump->pipe_id))
    {
      g_set_error (error, SLUICE_PUMP_ERROR, SLUICE_PUMP_ERROR_BUSY, "pipe '%s' is running already",
                   pump->pipe_id);
      return FALSE;
    }
  if (sluice_scheduler_request (pump->scheduler, pump->pipe_id, SLUICE_RUN_REASON_MANUAL, full)
      == SLUICE_SCHEDULE_REFUSED)
    {
      g_set_error (error, SLUICE_PUMP_ERROR, SLUICE_PUMP_ERROR_SHUTDOWN,
                   "pipe '%s' cannot be started: the host is shutting down", pump->pipe_id);
      return FALSE;
    }
  return TRUE;
}

gboolean
sluice_pump_notify_input_changed (SluicePump *pump)
{
  g_return_val_if_fail (SLUICE_IS_PUMP (pump), FALSE);

  if (!pump->signalling || !should_schedule (pump))
    return FALSE;
  return request_run (pump, SLUICE_RUN_REASON_SIGNAL) != SLUICE_SCHEDULE_REFUSED;
}

void
sluice_pump_set_not_pumped (SluicePump *pump, const char *reason)
{
  g_return_if_fail (SLUICE_IS_PUMP (pump));

  g_free (pump->not_pumped);
  pump->not_pumped = g_strdup (reason);
  if (reason != NULL)
    disarm (pump);
}
