/* bench-http-pull.h — the pulling client the HTTP benchmarks share: GET a JSON array of entities
 * with a bearer token and parse it as it streams in (the SDK's JSON reader), counting entities
 * and bytes.  Any failure ends the program with the reason. */
#pragma once

#include <glib.h>

typedef struct
{
  guint64 entities;
  guint64 bytes;
  double seconds; /* from sending the request to the end of the body */
} BenchPull;

BenchPull bench_http_pull (const char *url, const char *token);
