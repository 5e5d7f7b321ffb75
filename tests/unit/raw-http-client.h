/* raw-http-client.h — a bare HTTP/1.1 client on one TCP (or TLS) connection, for tests of what a
 * server does with its connections: the bytes sent are exactly those the test writes, several
 * requests go over the same connection, and the test decides how the connection ends (closed, or
 * half-closed while the server still answers).
 *
 * Blocking, with a timeout of 30 s on every connect, read and write: call it from a thread of its
 * own when the server runs on the test's main context.  Also counts a process's open file
 * descriptors, which is what a leaked connection leaves behind.
 */
#pragma once

#include <gio/gio.h>

typedef struct _RawHttp RawHttp;

/* Connects to 127.0.0.1:@port; with @tls, does a TLS handshake accepting any certificate. */
RawHttp *raw_http_connect (guint port, gboolean tls, GError **error);
/* Writes @text as it is (one request, several, or part of one). */
gboolean raw_http_write (RawHttp *raw, const char *text, GError **error);
/* Reads one response: its status and its body (chunked encoding undone; ret_body nullable). */
gboolean raw_http_read_response (RawHttp *raw, guint *ret_status, char **ret_body,
                                 GError **error);
/* "GET @path HTTP/1.1" (with a bearer @token when not NULL), then its response, which must be
 * 200: the error says what came back otherwise. */
gboolean raw_http_get (RawHttp *raw, const char *path, const char *token, char **ret_body,
                       GError **error);
/* Ends the sending side (over TLS with a close_notify): the server reads the end of the stream,
 * and can still answer. */
gboolean raw_http_shutdown_write (RawHttp *raw, GError **error);
/* Reads until the server ends the connection; FALSE on a timeout or when more bytes came. */
gboolean raw_http_wait_for_close (RawHttp *raw, GError **error);
/* Closes the connection (with TLS, after a close_notify) and frees @raw. */
void raw_http_close (RawHttp *raw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RawHttp, raw_http_close)

/* The number of file descriptors process @pid has open (0: this process). */
guint raw_http_count_fds (GPid pid);
