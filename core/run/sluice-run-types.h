/* sluice-run-types.h — what a pipe run is and reports: the run types, the continuation strategies
 * (digest §4.2), the stats of a run, and the pipe error domain its errors are in.
 *
 * Shared by the run (run/, worker threads) and the engine's SluicePipe (engine/, main context),
 * which reports these to its signal handlers; so they live below both.
 */
#pragma once

#include <stdint.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define SLUICE_PIPE_ERROR (sluice_pipe_error_quark ())

typedef enum
{
  SLUICE_PIPE_ERROR_FAILED,    /* an element failed; the message names it */
  SLUICE_PIPE_ERROR_BUSY,      /* a run is in progress already */
  SLUICE_PIPE_ERROR_CANCELLED, /* the run was stopped between batches */
  SLUICE_PIPE_ERROR_CONFIG,    /* the pipe cannot be built from its configuration */
  SLUICE_PIPE_ERROR_STORE,     /* reading or writing the store failed */
  SLUICE_PIPE_ERROR_NOT_SUPPORTED, /* the pipe's elements cannot do what was asked */
} SluicePipeError;

GQuark sluice_pipe_error_quark (void);

typedef enum
{
  SLUICE_RUN_TYPE_AUTO,        /* full when the pipe has no stored offset, else incremental */
  SLUICE_RUN_TYPE_FULL,        /* read everything; the stored offset is ignored */
  SLUICE_RUN_TYPE_INCREMENTAL, /* continue from the stored offset */
  /* A partial rescan: continue from the stored offset rewound by the pipe's
   * `pump.partial_rescan_delta` (sluice-since.h); full when there is no stored offset.  The offset
   * it ends with is never older than the one it started from. */
  SLUICE_RUN_TYPE_PARTIAL,
} SluiceRunType;

GType sluice_run_type_get_type (void);
#define SLUICE_TYPE_RUN_TYPE (sluice_run_type_get_type ())
/* "auto", "full", "incremental", "partial" (the execution log's `sync_type`). */
const char *sluice_run_type_to_string (SluiceRunType run_type);

/* How a pipe continues from one run to the next (digest §4.2). */
typedef enum
{
  SLUICE_CONTINUATION_NONE,          /* every run is full */
  SLUICE_CONTINUATION_CHRONOLOGICAL, /* since = the last `_updated`; checkpointed mid-run */
  SLUICE_CONTINUATION_MAX,           /* since = the largest `_updated`; saved at the end */
} SluiceContinuation;

/* The strategy for a source's SLUICE_SOURCE_* capability flags (digest Appendix B11). */
SluiceContinuation sluice_continuation_from_capabilities (uint32_t capabilities);
/* "none", "chronological", "max". */
const char *sluice_continuation_to_string (SluiceContinuation continuation);

/* What a run did; also the payload of the "finished" and "failed" signals. */
typedef struct
{
  SluiceRunType run_type;     /* FULL, INCREMENTAL or PARTIAL, resolved */
  char *run_id;               /* a UUID; names the run's execution-log entities */
  guint64 entities_read;      /* entities the source produced */
  guint64 entities_written;   /* entities the sink accepted (after the transforms) */
  guint64 changes;            /* versions appended to datasets by the sink (change tracking) */
  guint64 batches_committed;
  gint64 started;             /* µs since the epoch */
  gint64 finished;            /* µs since the epoch; 0 while running */
  char *since_before;         /* the stored offset at the start, as JSON text, or NULL */
  char *since_after;          /* the stored offset at the end, as JSON text, or NULL */
  GError *error;              /* why the run failed; NULL on success */
  /* Appended: failures (digest §15.1, docs/retries.md). */
  guint64 read_errors;        /* failed read calls, each logged as a `read-error` */
  guint64 write_errors;       /* failed write calls of the sink: batches and single entities */
  guint64 entities_failed;    /* entities not written: kept for a retry, dead, or fatal */
  guint64 retries_pending;    /* `write-error` entries still retryable at the end */
} SluiceRunStats;

SluiceRunStats *sluice_run_stats_copy (const SluiceRunStats *stats);
void sluice_run_stats_free (SluiceRunStats *stats);
GType sluice_run_stats_get_type (void);
#define SLUICE_TYPE_RUN_STATS (sluice_run_stats_get_type ())
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceRunStats, sluice_run_stats_free)

G_END_DECLS
