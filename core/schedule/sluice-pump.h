/* sluice-pump.h — the schedule of one pipe (digest §3.4): when it runs, and whether it may run.
 *
 * A pump reads the pipe's `pump` configuration and asks its SluiceScheduler for runs:
 *
 *  - `cron_expression` (UTC; see sluice-cron.h) wins over `schedule_interval`.  A cron start that
 *    comes while the pipe still runs waits behind that run (at most one waits).
 *  - `schedule_interval` is the pause between the end of one run and the start of the next,
 *    whatever started the previous run.  Its default is 30 s for a pipe from a dataset-kind source
 *    to a dataset sink, else 900 s; a default interval is spread by up to ±5 %, by an amount fixed
 *    per pipe id (a hash), so that pipes configured alike do not all start together and tests
 *    stay deterministic.  An explicit interval is exact.
 *  - run kinds (digest §3.4, Appendix B9): with `rescan_run_count` N every Nth run the pump asks
 *    for is full (1: all; 2: incremental, full, …); with `partial_rescan_run_count` M (which needs
 *    `partial_rescan_delta`) every Mth is a partial rescan (SluiceRunRequest.partial); a full
 *    rescan wins when both fall on one run.  Every run of the pipe counts, whatever started it;
 *    the count is kept in the schedule record (below) when a store is given, else it starts
 *    from 0 with each pump.  `rescan_cron_expression` (exclusive with `rescan_run_count`) asks
 *    for a full run at each of its starts, like a second cron schedule; its starts are not
 *    persisted (a rescan missed while the host was down is not made up for).
 *  - `run_at_startup`: a run when the pump is activated.
 *  - `mode`: "scheduled" (the default), "manual" (runs only when started), "off" (cannot be
 *    started at all).
 *  - enabled/disabled (at run time): a disabled pump starts no scheduled or signalled run; the
 *    start operation still works (digest §3.6).
 *  - signalling: sluice_pump_notify_input_changed () asks for an immediate run (it never interrupts
 *    a running one, and coalesces) when the source supports it: dataset-kind sources, following
 *    their `supports_signalling` when set, else `global_defaults.use_signalling_internally`
 *    unless the pipe runs on cron or on an interval of an hour or more.
 *  - persistence: with a store, a pipe on cron or on an interval longer than an hour keeps its next
 *    start in the store, so that a start missed while the host was down runs as soon as the pump
 *    is activated again.  The pump's enabled flag is kept the same way.  Both live in the pipe
 *    state record named "schedule:<pipe id>" (its `since` holds a small JSON object), apart from
 *    the pipe's own state so that the pump never competes with the pipe's run for that record.
 *
 * A pump does nothing until sluice_pump_activate (): build every pump first, then activate them.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "sluice-cron.h"
#include "sluice-scheduler.h"
#include "sluice-store-backend.h"

G_BEGIN_DECLS

#define SLUICE_PUMP_ERROR (sluice_pump_error_quark ())

typedef enum
{
  SLUICE_PUMP_ERROR_INVALID,  /* the pump configuration cannot be used; the message says where */
  SLUICE_PUMP_ERROR_OFF,      /* mode "off": the pipe cannot be started */
  SLUICE_PUMP_ERROR_BUSY,     /* the pipe is running already */
  SLUICE_PUMP_ERROR_SHUTDOWN, /* the host is shutting down */
  SLUICE_PUMP_ERROR_NOT_PUMPED, /* the pipe is never pumped (sluice_pump_set_not_pumped ()) */
} SluicePumpError;

GQuark sluice_pump_error_quark (void);

typedef enum
{
  SLUICE_PUMP_MODE_SCHEDULED,
  SLUICE_PUMP_MODE_MANUAL,
  SLUICE_PUMP_MODE_OFF,
} SluicePumpMode;

/* "scheduled", "manual", "off". */
const char *sluice_pump_mode_to_string (SluicePumpMode mode);

/* Intervals longer than this persist their next start; this long or longer turn signalling off
 * by default. */
#define SLUICE_PUMP_LONG_INTERVAL_US (3600 * SLUICE_USEC_PER_SEC)

/* The prefix of the pipe-state record that keeps a pump's schedule. */
#define SLUICE_PUMP_STATE_PREFIX "schedule:"

#define SLUICE_TYPE_PUMP (sluice_pump_get_type ())
G_DECLARE_FINAL_TYPE (SluicePump, sluice_pump, SLUICE, PUMP, GObject)

/* The pump of pipe @pipe_id, whose configuration object is @pipe (borrowed for the call).
 * @use_signalling_internally is `global_defaults.use_signalling_internally`.  @store (nullable,
 * borrowed, must outlive the pump) keeps persisted schedules.  Fails with
 * SLUICE_PUMP_ERROR_INVALID naming the pipe and the JSON pointer:
 * "pipe 'p': /pump/cron_expression: cron field 3 (day-of-month) '32': value out of range 1-31". */
SluicePump *sluice_pump_new (SluiceScheduler *scheduler, const char *pipe_id, JsonObject *pipe,
                             gboolean use_signalling_internally, SluiceStoreBackend *store,
                             GError **error);

const char *sluice_pump_get_pipe_id (SluicePump *pump);
SluicePumpMode sluice_pump_get_mode (SluicePump *pump);
/* (nullable) The cron expression, when the pipe runs on one. */
const SluiceCron *sluice_pump_get_cron (SluicePump *pump);
/* The effective interval in µs (jitter included); meaningful when there is no cron expression. */
gint64 sluice_pump_get_interval (SluicePump *pump);
gboolean sluice_pump_get_signalling (SluicePump *pump);
/* Whether the next start is kept in the store (cron, or an interval over an hour). */
gboolean sluice_pump_get_persistent (SluicePump *pump);

/* Starts scheduling: the run at startup, a missed persisted start, the first timer. */
void sluice_pump_activate (SluicePump *pump);
/* Stops scheduling (timers only: a running run goes on; see sluice_scheduler_stop ()). */
void sluice_pump_deactivate (SluicePump *pump);

gboolean sluice_pump_get_enabled (SluicePump *pump);
/* Enables or disables scheduled and signalled runs; persisted when the pump has a store.
 * Property "enabled". */
gboolean sluice_pump_set_enabled (SluicePump *pump, gboolean enabled, GError **error);

/* The next scheduled start in µs since the epoch, or -1 when none is armed (disabled, manual or
 * off, not active, running on an interval, or a cron expression with no further match).
 * Property "next-start", notified on change. */
gint64 sluice_pump_get_next_start (SluicePump *pump);

/* The start operation: a run now (or as soon as a slot is free), even when disabled.  Fails with
 * SLUICE_PUMP_ERROR_OFF in mode "off", SLUICE_PUMP_ERROR_BUSY when the pipe is running, and
 * SLUICE_PUMP_ERROR_SHUTDOWN when the host is stopping. */
gboolean sluice_pump_start (SluicePump *pump, gboolean full, GError **error);

/* Marks the pipe as never pumped (sluice_pipe_is_pumped () is FALSE: a receiver or a publisher):
 * no run is scheduled or signalled, and the start operation fails with
 * SLUICE_PUMP_ERROR_NOT_PUMPED and @reason (the pipe's own message).  NULL undoes it. */
void sluice_pump_set_not_pumped (SluicePump *pump, const char *reason);

/* An input dataset of the pipe changed: an immediate run when signalling applies (see above).
 * Returns whether a run was asked for. */
gboolean sluice_pump_notify_input_changed (SluicePump *pump);

G_END_DECLS
