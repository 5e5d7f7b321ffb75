/* http-system.h — a `system:url` or `system:rest` component made usable by the elements that name
 * it: its parsed configuration and the state the elements of every pipe share.
 *
 * Elements reach a system through sluice_element_context_get_system () and http_system_acquire (),
 * which returns one shared HttpSystem per system `_id` (a reload that changes the configuration
 * gets a new one).  Shared are the cap on concurrent requests (`worker_threads`, counted by a
 * mutex and condition so that a worker thread waits for a free slot) and the OAuth2 access token,
 * fetched once and refreshed `refresh_window` seconds before it expires. */
#pragma once

#include <sluice-plugin-sdk.h>

#include "http-retry.h"

typedef enum
{
  HTTP_AUTH_NONE,
  HTTP_AUTH_BASIC,
  HTTP_AUTH_JWT,
  HTTP_AUTH_OAUTH2,
} HttpAuthKind;

typedef struct _HttpSystem HttpSystem;

struct _HttpSystem
{
  gint ref_count;
  char *id;
  char *type;            /* "system:url" or "system:rest" */
  SluiceValue *config;   /* the whole component, owned; contains secrets */
  char *url_pattern;
  gboolean verify_ssl;
  SluiceValue *headers;  /* DICT of header name -> value, owned; may be NULL */
  double connect_timeout;
  double read_timeout;
  HttpRetryPolicy retry;
  int worker_threads;

  HttpAuthKind auth;
  char *username;
  char *password;        /* secret */
  char *jwt_token;       /* secret */
  char *oauth2_client_id;
  char *oauth2_client_secret; /* secret */
  char *oauth2_token_url;
  char *oauth2_scope;    /* space-separated, or NULL */
  SluiceValue *oauth2_extra; /* DICT of extra form fields, or NULL */
  int oauth2_refresh_window;

  SluiceValue *operations; /* system:rest: DICT of name -> operation, or NULL */

  /* Concurrency cap. */
  GMutex lock;
  GCond slot_freed;
  int in_flight;

  /* OAuth2 token cache, under token_lock. */
  GMutex token_lock;
  char *access_token;     /* secret */
  gint64 token_expires_at; /* monotonic µs; G_MAXINT64 when the token does not expire */
};

/* The shared system named by @system_id, from the configuration the host gives @context.  @what
 * names the option for errors ("json source: option 'system'").  Fails when there is no such
 * system, when it is not a URL or REST system, or when its configuration is unusable. */
HttpSystem *http_system_acquire (SluiceElementContext *context, const char *system_id, GError **error);
/* Parses a system configuration directly (for tests and for system:url's own create). */
HttpSystem *http_system_new (const char *system_id, SluiceValue *config, GError **error);
HttpSystem *http_system_ref (HttpSystem *system);
void http_system_unref (HttpSystem *system);
/* Forgets the shared systems (plugin deinit, tests). */
void http_system_registry_clear (void);

/* Takes a request slot, waiting while `worker_threads` requests are in flight. */
void http_system_take_slot (HttpSystem *system);
void http_system_release_slot (HttpSystem *system);

/* @relative resolved against url_pattern: replaces `%s`, or is appended when there is none; an
 * absolute http(s) URL is used as it is. */
char *http_system_resolve_url (const HttpSystem *system, const char *relative);

/* Whether @text contains one of the system's secrets (for the tests of redaction, and as a last
 * guard before a message leaves the plugin). */
gboolean http_system_text_has_secret (HttpSystem *system, const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HttpSystem, http_system_unref)
