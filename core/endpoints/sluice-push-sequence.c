/* sluice-push-sequence.c — the JSON push protocol's state machine (see the header for the
 * rules). */
#include "sluice-push-sequence.h"

G_DEFINE_QUARK (sluice-push-error-quark, sluice_push_error)

struct _SluicePushSequence
{
  char *active;       /* the sequence_id of the full sync in progress, or NULL */
  char *last_request; /* the request_id of its last accepted request */
  char *ended;        /* the last full sync that ended or was dropped, for messages */
  char *incremental;  /* the last sequence_id seen in an incremental request */
};

static gboolean
parse_boolean (GHashTable *query, const char *key, gboolean *ret_value, GError **error)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, key) : NULL;

  *ret_value = FALSE;
  if (text == NULL || g_ascii_strcasecmp (text, "false") == 0)
    return TRUE;
  if (g_ascii_strcasecmp (text, "true") == 0)
    {
      *ret_value = TRUE;
      return TRUE;
    }
  g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_INVALID,
               "query parameter '%s': expected true or false, got '%s'", key, text);
  return FALSE;
}

static const char *
parse_string (GHashTable *query, const char *key)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, key) : NULL;

  return text != NULL && text[0] != '\0' ? text : NULL;
}

gboolean
sluice_push_request_parse (GHashTable *query, SluicePushRequest *ret_request, GError **error)
{
  SluicePushRequest request = {
    .sequence_id = parse_string (query, "sequence_id"),
    .request_id = parse_string (query, "request_id"),
    .previous_request_id = parse_string (query, "previous_request_id"),
  };

  if (!parse_boolean (query, "is_full", &request.is_full, error)
      || !parse_boolean (query, "is_first", &request.is_first, error)
      || !parse_boolean (query, "is_last", &request.is_last, error))
    return FALSE;
  if (request.is_full && (request.sequence_id == NULL || request.request_id == NULL))
    {
      g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_INVALID,
                   "query parameter '%s': a full sync (is_full=true) needs it in every request",
                   request.sequence_id == NULL ? "sequence_id" : "request_id");
      return FALSE;
    }
  *ret_request = request;
  return TRUE;
}

SluicePushSequence *
sluice_push_sequence_new (void)
{
  return g_new0 (SluicePushSequence, 1);
}

void
sluice_push_sequence_free (SluicePushSequence *sequence)
{
  if (sequence == NULL)
    return;
  g_free (sequence->active);
  g_free (sequence->last_request);
  g_free (sequence->ended);
  g_free (sequence->incremental);
  g_free (sequence);
}

const char *
sluice_push_sequence_get_active (const SluicePushSequence *sequence)
{
  return sequence->active;
}

/* Why a full request of @id cannot continue: the sequence is not in progress here. */
static void
set_not_active (const SluicePushSequence *sequence, const char *id, GError **error)
{
  const char *why;

  if (g_strcmp0 (sequence->ended, id) == 0)
    why = "it has ended (its is_last request came, it was replaced by a newer sequence, or a "
          "conflict broke it)";
  else
    why = "it never started here (a full sync starts with is_first=true), or sluiced restarted "
          "since it began";
  g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_CONFLICT,
               "sequence_id '%s' is not a full sync in progress: %s; restart the full sync with "
               "a new sequence_id",
               id, why);
}

gboolean
sluice_push_sequence_check (const SluicePushSequence *sequence, const SluicePushRequest *request,
                            SluicePushStep *ret_step, GError **error)
{
  SluicePushStep step = { .full = request->is_full };
  gboolean is_active = request->sequence_id != NULL
                       && g_strcmp0 (request->sequence_id, sequence->active) == 0;

  if (!request->is_full)
    {
      if (is_active)
        {
          g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_CONFLICT_BROKEN,
                       "is_full=false, but sequence_id '%s' is a full sync (is_full=true) in "
                       "progress: is_full cannot change within a sequence; the full sync is "
                       "aborted",
                       request->sequence_id);
          return FALSE;
        }
      *ret_step = step;
      return TRUE;
    }

  if (request->sequence_id != NULL && g_strcmp0 (request->sequence_id, sequence->incremental) == 0)
    {
      g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_CONFLICT,
                   "is_full=true, but sequence_id '%s' was incremental (is_full=false) in an "
                   "earlier request: is_full cannot change within a sequence",
                   request->sequence_id);
      return FALSE;
    }
  if (request->is_first)
    {
      if (is_active)
        {
          g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_CONFLICT_BROKEN,
                       "is_first=true, but sequence_id '%s' is in progress already (its last "
                       "request was request_id '%s'): only the first request of a sequence may "
                       "say is_first; the full sync is aborted",
                       request->sequence_id, sequence->last_request);
          return FALSE;
        }
      step.starts = TRUE;
      step.replaces = sequence->active != NULL;
      step.ends = request->is_last;
      *ret_step = step;
      return TRUE;
    }
  if (!is_active)
    {
      set_not_active (sequence, request->sequence_id, error);
      return FALSE;
    }
  if (g_strcmp0 (request->previous_request_id, sequence->last_request) != 0)
    {
      if (request->previous_request_id == NULL)
        g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_CONFLICT_BROKEN,
                     "previous_request_id is missing; expected '%s', the request_id of the "
                     "previous request of sequence '%s'; the full sync is aborted",
                     sequence->last_request, sequence->active);
      else
        g_set_error (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_CONFLICT_BROKEN,
                     "previous_request_id '%s' does not match the previous request of sequence "
                     "'%s', whose request_id was '%s'; the full sync is aborted",
                     request->previous_request_id, sequence->active, sequence->last_request);
      return FALSE;
    }
  step.ends = request->is_last;
  *ret_step = step;
  return TRUE;
}

static void
end_active (SluicePushSequence *sequence)
{
  if (sequence->active == NULL)
    return;
  g_free (sequence->ended);
  sequence->ended = g_steal_pointer (&sequence->active);
  g_clear_pointer (&sequence->last_request, g_free);
}

void
sluice_push_sequence_advance (SluicePushSequence *sequence, const SluicePushRequest *request,
                              const SluicePushStep *step)
{
  if (!step->full)
    {
      if (request->sequence_id != NULL && g_strcmp0 (request->sequence_id, sequence->incremental))
        {
          g_free (sequence->incremental);
          sequence->incremental = g_strdup (request->sequence_id);
        }
      return;
    }
  if (step->starts)
    {
      end_active (sequence);
      sequence->active = g_strdup (request->sequence_id);
    }
  g_free (sequence->last_request);
  sequence->last_request = g_strdup (request->request_id);
  if (step->ends)
    end_active (sequence);
}

void
sluice_push_sequence_reset (SluicePushSequence *sequence)
{
  end_active (sequence);
}
