/* dataset-multi.h — what the sources that read several datasets share (union_datasets,
 * merge_datasets): their options and their composite offset.
 *
 * The offset of such a source is a dict from dataset id to the dataset offset read so far in it
 * ({"men": 12, "women": -1}).  Each entity the source emits carries the offset after it as its
 * `_updated`, so the engine's chronological strategy stores the right composite offset whatever
 * the entity's own dataset offset is; a dataset sink drops `_updated` when it stores the entity. */
#pragma once

#include <sluice-plugin-sdk.h>

static const char *const dataset_multi_if_source_empty_choices[] = { "accept", "fail", NULL };

#define DATASET_MULTI_COMMON_OPTIONS                                                              \
  { .key = "datasets", .types = SLUICE_OPTION_ARRAY,                                             \
    .flags = SLUICE_OPTION_FLAG_REQUIRED | SLUICE_OPTION_FLAG_DATASET,                            \
    .description = "The `_id`s of the datasets to read." },                                      \
  { .key = "include_previous_versions", .types = SLUICE_OPTION_BOOLEAN, .default_json = "false", \
    .description = "Read every stored version, not only the latest of each `_id`." },            \
  { .key = "supports_signalling", .types = SLUICE_OPTION_BOOLEAN,                                \
    .description = "Run the pipe as soon as one of the datasets changes." },                     \
  { .key = "require_populated_input", .types = SLUICE_OPTION_BOOLEAN, .default_json = "false",  \
    .description = "Refuse to run while one of the datasets is not populated." },                \
  { .key = "if_source_empty", .types = SLUICE_OPTION_STRING, .default_json = "\"accept\"",       \
    .choices = dataset_multi_if_source_empty_choices,                                            \
    .description = "`fail` makes a full run that reads nothing fail, so nothing is deleted." },   \
  { .key = "comment", .types = SLUICE_OPTION_STRING | SLUICE_OPTION_ARRAY,                       \
    .description = "Free text for the reader of the configuration; ignored." }

typedef struct
{
  SluiceElementContext *context; /* borrowed */
  char **datasets;               /* the first word of each entry of `datasets` */
  size_t n_datasets;
  int64_t *offsets;              /* per dataset: the offset read so far, -1: none */
  SluiceDatasetReader **readers;
  uint32_t read_flags;
} DatasetMulti;

/* FALSE with an error when `datasets` holds something else than dataset ids. */
gboolean dataset_multi_init (DatasetMulti *multi, SluiceElementContext *context, GError **error);
void dataset_multi_clear (DatasetMulti *multi);
/* Parses the stored composite offset (NULL: a full run) and opens one reader per dataset. */
gboolean dataset_multi_open (DatasetMulti *multi, const SluiceValue *since, GError **error);
void dataset_multi_close (DatasetMulti *multi);
/* The composite offset as a DICT value. */
SluiceValue *dataset_multi_offsets (const DatasetMulti *multi);
/* A copy of @body with `_id` replaced when @new_id is not NULL and `_updated` set to @updated
 * (taken); NULL with an error when the `_id` is not one an entity may have (a prefixed id over
 * SLUICE_ENTITY_MAX_ID_SIZE, an id stored before U+0000 was refused). */
SluiceEntity *dataset_multi_rebuild (SluiceValue *body, const char *new_id, SluiceValue *updated,
                                     GError **error);
