/* http-client.c — sending requests for an element: headers, authentication, the system's request
 * slots, and retries with backoff (http-client.h). */
#include "http-client.h"

#include "http-auth.h"

#include <string.h>

struct _HttpClient
{
  SluiceElementContext *context; /* borrowed */
  HttpSystem *system;
  SoupSession *session;
  SluiceValue *headers;
  /* An element's own rate limiting keys (the rest elements), which win over the system's. */
  gboolean has_rate_limit;
  int rate_limit_retries;
  double rate_limit_delay;
};

HttpClient *
http_client_new (SluiceElementContext *context, HttpSystem *system, SluiceValue *headers)
{
  HttpClient *client = g_new0 (HttpClient, 1);
  double timeout = MAX (system->read_timeout, 1);

  client->context = context;
  client->system = http_system_ref (system);
  client->headers = headers != NULL ? sluice_value_ref (headers) : NULL;
  /* The socket timeout bounds every wait on the connection, connecting included. */
  client->session = soup_session_new_with_options ("timeout", (guint) MIN (timeout, G_MAXUINT),
                                                   "user-agent", "sluice/" "0.1",
                                                   "max-conns-per-host", system->worker_threads,
                                                   NULL);
  return client;
}

HttpClient *
http_client_new_for_element (SluiceElementContext *context, char **ret_url, GError **error)
{
  SluiceValue *headers = sluice_value_dict_lookup (sluice_element_context_get_options (context),
                                                   "headers");
  g_autoptr (HttpSystem) system = NULL;

  system = http_system_acquire (context, sluice_element_context_get_string (context, "system", NULL),
                                error);
  if (system == NULL)
    return NULL;
  *ret_url = http_system_resolve_url (system, sluice_element_context_get_string (context, "url", ""));
  return http_client_new (context, system,
                          headers != NULL && sluice_value_get_kind (headers) == SLUICE_VALUE_DICT
                            ? headers
                            : NULL);
}

void
http_client_free (HttpClient *client)
{
  if (client == NULL)
    return;
  g_object_unref (client->session);
  g_clear_pointer (&client->headers, sluice_value_unref);
  http_system_unref (client->system);
  g_free (client);
}

HttpSystem *
http_client_get_system (HttpClient *client)
{
  return client->system;
}

void
http_client_set_rate_limiting (HttpClient *client, int retries, double delay)
{
  client->has_rate_limit = TRUE;
  client->rate_limit_retries = retries;
  client->rate_limit_delay = delay;
}

char *
http_display_url (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);

  if (uri == NULL)
    return g_strdup (url);
  return g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO);
}

const char *
http_status_phrase (guint status)
{
  switch (status)
    {
    case 422:
      return "Unprocessable Content";
    case 425:
      return "Too Early";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 451:
      return "Unavailable For Legal Reasons";
    case 511:
      return "Network Authentication Required";
    default:
      return soup_status_get_phrase (status);
    }
}

static void
add_headers (SoupMessageHeaders *out, SluiceValue *headers)
{
  for (size_t i = 0; headers != NULL && i < sluice_value_dict_get_size (headers); i++)
    {
      SluiceValue *value = sluice_value_dict_get_value (headers, i);
      g_autofree char *text = NULL;

      if (sluice_value_get_kind (value) == SLUICE_VALUE_NULL)
        continue;
      if (sluice_value_get_kind (value) == SLUICE_VALUE_STRING)
        text = g_strdup (sluice_value_get_string (value, NULL));
      else
        text = sluice_value_to_json (value);
      soup_message_headers_replace (out, sluice_value_dict_get_key (headers, i), text);
    }
}

static gboolean
accept_any_certificate (SoupMessage *message, GTlsCertificate *certificate,
                        GTlsCertificateFlags errors, gpointer user_data)
{
  return TRUE;
}

const char *
http_response_get_header (const HttpResponse *response, const char *name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers (response->message), name);
}

const char *
http_response_get_content_type (const HttpResponse *response)
{
  return soup_message_headers_get_content_type (soup_message_get_response_headers (response->message),
                                                NULL);
}

void
http_response_free (HttpResponse *response)
{
  if (response == NULL)
    return;
  if (response->stream != NULL)
    {
      g_input_stream_close (response->stream, NULL, NULL);
      g_object_unref (response->stream);
    }
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_object (&response->message);
  if (response->system != NULL)
    {
      http_system_release_slot (response->system);
      http_system_unref (response->system);
    }
  g_free (response->method);
  g_free (response->display_url);
  g_free (response);
}

static GBytes *
read_all (GInputStream *stream, GError **error)
{
  g_autoptr (GByteArray) data = g_byte_array_new ();
  guint8 chunk[16384];

  for (;;)
    {
      gssize n = g_input_stream_read (stream, chunk, sizeof chunk, NULL, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      g_byte_array_append (data, chunk, n);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static char *
attempts_text (int attempts)
{
  return attempts > 1 ? g_strdup_printf (" after %d attempts", attempts) : g_strdup ("");
}

static void
wait_seconds (double seconds)
{
  if (seconds > 0)
    g_usleep ((gulong) (seconds * G_USEC_PER_SEC));
}

HttpResponse *
http_client_send (HttpClient *client, const char *method, const char *url,
                  SluiceValue *request_headers, GBytes *body, const char *content_type,
                  uint32_t flags, GError **error)
{
  HttpSystem *system = client->system;
  HttpRetryPolicy element_policy = system->retry;
  const HttpRetryPolicy *policy = &system->retry;
  g_autofree char *display_url = http_display_url (url);
  g_autoptr (GUri) uri = NULL;
  gboolean reauthenticated = FALSE;
  int attempts = 0, retries = 0, rate_limited = 0;

  if (client->has_rate_limit)
    {
      element_policy.rate_limit_retries = client->rate_limit_retries;
      element_policy.rate_limit_delay = client->rate_limit_delay;
      policy = &element_policy;
    }

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL);
  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0
                      && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_CONFIG,
                   "%s %s: not an absolute http or https URL", method, display_url);
      return NULL;
    }

  for (;;)
    {
      g_autoptr (SoupMessage) message = soup_message_new_from_uri (method, uri);
      SoupMessageHeaders *headers = soup_message_get_request_headers (message);
      g_autoptr (GError) local_error = NULL;
      g_autoptr (GInputStream) stream = NULL;
      g_autofree char *after = NULL;
      const char *retry_after;
      double delay = -1;
      guint status;
      gint64 started;

      soup_message_headers_replace (headers, "Accept", "application/json");
      add_headers (headers, system->headers);
      add_headers (headers, client->headers);
      add_headers (headers, request_headers);
      if (!http_auth_apply (system, client->session, headers, error))
        return NULL;
      if (body != NULL)
        soup_message_set_request_body_from_bytes (message,
                                                  content_type ? content_type : "application/json",
                                                  body);
      if (!system->verify_ssl)
        g_signal_connect (message, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);

      attempts++;
      http_system_take_slot (system);
      started = g_get_monotonic_time ();
      stream = soup_session_send (client->session, message, NULL, &local_error);
      if (stream == NULL)
        {
          http_system_release_slot (system);
          if (retries < policy->max_retries)
            {
              retries++;
              delay = http_retry_backoff_delay (policy, retries, g_random_double ());
              sluice_log_warning (client->context, "%s %s: %s; retrying in %.2f s (retry %d of %d)",
                                  method, display_url, local_error->message, delay, retries,
                                  policy->max_retries);
              wait_seconds (delay);
              continue;
            }
          after = attempts_text (attempts);
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO, "%s %s: %s%s", method, display_url,
                       local_error->message, after);
          return NULL;
        }

      status = soup_message_get_status (message);
      sluice_log_debug (client->context, "%s %s: %u %s (%.1f ms)", method, display_url, status,
                        http_status_phrase (status),
                        (g_get_monotonic_time () - started) / 1000.0);
      retry_after = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                  "Retry-After");
      if (status == 429 || (status == 503 && retry_after != NULL))
        {
          if (rate_limited < policy->rate_limit_retries)
            {
              rate_limited++;
              if (!http_retry_parse_retry_after (retry_after, g_get_real_time () / G_USEC_PER_SEC,
                                                 &delay))
                delay = policy->rate_limit_delay;
            }
        }
      else if (http_retry_status_is_transient (status))
        {
          if (retries < policy->max_retries)
            {
              retries++;
              delay = http_retry_backoff_delay (policy, retries, g_random_double ());
            }
        }
      else if (status == 401 && system->auth == HTTP_AUTH_OAUTH2 && !reauthenticated)
        {
          /* The token may have been revoked before it expired: fetch a new one, once. */
          reauthenticated = TRUE;
          http_auth_invalidate (system);
          delay = 0;
        }
      if (delay >= 0)
        {
          g_input_stream_close (stream, NULL, NULL);
          http_system_release_slot (system);
          sluice_log_warning (client->context, "%s %s: %u %s; retrying in %.2f s", method,
                              display_url, status, http_status_phrase (status), delay);
          wait_seconds (delay);
          continue;
        }

      if ((status < 200 || status > 299) && !(flags & HTTP_SEND_ANY_STATUS))
        {
          g_input_stream_close (stream, NULL, NULL);
          http_system_release_slot (system);
          after = attempts_text (attempts);
          g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO, "%s %s: %u %s%s", method, display_url,
                       status, http_status_phrase (status), after);
          return NULL;
        }

      {
        HttpResponse *response = g_new0 (HttpResponse, 1);

        response->system = http_system_ref (system);
        response->message = g_steal_pointer (&message);
        response->status = status;
        response->method = g_strdup (method);
        response->display_url = g_strdup (display_url);
        if (flags & HTTP_SEND_STREAM)
          response->stream = g_steal_pointer (&stream);
        else
          {
            response->body = read_all (stream, &local_error);
            if (response->body == NULL)
              {
                g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_IO,
                             "%s %s: reading the response failed: %s", method, display_url,
                             local_error->message);
                http_response_free (response);
                return NULL;
              }
          }
        return response;
      }
    }
}
