/* http-auth.h — the Authorization header of a system's requests: basic, a fixed bearer token
 * (`jwt`), or an OAuth2 access token from the client credentials grant, cached in the shared
 * HttpSystem and refreshed before it expires.  None of these values is ever logged or put in an
 * error message. */
#pragma once

#include <libsoup/soup.h>

#include "http-system.h"

/* Sets Authorization on @headers (overwriting one set by configured headers, as in Sesam).  For
 * OAuth2 this may POST to the token URL with @session; fails when that request fails. */
gboolean http_auth_apply (HttpSystem *system, SoupSession *session, SoupMessageHeaders *headers,
                          GError **error);
/* Forgets a cached OAuth2 token (after a 401), so that the next request fetches a new one. */
void http_auth_invalidate (HttpSystem *system);
