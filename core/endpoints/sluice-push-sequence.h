/* sluice-push-sequence.h — the JSON push protocol of a receiver (digest §12.3, §5.4): which
 * requests belong to a full sync, and which break it.
 *
 * A SluicePushSequence is the protocol state of one receiver: the full sync in progress (its
 * sequence_id and the request_id of its last accepted request), nothing else.  It does no I/O:
 * sluice-pipe-push.c asks it what a request means (sluice_push_sequence_check ()), does the work,
 * and then records the request (sluice_push_sequence_advance ()) — or, when the check says the
 * sequence in progress is broken, drops it (sluice_push_sequence_reset ()).
 *
 * The rules, each a SLUICE_PUSH_ERROR_CONFLICT (HTTP 409) when broken:
 *  - a full sync (is_full=true) starts with is_first=true and a new sequence_id; a new sequence
 *    replaces the one in progress, which ends without deletion detection;
 *  - every later request of it carries previous_request_id equal to the request_id of the
 *    previous one;
 *  - is_first=true is only for the first request of a sequence;
 *  - is_full may not change within a sequence;
 *  - a full request of a sequence that is not in progress (it never started here, it ended, it
 *    was replaced, or sluiced restarted since it began) is refused: nothing is deleted on
 *    partial knowledge, and the sender restarts the full sync;
 *  - is_last=true ends the sequence; deletion detection runs after it.
 * Incremental requests (is_full absent or false) never touch the sequence in progress, except
 * one that names it: its is_full differs.  A conflict about the sequence in progress breaks it
 * (SLUICE_PUSH_ERROR_CONFLICT_BROKEN): the caller resets it, since the sender has to start
 * over anyway.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SLUICE_PUSH_ERROR (sluice_push_error_quark ())

typedef enum
{
  SLUICE_PUSH_ERROR_FAILED,          /* pushing through the pipe failed (500) */
  SLUICE_PUSH_ERROR_INVALID,         /* a bad parameter or body (400) */
  SLUICE_PUSH_ERROR_CONFLICT,        /* the request breaks the protocol (409) */
  SLUICE_PUSH_ERROR_CONFLICT_BROKEN, /* as CONFLICT, and the sequence in progress is broken */
  SLUICE_PUSH_ERROR_NOT_FOUND,       /* no such pipe (404) */
  SLUICE_PUSH_ERROR_NOT_RECEIVER,    /* the pipe's source is not a receiver (404) */
} SluicePushError;

GQuark sluice_push_error_quark (void);

/* One request's protocol parameters (the query string of POST /api/receivers/{pipe}/entities). */
typedef struct
{
  const char *sequence_id;         /* nullable */
  const char *request_id;          /* nullable */
  const char *previous_request_id; /* nullable */
  gboolean is_full;
  gboolean is_first;
  gboolean is_last;
} SluicePushRequest;

/* Reads @query (char * → char *, nullable: no parameters) into @ret_request (which borrows its
 * strings).  Unknown parameters are ignored.  Fails with SLUICE_PUSH_ERROR_INVALID:
 * "query parameter 'is_full': expected true or false, got 'yes'", and for a full request without
 * a sequence_id or a request_id. */
gboolean sluice_push_request_parse (GHashTable *query, SluicePushRequest *ret_request,
                                    GError **error);

/* What a request does, when it may. */
typedef struct
{
  gboolean full;     /* it belongs to a full sync */
  gboolean starts;   /* it is the first request of a new full sync */
  gboolean replaces; /* another full sync was in progress: it ends, deleting nothing */
  gboolean ends;     /* is_last: deletion detection runs after this request */
} SluicePushStep;

typedef struct _SluicePushSequence SluicePushSequence;

SluicePushSequence *sluice_push_sequence_new (void);
void sluice_push_sequence_free (SluicePushSequence *sequence);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluicePushSequence, sluice_push_sequence_free)

/* What @request means, given the sequence in progress; changes nothing.  FALSE with
 * SLUICE_PUSH_ERROR_CONFLICT or _CONFLICT_BROKEN when the protocol forbids it; the message says
 * which rule and what was expected. */
gboolean sluice_push_sequence_check (const SluicePushSequence *sequence,
                                     const SluicePushRequest *request, SluicePushStep *ret_step,
                                     GError **error);
/* Records a request that was checked and done. */
void sluice_push_sequence_advance (SluicePushSequence *sequence, const SluicePushRequest *request,
                                   const SluicePushStep *step);
/* Drops the sequence in progress (broken, or its work failed). */
void sluice_push_sequence_reset (SluicePushSequence *sequence);

/* The sequence_id in progress, or NULL. */
const char *sluice_push_sequence_get_active (const SluicePushSequence *sequence);

G_END_DECLS
