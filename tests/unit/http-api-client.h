/* http-api-client.h — an HTTP client for tests of the HTTP API server (core/http-api/).
 *
 * The server lives on the test's main context, so the client cannot block it: each request runs
 * on a thread of its own with a synchronous SoupSession, while the calling thread iterates the
 * default main context until the response is complete (or a timeout fails the test).
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

typedef struct
{
  guint status;
  SoupMessageHeaders *headers;
  GBytes *body;
  char *error; /* a transport error (the connection closed, …); NULL otherwise */
} HttpApiResponse;

/* Called on the client thread after each block of the body is read; FALSE stops reading (the
 * client then goes away in the middle of the response). */
typedef gboolean (*HttpApiChunkFunc) (gsize total_read, gpointer data);

typedef struct
{
  const char *method;       /* default GET */
  const char *url;
  const char *token;        /* nullable: no Authorization header */
  const char *content_type; /* nullable */
  const char *body;         /* nullable */
  gssize body_len;          /* -1: strlen */
  gboolean chunked;         /* send the body with chunked encoding */
  gboolean any_certificate; /* accept whatever TLS certificate the server shows */
  HttpApiChunkFunc on_chunk;
  gpointer data;
} HttpApiRequest;

HttpApiResponse *http_api_send (const HttpApiRequest *request);
/* As http_api_send, on the calling thread, without iterating the default main context: for a
 * test's own client threads. */
HttpApiResponse *http_api_send_here (const HttpApiRequest *request);
/* A GET (or @method with @body of @content_type when not NULL). */
HttpApiResponse *http_api_request (const char *method, const char *url, const char *token,
                                   const char *content_type, const char *body);
void http_api_response_free (HttpApiResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HttpApiResponse, http_api_response_free)

/* The body as text (NUL-terminated; borrowed from the response). */
const char *http_api_response_text (HttpApiResponse *response);
/* (transfer full) The body parsed as JSON; fails the test when it is not JSON. */
JsonNode *http_api_response_json (HttpApiResponse *response);
/* (transfer full) The "error" member of a JSON error body, after checking that its "status"
 * member is the response's status; fails the test when the body is not such an object. */
char *http_api_response_dup_error (HttpApiResponse *response);

/* Fails the test unless @response is an error reply of @status whose message is @message. */
void http_api_assert_error (HttpApiResponse *response, guint status, const char *message);

/* Sends @request (the whole HTTP/1.1 request, headers and body, as bytes) over a plain TCP
 * connection to 127.0.0.1:@port and reads until the server closes it (ask for
 * `Connection: close`): what arrives on the wire, with no HTTP client in between, and a NUL
 * appended (counted in the size, as in HttpApiResponse's body).  Fails the test on a connection
 * error. */
GBytes *http_api_send_raw (guint port, const char *request);

/* Iterates the default main context until *@flag is TRUE; fails the test after 60 s. */
void http_api_wait_for (volatile gint *flag);
/* Iterates the default main context until @done (@data) is TRUE, checking after each iteration;
 * FALSE when it still is not after @timeout_s seconds. */
gboolean http_api_iterate_until (gboolean (*done) (gpointer data), gpointer data, guint timeout_s);
