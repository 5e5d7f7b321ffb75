/* sluice-http-auth.c — bearer tokens from the configuration, constant-time lookup, and the
 * authorization check every handler makes (docs/http-api.md, "Authentication").
 *
 * A request without a token reaches a handler only for a read (the router refuses anything else
 * with 401); the handler's sluice_http_authorize () then lets it through only for a pipe marked
 * `metadata.public_read`.  Refusals say which token, which access and which pipe, never the
 * token itself.
 */
#include <string.h>

#include "sluice-http-private.h"

struct _SluiceHttpTokens
{
  GPtrArray *tokens; /* SluiceHttpToken * */
};

static void
token_free (gpointer data)
{
  SluiceHttpToken *token = data;

  g_free (token->name);
  g_strfreev (token->pipes);
  explicit_bzero (token->digest, sizeof token->digest);
  g_free (token);
}

static void
digest_of (const char *text, guint8 digest[32])
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = 32;

  g_checksum_update (checksum, (const guchar *) text, strlen (text));
  g_checksum_get_digest (checksum, digest, &len);
}

static SluiceHttpAccess
access_from_string (const char *text)
{
  if (g_strcmp0 (text, "read") == 0)
    return SLUICE_HTTP_ACCESS_READ;
  if (g_strcmp0 (text, "write") == 0)
    return SLUICE_HTTP_ACCESS_WRITE;
  if (g_strcmp0 (text, "admin") == 0)
    return SLUICE_HTTP_ACCESS_ADMIN;
  return 0;
}

static SluiceHttpToken *
token_from_config (const SluiceApiToken *configured)
{
  SluiceHttpAccess access = access_from_string (configured->access);
  SluiceHttpToken *token;

  /* An empty secret would let an empty "Bearer " header in. */
  if (configured->name == NULL || configured->token == NULL || *configured->token == '\0'
      || access == 0)
    return NULL;
  token = g_new0 (SluiceHttpToken, 1);
  token->name = g_strdup (configured->name);
  token->access = access;
  token->pipes = g_strdupv (configured->pipes);
  digest_of (configured->token, token->digest);
  return token;
}

SluiceHttpTokens *
sluice_http_tokens_new (const GPtrArray *configured)
{
  SluiceHttpTokens *tokens = g_new0 (SluiceHttpTokens, 1);

  tokens->tokens = g_ptr_array_new_with_free_func (token_free);
  for (guint i = 0; configured != NULL && i < configured->len; i++)
    {
      SluiceHttpToken *token = token_from_config (g_ptr_array_index (configured, i));

      if (token != NULL)
        g_ptr_array_add (tokens->tokens, token);
    }
  return tokens;
}

guint
sluice_http_tokens_get_count (const SluiceHttpTokens *tokens)
{
  return tokens->tokens->len;
}

const SluiceHttpToken *
sluice_http_tokens_lookup (const SluiceHttpTokens *tokens, const char *presented)
{
  const SluiceHttpToken *found = NULL;
  guint8 digest[32];

  if (presented == NULL)
    return NULL;
  digest_of (presented, digest);
  /* No early exit, neither inside a comparison nor across tokens: how long this takes says
   * nothing about which bytes matched. */
  for (guint i = 0; i < tokens->tokens->len; i++)
    {
      const SluiceHttpToken *token = g_ptr_array_index (tokens->tokens, i);
      volatile guint8 diff = 0;

      for (gsize k = 0; k < sizeof digest; k++)
        diff |= digest[k] ^ token->digest[k];
      if (diff == 0 && found == NULL)
        found = token;
    }
  explicit_bzero (digest, sizeof digest);
  return found;
}

void
sluice_http_tokens_free (SluiceHttpTokens *tokens)
{
  if (tokens == NULL)
    return;
  g_ptr_array_unref (tokens->tokens);
  g_free (tokens);
}

char *
sluice_http_parse_bearer (const char *header)
{
  const char *p;

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer", 6) != 0
      || (header[6] != ' ' && header[6] != '\t'))
    return NULL;
  p = header + 6;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '\0')
    return NULL;
  return g_strchomp (g_strdup (p));
}

const char *
sluice_http_access_to_string (SluiceHttpAccess access)
{
  switch (access)
    {
    case SLUICE_HTTP_ACCESS_READ:
      return "read";
    case SLUICE_HTTP_ACCESS_WRITE:
      return "write";
    case SLUICE_HTTP_ACCESS_ADMIN:
      return "admin";
    default:
      return "no";
    }
}

gboolean
sluice_http_pipe_is_public_read (SluiceControl *control, const char *pipe_id)
{
  g_autoptr (SluicePipeSnapshot) snapshot = NULL;

  if (pipe_id == NULL)
    return FALSE;
  snapshot = sluice_control_get_pipe (control, pipe_id, NULL);
  return snapshot != NULL && snapshot->public_read;
}

static gboolean
pipe_allowed (const char *const *pipes, const char *pipe_id)
{
  return pipes == NULL || pipe_id == NULL || g_strv_contains (pipes, pipe_id);
}

void
sluice_http_reply_outside_pipes (SluiceHttpContext *context, SoupServerMessage *msg,
                                 const char *kind, const char *id)
{
  g_autofree char *list = g_strjoinv ("', '", (char **) context->token_pipes);
  guint n = g_strv_length ((char **) context->token_pipes);

  sluice_http_reply_error (msg, SOUP_STATUS_FORBIDDEN,
                           "token '%s' is limited to pipe%s '%s'; this request concerns %s '%s'",
                           context->token_name, n == 1 ? "" : "s", list, kind, id);
}

gboolean
sluice_http_authorize (SluiceHttpContext *context, SoupServerMessage *msg, SluiceHttpAccess access,
                       const char *pipe_id)
{
  if (context->token_name == NULL)
    {
      g_autofree char *why = NULL;

      if (access == SLUICE_HTTP_ACCESS_READ
          && sluice_http_pipe_is_public_read (context->control, pipe_id))
        return TRUE;
      why = g_strdup_printf ("this request needs a bearer token (Authorization: Bearer <token>) "
                             "with %s access%s%s%s",
                             sluice_http_access_to_string (access),
                             pipe_id != NULL ? " to pipe '" : "", pipe_id != NULL ? pipe_id : "",
                             pipe_id != NULL ? "'" : "");
      sluice_http_server_reply_unauthorized (context->server, msg, why);
      return FALSE;
    }
  /* Before the access level: whether a pipe outside the token's exists is nothing it may learn,
   * and this answer is the same either way. */
  if (!pipe_allowed (context->token_pipes, pipe_id))
    {
      sluice_http_reply_outside_pipes (context, msg, "pipe", pipe_id);
      return FALSE;
    }
  if (context->access < access)
    {
      sluice_http_reply_error (msg, SOUP_STATUS_FORBIDDEN,
                               "token '%s' has %s access; this request needs %s access",
                               context->token_name, sluice_http_access_to_string (context->access),
                               sluice_http_access_to_string (access));
      return FALSE;
    }
  return TRUE;
}
