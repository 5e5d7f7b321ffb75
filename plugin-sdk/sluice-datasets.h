/* sluice-datasets.h — datasets, as the host lends them to plugins.
 *
 * The dataset source and sink are plugins like any other (DESIGN.md): they reach the host's store
 * only through these functions, which the SDK forwards to the services the host attached to the
 * element's context.  A plugin never sees the store's transactions; the host keeps the guarantees:
 *
 *  - sluice_dataset_append () writes inside the transaction of the batch being processed.  The host
 *    commits that transaction together with the pipe's new offset once the sink's write callback
 *    returned SLUICE_FLOW_OK, or discards it otherwise, so a crash at any point neither loses nor
 *    duplicates anything.
 *  - a reader holds no transaction between calls, so long reads never block writers.
 *
 * Outside a pipe run (in the plugin test harness, say) the host services decide what a batch
 * transaction is; the harness commits each append at once.
 */
#pragma once

#include "sluice-context.h"
#include "sluice-entity.h"
#include "sluice-flow.h"

SLUICE_BEGIN_DECLS

typedef struct _SluiceDatasetReader SluiceDatasetReader;

/* Reader flags. */
#define SLUICE_DATASET_READ_HISTORY (1u << 0) /* every version, not only the latest of each `_id` */
#define SLUICE_DATASET_READ_DELETED (1u << 1) /* include deleted entities */

/* Append flags. */
#define SLUICE_DATASET_APPEND_FORCE (1u << 0) /* append even when the content hash is unchanged */

/* Reads @dataset from the version after offset @since (-1: from the start), in offset order.
 * Entities carry `_updated`, `_previous` and `_ts` (sluice_entity_get_offset () …).  A dataset
 * that does not exist reads as empty. */
SLUICE_SDK_API SluiceDatasetReader *sluice_dataset_reader_new (SluiceElementContext *context,
                                                              const char *dataset, int64_t since,
                                                              uint32_t flags, GError **error);
/* Appends up to @max_entities entities to @batch: OK (call again), EOS (nothing more now; @batch may
 * hold the last ones) or ERROR. */
SLUICE_SDK_API SluiceFlow sluice_dataset_reader_read (SluiceDatasetReader *reader, SluiceBatch *batch,
                                                      uint32_t max_entities, GError **error);
SLUICE_SDK_API void sluice_dataset_reader_free (SluiceDatasetReader *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceDatasetReader, sluice_dataset_reader_free)

/* Appends @batch to @dataset with change tracking (a version is added only for a new `_id`, a
 * changed content hash or a flipped `_deleted`), creating the dataset on first write.  Root-level
 * `_` keys other than `_id` and `_deleted` are not stored.  @ret_n_appended (nullable) receives the
 * number of versions added. */
SLUICE_SDK_API gboolean sluice_dataset_append (SluiceElementContext *context, const char *dataset,
                                               const SluiceBatch *batch, uint32_t flags,
                                               size_t *ret_n_appended, GError **error);

/* As sluice_dataset_append (); @ret_offsets (nullable, one entry per entity of @batch) receives
 * the offset of each entity's latest version once it is appended: the version it added, or the
 * stored one change tracking kept because nothing changed.  Appended to the v1 API. */
SLUICE_SDK_API gboolean sluice_dataset_append_offsets (SluiceElementContext *context,
                                                       const char *dataset,
                                                       const SluiceBatch *batch, uint32_t flags,
                                                       int64_t *ret_offsets,
                                                       size_t *ret_n_appended, GError **error);

/* Called by sluice_dataset_scan_live () with one live `_id` (@id_len bytes, not NUL-terminated)
 * and the offset of its latest version; returning FALSE with @error set stops the scan. */
typedef gboolean (*SluiceDatasetLiveFunc) (const char *id, size_t id_len, int64_t offset,
                                           void *user_data, GError **error);

/* Calls @func for every `_id` of @dataset whose latest version is not deleted, as the element's
 * readers see the dataset, without decoding entities: with the offsets from
 * sluice_dataset_append_offsets () this is how a full run finds what it did not write.  The order
 * is unspecified.  @func must not write to datasets.  A missing dataset has no live ids.  Appended to
 * the v1 API. */
SLUICE_SDK_API gboolean sluice_dataset_scan_live (SluiceElementContext *context, const char *dataset,
                                                  SluiceDatasetLiveFunc func, void *user_data,
                                                  GError **error);

/* The latest version of @id in @dataset, deleted or not; NULL without an error when absent. */
SLUICE_SDK_API SluiceEntity *sluice_dataset_get_entity (SluiceElementContext *context,
                                                        const char *dataset, const char *id,
                                                        GError **error);

/* Whether @dataset exists and whether its producer marked it populated (digest §2.2). */
SLUICE_SDK_API gboolean sluice_dataset_get_state (SluiceElementContext *context, const char *dataset,
                                                  gboolean *ret_exists, gboolean *ret_populated,
                                                  GError **error);
/* Marks @dataset populated, in the transaction of the current batch. */
SLUICE_SDK_API gboolean sluice_dataset_set_populated (SluiceElementContext *context,
                                                      const char *dataset, GError **error);

/* Host side: what the host plugs in behind the functions above.  Each callback receives the
 * @host_data given to sluice_element_context_set_host () and the context.  The struct is
 * append-only; a NULL callback makes the function fail with SLUICE_ERROR_NOT_SUPPORTED. */
typedef struct
{
  uint32_t struct_size;
  void *(*reader_new) (void *host_data, SluiceElementContext *context, const char *dataset,
                       int64_t since, uint32_t flags, GError **error);
  SluiceFlow (*reader_read) (void *host_data, void *reader, SluiceBatch *batch, uint32_t max_entities,
                             GError **error);
  void (*reader_free) (void *host_data, void *reader);
  gboolean (*append) (void *host_data, SluiceElementContext *context, const char *dataset,
                      const SluiceBatch *batch, uint32_t flags, size_t *ret_n_appended,
                      GError **error);
  SluiceEntity *(*get_entity) (void *host_data, SluiceElementContext *context, const char *dataset,
                               const char *id, GError **error);
  gboolean (*get_state) (void *host_data, SluiceElementContext *context, const char *dataset,
                         gboolean *ret_exists, gboolean *ret_populated, GError **error);
  gboolean (*set_populated) (void *host_data, SluiceElementContext *context, const char *dataset,
                             GError **error);
  /* Appended: the configuration of the system component @system_id (see
   * sluice_element_context_get_system ()), borrowed and valid as long as the context; NULL when
   * there is no such system. */
  SluiceValue *(*get_system) (void *host_data, const SluiceElementContext *context,
                              const char *system_id);
  /* Appended: behind sluice_dataset_append_offsets () and sluice_dataset_scan_live (). */
  gboolean (*append_offsets) (void *host_data, SluiceElementContext *context, const char *dataset,
                              const SluiceBatch *batch, uint32_t flags, int64_t *ret_offsets,
                              size_t *ret_n_appended, GError **error);
  gboolean (*scan_live) (void *host_data, SluiceElementContext *context, const char *dataset,
                         SluiceDatasetLiveFunc func, void *user_data, GError **error);
} SluiceHostServices;

#define SLUICE_HOST_SERVICES_INIT .struct_size = sizeof (SluiceHostServices)

/* Attaches host services to a context (borrowed: they must outlive it). */
SLUICE_SDK_API void sluice_element_context_set_host (SluiceElementContext *context,
                                                     const SluiceHostServices *services,
                                                     void *host_data);

SLUICE_END_DECLS
