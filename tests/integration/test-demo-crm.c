/* test-demo-crm.c — the demo CRM (demo/crm/) as its users see it: every endpoint and every fault
 * mode over real HTTP on loopback.
 *
 * Each test starts its own sluice-demo-crm on a free port (the path is argv[1]), reads the port
 * from the first stdout line, talks to it with a synchronous SoupSession, and stops it with
 * SIGTERM, checking that it exits cleanly.
 */
#include <glib.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "raw-http-client.h"

static const char *crm_binary;
static GPtrArray *running; /* Crm *: started and not yet stopped */

typedef struct
{
  GSubprocess *process;
  char *base; /* "http://127.0.0.1:N" */
  SoupSession *session;
} Crm;

typedef struct
{
  guint status;
  char *reason;
  char *body;
  SoupMessageHeaders *headers;
} Response;

static void
response_free (Response *response)
{
  g_free (response->reason);
  g_free (response->body);
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_free (response);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

/* A server outlives a failed test only until the test program ends. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Under LeakSanitizer, leaks inside libsoup itself are not the server's (demo/crm/lsan.supp). */
static void
set_lsan_suppressions (GSubprocessLauncher *launcher)
{
  const char *srcdir = g_getenv ("SLUICE_TEST_SRCDIR");
  const char *options = g_getenv ("LSAN_OPTIONS");
  g_autofree char *value = NULL;

  if (srcdir == NULL)
    return;
  value = g_strdup_printf ("%s%ssuppressions=%s/demo/crm/lsan.supp:print_suppressions=0",
                           options != NULL ? options : "", options != NULL ? ":" : "", srcdir);
  g_subprocess_launcher_setenv (launcher, "LSAN_OPTIONS", value, TRUE);
  /* Suppressions match on the whole stack, which the fast unwinder does not see through GLib. */
  g_free (value);
  options = g_getenv ("ASAN_OPTIONS");
  value = g_strdup_printf ("%s%sfast_unwind_on_malloc=0", options != NULL ? options : "",
                           options != NULL ? ":" : "");
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", value, TRUE);
}

static Crm *
crm_start (const char *first_arg, ...)
{
  Crm *crm = g_new0 (Crm, 1);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) lines = NULL;
  g_autofree char *line = NULL;
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  va_list args;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  set_lsan_suppressions (launcher);

  g_ptr_array_add (argv, (gpointer)crm_binary);
  g_ptr_array_add (argv, "--port=0");
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer)arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  crm->process = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  assert_null (error);
  g_ptr_array_add (running, crm);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (crm->process));
  /* Blocks until the server listens, or returns NULL when it exits first. */
  line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  assert_non_null (line);
  assert_true (g_str_has_prefix (line, "listening on http://127.0.0.1:"));
  crm->base = g_strdup (line + strlen ("listening on "));
  crm->session = soup_session_new_with_options ("timeout", 30, NULL);
  return crm;
}

static void
crm_stop (Crm *crm)
{
  g_autoptr (GError) error = NULL;

  g_ptr_array_remove (running, crm);
  g_object_unref (crm->session);
  g_subprocess_send_signal (crm->process, SIGTERM);
  assert_true (g_subprocess_wait (crm->process, NULL, &error));
  assert_true (g_subprocess_get_if_exited (crm->process));
  assert_int_equal (g_subprocess_get_exit_status (crm->process), 0);
  g_object_unref (crm->process);
  g_free (crm->base);
  g_free (crm);
}

/* One request; @header_name/@header_value add a request header (may be NULL). */
static Response *
request_with_header (Crm *crm, const char *method, const char *path, const char *body,
                     const char *header_name, const char *header_value)
{
  g_autofree char *url = g_strconcat (crm->base, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  Response *response = g_new0 (Response, 1);

  assert_non_null (msg);
  if (body != NULL)
    {
      g_autoptr (GBytes) request = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", request);
    }
  if (header_name != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), header_name,
                                  header_value);
  bytes = soup_session_send_and_read (crm->session, msg, NULL, &error);
  assert_null (error);
  response->status = soup_message_get_status (msg);
  response->reason = g_strdup (soup_message_get_reason_phrase (msg));
  response->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  return response;
}

static Response *
request (Crm *crm, const char *method, const char *path, const char *body)
{
  return request_with_header (crm, method, path, body, NULL, NULL);
}

static void
control (Crm *crm, const char *body)
{
  g_autoptr (Response) response = request (crm, "POST", "/_control", body);

  assert_int_equal (response->status, 200);
}

static JsonNode *
parse (const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  assert_null (error);
  assert_non_null (node);
  return node;
}

/* The entities a JSON pull returned; asserts status 200 and an array. */
static JsonArray *
pull (Crm *crm, const char *path)
{
  g_autoptr (Response) response = request (crm, "GET", path, NULL);
  g_autoptr (JsonNode) root = NULL;

  assert_int_equal (response->status, 200);
  root = parse (response->body);
  assert_true (JSON_NODE_HOLDS_ARRAY (root));
  return json_array_ref (json_node_get_array (root));
}

static JsonObject *
element (JsonArray *array, guint i)
{
  return json_array_get_object_element (array, i);
}

static void
assert_error (Response *response, guint status, const char *message)
{
  g_autoptr (JsonNode) root = parse (response->body);

  assert_int_equal (response->status, status);
  assert_string_equal (json_object_get_string_member (json_node_get_object (root), "error"),
                       message);
}

static gint64
stat_count (Crm *crm, const char *group, const char *key)
{
  g_autoptr (Response) response = request (crm, "GET", "/_stats", NULL);
  g_autoptr (JsonNode) root = parse (response->body);
  JsonObject *counts = json_object_get_object_member (json_node_get_object (root), group);

  return json_object_get_int_member_with_default (counts, key, 0);
}

/* ---- JSON pull ---------------------------------------------------------------------------- */

static void
test_pull_since_and_limit (void **state)
{
  Crm *crm = crm_start ("--generate=25", NULL);
  g_autoptr (JsonArray) all = pull (crm, "/persons");
  g_autoptr (JsonArray) after = pull (crm, "/persons?since=21");
  g_autoptr (JsonArray) limited = pull (crm, "/persons?since=20&limit=3");
  g_autoptr (JsonArray) none = pull (crm, "/persons?since=24");
  g_autoptr (JsonArray) companies = pull (crm, "/companies");
  g_autoptr (Response) headers = request (crm, "GET", "/persons?limit=1", NULL);
  g_autoptr (Response) bad = request (crm, "GET", "/persons?since=abc", NULL);
  g_autoptr (Response) bad_limit = request (crm, "GET", "/persons?limit=-1", NULL);

  assert_int_equal (json_array_get_length (all), 25);
  for (guint i = 0; i < 25; i++)
    {
      g_autofree char *id = g_strdup_printf ("person-%u", i);
      JsonObject *entity = element (all, i);

      assert_string_equal (json_object_get_string_member (entity, "_id"), id);
      assert_int_equal (json_object_get_int_member (entity, "_updated"), i);
      assert_false (json_object_has_member (entity, "_deleted"));
      /* The benchmark entity's fields. */
      assert_true (json_object_has_member (entity, "name"));
      assert_true (json_object_has_member (entity, "email"));
      assert_true (json_object_has_member (entity, "age"));
      assert_true (json_object_has_member (entity, "updated"));
      assert_true (json_object_has_member (entity, "address"));
      assert_int_equal (json_array_get_length (json_object_get_array_member (entity, "tags")), 3);
      assert_true (json_object_has_member (entity, "score"));
    }

  /* Strictly after since, in offset order (the digest's 26-letter example, shifted). */
  assert_int_equal (json_array_get_length (after), 3);
  assert_int_equal (json_object_get_int_member (element (after, 0), "_updated"), 22);
  assert_int_equal (json_object_get_int_member (element (after, 2), "_updated"), 24);
  assert_int_equal (json_array_get_length (limited), 3);
  assert_int_equal (json_object_get_int_member (element (limited, 0), "_updated"), 21);
  assert_int_equal (json_object_get_int_member (element (limited, 2), "_updated"), 23);
  assert_int_equal (json_array_get_length (none), 0);

  assert_int_equal (json_array_get_length (companies), 1);
  assert_string_equal (json_object_get_string_member (element (companies, 0), "_id"), "company-0");

  assert_string_equal (soup_message_headers_get_one (headers->headers, "X-Dataset-Max-Updated"),
                       "24");
  assert_string_equal (soup_message_headers_get_one (headers->headers, "X-Dataset-Populated"),
                       "true");
  assert_error (bad, 400,
                "GET /persons?since=abc: query parameter \"since\": expected an integer _updated "
                "offset, got \"abc\"");
  assert_error (bad_limit, 400,
                "GET /persons?limit=-1: query parameter \"limit\": expected a number of entities "
                "(0 or more), got \"-1\"");
  crm_stop (crm);
}

/* The same generator seed gives the same entities. */
static void
test_generate_is_deterministic (void **state)
{
  Crm *one = crm_start ("--generate=5", NULL);
  Crm *two = crm_start ("--generate=5", NULL);
  g_autoptr (Response) a = request (one, "GET", "/persons", NULL);
  g_autoptr (Response) b = request (two, "GET", "/persons", NULL);

  assert_string_equal (a->body, b->body);
  crm_stop (one);
  crm_stop (two);
}

/* A large list is streamed in chunks, and arrives whole. */
static void
test_pull_streams_large_responses (void **state)
{
  Crm *crm = crm_start ("--generate=20000", "--quiet", NULL);
  g_autoptr (Response) response = request (crm, "GET", "/persons", NULL);
  g_autoptr (JsonNode) root = parse (response->body);
  JsonArray *array = json_node_get_array (root);

  assert_int_equal (response->status, 200);
  assert_int_equal (soup_message_headers_get_encoding (response->headers), SOUP_ENCODING_CHUNKED);
  assert_int_equal (json_array_get_length (array), 20000);
  assert_int_equal (json_object_get_int_member (element (array, 19999), "_updated"), 19999);
  crm_stop (crm);
}

/* Connections that the client closes after one request give their sockets back: libsoup 3.2 kept
 * each one (CLOSE-WAIT) until the server ran out of descriptors and stopped answering.  The last
 * connection also shows that the server closes a connection once the client ended its side, and
 * once it has, the ends of the connections closed before it have had their turn in the server's
 * main loop: its descriptors are counted then, allowing CRM_FD_SLACK for the last few. */
#if defined(__SANITIZE_ADDRESS__)
/* The server unwinds every allocation's stack the slow way there (set_lsan_suppressions ()). */
#define CRM_CONNECTIONS 500
#else
#define CRM_CONNECTIONS 5000
#endif
#define CRM_FD_SLACK 4

static guint
crm_count_fds (Crm *crm)
{
  return raw_http_count_fds ((GPid) g_ascii_strtoll (g_subprocess_get_identifier (crm->process),
                                                     NULL, 10));
}

static guint
crm_port (Crm *crm)
{
  return (guint) g_ascii_strtoull (strrchr (crm->base, ':') + 1, NULL, 10);
}

static void
get_persons_and_close (Crm *crm)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RawHttp) raw = raw_http_connect (crm_port (crm), FALSE, &error);

  if (raw == NULL || !raw_http_get (raw, "/persons?limit=2", NULL, NULL, &error))
    fail_msg ("GET /persons?limit=2: %s (the server has %u descriptors open)", error->message,
              crm_count_fds (crm));
}

static void
test_closed_connections_give_back_their_sockets (void **state)
{
  Crm *crm = crm_start ("--generate=3", "--quiet", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (RawHttp) last = NULL;
  gboolean closed;
  guint before, after, status;

  get_persons_and_close (crm);
  before = crm_count_fds (crm);
  for (guint i = 0; i < CRM_CONNECTIONS; i++)
    get_persons_and_close (crm);

  last = raw_http_connect (crm_port (crm), FALSE, &error);
  assert_non_null (last);
  assert_true (raw_http_write (last, "GET /persons?limit=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                               &error));
  assert_true (raw_http_shutdown_write (last, &error));
  assert_true (raw_http_read_response (last, &status, NULL, &error));
  assert_int_equal (status, 200);
  closed = raw_http_wait_for_close (last, &error);
  after = crm_count_fds (crm);
  if (after > before + CRM_FD_SLACK)
    fail_msg ("after %u connections closed by the client, sluice-demo-crm has %u descriptors "
              "open, %u more than before: it kept their sockets", CRM_CONNECTIONS, after,
              after - before);
  if (!closed)
    fail_msg ("%s", error->message);
  crm_stop (crm);
}

static void
test_paged_listing (void **state)
{
  Crm *crm = crm_start ("--generate=25", NULL);
  g_autoptr (Response) first = request (crm, "GET", "/persons?page=1&per_page=10", NULL);
  g_autoptr (Response) last = request (crm, "GET", "/persons?page=3&per_page=10", NULL);
  g_autoptr (JsonNode) first_root = parse (first->body);
  g_autoptr (JsonNode) last_root = parse (last->body);
  JsonObject *page1 = json_node_get_object (first_root);
  JsonObject *page3 = json_node_get_object (last_root);
  g_autofree char *next = g_strdup_printf ("%s/persons?page=2&per_page=10", crm->base);
  g_autofree char *link = g_strdup_printf ("<%s>; rel=\"next\"", next);

  assert_int_equal (json_array_get_length (json_object_get_array_member (page1, "data")), 10);
  assert_int_equal (json_object_get_int_member (page1, "total"), 25);
  assert_string_equal (json_object_get_string_member (page1, "next"), next);
  assert_string_equal (soup_message_headers_get_one (first->headers, "Link"), link);
  assert_string_equal (soup_message_headers_get_one (first->headers, "X-Next-Page"), "2");
  assert_int_equal (json_array_get_length (json_object_get_array_member (page3, "data")), 5);
  assert_true (json_object_get_null_member (page3, "next"));
  assert_null (soup_message_headers_get_one (last->headers, "Link"));
  assert_null (soup_message_headers_get_one (last->headers, "X-Next-Page"));
  crm_stop (crm);
}

/* ---- per id ------------------------------------------------------------------------------- */

static void
test_item_lookup_update_insert_delete (void **state)
{
  Crm *crm = crm_start ("--generate=25", NULL);
  g_autoptr (Response) got = request (crm, "GET", "/persons/person-3", NULL);
  g_autoptr (Response) absent = request (crm, "GET", "/persons/person-999", NULL);
  g_autoptr (Response) stale = NULL, updated = NULL, unchanged = NULL, created = NULL;
  g_autoptr (Response) inserted = NULL, deleted = NULL, gone = NULL, again = NULL;
  g_autoptr (JsonNode) got_root = parse (got->body);
  g_autoptr (JsonNode) updated_root = NULL, inserted_root = NULL;
  g_autoptr (JsonArray) since = NULL, after_delete = NULL;
  const char *etag = soup_message_headers_get_one (got->headers, "ETag");
  g_autofree char *location = NULL;
  JsonObject *entity;

  assert_int_equal (got->status, 200);
  assert_string_equal (json_object_get_string_member (json_node_get_object (got_root), "_id"),
                       "person-3");
  assert_non_null (etag);
  assert_true (g_str_has_prefix (etag, "\"") && g_str_has_suffix (etag, "\""));
  assert_error (absent, 404, "GET /persons/person-999: no person with _id \"person-999\"");

  stale = request_with_header (crm, "PUT", "/persons/person-3", "{\"name\":\"Stale\"}", "If-Match",
                               "\"0000\"");
  {
    g_autofree char *message = g_strdup_printf (
        "PUT /persons/person-3: If-Match \"0000\" does not match the current ETag %s of person "
        "\"person-3\"",
        etag);
    assert_error (stale, 412, message);
  }

  updated = request_with_header (crm, "PUT", "/persons/person-3",
                                 "{\"name\":\"Kari Nordmann\",\"age\":40}", "If-Match", etag);
  assert_int_equal (updated->status, 200);
  assert_string_not_equal (soup_message_headers_get_one (updated->headers, "ETag"), etag);
  updated_root = parse (updated->body);
  entity = json_node_get_object (updated_root);
  assert_string_equal (json_object_get_string_member (entity, "name"), "Kari Nordmann");
  assert_int_equal (json_object_get_int_member (entity, "_updated"), 25);

  /* Change tracking: the same content again writes no new version. */
  unchanged = request (crm, "PUT", "/persons/person-3", "{\"name\":\"Kari Nordmann\",\"age\":40}");
  assert_int_equal (unchanged->status, 200);
  since = pull (crm, "/persons?since=24");
  assert_int_equal (json_array_get_length (since), 1);
  assert_string_equal (json_object_get_string_member (element (since, 0), "_id"), "person-3");

  /* With If-Match required, changing an entity without it is refused; creating one is not. */
  control (crm, "{\"require_if_match\":true}");
  {
    g_autoptr (Response) refused = request (crm, "PUT", "/persons/person-4", "{\"name\":\"X\"}");
    assert_error (refused, 428,
                  "PUT /persons/person-4: If-Match is required to change person \"person-4\" "
                  "(GET it first for its ETag)");
    assert_string_equal (refused->reason, "Precondition Required");
  }
  created = request (crm, "PUT", "/persons/new-one", "{\"name\":\"New One\"}");
  assert_int_equal (created->status, 201);
  control (crm, "{\"require_if_match\":false}");

  inserted = request (crm, "POST", "/persons", "{\"name\":\"Inserted\",\"id\":\"ignored\"}");
  assert_int_equal (inserted->status, 201);
  inserted_root = parse (inserted->body);
  entity = json_node_get_object (inserted_root);
  assert_string_equal (json_object_get_string_member (entity, "_id"), "person-25");
  assert_string_equal (json_object_get_string_member (entity, "id"), "person-25");
  location = g_strdup_printf ("/persons/%s", json_object_get_string_member (entity, "_id"));
  assert_string_equal (soup_message_headers_get_one (inserted->headers, "Location"), location);

  deleted = request_with_header (crm, "DELETE", "/persons/person-3", NULL, "If-Match",
                                 soup_message_headers_get_one (updated->headers, "ETag"));
  assert_int_equal (deleted->status, 204);
  gone = request (crm, "GET", "/persons/person-3", NULL);
  assert_int_equal (gone->status, 404);
  again = request (crm, "DELETE", "/persons/person-3", NULL);
  assert_error (again, 404, "DELETE /persons/person-3: no person with _id \"person-3\"");

  /* The deletion is a new version in the pull stream, with its body. */
  after_delete = pull (crm, "/persons?since=27");
  assert_int_equal (json_array_get_length (after_delete), 1);
  entity = element (after_delete, 0);
  assert_string_equal (json_object_get_string_member (entity, "_id"), "person-3");
  assert_true (json_object_get_boolean_member (entity, "_deleted"));
  assert_string_equal (json_object_get_string_member (entity, "name"), "Kari Nordmann");
  crm_stop (crm);
}

static void
test_item_bad_requests (void **state)
{
  Crm *crm = crm_start ("--generate=2", NULL);
  g_autoptr (Response) not_json = request (crm, "PUT", "/persons/person-1", "{\"name\":");
  g_autoptr (Response) not_object = request (crm, "POST", "/persons", "[1]");
  g_autoptr (Response) unknown = request (crm, "GET", "/orders", NULL);
  g_autoptr (Response) wrong_method = request (crm, "PATCH", "/persons/person-1", "{}");
  g_autoptr (JsonNode) root = parse (not_json->body);

  assert_int_equal (not_json->status, 400);
  assert_true (
      g_str_has_prefix (json_object_get_string_member (json_node_get_object (root), "error"),
                        "PUT /persons/person-1: the body is not valid JSON: "));
  assert_error (not_object, 400, "POST /persons: expected a JSON object, got an array");
  assert_error (unknown, 404,
                "GET /orders: no such resource (expected /persons, /companies, /persons/{id}, "
                "/push/persons, /enrich/persons, /_control or /_stats)");
  assert_error (wrong_method, 405, "PATCH /persons/person-1: expected GET, PUT or DELETE");
  crm_stop (crm);
}

/* ---- JSON push receiver -------------------------------------------------------------------- */

static void
push_ok (Crm *crm, const char *query, const char *body)
{
  g_autofree char *path = g_strdup_printf ("/push/persons?%s", query);
  g_autoptr (Response) response = request (crm, "POST", path, body);

  assert_int_equal (response->status, 200);
  assert_string_equal (response->body, "{}");
}

/* "id@_updated" of each entity of a pull, with "-" for deleted ones: "b@1 a@2 c@3-". */
static char *
summary (Crm *crm)
{
  g_autoptr (JsonArray) all = pull (crm, "/persons");
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonObject *entity = element (all, i);

      g_string_append_printf (
          out, "%s%s@%" G_GINT64_FORMAT "%s", i > 0 ? " " : "",
          json_object_get_string_member (entity, "_id"),
          json_object_get_int_member (entity, "_updated"),
          json_object_get_boolean_member_with_default (entity, "_deleted", FALSE) ? "-" : "");
    }
  return g_string_free (out, FALSE);
}

/* The worked example of the JSON push protocol (digest §12.3), step by step. */
static void
test_push_worked_example (void **state)
{
  Crm *crm = crm_start (NULL);
  g_autofree char *step1 = NULL, *step2 = NULL, *step3 = NULL;
  g_autoptr (JsonArray) deleted = NULL;

  push_ok (crm, "sequence_id=0&is_full=false",
           "[{\"_id\":\"a\",\"name\":\"A\"},{\"_id\":\"b\",\"name\":\"B\"}]");
  step1 = summary (crm);
  assert_string_equal (step1, "a@0 b@1");

  push_ok (crm, "sequence_id=1&is_full=true&request_id=1&is_first=true",
           "[{\"_id\":\"b\",\"name\":\"B\"}]");
  push_ok (crm, "sequence_id=1&is_full=true&request_id=2&previous_request_id=1",
           "[{\"_id\":\"a\",\"name\":\"A (updated)\"},{\"_id\":\"c\",\"name\":\"C\"}]");
  push_ok (crm, "sequence_id=1&is_full=true&request_id=3&previous_request_id=2&is_last=true",
           "[{\"_id\":\"d\",\"name\":\"D\"}]");
  step2 = summary (crm);
  assert_string_equal (step2, "b@1 a@2 c@3 d@4");

  push_ok (crm, "sequence_id=2&is_full=true&request_id=1&is_first=true",
           "[{\"_id\":\"a\",\"name\":\"A\"},{\"_id\":\"b\",\"name\":\"B\"}]");
  push_ok (crm, "sequence_id=2&is_full=true&request_id=2&previous_request_id=1&is_last",
           "{\"_id\":\"d\",\"name\":\"D\"}");
  step3 = summary (crm);
  assert_string_equal (step3, "b@1 d@4 a@5 c@6-");

  deleted = pull (crm, "/persons?since=5");
  assert_string_equal (json_object_get_string_member (element (deleted, 0), "name"), "C");
  crm_stop (crm);
}

static void
test_push_conflicts_and_errors (void **state)
{
  Crm *crm = crm_start (NULL);
  g_autoptr (Response) wrong_previous = NULL, first_again = NULL, not_full = NULL;
  g_autoptr (Response) no_sequence = NULL, no_id = NULL, bad_flag = NULL;
  g_autofree char *after = NULL;

  push_ok (crm, "", "[{\"_id\":\"z\"}]");
  push_ok (crm, "sequence_id=s&is_full=true&request_id=1&is_first=true",
           "[{\"_id\":\"a\"},{\"_id\":\"b\"}]");

  wrong_previous = request (crm, "POST",
                            "/push/persons?sequence_id=s&is_full=true&request_id=3"
                            "&previous_request_id=2",
                            "[{\"_id\":\"c\"}]");
  assert_error (wrong_previous, 409,
                "POST /push/persons?sequence_id=s&is_full=true&request_id=3&previous_request_id=2:"
                " previous_request_id \"2\" does not match the previous request \"1\" of sequence "
                "\"s\"");
  first_again
      = request (crm, "POST", "/push/persons?sequence_id=s&is_full=true&is_first=true", "[]");
  assert_error (first_again, 409,
                "POST /push/persons?sequence_id=s&is_full=true&is_first=true: is_first=true, but "
                "sequence \"s\" already had 1 request(s)");
  not_full = request (crm, "POST", "/push/persons?sequence_id=s&is_full=false", "[]");
  assert_error (not_full, 409,
                "POST /push/persons?sequence_id=s&is_full=false: is_full=false, but sequence \"s\" "
                "is an active full sync");
  no_sequence = request (crm, "POST", "/push/persons?is_full=true", "[]");
  assert_error (no_sequence, 400,
                "POST /push/persons?is_full=true: a full sync (is_full=true) needs a sequence_id");
  no_id = request (crm, "POST", "/push/persons", "[{\"_id\":\"x\"},{\"name\":\"no id\"}]");
  assert_error (no_id, 400, "POST /push/persons: /1/_id: expected a string");
  bad_flag = request (crm, "POST", "/push/persons?is_full=maybe", "[]");
  assert_error (bad_flag, 400,
                "POST /push/persons?is_full=maybe: query parameter \"is_full\": expected true or "
                "false, got \"maybe\"");

  /* Nothing a refused request carried was written; the sequence goes on where it was. */
  push_ok (crm, "sequence_id=s&is_full=true&request_id=2&previous_request_id=1&is_last=true",
           "[{\"_id\":\"a\"}]");
  after = summary (crm);
  assert_string_equal (after, "a@1 b@2 z@3-");

  /* Pushed _deleted entities are deletions; incremental pushes never delete anything else. */
  push_ok (crm, "", "[{\"_id\":\"a\",\"_deleted\":true},{\"_id\":\"e\"}]");
  g_free (after);
  after = summary (crm);
  assert_string_equal (after, "b@2 z@3- a@4- e@5");
  crm_stop (crm);
}

/* ---- enrichment (http transform peer) ------------------------------------------------------ */

static void
test_enrich (void **state)
{
  Crm *crm = crm_start ("--generate=3", NULL);
  g_autoptr (Response) response = request (crm, "POST", "/enrich/persons",
                                           "[{\"_id\":\"person-1\",\"x\":1},{\"_id\":\"nobody\"}]");
  g_autoptr (JsonNode) root = parse (response->body);
  JsonArray *array = json_node_get_array (root);

  assert_int_equal (response->status, 200);
  assert_int_equal (json_array_get_length (array), 2);
  assert_int_equal (json_object_get_int_member (element (array, 0), "x"), 1);
  assert_string_equal (json_object_get_string_member (
                           json_object_get_object_member (element (array, 0), "crm"), "email"),
                       "user1@example.org");
  assert_true (json_object_get_null_member (element (array, 1), "crm"));
  crm_stop (crm);
}

/* ---- faults ------------------------------------------------------------------------------- */

static void
test_fault_transient_500 (void **state)
{
  Crm *crm = crm_start ("--generate=5", NULL);

  control (crm, "{\"fault\":\"transient-500\",\"count\":2,\"resource\":\"persons\"}");
  for (int i = 0; i < 2; i++)
    {
      g_autoptr (Response) failed = request (crm, "GET", "/persons?since=1", NULL);
      assert_error (failed, 500,
                    "GET /persons?since=1: internal server error (injected fault transient-500)");
    }
  {
    g_autoptr (JsonArray) companies = pull (crm, "/companies");
    g_autoptr (JsonArray) persons = pull (crm, "/persons?since=1");

    assert_int_equal (json_array_get_length (persons), 3);
  }
  assert_int_equal (stat_count (crm, "requests", "GET /persons"), 3);
  assert_int_equal (stat_count (crm, "requests", "GET /companies"), 1);
  assert_int_equal (stat_count (crm, "responses", "500"), 2);
  assert_int_equal (stat_count (crm, "responses", "200"), 2);

  /* DELETE /_stats starts the counts afresh. */
  {
    g_autoptr (Response) cleared = request (crm, "DELETE", "/_stats", NULL);
    assert_int_equal (cleared->status, 204);
    assert_int_equal (stat_count (crm, "requests", "GET /persons"), 0);
  }
  crm_stop (crm);
}

static void
test_fault_permanent_500_and_reset (void **state)
{
  Crm *crm = crm_start ("--generate=5", NULL);
  g_autoptr (Response) listed = NULL;

  control (crm, "{\"fault\":\"permanent-500\"}");
  for (int i = 0; i < 5; i++)
    {
      g_autoptr (Response) failed = request (crm, "POST", "/push/persons", "[]");
      assert_int_equal (failed->status, 500);
    }
  listed = request (crm, "GET", "/_control", NULL);
  assert_string_equal (listed->body,
                       "{\"faults\":[{\"fault\":\"permanent-500\",\"remaining\":null}],"
                       "\"require_if_match\":false}");
  control (crm, "{\"fault\":\"reset\"}");
  {
    g_autoptr (JsonArray) persons = pull (crm, "/persons");
    assert_int_equal (json_array_get_length (persons), 5);
  }
  crm_stop (crm);
}

static void
test_fault_rate_limit (void **state)
{
  Crm *crm = crm_start ("--generate=5", NULL);

  control (crm, "{\"fault\":\"rate-limit\",\"count\":2,\"retry_after\":3}");
  for (int i = 0; i < 2; i++)
    {
      g_autoptr (Response) limited = request (crm, "GET", "/persons/person-1", NULL);

      assert_error (limited, 429,
                    "GET /persons/person-1: rate limited (injected fault), retry after 3 s");
      assert_string_equal (limited->reason, "Too Many Requests");
      assert_string_equal (soup_message_headers_get_one (limited->headers, "Retry-After"), "3");
    }
  {
    g_autoptr (Response) ok = request (crm, "GET", "/persons/person-1", NULL);
    assert_int_equal (ok->status, 200);
  }
  crm_stop (crm);
}

static void
test_fault_empty_only_hits_lists (void **state)
{
  Crm *crm = crm_start ("--generate=5", NULL);
  g_autoptr (JsonArray) empty = NULL, full = NULL;

  control (crm, "{\"fault\":\"empty\"}");
  {
    g_autoptr (Response) item = request (crm, "GET", "/persons/person-1", NULL);
    assert_int_equal (item->status, 200);
  }
  empty = pull (crm, "/persons");
  full = pull (crm, "/persons");
  assert_int_equal (json_array_get_length (empty), 0);
  assert_int_equal (json_array_get_length (full), 5);
  crm_stop (crm);
}

static void
test_fault_partial (void **state)
{
  Crm *crm = crm_start ("--generate=25", NULL);
  g_autoptr (JsonArray) tenth = NULL, half = NULL, whole = NULL;

  control (crm, "{\"fault\":\"partial\"}");
  control (crm, "{\"fault\":\"partial\",\"percent\":50}");
  tenth = pull (crm, "/persons");
  half = pull (crm, "/persons");
  whole = pull (crm, "/persons");
  assert_int_equal (json_array_get_length (tenth), 3);
  assert_string_equal (json_object_get_string_member (element (tenth, 1), "_id"), "person-10");
  assert_int_equal (json_array_get_length (half), 13);
  assert_int_equal (json_array_get_length (whole), 25);
  crm_stop (crm);
}

static void
test_fault_truncated (void **state)
{
  Crm *crm = crm_start ("--generate=10", NULL);
  g_autoptr (Response) cut = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonArray) whole = NULL;

  control (crm, "{\"fault\":\"truncated\",\"resource\":\"persons\"}");
  cut = request (crm, "GET", "/persons", NULL);
  assert_int_equal (cut->status, 200);
  assert_true (g_str_has_prefix (cut->body, "[{\"_id\":\"person-0\""));
  assert_false (json_parser_load_from_data (parser, cut->body, -1, NULL));
  /* Cut inside the sixth entity of ten. */
  assert_non_null (strstr (cut->body, "\"_updated\":4}"));
  assert_null (strstr (cut->body, "\"_updated\":5}"));
  whole = pull (crm, "/persons");
  assert_int_equal (json_array_get_length (whole), 10);
  crm_stop (crm);
}

static void
test_fault_slow (void **state)
{
  Crm *crm = crm_start ("--generate=5", NULL);
  gint64 start;

  control (crm, "{\"fault\":\"slow\",\"ms\":300,\"count\":1,\"method\":\"GET\"}");
  start = g_get_monotonic_time ();
  {
    g_autoptr (JsonArray) persons = pull (crm, "/persons");
    assert_int_equal (json_array_get_length (persons), 5);
  }
  assert_true (g_get_monotonic_time () - start >= 300 * G_TIME_SPAN_MILLISECOND);
  crm_stop (crm);
}

static void
test_fault_command_line (void **state)
{
  Crm *crm = crm_start ("--generate=2", "--fault=transient-500:count=1,resource=companies", NULL);
  g_autoptr (Response) persons = request (crm, "GET", "/persons", NULL);
  g_autoptr (Response) failed = request (crm, "GET", "/companies", NULL);
  g_autoptr (Response) ok = request (crm, "GET", "/companies", NULL);

  assert_int_equal (persons->status, 200);
  assert_int_equal (failed->status, 500);
  assert_int_equal (ok->status, 200);
  crm_stop (crm);
}

static void
test_bad_faults (void **state)
{
  Crm *crm = crm_start (NULL);
  g_autoptr (Response) unknown = request (crm, "POST", "/_control", "{\"fault\":\"explode\"}");
  g_autoptr (Response) zero
      = request (crm, "POST", "/_control", "{\"fault\":\"transient-500\",\"count\":0}");
  g_autoptr (Response) typo
      = request (crm, "POST", "/_control", "{\"fault\":\"slow\",\"millis\":5}");
  const char *argv[] = { crm_binary, "--fault=explode:count=1", NULL };
  g_autofree char *err = NULL;
  int wait_status = 0;
  g_autoptr (GError) error = NULL;

  assert_error (unknown, 400,
                "POST /_control: /fault: unknown fault \"explode\" (expected one of "
                "\"transient-500\", \"permanent-500\", \"empty\", \"partial\", \"rate-limit\", "
                "\"slow\", \"truncated\", \"reset\")");
  assert_error (zero, 400, "POST /_control: /count: \"count\" must be a positive number, got 0");
  assert_error (typo, 400,
                "POST /_control: /millis: unknown key \"millis\" (expected \"count\", "
                "\"retry_after\", \"ms\", \"percent\", \"resource\" or \"method\")");
  crm_stop (crm);

  assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                             NULL, &err, &wait_status, &error));
  assert_true (WIFEXITED (wait_status));
  assert_int_equal (WEXITSTATUS (wait_status), 2);
  assert_string_equal (err, "sluice-demo-crm: --fault explode:count=1: unknown fault \"explode\" "
                            "(expected one of \"transient-500\", \"permanent-500\", \"empty\", "
                            "\"partial\", \"rate-limit\", \"slow\", \"truncated\", \"reset\")\n");
}

/* ---- seed files ------------------------------------------------------------------------------ */

static void
test_seed_files (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-demo-crm-XXXXXX", &error);
  g_autofree char *object_file = g_build_filename (dir, "seed.json", NULL);
  g_autofree char *lines_file = g_build_filename (dir, "seed.jsonl", NULL);
  g_autofree char *bad_file = g_build_filename (dir, "bad.json", NULL);
  g_autofree char *object_arg = g_strconcat ("--seed=", object_file, NULL);
  g_autofree char *lines_arg = g_strconcat ("--seed=", lines_file, NULL);
  const char *argv[] = { crm_binary, "--seed", bad_file, NULL };
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  int wait_status = 0;
  Crm *crm;

  assert_non_null (dir);
  assert_true (
      g_file_set_contents (object_file,
                           "{\"persons\":[{\"_id\":\"p1\",\"name\":\"P\",\"score\":7.47}],"
                           "\"companies\":[{\"_id\":\"c1\"},{\"_id\":\"c2\",\"_deleted\":true}]}",
                           -1, NULL));
  assert_true (g_file_set_contents (lines_file, "{\"_id\":\"x\"}\n\n{\"_id\":\"y\"}\n", -1, NULL));
  assert_true (g_file_set_contents (bad_file, "[{\"_id\":\"ok\"},{\"name\":\"no id\"}]", -1, NULL));

  crm = crm_start (object_arg, NULL);
  {
    g_autoptr (Response) persons = request (crm, "GET", "/persons", NULL);
    g_autoptr (Response) companies = request (crm, "GET", "/companies", NULL);

    assert_string_equal (persons->body,
                         "[{\"_id\":\"p1\",\"name\":\"P\",\"score\":7.47,\"_updated\":0}]");
    assert_string_equal (companies->body,
                         "[{\"_id\":\"c1\",\"_updated\":0},{\"_id\":\"c2\",\"_updated\":1,"
                         "\"_deleted\":true}]");
  }
  crm_stop (crm);

  crm = crm_start (lines_arg, NULL);
  {
    g_autoptr (JsonArray) persons = pull (crm, "/persons");
    assert_int_equal (json_array_get_length (persons), 2);
  }
  crm_stop (crm);

  assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                             NULL, &err, &wait_status, &error));
  assert_int_equal (WEXITSTATUS (wait_status), 2);
  expected = g_strdup_printf ("sluice-demo-crm: %s: /1/_id: expected a string\n", bad_file);
  assert_string_equal (err, expected);

  g_unlink (object_file);
  g_unlink (lines_file);
  g_unlink (bad_file);
  g_rmdir (dir);
}

/* After a failed assertion: stop the servers the test left running. */
static int
stop_leftovers (void **state)
{
  while (running->len > 0)
    {
      Crm *crm = g_ptr_array_steal_index (running, running->len - 1);

      g_subprocess_force_exit (crm->process);
      g_subprocess_wait (crm->process, NULL, NULL);
      g_clear_object (&crm->session);
      g_object_unref (crm->process);
      g_free (crm->base);
      g_free (crm);
    }
  return 0;
}

#define TEST(name) cmocka_unit_test_teardown (name, stop_leftovers)

int
main (int argc, char **argv)
{
  int status;
  const struct CMUnitTest tests[] = {
    TEST (test_pull_since_and_limit),
    TEST (test_generate_is_deterministic),
    TEST (test_pull_streams_large_responses),
    TEST (test_closed_connections_give_back_their_sockets),
    TEST (test_paged_listing),
    TEST (test_item_lookup_update_insert_delete),
    TEST (test_item_bad_requests),
    TEST (test_push_worked_example),
    TEST (test_push_conflicts_and_errors),
    TEST (test_enrich),
    TEST (test_fault_transient_500),
    TEST (test_fault_permanent_500_and_reset),
    TEST (test_fault_rate_limit),
    TEST (test_fault_empty_only_hits_lists),
    TEST (test_fault_partial),
    TEST (test_fault_truncated),
    TEST (test_fault_slow),
    TEST (test_fault_command_line),
    TEST (test_bad_faults),
    TEST (test_seed_files),
  };

  if (argc < 2)
    {
      g_printerr ("usage: %s PATH-TO-sluice-demo-crm\n", argv[0]);
      return 2;
    }
  crm_binary = argv[1];
  running = g_ptr_array_new ();
  status = cmocka_run_group_tests (tests, NULL, NULL);
  g_ptr_array_unref (running);
  return status;
}
