/* http-retry.h — when to try an HTTP request again, and how long to wait first.
 *
 * Connection errors and 5xx answers are retried with exponential backoff and jitter (the delay
 * doubles each attempt up to a cap, and a random part spreads clients that failed together); 429
 * and 503 answers carry their own delay in Retry-After, which wins over the backoff. */
#pragma once

#include <glib.h>

typedef struct
{
  int max_retries;        /* retries after the first attempt for connection errors and 5xx */
  double base_delay;      /* seconds before the first retry */
  double max_delay;       /* cap on one backoff delay, seconds */
  int rate_limit_retries; /* retries after 429 (and 503 with Retry-After) */
  double rate_limit_delay; /* seconds to wait on 429 without Retry-After */
} HttpRetryPolicy;

/* The delay before retry number @retry (1 for the first retry): base · 2^(retry-1), capped at
 * max_delay, of which the upper half is random ("equal jitter").  @random01 is a number in [0, 1):
 * tests pass a fixed one, the client g_random_double (). */
double http_retry_backoff_delay (const HttpRetryPolicy *policy, int retry, double random01);

/* Parses a Retry-After header: delta-seconds ("120") or an HTTP-date, which is turned into the
 * seconds from @now_unix (a date in the past means 0).  FALSE when @value is neither. */
gboolean http_retry_parse_retry_after (const char *value, gint64 now_unix, double *ret_seconds);

/* Whether a status is worth retrying with backoff: 5xx (but 501 Not Implemented and 505 HTTP
 * Version Not Supported will not change on their own). */
gboolean http_retry_status_is_transient (guint status);
