/* test-push-sequence.c — the JSON push protocol's state machine (core/endpoints/sluice-push-sequence.c):
 * the query parameters, the worked example of digest §12.3 as a sequence of steps, and every rule
 * whose breach is a 409, with the messages a sender sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sluice-http-status.h"
#include "sluice-push-sequence.h"

/* A request from "key=value&…" pairs (NULL-terminated key, value list). */
static SluicePushRequest
request (const char *first_key, ...)
{
  g_autoptr (GHashTable) query = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  SluicePushRequest result = { 0 };
  va_list args;

  va_start (args, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (args, const char *))
    g_hash_table_insert (query, (char *) key, va_arg (args, char *));
  va_end (args);
  if (!sluice_push_request_parse (query, &result, &error))
    fail_msg ("%s", error->message);
  return result;
}

/* Checks and, when it may, records @req; returns the step. */
static SluicePushStep
accept (SluicePushSequence *seq, SluicePushRequest req)
{
  SluicePushStep step = { 0 };
  g_autoptr (GError) error = NULL;

  if (!sluice_push_sequence_check (seq, &req, &step, &error))
    fail_msg ("refused: %s", error->message);
  sluice_push_sequence_advance (seq, &req, &step);
  return step;
}

/* Checks that @req is refused with @code and @message; a broken sequence is reset, as the
 * receiver does. */
static void
refuse (SluicePushSequence *seq, SluicePushRequest req, int code, const char *message)
{
  SluicePushStep step = { 0 };
  g_autoptr (GError) error = NULL;

  assert_false (sluice_push_sequence_check (seq, &req, &step, &error));
  assert_non_null (error);
  assert_int_equal (error->code, code);
  assert_int_equal (sluice_http_error_status (error), 409);
  assert_string_equal (error->message, message);
  if (code == SLUICE_PUSH_ERROR_CONFLICT_BROKEN)
    sluice_push_sequence_reset (seq);
}

static void
test_parse (void **state)
{
  g_autoptr (GHashTable) query = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  SluicePushRequest req = { 0 };

  assert_true (sluice_push_request_parse (NULL, &req, &error));
  assert_false (req.is_full);
  assert_null (req.sequence_id);

  req = request ("is_full", "true", "sequence_id", "s", "request_id", "1", "is_first", "TRUE",
                 "is_last", "false", "other", "ignored", NULL);
  assert_true (req.is_full);
  assert_true (req.is_first);
  assert_false (req.is_last);
  assert_string_equal (req.sequence_id, "s");
  assert_string_equal (req.request_id, "1");
  assert_null (req.previous_request_id);

  g_hash_table_insert (query, "is_full", "yes");
  assert_false (sluice_push_request_parse (query, &req, &error));
  assert_int_equal (sluice_http_error_status (error), 400);
  assert_string_equal (error->message, "query parameter 'is_full': expected true or false, got 'yes'");
  g_clear_error (&error);

  g_hash_table_insert (query, "is_full", "true");
  g_hash_table_insert (query, "request_id", "1");
  assert_false (sluice_push_request_parse (query, &req, &error));
  assert_true (g_error_matches (error, SLUICE_PUSH_ERROR, SLUICE_PUSH_ERROR_INVALID));
  assert_string_equal (error->message, "query parameter 'sequence_id': a full sync (is_full=true) "
                                       "needs it in every request");
  g_clear_error (&error);

  g_hash_table_insert (query, "sequence_id", "s");
  g_hash_table_remove (query, "request_id");
  assert_false (sluice_push_request_parse (query, &req, &error));
  assert_string_equal (error->message, "query parameter 'request_id': a full sync (is_full=true) "
                                       "needs it in every request");
}

/* digest §12.3's worked example, as the protocol sees it. */
static void
test_worked_example (void **state)
{
  g_autoptr (SluicePushSequence) seq = sluice_push_sequence_new ();
  SluicePushStep step;

  step = accept (seq, request (NULL));
  assert_false (step.full);
  assert_null (sluice_push_sequence_get_active (seq));

  step = accept (seq, request ("is_full", "true", "sequence_id", "1", "request_id", "1",
                               "is_first", "true", NULL));
  assert_true (step.full && step.starts);
  assert_false (step.replaces || step.ends);
  assert_string_equal (sluice_push_sequence_get_active (seq), "1");
  step = accept (seq, request ("is_full", "true", "sequence_id", "1", "request_id", "2",
                               "previous_request_id", "1", NULL));
  assert_true (step.full);
  assert_false (step.starts || step.ends);
  step = accept (seq, request ("is_full", "true", "sequence_id", "1", "request_id", "3",
                               "previous_request_id", "2", "is_last", "true", NULL));
  assert_true (step.ends);
  assert_null (sluice_push_sequence_get_active (seq));

  step = accept (seq, request ("is_full", "true", "sequence_id", "2", "request_id", "1",
                               "is_first", "true", NULL));
  assert_true (step.starts);
  assert_false (step.replaces);
  step = accept (seq, request ("is_full", "true", "sequence_id", "2", "request_id", "2",
                               "previous_request_id", "1", "is_last", "true", NULL));
  assert_true (step.ends);
  assert_null (sluice_push_sequence_get_active (seq));
}

/* One request can be the whole full sync. */
static void
test_first_and_last (void **state)
{
  g_autoptr (SluicePushSequence) seq = sluice_push_sequence_new ();
  SluicePushStep step = accept (seq, request ("is_full", "true", "sequence_id", "s",
                                              "request_id", "only", "is_first", "true",
                                              "is_last", "true", NULL));

  assert_true (step.starts && step.ends);
  assert_null (sluice_push_sequence_get_active (seq));
}

/* A new sequence replaces the one in progress, which then cannot continue. */
static void
test_new_sequence_replaces (void **state)
{
  g_autoptr (SluicePushSequence) seq = sluice_push_sequence_new ();
  SluicePushStep step;

  accept (seq, request ("is_full", "true", "sequence_id", "a", "request_id", "1", "is_first",
                        "true", NULL));
  step = accept (seq, request ("is_full", "true", "sequence_id", "b", "request_id", "1",
                               "is_first", "true", NULL));
  assert_true (step.starts && step.replaces);
  assert_string_equal (sluice_push_sequence_get_active (seq), "b");
  refuse (seq,
          request ("is_full", "true", "sequence_id", "a", "request_id", "2",
                   "previous_request_id", "1", NULL),
          SLUICE_PUSH_ERROR_CONFLICT,
          "sequence_id 'a' is not a full sync in progress: it has ended (its is_last request "
          "came, it was replaced by a newer sequence, or a conflict broke it); restart the full "
          "sync with a new sequence_id");
  /* That conflict was not about b, which goes on. */
  accept (seq, request ("is_full", "true", "sequence_id", "b", "request_id", "2",
                        "previous_request_id", "1", NULL));
}

/* 409: previous_request_id does not match the previous request. */
static void
test_previous_mismatch (void **state)
{
  g_autoptr (SluicePushSequence) seq = sluice_push_sequence_new ();

  accept (seq, request ("is_full", "true", "sequence_id", "s", "request_id", "1", "is_first",
                        "true", NULL));
  refuse (seq,
          request ("is_full", "true", "sequence_id", "s", "request_id", "3",
                   "previous_request_id", "2", NULL),
          SLUICE_PUSH_ERROR_CONFLICT_BROKEN,
          "previous_request_id '2' does not match the previous request of sequence 's', whose "
          "request_id was '1'; the full sync is aborted");
  assert_null (sluice_push_sequence_get_active (seq));
  /* The broken sequence cannot go on, even with the right previous_request_id. */
  refuse (seq,
          request ("is_full", "true", "sequence_id", "s", "request_id", "2",
                   "previous_request_id", "1", NULL),
          SLUICE_PUSH_ERROR_CONFLICT,
          "sequence_id 's' is not a full sync in progress: it has ended (its is_last request "
          "came, it was replaced by a newer sequence, or a conflict broke it); restart the full "
          "sync with a new sequence_id");
}

static void
test_previous_missing (void **state)
{
  g_autoptr (SluicePushSequence) seq = sluice_push_sequence_new ();

  accept (seq, request ("is_full", "true", "sequence_id", "s", "request_id", "1", "is_first",
                        "true", NULL));
  refuse (seq, request ("is_full", "true", "sequence_id", "s", "request_id", "2", NULL),
          SLUICE_PUSH_ERROR_CONFLICT_BROKEN,
          "previous_request_id is missing; expected '1', the request_id of the previous request "
          "of sequence 's'; the full sync is aborted");
}

/* 409: is_first=true on a request that is not the first. */
static void
test_first_twice (void **state)
{
  g_autoptr (SluicePushSequence) seq = sluice_push_sequence_new ();

  accept (seq, request ("is_full", "true", "sequence_id", "s", "request_id", "1", "is_first",
                        "true", NULL));
  refuse (seq,
          request ("is_full", "true", "sequence_id", "s", "request_id", "2",
                   "previous_request_id", "1", "is_first", "true", NULL),
          SLUICE_PUSH_ERROR_CONFLICT_BROKEN,
          "is_first=true, but sequence_id 's' is in progress already (its last request was "
          "request_id '1'): only the first request of a sequence may say is_first; the full "
          "sync is aborted");
  assert_null (sluice_push_sequence_get_active (seq));
}

/* 409: is_full differs from earlier requests of the sequence, both ways. */
static void
test_is_full_changes (void **state)
{
  g_autoptr (SluicePushSequence) seq = sluice_push_sequence_new ();

  accept (seq, request ("is_full", "true", "sequence_id", "s", "request_id", "1", "is_first",
                        "true", NULL));
  refuse (seq, request ("sequence_id", "s", "request_id", "2", "previous_request_id", "1", NULL),
          SLUICE_PUSH_ERROR_CONFLICT_BROKEN,
          "is_full=false, but sequence_id 's' is a full sync (is_full=true) in progress: is_full "
          "cannot change within a sequence; the full sync is aborted");
  assert_null (sluice_push_sequence_get_active (seq));

  accept (seq, request ("sequence_id", "inc", "request_id", "1", NULL));
  refuse (seq, request ("is_full", "true", "sequence_id", "inc", "request_id", "2",
                        "is_first", "true", NULL),
          SLUICE_PUSH_ERROR_CONFLICT,
          "is_full=true, but sequence_id 'inc' was incremental (is_full=false) in an earlier "
          "request: is_full cannot change within a sequence");
}

/* 409: a full request of a sequence that never started here (after a restart, say). */
static void
test_unknown_sequence (void **state)
{
  g_autoptr (SluicePushSequence) seq = sluice_push_sequence_new ();

  refuse (seq,
          request ("is_full", "true", "sequence_id", "s", "request_id", "3",
                   "previous_request_id", "2", NULL),
          SLUICE_PUSH_ERROR_CONFLICT,
          "sequence_id 's' is not a full sync in progress: it never started here (a full sync "
          "starts with is_first=true), or sluiced restarted since it began; restart the full "
          "sync with a new sequence_id");
  /* Also the very first request of a sequence, without is_first. */
  refuse (seq, request ("is_full", "true", "sequence_id", "t", "request_id", "1", NULL),
          SLUICE_PUSH_ERROR_CONFLICT,
          "sequence_id 't' is not a full sync in progress: it never started here (a full sync "
          "starts with is_first=true), or sluiced restarted since it began; restart the full "
          "sync with a new sequence_id");
}

/* Incremental requests do not touch the full sync in progress. */
static void
test_incremental_during_full (void **state)
{
  g_autoptr (SluicePushSequence) seq = sluice_push_sequence_new ();
  SluicePushStep step;

  accept (seq, request ("is_full", "true", "sequence_id", "s", "request_id", "1", "is_first",
                        "true", NULL));
  step = accept (seq, request ("sequence_id", "other", "request_id", "9", NULL));
  assert_false (step.full);
  step = accept (seq, request (NULL));
  assert_false (step.full);
  /* Parameters of incremental requests are not checked against each other. */
  step = accept (seq, request ("sequence_id", "other", "request_id", "1",
                               "previous_request_id", "nothing", "is_first", "true", NULL));
  assert_false (step.full || step.starts);
  assert_string_equal (sluice_push_sequence_get_active (seq), "s");
  step = accept (seq, request ("is_full", "true", "sequence_id", "s", "request_id", "2",
                               "previous_request_id", "1", "is_last", "true", NULL));
  assert_true (step.ends);
}

/* A sequence id may be used again after its full sync ended. */
static void
test_restart_after_end (void **state)
{
  g_autoptr (SluicePushSequence) seq = sluice_push_sequence_new ();
  SluicePushStep step;

  accept (seq, request ("is_full", "true", "sequence_id", "s", "request_id", "1", "is_first",
                        "true", "is_last", "true", NULL));
  step = accept (seq, request ("is_full", "true", "sequence_id", "s", "request_id", "1",
                               "is_first", "true", NULL));
  assert_true (step.starts);
  assert_false (step.replaces);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse),
    cmocka_unit_test (test_worked_example),
    cmocka_unit_test (test_first_and_last),
    cmocka_unit_test (test_new_sequence_replaces),
    cmocka_unit_test (test_previous_mismatch),
    cmocka_unit_test (test_previous_missing),
    cmocka_unit_test (test_first_twice),
    cmocka_unit_test (test_is_full_changes),
    cmocka_unit_test (test_unknown_sequence),
    cmocka_unit_test (test_incremental_during_full),
    cmocka_unit_test (test_restart_after_end),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
