/* sluice-http-auth.h — who may call the HTTP API: the bearer tokens of the configuration and the
 * pipes marked public (docs/http-api.md, "Authentication").
 *
 * Tokens live in the service metadata component, `node.api_tokens` (DESIGN.md "Processes and
 * interfaces"), and the control API hands them out (sluice_control_dup_api_tokens ()).  A
 * SluiceHttpTokens is the checked, immutable form of that list for one configuration: the server
 * builds one per configuration it sees (after "reloaded", a new one), and looks a presented token
 * up in constant time.  Only a SHA-256 digest of each token is kept, so the comparison takes the
 * same time whatever the presented token's length or content.
 */
#pragma once

#include "sluice-http-api.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;
  SluiceHttpAccess access;
  char **pipes; /* NULL-terminated; NULL: every pipe */
  guint8 digest[32];
} SluiceHttpToken;

typedef struct _SluiceHttpTokens SluiceHttpTokens;

/* (transfer full) The tokens of @configured (element type SluiceApiToken *; nullable: none).  The
 * configuration has been validated, so entries that are still malformed (no name, an empty
 * secret, an unknown access) are skipped. */
SluiceHttpTokens *sluice_http_tokens_new (const GPtrArray *configured);
guint sluice_http_tokens_get_count (const SluiceHttpTokens *tokens);
/* (transfer none) The token whose secret is @presented, or NULL.  Every configured token is
 * compared, each in constant time. */
const SluiceHttpToken *sluice_http_tokens_lookup (const SluiceHttpTokens *tokens,
                                                  const char *presented);
void sluice_http_tokens_free (SluiceHttpTokens *tokens);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceHttpTokens, sluice_http_tokens_free)

/* The token of an `Authorization: Bearer <token>` header value (the scheme is matched without
 * regard to case).  NULL when @header is not a bearer credential. */
char *sluice_http_parse_bearer (const char *header);

/* Replies 403: the request's token is limited to pipes, and @kind ("pipe", "dataset") @id is
 * not theirs.  The same whether @id exists or not. */
void sluice_http_reply_outside_pipes (SluiceHttpContext *context, SoupServerMessage *msg,
                                      const char *kind, const char *id);

/* "read", "write", "admin". */
const char *sluice_http_access_to_string (SluiceHttpAccess access);

/* Whether @pipe_id (nullable) has `metadata.public_read: true` (its SluicePipeSnapshot says so):
 * its publisher and the datasets it writes may be read without a token. */
gboolean sluice_http_pipe_is_public_read (SluiceControl *control, const char *pipe_id);

G_END_DECLS
