/* sluice-run.h — the work of one pipe run, executed on a worker thread (private to SluicePipe).
 *
 * The pipe hands the run a plan (its element instances, batch settings and store) and an observer;
 * the run reads batches from the source, passes them through the transforms, writes them to the sink
 * and commits each batch together with the pipe state (docs/engine.md, "A run").  It never touches
 * the pipe's GObject state: the observer callbacks are called on the worker thread and the pipe
 * forwards them to its main context.
 */
#pragma once

#include <sluice-plugin-sdk.h>

#include "sluice-host-datasets.h"
#include "sluice-run-types.h"
#include "sluice-retry-log.h"
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

typedef struct
{
  void (*started) (gpointer user_data, const SluiceRunStats *stats);
  /* After each committed batch; @stats holds the counters so far and since_after is the offset
   * committed with the batch. */
  void (*batch_committed) (gpointer user_data, const SluiceRunStats *stats);
} SluiceRunObserver;

/* (transfer full) The offset a source entity carries: its dataset offset (`_updated` of a stored
 * version), else the `_updated` of its body; NULL when it has none. */
SluiceValue *sluice_run_entity_since (SluiceEntity *entity);

/* Runs to the end.  Returns the stats (never NULL); stats->error is set when the run failed. */
SluiceRunStats *sluice_run_execute (const SluiceRunPlan *plan, SluiceRunType run_type,
                                    GCancellable *cancellable, const SluiceRunObserver *observer,
                                    gpointer user_data);

G_END_DECLS
