/* sluice-run-plan.h — what a run is handed: the pipe's element instances, its batch settings and
 * its store (borrowed from the pipe for the run's duration).  The run (sluice-run.h) and its retry
 * logic (sluice-run-retry.h) both read it. */
#pragma once

#include <sluice-plugin-sdk.h>

#include "sluice-host-datasets.h"
#include "sluice-retry-log.h"
#include "sluice-run-types.h"
#include "sluice-store-backend.h"

G_BEGIN_DECLS

/* One element of the chain: its callbacks, instance, and where it is in the pipe ("/source",
 * "/transform/1", "/sink") with its type, for messages. */
typedef struct
{
  const void *callbacks; /* SluiceSourceCallbacks, SluiceTransformCallbacks or SluiceSinkCallbacks */
  void *instance;
  const char *pointer;
  const char *type_name;
} SluiceRunElement;

/* Everything borrowed from the pipe, which outlives the run. */
typedef struct
{
  const char *pipe_id;
  SluiceRunElement source;
  const SluiceRunElement *transforms;
  guint n_transforms;
  SluiceRunElement sink;
  guint batch_size;
  guint checkpoint_interval;
  gboolean durable;
  SluiceContinuation continuation;
  SluiceStoreBackend *store;
  SluiceHostDatasets *host;
  /* The sink handles `_filtered` entities itself (SLUICE_ELEMENT_FLAG_ACCEPTS_FILTERED); otherwise
   * the run drops them before the sink. */
  gboolean sink_accepts_filtered;
  /* The source's if_source_empty is "fail": a full run that reads nothing fails. */
  gboolean fail_if_source_empty;
  /* The source's require_populated_input: the run refuses to start while one of
   * @source_datasets is not populated. */
  gboolean require_populated_input;
  const char *const *source_datasets; /* the datasets the source reads; NULL-terminated */
  /* `pump.partial_rescan_delta` for SLUICE_RUN_TYPE_PARTIAL runs; < 0 when not set. */
  double partial_rescan_delta;
  /* The pump's read and write retry keys (sluice-run-retry.h). */
  const SluiceRetryPolicy *retry_policy;
  /* Circuit breakers (sluice-breaker.h): the sink's options, which may set
   * circuit_breaker_threshold_factor/_count, and the datasets it writes (NULL-terminated). */
  SluiceValue *sink_options;
  const char *const *sink_datasets;
} SluiceRunPlan;

G_END_DECLS
