/* sluiced-fixture.h — `sluiced --http` as a child process of a test: started on a data directory
 * of the test's, its log followed line by line (the test waits for lines, never for a clock), its
 * port read from the log, its memory read from /proc, and SIGTERM or SIGKILL to end it.
 *
 * Under the sanitizer build the child gets the LeakSanitizer suppressions of libsoup 3.2's own
 * leaks (demo/crm/lsan.supp), as test-sluiced-http.sh does.
 */
#pragma once

#include <gio/gio.h>

/* The arguments of a test that runs sluiced: SLUICED PLUGIN_DIR TEST_PLUGIN_DIR; the two
 * directories go into @ret_plugin_dirs (3 places: NULL-terminated).  FALSE after printing the
 * usage. */
gboolean sluiced_fixture_args (int argc, char **argv, const char **ret_sluiced,
                               const char **ret_plugin_dirs);

/* (transfer full) A new temporary directory "sluice-@name-XXXXXX" holding config.json: @config
 * with every "@DIR@" replaced by the directory. */
char *sluiced_fixture_make_dir (const char *name, const char *config);

typedef struct
{
  GSubprocess *process;
  GDataInputStream *lines;
  GString *log; /* every line the daemon wrote so far */
  guint port;
  gboolean eof;
  gboolean exited;
} SluicedDaemon;

/* Starts @sluiced with --plugin-dir for each of @plugin_dirs (NULL-terminated), --data
 * @dir/data, --config @dir/config.json, --http 127.0.0.1:0 and @extra_args (NULL-terminated,
 * nullable), HOME=@dir, and waits until it listens.  Fails the test when it does not. */
SluicedDaemon *sluiced_daemon_start (const char *sluiced, const char *const *plugin_dirs,
                                     const char *dir, const char *const *extra_args);
/* Iterates the default main context until a line of the log contains @text (also one that came
 * earlier); fails the test after 120 s or when the daemon exited without writing it. */
void sluiced_daemon_wait_for_line (SluicedDaemon *daemon, const char *text);
/* "http://127.0.0.1:PORT@path" (transfer full). */
char *sluiced_daemon_url (SluicedDaemon *daemon, const char *path);
/* A field of /proc/PID/status in KiB ("VmHWM", "RssAnon"). */
guint64 sluiced_daemon_status_kib (SluicedDaemon *daemon, const char *field);
/* SIGTERM, and the exit status must be 0; or SIGKILL (@kill).  Frees @daemon. */
void sluiced_daemon_stop (SluicedDaemon *daemon, gboolean kill);

/* A JSON array of @n entities like bench/gen_entities.py's (about 220 bytes each), with `_id`s
 * "@prefix<i>", and @last (nullable: none) as its last element verbatim.  (transfer full) */
GString *sluiced_fixture_entities (guint n, const char *prefix, const char *last);

/* A gate of the test sink (`test-fail-sink`'s gate_dir, tests/plugins/engine): the FIFOs
 * @dir/reached and @dir/release, made here. */
typedef struct _SluicedGate SluicedGate;
SluicedGate *sluiced_gate_new (const char *dir);
/* Iterates the default main context until a sink reached the gate (fails after 120 s). */
void sluiced_gate_wait_reached (SluicedGate *gate);
/* Lets the sink waiting at the gate go on. */
void sluiced_gate_open (SluicedGate *gate);
/* Removes the FIFOs: the sink no longer waits there. */
void sluiced_gate_free (SluicedGate *gate);

/* A POST of @body to /api/receivers/@pipe/entities?@query (nullable) with bearer @token, on a
 * thread of its own; sluiced_push_finish () waits for its response, iterating the default main
 * context.  @body is borrowed until then. */
typedef struct _SluicedPush SluicedPush;
SluicedPush *sluiced_push_start (SluicedDaemon *daemon, const char *token, const char *pipe,
                                 const char *query, const GString *body);
/* (transfer full) Its response (an HttpApiResponse of http-api-client.h). */
gpointer sluiced_push_finish (SluicedPush *push);
