/* http-test-server.h — an in-process SoupServer on 127.0.0.1 for the http plugin's tests.
 *
 * The server runs its own main context on a thread of its own, so that a test can call the
 * plugin's blocking element callbacks on the test thread while the server answers.  Handlers are
 * registered before http_test_server_start () and run on the server thread.  Every request is
 * recorded (method, path, query, Authorization, body) for the test to inspect afterwards. */
#pragma once

#include <libsoup/soup.h>

typedef struct _HttpTestServer HttpTestServer;

typedef struct
{
  char *method;
  char *path;
  char *query;          /* raw query string, or NULL */
  char *authorization;  /* or NULL */
  char *body;
  SoupMessageHeaders *headers;
} HttpTestRequest;

/* Called on the server thread; sets the status and body of @msg. */
typedef void (*HttpTestHandler) (HttpTestServer *server, SoupServerMessage *msg, const char *path,
                                 GHashTable *query, gpointer user_data);

HttpTestServer *http_test_server_new (void);
void http_test_server_add_handler (HttpTestServer *server, const char *path, HttpTestHandler handler,
                                   gpointer user_data);
void http_test_server_start (HttpTestServer *server);
/* Stops the thread and frees everything. */
void http_test_server_free (HttpTestServer *server);

/* "http://127.0.0.1:PORT/" */
const char *http_test_server_get_url (HttpTestServer *server);

guint http_test_server_count_requests (HttpTestServer *server);
/* A copy of the @index-th request's record; free with http_test_request_free (). */
HttpTestRequest *http_test_server_dup_request (HttpTestServer *server, guint index);
void http_test_request_free (HttpTestRequest *request);

/* Answers @msg after @delay_ms milliseconds (the handler returns at once; the server thread keeps
 * serving others meanwhile).  The answer must already be set on @msg. */
void http_test_server_delay (HttpTestServer *server, SoupServerMessage *msg, guint delay_ms);
/* Requests in the handlers being answered right now (delayed ones included), and the most ever. */
guint http_test_server_get_max_in_flight (HttpTestServer *server);

/* Helpers for handlers. */
void http_test_reply (SoupServerMessage *msg, guint status, const char *content_type, const char *body);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HttpTestServer, http_test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HttpTestRequest, http_test_request_free)

#include <sluice-plugin-sdk.h>

/* An element context for @element_type with the options @options_json, whose host services know
 * the systems in @systems (a DICT of system `_id` -> configuration; borrowed, must outlive the
 * context). */
SluiceElementContext *http_test_context_new (const char *element_type, const char *options_json,
                                             SluiceValue *systems);
/* Parses JSON text into a value, failing the test on bad JSON. */
SluiceValue *http_test_json (const char *json);
