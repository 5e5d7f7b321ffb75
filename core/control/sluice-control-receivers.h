/* sluice-control-receivers.h — the receivers of a running host (sluice-pipe-push.h), kept with
 * its SluiceControl so that a full sync's state lives from one request to the next.
 *
 * A receiver is created on its pipe's first push and kept until the configuration changes: the
 * first call after a reload drops every receiver of the old engine (a full sync in progress ends
 * without deleting anything, and its sender's next request gets a 409).  Call on the control's
 * main context; the receiver returned may then be used on any thread. */
#pragma once

#include "sluice-control.h"
#include "sluice-pipe-push.h"

G_BEGIN_DECLS

/* (transfer full) The receiver of @pipe_id.  SLUICE_PUSH_ERROR as sluice_pipe_push_new (). */
SluicePipePush *sluice_control_dup_receiver (SluiceControl *control, const char *pipe_id,
                                             GError **error);

G_END_DECLS
