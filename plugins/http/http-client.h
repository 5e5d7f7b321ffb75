/* http-client.h — one element instance's HTTP client: a SoupSession used synchronously on the
 * pipe's worker thread, the system's URL, headers and authentication, and retries.
 *
 * libsoup (>= 3.2) lets any thread send on a session once it is configured, so each element builds
 * its session in create () and sends from whatever worker thread runs the pipe; runs of one pipe
 * never overlap, so one instance never sends from two threads at once.  The cap on concurrent
 * requests is the system's (shared by every element naming it): a request holds a slot from send
 * until its response is freed, so a streamed body counts until it has been read.
 *
 * Errors name the method, the URL (without user info) and what went wrong:
 * "GET http://127.0.0.1:1234/persons: 500 Internal Server Error after 4 attempts". */
#pragma once

#include <libsoup/soup.h>

#include "http-system.h"

typedef struct _HttpClient HttpClient;

typedef struct
{
  HttpSystem *system; /* holds a slot until freed */
  SoupMessage *message;
  guint status;
  char *method;
  char *display_url;
  GInputStream *stream; /* HTTP_SEND_STREAM: the body, to read */
  GBytes *body;         /* otherwise: the whole body */
} HttpResponse;

#define HTTP_SEND_STREAM (1u << 0)     /* leave the body to read from response->stream */
#define HTTP_SEND_ANY_STATUS (1u << 1) /* return 4xx/5xx answers (after retries) instead of failing */

/* @headers (nullable): the element's own headers, a DICT added after the system's. */
HttpClient *http_client_new (SluiceElementContext *context, HttpSystem *system, SluiceValue *headers);
/* The client of an element with the usual options: `system` (the system component's `_id`),
 * `headers` (a dict added to the system's) and `url`, resolved against the system's url_pattern
 * into @ret_url (newly allocated).  NULL with @error when the system is unknown or unusable. */
HttpClient *http_client_new_for_element (SluiceElementContext *context, char **ret_url,
                                         GError **error);
void http_client_free (HttpClient *client);
HttpSystem *http_client_get_system (HttpClient *client);
/* Overrides the system's rate_limiting_retries and rate_limiting_delay for this client's requests
 * (a rest element's or operation's own keys win over the system's). */
void http_client_set_rate_limiting (HttpClient *client, int retries, double delay);

/* Sends @method @url (absolute; see http_system_resolve_url ()) with @request_headers (nullable
 * DICT, added last) and @body (nullable), retrying connection errors, 5xx, 429 and 503 as the
 * system says.  Fails with SLUICE_ERROR_IO. */
HttpResponse *http_client_send (HttpClient *client, const char *method, const char *url,
                                SluiceValue *request_headers, GBytes *body,
                                const char *content_type, uint32_t flags, GError **error);

const char *http_response_get_header (const HttpResponse *response, const char *name);
/* The media type of the response without parameters ("application/json"), or NULL. */
const char *http_response_get_content_type (const HttpResponse *response);
void http_response_free (HttpResponse *response);

/* The reason phrase of @status ("Too Many Requests"); libsoup's table lacks some newer codes. */
const char *http_status_phrase (guint status);

/* @url without user name and password, for messages. */
char *http_display_url (const char *url);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HttpClient, http_client_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HttpResponse, http_response_free)
