/* test-push-atomic.c — a large push to a receiver of `sluiced --http` is atomic although it is
 * committed in parts (docs/http-endpoints.md, "Large pushes"):
 *
 *  - a body whose very last entity is bad, or which is not valid JSON at its very end, is
 *    refused with the same 400 as a small one, and nothing of it is stored;
 *  - a reader of the dataset, and a publisher reading it through a pipe, see nothing of a push in
 *    progress (the push waits at a gate of the test sink after parts of it were committed: the
 *    store says so), neither its entities nor its counts, and everything once it is done;
 *  - a sink that fails after parts were committed fails the push (500), and what the parts wrote
 *    is rolled back;
 *  - sluiced killed (SIGKILL) in the middle of a large push: after the restart nothing of the
 *    push is in the dataset (an existing dataset is as it was, one the push created is gone), and
 *    the same push then goes through;
 *  - a full sync whose last request is large: deletion detection sees what that request wrote.
 *
 * Each body is about 8.5 MB (40,000 entities, batches of 1,000): two and a bit parts of
 * SLUICE_PUSH_PART_BYTES.  Usage (from meson): test-push-atomic SLUICED PLUGIN_DIR
 * TEST_PLUGIN_DIR
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http-api-client.h"
#include "sluice-pipe-push.h"
#include "sluiced-fixture.h"
#include "sluice-store-lmdb.h"
#include "test-tree.h"

#define TOKEN "push-atomic-token-0123456789"
#define N 40000

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
      "   \"sink\": {\"type\": \"test-fail-sink\", \"dataset\": \"gated\", \"gate_at_batch\": 30,\n"
      "            \"gate_dir\": \"@DIR@\"}},\n"
      "  {\"_id\": \"gated-out\", \"type\": \"pipe\",\n"
      "   \"source\": {\"type\": \"dataset\", \"dataset\": \"gated\"},\n"
      "   \"sink\": {\"type\": \"http_endpoint\"}},\n"
      "  {\"_id\": \"fresh\", \"type\": \"pipe\", \"batch_size\": 1000,\n"
      "   \"source\": {\"type\": \"http_endpoint\"},\n"
      "   \"sink\": {\"type\": \"test-fail-sink\", \"dataset\": \"fresh\", \"gate_at_batch\": 30,\n"
      "            \"gate_dir\": \"@DIR@\"}},\n"
      "  {\"_id\": \"failing\", \"type\": \"pipe\", \"batch_size\": 1000,\n"
      "   \"source\": {\"type\": \"http_endpoint\"},\n"
      "   \"sink\": {\"type\": \"test-fail-sink\", \"dataset\": \"failing\",\n"
      "            \"fail_at_batch\": 30}}\n"
      "]\n";

typedef struct
{
  char *dir;
  SluicedDaemon *daemon;
  GString *big; /* N entities, ids "big-<i>" */
  /* The daemon's store, opened beside it (LMDB allows several processes) before any push, since
   * opening writes, and the daemon holds the write lock while a push waits at the gate. */
  SluiceStoreBackend *store;
} Fixture;

static int
setup (void **state)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  f->dir = sluiced_fixture_make_dir ("push-atomic", config_text);
  f->big = sluiced_fixture_entities (N, "big-", NULL);
  assert_true (f->big->len > 2 * SLUICE_PUSH_PART_BYTES);
  f->daemon = sluiced_daemon_start (sluiced_path, plugin_dirs, f->dir, NULL);
  path = g_build_filename (f->dir, "data", NULL);
  f->store = sluice_store_lmdb_open (path, NULL, &error);
  assert_non_null (f->store);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  Fixture *f = *state;

  if (f->daemon != NULL)
    sluiced_daemon_stop (f->daemon, FALSE);
  sluice_store_backend_free (f->store);
  sluice_test_remove_tree (f->dir);
  g_string_free (f->big, TRUE);
  g_free (f->dir);
  g_free (f);
  return 0;
}

static HttpApiResponse *
push (Fixture *f, const char *pipe, const char *query, const GString *body)
{
  return sluiced_push_finish (sluiced_push_start (f->daemon, TOKEN, pipe, query, body));
}

static void
push_ok (Fixture *f, const char *pipe, const char *query, const GString *body)
{
  g_autoptr (HttpApiResponse) response = push (f, pipe, query, body);

  if (response->status != 200)
    fail_msg ("push to %s: %u %s", pipe, response->status, http_api_response_text (response));
}

static void
push_small (Fixture *f, const char *pipe, guint n, const char *prefix)
{
  g_autoptr (GString) body = sluiced_fixture_entities (n, prefix, NULL);

  push_ok (f, pipe, NULL, body);
}

static HttpApiResponse *
get (Fixture *f, const char *path)
{
  g_autofree char *url = sluiced_daemon_url (f->daemon, path);

  return http_api_request ("GET", url, TOKEN, NULL, NULL);
}

/* GET /api/datasets/@dataset as JSON; NULL for 404. */
static JsonNode *
dataset_info (Fixture *f, const char *dataset)
{
  g_autofree char *path = g_strdup_printf ("/api/datasets/%s", dataset);
  g_autoptr (HttpApiResponse) response = get (f, path);

  if (response->status == 404)
    return NULL;
  assert_int_equal (response->status, 200);
  return http_api_response_json (response);
}

/* "entity_count/version_count/max_updated" of @dataset as readers see it, or "none". */
static char *
dataset_counts (Fixture *f, const char *dataset)
{
  g_autoptr (JsonNode) node = dataset_info (f, dataset);
  JsonObject *object;

  if (node == NULL)
    return g_strdup ("none");
  object = json_node_get_object (node);
  return g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
                          json_object_get_int_member (object, "entity_count"),
                          json_object_get_int_member (object, "version_count"),
                          json_object_get_int_member (object, "max_updated"));
}

/* How many entities GET @path (a JSON array of entities) returns, and how many of them have an
 * `_id` starting with @prefix. */
static guint
read_array (Fixture *f, const char *path, const char *prefix, guint *ret_with_prefix)
{
  g_autoptr (HttpApiResponse) response = get (f, path);
  g_autoptr (JsonNode) node = NULL;
  JsonArray *array;
  guint with_prefix = 0;

  assert_int_equal (response->status, 200);
  node = http_api_response_json (response);
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *entity = json_array_get_object_element (array, i);

      if (g_str_has_prefix (json_object_get_string_member (entity, "_id"), prefix))
        with_prefix++;
    }
  *ret_with_prefix = with_prefix;
  return json_array_get_length (array);
}

/* read_array () of GET /api/datasets/@dataset/entities. */
static guint
read_entities (Fixture *f, const char *dataset, const char *prefix, guint *ret_with_prefix)
{
  g_autofree char *path = g_strdup_printf ("/api/datasets/%s/entities", dataset);

  return read_array (f, path, prefix, ret_with_prefix);
}

/* From the daemon's store: the breaker of @dataset and its next offset, uncommitted versions
 * included. */
static gboolean
peek_store (Fixture *f, const char *dataset, SluiceBreakerState *ret_state, gint64 *ret_next)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDatasetInfo) all = NULL;
  SluiceStoreView uncommitted = { .uncommitted = TRUE };

  all = sluice_store_backend_dup_dataset_info (f->store, dataset, &uncommitted, &error);
  if (all == NULL)
    fail_msg ("%s", error->message);
  *ret_next = all->next_offset;
  return sluice_store_backend_get_breaker (f->store, dataset, ret_state, NULL);
}

/* A push whose last entity (or last byte) is bad is refused whole. */
static void
test_bad_end (void **state)
{
  Fixture *f = *state;
  struct
  {
    const char *last;
    const char *message;
  } cases[] = {
    { "{\"_id\": \"\"}",
      "body entity /40000: entity \"_id\" is empty: expected 1 to 1048576 bytes" },
    { "{\"_id\": \"del\", \"_deleted\": \"yes\"}",
      "body entity /40000: entity 'del': \"_deleted\" is a string: expected true or false" },
    { "{\"_id\": \"dup\", \"k\": 1, \"k\": 2}", NULL },
  };
  g_autofree char *before = NULL;

  push_small (f, "in", 100, "small-");
  before = dataset_counts (f, "in");
  assert_string_equal (before, "100/100/99");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GString) body = sluiced_fixture_entities (N, "big-", cases[i].last);
      g_autoptr (HttpApiResponse) response = push (f, "in", NULL, body);
      g_autofree char *message = NULL;
      g_autofree char *after = NULL;

      assert_int_equal (response->status, 400);
      message = http_api_response_dup_error (response);
      if (cases[i].message != NULL)
        assert_string_equal (message, cases[i].message);
      else
        {
          assert_true (g_str_has_prefix (message, "the body is not valid JSON: byte "));
          assert_non_null (strstr (message, ": duplicate key \"k\" in the object starting at "));
        }
      after = dataset_counts (f, "in");
      assert_string_equal (after, before);
    }

  /* Not JSON at the very end, and a dataset the push would have created. */
  {
    g_autoptr (GString) body = sluiced_fixture_entities (N, "big-", NULL);
    g_autoptr (HttpApiResponse) response = NULL;
    g_autofree char *expected = NULL;
    g_autofree char *message = NULL;
    g_autofree char *counts = NULL;

    g_string_append (body, " x");
    response = push (f, "fresh", NULL, body);
    assert_int_equal (response->status, 400);
    message = http_api_response_dup_error (response);
    expected = g_strdup_printf ("the body is not valid JSON: byte %zu: expected end of input "
                                "after the value, got 'x'",
                                body->len - 1);
    assert_string_equal (message, expected);
    counts = dataset_counts (f, "fresh");
    assert_string_equal (counts, "none");
  }
}

/* Readers see nothing of a push in progress; its parts are committed and held meanwhile. */
static void
test_reader_sees_nothing_meanwhile (void **state)
{
  Fixture *f = *state;
  g_auto (SluiceBreakerState) hold = { 0 };
  g_autoptr (HttpApiResponse) response = NULL;
  g_autofree char *counts = NULL;
  SluicedGate *gate;
  SluicedPush *pushing;
  guint total, big;
  gint64 next = 0;

  push_small (f, "gated", 100, "small-");
  gate = sluiced_gate_new (f->dir);
  pushing = sluiced_push_start (f->daemon, TOKEN, "gated", NULL, f->big);
  sluiced_gate_wait_reached (gate);

  /* 30 of 40 batches are written: at least one part is committed, held by the push. */
  assert_true (peek_store (f, "gated", &hold, &next));
  assert_true (hold.push);
  assert_false (hold.push_created);
  assert_string_equal (hold.pipe, "gated");
  assert_int_equal (hold.watermark, 100);
  assert_true (next > 100 + 10000);
  counts = dataset_counts (f, "gated");
  assert_string_equal (counts, "100/100/99");
  total = read_entities (f, "gated", "big-", &big);
  assert_int_equal (total, 100);
  assert_int_equal (big, 0);
  /* A publisher reads through a pipe of its own: the same. */
  total = read_array (f, "/api/publishers/gated-out/entities", "big-", &big);
  assert_int_equal (total, 100);
  assert_int_equal (big, 0);

  sluiced_gate_open (gate);
  response = sluiced_push_finish (pushing);
  assert_int_equal (response->status, 200);
  sluiced_gate_free (gate);
  g_free (counts);
  counts = dataset_counts (f, "gated");
  assert_string_equal (counts, "40100/40100/40099");
  /* (Reading the 40,100 entities back is left to the counts: it is slow under the sanitizers.) */
  sluice_breaker_state_clear (&hold);
  assert_false (peek_store (f, "gated", &hold, &next));
}

/* A sink failure after parts were committed rolls them back. */
static void
test_failure_rolls_back (void **state)
{
  Fixture *f = *state;
  g_autoptr (HttpApiResponse) response = NULL;
  g_autofree char *message = NULL;
  g_autofree char *counts = NULL;
  g_auto (SluiceBreakerState) hold = { 0 };
  gint64 next = 0;

  push_small (f, "failing", 100, "small-");
  response = push (f, "failing", NULL, f->big);
  assert_int_equal (response->status, 500);
  message = http_api_response_dup_error (response);
  assert_string_equal (message, "/sink (type 'test-fail-sink') failed: failing in batch 30 as "
                                "configured");
  counts = dataset_counts (f, "failing");
  assert_string_equal (counts, "100/100/99");
  assert_false (peek_store (f, "failing", &hold, &next));
  assert_int_equal (next, 100);
  /* The one the push would have created is not there either. */
  g_clear_pointer (&response, http_api_response_free);
}

/* SIGKILL while @pipe's push waits at the gate; after the restart nothing of it is there. */
static void
kill_in_the_middle (Fixture *f, const char *pipe, gboolean created)
{
  g_auto (SluiceBreakerState) hold = { 0 };
  g_autofree char *line = NULL;
  SluicedGate *gate = sluiced_gate_new (f->dir);
  SluicedPush *pushing = sluiced_push_start (f->daemon, TOKEN, pipe, NULL, f->big);
  HttpApiResponse *response;
  gint64 next = 0;

  sluiced_gate_wait_reached (gate);
  assert_true (peek_store (f, pipe, &hold, &next));
  assert_true (hold.push);
  assert_int_equal (hold.push_created, created);
  assert_true (next > hold.watermark + 10000);
  sluiced_daemon_stop (f->daemon, TRUE);
  f->daemon = NULL;
  response = sluiced_push_finish (pushing);
  assert_non_null (response->error); /* the client never got an answer */
  http_api_response_free (response);
  sluiced_gate_free (gate);

  f->daemon = sluiced_daemon_start (sluiced_path, plugin_dirs, f->dir, NULL);
  line = g_strdup_printf ("pipe '%s': rolled back what %s held in dataset '%s' (the push did "
                          "not finish)",
                          pipe, hold.run_id, pipe);
  sluiced_daemon_wait_for_line (f->daemon, line);
}

static void
test_killed_push_is_rolled_back (void **state)
{
  Fixture *f = *state;
  g_autofree char *counts = NULL;
  guint total, big;

  /* Into a dataset that exists: it is as it was. */
  push_small (f, "gated", 100, "small-");
  kill_in_the_middle (f, "gated", FALSE);
  counts = dataset_counts (f, "gated");
  assert_string_equal (counts, "100/100/99");
  total = read_entities (f, "gated", "big-", &big);
  assert_int_equal (total, 100);
  assert_int_equal (big, 0);

  /* Into a dataset the push created: it is gone. */
  kill_in_the_middle (f, "fresh", TRUE);
  g_free (counts);
  counts = dataset_counts (f, "fresh");
  assert_string_equal (counts, "none");

  /* The sender pushes again (no gate now). */
  push_ok (f, "gated", NULL, f->big);
  push_ok (f, "fresh", NULL, f->big);
  g_free (counts);
  counts = dataset_counts (f, "gated");
  assert_string_equal (counts, "40100/40100/40099");
  g_free (counts);
  counts = dataset_counts (f, "fresh");
  assert_string_equal (counts, "40000/40000/39999");
}

/* The last request of a full sync is large: what the sync did not contain is deleted, what that
 * request wrote in held parts is not. */
static void
test_full_sync_with_a_large_last_request (void **state)
{
  Fixture *f = *state;
  g_autoptr (GString) first = sluiced_fixture_entities (1, "old-", NULL);
  g_autofree char *counts = NULL;

  push_small (f, "in", 10, "old-");
  push_ok (f, "in", "is_full=true&sequence_id=s&request_id=1&is_first=true", first);
  push_ok (f, "in", "is_full=true&sequence_id=s&request_id=2&previous_request_id=1&is_last=true",
           f->big);
  /* old-1 … old-9 got deleted versions; old-0 and the 40,000 stay. */
  counts = dataset_counts (f, "in");
  assert_string_equal (counts, "40001/40019/40018");
}

int
main (int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_bad_end, setup, teardown),
    cmocka_unit_test_setup_teardown (test_reader_sees_nothing_meanwhile, setup, teardown),
    cmocka_unit_test_setup_teardown (test_failure_rolls_back, setup, teardown),
    cmocka_unit_test_setup_teardown (test_killed_push_is_rolled_back, setup, teardown),
    cmocka_unit_test_setup_teardown (test_full_sync_with_a_large_last_request, setup, teardown),
  };

  if (!sluiced_fixture_args (argc, argv, &sluiced_path, plugin_dirs))
    return 2;
  return cmocka_run_group_tests (tests, NULL, NULL);
}
