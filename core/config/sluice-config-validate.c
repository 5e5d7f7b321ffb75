/* sluice-config-validate.c — component validation against option schemas
 * (see sluice-config-validate.h for the rules). */
#include <math.h>
#include <string.h>

#include "sluice-config-source.h"
#include "sluice-config-validate.h"
#include "sluice-cron.h"

#define T_STRING SLUICE_OPTION_STRING
#define T_INT SLUICE_OPTION_INTEGER
#define T_NUMBER SLUICE_OPTION_NUMBER
#define T_BOOL SLUICE_OPTION_BOOLEAN
#define T_OBJECT SLUICE_OPTION_OBJECT
#define T_ARRAY SLUICE_OPTION_ARRAY
#define T_NULL SLUICE_OPTION_NULL
#define T_ANY SLUICE_OPTION_ANY
#define F_REQUIRED SLUICE_OPTION_FLAG_REQUIRED
#define F_SECRET SLUICE_OPTION_FLAG_SECRET
#define F_OPEN SLUICE_OPTION_FLAG_OPEN

/* `_id` and `type` accept any JSON type in the tables: they are checked first, with their own
 * messages, for every kind of component. */
#define COMMON_COMPONENT_OPTIONS                                                               \
  { "_id", T_ANY, 0, NULL, "Unique identifier of the component; no '/'.", NULL, NULL },        \
  { "type", T_ANY, 0, NULL, "The component type.", NULL, NULL },                               \
  { "name", T_STRING, 0, NULL, "A human-readable name.", NULL, NULL },                         \
  { "description", T_STRING | T_ARRAY, 0, NULL, "A description (a string or a list of strings).", \
    NULL, NULL },                                                                              \
  { "comment", T_STRING | T_ARRAY, 0, NULL, "A comment (a string or a list of strings).", NULL, NULL }

static const char *const reprocessing_choices[] = { "continue", "automatic", NULL };
static const char *const pump_mode_choices[] = { "scheduled", "manual", "off", NULL };
static const char *const compaction_type_choices[] = { "sink", "background", NULL };
static const char *const access_choices[] = { "read", "write", "admin", NULL };

/* Pump keys: digest §3.4 and §15.1. */
static const SluiceOptionSpec pump_options[] = {
  { "comment", T_STRING | T_ARRAY, 0, NULL, "A comment.", NULL, NULL },
  { "schedule_interval", T_NUMBER, 0, NULL,
    "Seconds between runs (default 30 for dataset-to-dataset pipes, otherwise 900).", NULL, NULL },
  { "cron_expression", T_STRING, 0, NULL, "Cron schedule (UTC); wins over schedule_interval.", NULL, NULL },
  { "rescan_run_count", T_INT, 0, NULL, "Every Nth run is a full rescan.", NULL, NULL },
  { "rescan_cron_expression", T_STRING, 0, NULL, "Cron schedule for full rescans.", NULL, NULL },
  { "partial_rescan_run_count", T_INT, 0, NULL, "Every Nth run is a partial rescan.", NULL, NULL },
  { "partial_rescan_delta", T_NUMBER, 0, NULL, "How far a partial rescan rewinds the offset.", NULL, NULL },
  { "run_at_startup", T_BOOL, 0, "false", "Also run when the service starts.", NULL, NULL },
  { "run_at_startup_if_not_populated", T_BOOL, 0, "false",
    "Run at startup if the sink dataset is not populated.", NULL, NULL },
  { "max_read_retries", T_INT, 0, "0", "Retries of a failing read.", NULL, NULL },
  { "read_retry_delay", T_NUMBER, 0, "0", "Seconds between read retries.", NULL, NULL },
  { "write_retry_delay", T_NUMBER, 0, "0", "Seconds before retrying after a write error.", NULL, NULL },
  { "max_retries_per_entity", T_INT, 0, "5", "Attempts per failing entity before it is dead.", NULL, NULL },
  { "max_consecutive_write_errors", T_INT, 0, "1",
    "Consecutive write errors tolerated before the run stops.", NULL, NULL },
  { "max_write_errors_in_retry_dataset", T_INT, 0, "0",
    "Retryable failed entities kept; 0 disables write retries.", NULL, NULL },
  { "fallback_to_single_entities_on_batch_fail", T_BOOL, 0, "true",
    "After a batch fails, write its entities one at a time.", NULL, NULL },
  { "dead_letter_dataset", T_STRING, 0, NULL, "Dataset that receives dead entities.", NULL, NULL },
  { "track_dead_letters", T_BOOL, 0, "false",
    "Delete a dead letter when a later version is written.", NULL, NULL },
  { "mode", T_STRING, 0, "\"scheduled\"", "scheduled, manual or off.", pump_mode_choices, NULL },
  { "log_events_noop_runs", T_BOOL, 0, "false", "Also log runs that changed nothing.", NULL, NULL },
  { "log_events_noop_runs_changes_only", T_BOOL, 0, "true",
    "A run is a no-op when the sink reports no changes (true) or the source produced nothing.",
    NULL, NULL },
  { "notification_granularity", T_INT, 0, "999999999999999",
    "Log a completed event at least every N seconds.", NULL, NULL },
  { "batch_retries", T_INT, 0, "3", "Retries of batched writes.", NULL, NULL },
  { "max_seconds_per_entity", T_NUMBER, 0, NULL,
    "Fail the run if transforms average more than N seconds per entity.", NULL, NULL },
  { "use_dead_letter_dataset", T_BOOL, 0, NULL,
    "Deprecated: true means dead_letter_dataset system:dead-letter:<pipe _id>.", NULL, NULL },
  { NULL }
};

/* Digest §2.5. */
static const SluiceOptionSpec compaction_options[] = {
  { "automatic", T_BOOL, 0, "true", "Candidate for background compaction.", NULL, NULL },
  { "sink", T_BOOL, 0, "true", "The dataset sink compacts while writing.", NULL, NULL },
  { "keep_versions", T_INT, 0, "2", "Versions kept per entity (>= 0).", NULL, NULL },
  { "time_threshold_hours", T_NUMBER | T_NULL, 0, "null",
    "Versions younger than this are never compacted.", NULL, NULL },
  { "time_threshold_hours_pump", T_NUMBER, 0, "720",
    "The same for the pump execution dataset (minimum 720).", NULL, NULL },
  { "growth_threshold", T_NUMBER, 0, "1.0", "Growth factor that triggers compaction.", NULL, NULL },
  { "compaction_interval", T_NUMBER, 0, "0", "Minimum seconds between sink compactions.", NULL, NULL },
  { "ttl_deletes_hours", T_NUMBER | T_NULL, 0, "null", "TTL of deleted entities.", NULL, NULL },
  { "ttl_deletes_timeout_seconds", T_NUMBER, 0, "60", "Time budget per run for TTL deletes.", NULL, NULL },
  { "retract", T_BOOL, 0, "false", "Honour $retract on output entities.", NULL, NULL },
  { "retract_timeout_seconds", T_NUMBER, 0, "60", "Time budget per run for retraction.", NULL, NULL },
  { NULL }
};

/* Digest §3.2. */
static const SluiceOptionSpec dependency_tracking_options[] = {
  { "dependency_warning_threshold", T_INT, 0, "10000",
    "Tracked entities held in memory before a warning.", NULL, NULL },
  { "dependency_error_threshold", T_INT, 0, "50000", "…before the pump fails.", NULL, NULL },
  { "dependency_warning_threshold_total_bytes", T_INT, 0, "33554432",
    "Byte threshold for the warning.", NULL, NULL },
  { "dependency_error_threshold_total_bytes", T_INT, 0, "134217728",
    "Byte threshold for failure.", NULL, NULL },
  { "enable_hops_thresholds", T_BOOL, 0, "false", "Apply the thresholds to ordinary hops.", NULL, NULL },
  { NULL }
};

static const SluiceOptionSpec pipe_namespaces_options[] = {
  { "identity", T_STRING, 0, NULL, "Namespace put on _id values (default: the pipe _id).", NULL, NULL },
  { "property", T_STRING, 0, NULL, "Namespace put on property names (default: the pipe _id).", NULL, NULL },
  { NULL }
};

static const SluiceOptionSpec pipe_metadata_options[] = {
  { "durable", T_BOOL, 0, "false",
    "Flush the pipe's data to disk before acknowledging a commit.", NULL, NULL },
  { "$config-group", T_STRING, 0, NULL, "The configuration group of the pipe.", NULL, NULL },
  { "public_read", T_BOOL, 0, "false",
    "Let the HTTP API serve the pipe's datasets and publisher without a token.", NULL, NULL },
  { NULL }
};

/* Digest §3.2. */
static const SluiceOptionSpec pipe_options[] = {
  COMMON_COMPONENT_OPTIONS,
  { "permissions", T_ARRAY, 0, NULL, "ACL tuples [allow|deny, roles, permissions].", NULL, NULL },
  { "source", T_OBJECT, F_REQUIRED, NULL, "The source: an object with a source type.", NULL, NULL },
  { "transform", T_OBJECT | T_ARRAY, 0, NULL, "A transform or a list of them, chained in order.",
    NULL, NULL },
  { "sink", T_OBJECT, 0, NULL, "The sink (default: a dataset sink named after the pipe).", NULL, NULL },
  { "pump", T_OBJECT, 0, NULL, "Scheduling and retries.", NULL, pump_options },
  { "metadata", T_OBJECT, F_OPEN, NULL, "Pipe metadata.", NULL, pipe_metadata_options },
  { "batch_size", T_INT, 0, "100", "Source entities per batch (>= 1).", NULL, NULL },
  { "checkpoint_interval", T_INT, 0, NULL,
    "Save the offset every N batches (default 10000/batch_size).", NULL, NULL },
  { "disable_set_last_seen", T_BOOL, 0, "false", "Forbid resetting the pipe offset.", NULL, NULL },
  { "enable_background_rescan", T_BOOL, 0, "false", "Allow rescans in the background.", NULL, NULL },
  { "rescan_when_config_changes", T_BOOL, 0, "false", "Reset or mark out of sync on config changes.",
    NULL, NULL },
  { "reprocessing_policy", T_STRING, 0, "\"continue\"", "continue or automatic.",
    reprocessing_choices, NULL },
  { "infer_pipe_entity_types", T_BOOL, 0, "true", "Schema inference.", NULL, NULL },
  { "dependency_tracking", T_OBJECT, 0, NULL, "Dependency tracking thresholds.", NULL,
    dependency_tracking_options },
  { "compaction", T_OBJECT, 0, NULL, "Compaction of the sink dataset.", NULL, compaction_options },
  { "namespaced_identifiers", T_BOOL, 0, NULL, "Namespace-aware behaviour.", NULL, NULL },
  { "namespaces", T_OBJECT, 0, NULL, "Identity and property namespaces.", NULL,
    pipe_namespaces_options },
  { "add_namespaces", T_BOOL, 0, NULL, "Add namespaces before the first transform.", NULL, NULL },
  { "remove_namespaces", T_BOOL, 0, NULL, "Remove namespaces after the last transform.", NULL, NULL },
  { "exclude_completeness", T_ARRAY, 0, "[]", "Datasets left out of completeness.", NULL, NULL },
  { "include_completeness", T_ARRAY, 0, NULL, "Datasets that make up completeness.", NULL, NULL },
  { NULL }
};

/* Digest §14.1. */
static const SluiceOptionSpec system_options[] = {
  COMMON_COMPONENT_OPTIONS,
  { "worker_threads", T_INT, 0, "10", "Pipes running against the system at once (>= 1).", NULL, NULL },
  { "permissions", T_ARRAY, 0, NULL, "ACL tuples [allow|deny, roles, permissions].", NULL, NULL },
  { "metadata", T_OBJECT, F_OPEN, NULL, "System metadata.", NULL, NULL },
  { NULL }
};

static const SluiceOptionSpec pattern_options[] = {
  COMMON_COMPONENT_OPTIONS,
  { NULL }
};

/* Keys every source, sink and transform object accepts besides its element's options. */
static const SluiceOptionSpec element_options[] = {
  { "type", T_STRING, F_REQUIRED, NULL, "The element type.", NULL, NULL },
  { "name", T_STRING, 0, NULL, "A human-readable name.", NULL, NULL },
  { "description", T_STRING | T_ARRAY, 0, NULL, "A description.", NULL, NULL },
  { "comment", T_STRING | T_ARRAY, 0, NULL, "A comment.", NULL, NULL },
  { NULL }
};

/* Digest §15.6. */
static const SluiceOptionSpec global_defaults_options[] = {
  { "use_signalling_internally", T_BOOL, 0, "true", "Signal internal pipes on input changes.", NULL, NULL },
  { "default_compaction_type", T_STRING, 0, "\"sink\"", "sink or background.", compaction_type_choices,
    NULL },
  { "compaction_interval", T_NUMBER, 0, "0", "Minimum seconds between sink compactions.", NULL, NULL },
  { "compaction_keep_versions", T_INT, 0, NULL, "Default compaction.keep_versions.", NULL, NULL },
  { "compaction_time_threshold_hours", T_NUMBER | T_NULL, 0, NULL,
    "Default compaction.time_threshold_hours.", NULL, NULL },
  { "compaction_time_threshold_hours_pump", T_NUMBER, 0, NULL,
    "Default compaction.time_threshold_hours_pump.", NULL, NULL },
  { "compaction_growth_threshold", T_NUMBER, 0, NULL, "Default compaction.growth_threshold.", NULL, NULL },
  { "max_entity_bytes_size", T_INT, 0, "104857600", "Largest entity accepted, in bytes.", NULL, NULL },
  { "run_at_startup_if_not_populated", T_BOOL, 0, "false", "Default of the pump key.", NULL, NULL },
  { "infer_pipe_entity_types", T_BOOL, 0, "true", "Default of the pipe key.", NULL, NULL },
  { "use_config_circuit_breaker", T_BOOL, 0, "false", "Circuit breakers on every dataset sink.", NULL, NULL },
  { "reprocessing_policy", T_STRING, 0, "\"continue\"", "Default of the pipe key.", reprocessing_choices,
    NULL },
  { "rescan_when_config_changes", T_BOOL, 0, "false", "Default of the pipe key.", NULL, NULL },
  { "enable_background_rescan", T_BOOL, 0, "false", "Default of the pipe key.", NULL, NULL },
  { "eager_load_microservices", T_BOOL, 0, "true", "Start microservices at load.", NULL, NULL },
  { "symmetric_namespace_collapse", T_BOOL, 0, "false", "Namespace collapse in merges.", NULL, NULL },
  { "max_merged", T_INT, 0, "50000", "Largest merge group.", NULL, NULL },
  { "always_index_ids", T_BOOL, 0, "false", "Index _id in every dataset.", NULL, NULL },
  { "if_source_empty", T_ANY, 0, NULL, "What a run does when its source is empty.", NULL, NULL },
  { "require_populated_input", T_BOOL, 0, "false", "Wait for populated inputs.", NULL, NULL },
  { "trace", T_OBJECT, F_OPEN, NULL, "Tracing settings.", NULL, NULL },
  { "verify_ssl", T_BOOL, 0, "false", "Default verify_ssl of URL systems.", NULL, NULL },
  { NULL }
};

/* DESIGN.md "Processes and interfaces": the HTTP API tokens; checked item by item. */
static const SluiceOptionSpec api_token_options[] = {
  { "name", T_STRING, F_REQUIRED, NULL, "Name of the token, shown in logs.", NULL, NULL },
  { "token", T_STRING, F_REQUIRED | F_SECRET, NULL, "The bearer token (use $SECRET).", NULL, NULL },
  { "access", T_STRING, F_REQUIRED, NULL, "read, write or admin.", access_choices, NULL },
  { "pipes", T_ARRAY, 0, NULL, "Limits the token to these pipes and their datasets.", NULL, NULL },
  { NULL }
};

static const SluiceOptionSpec metadata_options[] = {
  COMMON_COMPONENT_OPTIONS,
  { "namespaced_identifiers", T_BOOL, 0, "false", "Default of the pipe key.", NULL, NULL },
  { "namespaces", T_OBJECT, F_OPEN, NULL, "namespaces.default maps namespaces to URI prefixes.", NULL,
    NULL },
  { "global_defaults", T_OBJECT, 0, NULL, "Defaults for every pipe and dataset.", NULL,
    global_defaults_options },
  { "dependency_tracking", T_OBJECT, 0, NULL, "Dependency tracking thresholds.", NULL,
    dependency_tracking_options },
  { "api_tokens", T_ARRAY, 0, NULL,
    "HTTP API tokens: objects with name, token, access (read, write, admin) and optional pipes.",
    NULL, NULL },
  { NULL }
};

static SluiceOptionTable
core_table (const SluiceOptionSpec *entries)
{
  SluiceOptionTable table = { entries, sizeof (SluiceOptionSpec) };

  return table;
}

SluiceOptionTable
sluice_config_get_pipe_options (void)
{
  return core_table (pipe_options);
}

SluiceOptionTable
sluice_config_get_system_options (void)
{
  return core_table (system_options);
}

SluiceOptionTable
sluice_config_get_pattern_options (void)
{
  return core_table (pattern_options);
}

SluiceOptionTable
sluice_config_get_metadata_options (void)
{
  return core_table (metadata_options);
}

static void
problem (SluiceConfigValidation *validation, const char *pointer, gboolean at_key,
         const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
problem (SluiceConfigValidation *validation, const char *pointer, gboolean at_key,
         const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  validation->n_problems++;
  if (validation->report != NULL)
    validation->report (pointer, at_key, message, validation->user_data);
}

static char *
child_pointer (const char *pointer, const char *key)
{
  GString *out = g_string_new (pointer);

  sluice_json_pointer_append (out, key);
  return g_string_free (out, FALSE);
}

static char *
index_pointer (const char *pointer, guint index)
{
  return g_strdup_printf ("%s/%u", pointer, index);
}

static gboolean
is_secret_pointer (SluiceConfigValidation *validation, const char *pointer)
{
  return validation->secret_pointers != NULL
         && g_hash_table_contains (validation->secret_pointers, pointer);
}

/* A number as the file writes it ("1e-9", "5.0"), for messages; as a double formats when the
 * text is unknown. */
static char *
number_written (SluiceConfigValidation *validation, JsonNode *node, const char *pointer)
{
  const char *text = validation->number_text != NULL
                       ? validation->number_text (pointer, validation->user_data)
                       : NULL;
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (text != NULL)
    return g_strdup (text);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  return g_strdup (g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node)));
}

typedef enum
{
  NUMBER_HELD,
  NUMBER_TOO_LARGE, /* beyond the largest double: the node holds an infinity */
  NUMBER_TOO_SMALL, /* not 0, but nearer to 0 than the smallest double: the node holds 0 */
} NumberFit;

/* Whether the double that @node holds is the number the file wrote, to a double's precision. */
static NumberFit
double_holds (SluiceConfigValidation *validation, JsonNode *node, const char *pointer)
{
  double value = json_node_get_double (node);
  g_autofree char *written = NULL;
  gint64 integer;

  if (json_node_get_value_type (node) != G_TYPE_DOUBLE)
    return NUMBER_HELD;
  if (!isfinite (value))
    return NUMBER_TOO_LARGE;
  if (value != 0)
    return NUMBER_HELD;
  written = number_written (validation, node, pointer);
  return sluice_json_number_get_integer (written, &integer) ? NUMBER_HELD : NUMBER_TOO_SMALL;
}

/* The single SLUICE_OPTION_* type of a JSON value (INTEGER for integers, NUMBER for the others). */
static guint32
type_of (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return T_OBJECT;
    case JSON_NODE_ARRAY:
      return T_ARRAY;
    case JSON_NODE_NULL:
      return T_NULL;
    case JSON_NODE_VALUE:
    default:
      break;
    }
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return T_INT;
    case G_TYPE_DOUBLE:
      return T_NUMBER;
    case G_TYPE_BOOLEAN:
      return T_BOOL;
    default:
      return T_STRING;
    }
}

static gboolean
type_accepted (guint32 accepted, guint32 actual)
{
  if (actual == T_INT)
    return (accepted & (T_INT | T_NUMBER)) != 0;
  return (accepted & actual) != 0;
}

static const char *
type_name (guint32 type, gboolean actual)
{
  switch (type)
    {
    case T_STRING: return "a string";
    case T_INT: return "an integer";
    case T_NUMBER: return actual ? "a number with a fraction" : "a number";
    case T_BOOL: return "a boolean";
    case T_OBJECT: return "an object";
    case T_ARRAY: return "an array";
    case T_NULL: return "null";
    default: return "a value";
    }
}

/* "a string, an integer or null" */
static char *
describe_types (guint32 types)
{
  static const guint32 order[] = { T_STRING, T_INT, T_NUMBER, T_BOOL, T_OBJECT, T_ARRAY, T_NULL };
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GString *out = g_string_new (NULL);

  /* A number includes the integers: do not list both. */
  if (types & T_NUMBER)
    types &= ~T_INT;
  for (gsize i = 0; i < G_N_ELEMENTS (order); i++)
    if (types & order[i])
      g_ptr_array_add (names, (gpointer) type_name (order[i], FALSE));
  for (guint i = 0; i < names->len; i++)
    {
      if (i > 0)
        g_string_append (out, i + 1 == names->len ? " or " : ", ");
      g_string_append (out, g_ptr_array_index (names, i));
    }
  return g_string_free (out, FALSE);
}

static char *
describe_choices (const char *const *choices)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; choices[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (out, choices[i + 1] == NULL ? " or " : ", ");
      g_string_append_printf (out, "'%s'", choices[i]);
    }
  return g_string_free (out, FALSE);
}

static gboolean
lookup_either (const SluiceOptionTable *table, const SluiceOptionTable *core,
               const char *key, SluiceOptionSpec *ret_spec, const SluiceOptionTable **ret_table)
{
  if (table != NULL && sluice_option_table_lookup (table, key, ret_spec))
    {
      *ret_table = table;
      return TRUE;
    }
  if (core != NULL && sluice_option_table_lookup (core, key, ret_spec))
    {
      *ret_table = core;
      return TRUE;
    }
  return FALSE;
}

static void validate_value (SluiceConfigValidation *validation, JsonNode *value,
                            const SluiceOptionTable *table, const SluiceOptionSpec *spec,
                            const char *pointer, const char *what);

gboolean
sluice_config_validate_object (SluiceConfigValidation *validation, JsonObject *object,
                               const SluiceOptionTable *table, const SluiceOptionTable *core,
                               const char *pointer, const char *what)
{
  guint before = validation->n_problems;
  const SluiceOptionTable *tables[2] = { table, core };
  JsonObjectIter iter;
  const char *key;
  JsonNode *member;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &key, &member))
    {
      g_autofree char *member_pointer = child_pointer (pointer, key);
      const SluiceOptionTable *owner = NULL;
      SluiceOptionSpec spec;

      if (!lookup_either (table, core, key, &spec, &owner))
        {
          const char *suggestion = NULL;

          for (gsize i = 0; i < G_N_ELEMENTS (tables) && suggestion == NULL; i++)
            if (tables[i] != NULL)
              suggestion = sluice_option_table_suggest (tables[i], key);
          if (suggestion != NULL)
            problem (validation, member_pointer, TRUE, "unknown key '%s' in %s; did you mean '%s'?",
                     key, what, suggestion);
          else
            problem (validation, member_pointer, TRUE, "unknown key '%s' in %s", key, what);
          continue;
        }
      validate_value (validation, member, owner, &spec, member_pointer, what);
    }

  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      SluiceOptionSpec spec;

      if (tables[t] == NULL)
        continue;
      for (size_t i = 0; sluice_option_table_get (tables[t], i, &spec); i++)
        if ((spec.flags & F_REQUIRED) && !json_object_has_member (object, spec.key))
          problem (validation, pointer, FALSE, "missing required key '%s' in %s", spec.key, what);
    }
  return validation->n_problems == before;
}

static void
validate_value (SluiceConfigValidation *validation, JsonNode *value, const SluiceOptionTable *table,
                const SluiceOptionSpec *spec, const char *pointer, const char *what)
{
  guint32 actual = type_of (value);
  gboolean secret = is_secret_pointer (validation, pointer);

  if ((spec->flags & F_SECRET) && validation->secret_pointers != NULL)
    g_hash_table_add (validation->secret_pointers, g_strdup (pointer));

  /* JSON has one kind of number: an integer option takes any that is exactly an integer, however
   * written, and from here on holds it as one. */
  if (actual == T_NUMBER && (spec->types & T_INT) && !(spec->types & T_NUMBER))
    {
      g_autofree char *written = number_written (validation, value, pointer);
      g_autofree char *expected = describe_types (spec->types);
      double d = json_node_get_double (value);
      gint64 integer;

      if (sluice_json_number_get_integer (written, &integer))
        {
          json_node_set_int (value, integer);
          actual = T_INT;
        }
      else if (secret)
        {
          problem (validation, pointer, FALSE, "wrong type for '%s': expected %s, got %s",
                   spec->key, expected, type_name (actual, TRUE));
          return;
        }
      else if (d == trunc (d) && fabs (d) >= 9223372036854775808.0 /* 2^63 */)
        {
          problem (validation, pointer, FALSE,
                   "wrong type for '%s': expected %s, got %s, which is beyond the integers sluice "
                   "holds (-2^63 to 2^63-1)", spec->key, expected, written);
          return;
        }
      else
        {
          problem (validation, pointer, FALSE, "wrong type for '%s': expected %s, got %s",
                   spec->key, expected, written);
          return;
        }
    }
  if (!type_accepted (spec->types, actual))
    {
      g_autofree char *expected = describe_types (spec->types);
      g_autofree char *got = actual == T_NUMBER && !secret
                               ? number_written (validation, value, pointer)
                               : g_strdup (type_name (actual, TRUE));

      problem (validation, pointer, FALSE, "wrong type for '%s': expected %s, got %s", spec->key,
               expected, got);
      return;
    }
  /* Options are numbers the engine and plugins hold in a double: one it cannot hold would mean
   * another value (infinity, or 0).  Entities keep any number (sluice-config-json.h). */
  if (actual == T_NUMBER)
    {
      NumberFit fit = double_holds (validation, value, pointer);
      g_autofree char *got = secret ? g_strdup ("a number")
                                    : number_written (validation, value, pointer);

      if (fit == NUMBER_TOO_LARGE)
        problem (validation, pointer, FALSE,
                 "'%s' is beyond what a number option holds (a binary64 double, up to about "
                 "1.8e308), got %s", spec->key, got);
      else if (fit == NUMBER_TOO_SMALL)
        problem (validation, pointer, FALSE,
                 "'%s' is too small for a number option, which would hold it as 0 (a binary64 "
                 "double holds magnitudes from about 4.9e-324), got %s", spec->key, got);
    }
  if (actual == T_STRING && spec->choices != NULL)
    {
      const char *text = json_node_get_string (value);

      if (!g_strv_contains (spec->choices, text))
        {
          g_autofree char *choices = describe_choices (spec->choices);

          if (secret || (spec->flags & F_SECRET))
            problem (validation, pointer, FALSE, "invalid value for '%s': expected %s", spec->key,
                     choices);
          else
            problem (validation, pointer, FALSE, "invalid value '%s' for '%s': expected %s", text,
                     spec->key, choices);
        }
    }
  if (actual == T_OBJECT && spec->properties != NULL)
    {
      SluiceOptionTable nested = sluice_option_table_nested (table, spec);
      g_autofree char *nested_what = g_strdup_printf ("'%s' of %s", spec->key, what);

      if ((spec->flags & F_OPEN) == 0)
        sluice_config_validate_object (validation, json_node_get_object (value), &nested, NULL,
                                       pointer, nested_what);
      else
        {
          /* An open object: check the keys it knows, accept the others. */
          JsonObjectIter iter;
          const char *key;
          JsonNode *member;

          json_object_iter_init_ordered (&iter, json_node_get_object (value));
          while (json_object_iter_next_ordered (&iter, &key, &member))
            {
              SluiceOptionSpec member_spec;
              g_autofree char *member_pointer = child_pointer (pointer, key);

              if (sluice_option_table_lookup (&nested, key, &member_spec))
                validate_value (validation, member, &nested, &member_spec, member_pointer,
                                nested_what);
            }
        }
    }
}

/* The allowed values of a core numeric option, which an option table cannot say.  Integers are
 * counts the engine keeps in a guint (and compares with "<=": retry counts stop below 2^31), or
 * values handed to plugins through a uint32_t (batch_size); seconds are bounded by what the
 * scheduler's µs arithmetic holds.  Options the engine does not read yet only get the bound
 * their meaning implies (digest §2.5, §3.2, §3.4, §15.1). */
typedef struct
{
  const char *pointer; /* in the component */
  double minimum;
  double maximum;      /* INFINITY: no upper bound */
  const char *allowed; /* the range in words */
} NumberRange;

#define COUNT_MAX 4294967295.0 /* G_MAXUINT32 */
#define RETRIES_MAX 2147483647.0 /* G_MAXINT32 */
#define BETWEEN_0_AND_RETRIES_MAX "between 0 and 2147483647"
#define BETWEEN_1_AND_COUNT_MAX "between 1 and 4294967295"
#define SECONDS_RANGE "seconds (100 years)"

/* The pipe's and the metadata's dependency_tracking. */
#define DEPENDENCY_TRACKING_RANGES                                                                \
  { "/dependency_tracking/dependency_warning_threshold", 0, INFINITY, "at least 0" },            \
  { "/dependency_tracking/dependency_error_threshold", 0, INFINITY, "at least 0" },              \
  { "/dependency_tracking/dependency_warning_threshold_total_bytes", 0, INFINITY, "at least 0" }, \
  { "/dependency_tracking/dependency_error_threshold_total_bytes", 0, INFINITY, "at least 0" }

static const NumberRange pipe_ranges[] = {
  { "/batch_size", 1, COUNT_MAX, BETWEEN_1_AND_COUNT_MAX },
  { "/checkpoint_interval", 1, COUNT_MAX, BETWEEN_1_AND_COUNT_MAX },
  { "/pump/schedule_interval", SLUICE_CONFIG_MIN_SCHEDULE_INTERVAL_S,
    SLUICE_CONFIG_MAX_SCHEDULE_INTERVAL_S, "between 1 and 3153600000 " SECONDS_RANGE },
  { "/pump/rescan_run_count", 1, COUNT_MAX, BETWEEN_1_AND_COUNT_MAX },
  { "/pump/partial_rescan_run_count", 1, COUNT_MAX, BETWEEN_1_AND_COUNT_MAX },
  { "/pump/partial_rescan_delta", 0, SLUICE_CONFIG_MAX_PARTIAL_RESCAN_DELTA,
    "between 0 and 1000000000000000" },
  { "/pump/max_read_retries", 0, RETRIES_MAX, BETWEEN_0_AND_RETRIES_MAX },
  { "/pump/read_retry_delay", 0, SLUICE_CONFIG_MAX_SCHEDULE_INTERVAL_S,
    "between 0 and 3153600000 " SECONDS_RANGE },
  { "/pump/write_retry_delay", 0, SLUICE_CONFIG_MAX_SCHEDULE_INTERVAL_S,
    "between 0 and 3153600000 " SECONDS_RANGE },
  { "/pump/max_retries_per_entity", 0, RETRIES_MAX, BETWEEN_0_AND_RETRIES_MAX },
  { "/pump/max_consecutive_write_errors", 1, RETRIES_MAX, "between 1 and 2147483647" },
  { "/pump/max_write_errors_in_retry_dataset", 0, RETRIES_MAX, BETWEEN_0_AND_RETRIES_MAX },
  { "/pump/batch_retries", 0, RETRIES_MAX, BETWEEN_0_AND_RETRIES_MAX },
  { "/pump/notification_granularity", 0, INFINITY, "at least 0" },
  { "/pump/max_seconds_per_entity", 0, INFINITY, "at least 0" },
  { "/compaction/keep_versions", 0, INFINITY, "at least 0" },
  { "/compaction/time_threshold_hours", 0, INFINITY, "at least 0" },
  { "/compaction/time_threshold_hours_pump", 720, INFINITY, "at least 720 (30 days)" },
  { "/compaction/growth_threshold", 0, INFINITY, "at least 0" },
  { "/compaction/compaction_interval", 0, INFINITY, "at least 0" },
  { "/compaction/ttl_deletes_hours", 0, INFINITY, "at least 0" },
  { "/compaction/ttl_deletes_timeout_seconds", 0, INFINITY, "at least 0" },
  { "/compaction/retract_timeout_seconds", 0, INFINITY, "at least 0" },
  DEPENDENCY_TRACKING_RANGES,
  { NULL }
};

static const NumberRange system_ranges[] = {
  { "/worker_threads", 1, RETRIES_MAX, "between 1 and 2147483647" },
  { NULL }
};

static const NumberRange metadata_ranges[] = {
  { "/global_defaults/compaction_interval", 0, INFINITY, "at least 0" },
  { "/global_defaults/compaction_keep_versions", 0, INFINITY, "at least 0" },
  { "/global_defaults/compaction_time_threshold_hours", 0, INFINITY, "at least 0" },
  { "/global_defaults/compaction_time_threshold_hours_pump", 720, INFINITY,
    "at least 720 (30 days)" },
  { "/global_defaults/compaction_growth_threshold", 0, INFINITY, "at least 0" },
  { "/global_defaults/max_entity_bytes_size", 1, INFINITY, "at least 1" },
  { "/global_defaults/max_merged", 1, INFINITY, "at least 1" },
  DEPENDENCY_TRACKING_RANGES,
  { NULL }
};

/* The value at @pointer ("/pump/schedule_interval": plain keys, no escapes) of @object, or NULL. */
static JsonNode *
member_at (JsonObject *object, const char *pointer)
{
  g_auto (GStrv) keys = g_strsplit (pointer + 1, "/", -1);
  JsonNode *node = NULL;

  for (gsize i = 0; keys[i] != NULL; i++)
    {
      if (object == NULL)
        return NULL;
      node = json_object_get_member (object, keys[i]);
      object = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    }
  return node;
}

/* The types the option at @pointer of @table accepts, 0 when the table has no such option. */
static guint32
types_at (SluiceOptionTable table, const char *pointer)
{
  g_auto (GStrv) keys = g_strsplit (pointer + 1, "/", -1);
  SluiceOptionSpec spec = { 0 };

  for (gsize i = 0; keys[i] != NULL; i++)
    {
      if (i > 0)
        table = sluice_option_table_nested (&table, &spec);
      if (!sluice_option_table_lookup (&table, keys[i], &spec))
        return 0;
    }
  return spec.types;
}

/* Reports every number of @object outside its range.  A value of a type the option refuses (a
 * fraction for an integer option) was reported as such. */
static void
check_ranges (SluiceConfigValidation *validation, JsonObject *object, SluiceOptionTable table,
              const NumberRange *ranges)
{
  for (const NumberRange *range = ranges; range->pointer != NULL; range++)
    {
      JsonNode *node = member_at (object, range->pointer);
      guint32 types = types_at (table, range->pointer);
      guint32 type;
      double value;

      /* A range of an option the table does not have would check nothing. */
      g_return_if_fail (types != 0);
      if (node == NULL)
        continue;
      type = type_of (node);
      if ((type != T_INT && type != T_NUMBER) || !type_accepted (types, type))
        continue;
      /* A number a double cannot hold was reported as such. */
      if (double_holds (validation, node, range->pointer) != NUMBER_HELD)
        continue;
      value = json_node_get_double (node);
      if (value < range->minimum || value > range->maximum)
        {
          g_autofree char *written = number_written (validation, node, range->pointer);

          problem (validation, range->pointer, FALSE, "'%s' must be %s, got %s",
                   strrchr (range->pointer, '/') + 1, range->allowed, written);
        }
    }
}

/* A cron expression is checked here, so that --check-config finds what the daemon would refuse. */
static void
check_cron (SluiceConfigValidation *validation, JsonObject *pump, const char *key)
{
  JsonNode *node = json_object_get_member (pump, key);
  g_autoptr (SluiceCron) cron = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *pointer = NULL;

  if (node == NULL || type_of (node) != T_STRING)
    return;
  cron = sluice_cron_parse (json_node_get_string (node), &error);
  if (cron != NULL)
    return;
  pointer = child_pointer ("/pump", key);
  problem (validation, pointer, FALSE, "%s", error->message);
}

static JsonObject *
get_object_member (JsonObject *object, const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* Looks up @type_name and checks its kind; reports at @type_pointer. */
static const SluiceElementDescriptor *
lookup_element (SluiceConfigValidation *validation, const char *type_name, SluiceElementKind kind,
                const char *position, const char *type_pointer)
{
  g_autoptr (GError) error = NULL;
  const SluiceElementDescriptor *element;

  element = sluice_registry_lookup_element (validation->registry, kind, type_name, NULL, &error);
  if (element == NULL && g_error_matches (error, SLUICE_REGISTRY_ERROR, SLUICE_REGISTRY_ERROR_WRONG_KIND))
    problem (validation, type_pointer, FALSE, "%s: it cannot be used %s", error->message, position);
  else if (element == NULL)
    problem (validation, type_pointer, FALSE, "%s", error->message);
  return element;
}

/* A source, sink or transform object of a pipe. */
static void
validate_element_object (SluiceConfigValidation *validation, JsonNode *node, SluiceElementKind kind,
                         const char *pointer, const char *position, const char *what)
{
  SluiceOptionTable core = core_table (element_options);
  const SluiceElementDescriptor *element;
  g_autofree char *type_pointer = child_pointer (pointer, "type");
  g_autofree char *element_what = NULL;
  SluiceOptionTable table;
  JsonObject *object;
  JsonNode *type_node;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      problem (validation, pointer, FALSE, "wrong type for %s: expected an object, got %s", what,
               type_name (type_of (node), TRUE));
      return;
    }
  object = json_node_get_object (node);
  type_node = json_object_get_member (object, "type");
  if (type_node == NULL)
    {
      problem (validation, pointer, FALSE, "missing required key 'type' in %s", what);
      return;
    }
  if (type_of (type_node) != T_STRING)
    {
      problem (validation, type_pointer, FALSE, "wrong type for 'type': expected a string, got %s",
               type_name (type_of (type_node), TRUE));
      return;
    }
  element = lookup_element (validation, json_node_get_string (type_node), kind, position,
                            type_pointer);
  if (element == NULL)
    return;
  table = sluice_option_table_from_element (element);
  element_what = g_strdup_printf ("%s type '%s'", sluice_element_kind_get_name (kind),
                                  element->type_name);
  sluice_config_validate_object (validation, object, &table, &core, pointer, element_what);
}

static void
validate_pipe (SluiceConfigValidation *validation, JsonObject *object)
{
  SluiceOptionTable table = core_table (pipe_options);
  JsonNode *source = json_object_get_member (object, "source");
  JsonNode *sink = json_object_get_member (object, "sink");
  JsonNode *transform = json_object_get_member (object, "transform");
  JsonObject *pump = get_object_member (object, "pump");

  sluice_config_validate_object (validation, object, &table, NULL, "", "a pipe");
  if (source != NULL && JSON_NODE_HOLDS_OBJECT (source))
    validate_element_object (validation, source, SLUICE_ELEMENT_KIND_SOURCE, "/source",
                             "as a source", "the source");
  if (sink != NULL && JSON_NODE_HOLDS_OBJECT (sink))
    validate_element_object (validation, sink, SLUICE_ELEMENT_KIND_SINK, "/sink", "as a sink",
                             "the sink");
  if (transform != NULL && JSON_NODE_HOLDS_OBJECT (transform))
    validate_element_object (validation, transform, SLUICE_ELEMENT_KIND_TRANSFORM, "/transform",
                             "as a transform", "the transform");
  else if (transform != NULL && JSON_NODE_HOLDS_ARRAY (transform))
    {
      JsonArray *array = json_node_get_array (transform);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *pointer = index_pointer ("/transform", i);
          g_autofree char *what = g_strdup_printf ("transform %u", i);

          validate_element_object (validation, json_array_get_element (array, i),
                                   SLUICE_ELEMENT_KIND_TRANSFORM, pointer, "as a transform", what);
        }
    }

  check_ranges (validation, object, table, pipe_ranges);
  if (pump != NULL)
    {
      if (json_object_has_member (pump, "rescan_run_count")
          && json_object_has_member (pump, "rescan_cron_expression"))
        problem (validation, "/pump/rescan_cron_expression", TRUE,
                 "'rescan_cron_expression' and 'rescan_run_count' cannot both be set: choose one");
      if (json_object_has_member (pump, "partial_rescan_run_count")
          && !json_object_has_member (pump, "partial_rescan_delta"))
        problem (validation, "/pump/partial_rescan_run_count", TRUE,
                 "'partial_rescan_run_count' requires 'partial_rescan_delta'");
      check_cron (validation, pump, "cron_expression");
      check_cron (validation, pump, "rescan_cron_expression");
    }
}

/* An API token's `pipes`: pipe ids, so strings (the loader checks that each names a pipe of the
 * configuration, once every file is read). */
static void
check_token_pipes (SluiceConfigValidation *validation, JsonObject *token, const char *pointer)
{
  JsonNode *pipes = json_object_get_member (token, "pipes");

  if (pipes == NULL || !JSON_NODE_HOLDS_ARRAY (pipes))
    return;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (pipes)); i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (pipes), i);
      g_autofree char *base = g_strconcat (pointer, "/pipes", NULL);
      g_autofree char *at = index_pointer (base, i);

      if (type_of (item) != SLUICE_OPTION_STRING)
        problem (validation, at, FALSE, "wrong type for a pipe of an API token: expected a pipe "
                 "_id (a string), got %s", type_name (type_of (item), TRUE));
    }
}

/* The string member @key of an API token, or NULL. */
static const char *
token_string (JsonArray *tokens, guint index, const char *key)
{
  JsonNode *item = json_array_get_element (tokens, index);
  JsonNode *member;

  if (!JSON_NODE_HOLDS_OBJECT (item))
    return NULL;
  member = json_object_get_member (json_node_get_object (item), key);
  return member != NULL && type_of (member) == T_STRING ? json_node_get_string (member) : NULL;
}

/* "API token 'ops'", or by its pointer when it has no usable name.  Never the token. */
static char *
token_label (SluiceConfigValidation *validation, JsonArray *tokens, guint index)
{
  g_autofree char *pointer = g_strdup_printf ("/api_tokens/%u/name", index);
  const char *name = token_string (tokens, index, "name");

  if (name == NULL || is_secret_pointer (validation, pointer))
    return g_strdup_printf ("API token /api_tokens/%u", index);
  return g_strdup_printf ("API token '%s'", name);
}

/* The token itself, as substituted: one that no Authorization header can carry would be accepted
 * and never work, and two entries with the same token would let the first one silently win.
 * @seen maps the tokens of the entries before @index to their index + 1. */
static void
check_token_value (SluiceConfigValidation *validation, JsonArray *tokens, guint index,
                   GHashTable *seen)
{
  const char *token = token_string (tokens, index, "token");
  g_autofree char *pointer = g_strdup_printf ("/api_tokens/%u/token", index);
  g_autofree char *label = NULL;
  guint first;
  gsize length;

  if (token == NULL)
    return;
  label = token_label (validation, tokens, index);
  length = strlen (token);
  if (length == 0)
    {
      problem (validation, pointer, FALSE, "%s is empty: it could never be presented", label);
      return;
    }
  /* The bearer parser (sluice_http_parse_bearer) drops white space around the credential, and a
   * header field carries no control character but the tab. */
  if (g_ascii_isspace (token[0]) || g_ascii_isspace (token[length - 1]))
    {
      problem (validation, pointer, FALSE,
               "%s begins or ends with white space, which an Authorization header cannot carry",
               label);
      return;
    }
  for (const char *c = token; *c != '\0'; c++)
    if ((*c > 0 && *c < 0x20 && *c != '\t') || *c == 0x7f)
      {
        problem (validation, pointer, FALSE,
                 "%s contains a control character, which an Authorization header cannot carry",
                 label);
        return;
      }
  first = GPOINTER_TO_UINT (g_hash_table_lookup (seen, token));
  if (first != 0)
    {
      g_autofree char *first_label = token_label (validation, tokens, first - 1);

      problem (validation, pointer, FALSE,
               "%s has the same token as %s (/api_tokens/%u): every token must be different, "
               "whatever its access", label, first_label, first - 1);
      return;
    }
  g_hash_table_insert (seen, (gpointer) token, GUINT_TO_POINTER (index + 1));
}

static void
validate_metadata (SluiceConfigValidation *validation, JsonObject *object)
{
  SluiceOptionTable table = core_table (metadata_options);
  SluiceOptionTable token_table = core_table (api_token_options);
  JsonNode *tokens = json_object_get_member (object, "api_tokens");

  sluice_config_validate_object (validation, object, &table, NULL, "", "the service metadata");
  check_ranges (validation, object, table, metadata_ranges);
  if (tokens != NULL && JSON_NODE_HOLDS_ARRAY (tokens))
    {
      JsonArray *array = json_node_get_array (tokens);
      g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          g_autofree char *pointer = index_pointer ("/api_tokens", i);

          if (!JSON_NODE_HOLDS_OBJECT (item))
            {
              problem (validation, pointer, FALSE, "wrong type for an API token: expected an object, got %s",
                       type_name (type_of (item), TRUE));
              continue;
            }
          sluice_config_validate_object (validation, json_node_get_object (item), &token_table, NULL,
                                         pointer, "an API token");
          check_token_value (validation, array, i, seen);
          check_token_pipes (validation, json_node_get_object (item), pointer);
        }
    }
}

/* A system or pattern: the core keys plus the element's options on the same object. */
static const SluiceElementDescriptor *
validate_element_component (SluiceConfigValidation *validation, JsonObject *object,
                            const char *type_name, SluiceElementKind kind,
                            const SluiceOptionSpec *core_entries)
{
  SluiceOptionTable core = core_table (core_entries);
  const SluiceElementDescriptor *element;
  g_autofree char *what = NULL;
  SluiceOptionTable table;

  element = lookup_element (validation, type_name, kind, "as a component type", "/type");
  if (element == NULL)
    return NULL;
  table = sluice_option_table_from_element (element);
  what = g_strdup_printf ("%s type '%s'", sluice_element_kind_get_name (kind), type_name);
  sluice_config_validate_object (validation, object, &table, &core, "", what);
  if (kind == SLUICE_ELEMENT_KIND_SYSTEM)
    check_ranges (validation, object, core, system_ranges);
  return element;
}

static const char *const component_types[] = { "pipe", "metadata", NULL };

gboolean
sluice_config_validate_component (SluiceConfigValidation *validation, JsonNode *component,
                                  SluiceComponentKind *ret_kind,
                                  const SluiceElementDescriptor **ret_element)
{
  guint before = validation->n_problems;
  const SluiceElementDescriptor *element = NULL;
  JsonObject *object;
  JsonNode *id_node, *type_node;
  const char *type;
  const char *id = NULL;

  if (ret_element != NULL)
    *ret_element = NULL;
  if (!JSON_NODE_HOLDS_OBJECT (component))
    {
      problem (validation, "", FALSE, "expected a component object, got %s",
               type_name (type_of (component), TRUE));
      return FALSE;
    }
  object = json_node_get_object (component);

  id_node = json_object_get_member (object, "_id");
  if (id_node == NULL)
    problem (validation, "", FALSE, "missing required key '_id' in a component");
  else if (type_of (id_node) != T_STRING)
    problem (validation, "/_id", FALSE, "wrong type for '_id': expected a string, got %s",
             type_name (type_of (id_node), TRUE));
  else
    {
      id = json_node_get_string (id_node);
      if (*id == '\0')
        problem (validation, "/_id", FALSE, "'_id' must not be empty");
      else if (strchr (id, '/') != NULL)
        problem (validation, "/_id", FALSE, "'_id' must not contain '/'");
    }

  type_node = json_object_get_member (object, "type");
  if (type_node == NULL)
    {
      problem (validation, "", FALSE, "missing required key 'type' in a component");
      return FALSE;
    }
  if (type_of (type_node) != T_STRING)
    {
      problem (validation, "/type", FALSE, "wrong type for 'type': expected a string, got %s",
               type_name (type_of (type_node), TRUE));
      return FALSE;
    }
  type = json_node_get_string (type_node);

  if (g_str_equal (type, "pipe"))
    {
      *ret_kind = SLUICE_COMPONENT_PIPE;
      validate_pipe (validation, object);
    }
  else if (g_str_equal (type, "metadata"))
    {
      *ret_kind = SLUICE_COMPONENT_METADATA;
      if (id != NULL && !g_str_equal (id, "node") && is_secret_pointer (validation, "/_id"))
        problem (validation, "/_id", FALSE, "the service metadata component must have _id 'node'");
      else if (id != NULL && !g_str_equal (id, "node"))
        problem (validation, "/_id", FALSE,
                 "the service metadata component must have _id 'node', got '%s'", id);
      validate_metadata (validation, object);
    }
  else if (g_str_has_prefix (type, "system:"))
    {
      *ret_kind = SLUICE_COMPONENT_SYSTEM;
      element = validate_element_component (validation, object, type, SLUICE_ELEMENT_KIND_SYSTEM,
                                            system_options);
    }
  else if (g_str_has_prefix (type, "pattern:"))
    {
      *ret_kind = SLUICE_COMPONENT_PATTERN;
      element = validate_element_component (validation, object, type, SLUICE_ELEMENT_KIND_PATTERN,
                                            pattern_options);
    }
  else
    {
      const char *best = NULL;
      size_t best_distance = G_MAXSIZE;

      for (gsize i = 0; component_types[i] != NULL; i++)
        {
          size_t distance = sluice_option_table_key_distance (type, component_types[i]);

          if (distance < best_distance)
            {
              best = component_types[i];
              best_distance = distance;
            }
        }
      if (best_distance * 3 <= strlen (type))
        problem (validation, "/type", FALSE,
                 "unknown component type '%s': expected 'pipe', 'metadata', 'system:<kind>' or "
                 "'pattern:<kind>'; did you mean '%s'?", type, best);
      else
        problem (validation, "/type", FALSE,
                 "unknown component type '%s': expected 'pipe', 'metadata', 'system:<kind>' or "
                 "'pattern:<kind>'", type);
      return FALSE;
    }
  if (ret_element != NULL)
    *ret_element = element;
  return validation->n_problems == before;
}

void
sluice_config_fill_defaults (JsonObject *object, const SluiceOptionTable *table)
{
  SluiceOptionSpec spec;

  for (size_t i = 0; sluice_option_table_get (table, i, &spec); i++)
    {
      JsonNode *member = json_object_get_member (object, spec.key);

      if (member == NULL && spec.default_json != NULL)
        {
          JsonNode *value = json_from_string (spec.default_json, NULL);

          /* The registry checked that every default parses. */
          if (value != NULL)
            json_object_set_member (object, spec.key, value);
        }
      else if (member != NULL && JSON_NODE_HOLDS_OBJECT (member) && spec.properties != NULL)
        {
          SluiceOptionTable nested = sluice_option_table_nested (table, &spec);

          sluice_config_fill_defaults (json_node_get_object (member), &nested);
        }
    }
}
