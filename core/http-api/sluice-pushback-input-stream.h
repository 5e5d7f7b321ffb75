/* sluice-pushback-input-stream.h — the input side of a connection stream that can be given back
 * bytes already read from it.
 *
 * Reads return the bytes given back first, then what the base stream's input has.  The stream
 * owns @base (a GIOStream) and closing it closes @base, so that a GSimpleIOStream made of this
 * input and @base's output is a whole connection.  sluice-http-keepalive.c hands such a stream to
 * libsoup as a connection, and when it takes the connection back from libsoup it takes back, with
 * sluice_pushback_input_stream_reclaim (), what libsoup's buffering had read ahead (pipelined
 * requests), so that the next reader gets it.  Pollable when the base's input is.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SLUICE_TYPE_PUSHBACK_INPUT_STREAM (sluice_pushback_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (SluicePushbackInputStream, sluice_pushback_input_stream, SLUICE,
                      PUSHBACK_INPUT_STREAM, GInputStream)

/* (transfer full) A stream reading g_io_stream_get_input_stream (@base); it keeps a reference to
 * @base and closes it when it is closed. */
GInputStream *sluice_pushback_input_stream_new (GIOStream *base);

/* Takes back what @reader (a pollable stream that reads from this one, e.g. a buffering filter)
 * has read from this stream and not yet returned, without reading anything more from the base:
 * the next reads of this stream return it, then what was given back before, then the base.
 * Only while nothing polls the stream (a source made before does not wake up for it). */
void sluice_pushback_input_stream_reclaim (SluicePushbackInputStream *stream,
                                           GInputStream *reader);

G_END_DECLS
