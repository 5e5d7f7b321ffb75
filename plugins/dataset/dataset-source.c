/* dataset-source.c — the `dataset` source (digest §8.1): the versions of one dataset in offset
 * order.  The pipe offset is the dataset offset (`_updated`) of the last entity read, so the source
 * is chronological, comparable and supports since, whatever the configuration says.
 *
 * Deleted entities are emitted too, so that deletions flow downstream.  By default only the latest
 * version of each `_id` is read; include_previous_versions reads every stored version. */
#include "dataset-elements.h"

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  const char *dataset;           /* borrowed from the options */
  gboolean history;
  gboolean fail_if_empty;
  gboolean full;
  gboolean read_any;
  SluiceDatasetReader *reader;
} DatasetSource;

static const char *const if_source_empty_choices[] = { "accept", "fail", NULL };

static const SluiceOptionSpec source_options[] = {
  { .key = "dataset", .types = SLUICE_OPTION_STRING,
    .flags = SLUICE_OPTION_FLAG_REQUIRED | SLUICE_OPTION_FLAG_DATASET,
    .description = "The `_id` of the dataset to read." },
  { .key = "include_previous_versions", .types = SLUICE_OPTION_BOOLEAN, .default_json = "false",
    .description = "Read every stored version, not only the latest version of each `_id`." },
  { .key = "supports_signalling", .types = SLUICE_OPTION_BOOLEAN,
    .description = "Run the pipe as soon as the dataset changes (default: when the pipe's "
                   "schedule interval is an hour or more and no cron expression is set)." },
  { .key = "require_populated_input", .types = SLUICE_OPTION_BOOLEAN, .default_json = "false",
    .description = "Refuse to run while the dataset is not populated (digest §2.2)." },
  { .key = "if_source_empty", .types = SLUICE_OPTION_STRING, .default_json = "\"accept\"",
    .choices = if_source_empty_choices,
    .description = "`fail` makes a full run fail when the dataset is empty or missing, so that "
                   "nothing downstream is deleted." },
  { .key = "comment", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,
    .description = "Free text for the reader of the configuration; ignored." },
  { NULL },
};

static void *
source_create (SluiceElementContext *context, GError **error)
{
  DatasetSource *self = g_new0 (DatasetSource, 1);

  self->context = context;
  self->dataset = sluice_element_context_get_string (context, "dataset", NULL);
  self->history = sluice_element_context_get_boolean (context, "include_previous_versions", FALSE);
  self->fail_if_empty
    = g_strcmp0 (sluice_element_context_get_string (context, "if_source_empty", "accept"), "fail")
      == 0;
  return self;
}

static void
source_close (void *instance)
{
  DatasetSource *self = instance;

  g_clear_pointer (&self->reader, sluice_dataset_reader_free);
}

static void
source_destroy (void *instance)
{
  source_close (instance);
  g_free (instance);
}

static uint32_t
source_get_capabilities (void *instance)
{
  return SLUICE_SOURCE_SUPPORTS_SINCE | SLUICE_SOURCE_IS_SINCE_COMPARABLE
         | SLUICE_SOURCE_IS_CHRONOLOGICAL;
}

static gboolean
source_open (void *instance, uint32_t run_flags, const SluiceValue *since, GError **error)
{
  DatasetSource *self = instance;
  int64_t offset = -1;
  uint32_t flags = SLUICE_DATASET_READ_DELETED;

  source_close (self);
  if (since != NULL)
    {
      if (sluice_value_get_kind (since) != SLUICE_VALUE_INTEGER)
        {
          g_autofree char *text = sluice_value_to_json (since);

          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                       "dataset '%s': the offset must be an integer dataset offset, got %s",
                       self->dataset, text);
          return FALSE;
        }
      offset = sluice_value_get_integer (since);
    }
  if (self->history)
    flags |= SLUICE_DATASET_READ_HISTORY;
  /* A resumed full run read entities before its checkpoint: the dataset was not empty. */
  self->full = (run_flags & SLUICE_RUN_FLAG_FULL) != 0 && !(run_flags & SLUICE_RUN_FLAG_RESUMED);
  self->read_any = FALSE;
  self->reader = sluice_dataset_reader_new (self->context, self->dataset, offset, flags, error);
  return self->reader != NULL;
}

static SluiceFlow
source_read (void *instance, SluiceBatch *batch, uint32_t max_entities, GError **error)
{
  DatasetSource *self = instance;
  SluiceFlow flow = sluice_dataset_reader_read (self->reader, batch, max_entities, error);

  if (sluice_batch_get_length (batch) > 0)
    self->read_any = TRUE;
  if (flow == SLUICE_FLOW_EOS && self->full && !self->read_any && self->fail_if_empty)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_FAILED,
                   "dataset '%s' is empty or missing and if_source_empty is \"fail\"",
                   self->dataset);
      return SLUICE_FLOW_ERROR;
    }
  return flow;
}

static const SluiceSourceCallbacks source_callbacks = {
  SLUICE_SOURCE_CALLBACKS_INIT,
  .create = source_create,
  .destroy = source_destroy,
  .get_capabilities = source_get_capabilities,
  .open = source_open,
  .read = source_read,
  .close = source_close,
};

const SluiceElementDescriptor dataset_source = {
  SLUICE_ELEMENT_DESCRIPTOR_INIT,
  .kind = SLUICE_ELEMENT_KIND_SOURCE,
  .type_name = "dataset",
  .description = "Reads the entities of a dataset in offset order.",
  .options = source_options,
  .callbacks = &source_callbacks,
};
