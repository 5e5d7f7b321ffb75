/* sluice-datasets.c — forwards the dataset functions of the SDK to the services the host attached to
 * an element context (sluice-datasets.h). */
#include "sluice-datasets.h"
#include "sluice-context-private.h"
#include "sluice-error.h"

struct _SluiceDatasetReader
{
  const SluiceHostServices *services;
  void *host_data;
  void *host_reader;
};

/* The host's services, or NULL with an error when the context has none or lacks @what. */
#define HAS_SERVICE(services, member) \
  ((services) != NULL \
   && (services)->struct_size >= G_STRUCT_OFFSET (SluiceHostServices, member) + sizeof (void *) \
   && (services)->member != NULL)

static gboolean
check_service (gboolean available, const char *what, GError **error)
{
  if (!available)
    g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_NOT_SUPPORTED,
                 "the host gives this element no access to datasets (%s)", what);
  return available;
}

SluiceDatasetReader *
sluice_dataset_reader_new (SluiceElementContext *context, const char *dataset, int64_t since,
                           uint32_t flags, GError **error)
{
  const SluiceHostServices *services = sluice_element_context_get_host (context);
  void *host_data = sluice_element_context_get_host_data (context);
  SluiceDatasetReader *reader;
  void *host_reader;

  g_return_val_if_fail (dataset != NULL, NULL);
  if (!check_service (HAS_SERVICE (services, reader_new) && HAS_SERVICE (services, reader_read)
                          && HAS_SERVICE (services, reader_free),
                      "read", error))
    return NULL;
  host_reader = services->reader_new (host_data, context, dataset, since, flags, error);
  if (host_reader == NULL)
    return NULL;
  reader = g_new0 (SluiceDatasetReader, 1);
  reader->services = services;
  reader->host_data = host_data;
  reader->host_reader = host_reader;
  return reader;
}

SluiceFlow
sluice_dataset_reader_read (SluiceDatasetReader *reader, SluiceBatch *batch, uint32_t max_entities,
                            GError **error)
{
  g_return_val_if_fail (reader != NULL && batch != NULL, SLUICE_FLOW_ERROR);
  return reader->services->reader_read (reader->host_data, reader->host_reader, batch, max_entities,
                                        error);
}

void
sluice_dataset_reader_free (SluiceDatasetReader *reader)
{
  if (reader == NULL)
    return;
  reader->services->reader_free (reader->host_data, reader->host_reader);
  g_free (reader);
}

gboolean
sluice_dataset_append (SluiceElementContext *context, const char *dataset, const SluiceBatch *batch,
                       uint32_t flags, size_t *ret_n_appended, GError **error)
{
  const SluiceHostServices *services = sluice_element_context_get_host (context);

  g_return_val_if_fail (dataset != NULL && batch != NULL, FALSE);
  if (!check_service (HAS_SERVICE (services, append), "append", error))
    return FALSE;
  return services->append (sluice_element_context_get_host_data (context), context, dataset, batch,
                           flags, ret_n_appended, error);
}

gboolean
sluice_dataset_append_offsets (SluiceElementContext *context, const char *dataset,
                               const SluiceBatch *batch, uint32_t flags, int64_t *ret_offsets,
                               size_t *ret_n_appended, GError **error)
{
  const SluiceHostServices *services = sluice_element_context_get_host (context);

  g_return_val_if_fail (dataset != NULL && batch != NULL, FALSE);
  if (!check_service (HAS_SERVICE (services, append_offsets), "append with offsets", error))
    return FALSE;
  return services->append_offsets (sluice_element_context_get_host_data (context), context,
                                   dataset, batch, flags, ret_offsets, ret_n_appended, error);
}

gboolean
sluice_dataset_scan_live (SluiceElementContext *context, const char *dataset,
                          SluiceDatasetLiveFunc func, void *user_data, GError **error)
{
  const SluiceHostServices *services = sluice_element_context_get_host (context);

  g_return_val_if_fail (dataset != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  if (!check_service (HAS_SERVICE (services, scan_live), "scan of live ids", error))
    return FALSE;
  return services->scan_live (sluice_element_context_get_host_data (context), context, dataset,
                              func, user_data, error);
}

SluiceEntity *
sluice_dataset_get_entity (SluiceElementContext *context, const char *dataset, const char *id,
                           GError **error)
{
  const SluiceHostServices *services = sluice_element_context_get_host (context);

  g_return_val_if_fail (dataset != NULL && id != NULL, NULL);
  if (!check_service (HAS_SERVICE (services, get_entity), "lookup", error))
    return NULL;
  return services->get_entity (sluice_element_context_get_host_data (context), context, dataset, id,
                               error);
}

gboolean
sluice_dataset_get_state (SluiceElementContext *context, const char *dataset, gboolean *ret_exists,
                          gboolean *ret_populated, GError **error)
{
  const SluiceHostServices *services = sluice_element_context_get_host (context);

  g_return_val_if_fail (dataset != NULL, FALSE);
  if (!check_service (HAS_SERVICE (services, get_state), "state", error))
    return FALSE;
  return services->get_state (sluice_element_context_get_host_data (context), context, dataset,
                              ret_exists, ret_populated, error);
}

gboolean
sluice_dataset_set_populated (SluiceElementContext *context, const char *dataset, GError **error)
{
  const SluiceHostServices *services = sluice_element_context_get_host (context);

  g_return_val_if_fail (dataset != NULL, FALSE);
  if (!check_service (HAS_SERVICE (services, set_populated), "set populated", error))
    return FALSE;
  return services->set_populated (sluice_element_context_get_host_data (context), context, dataset,
                                  error);
}
