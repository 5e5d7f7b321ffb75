/* http-retry.c — backoff delays and Retry-After parsing for the HTTP client (http-retry.h). */
#include "http-retry.h"

#include <libsoup/soup.h>
#include <math.h>
#include <stdlib.h>

double
http_retry_backoff_delay (const HttpRetryPolicy *policy, int retry, double random01)
{
  double delay = policy->base_delay * ldexp (1.0, MAX (retry, 1) - 1);

  if (delay > policy->max_delay)
    delay = policy->max_delay;
  if (delay < 0)
    delay = 0;
  return delay / 2 + delay / 2 * random01;
}

gboolean
http_retry_parse_retry_after (const char *value, gint64 now_unix, double *ret_seconds)
{
  g_autoptr (GDateTime) date = NULL;
  const char *p;
  char *end = NULL;

  if (value == NULL)
    return FALSE;
  while (g_ascii_isspace (*value))
    value++;
  for (p = value; g_ascii_isdigit (*p); p++)
    ;
  if (p != value)
    {
      guint64 seconds = g_ascii_strtoull (value, &end, 10);

      while (g_ascii_isspace (*end))
        end++;
      if (*end != '\0')
        return FALSE;
      *ret_seconds = (double) MIN (seconds, (guint64) G_MAXINT32);
      return TRUE;
    }
  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return FALSE;
  *ret_seconds = MAX (0, (double) (g_date_time_to_unix (date) - now_unix));
  return TRUE;
}

gboolean
http_retry_status_is_transient (guint status)
{
  return status >= 500 && status <= 599 && status != 501 && status != 505;
}
