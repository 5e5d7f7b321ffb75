/* sluice-control-private.h — what the files of SluiceControl share (sluice-control.c: lifecycle,
 * reload and signals; sluice-control-pipes.c: pipe operations; sluice-control-datasets.c:
 * datasets; sluice-control-breaker.c, -retries.c, -push.c: their operations).  Not for other
 * code: use sluice-control.h. */
#pragma once

#include "sluice-control.h"

#include "sluice-clock.h"
#include "sluice-config-diagnostics.h"
#include "sluice-engine.h"
#include "sluice-pump.h"
#include "sluice-registry.h"
#include "sluice-scheduler.h"
#include "sluice-store-backend.h"

G_BEGIN_DECLS

typedef struct
{
  SluiceControl *control; /* borrowed: the control owns the Running */
  SluiceConfig *config;
  SluiceEngine *engine;
  SluiceScheduler *scheduler;
  GHashTable *pumps; /* pipe id (borrowed from the pump) -> SluicePump */
} Running;

/* What the control counts per pipe, since the host started. */
typedef struct
{
  guint64 runs_started;
  guint64 runs_succeeded;
  guint64 runs_failed;
  guint64 entities_read;
  guint64 entities_written;
  guint64 changes;
  gint64 run_time_total;
  guint64 current_read;
  guint64 current_written;
} PipeCounters;

struct _SluiceControl
{
  GObject parent_instance;

  SluiceRegistry *registry;
  char **config_paths;
  char *secrets_file;
  SluiceStoreBackend *store; /* borrowed */
  SluiceClock *clock;
  guint max_concurrent;

  Running *current;
  Running *next; /* during a reload: waits for current to stop */
  GHashTable *counters; /* pipe id -> PipeCounters */
  gboolean active;
  gboolean shutting_down;
  gboolean stopped;
  guint stopped_idle;
  guint swap_idle;
};

/* Turns an error of a lower layer (pipe, pump, store) into a SLUICE_CONTROL_ERROR with the same
 * message, frees @lower, and returns FALSE. */
gboolean sluice_control_propagate_error (GError **error, GError *lower);
/* Versions were appended to what @pipe_id writes (a run or a push): the pumps of the pipes that
 * read it are asked for a run (they decide whether signalling applies, and coalesce).  Nothing
 * while the host stops or swaps configurations. */
void sluice_control_signal_downstream (SluiceControl *control, const char *pipe_id);
/* The counters of @pipe_id, created on first use. */
PipeCounters *sluice_control_get_counters (SluiceControl *control, const char *pipe_id);
/* The pipe, or NULL with NOT_FOUND. */
SluicePipe *sluice_control_lookup_pipe_or_error (SluiceControl *control, const char *pipe_id,
                                                 GError **error);
/* The pipe, when an operation may change it now: it exists (NOT_FOUND) and the host is neither
 * stopping (SHUTTING_DOWN) nor swapping configurations (BUSY). */
SluicePipe *sluice_control_lookup_pipe_for_operation (SluiceControl *control, const char *pipe_id,
                                                      GError **error);
/* TRUE, with BUSY set, when @pipe_id runs. */
gboolean sluice_control_refuse_running (SluiceControl *control, const char *pipe_id,
                                        GError **error);
/* TRUE, with REFUSED set, when @pipe is durable and @force is not set; @what is the operation
 * ("resetting its offset"). */
gboolean sluice_control_refuse_durable (SluicePipe *pipe, const char *what, gboolean force,
                                        GError **error);

G_END_DECLS
