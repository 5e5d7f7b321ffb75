/* http-auth.c — authentication headers and the OAuth2 client credentials grant (http-auth.h). */
#include "http-auth.h"
#include "http-client.h"

#include <string.h>

static void
set_bearer (SoupMessageHeaders *headers, const char *token)
{
  g_autofree char *value = g_strconcat ("Bearer ", token, NULL);

  soup_message_headers_replace (headers, "Authorization", value);
  memset (value, 0, strlen (value));
}

static char *
form_encode (const char *const *pairs, SluiceValue *extra)
{
  g_autoptr (GString) out = g_string_new (NULL);

  for (gsize i = 0; pairs[i] != NULL; i += 2)
    {
      if (pairs[i + 1] == NULL)
        continue;
      if (out->len > 0)
        g_string_append_c (out, '&');
      g_string_append_uri_escaped (out, pairs[i], NULL, FALSE);
      g_string_append_c (out, '=');
      g_string_append_uri_escaped (out, pairs[i + 1], NULL, FALSE);
    }
  for (size_t i = 0; extra != NULL && i < sluice_value_dict_get_size (extra); i++)
    {
      SluiceValue *value = sluice_value_dict_get_value (extra, i);
      g_autofree char *text = NULL;

      if (sluice_value_get_kind (value) == SLUICE_VALUE_STRING)
        text = g_strdup (sluice_value_get_string (value, NULL));
      else
        text = sluice_value_to_json (value);
      g_string_append_c (out, '&');
      g_string_append_uri_escaped (out, sluice_value_dict_get_key (extra, i), NULL, FALSE);
      g_string_append_c (out, '=');
      g_string_append_uri_escaped (out, text, NULL, FALSE);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Called with token_lock held. */
static gboolean
fetch_token (HttpSystem *system, SoupSession *session, GError **error)
{
  const char *pairs[] = {
    "grant_type", "client_credentials",
    "client_id", system->oauth2_client_id,
    "client_secret", system->oauth2_client_secret,
    "scope", system->oauth2_scope,
    NULL,
  };
  g_autofree char *form = form_encode (pairs, system->oauth2_extra);
  g_autoptr (GBytes) request_body = NULL;
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (GBytes) response = NULL;
  g_autoptr (SluiceValue) parsed = NULL;
  g_autoptr (GError) local_error = NULL;
  SluiceValue *token, *expires_in;
  guint status;

  message = soup_message_new ("POST", system->oauth2_token_url);
  if (message == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "system '%s': /oauth2/token_url is not a valid URL", system->id);
      return FALSE;
    }
  {
    gsize form_len = strlen (form);

    request_body = g_bytes_new_take (g_steal_pointer (&form), form_len);
  }
  soup_message_set_request_body_from_bytes (message, "application/x-www-form-urlencoded",
                                            request_body);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Accept",
                                "application/json");
  response = soup_session_send_and_read (session, message, NULL, &local_error);
  if (response == NULL)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO,
                   "system '%s': OAuth2 token request POST %s: %s", system->id,
                   system->oauth2_token_url, local_error->message);
      return FALSE;
    }
  status = soup_message_get_status (message);
  if (status < 200 || status > 299)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO,
                   "system '%s': OAuth2 token request POST %s: %u %s", system->id,
                   system->oauth2_token_url, status, http_status_phrase (status));
      return FALSE;
    }
  parsed = sluice_value_from_json (g_bytes_get_data (response, NULL), g_bytes_get_size (response),
                                   NULL);
  token = parsed != NULL && sluice_value_get_kind (parsed) == SLUICE_VALUE_DICT
            ? sluice_value_dict_lookup (parsed, "access_token")
            : NULL;
  if (token == NULL || sluice_value_get_kind (token) != SLUICE_VALUE_STRING)
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO,
                   "system '%s': OAuth2 token request POST %s: expected a JSON object with a "
                   "string 'access_token'",
                   system->id, system->oauth2_token_url);
      return FALSE;
    }
  g_free (system->access_token);
  system->access_token = g_strdup (sluice_value_get_string (token, NULL));
  expires_in = sluice_value_dict_lookup (parsed, "expires_in");
  if (expires_in != NULL
      && (sluice_value_get_kind (expires_in) == SLUICE_VALUE_INTEGER
          || sluice_value_get_kind (expires_in) == SLUICE_VALUE_FLOAT))
    system->token_expires_at
      = g_get_monotonic_time () + (gint64) (sluice_value_get_float (expires_in) * G_USEC_PER_SEC);
  else
    system->token_expires_at = G_MAXINT64;
  return TRUE;
}

gboolean
http_auth_apply (HttpSystem *system, SoupSession *session, SoupMessageHeaders *headers,
                 GError **error)
{
  switch (system->auth)
    {
    case HTTP_AUTH_NONE:
      return TRUE;
    case HTTP_AUTH_BASIC:
      {
        g_autofree char *pair
          = g_strconcat (system->username, ":", system->password ? system->password : "", NULL);
        g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));
        g_autofree char *value = g_strconcat ("Basic ", encoded, NULL);

        soup_message_headers_replace (headers, "Authorization", value);
        memset (pair, 0, strlen (pair));
        return TRUE;
      }
    case HTTP_AUTH_JWT:
      set_bearer (headers, system->jwt_token);
      return TRUE;
    case HTTP_AUTH_OAUTH2:
      {
        gint64 window = (gint64) system->oauth2_refresh_window * G_USEC_PER_SEC;
        gboolean ok = TRUE;

        g_mutex_lock (&system->token_lock);
        if (system->access_token == NULL
            || (system->token_expires_at != G_MAXINT64
                && g_get_monotonic_time () >= system->token_expires_at - window))
          ok = fetch_token (system, session, error);
        if (ok)
          set_bearer (headers, system->access_token);
        g_mutex_unlock (&system->token_lock);
        return ok;
      }
    }
  return TRUE;
}

void
http_auth_invalidate (HttpSystem *system)
{
  g_mutex_lock (&system->token_lock);
  if (system->access_token != NULL)
    memset (system->access_token, 0, strlen (system->access_token));
  g_clear_pointer (&system->access_token, g_free);
  g_mutex_unlock (&system->token_lock);
}
