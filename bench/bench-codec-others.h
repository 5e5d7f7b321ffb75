/* bench-codec-others.h — parse loops for the other JSON libraries measured by bench-codec.  They
 * live in their own file because json-c's and json-glib's headers declare clashing symbols. */
#pragma once

#include <stddef.h>

/* Parse every line of @text (JSON lines) and free the result; return the seconds it took. */
double bench_parse_yajl (const char *text, size_t len);
double bench_parse_json_c (const char *text, size_t len);
