/* bench-client-phase.h — what the HTTP benchmarks' server side shares: run this program again as
 * a client process while the main context keeps serving it, sample the server's anonymous memory
 * meanwhile, and read the JSON figures the client prints.  Any failure ends the program. */
#pragma once

#include <json-glib/json-glib.h>

/* A field of /proc/self/status in KiB ("RssAnon:", "VmHWM:"); -1 when missing. */
long bench_proc_status_kib (const char *field);

/* Runs @argv (a client that prints one JSON object) to its end while iterating the default main
 * context; @ret_peak_anon_kib receives the peak RssAnon of this process, sampled every 10 ms.
 * (transfer full) The client's figures. */
JsonObject *bench_run_client (const char *const *argv, long *ret_peak_anon_kib);
