/* sluice-http-keepalive.h — closing the keep-alive connections of a SoupServer that their clients
 * closed, which libsoup 3.2 never does (docs/http-api.md, "Connections").
 *
 * libsoup 3.2 (Debian 12) reads the first request of a connection with a message that
 * disconnects the connection when the client closes it instead (or on an error), but waits for
 * each later request of a keep-alive connection with a message that has no such handling: when
 * the client closes the connection, that message fails and nothing disconnects the connection,
 * so its socket stays open (CLOSE-WAIT) until the server goes away.  libsoup 3.3.0 fixed it;
 * this works with 3.2 and does no harm with later versions.
 *
 * So that libsoup never waits with such a message, each keep-alive connection is handed back to
 * libsoup as a new connection after each response: in the main loop iteration after the
 * response was written (at a priority above libsoup's I/O, before that message can read
 * anything), the connection is taken with soup_server_message_steal_connection () on the message
 * just finished and given to soup_server_accept_iostream ().  The next request, or the end of
 * the stream, then meets a first message: a request is served as usual, and the end of the
 * stream or an error disconnects the connection and closes its socket.  Whatever libsoup had
 * read ahead (pipelined requests) is kept (sluice-pushback-input-stream.h).
 *
 * A connection is never touched while a request is read, handled or answered (a streamed
 * response included), and an idle connection whose client keeps it open stays open.  Requests
 * on a connection handed back have no soup_server_message_get_socket () (NULL) and, over TLS, an
 * "http" URI scheme and no peer certificate (so libsoup answers 400 to a request target that is
 * a whole https:// URL instead of a path, which clients send only to proxies);
 * soup_server_message_get_remote_address () names the client as before.  A hand-back costs some
 * 10–20 µs of CPU (docs/http-api.md).
 *
 * Everything runs on the thread-default main context of the thread that runs the server.
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _SluiceHttpKeepalive SluiceHttpKeepalive;

/* Starts handing back @server's keep-alive connections (it keeps a reference to @server). */
SluiceHttpKeepalive *sluice_http_keepalive_new (SoupServer *server);
/* Stops; the connections stay as they are (soup_server_disconnect () closes them). */
void sluice_http_keepalive_free (SluiceHttpKeepalive *keepalive);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SluiceHttpKeepalive, sluice_http_keepalive_free)

G_END_DECLS
