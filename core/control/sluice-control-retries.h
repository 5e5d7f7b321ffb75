/* sluice-control-retries.h — the discard-retries pump operation (digest §3.6) of the control API
 * (sluice-control.h), kept apart with the rest of the retry machinery (docs/retries.md). */
#pragma once

#include "sluice-control.h"

G_BEGIN_DECLS

/* `discard-retries`: the pipe's pending write retries are dropped, not dead-lettered; every
 * retryable `write-error` entity becomes `retryable: false, discarded: true`, and a
 * `pump-discard-retries` entity (`discarded`: how many) is written to the execution log.
 * NOT_FOUND for no such pipe, BUSY while it runs or the host reloads, SHUTTING_DOWN when the host
 * stops, FAILED when the store fails. */
gboolean sluice_control_discard_retries (SluiceControl *control, const char *pipe_id,
                                         GError **error);

G_END_DECLS
