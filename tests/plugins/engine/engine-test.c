/* engine-test.c — sluice-engine-test.so: elements for the engine tests.
 *
 *  - source `test-sequence`: entities {"_id": "<prefix><i>", "n": i, "value": <value>,
 *    "_updated": i} for i in 0..count-1 (or count-1..0 with `reverse`); the continuation flags are
 *    options, so that every strategy can be exercised; with a since it emits only i > since;
 *  - sink `test-fail-sink`: appends each batch to `dataset` (default: the pipe `_id`) and then,
 *    in batch `fail_at_batch`, reports a failure (so the batch's appends must be discarded), or in
 *    batch `kill_at_batch`, when `kill_file` exists, removes the file and kills the process with
 *    SIGKILL while the batch's transaction is open (the crash test), or in batch `gate_at_batch`,
 *    when the FIFOs `gate_dir`/reached and `gate_dir`/release exist, writes a byte to the first
 *    and waits for a byte on the second (a test holds a push in the middle, without sleeping).
 */
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sluice-plugin-sdk.h>

/* test-sequence */

typedef struct
{
  SluiceElementContext *context;
  int64_t count;
  gboolean reverse;
  int64_t since; /* -1: none */
  int64_t next;  /* how many were considered so far */
} Sequence;

static const SluiceOptionSpec sequence_options[] = {
  { .key = "count", .types = SLUICE_OPTION_INTEGER, .default_json = "10",
    .description = "How many entities to emit." },
  { .key = "prefix", .types = SLUICE_OPTION_STRING, .default_json = "\"e\"",
    .description = "Prefix of the `_id`s." },
  { .key = "value", .types = SLUICE_OPTION_STRING, .default_json = "\"v\"",
    .description = "The `value` property of every entity." },
  { .key = "reverse", .types = SLUICE_OPTION_BOOLEAN, .default_json = "false",
    .description = "Emit in decreasing `_updated` order." },
  { .key = "supports_since", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true",
    .description = "Continuation flag." },
  { .key = "is_since_comparable", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true",
    .description = "Continuation flag." },
  { .key = "is_chronological", .types = SLUICE_OPTION_BOOLEAN, .default_json = "true",
    .description = "Continuation flag." },
  { NULL },
};

static void *
sequence_create (SluiceElementContext *context, GError **error)
{
  Sequence *self = g_new0 (Sequence, 1);

  self->context = context;
  self->count = sluice_element_context_get_integer (context, "count", 10);
  self->reverse = sluice_element_context_get_boolean (context, "reverse", FALSE);
  return self;
}

static void
sequence_destroy (void *instance)
{
  g_free (instance);
}

static uint32_t
sequence_get_capabilities (void *instance)
{
  Sequence *self = instance;
  uint32_t caps = 0;

  if (sluice_element_context_get_boolean (self->context, "supports_since", TRUE))
    caps |= SLUICE_SOURCE_SUPPORTS_SINCE;
  if (sluice_element_context_get_boolean (self->context, "is_since_comparable", TRUE))
    caps |= SLUICE_SOURCE_IS_SINCE_COMPARABLE;
  if (sluice_element_context_get_boolean (self->context, "is_chronological", TRUE))
    caps |= SLUICE_SOURCE_IS_CHRONOLOGICAL;
  return caps;
}

static gboolean
sequence_open (void *instance, uint32_t run_flags, const SluiceValue *since, GError **error)
{
  Sequence *self = instance;

  self->since = since != NULL ? sluice_value_get_integer (since) : -1;
  self->next = 0;
  return TRUE;
}

static SluiceFlow
sequence_read (void *instance, SluiceBatch *batch, uint32_t max_entities, GError **error)
{
  Sequence *self = instance;
  const char *prefix = sluice_element_context_get_string (self->context, "prefix", "e");
  const char *value = sluice_element_context_get_string (self->context, "value", "v");

  while (self->next < self->count && sluice_batch_get_length (batch) < max_entities)
    {
      int64_t i = self->reverse ? self->count - 1 - self->next : self->next;
      g_autoptr (SluiceDictBuilder) builder = NULL;
      g_autoptr (SluiceValue) body = NULL;
      g_autofree char *id = NULL;

      self->next++;
      if (i <= self->since)
        continue;
      builder = sluice_dict_builder_new ();
      id = g_strdup_printf ("%s%" G_GINT64_FORMAT, prefix, i);
      sluice_dict_builder_take (builder, "_id", sluice_value_new_string (id, -1));
      sluice_dict_builder_take (builder, "n", sluice_value_new_integer (i));
      sluice_dict_builder_take (builder, "value", sluice_value_new_string (value, -1));
      sluice_dict_builder_take (builder, "_updated", sluice_value_new_integer (i));
      body = sluice_dict_builder_end (g_steal_pointer (&builder));
      sluice_batch_take (batch, sluice_entity_new (body, NULL));
    }
  return self->next < self->count ? SLUICE_FLOW_OK : SLUICE_FLOW_EOS;
}

static void
sequence_close (void *instance)
{
}

static const SluiceSourceCallbacks sequence_callbacks = {
  SLUICE_SOURCE_CALLBACKS_INIT,
  .create = sequence_create,
  .destroy = sequence_destroy,
  .get_capabilities = sequence_get_capabilities,
  .open = sequence_open,
  .read = sequence_read,
  .close = sequence_close,
};

static const SluiceElementDescriptor sequence_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .type_name = "test-sequence",
  .description = "Emits a numbered sequence of entities.",
  .options = sequence_options,
  .callbacks = &sequence_callbacks,
};

/* test-fail-sink */

typedef struct
{
  SluiceElementContext *context;
  const char *dataset;
  int64_t batch;
} FailSink;

static const SluiceOptionSpec fail_sink_options[] = {
  { .key = "dataset", .types = SLUICE_OPTION_STRING, .flags = SLUICE_OPTION_FLAG_DATASET,
    .description = "The dataset each batch is appended to (default: the pipe `_id`)." },
  { .key = "fail_at_batch", .types = SLUICE_OPTION_INTEGER, .default_json = "0",
    .description = "Fail in this batch (from 1), after appending it; 0: never." },
  { .key = "kill_at_batch", .types = SLUICE_OPTION_INTEGER, .default_json = "0",
    .description = "SIGKILL the process in this batch, after appending it; 0: never." },
  { .key = "kill_file", .types = SLUICE_OPTION_STRING,
    .description = "Kill only when this file exists (it is removed first)." },
  { .key = "gate_at_batch", .types = SLUICE_OPTION_INTEGER, .default_json = "0",
    .description = "Wait at the gate in this batch, after appending it; 0: never." },
  { .key = "gate_dir", .types = SLUICE_OPTION_STRING,
    .description = "Where the FIFOs 'reached' and 'release' of the gate are (no FIFOs: no wait)." },
  { NULL },
};

/* Says "reached" on DIR/reached, then waits until a byte comes on DIR/release. */
static void
wait_at_gate (const char *dir)
{
  g_autofree char *reached = g_build_filename (dir, "reached", NULL);
  g_autofree char *release = g_build_filename (dir, "release", NULL);
  char byte = 'r';
  int fd;

  if (!g_file_test (reached, G_FILE_TEST_EXISTS) || !g_file_test (release, G_FILE_TEST_EXISTS))
    return;
  fd = open (reached, O_WRONLY);
  if (fd >= 0)
    {
      if (write (fd, &byte, 1) != 1)
        g_warning ("test-fail-sink: writing %s failed", reached);
      close (fd);
    }
  fd = open (release, O_RDONLY);
  if (fd >= 0)
    {
      if (read (fd, &byte, 1) != 1)
        g_warning ("test-fail-sink: reading %s failed", release);
      close (fd);
    }
}

static void *
fail_sink_create (SluiceElementContext *context, GError **error)
{
  FailSink *self = g_new0 (FailSink, 1);

  self->context = context;
  self->dataset = sluice_element_context_get_string (
    context, "dataset", sluice_element_context_get_component_id (context));
  return self;
}

static void
fail_sink_destroy (void *instance)
{
  g_free (instance);
}

static gboolean
fail_sink_begin (void *instance, uint32_t run_flags, GError **error)
{
  FailSink *self = instance;

  self->batch = 0;
  return TRUE;
}

static SluiceFlow
fail_sink_write (void *instance, const SluiceBatch *batch, GError **error)
{
  FailSink *self = instance;
  const char *kill_file = sluice_element_context_get_string (self->context, "kill_file", NULL);

  self->batch++;
  if (!sluice_dataset_append (self->context, self->dataset, batch, 0, NULL, error))
    return SLUICE_FLOW_ERROR;
  if (self->batch == sluice_element_context_get_integer (self->context, "kill_at_batch", 0)
      && kill_file != NULL && g_unlink (kill_file) == 0)
    kill (getpid (), SIGKILL);
  if (self->batch == sluice_element_context_get_integer (self->context, "gate_at_batch", 0)
      && sluice_element_context_get_string (self->context, "gate_dir", NULL) != NULL)
    wait_at_gate (sluice_element_context_get_string (self->context, "gate_dir", NULL));
  if (self->batch == sluice_element_context_get_integer (self->context, "fail_at_batch", 0))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO, "failing in batch %" G_GINT64_FORMAT
                   " as configured", self->batch);
      return SLUICE_FLOW_ERROR;
    }
  return SLUICE_FLOW_OK;
}

static gboolean
fail_sink_end (void *instance, gboolean success, GError **error)
{
  return TRUE;
}

static const SluiceSinkCallbacks fail_sink_callbacks = {
  SLUICE_SINK_CALLBACKS_INIT,
  .create = fail_sink_create,
  .destroy = fail_sink_destroy,
  .begin = fail_sink_begin,
  .write = fail_sink_write,
  .end = fail_sink_end,
};

static const SluiceElementDescriptor fail_sink = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SINK,
  .type_name = "test-fail-sink",
  .description = "Appends to a dataset, then fails, kills the process or waits when told to.",
  .options = fail_sink_options,
  .callbacks = &fail_sink_callbacks,
};

SLUICE_PLUGIN_DEFINE (engine_test, "0.1.0", "MIT", "Elements for the engine tests", NULL, NULL,
                      &sequence_source, &fail_sink)
