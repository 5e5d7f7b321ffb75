/* dataset-multi.c — the composite offset and readers shared by union_datasets and
 * merge_datasets. */
#include "dataset-multi.h"

gboolean
dataset_multi_init (DatasetMulti *multi, SluiceElementContext *context, GError **error)
{
  SluiceValue *list
    = sluice_value_dict_lookup (sluice_element_context_get_options (context), "datasets");
  size_t n = list != NULL ? sluice_value_list_get_length (list) : 0;

  multi->context = context;
  multi->datasets = g_new0 (char *, n + 1);
  multi->offsets = g_new (int64_t, MAX (n, 1));
  multi->readers = g_new0 (SluiceDatasetReader *, MAX (n, 1));
  for (size_t i = 0; i < n; i++)
    {
      SluiceValue *item = sluice_value_list_get (list, i);
      g_auto (GStrv) words = NULL;

      if (sluice_value_get_kind (item) != SLUICE_VALUE_STRING)
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                       "datasets/%zu: expected a dataset id (a string)", i);
          return FALSE;
        }
      words = g_strsplit_set (sluice_value_get_string (item, NULL), " \t", 2);
      if (words[0] == NULL || words[0][0] == '\0')
        {
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                       "datasets/%zu: expected a dataset id, got an empty string", i);
          return FALSE;
        }
      multi->datasets[i] = g_strdup (words[0]);
      multi->n_datasets++;
    }
  if (multi->n_datasets == 0)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "datasets: expected at least one dataset id");
      return FALSE;
    }
  multi->read_flags = SLUICE_DATASET_READ_DELETED;
  if (sluice_element_context_get_boolean (context, "include_previous_versions", FALSE))
    multi->read_flags |= SLUICE_DATASET_READ_HISTORY;
  return TRUE;
}

void
dataset_multi_close (DatasetMulti *multi)
{
  for (size_t i = 0; i < multi->n_datasets; i++)
    g_clear_pointer (&multi->readers[i], sluice_dataset_reader_free);
}

void
dataset_multi_clear (DatasetMulti *multi)
{
  if (multi->readers != NULL)
    dataset_multi_close (multi);
  g_clear_pointer (&multi->datasets, g_strfreev);
  g_clear_pointer (&multi->offsets, g_free);
  g_clear_pointer (&multi->readers, g_free);
}

gboolean
dataset_multi_open (DatasetMulti *multi, const SluiceValue *since, GError **error)
{
  dataset_multi_close (multi);
  if (since != NULL && sluice_value_get_kind (since) != SLUICE_VALUE_DICT)
    {
      g_autofree char *text = sluice_value_to_json (since);

      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA,
                   "the offset must be a dict of dataset offsets, got %s", text);
      return FALSE;
    }
  for (size_t i = 0; i < multi->n_datasets; i++)
    {
      /* A dataset added to the list since the last run is read from its start. */
      SluiceValue *offset = since != NULL ? sluice_value_dict_lookup (since, multi->datasets[i])
                                          : NULL;

      multi->offsets[i] = offset != NULL && sluice_value_get_kind (offset) == SLUICE_VALUE_INTEGER
                            ? sluice_value_get_integer (offset)
                            : -1;
      multi->readers[i] = sluice_dataset_reader_new (multi->context, multi->datasets[i],
                                                     multi->offsets[i], multi->read_flags, error);
      if (multi->readers[i] == NULL)
        return FALSE;
    }
  return TRUE;
}

SluiceValue *
dataset_multi_offsets (const DatasetMulti *multi)
{
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();

  for (size_t i = 0; i < multi->n_datasets; i++)
    sluice_dict_builder_take (builder, multi->datasets[i],
                              sluice_value_new_integer (multi->offsets[i]));
  return sluice_dict_builder_end (g_steal_pointer (&builder));
}

SluiceEntity *
dataset_multi_rebuild (SluiceValue *body, const char *new_id, SluiceValue *updated, GError **error)
{
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();
  g_autoptr (SluiceValue) copy = NULL;

  for (size_t i = 0; i < sluice_value_dict_get_size (body); i++)
    sluice_dict_builder_add (builder, sluice_value_dict_get_key (body, i),
                             sluice_value_dict_get_value (body, i));
  if (new_id != NULL)
    sluice_dict_builder_take (builder, "_id", sluice_value_new_string (new_id, -1));
  sluice_dict_builder_take (builder, "_updated", updated);
  copy = sluice_dict_builder_end (g_steal_pointer (&builder));
  return sluice_entity_new (copy, error);
}
