/* bench-http-pull.c — see bench-http-pull.h. */
#include "bench-http-pull.h"

#include <libsoup/soup.h>
#include <sluice-plugin-sdk.h>

BenchPull
bench_http_pull (const char *url, const char *token)
{
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 600, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (0);
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *header = g_strdup_printf ("Bearer %s", token);
  static guint8 buffer[65536];
  BenchPull pull = { 0 };
  gint64 started = g_get_monotonic_time ();

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
  in = soup_session_send (session, msg, NULL, &error);
  if (in == NULL || soup_message_get_status (msg) != 200)
    g_error ("GET %s: %s (status %u)", url, error != NULL ? error->message : "failed",
             soup_message_get_status (msg));
  for (;;)
    {
      gssize n = g_input_stream_read (in, buffer, sizeof buffer, NULL, &error);
      SluiceValue *value;

      if (n < 0)
        g_error ("reading the body: %s", error->message);
      if (n == 0)
        break;
      pull.bytes += n;
      if (!sluice_json_reader_feed (reader, buffer, n, &error))
        g_error ("parsing the body: %s", error->message);
      while ((value = sluice_json_reader_pop (reader)) != NULL)
        {
          pull.entities++;
          sluice_value_unref (value);
        }
    }
  if (!sluice_json_reader_finish (reader, &error))
    g_error ("parsing the body: %s", error->message);
  pull.seconds = (g_get_monotonic_time () - started) / 1e6;
  return pull;
}
