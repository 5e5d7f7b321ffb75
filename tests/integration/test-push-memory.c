/* test-push-memory.c — the memory of large pushes to a receiver of `sluiced --http`
 * (docs/http-endpoints.md, "Large pushes"; docs/decisions/0009-push-memory.md).
 *
 *  - one push of tens of MB: the daemon's peak memory (VmHWM) grows by at most twice the body
 *    plus 32 MiB, and after the push its anonymous memory (RssAnon) is back within half the body
 *    of where it was (it was 7.5–10× the body, peak and after, when a push was parsed
 *    whole into one store transaction);
 *  - the push budget (--http-push-budget): while one push holds its body (held at a gate of the
 *    test sink), a push that does not fit beside it gets 503 with Retry-After and writes nothing,
 *    one sent in chunks too; once the first is done it goes through;
 *  - four concurrent pushes under a budget of two bodies, each sent again when it got 503 and
 *    another push has finished since: all are stored, and the peak stays within twice the budget
 *    plus 32 MiB.
 *
 * Memory figures are asserted only without AddressSanitizer, whose allocator keeps freed memory
 * in quarantine and adds shadow memory: under it the pushes run and every other assertion holds.
 * No timing is asserted.  Usage (from meson): test-push-memory SLUICED PLUGIN_DIR TEST_PLUGIN_DIR
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http-api-client.h"
#include "sluiced-fixture.h"
#include "test-tree.h"

#if defined(__SANITIZE_ADDRESS__)
#define MEMORY_MEANINGFUL FALSE
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEMORY_MEANINGFUL FALSE
#endif
#endif
#ifndef MEMORY_MEANINGFUL
#define MEMORY_MEANINGFUL TRUE
#endif

#define TOKEN "push-memory-token-0123456789"
#define MIB (1024.0 * 1024.0)

static const char *sluiced_path;
static const char *plugin_dirs[3];

static const char config_text[]
    = "[\n"
      "  {\"_id\": \"node\", \"type\": \"metadata\",\n"
      "   \"api_tokens\": [{\"name\": \"t\", \"token\": \"" TOKEN "\", \"access\": \"admin\"}]},\n"
      "  {\"_id\": \"in\", \"type\": \"pipe\", \"batch_size\": 1000,\n"
      "   \"source\": {\"type\": \"http_endpoint\"},\n"
      "   \"sink\": {\"type\": \"dataset\", \"dataset\": \"in\"}},\n"
      "  {\"_id\": \"gated\", \"type\": \"pipe\", \"batch_size\": 1000,\n"
      "   \"source\": {\"type\": \"http_endpoint\"},\n"
      "   \"sink\": {\"type\": \"test-fail-sink\", \"dataset\": \"gated\", \"gate_at_batch\": 5,\n"
      "            \"gate_dir\": \"@DIR@\"}}\n"
      "]\n";

typedef struct
{
  char *dir;
  SluicedDaemon *daemon;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->dir = sluiced_fixture_make_dir ("push-memory", config_text);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  if (f->daemon != NULL)
    sluiced_daemon_stop (f->daemon, FALSE);
  sluice_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f);
  return 0;
}

static HttpApiResponse *
push_to (Fixture *f, const char *pipe, const GString *body, gboolean chunked, gboolean here)
{
  g_autofree char *path = g_strdup_printf ("/api/receivers/%s/entities", pipe);
  g_autofree char *url = sluiced_daemon_url (f->daemon, path);
  HttpApiRequest request = {
    .method = "POST",
    .url = url,
    .token = TOKEN,
    .content_type = "application/json",
    .body = body->str,
    .body_len = (gssize)body->len,
    .chunked = chunked,
  };

  return here ? http_api_send_here (&request) : http_api_send (&request);
}

static void
push_ok (Fixture *f, const char *pipe, const GString *body)
{
  g_autoptr (HttpApiResponse) response = push_to (f, pipe, body, FALSE, FALSE);

  if (response->status != 200)
    fail_msg ("push to %s: %u %s", pipe, response->status, http_api_response_text (response));
}

/* The entity count of @dataset, as a reader sees it; -1 when there is no such dataset. */
static gint64
entity_count (Fixture *f, const char *dataset)
{
  g_autofree char *path = g_strdup_printf ("/api/datasets/%s", dataset);
  g_autofree char *url = sluiced_daemon_url (f->daemon, path);
  g_autoptr (HttpApiResponse) response = http_api_request ("GET", url, TOKEN, NULL, NULL);
  g_autoptr (JsonNode) node = NULL;

  if (response->status == 404)
    return -1;
  assert_int_equal (response->status, 200);
  node = http_api_response_json (response);
  return json_object_get_int_member (json_node_get_object (node), "entity_count");
}

static void
start (Fixture *f, const char *const *args)
{
  f->daemon = sluiced_daemon_start (sluiced_path, plugin_dirs, f->dir, args);
  /* Everything a first push starts (threads, the store's first transactions) is there before
   * the figures are taken. */
  {
    g_autoptr (GString) small = sluiced_fixture_entities (100, "warm-", NULL);

    push_ok (f, "in", small);
  }
}

static void
test_one_large_push (void **state)
{
  Fixture *f = *state;
  guint n = MEMORY_MEANINGFUL ? 180000 : 30000;
  g_autoptr (GString) body = sluiced_fixture_entities (n, "p", NULL);
  guint64 hwm_before, anon_before, hwm_after, anon_after;
  double size_mib = body->len / MIB;

  start (f, NULL);
  hwm_before = sluiced_daemon_status_kib (f->daemon, "VmHWM");
  anon_before = sluiced_daemon_status_kib (f->daemon, "RssAnon");
  push_ok (f, "in", body);
  hwm_after = sluiced_daemon_status_kib (f->daemon, "VmHWM");
  anon_after = sluiced_daemon_status_kib (f->daemon, "RssAnon");
  assert_int_equal (entity_count (f, "in"), n + 100);

  print_message ("one push of %.1f MiB: peak +%.1f MiB (VmHWM %.1f → %.1f), RssAnon %.1f → "
                 "%.1f MiB after it%s\n",
                 size_mib, (hwm_after - hwm_before) / 1024.0, hwm_before / 1024.0,
                 hwm_after / 1024.0, anon_before / 1024.0, anon_after / 1024.0,
                 MEMORY_MEANINGFUL ? "" : " (AddressSanitizer: not asserted)");
  if (!MEMORY_MEANINGFUL)
    return;
  if ((hwm_after - hwm_before) / 1024.0 > 2 * size_mib + 32)
    fail_msg ("a push of %.1f MiB raised the peak memory by %.1f MiB: more than twice the body "
              "plus 32 MiB",
              size_mib, (hwm_after - hwm_before) / 1024.0);
  if (anon_after > anon_before && (anon_after - anon_before) / 1024.0 > size_mib / 2)
    fail_msg ("a push of %.1f MiB left the anonymous memory %.1f MiB larger: more than half the "
              "body",
              size_mib, (anon_after - anon_before) / 1024.0);
}

static void
test_budget (void **state)
{
  Fixture *f = *state;
  g_autoptr (GString) held_body = sluiced_fixture_entities (36000, "held-", NULL);
  g_autoptr (GString) big = sluiced_fixture_entities (50000, "big-", NULL);
  /* The two do not fit together; either fits alone. */
  g_autofree char *max_body = g_strdup_printf ("%zu", big->len + 1000);
  g_autofree char *budget = g_strdup_printf ("%zu", held_body->len + big->len - 1);
  g_autofree char *budget_text = g_strdup_printf ("does not fit in the budget of %s bytes (sluiced "
                                                  "--http-push-budget); send it again after "
                                                  "Retry-After",
                                                  budget);
  const char *const args[] = { "--http-max-body", max_body, "--http-push-budget", budget, NULL };
  SluicedGate *gate;
  SluicedPush *held;
  HttpApiResponse *held_response;

  start (f, args);
  gate = sluiced_gate_new (f->dir);
  held = sluiced_push_start (f->daemon, TOKEN, "gated", NULL, held_body);
  sluiced_gate_wait_reached (gate);

  /* With the held body in flight, the big one does not fit, with a Content-Length or in
   * chunks. */
  for (int chunked = 0; chunked <= 1; chunked++)
    {
      g_autoptr (HttpApiResponse) refused = push_to (f, "in", big, chunked, FALSE);
      g_autofree char *message = NULL;

      if (refused->status != 503)
        fail_msg ("a push beyond the budget (%s) got %u %s, expected 503",
                  chunked ? "chunked" : "Content-Length", refused->status,
                  http_api_response_text (refused));
      assert_string_equal (soup_message_headers_get_one (refused->headers, "Retry-After"), "1");
      message = http_api_response_dup_error (refused);
      assert_non_null (strstr (message, "the receivers are busy: "));
      if (strstr (message, budget_text) == NULL)
        fail_msg ("unexpected message: %s", message);
    }
  assert_int_equal (entity_count (f, "in"), 100);

  sluiced_gate_open (gate);
  held_response = sluiced_push_finish (held);
  assert_int_equal (held_response->status, 200);
  http_api_response_free (held_response);
  sluiced_gate_free (gate);
  push_ok (f, "in", big);
  assert_int_equal (entity_count (f, "in"), 100 + 50000);
  assert_int_equal (entity_count (f, "gated"), 36000);
}

/* Four pushes at once, each sent again after a 503 once another one finished. */
typedef struct
{
  GMutex lock;
  GCond cond;
  guint finished;
  guint refusals;
  gint all_done;
  Fixture *f;
} Crowd;

typedef struct
{
  Crowd *crowd;
  GString *body;
  guint status;
} Pusher;

static gpointer
pusher_thread (gpointer data)
{
  Pusher *pusher = data;
  Crowd *crowd = pusher->crowd;

  for (guint attempt = 0; attempt < 100; attempt++)
    {
      guint finished;
      g_autoptr (HttpApiResponse) response = NULL;

      g_mutex_lock (&crowd->lock);
      finished = crowd->finished;
      g_mutex_unlock (&crowd->lock);
      response = push_to (crowd->f, "in", pusher->body, FALSE, TRUE);
      pusher->status = response->status;
      if (response->status != 503)
        break;
      /* Another push was in flight: it frees its part of the budget when it finishes. */
      g_mutex_lock (&crowd->lock);
      crowd->refusals++;
      while (crowd->finished == finished)
        g_cond_wait (&crowd->cond, &crowd->lock);
      g_mutex_unlock (&crowd->lock);
    }
  g_mutex_lock (&crowd->lock);
  crowd->finished++;
  if (crowd->finished == 4)
    g_atomic_int_set (&crowd->all_done, 1);
  g_cond_broadcast (&crowd->cond);
  g_mutex_unlock (&crowd->lock);
  g_main_context_wakeup (NULL);
  return NULL;
}

static void
test_four_concurrent_pushes (void **state)
{
  Fixture *f = *state;
  guint n = MEMORY_MEANINGFUL ? 45000 : 20000;
  g_autoptr (GString) sizing = sluiced_fixture_entities (n, "c0-", NULL);
  g_autofree char *max_body = g_strdup_printf ("%zu", sizing->len + 100000);
  g_autofree char *budget = g_strdup_printf ("%zu", 2 * (sizing->len + 100000));
  const char *const args[] = { "--http-max-body", max_body, "--http-push-budget", budget, NULL };
  Crowd crowd = { .f = f };
  Pusher pushers[4];
  GThread *threads[4];
  guint64 hwm_before, hwm_after;
  double budget_mib = 2 * (sizing->len + 100000) / MIB;

  start (f, args);
  hwm_before = sluiced_daemon_status_kib (f->daemon, "VmHWM");
  g_mutex_init (&crowd.lock);
  g_cond_init (&crowd.cond);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *prefix = g_strdup_printf ("c%u-", i);

      pushers[i] = (Pusher){ &crowd, sluiced_fixture_entities (n, prefix, NULL), 0 };
    }
  for (guint i = 0; i < 4; i++)
    threads[i] = g_thread_new ("pusher", pusher_thread, &pushers[i]);
  /* The daemon's log is read meanwhile. */
  http_api_wait_for (&crowd.all_done);
  for (guint i = 0; i < 4; i++)
    {
      g_thread_join (threads[i]);
      assert_int_equal (pushers[i].status, 200);
      g_string_free (pushers[i].body, TRUE);
    }
  hwm_after = sluiced_daemon_status_kib (f->daemon, "VmHWM");
  assert_int_equal (entity_count (f, "in"), 100 + 4 * n);
  print_message ("four pushes of %.1f MiB under a budget of %.1f MiB (%u refusals): peak +%.1f "
                 "MiB%s\n",
                 sizing->len / MIB, budget_mib, crowd.refusals, (hwm_after - hwm_before) / 1024.0,
                 MEMORY_MEANINGFUL ? "" : " (AddressSanitizer: not asserted)");
  g_mutex_clear (&crowd.lock);
  g_cond_clear (&crowd.cond);
  if (MEMORY_MEANINGFUL && (hwm_after - hwm_before) / 1024.0 > 2 * budget_mib + 32)
    fail_msg ("four pushes under a budget of %.1f MiB raised the peak memory by %.1f MiB: more "
              "than twice the budget plus 32 MiB",
              budget_mib, (hwm_after - hwm_before) / 1024.0);
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_one_large_push, setup, teardown),
    cmocka_unit_test_setup_teardown (test_budget, setup, teardown),
    cmocka_unit_test_setup_teardown (test_four_concurrent_pushes, setup, teardown),
  };

  if (!sluiced_fixture_args (argc, argv, &sluiced_path, plugin_dirs))
    return 2;
  return cmocka_run_group_tests (tests, NULL, NULL);
}
