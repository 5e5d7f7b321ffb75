/* retry-test.c — sluice-retry-test.so: a source and a sink that fail on demand, for the tests of
 * read retries, write retries and dead letters (tests/integration/test-retries.c).
 *
 *  - source `test-flaky-source`: entities {"_id": "e<i>", "n": i, "value": <value>,
 *    "_updated": i} for i in 0..count-1, batch after batch (chronological continuation; with a
 *    since it emits only i > since).  Read call number `fail_at_read` of a run (from 1) fails
 *    `fail_times` times in a row with the flow `fail_flow` ("retry" or "error") before it
 *    succeeds; a failing call puts entities into the batch first, which the host must drop.
 *  - sink `test-picky-sink`: appends each batch to `dataset` (default: the pipe `_id`), unless the
 *    batch holds an id of `fail_ids` (whose `value` is `fail_value`, when that is set): then it
 *    appends nothing and fails with `fail_flow` (with `fail_breaker`, the error is a
 * circuit-breaker trip).  Each id fails `fail_times` times (counted over the sink's life; < 0:
 * always).  With `log_file`, every write call appends a line "<ids joined by ','> ok|fail" to it,
 * so that a test sees which writes were tried.
 */
#include <stdio.h>
#include <string.h>

#include <sluice-plugin-sdk.h>

static SluiceFlow
parse_flow (SluiceElementContext *context)
{
  const char *flow = sluice_element_context_get_string (context, "fail_flow", "retry");

  return g_strcmp0 (flow, "error") == 0 ? SLUICE_FLOW_ERROR : SLUICE_FLOW_RETRY;
}

/* test-flaky-source */

typedef struct
{
  SluiceElementContext *context;
  int64_t since; /* -1: none */
  int64_t next;
  int64_t reads;    /* read calls in this run */
  int64_t failures; /* failures of call fail_at_read so far in this run */
} Flaky;

static const SluiceOptionSpec flaky_options[] = {
  { .key = "count",
    .types = SLUICE_OPTION_INTEGER,
    .default_json = "10",
    .description = "How many entities to emit." },
  { .key = "value",
    .types = SLUICE_OPTION_STRING,
    .default_json = "\"v\"",
    .description = "The `value` property of every entity." },
  { .key = "fail_at_read",
    .types = SLUICE_OPTION_INTEGER,
    .default_json = "0",
    .description = "The read call (from 1) that fails; 0: none." },
  { .key = "fail_times",
    .types = SLUICE_OPTION_INTEGER,
    .default_json = "1",
    .description = "How many times in a row that call fails before it succeeds." },
  { .key = "fail_flow",
    .types = SLUICE_OPTION_STRING,
    .default_json = "\"retry\"",
    .description = "\"retry\" or \"error\"." },
  { NULL },
};

static void *
flaky_create (SluiceElementContext *context, GError **error)
{
  Flaky *self = g_new0 (Flaky, 1);

  self->context = context;
  return self;
}

static void
flaky_destroy (void *instance)
{
  g_free (instance);
}

static uint32_t
flaky_get_capabilities (void *instance)
{
  return SLUICE_SOURCE_SUPPORTS_SINCE | SLUICE_SOURCE_IS_SINCE_COMPARABLE
         | SLUICE_SOURCE_IS_CHRONOLOGICAL;
}

static gboolean
flaky_open (void *instance, uint32_t run_flags, const SluiceValue *since, GError **error)
{
  Flaky *self = instance;

  self->since = since != NULL ? sluice_value_get_integer (since) : -1;
  self->next = self->since + 1;
  self->reads = 0;
  self->failures = 0;
  return TRUE;
}

static void
add_entity (Flaky *self, SluiceBatch *batch, int64_t i)
{
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();
  g_autoptr (SluiceValue) body = NULL;
  g_autofree char *id = g_strdup_printf ("e%" G_GINT64_FORMAT, i);

  sluice_dict_builder_take (builder, "_id", sluice_value_new_string (id, -1));
  sluice_dict_builder_take (builder, "n", sluice_value_new_integer (i));
  sluice_dict_builder_take (
      builder, "value",
      sluice_value_new_string (sluice_element_context_get_string (self->context, "value", "v"),
                               -1));
  sluice_dict_builder_take (builder, "_updated", sluice_value_new_integer (i));
  body = sluice_dict_builder_end (g_steal_pointer (&builder));
  sluice_batch_take (batch, sluice_entity_new (body, NULL));
}

static SluiceFlow
flaky_read (void *instance, SluiceBatch *batch, uint32_t max_entities, GError **error)
{
  Flaky *self = instance;
  int64_t count = sluice_element_context_get_integer (self->context, "count", 10);
  int64_t fail_at = sluice_element_context_get_integer (self->context, "fail_at_read", 0);
  int64_t fail_times = sluice_element_context_get_integer (self->context, "fail_times", 1);

  if (self->failures == 0 || self->failures >= fail_times)
    self->reads++;
  if (self->reads == fail_at && self->failures < fail_times)
    {
      self->failures++;
      /* A half-filled batch, as a source that broke in the middle leaves it. */
      if (self->next < count)
        add_entity (self, batch, self->next);
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO,
                   "read %" G_GINT64_FORMAT " failed (failure %" G_GINT64_FORMAT
                   " of %" G_GINT64_FORMAT ") as configured",
                   self->reads, self->failures, fail_times);
      return parse_flow (self->context);
    }
  while (self->next < count && sluice_batch_get_length (batch) < max_entities)
    add_entity (self, batch, self->next++);
  return self->next < count ? SLUICE_FLOW_OK : SLUICE_FLOW_EOS;
}

static const SluiceSourceCallbacks flaky_callbacks = {
  SLUICE_SOURCE_CALLBACKS_INIT, .create = flaky_create,
  .destroy = flaky_destroy,     .get_capabilities = flaky_get_capabilities,
  .open = flaky_open,           .read = flaky_read,
};

static const SluiceElementDescriptor flaky_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .type_name = "test-flaky-source",
  .description = "Emits numbered entities; one read call fails on demand.",
  .options = flaky_options,
  .callbacks = &flaky_callbacks,
};

/* test-picky-sink */

typedef struct
{
  SluiceElementContext *context;
  const char *dataset;
  GHashTable *failures; /* id → number of failures so far (GINT_TO_POINTER) */
} Picky;

static const SluiceOptionSpec picky_options[] = {
  { .key = "dataset",
    .types = SLUICE_OPTION_STRING,
    .flags = SLUICE_OPTION_FLAG_DATASET,
    .description = "The dataset each batch is appended to (default: the pipe `_id`)." },
  { .key = "fail_ids",
    .types = SLUICE_OPTION_ARRAY,
    .default_json = "[]",
    .description = "Ids the sink rejects; a batch holding one fails as a whole." },
  { .key = "fail_times",
    .types = SLUICE_OPTION_INTEGER,
    .default_json = "-1",
    .description = "How many times each of those ids is rejected; < 0: always." },
  { .key = "fail_flow",
    .types = SLUICE_OPTION_STRING,
    .default_json = "\"retry\"",
    .description = "\"retry\" or \"error\"." },
  { .key = "fail_value",
    .types = SLUICE_OPTION_STRING,
    .description = "Only entities whose `value` is this are rejected." },
  { .key = "fail_breaker",
    .types = SLUICE_OPTION_BOOLEAN,
    .default_json = "false",
    .description = "Fail with a circuit-breaker trip." },
  { .key = "log_file",
    .types = SLUICE_OPTION_STRING,
    .description = "Every write call appends a line \"<ids> ok|fail\" here." },
  { NULL },
};

static void *
picky_create (SluiceElementContext *context, GError **error)
{
  Picky *self = g_new0 (Picky, 1);

  self->context = context;
  self->dataset = sluice_element_context_get_string (
      context, "dataset", sluice_element_context_get_component_id (context));
  self->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

static void
picky_destroy (void *instance)
{
  Picky *self = instance;

  g_hash_table_unref (self->failures);
  g_free (self);
}

static gboolean
is_rejected (Picky *self, SluiceEntity *entity)
{
  SluiceValue *ids
      = sluice_value_dict_lookup (sluice_element_context_get_options (self->context), "fail_ids");
  int64_t times = sluice_element_context_get_integer (self->context, "fail_times", -1);
  const char *fail_value = sluice_element_context_get_string (self->context, "fail_value", NULL);
  SluiceValue *value = sluice_value_dict_lookup (sluice_entity_get_body (entity), "value");
  const char *id = sluice_entity_get_id (entity);

  if (fail_value != NULL
      && (value == NULL || sluice_value_get_kind (value) != SLUICE_VALUE_STRING
          || strcmp (sluice_value_get_string (value, NULL), fail_value) != 0))
    return FALSE;

  for (size_t i = 0; ids != NULL && i < sluice_value_list_get_length (ids); i++)
    {
      SluiceValue *item = sluice_value_list_get (ids, i);

      if (sluice_value_get_kind (item) == SLUICE_VALUE_STRING
          && strcmp (sluice_value_get_string (item, NULL), id) == 0)
        return times < 0 || GPOINTER_TO_INT (g_hash_table_lookup (self->failures, id)) < times;
    }
  return FALSE;
}

static void
log_write (Picky *self, const SluiceBatch *batch, gboolean ok)
{
  const char *path = sluice_element_context_get_string (self->context, "log_file", NULL);
  g_autoptr (GString) line = g_string_new (NULL);
  FILE *file;

  if (path == NULL)
    return;
  for (size_t i = 0; i < sluice_batch_get_length (batch); i++)
    g_string_append_printf (line, "%s%s", i > 0 ? "," : "",
                            sluice_entity_get_id (sluice_batch_get (batch, i)));
  file = fopen (path, "a");
  g_assert (file != NULL);
  fprintf (file, "%s %s\n", line->str, ok ? "ok" : "fail");
  fclose (file);
}

static SluiceFlow
picky_write (void *instance, const SluiceBatch *batch, GError **error)
{
  Picky *self = instance;
  const char *rejected = NULL;

  for (size_t i = 0; i < sluice_batch_get_length (batch); i++)
    {
      SluiceEntity *entity = sluice_batch_get (batch, i);
      const char *id = sluice_entity_get_id (entity);

      if (is_rejected (self, entity))
        {
          g_hash_table_replace (
              self->failures, g_strdup (id),
              GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (self->failures, id)) + 1));
          if (rejected == NULL)
            rejected = id;
        }
    }
  log_write (self, batch, rejected == NULL);
  if (rejected != NULL)
    {
      gboolean breaker = sluice_element_context_get_boolean (self->context, "fail_breaker", FALSE);

      g_set_error (error, SLUICE_ERROR,
                   breaker ? SLUICE_ERROR_CIRCUIT_BREAKER_TRIP : SLUICE_ERROR_INVALID_DATA,
                   "entity '%s' rejected as configured", rejected);
      return parse_flow (self->context);
    }
  if (!sluice_dataset_append (self->context, self->dataset, batch, 0, NULL, error))
    return SLUICE_FLOW_ERROR;
  return SLUICE_FLOW_OK;
}

static const SluiceSinkCallbacks picky_callbacks = {
  SLUICE_SINK_CALLBACKS_INIT,
  .create = picky_create,
  .destroy = picky_destroy,
  .write = picky_write,
};

static const SluiceElementDescriptor picky_sink = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT, .kind = SLUICE_ELEMENT_KIND_SINK,
  .type_name = "test-picky-sink", .description = "Appends to a dataset, rejecting chosen ids.",
  .options = picky_options,       .callbacks = &picky_callbacks,
};

SLUICE_PLUGIN_DEFINE (retry_test, "0.1.0", "MIT", "Elements for the retry tests", NULL, NULL,
                      &flaky_source, &picky_sink)
